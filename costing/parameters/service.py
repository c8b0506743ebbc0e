"""What the rest of the application uses of the policy parameters: the per-application provider of the
confirmed set, seeding and exporting data files, and what needs an administrator's attention."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from ..clock import as_utc, now
from ..engine.money import fmt_figure
from ..engine.parameters import TIER_LABELS, ParameterSet, load_documents, parse_documents
from ..engine.staleness import Stale, stale_families
from ..models import DistrictTier, ParamSourceCheck, ParamState, ParamValue, Revision
from ..results import format as formats
from ..results import labels
from . import sources
from .export import export_documents, read_documents, write_documents
from .provider import Provider, today_version
from .seed import SeedReport, seed

__all__ = ["Provider", "SeedReport", "seed", "seed_files", "export_files", "today_version", "Attention",
           "attention", "describe", "set_names", "newer_in_database"]


def seed_files(session: Session, folder: Path | None = None, by=None, today: date | None = None) -> SeedReport:
    """Bring in what the data files hold: the shipped files, or those of ``folder`` (raises OSError, ValueError
    or KeyError for files that cannot be read). An empty database takes them as they are; otherwise each new or
    changed figure is proposed, entered by ``by`` (an administrator; None: the release), for a second
    administrator to confirm (seed.seed)."""
    documents = read_documents(folder) if folder else load_documents()
    return seed(session, documents, origin="imported" if folder else "shipped", by=by, today=today)


def export_files(session: Session, folder: Path) -> tuple[str, list[Path]]:
    """The confirmed parameters as data files in ``folder``: (the set's version, the files written)."""
    documents = export_documents(session)
    return parse_documents(documents).version, write_documents(folder, documents)


class Attention:
    """What administrators should see on the landing page: families overdue for renewal, pending entries."""

    def __init__(self, stale: list[Stale], pending: int):
        self.stale, self.pending = stale, pending

    def __bool__(self) -> bool:
        return bool(self.stale or self.pending)


def attention(session: Session, params, today: date) -> Attention:
    pending = sum(session.scalar(select(func.count()).select_from(model).where(model.status == "pending"))
                  for model in (ParamValue, DistrictTier, ParamSourceCheck))
    return Attention(stale_families(params, today), pending)


def describe(row: ParamValue | DistrictTier) -> str:
    """A value or a district's tier as people read it: 社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元."""
    if isinstance(row, ParamValue):
        return f"{row.family.label} {labels.region(row.region)} {row.start} 起 {fmt_figure(row.value, row.family.unit)}"
    return f"{row.district} {row.start} 起 {TIER_LABELS.get(row.region, row.region)}"


# a change the confirmed set went through: what a second administrator confirmed (rows still in the set or
# since corrected), or figures a seed loaded
_IN_SET = ("confirmed", "superseded", "retired")


def _latest_change(session: Session, moment: datetime) -> str:
    """The name of the set in force at ``moment``: by the last change made to it by then."""
    latest = None                     # (when, how, what)
    for model in (ParamValue, DistrictTier, ParamSourceCheck):
        # what an administrator confirmed: entered on the pages, proposed by an import or an upgrade, a source checked
        for row in session.scalars(select(model).where(model.status.in_(_IN_SET), model.reviewed_at.is_not(None))):
            when = as_utc(row.reviewed_at)
            if when <= moment and (latest is None or when > latest[0]):
                latest = (when, "confirmed", sources.describe(row) if model is ParamSourceCheck else describe(row))
        if model is ParamSourceCheck:
            continue
        # figures a seed loaded as they are (a first install, a family new to the database, a split)
        for origin, created in session.execute(select(model.origin, model.created_at).where(
                model.origin != "admin", model.status.in_(_IN_SET), model.reviewed_at.is_(None)).distinct()):
            when = as_utc(created)
            if when <= moment and (latest is None or when > latest[0]):
                latest = (when, origin, "")
    if latest is None:
        return formats.parameter_set(None)
    when, how, what = latest
    return formats.parameter_set(how, when, what)


def set_names(session: Session, versions: Iterable[str], current: str) -> dict[str, str]:
    """Each set of policy parameters named in words, by its latest change. A set is placed in time by being
    the current one (now) or by the first budget revision computed with it; one that is neither is 此前的."""
    names = {}
    for version in set(versions):
        moment = now() if version == current else session.scalar(
            select(func.min(Revision.created_at)).where(Revision.parameter_set == version))
        names[version] = _latest_change(session, as_utc(moment)) if moment else formats.parameter_set(None)
    return names


def newer_in_database(url: str, files: ParameterSet) -> list[str]:
    """The confirmed figures the database at ``url`` holds that the data files (``files``) do not, as people read
    them (raises SQLAlchemyError when the database cannot be read, ValueError when it holds no parameters)."""
    engine = create_engine(url, connect_args={"connect_timeout": 5} if url.startswith("postgresql") else {})
    try:
        with Session(engine) as session:
            if session.get(ParamState, 1) is None:
                raise ValueError("数据库中还没有政策参数")
            held = parse_documents(export_documents(session))
    finally:
        engine.dispose()
    if held.version == files.version:
        return []

    def figures(params: ParameterSet) -> dict:
        return {(f.key, r.region, r.start, r.value): (f, r) for f in params.families.values()
                for records in f.records.values() for r in records}
    theirs = figures(files)
    return [f"{family.label} {labels.region(record.region)} {record.start or '日期不详'} 起 "
            f"{fmt_figure(record.value, family.unit)}"
            for key, (family, record) in sorted(figures(held).items(), key=lambda item: (item[0][2] or date.min))
            if key not in theirs]
