"""Administration of the policy parameters under the two-person rule: a dated value or a district's tier
is entered as pending, checked (what it can be, dates, overlaps, source) and weighed (plausibility: its unit's
range, its family's neighbours), and counts only once a second administrator confirms it, acknowledging any
flag; corrections of confirmed values follow the same rule. Every door a figure comes in by (the pages, an
import, an upgrade's seed) uses these checks."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine import plausible
from ..engine.money import fmt_figure, fmt_rate
from ..engine.numbers import typed_decimal
from ..engine.parameters import CONFIDENCE, TIER_LABELS
from ..engine.text import free_text_problem
from ..models import DistrictAlias, DistrictTier, ParamDocument, ParamFamily, ParamSource, ParamValue, utcnow
from ..results import labels
from .export import iso
from .state import LIVE, bump, lock, meets


def reviewed_now(row, reviewer, status: str, note: str = "") -> None:
    row.status, row.reviewed_by_id, row.reviewed_at, row.review_note = status, reviewer.id, utcnow(), note


EARLIEST = date(2000, 1, 1)
AHEAD_DAYS = 366          # a notice may be published up to a year before it takes effect
UNIT_HINTS = {"CNY/month": "元/月", "CNY/hour": "元/小时", "rate": "费率（如 16% 或 0.16）", "factor": "系数（0–1）",
              "persons": "人", "workers": "人"}
OFFICIAL = "verified_official"       # 已核实（官方网站原文）: needs the original's address and its 文号


class Refused(Exception):
    """An administrative action that cannot be taken; `problems` maps form fields to messages."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("；".join(problems.values()))


OFFICIAL_URL = re.compile(r"https?://[^/\s]+\.gov\.cn(/\S{0,480})?", re.IGNORECASE)

# the shapes a 文号 takes (README「政策参数从哪里来」lists them): 机关代字〔年份〕序号号, 机关…公告年份年第序号号, 机关…令第序号号
_ISSUER_CODE = r"[\u4e00-\u9fffA-Za-z·、 ]{1,60}"
_NUMBER = r"[0-9]{1,5}"
DOC_NO_SHAPES = (
    ("渝人社发〔2024〕22号", re.compile(rf"{_ISSUER_CODE}〔(?:19|20)[0-9]{{2}}〕{_NUMBER}号")),
    ("财政部 税务总局公告2023年第19号", re.compile(rf"{_ISSUER_CODE}公告(?:19|20)[0-9]{{2}}年第{_NUMBER}号")),
    ("财政部令第102号", re.compile(rf"{_ISSUER_CODE}令第(?:{_NUMBER}|[一二三四五六七八九十百千零〇]{{1,8}})号")),
)
_WRONG_BRACKETS = re.compile(r"[\[【［(（〈<].{4}[\]】］)）〉>]")


def doc_no_problem(doc_no: str) -> str | None:
    """Why a 文号 is not in one of the usual shapes (None: it is)."""
    if any(shape.fullmatch(doc_no) for _example, shape in DOC_NO_SHAPES):
        return None
    examples = "、".join(example for example, _shape in DOC_NO_SHAPES)
    if _WRONG_BRACKETS.search(doc_no):
        return f"文号中的年份用六角括号〔〕，如 {DOC_NO_SHAPES[0][0]}"
    return f"文号应按原件写作如 {examples} 的形式（机关代字〔年份〕序号号、…公告年份年第序号号、…令第序号号）"


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

    def problems(self, today: date, confidence: str = "") -> dict[str, str]:
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
        found.update({f: m for f, m in self.citation_problems(confidence).items() if f not in found})
        for field, text in (("doc_no", self.doc_no), ("title", self.title), ("issuer", self.issuer),
                            ("verified_by", self.verified_by), ("source_note", self.note)):
            problem = free_text_problem(text)
            if problem:
                found[field] = problem
        return found

    def citation_problems(self, confidence: str = "") -> dict[str, str]:
        """What every door checks of a citation, a data file's too: a 文号 in a usual shape, and for
        「已核实（官方网站原文）」 the original's address on a government site and its 文号."""
        found = {}
        if self.doc_no and doc_no_problem(self.doc_no):
            found["doc_no"] = doc_no_problem(self.doc_no)
        if confidence == OFFICIAL:
            if not self.url:
                found["url"] = f"「{CONFIDENCE[OFFICIAL]}」须填写政府网站上原文的地址"
            elif not OFFICIAL_URL.fullmatch(self.url):
                found["url"] = f"「{CONFIDENCE[OFFICIAL]}」的原文地址须是政府网站（.gov.cn）上的"
            if not self.doc_no:
                found.setdefault("doc_no", f"「{CONFIDENCE[OFFICIAL]}」须填写文号")
        return found

    def matches(self, source: ParamSource) -> bool:
        """Whether this is, field for field, the citation ``source`` holds."""
        mine = {"doc_no": self.doc_no or None, "title": self.title or None, "issuer": self.issuer or None,
                "date": iso(self.date), "effective": iso(self.effective), "url": self.url or None,
                "note": self.note or None, "verified_by": self.verified_by or None, "verified_on": iso(self.verified_on)}
        return all(getattr(source, field) == value for field, value in mine.items())

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
    acknowledged: bool = False         # the entrant ticked that the flagged value is as meant


def parse_value(text: str, unit: str) -> Decimal:
    """The typed value as a Decimal in the family's unit (rates accept "16%" or "0.16"); ValueError when it
    cannot be a figure of that unit. Whether it is plausible is ``plausible.flags``'s question."""
    try:
        value, percent = typed_decimal(text)
    except ValueError as exc:
        raise ValueError(f"{exc}，如 16% 或 0.16" if unit == "rate" and str(exc) == "请填写数字" else str(exc)) from None
    if percent and unit not in ("rate", "factor"):
        raise ValueError(f"单位是{UNIT_HINTS[unit]}，不能用百分数")
    problem = plausible.refusal(value, unit)
    if problem:
        raise ValueError(problem)
    return value


def check_value(session: Session, family: ParamFamily, data: ValueInput, today: date,
                weigh: bool = True) -> dict[str, str]:
    """Everything wrong with a new value for `family`, by form field; a flagged value that the entrant has not
    acknowledged (or acknowledged without saying why in 说明) is wrong too (unless ``weigh`` is False: the
    caller weighs it once it stands beside the other figures of its notice)."""
    problems = data.source.problems(today, data.confidence)
    replaced = None
    if data.replaces is not None:
        replaced = session.get(ParamValue, data.replaces)
        if replaced is None or replaced.family_key != family.key or replaced.status != "confirmed":
            return {**problems, "status": "要更正的数值不存在或已不是生效状态，请刷新页面"}
        if session.scalar(select(ParamValue.id).where(ParamValue.replaces_id == replaced.id,
                                                      ParamValue.status == "pending")):
            return {**problems, "status": "这个数值已有待复核的更正，请先复核或撤回它"}
        if not data.note:
            problems["note"] = "更正已生效的数值时，请在“说明”中写明更正原因"
    if free_text_problem(data.note or ""):
        problems["note"] = free_text_problem(data.note)
    problems.update(_region_problems(session, family, data.region))
    problems.update(period_problems(data.start, data.end, today))
    if data.confidence not in CONFIDENCE:
        problems["confidence"] = "请选择可信度"
    if not {"start", "end", "region", "district"} & problems.keys():
        clash = _overlap(session, family.key, data.region, data.start, data.end, {data.replaces})
        if clash:
            problems["start"] = clash
    try:
        value = parse_value(data.value, family.unit)
    except ValueError as exc:
        problems["value"] = str(exc)
        return problems
    if {"region", "district", "start"} & problems.keys() or not weigh:
        return problems
    problems.update(flag_problems(flags(session, family, data.region, data.start, value, {data.replaces}), data))
    return problems


def flag_problems(found: list[str], data: ValueInput) -> dict[str, str]:
    """A flagged value goes forward only when the entrant ticked that it is as meant, and said why in 说明."""
    if found and not data.acknowledged:
        return {"value": "；".join(found) + "。请核对",
                "acknowledge": "数值有提示，尚未勾选（另一位管理员复核时也会看到这些提示）"}
    if found and not data.note:
        return {"note": "数值有提示（" + "；".join(found) + "）：请在“说明”中写明为何如此"}
    return {}


def period_problems(start: date | None, end: date | None, today: date) -> dict[str, str]:
    problems = {}
    if start is None:
        problems["start"] = "请填写起始日期"
    elif start < EARLIEST:
        problems["start"] = f"起始日期不能早于 {EARLIEST}"
    elif start > today + timedelta(days=AHEAD_DAYS):
        problems["start"] = f"起始日期 {start} 距今超过一年，请核对"
    if start and end and end < start:
        problems["end"] = f"截止日期 {end} 早于起始日期 {start}"
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


# ------------------------------------------------------------------ plausibility: a figure beside its family

def flags(session: Session, family: ParamFamily, region: str, start: date | None, value: Decimal,
          exclude: set) -> list[str]:
    """Why a value for ``family`` in ``region`` from ``start`` is implausible (plausible.flags) beside the
    family's other live rows but those in ``exclude`` (itself, the value it corrects)."""
    return plausible.flags(value, family.unit, family.key, neighbours(session, family, region, start, exclude))


def row_flags(session: Session, row: ParamValue) -> list[str]:
    """The flags of a pending or proposed row, as the reviewer sees them (and must acknowledge)."""
    return flags(session, row.family, row.region, row.start, Decimal(row.value), {row.id, row.replaces_id})


def neighbours(session: Session, family: ParamFamily, region: str, start: date | None,
               exclude: set) -> list[plausible.Neighbour]:
    """The figures a value is weighed against: the same region's previous and next confirmed periods; the
    nearest higher and lower grade or tier (the same district's, for a district's own standard); and the
    family's other regions (other districts' same grade), each the value in force on ``start`` (else the
    nearest), pending ones said so."""
    on = start or date.min
    rows = [r for r in session.scalars(select(ParamValue).where(ParamValue.family_key == family.key,
                                                                ParamValue.status.in_(LIVE)))
            if r.id not in exclude]
    found = []
    same = sorted((r for r in rows if r.region == region and r.status == "confirmed"),
                  key=lambda r: r.start or date.min)
    before = [r for r in same if (r.start or date.min) < on]
    after = [r for r in same if (r.start or date.min) > on]
    if before:
        found.append(plausible.Neighbour(f"上一期（{iso(before[-1].start) or '日期不详'} 起）", Decimal(before[-1].value),
                                         "previous"))
    if after:
        found.append(plausible.Neighbour(f"下一期（{iso(after[0].start)} 起）", Decimal(after[0].value), "next"))
    district, _, grade = region.rpartition(":")
    by_region: dict[str, list[ParamValue]] = {}
    for row in rows:
        other_district, _, other_grade = row.region.rpartition(":")
        if row.region != region and (other_district == district or other_grade == grade):
            by_region.setdefault(row.region, []).append(row)
    ranked = []
    for other, candidates in sorted(by_region.items()):
        row = _nearest(candidates, on)
        label = labels.region(other) + ("（待复核）" if row.status == "pending" else "")
        other_district, _, other_grade = other.rpartition(":")
        rank = plausible.RANKS.get(other_grade) if other_district == district else None
        if rank is not None and grade in plausible.RANKS and rank != plausible.RANKS[grade]:
            ranked.append((rank, plausible.Neighbour(label, Decimal(row.value), "peer")))
        else:
            found.append(plausible.Neighbour(label, Decimal(row.value), "peer"))
    mine = plausible.RANKS.get(grade)
    higher = min((r for r in ranked if r[0] > (mine or 0)), key=lambda r: r[0], default=None)
    lower = max((r for r in ranked if r[0] < (mine or 0)), key=lambda r: r[0], default=None)
    for entry in ranked:
        kind = "higher" if entry is higher else "lower" if entry is lower else "peer"
        found.append(plausible.Neighbour(entry[1].label, entry[1].value, kind))
    return found


def _nearest(rows: list[ParamValue], on: date) -> ParamValue:
    """The row in force on ``on`` (a confirmed one before a pending one), else the latest before, else the first."""
    covering = [r for r in rows if meets(r.start, r.end, on, on)]
    if covering:
        return min(covering, key=lambda r: (r.status != "confirmed", -(r.start or date.min).toordinal()))
    earlier = [r for r in rows if (r.start or date.min) < on]
    if earlier:
        return max(earlier, key=lambda r: r.start or date.min)
    return min(rows, key=lambda r: r.start or date.min)


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


def add_value(session: Session, family: ParamFamily, data: ValueInput, user, today: date,
              source: ParamSource | None = None) -> ParamValue:
    """A pending value entered by ``user`` (Refused with the problems by field). It cites ``source`` (one notice's
    several figures share one), else the source of the value it corrects when the citation is unchanged, else
    a new source."""
    lock(session)
    problems = check_value(session, family, data, today)
    if problems:
        raise Refused(problems)
    if source is None:
        replaced = session.get(ParamValue, data.replaces) if data.replaces else None
        source = (replaced.source if replaced is not None and data.source.matches(replaced.source)
                  else data.source.make(session, family.document))
    row = ParamValue(family_key=family.key, region=data.region, start=data.start, end=data.end,
                     value=fmt_rate(parse_value(data.value, family.unit)), source_id=source.id,
                     confidence=data.confidence, note=data.note or None, status="pending", origin="admin",
                     created_by_id=user.id, replaces_id=data.replaces)
    session.add(row)
    session.flush()
    return row


SOURCE_FIELDS = frozenset({"doc_no", "title", "issuer", "doc_date", "effective_date", "url", "confidence",
                           "verified_by", "verified_on", "source_note"})


def add_notice(session: Session, rows: list[tuple[ParamFamily, ValueInput]], source: SourceInput, confidence: str,
               user, today: date) -> list[ParamValue]:
    """Several figures of one notice (the floor and the ceiling of a year, say), citing one source typed once:
    each pending, under the checks of a single value and weighed beside the others of the notice too. Refused
    with the problems by field: the shared ones by their name, a row's as ``rows-<i>-<field>``; nothing is
    added unless every row is right."""
    lock(session)
    problems = source.problems(today, confidence)
    if confidence not in CONFIDENCE:
        problems["confidence"] = "请选择可信度"
    if not rows:
        problems["notice"] = "请至少填写一行数值"
    made: dict[str, ParamSource] = {}          # one a data file: a file's figures cite its own sources
    added = []
    for i, (family, data) in enumerate(rows):
        found = {k: v for k, v in check_value(session, family, data, today, weigh=False).items()
                 if k not in SOURCE_FIELDS}
        if found:
            problems.update({f"rows-{i}-{k}": v for k, v in found.items()})
            continue
        row = ParamValue(family_key=family.key, region=data.region, start=data.start, end=data.end,
                         value=fmt_rate(parse_value(data.value, family.unit)),
                         source_id=(made.get(family.document) or made.setdefault(
                             family.document, source.make(session, family.document))).id,
                         confidence=confidence, note=data.note or None, status="pending", origin="admin",
                         created_by_id=user.id)
        session.add(row)
        session.flush()
        added.append((i, row, data))
    for i, row, data in added:            # weighed beside each other, and said with any other problem
        for key, message in flag_problems(row_flags(session, row), data).items():
            problems[key if key == "acknowledge" else f"rows-{i}-{key}"] = message
    if problems:
        raise Refused(problems)
    return [row for _i, row, _data in added]


def _reviewable(row, reviewer) -> None:
    if row.status != "pending":
        raise Refused({"status": f"该项目前为「{row.status_label}」，不能再处理"})
    if row.created_by_id == reviewer.id:
        raise Refused({"status": "录入人不能复核自己录入的数值：须由另一位管理员复核（两人原则）"})


def confirm_value(session: Session, row: ParamValue, reviewer, acknowledged: bool = False) -> str | None:
    """Confirm a pending value (locked row); returns what happened to the value before it. A flagged value
    is confirmed only with the reviewer's acknowledgement of its flags (as they stand now)."""
    _reviewable(row, reviewer)
    found = row_flags(session, row)
    if found and not acknowledged:
        raise Refused({"acknowledge": "该数值有提示（" + "；".join(found) + "）：确认无误的，请勾选“已核对提示”后再复核通过"})
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
    problems = data.source.problems(today, data.confidence)
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
