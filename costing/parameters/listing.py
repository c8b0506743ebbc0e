"""What the parameters pages list besides the families: an administrator's own entries (and their rejections,
with the reviewer's reason), and the confirmed figures that take effect after today (即将生效)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import as_utc
from ..models import DistrictTier, ParamFamily, ParamSourceCheck, ParamValue


@dataclass(frozen=True)
class Entry:
    """Something an administrator entered: a value, a district's tier or a source check, with its state."""
    kind: str                   # value, tier, check
    row: ParamValue | DistrictTier | ParamSourceCheck

    @property
    def at(self) -> datetime:
        return as_utc(self.row.reviewed_at or self.row.created_at)


def entries_of(session: Session, user_id: int, status: str | None = None, since: datetime | None = None) -> list[Entry]:
    """The entries ``user_id`` made (of one status, decided since a moment), the latest decided first."""
    found = []
    for kind, model in (("value", ParamValue), ("tier", DistrictTier), ("check", ParamSourceCheck)):
        query = select(model).where(model.created_by_id == user_id)
        if status:
            query = query.where(model.status == status)
        found += [Entry(kind, row) for row in session.scalars(query)]
    if since is not None:
        found = [e for e in found if e.at >= since]
    return sorted(found, key=lambda e: (e.at, e.row.id), reverse=True)


@dataclass(frozen=True)
class Upcoming:
    """A confirmed figure (or a district's tier) that starts after today, and what is in force until then."""
    row: ParamValue | DistrictTier
    now: ParamValue | DistrictTier | None


def upcoming(session: Session, today: date) -> list[Upcoming]:
    """Confirmed figures and tiers starting after ``today``, soonest first, each with the one in force today."""
    values = session.scalars(select(ParamValue).join(ParamFamily).where(ParamValue.status == "confirmed",
                                                                         ParamValue.start > today)
                             .order_by(ParamValue.start, ParamFamily.document, ParamFamily.position,
                                       ParamValue.region)).all()
    found = []
    for row in values:
        now = session.scalar(select(ParamValue).where(
            ParamValue.family_key == row.family_key, ParamValue.region == row.region, ParamValue.status == "confirmed",
            ParamValue.start <= today).order_by(ParamValue.start.desc()).limit(1))
        found.append(Upcoming(row, now))
    for tier in session.scalars(select(DistrictTier).where(DistrictTier.status == "confirmed", DistrictTier.start > today)
                                .order_by(DistrictTier.start, DistrictTier.district)):
        now = session.scalar(select(DistrictTier).where(
            DistrictTier.district == tier.district, DistrictTier.status == "confirmed", DistrictTier.start <= today)
            .order_by(DistrictTier.start.desc()).limit(1))
        found.append(Upcoming(tier, now))
    return sorted(found, key=lambda u: u.row.start)
