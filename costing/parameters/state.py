"""What every change to the parameter tables goes through, whichever door it came in by (the pages, an import,
an upgrade's seed): one change at a time (the lock), and the generation that tells every process to reload
the confirmed set."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..engine.parameters import parse_documents
from ..models import ParamState
from .export import export_documents

LIVE = ("pending", "confirmed")          # rows that take part in overlap checks


def state(session: Session) -> ParamState:
    row = session.get(ParamState, 1)
    if row is None:
        row = ParamState(id=1, generation=0, version="")
        session.add(row)
        session.flush()
    return row


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


def meets(start_a: date | None, end_a: date | None, start_b: date | None, end_b: date | None) -> bool:
    """Whether two periods (None: open at that end) share a day."""
    return (start_a or date.min) <= (end_b or date.max) and (start_b or date.min) <= (end_a or date.max)
