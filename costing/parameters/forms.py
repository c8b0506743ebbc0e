"""Forms of the parameter administration: a source (document number, issuer, date, link, confidence),
a dated value, a district's tier, a reason for rejecting."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask import flash
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ..engine.parameters import CONFIDENCE, TIER_LABELS
from .review import SourceInput


def typed_date(text: str) -> tuple[date | None, str | None]:
    """A date typed as 年-月-日 (full-width digits allowed): (the date, or a message for the field)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None, None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None, "请按“年-月-日”填写，如 2026-01-01"
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"日期 {text} 不存在"


class SourceForm(FlaskForm):
    doc_no = StringField("文号", validators=[Length(max=200, message="最多 200 个字符")])
    title = StringField("文件标题", validators=[Length(max=500, message="最多 500 个字符")])
    issuer = StringField("发文机关", validators=[Length(max=200, message="最多 200 个字符")])
    doc_date = StringField("发文日期")
    effective_date = StringField("施行日期（文件写明的）")
    url = StringField("原文网址（政府网站）", validators=[Length(max=500, message="最多 500 个字符")])
    confidence = SelectField("可信度", choices=[SelectChoice("", "请选择")] +
                             [SelectChoice(k, v) for k, v in CONFIDENCE.items()], validate_choice=False)
    verified_by = StringField("核实单位", validators=[Length(max=200, message="最多 200 个字符")])
    verified_on = StringField("核实日期")
    source_note = StringField("管理员备注（不在预算与附件中显示）",
                              validators=[Length(max=2000, message="最多 2000 个字符")])

    def source_input(self) -> tuple[SourceInput, dict[str, str]]:
        problems = {}
        dates = {}
        for name in ("doc_date", "effective_date", "verified_on"):
            dates[name], problem = typed_date(getattr(self, name).data)
            if problem:
                problems[name] = problem
        data = SourceInput(doc_no=_text(self.doc_no), title=_text(self.title), issuer=_text(self.issuer),
                           date=dates["doc_date"], url=_text(self.url), effective=dates["effective_date"],
                           note=_text(self.source_note), verified_by=_text(self.verified_by),
                           verified_on=dates["verified_on"])
        return data, problems

    def show(self, problems: dict[str, str]) -> None:
        for name, message in problems.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = list(field.errors or []) + [message]
            else:
                flash(message, "error")


def _text(field) -> str:
    return (field.data or "").strip()


class ValueForm(SourceForm):
    district = SelectField("区县", validate_choice=False)          # a family each district sets for itself
    region = SelectField("适用范围", validate_choice=False)
    start = StringField("起始日期")
    end = StringField("截止日期（空为至今）")
    value = StringField("数值")
    note = StringField("说明", validators=[Length(max=500, message="最多 500 个字符")])
    replaces = HiddenField()
    acknowledge = BooleanField("已核对上面的提示，数值确实如此（请在“说明”中写明原因）")


class TierForm(SourceForm):
    district = StringField("区县", validators=[Length(max=60, message="最多 60 个字符")])
    new_district = BooleanField("新增区县（名单中还没有）")
    region = SelectField("最低工资档次", choices=[SelectChoice("", "请选择")] +
                         [SelectChoice(k, v) for k, v in TIER_LABELS.items()], validate_choice=False)
    start = StringField("起始日期")


class ReasonForm(FlaskForm):
    reason = StringField("驳回理由", validators=[Length(max=500, message="最多 500 个字符")])
    acknowledge = BooleanField("已核对提示，确认数值无误")       # a flagged value is confirmed only with it


class VerifyForm(SourceForm):
    """核实来源: the citation as the original prints it, who checked it and when, the grading of its figures."""
    note = StringField("核实说明（在何处、对照什么核对了原件）", validators=[Length(max=2000, message="最多 2000 个字符")])


NOTICE_ROWS = 6          # rows a notice form shows
NOTICE_MAX_ROWS = 30


class NoticeRow(Form):
    """A figure of a notice: which parameter (and region), its value, its own dates if not the notice's."""
    target = SelectField("参数与适用范围", validate_choice=False)     # "<family>|<region>"
    district = SelectField("区县（各区县的标准）", validate_choice=False)
    value = StringField("数值")
    start = StringField("起始日期（留空同上）")
    end = StringField("截止日期（留空同上）")
    note = StringField("说明", validators=[Length(max=500, message="最多 500 个字符")])

    def blank(self) -> bool:
        return not any((self.target.data or "").strip() or (f.data or "").strip()
                       for f in (self.value, self.start, self.end, self.note))


class NoticeForm(SourceForm):
    """One notice, several figures: the source typed once, a row a figure."""
    start = StringField("起始日期")
    end = StringField("截止日期（空为至今）")
    rows = FieldList(FormField(NoticeRow), min_entries=NOTICE_ROWS, max_entries=NOTICE_MAX_ROWS)
    acknowledge = BooleanField("已核对上面标出的提示，这些数值确实如此（请在各行“说明”中写明原因）")

    def show(self, problems: dict[str, str]) -> None:
        rows = {}
        for name, message in problems.items():
            if name.startswith("rows-") and name.count("-") >= 2:
                _, index, field = name.split("-", 2)
                rows.setdefault(int(index), {})[field] = message
        shared = {k: v for k, v in problems.items() if not k.startswith("rows-")}
        super().show(shared)
        for index, found in rows.items():
            row = self.rows[index]
            for field, message in found.items():
                target = {"region": "target", "district": "district"}.get(field, field)
                slot = getattr(row.form, target, None)
                if slot is None:
                    slot = row.form.value
                slot.errors = list(slot.errors or []) + [message]
