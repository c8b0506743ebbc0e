"""What the rest of the application uses of the policy parameters: the per-application provider of the
confirmed set, seeding and exporting data files, and what needs an administrator's attention."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..engine.parameters import load_documents, parse_documents
from ..engine.staleness import Stale, stale_families
from ..models import DistrictTier, ParamValue
from .export import export_documents, read_documents, write_documents
from .provider import Provider, today_version
from .seed import SeedReport, seed

__all__ = ["Provider", "SeedReport", "seed", "seed_files", "export_files", "today_version", "Attention",
           "attention"]


def seed_files(session: Session, folder: Path | None = None) -> SeedReport:
    """Add what the data files hold and the database does not: the shipped files, or those of ``folder``
    (raises OSError, ValueError or KeyError for files that cannot be read)."""
    documents = read_documents(folder) if folder else load_documents()
    return seed(session, documents, origin="imported" if folder else "shipped")


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
                  for model in (ParamValue, DistrictTier))
    return Attention(stale_families(params, today), pending)
