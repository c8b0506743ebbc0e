"""Time, once: moments are stored in UTC; what people read, and "today" for parameter lookups, is Beijing
time (China Standard Time, UTC+8, no daylight saving). Everything asks ``now()`` here, so a test can
move the clock in one place."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def now() -> datetime:
    """This moment, in UTC (how it is stored)."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """A stored moment with its zone: SQLite gives back naive datetimes, and they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def today() -> date:
    """Today's date in Beijing."""
    return now().astimezone(CHINA).date()
