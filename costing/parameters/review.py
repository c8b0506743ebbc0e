"""Administration of the policy parameters under the two-person rule: a dated value or a district's tier
is entered as pending, checked (range, jumps, overlaps, dates, source), and counts only once a second
administrator confirms it; corrections of confirmed values follow the same rule."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.money import fmt_figure, fmt_rate
from ..engine.numbers import typed_decimal
from ..engine.parameters import CONFIDENCE, TIER_LABELS
from ..engine.text import free_text_problem
from ..models import DistrictAlias, DistrictTier, ParamDocument, ParamFamily, ParamSource, ParamValue, utcnow
from .export import iso
from .seed import LIVE, bump, lock, meets


def reviewed_now(row, reviewer, status: str, note: str = "") -> None:
    row.status, row.reviewed_by_id, row.reviewed_at, row.review_note = status, reviewer.id, utcnow(), note




EARLIEST = date(2000, 1, 1)
AHEAD_DAYS = 366          # a notice may be published up to a year before it takes effect
RANGES = {               # unit: (lowest, highest) any value of that unit can take
    "CNY/month": (Decimal("1"), Decimal("1000000")),
    "CNY/hour": (Decimal("1"), Decimal("10000")),
    "rate": (Decimal("0"), Decimal("1")),
    "factor": (Decimal("0"), Decimal("1")),
    "persons": (Decimal("1"), Decimal("1000000")),
    "workers": (Decimal("1"), Decimal("1000000")),
}
JUMP = (Decimal("0.5"), Decimal("2"))    # a new value outside these multiples of the last one needs a note
UNIT_HINTS = {"CNY/month": "元/月", "CNY/hour": "元/小时", "rate": "费率（如 16% 或 0.16）", "factor": "系数（0–1）",
              "persons": "人", "workers": "人"}


class Refused(Exception):
    """An administrative action that cannot be taken; `problems` maps form fields to messages."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("；".join(problems.values()))


OFFICIAL_URL = re.compile(r"https?://[^/\s]+\.gov\.cn(/\S{0,480})?", re.IGNORECASE)


@dataclass
class SourceInput:
    """One primary document as its header prints it, and who checked the citation against it."""
    doc_no: str = ""
    title: str = ""
    issuer: str = ""
    date: date | None = None
    url: str = ""
    effective: date | None = None
    note: str = ""                   # for administrators: where the text was seen, what is uncertain
    verified_by: str = ""
    verified_on: date | None = None

    def problems(self, today: date) -> dict[str, str]:
        found = {}
        if not (self.doc_no or self.title):
            found["doc_no"] = "请填写文号；没有文号的，填写文件标题"
        if not self.issuer:
            found["issuer"] = "请填写发文机关"
        if self.date is None:
            found["doc_date"] = "请填写发文日期"
        elif self.date > today:
            found["doc_date"] = f"发文日期 {self.date} 晚于今天"
        elif self.date < EARLIEST:
            found["doc_date"] = f"发文日期不能早于 {EARLIEST}"
        if self.effective is not None and self.effective < EARLIEST:
            found["effective_date"] = f"施行日期不能早于 {EARLIEST}"
        if self.url and not re.fullmatch(r"https?://\S{1,490}", self.url, flags=re.IGNORECASE):
            found["url"] = "链接须以 http:// 或 https:// 开头，且不含空格"
        elif self.url and not OFFICIAL_URL.fullmatch(self.url):
            found["url"] = "这里只填政府网站（.gov.cn）上该文件的地址；转载、新闻等页面请写在“管理员备注”中"
        found.update(self._verification_problems(today))
        for field, text in (("doc_no", self.doc_no), ("title", self.title), ("issuer", self.issuer),
                            ("verified_by", self.verified_by), ("source_note", self.note)):
            problem = free_text_problem(text)
            if problem:
                found[field] = problem
        return found

    def _verification_problems(self, today: date) -> dict[str, str]:
        if not (self.verified_by or self.verified_on):
            return {}
        if not self.verified_by:
            return {"verified_by": "请填写核实单位（对照原件核实的单位或部门）"}
        if self.verified_on is None:
            return {"verified_on": "请填写核实日期"}
        if self.verified_on > today:
            return {"verified_on": f"核实日期 {self.verified_on} 晚于今天"}
        if self.date is not None and self.verified_on < self.date:
            return {"verified_on": f"核实日期 {self.verified_on} 早于发文日期 {self.date}"}
        if not (self.doc_no and self.title):
            return {"doc_no" if not self.doc_no else "title": "经核实的来源须写明文号与标题（按原件抬头）"}
        return {}

    def make(self, session: Session, document: str) -> ParamSource:
        source = ParamSource(document=document, key=f"new-{uuid.uuid4().hex}", title=self.title or None,
                             issuer=self.issuer, doc_no=self.doc_no or None, date=iso(self.date),
                             effective=iso(self.effective), url=self.url or None, note=self.note or None,
                             verified_by=self.verified_by or None, verified_on=iso(self.verified_on))
        session.add(source)
        session.flush()
        source.key = f"admin-{source.id}"
        return source


@dataclass
class ValueInput:
    region: str
    start: date | None
    end: date | None
    value: str            # as typed: "4,500", "16%", "0.16"
    source: SourceInput
    confidence: str
    note: str = ""
    replaces: int | None = None        # the id of a confirmed value this corrects


def parse_value(text: str, unit: str) -> Decimal:
    """The typed value as a Decimal in the family's unit (rates accept "16%" or "0.16")."""
    try:
        value, percent = typed_decimal(text)
    except ValueError as exc:
        raise ValueError(f"{exc}，如 16% 或 0.16" if unit == "rate" and str(exc) == "请填写数字" else str(exc)) from None
    if percent and unit not in ("rate", "factor"):
        raise ValueError(f"单位是{UNIT_HINTS[unit]}，不能用百分数")
    if unit in ("persons", "workers") and value != value.to_integral_value():
        raise ValueError("须为整数")
    low, high = RANGES[unit]
    if not low <= value <= high:
        raise ValueError(f"{fmt_figure(value, unit)} 超出合理范围（{fmt_figure(low, unit)}–{fmt_figure(high, unit)}），请核对")
    return value


def check_value(session: Session, family: ParamFamily, data: ValueInput, today: date) -> dict[str, str]:
    """Everything wrong with a new value for `family`, by form field."""
    problems = data.source.problems(today)
    replaced = None
    if data.replaces is not None:
        replaced = session.get(ParamValue, data.replaces)
        if replaced is None or replaced.family_key != family.key or replaced.status != "confirmed":
            return {**problems, "status": "要更正的数值不存在或已不是生效状态，请刷新页面"}
        if session.scalar(select(ParamValue.id).where(ParamValue.replaces_id == replaced.id,
                                                      ParamValue.status == "pending")):
            return {**problems, "status": "这个数值已有待复核的更正，请先复核或撤回它"}
        data.region = replaced.region
        if not data.note:
            problems["note"] = "更正已生效的数值时，请在“说明”中写明更正原因"
    if free_text_problem(data.note or ""):
        problems["note"] = free_text_problem(data.note)
    problems.update(_region_problems(session, family, data.region))
    try:
        value = parse_value(data.value, family.unit)
    except ValueError as exc:
        problems["value"] = str(exc)
    else:
        jump = None if replaced else _jump(session, family, data.region, data.start, value)
        if jump and not data.note:
            problems["value"] = jump
    if data.confidence not in CONFIDENCE:
        problems["confidence"] = "请选择可信度"
    if data.start is None:
        problems["start"] = "请填写起始日期"
    elif data.start < EARLIEST:
        problems["start"] = f"起始日期不能早于 {EARLIEST}"
    elif data.start > today + timedelta(days=AHEAD_DAYS):
        problems["start"] = f"起始日期 {data.start} 距今超过一年，请核对"
    if data.start and data.end and data.end < data.start:
        problems["end"] = f"截止日期 {data.end} 早于起始日期 {data.start}"
    if not {"start", "end", "region", "district"} & problems.keys():
        clash = _overlap(session, family.key, data.region, data.start, data.end, {data.replaces})
        if clash:
            problems["start"] = clash
    return problems


REGION_LENGTH = ParamValue.region.type.length


def _region_problems(session: Session, family: ParamFamily, region: str) -> dict[str, str]:
    """A family's values are kept by region; a district's own standard by "<district>:<region>"."""
    if not family.by_district:
        return {} if region in family.regions else {"region": "请选择适用范围"}
    district, _, rest = region.rpartition(":")
    problems = {}
    known = session.scalar(select(DistrictTier.id).where(DistrictTier.district == district,
                                                         DistrictTier.status == "confirmed").limit(1))
    if not district or known is None:
        problems["district"] = "请选择区县"
    elif len(region) > REGION_LENGTH:
        problems["district"] = f"区县名称过长，“区县:证书”最多 {REGION_LENGTH} 个字符"
    if rest not in family.regions:
        problems["region"] = "请选择适用范围"
    return problems


def _jump(session: Session, family: ParamFamily, region: str, start: date | None, value: Decimal) -> str | None:
    """A message if the value is less than half or more than twice the confirmed value before it."""
    before = session.scalar(select(ParamValue).where(
        ParamValue.family_key == family.key, ParamValue.region == region, ParamValue.status == "confirmed",
        ParamValue.start <= (start or date.max)).order_by(ParamValue.start.desc()).limit(1))
    if before is None or Decimal(before.value) == 0:
        return None
    ratio = value / Decimal(before.value)
    if JUMP[0] <= ratio <= JUMP[1]:
        return None
    return (f"{fmt_figure(value, family.unit)} 与上一数值 {fmt_figure(before.value, family.unit)}"
            f"（{iso(before.start) or '日期不详'} 起）相差一倍以上，请核对；确实如此的，请在“说明”中写明")

def _overlap(session: Session, family_key: str, region: str, start: date, end: date | None,
             exclude: set, confirmed_only: bool = False) -> str | None:
    """A message if [start, end] overlaps a live value of the same family and region. The open-ended
    confirmed value that starts earlier is not a clash (confirming will end it the day before
    `start`), unless another pending value already means to end it."""
    statuses = ("confirmed",) if confirmed_only else LIVE
    rows = [r for r in session.scalars(select(ParamValue).where(
        ParamValue.family_key == family_key, ParamValue.region == region, ParamValue.status.in_(statuses)))
        if r.id not in exclude]
    for row in rows:
        if row.status == "confirmed" and row.end is None and (row.start or date.min) < start:
            rival = next((r for r in rows if r.status == "pending" and (r.start or date.min) > (row.start or date.min)),
                         None)
            if rival is None:
                continue
            return (f"待复核的 {iso(rival.start)} 起的数值 {_shown(rival)} 复核通过时将截止 "
                    f"{iso(row.start) or '日期不详'} 起的数值；请先复核或撤回它，再录入本数值")
        if meets(row.start, row.end, start, end):
            period = f"{iso(row.start) or '日期不详'} 至 {iso(row.end) or '今'}"
            state = "待复核的" if row.status == "pending" else "已生效的"
            return (f"与{state}数值重叠：{period}，{_shown(row)}（{row.source.doc_no or row.source.title}）；"
                    f"同一适用范围的有效期不能重叠")
    return None


def _shown(row: ParamValue) -> str:
    return fmt_figure(row.value, row.family.unit)


def successor_note(session: Session, row: ParamValue) -> str | None:
    """What confirming a pending value will do to the open-ended value before it."""
    before = _open_predecessor(session, row)
    if before is None:
        return None
    return (f"复核通过后，{iso(before.start) or '日期不详'} 起的数值 {_shown(before)} "
            f"将截止于 {row.start - timedelta(days=1)}")


def _open_predecessor(session: Session, row: ParamValue) -> ParamValue | None:
    """The confirmed open-ended value of the same family and region that starts before `row`."""
    before = session.scalar(select(ParamValue).where(
        ParamValue.family_key == row.family_key, ParamValue.region == row.region, ParamValue.status == "confirmed",
        ParamValue.end.is_(None), ParamValue.id != row.id, ParamValue.id != (row.replaces_id or 0)))
    if before is None or row.start is None or (before.start or date.min) >= row.start:
        return None
    return before


def add_value(session: Session, family: ParamFamily, data: ValueInput, user, today: date) -> ParamValue:
    lock(session)
    problems = check_value(session, family, data, today)
    if problems:
        raise Refused(problems)
    source = data.source.make(session, family.document)
    row = ParamValue(family_key=family.key, region=data.region, start=data.start, end=data.end,
                     value=fmt_rate(parse_value(data.value, family.unit)), source_id=source.id,
                     confidence=data.confidence, note=data.note or None, status="pending", origin="admin",
                     created_by_id=user.id, replaces_id=data.replaces)
    session.add(row)
    session.flush()
    return row


def _reviewable(row, reviewer) -> None:
    if row.status != "pending":
        raise Refused({"status": f"该项目前为「{row.status_label}」，不能再处理"})
    if row.created_by_id == reviewer.id:
        raise Refused({"status": "录入人不能复核自己录入的数值：须由另一位管理员复核（两人原则）"})


def confirm_value(session: Session, row: ParamValue, reviewer) -> str | None:
    """Confirm a pending value (locked row); returns what happened to the value before it."""
    _reviewable(row, reviewer)
    replaced = row.replaces
    if replaced is not None and replaced.status != "confirmed":
        raise Refused({"status": "要更正的数值已不是生效状态；请驳回这项更正"})
    clash = _overlap(session, row.family_key, row.region, row.start, row.end, {row.id, row.replaces_id},
                     confirmed_only=True)
    if clash:
        raise Refused({"status": clash})
    if replaced is not None:
        replaced.status = "superseded"
        replaced.review_note = f"由 {iso(row.start)} 起的 {_shown(row)} 更正（{row.note or ''}）"[:500]
    closed = None
    before = _open_predecessor(session, row)
    if before is not None:
        before.end = row.start - timedelta(days=1)
        closed = f"{iso(before.start) or '日期不详'} 起的数值 {_shown(before)} 截止于 {before.end}"
    reviewed_now(row, reviewer, "confirmed")
    session.flush()
    bump(session)
    return closed


def reject(session: Session, row, reviewer, reason: str) -> None:
    _reviewable(row, reviewer)
    if not reason.strip():
        raise Refused({"reason": "请说明驳回理由"})
    if free_text_problem(reason):
        raise Refused({"reason": free_text_problem(reason)})
    reviewed_now(row, reviewer, "rejected", reason.strip()[:500])


def withdraw(session: Session, row, user) -> None:
    if row.status != "pending":
        raise Refused({"status": f"该项目前为「{row.status_label}」，不能撤回"})
    if row.created_by_id != user.id:
        raise Refused({"status": "只有录入人可以撤回"})
    reviewed_now(row, user, "withdrawn")


# district → tier entries follow the same rule

@dataclass
class TierInput:
    district: str
    region: str
    start: date | None
    source: SourceInput
    confidence: str
    new_district: bool = False       # the administrator says the name is a district not yet listed


def add_tier(session: Session, data: TierInput, user, today: date) -> DistrictTier:
    lock(session)
    problems = data.source.problems(today)
    alias = session.get(DistrictAlias, data.district)
    if alias is not None:
        data.district = alias.district             # 石柱县 → 石柱土家族自治县
    listed = session.scalars(select(DistrictTier).where(DistrictTier.district == data.district,
                                                        DistrictTier.status == "confirmed")
                             .order_by(DistrictTier.start)).all()
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,30}", data.district):
        problems["district"] = "请填写区县全称（2–30 个汉字），如「城口县」"
    elif not listed and not data.new_district:
        problems["district"] = (f"「{data.district}」不在区县名单中；如确为新设区县或功能区，请勾选“新增区县”，"
                                f"否则请核对名称（如「渝北区」「城口县」）")
    if data.region not in TIER_LABELS:
        problems["region"] = "请选择档次"
    if data.confidence not in CONFIDENCE:
        problems["confidence"] = "请选择可信度"
    if data.start is None:
        problems["start"] = "请填写起始日期"
    elif not EARLIEST <= data.start <= today + timedelta(days=AHEAD_DAYS):
        problems["start"] = f"起始日期须在 {EARLIEST} 至 {today + timedelta(days=AHEAD_DAYS)} 之间"
    elif "district" not in problems:
        same = session.scalar(select(DistrictTier).where(DistrictTier.district == data.district,
                                                         DistrictTier.start == data.start,
                                                         DistrictTier.status.in_(LIVE)))
        in_force = [t for t in listed if t.start <= data.start]
        if same is not None:
            problems["start"] = f"{data.district} 自 {data.start} 起已有{same.status_label}的档次记录"
        elif in_force and in_force[-1].region == data.region:
            problems["region"] = (f"{data.district} 在 {data.start} 已是{TIER_LABELS[data.region]}"
                                  f"（{in_force[-1].start} 起），无需录入")
    if problems:
        raise Refused(problems)
    document = session.scalar(select(ParamDocument).where(ParamDocument.tiers_label.is_not(None)))
    source = data.source.make(session, document.name)
    row = DistrictTier(document=document.name, district=data.district, region=data.region, start=data.start,
                       source_id=source.id, confidence=data.confidence, status="pending", origin="admin",
                       created_by_id=user.id)
    session.add(row)
    session.flush()
    return row


def confirm_tier(session: Session, row: DistrictTier, reviewer) -> None:
    _reviewable(row, reviewer)
    same = session.scalar(select(DistrictTier).where(DistrictTier.district == row.district,
                                                     DistrictTier.start == row.start,
                                                     DistrictTier.status == "confirmed"))
    if same is not None:
        raise Refused({"status": f"{row.district} 自 {row.start} 起已有生效的档次记录"})
    reviewed_now(row, reviewer, "confirmed")
    session.flush()
    bump(session)
