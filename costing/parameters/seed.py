"""Seeding the parameter tables from data files. An empty database (a first install, the tests) takes the
shipped files as they are. Into a database that holds figures, data files — the files an upgrade ships
(``costing seed``) or exported ones (``costing seed --from``) — come in by the same door as a figure typed on
the page: every new or changed figure is a proposal (pending) that a second administrator confirms, weighed
by the same checks and flagged by the same plausibility rule. The report says, line by line, what was
proposed, what was left as it is (unchanged) and what was refused, and why."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..engine.money import fmt_figure
from ..engine.parameters import SOURCE_FIELDS, TIER_LABELS, read_source, takes_region
from ..engine.text import free_text_problem
from ..models import (
    DistrictAlias,
    DistrictTier,
    ParamDocument,
    ParamFamily,
    ParamSetting,
    ParamSource,
    ParamValue,
)
from ..results import labels
from . import review
from .export import day, iso
from .state import LIVE, bump, lock, meets, state

__all__ = ["SeedLine", "SeedReport", "seed", "bump", "lock", "meets", "LIVE"]


@dataclass
class SeedLine:
    """One figure of the files, as people read it (社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元), and why
    it was refused, or the flags it is proposed with; ``row`` is the proposal."""
    what: str
    why: str = ""
    row: ParamValue | DistrictTier | None = None


@dataclass
class SeedReport:
    values: int = 0               # figures added as they are: a first install, a family new to the database, a split
    districts: int = 0            # district tiers added as they are (a first install)
    proposed: list[SeedLine] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[SeedLine] = field(default_factory=list)
    added: list[str] = field(default_factory=list)     # on an upgrade, what was added as it is, and why
    closed: list[str] = field(default_factory=list)
    cited: int = 0               # shipped citations brought up to date (sources rewritten, values re-pointed)
    first: bool = False          # the database was empty: everything was added as it is

    @property
    def changed(self) -> bool:
        return bool(self.values or self.districts or self.closed or self.cited or self.proposed)

    @property
    def lines(self) -> list[str]:
        """The report, a line each, as the command prints it and the audit log keeps it."""
        out = [f"提出待复核：{line.what}" + (f"【提示：{line.why}】" if line.why else "") for line in self.proposed]
        out += [f"未导入：{line.what}：{line.why}" for line in self.refused]
        out += [f"直接加入：{line}" for line in self.added]
        out += [f"截止：{line}" for line in self.closed]
        out += [f"未改动：{line}" for line in self.unchanged]
        return out

    @property
    def summary(self) -> str:
        tiers = sum(isinstance(line.row, DistrictTier) for line in self.proposed)
        parts = [f"提出 {len(self.proposed) - tiers} 个数值" + (f"、{tiers} 条区县档次" if tiers else "") + "待复核",
                 f"未改动 {len(self.unchanged)} 项", f"未导入 {len(self.refused)} 项"]
        if self.values or self.districts:
            parts.insert(0, f"直接加入 {self.values} 个数值" + (f"、{self.districts} 条区县档次" if self.districts else ""))
        return "，".join(parts)


def seed(session: Session, documents: list[tuple[str, dict]], origin: str = "shipped", by=None,
         today: date | None = None) -> SeedReport:
    """Bring what the documents hold into the database. Empty (no figure, no district yet), it takes them as
    they are. Otherwise each figure not held yet, or held with another value or period, is proposed (pending,
    entered by ``by`` or, without one, by the release) under the checks of the page, or refused saying why;
    what the database already holds is left as it is. Two things an upgrade brings are added as they are,
    because the software needs them or because no figure changes: a family new to the database (and its
    figures), and a shipped figure the files now split by document (the same value from the same day, its
    pieces after it). The citations of shipped figures nobody has verified follow the shipped files."""
    report = SeedReport(first=_empty(session))
    today = today or clock.today()
    state(session)
    lock(session)
    for name, doc in sorted(documents, key=lambda item: item[0]):
        tiers = doc.get("district_tiers")
        document = session.get(ParamDocument, name)
        if document is None:
            session.add(ParamDocument(name=name, tiers_label=tiers.get("label") if tiers else None))
        sources = _seed_sources(session, name, doc.get("sources") or {}, origin, report)
        _seed_settings(session, name, doc.get("settings") or {}, sources, report)
        for position, (key, raw) in enumerate((doc.get("families") or {}).items()):
            family = session.get(ParamFamily, key)
            new = family is None
            if new and origin != "shipped" and not report.first:
                report.refused += [SeedLine(f"{raw['label']} {_region(v['region'])} {v.get('start') or '日期不详'} 起 "
                                            f"{v['value']}", "数据库中没有这个参数：导入的文件只能为已有的参数提出数值")
                                   for v in raw["values"]]
                continue
            if new:
                family = ParamFamily(key=key, document=name, position=position, label=raw["label"], unit=raw["unit"],
                                     kind=raw["kind"], regions=list(raw["regions"]))
                session.add(family)
            family.renewal = family.renewal or raw.get("renewal")
            family.renewal_months = family.renewal_months or raw.get("renewal_months")
            family.by_district = bool(family.by_district or raw.get("by_district"))
            family.categories = list(family.categories or raw.get("categories") or [])
            added = [r for r in raw["regions"] if r not in family.regions]
            if added:                                   # a region a later release adds
                family.regions = list(family.regions) + added
            session.flush()
            values = _Values(session, family, sources, origin, report, by, today, direct=report.first or new)
            values.seed(raw["values"])
        if tiers:
            _seed_tiers(session, name, tiers, sources, origin, report, by, today)
        if origin == "shipped":
            _drop_retired_sources(session, name, set(doc.get("sources") or {}), report)
    session.flush()
    bump(session)
    return report


def _empty(session: Session) -> bool:
    return not any(session.scalar(select(func.count()).select_from(model)) for model in (ParamValue, DistrictTier))


def _region(region: str) -> str:
    return labels.region(region)


def _figure(family: ParamFamily, value: str) -> str:
    try:
        return fmt_figure(Decimal(value), family.unit)
    except ArithmeticError:
        return value


def _what(family: ParamFamily, region: str, start: date | None, value: str) -> str:
    return f"{family.label} {_region(region)} {iso(start) or '日期不详'} 起 {_figure(family, value)}"


def _period(row) -> str:
    return f"{iso(row.start) or '日期不详'} 至 {iso(row.end) or '今'}"


def _seed_settings(session: Session, name: str, raw_settings: dict, sources, report: SeedReport) -> None:
    """A setting new to the database is added (the release that ships it needs it); one the files hold with
    another value is not changed (settings change with the software)."""
    for position, (key, raw) in enumerate(raw_settings.items()):
        row = session.get(ParamSetting, key)
        if row is None:
            session.add(ParamSetting(key=key, document=name, position=position, label=raw["label"],
                                     value=raw["value"], source_id=sources[raw["source"]].id,
                                     confidence=raw["confidence"], note=raw.get("note")))
            if not report.first:
                report.added.append(f"设置「{raw['label']}」{raw['value']}（新版本软件需要它）")
        elif row.value != raw["value"]:
            report.refused.append(SeedLine(f"设置「{row.label}」{raw['value']}",
                                           f"数据库中为 {row.value}；设置随软件版本确定，不从数据文件改动"))


class _Values:
    """The figures of one family in the files, brought into the database."""

    def __init__(self, session: Session, family: ParamFamily, sources, origin: str, report: SeedReport, by,
                 today: date, direct: bool):
        self.session, self.family, self.sources, self.origin = session, family, sources, origin
        self.report, self.by, self.today, self.direct = report, by, today, direct
        self.existing = list(session.scalars(select(ParamValue).where(ParamValue.family_key == family.key,
                                                                      ParamValue.status.in_(LIVE))))
        self.held = {id(v) for v in self.existing}
        self.pieces: set[int] = set()           # positions of file values that are pieces of a split shipped figure

    def seed(self, raw_values: list) -> None:
        self._find_splits(raw_values)
        starts = {(raw["region"], day(raw.get("start"))) for raw in raw_values}
        for position, raw in enumerate(raw_values):
            region, start, end = raw["region"], day(raw.get("start")), day(raw.get("end"))
            what = _what(self.family, region, start, raw["value"])
            if not takes_region(region, self.family.regions, bool(self.family.by_district)):
                # e.g. an export from before the 职业津贴 became each district's own: its figures name no district
                self.report.refused.append(SeedLine(what, "适用范围不是本参数的" + (
                    "“区县:证书”" if self.family.by_district else "适用范围之一")))
                continue
            same = [v for v in self.existing if v.region == region and v.start == start]
            held = next((v for v in same if v.status == "confirmed"), None)
            if held is not None:
                self._held(held, raw, what, end, starts)
            elif same:
                self.report.refused.append(SeedLine(what, "与待复核的数值起始日期相同；复核或撤回后再导入"))
            elif self.direct:
                self._add_directly(raw, what)
            elif position in self.pieces:
                self._add(raw, "confirmed")
                self.report.values += 1
                self.report.added.append(f"{what}（随软件发布的数值按文件拆分，数值不变）")
            else:
                self._propose(raw, what)

    # ---------------------------------------------------------------- a figure the database holds

    def _held(self, row: ParamValue, raw: dict, what: str, end: date | None, starts: set) -> None:
        if Decimal(row.value) == Decimal(raw["value"]) and row.end == end:
            if self._recite(row, raw):
                self.report.cited += 1
            elif self.origin != "shipped" and not self._same_citation(row, raw):
                what += "（文件中的依据、可信度或说明与数据库不同，未改动；核实来源请用“核实清单”）"
            self.report.unchanged.append(what)
            return
        if id(row) in self.splits:
            new_end = self.splits[id(row)]
            self.report.closed.append(f"{_what(self.family, row.region, row.start, row.value)} 按文件拆分，截止于 {new_end}")
            row.end = new_end
            if self._recite(row, raw):
                self.report.cited += 1
            self.report.unchanged.append(what)
            return
        if Decimal(row.value) == Decimal(raw["value"]):
            if row.end is None and end is not None and (row.region, end + timedelta(days=1)) in starts:
                self.report.unchanged.append(f"{what}（截止日期 {end} 在其后的新数值复核通过时设定）")
                return
            if row.end is not None and (end is None or row.end < end) and any(
                    v.region == row.region and v.status == "confirmed" and v.start == row.end + timedelta(days=1)
                    for v in self.existing):
                self.report.unchanged.append(f"{what}（数据库中已由 {row.end + timedelta(days=1)} 起的数值截止于 {row.end}）")
                return
        if self.origin == "shipped" and row.origin != "shipped":
            self.report.refused.append(SeedLine(what, (
                f"数据库中为{row.origin_label}并复核的 {_figure(self.family, row.value)}（{_period(row)}）；"
                "随软件发布的数值不替换它")))
            return
        reason = (raw.get("note") or "").strip()
        if self.origin != "shipped" and (not reason or reason == (row.note or "")):
            self.report.refused.append(SeedLine(what, (
                f"与已生效的 {_figure(self.family, row.value)}（{_period(row)}）不同；更正已生效的数值须写明原因："
                "在文件中该数值的 note 写明更正原因后再导入，或在网页上“更正”")))
            return
        self._propose(raw, what, replaces=row)

    def _same_citation(self, row: ParamValue, raw: dict) -> bool:
        source = self.sources[raw["source"]]
        return row.source_id == source.id and row.confidence == raw["confidence"] and row.note == raw.get("note")

    def _recite(self, row: ParamValue, raw: dict) -> bool:
        """A shipped figure, unchanged, that the shipped files now cite from another document points there (with
        the files' grading and remark), unless someone verified its source. True if it changed."""
        if self.origin != "shipped" or row.origin != "shipped" or row.source.verified:
            return False
        shipped = {"source_id": self.sources[raw["source"]].id, "confidence": raw["confidence"], "note": raw.get("note")}
        if all(getattr(row, f) == v for f, v in shipped.items()):
            return False
        for f, v in shipped.items():
            setattr(row, f, v)
        return True

    def _find_splits(self, raw_values: list) -> None:
        """Shipped figures the shipped files now split by document: the same value from the same day, ending
        sooner, and pieces with that same value covering every day up to where the figure ended. Such a split
        changes no figure, so it is made as it is (a split whose pieces differ would leave a gap until they are
        confirmed: it is a change like any other)."""
        self.splits: dict[int, date] = {}
        if self.origin != "shipped" or self.direct:
            return
        for row in self.existing:
            if row.status != "confirmed" or row.origin != "shipped":
                continue
            head = next((raw for raw in raw_values if raw["region"] == row.region and day(raw.get("start")) == row.start
                         and Decimal(raw["value"]) == Decimal(row.value)), None)
            if head is None or day(head.get("end")) is None or (row.end is not None and day(head["end"]) >= row.end):
                continue
            pieces, reach = [], day(head["end"])
            while reach is not None and (row.end is None or reach < row.end):
                piece = next((i for i, raw in enumerate(raw_values) if raw["region"] == row.region
                              and day(raw.get("start")) == reach + timedelta(days=1)), None)
                if piece is None or Decimal(raw_values[piece]["value"]) != Decimal(row.value):
                    break
                pieces.append(piece)
                reach = day(raw_values[piece].get("end"))
            if reach == row.end and pieces and not any(
                    v.region == row.region and v is not row and meets(v.start, v.end, day(head["end"]), row.end)
                    for v in self.existing):
                self.splits[id(row)] = day(head["end"])
                self.pieces.update(pieces)

    # ---------------------------------------------------------------- a figure the database does not hold

    def _add_directly(self, raw: dict, what: str) -> None:
        """A first install or a family new to the database: the figure as it is. It never overlaps a confirmed one;
        it may end the open-ended value before it."""
        region, start, end = raw["region"], day(raw.get("start")), day(raw.get("end"))
        confirmed = [v for v in self.existing if v.region == region and v.status == "confirmed"]
        before = next((v for v in confirmed if id(v) in self.held and v.end is None and start
                       and (v.start or date.min) < start), None)
        clash = next((v for v in confirmed if v is not before and meets(v.start, v.end, start, end)), None)
        if clash is not None:
            self.report.refused.append(SeedLine(what, f"与已生效的 {_period(clash)} 的数值 "
                                                      f"{_figure(self.family, clash.value)} 重叠"))
            return
        if before is not None:
            before.end = start - timedelta(days=1)
            self.report.closed.append(f"{_what(self.family, region, before.start, before.value)} 截止于 {before.end}")
        self._add(raw, "confirmed")
        self.report.values += 1
        if not self.report.first:
            self.report.added.append(f"{what}（新参数，新版本软件需要它）")

    def _propose(self, raw: dict, what: str, replaces: ParamValue | None = None) -> None:
        """A new or changed figure: pending, under the checks of the page, or refused saying why."""
        region, start, end = raw["region"], day(raw.get("start")), day(raw.get("end"))
        problems = review.period_problems(start, end, self.today)
        try:
            review.parse_value(raw["value"], self.family.unit)
        except ValueError as exc:
            problems["value"] = str(exc)
        source = self.sources[raw["source"]]
        problems.update(_citation(source).citation_problems(raw["confidence"]))
        if free_text_problem(raw.get("note") or ""):
            problems["note"] = "说明：" + free_text_problem(raw["note"])
        if not problems:
            clash = review._overlap(self.session, self.family.key, region, start, end, {replaces.id if replaces else None})
            if clash:
                problems["start"] = clash
        if replaces is not None and self.session.scalar(select(ParamValue.id).where(
                ParamValue.replaces_id == replaces.id, ParamValue.status == "pending")):
            problems["status"] = "这个数值已有待复核的更正"
        if problems:
            self.report.refused.append(SeedLine(what, "；".join(dict.fromkeys(problems.values()))))
            return
        row = self._add(raw, "pending", replaces)
        found = review.row_flags(self.session, row)
        if replaces is not None:
            what += (f"（更正 {_figure(self.family, replaces.value)}，{_period(replaces)}；"
                     + (f"理由：{row.note}）" if self.origin != "shipped" else "随软件新版本的数据文件）"))
        self.report.proposed.append(SeedLine(what, "；".join(found), row))

    def _add(self, raw: dict, status: str, replaces: ParamValue | None = None) -> ParamValue:
        row = ParamValue(family_key=self.family.key, region=raw["region"], start=day(raw.get("start")),
                         end=day(raw.get("end")), value=raw["value"], source_id=self.sources[raw["source"]].id,
                         confidence=raw["confidence"], note=raw.get("note"), status=status,
                         origin=_origin(raw, self.origin), created_by_id=self.by.id if self.by else None,
                         replaces_id=replaces.id if replaces else None)
        self.session.add(row)
        self.session.flush()
        self.existing.append(row)
        return row


def _citation(source: ParamSource) -> review.SourceInput:
    return review.SourceInput(doc_no=source.doc_no or "", title=source.title or "", issuer=source.issuer or "",
                              url=source.url or "", note=source.note or "", verified_by=source.verified_by or "")


def _origin(raw: dict, origin: str) -> str:
    """A figure a file says the bureau's administrators confirmed stays theirs; the rest take the seed's origin."""
    return "admin" if raw.get("origin") == "admin" else origin


def _drop_retired_sources(session: Session, document: str, shipped: set[str], report: SeedReport) -> None:
    """A source an older release shipped that the files no longer have (a compound source split into its
    documents), which nothing cites any more and nobody verified, is removed."""
    session.flush()
    cited = set(session.scalars(select(ParamValue.source_id))) | set(session.scalars(select(DistrictTier.source_id)))
    cited |= set(session.scalars(select(ParamSetting.source_id)))
    for source in session.scalars(select(ParamSource).where(ParamSource.document == document)):
        if (source.key not in shipped and source.id not in cited and not source.verified
                and not source.key.startswith(("admin-", "new-"))):
            session.delete(source)
            report.cited += 1


def _seed_sources(session: Session, document: str, raw_sources: dict, origin: str,
                  report: SeedReport) -> dict[str, ParamSource]:
    found = {s.key: s for s in session.scalars(select(ParamSource).where(ParamSource.document == document))}
    for key, raw in raw_sources.items():
        source = read_source(key, raw)
        fields = {f: getattr(source, f) for f in SOURCE_FIELDS}
        row = found.get(key)
        if row is None:
            found[key] = ParamSource(document=document, key=key, **fields)
            session.add(found[key])
        elif origin == "shipped" and not row.verified and any(getattr(row, f) != v for f, v in fields.items()):
            for f, v in fields.items():
                setattr(row, f, v)
            report.cited += 1
    session.flush()
    return found


def _seed_tiers(session, name: str, tiers: dict, sources, origin: str, report: SeedReport, by, today: date) -> None:
    live = {(t.district, t.start): t for t in session.scalars(select(DistrictTier).where(DistrictTier.status.in_(LIVE)))}
    for group in tiers["tiers"]:
        start = day(group["start"])
        for district in group["districts"]:
            what = f"区县档次 {district} {iso(start)} 起 {TIER_LABELS.get(group['region'], group['region'])}"
            held = live.get((district, start))
            if held is not None and held.status == "confirmed":
                if held.region == group["region"]:
                    report.unchanged.append(what)
                else:
                    report.refused.append(SeedLine(what, f"与已生效的{TIER_LABELS.get(held.region, held.region)}不同；"
                                                         "档次变更请在网页上录入"))
                continue
            if held is not None:
                report.refused.append(SeedLine(what, "与待复核的档次记录起始日期相同；复核或撤回后再导入"))
                continue
            if not report.first:
                problems = review.period_problems(start, None, today)
                if group["region"] not in TIER_LABELS:
                    problems["region"] = "不是最低工资档次"
                if problems:
                    report.refused.append(SeedLine(what, "；".join(problems.values())))
                    continue
            row = DistrictTier(document=name, district=district, region=group["region"], start=start,
                               source_id=sources[group["source"]].id, confidence=group["confidence"],
                               status="confirmed" if report.first else "pending", origin=origin,
                               created_by_id=by.id if by and not report.first else None)
            session.add(row)
            live[(district, start)] = row
            if report.first:
                report.districts += 1
            else:
                session.flush()
                report.proposed.append(SeedLine(what, row=row))
    aliases = {a.alias for a in session.scalars(select(DistrictAlias))}
    for position, (alias, district) in enumerate((tiers.get("aliases") or {}).items()):
        if alias not in aliases:
            session.add(DistrictAlias(alias=alias, document=name, position=position, district=district))
