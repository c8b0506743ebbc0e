"""Policy parameters kept in the database.

The shipped data files (costing/engine/data/*.yaml) seed the tables on first run, and an upgrade adds
only what is new in them. Administrators add dated values; a value counts only once a second
administrator confirms it. The engine gets one consistent ParameterSet built from the confirmed rows
through the same parser as the files, so a set has the same version whether it is read from the files
or from the database, and `export_documents` writes the tables back to the same file format.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .engine.parameters import ParameterSet, load_documents, parse_documents
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

    @property
    def changed(self) -> bool:
        return bool(self.values or self.districts or self.closed)


def seed(session: Session, documents: list[tuple[str, dict]], origin: str = "shipped") -> SeedReport:
    """Add what the documents hold and the database does not (matched by family, region and start
    date; districts by name and start date). Existing rows are never rewritten, except that an
    open-ended value which a newly added later value succeeds gets its end date (the day before)."""
    report = SeedReport()
    _state(session)
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
    existing = list(session.scalars(select(ParamValue).where(ParamValue.family_key == family.key,
                                                             ParamValue.status.in_(LIVE))))
    known = {(v.region, v.start) for v in existing}
    for raw in raw_values:
        start = _day(raw.get("start"))
        if (raw["region"], start) in known:
            continue
        for old in existing:
            if (old.region == raw["region"] and old.status == "confirmed" and old.end is None and start
                    and (old.start or date.min) < start):
                old.end = start - timedelta(days=1)
                report.closed.append(f"{family.label} {old.region} {_iso(old.start)} 起的数值截止于 {old.end}")
        session.add(ParamValue(family_key=family.key, region=raw["region"], start=start, end=_day(raw.get("end")),
                               value=raw["value"], source_id=sources[raw["source"]].id,
                               confidence=raw["confidence"], note=raw.get("note"), status="confirmed",
                               origin=origin))
        known.add((raw["region"], start))
        report.values += 1


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


def bump(session: Session) -> str:
    """Record that the confirmed set changed: every process reloads it on its next use."""
    version = parse_documents(export_documents(session)).version
    session.execute(update(ParamState).where(ParamState.id == 1)
                    .values(generation=ParamState.generation + 1, version=version))
    return version


# ---------------------------------------------------------------- export (database → files)

def export_documents(session: Session) -> list[tuple[str, dict]]:
    """The confirmed parameters in the data files' format, one document per file."""
    documents = []
    sources_by_id = {s.id: s for s in session.scalars(select(ParamSource).order_by(ParamSource.id))}
    values = list(session.scalars(select(ParamValue).where(ParamValue.status == "confirmed")))
    tiers = list(session.scalars(select(DistrictTier).where(DistrictTier.status == "confirmed")
                                 .order_by(DistrictTier.id)))
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
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    documents = [(path.name, yaml.load(path.read_text("utf-8"), Loader=loader))
                 for path in sorted(folder.glob("*.yaml"))]
    if not documents:
        raise ValueError(f"{folder}: 没有 .yaml 数据文件")
    parse_documents(documents)
    return documents


def shipped_documents() -> list[tuple[str, dict]]:
    return load_documents()


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
                seed(own, shipped_documents())
                own.commit()


def today_version(session: Session) -> str:
    state = session.get(ParamState, 1)
    return state.version if state else ""


def reviewed_now(row, reviewer, status: str, note: str = "") -> None:
    row.status, row.reviewed_by_id, row.reviewed_at, row.review_note = status, reviewer.id, utcnow(), note
