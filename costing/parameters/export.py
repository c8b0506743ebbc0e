"""The confirmed parameters written back to the data files' format (and read from such files), so a
set has the same version whether it is read from the files or from the database."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.parameters import SOURCE_FIELDS, load_documents, parse_documents
from ..models import DistrictAlias, DistrictTier, ParamDocument, ParamFamily, ParamSetting, ParamSource, ParamValue

__all__ = ["SOURCE_FIELDS", "export_documents", "write_documents", "read_documents", "iso", "day"]


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


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
        sources = {s.key: _omit_none({f: getattr(s, f) for f in SOURCE_FIELDS})
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
                "by_district": True if family.by_district else None, "categories": list(family.categories or []) or None,
                "values": [_omit_none({"start": iso(v.start), "end": iso(v.end), "region": v.region,
                                       "value": v.value, "source": sources_by_id[v.source_id].key,
                                       "confidence": v.confidence, "note": v.note,
                                       # figures the bureau's administrators confirmed (two-person rule) say so
                                       "origin": "admin" if v.origin == "admin" else None}, keep=("start", "end"))
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
            groups[key] = {"region": t.region, "start": iso(t.start), "source": sources_by_id[t.source_id].key,
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


