"""Seeding the parameter tables from the data files: the shipped ones on first run, and on every upgrade
only what is new in them; and the lock and generation that every change to the confirmed set goes through."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..engine.parameters import SOURCE_FIELDS, parse_documents, read_source, takes_region
from ..models import (
    DistrictAlias,
    DistrictTier,
    ParamDocument,
    ParamFamily,
    ParamSetting,
    ParamSource,
    ParamState,
    ParamValue,
)
from .export import day, export_documents, iso

LIVE = ("pending", "confirmed")          # rows that take part in overlap checks


@dataclass
class SeedReport:
    values: int = 0
    districts: int = 0
    closed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    cited: int = 0               # shipped citations brought up to date (sources rewritten, values re-pointed)

    @property
    def changed(self) -> bool:
        return bool(self.values or self.districts or self.closed or self.cited)


def seed(session: Session, documents: list[tuple[str, dict]], origin: str = "shipped") -> SeedReport:
    """Add what the documents hold and the database does not (matched by family, region and start
    date; districts by name and start date). Existing values are never rewritten, except that an
    open-ended value which a newly added later value succeeds gets its end date (the day before).
    Seeding the shipped files also brings the citations of the figures shipped with the software up to
    date (a corrected issuer, a compound source split into its documents): shipped sources nobody has
    verified take the files' fields, and a shipped value the files cite from another document points there."""
    report = SeedReport()
    _state(session)
    lock(session)
    for name, doc in sorted(documents, key=lambda item: item[0]):
        tiers = doc.get("district_tiers")
        document = session.get(ParamDocument, name)
        if document is None:
            session.add(ParamDocument(name=name, tiers_label=tiers.get("label") if tiers else None))
        sources = _seed_sources(session, name, doc.get("sources") or {}, origin, report)
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
            family.by_district = bool(family.by_district or raw.get("by_district"))
            family.categories = list(family.categories or raw.get("categories") or [])
            added = [r for r in raw["regions"] if r not in family.regions]
            if added:                                   # a region a later release adds
                family.regions = list(family.regions) + added
            session.flush()
            _seed_values(session, family, raw["values"], sources, origin, report)
        if tiers:
            _seed_tiers(session, name, tiers, sources, origin, report)
        if origin == "shipped":
            _drop_retired_sources(session, name, set(doc.get("sources") or {}), report)
    session.flush()
    bump(session)
    return report


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


def _seed_values(session, family: ParamFamily, raw_values: list, sources, origin: str, report: SeedReport) -> None:
    """Add the values not yet known. A new value never overlaps a confirmed one: it may close the
    open-ended value before it (which the database already held), and is skipped, with a line in the
    report, where it would overlap anything else or where a pending value has the same start."""
    existing = list(session.scalars(select(ParamValue).where(ParamValue.family_key == family.key,
                                                             ParamValue.status.in_(LIVE))))
    held = {id(v) for v in existing}
    for raw in raw_values:
        region, start, end = raw["region"], day(raw.get("start")), day(raw.get("end"))
        if not takes_region(region, family.regions, bool(family.by_district)):
            # e.g. an export from before the 职业津贴 became each district's own: its figures name no district
            report.skipped.append(f"{family.label}（{region}）的数值 {raw['value']}：适用范围不是本参数的"
                                  + ("“区县:证书”" if family.by_district else "适用范围之一") + "，未导入")
            continue
        same = [v for v in existing if v.region == region and v.start == start]
        if any(v.status == "confirmed" for v in same):
            _recite(same, raw, end, sources, origin, report)
            continue
        where = f"{family.label}（{region}）{iso(start) or '日期不详'} 起的数值 {raw['value']}"
        if same:
            report.skipped.append(f"{where}：与待复核的数值起始日期相同，未导入；复核或撤回后再运行一次")
            continue
        confirmed = [v for v in existing if v.region == region and v.status == "confirmed"]
        before = next((v for v in confirmed if id(v) in held and v.end is None and start
                       and (v.start or date.min) < start), None)
        clash = next((v for v in confirmed if v is not before and meets(v.start, v.end, start, end)), None)
        if clash is not None:
            report.skipped.append(f"{where}：与已生效的 {iso(clash.start) or '日期不详'} 至 {iso(clash.end) or '今'} "
                                  f"的数值 {clash.value} 重叠，未导入")
            continue
        if before is not None:
            before.end = start - timedelta(days=1)
            report.closed.append(f"{family.label}（{region}）{iso(before.start)} 起的数值截止于 {before.end}")
        row = ParamValue(family_key=family.key, region=region, start=start, end=end, value=raw["value"],
                         source_id=sources[raw["source"]].id, confidence=raw["confidence"], note=raw.get("note"),
                         status="confirmed", origin=_origin(raw, origin))
        session.add(row)
        existing.append(row)
        report.values += 1


def _origin(raw: dict, origin: str) -> str:
    """A figure a file says the bureau's administrators confirmed stays theirs; the rest take the seed's origin."""
    return "admin" if raw.get("origin") == "admin" else origin


def _recite(same: list[ParamValue], raw: dict, end: date | None, sources, origin: str, report: SeedReport) -> None:
    """A shipped figure, unchanged, that the shipped files now cite from another document points there (with the
    files' grading and remark); one the files now split by document (the same value from the same day, ending sooner, its successors after it) ends
    where the files end it, so its successors are added."""
    if origin != "shipped":
        return
    source = sources[raw["source"]]
    for row in same:
        if row.status != "confirmed" or row.origin != "shipped" or row.value != raw["value"]:
            continue
        if row.end != end:
            if end is None or (row.end is not None and row.end < end):
                continue
            report.closed.append(f"{row.family.label}（{row.region}）{iso(row.start) or '日期不详'} 起的数值"
                                 f"按文件拆分，截止于 {end}")
            row.end = end
        if row.source.verified:
            continue
        shipped = {"source_id": source.id, "confidence": raw["confidence"], "note": raw.get("note")}
        if any(getattr(row, field) != value for field, value in shipped.items()):
            for field, value in shipped.items():
                setattr(row, field, value)
            report.cited += 1


def meets(start_a: date | None, end_a: date | None, start_b: date | None, end_b: date | None) -> bool:
    """Whether two periods (None: open at that end) share a day."""
    return (start_a or date.min) <= (end_b or date.max) and (start_b or date.min) <= (end_a or date.max)


def _seed_tiers(session, name: str, tiers: dict, sources, origin: str, report: SeedReport) -> None:
    known = {(t.district, t.start) for t in session.scalars(select(DistrictTier).where(DistrictTier.status.in_(LIVE)))}
    for group in tiers["tiers"]:
        start = day(group["start"])
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


