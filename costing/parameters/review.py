"""Policy parameters kept in the database.

The shipped data files (costing/engine/data/*.yaml) seed the tables on first run, and an upgrade adds
only what is new in them. Administrators add dated values; a value counts only once a second
administrator confirms it. The engine gets one consistent ParameterSet built from the confirmed rows
through the same parser as the files, so a set has the same version whether it is read from the files
or from the database, and `export_documents` writes the tables back to the same file format.
"""
from __future__ import annotations

import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .engine.money import fmt_figure, fmt_rate
from .engine.parameters import CONFIDENCE, TIER_LABELS, ParameterSet, load_documents, parse_documents
from .models import (DistrictAlias, DistrictTier, ParamDocument, ParamFamily, ParamSetting, ParamSource, ParamState,
                     ParamValue, utcnow)

SOURCE_FIELDS = ("title", "issuer", "doc_no", "date", "url", "via")
LIVE = ("pending", "confirmed")          # rows that take part in overlap checks


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# ---------------------------------------------------------------- seeding (files → database)

@dataclass
class SeedReport:
    values: int = 0
    districts: int = 0
    closed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.values or self.districts or self.closed)


def seed(session: Session, documents: list[tuple[str, dict]], origin: str = "shipped") -> SeedReport:
    """Add what the documents hold and the database does not (matched by family, region and start
    date; districts by name and start date). Existing rows are never rewritten, except that an
    open-ended value which a newly added later value succeeds gets its end date (the day before)."""
    report = SeedReport()
    _state(session)
    lock(session)
    for name, doc in sorted(documents, key=lambda item: item[0]):
        tiers = doc.get("district_tiers")
        document = session.get(ParamDocument, name)
        if document is None:
            session.add(ParamDocument(name=name, tiers_label=tiers.get("label") if tiers else None))
        sources = _seed_sources(session, name, doc.get("sources") or {})
        for position, (key, raw) in enumerate((doc.get("settings") or {}).items()):
            if session.get(ParamSetting, key) is None:
                session.add(ParamSetting(key=key, document=name, position=position, label=raw["label"],
                                         value=raw["value"], source_id=sources[raw["source"]].id,
                                         confidence=raw["confidence"], note=raw.get("note")))
        for position, (key, raw) in enumerate((doc.get("families") or {}).items()):
            family = session.get(ParamFamily, key)
            if family is None:
                family = ParamFamily(key=key, document=name, position=position, label=raw["label"], unit=raw["unit"],
                                     kind=raw["kind"], regions=list(raw["regions"]))
                session.add(family)
            family.renewal = family.renewal or raw.get("renewal")
            family.renewal_months = family.renewal_months or raw.get("renewal_months")
            added = [r for r in raw["regions"] if r not in family.regions]
            if added:                                   # a region a later release adds
                family.regions = list(family.regions) + added
            session.flush()
            _seed_values(session, family, raw["values"], sources, origin, report)
        if tiers:
            _seed_tiers(session, name, tiers, sources, origin, report)
    session.flush()
    bump(session)
    return report


def _seed_sources(session: Session, document: str, raw_sources: dict) -> dict[str, ParamSource]:
    found = {s.key: s for s in session.scalars(select(ParamSource).where(ParamSource.document == document))}
    for key, raw in raw_sources.items():
        if key not in found:
            found[key] = ParamSource(document=document, key=key, **{f: raw.get(f) for f in SOURCE_FIELDS})
            session.add(found[key])
    session.flush()
    return found


def _seed_values(session, family: ParamFamily, raw_values: list, sources, origin: str, report: SeedReport) -> None:
    """Add the values not yet known. A new value never overlaps a confirmed one: it may close the
    open-ended value before it (which the database already held), and is skipped, with a line in the
    report, where it would overlap anything else or where a pending value has the same start."""
    existing = list(session.scalars(select(ParamValue).where(ParamValue.family_key == family.key,
                                                             ParamValue.status.in_(LIVE))))
    held = {id(v) for v in existing}
    for raw in raw_values:
        region, start, end = raw["region"], _day(raw.get("start")), _day(raw.get("end"))
        same = [v for v in existing if v.region == region and v.start == start]
        if any(v.status == "confirmed" for v in same):
            continue
        where = f"{family.label}（{region}）{_iso(start) or '日期不详'} 起的数值 {raw['value']}"
        if same:
            report.skipped.append(f"{where}：与待复核的数值起始日期相同，未导入；复核或撤回后再运行一次")
            continue
        confirmed = [v for v in existing if v.region == region and v.status == "confirmed"]
        before = next((v for v in confirmed if id(v) in held and v.end is None and start
                       and (v.start or date.min) < start), None)
        clash = next((v for v in confirmed if v is not before and _meets(v.start, v.end, start, end)), None)
        if clash is not None:
            report.skipped.append(f"{where}：与已生效的 {_iso(clash.start) or '日期不详'} 至 {_iso(clash.end) or '今'} "
                                  f"的数值 {clash.value} 重叠，未导入")
            continue
        if before is not None:
            before.end = start - timedelta(days=1)
            report.closed.append(f"{family.label}（{region}）{_iso(before.start)} 起的数值截止于 {before.end}")
        row = ParamValue(family_key=family.key, region=region, start=start, end=end, value=raw["value"],
                         source_id=sources[raw["source"]].id, confidence=raw["confidence"], note=raw.get("note"),
                         status="confirmed", origin=origin)
        session.add(row)
        existing.append(row)
        report.values += 1


def _meets(start_a: date | None, end_a: date | None, start_b: date | None, end_b: date | None) -> bool:
    """Whether two periods (None: open at that end) share a day."""
    return (start_a or date.min) <= (end_b or date.max) and (start_b or date.min) <= (end_a or date.max)


def _seed_tiers(session, name: str, tiers: dict, sources, origin: str, report: SeedReport) -> None:
    known = {(t.district, t.start) for t in session.scalars(select(DistrictTier).where(DistrictTier.status.in_(LIVE)))}
    for group in tiers["tiers"]:
        start = _day(group["start"])
        for district in group["districts"]:
            if (district, start) not in known:
                session.add(DistrictTier(document=name, district=district, region=group["region"], start=start,
                                         source_id=sources[group["source"]].id, confidence=group["confidence"],
                                         status="confirmed", origin=origin))
                known.add((district, start))
                report.districts += 1
    aliases = {a.alias for a in session.scalars(select(DistrictAlias))}
    for position, (alias, district) in enumerate((tiers.get("aliases") or {}).items()):
        if alias not in aliases:
            session.add(DistrictAlias(alias=alias, document=name, position=position, district=district))


def _state(session: Session) -> ParamState:
    state = session.get(ParamState, 1)
    if state is None:
        state = ParamState(id=1, generation=0, version="")
        session.add(state)
        session.flush()
    return state


def lock(session: Session) -> None:
    """Serialise every change to the parameters (PostgreSQL: a row lock held to the commit), so checks
    made before a write still hold when it is written."""
    session.execute(select(ParamState.id).where(ParamState.id == 1).with_for_update())


def bump(session: Session) -> str:
    """Record that the confirmed set changed: every process reloads it on its next use. A set that did
    not change (a seed run that found nothing new) keeps its generation, so nothing reloads."""
    version = parse_documents(export_documents(session)).version
    if session.scalar(select(ParamState.version).where(ParamState.id == 1)) == version:
        return version
    session.execute(update(ParamState).where(ParamState.id == 1)
                    .values(generation=ParamState.generation + 1, version=version))
    return version


# ---------------------------------------------------------------- export (database → files)

def export_documents(session: Session) -> list[tuple[str, dict]]:
    """The confirmed parameters in the data files' format, one document per file."""
    documents = []
    values = list(session.scalars(select(ParamValue).where(ParamValue.status == "confirmed")))
    tiers = list(session.scalars(select(DistrictTier).where(DistrictTier.status == "confirmed")
                                 .order_by(DistrictTier.id)))
    # a source cited only by entries that are not (or not yet) in force stays out of the files
    unconfirmed = set(session.scalars(select(ParamValue.source_id).where(ParamValue.status != "confirmed")))
    unconfirmed |= set(session.scalars(select(DistrictTier.source_id).where(DistrictTier.status != "confirmed")))
    cited = {v.source_id for v in values} | {t.source_id for t in tiers}
    cited |= set(session.scalars(select(ParamSetting.source_id)))
    sources_by_id = {s.id: s for s in session.scalars(select(ParamSource).order_by(ParamSource.id))
                     if s.id in cited or s.id not in unconfirmed}
    for document in session.scalars(select(ParamDocument).order_by(ParamDocument.name)):
        name = document.name
        doc: dict = {}
        sources = {s.key: {f: getattr(s, f) for f in SOURCE_FIELDS}
                   for s in sources_by_id.values() if s.document == name}
        if sources:
            doc["sources"] = sources
        settings = session.scalars(select(ParamSetting).where(ParamSetting.document == name)
                                   .order_by(ParamSetting.position))
        settings = {s.key: _omit_none({"label": s.label, "value": s.value, "source": s.source.key,
                                       "confidence": s.confidence, "note": s.note}) for s in settings}
        if settings:
            doc["settings"] = settings
        families = {}
        for family in session.scalars(select(ParamFamily).where(ParamFamily.document == name)
                                      .order_by(ParamFamily.position)):
            order = {region: i for i, region in enumerate(family.regions)}
            rows = sorted((v for v in values if v.family_key == family.key),
                          key=lambda v: (v.start or date.min, order.get(v.region, len(order)), v.id))
            families[family.key] = _omit_none({
                "label": family.label, "unit": family.unit, "kind": family.kind, "regions": list(family.regions),
                "renewal": family.renewal, "renewal_months": family.renewal_months,
                "values": [_omit_none({"start": _iso(v.start), "end": _iso(v.end), "region": v.region,
                                       "value": v.value, "source": sources_by_id[v.source_id].key,
                                       "confidence": v.confidence, "note": v.note}, keep=("start", "end"))
                           for v in rows]})
        if families:
            doc["families"] = families
        if document.tiers_label is not None:
            doc["district_tiers"] = _export_tiers(session, document, [t for t in tiers if t.document == name],
                                                  sources_by_id)
        documents.append((name, doc))
    return documents


def _export_tiers(session, document: ParamDocument, tiers: list[DistrictTier], sources_by_id) -> dict:
    groups: dict[tuple, dict] = {}
    for t in tiers:
        key = (t.region, t.start, t.source_id, t.confidence)
        if key not in groups:
            groups[key] = {"region": t.region, "start": _iso(t.start), "source": sources_by_id[t.source_id].key,
                           "confidence": t.confidence, "districts": []}
        groups[key]["districts"].append(t.district)
    out = {"label": document.tiers_label, "tiers": list(groups.values())}
    aliases = session.scalars(select(DistrictAlias).where(DistrictAlias.document == document.name)
                              .order_by(DistrictAlias.position))
    aliases = {a.alias: a.district for a in aliases}
    if aliases:
        out["aliases"] = aliases
    return out


def _omit_none(row: dict, keep: tuple = ()) -> dict:
    return {k: v for k, v in row.items() if v is not None or k in keep}


HEADER = ("# 由 `python -m costing params --export` 从数据库导出的政策参数（只含已复核生效的数值）。\n"
          "# 格式与 costing/engine/data/ 下随软件发布的数据文件相同，可用 `flask costing seed --from 目录` 导入。\n")


def write_documents(folder: Path, documents: list[tuple[str, dict]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in documents:
        path = folder / name
        path.write_text(HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120), "utf-8")
        written.append(path)
    return written


def read_documents(folder: Path) -> list[tuple[str, dict]]:
    """The *.yaml files of a folder, parsed (and checked by building a ParameterSet from them)."""
    documents = load_documents(folder)
    if not documents:
        raise ValueError(f"{folder}: 没有 .yaml 数据文件")
    parse_documents(documents)
    return documents


# ---------------------------------------------------------------- the set the engine uses

class Provider:
    """Per application: the confirmed set, rebuilt when another process or request changed it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._params: ParameterSet | None = None

    def get(self, session: Session) -> ParameterSet:
        state = session.get(ParamState, 1)
        if state is None:
            self._seed_first_run(session)
            state = session.get(ParamState, 1)
        if state.generation != self._generation:
            with self._lock:
                if state.generation != self._generation:
                    self._params = parse_documents(export_documents(session))
                    self._generation = state.generation
        return self._params

    @staticmethod
    def _seed_first_run(session: Session) -> None:
        """An empty database gets the shipped figures (in its own transaction)."""
        with Session(session.get_bind()) as own:
            if own.get(ParamState, 1) is None:
                try:
                    seed(own, load_documents())
                    own.commit()
                except IntegrityError:          # another process seeded it first
                    own.rollback()


def today_version(session: Session) -> str:
    state = session.get(ParamState, 1)
    return state.version if state else ""


def reviewed_now(row, reviewer, status: str, note: str = "") -> None:
    row.status, row.reviewed_by_id, row.reviewed_at, row.review_note = status, reviewer.id, utcnow(), note


# ---------------------------------------------------------------- administration (two-person rule)

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


@dataclass
class SourceInput:
    doc_no: str = ""
    title: str = ""
    issuer: str = ""
    date: date | None = None
    url: str = ""

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
        if self.url and not re.fullmatch(r"https?://\S{1,490}", self.url, flags=re.IGNORECASE):
            found["url"] = "链接须以 http:// 或 https:// 开头，且不含空格"
        return found

    def make(self, session: Session, document: str) -> ParamSource:
        source = ParamSource(document=document, key=f"new-{uuid.uuid4().hex}", title=self.title or self.doc_no,
                             issuer=self.issuer, doc_no=self.doc_no or None, date=_iso(self.date),
                             url=self.url or None, via="管理员录入")
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
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").replace("，", "")
    percent = cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1].strip()
    if re.fullmatch(r"-\s*[0-9.]+", cleaned):
        raise ValueError("不能是负数")
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,6})?", cleaned):
        raise ValueError("请填写数字" + ("，如 16% 或 0.16" if unit == "rate" else ""))
    value = Decimal(cleaned)
    if percent:
        if unit not in ("rate", "factor"):
            raise ValueError(f"单位是{UNIT_HINTS[unit]}，不能用百分数")
        value = value / 100
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
    if data.region not in family.regions:
        problems["region"] = "请选择适用范围"
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
    if "start" not in problems and "end" not in problems and "region" not in problems:
        clash = _overlap(session, family.key, data.region, data.start, data.end, {data.replaces})
        if clash:
            problems["start"] = clash
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
            f"（{_iso(before.start) or '日期不详'} 起）相差一倍以上，请核对；确实如此的，请在“说明”中写明")

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
            return (f"待复核的 {_iso(rival.start)} 起的数值 {_shown(rival)} 复核通过时将截止 "
                    f"{_iso(row.start) or '日期不详'} 起的数值；请先复核或撤回它，再录入本数值")
        if _meets(row.start, row.end, start, end):
            period = f"{_iso(row.start) or '日期不详'} 至 {_iso(row.end) or '今'}"
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
    return (f"复核通过后，{_iso(before.start) or '日期不详'} 起的数值 {_shown(before)} "
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
        replaced.review_note = f"由 {_iso(row.start)} 起的 {_shown(row)} 更正（{row.note or ''}）"[:500]
    closed = None
    before = _open_predecessor(session, row)
    if before is not None:
        before.end = row.start - timedelta(days=1)
        closed = f"{_iso(before.start) or '日期不详'} 起的数值 {_shown(before)} 截止于 {before.end}"
    reviewed_now(row, reviewer, "confirmed")
    session.flush()
    bump(session)
    return closed


def reject(session: Session, row, reviewer, reason: str) -> None:
    _reviewable(row, reviewer)
    if not reason.strip():
        raise Refused({"reason": "请说明驳回理由"})
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
