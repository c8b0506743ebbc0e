"""Whole calendar months: a project period is a run of them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")     # ASCII digits only (\d would read ２０２５-０７)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2025-07' → Month(2025, 7); raises ValueError on anything else."""
        match = _MONTH.match(text)
        if not match:
            raise ValueError(text)
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= month <= 12 and 1900 <= year <= 2200):
            raise ValueError(text)
        return cls(year, month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def plus(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(start: Month, end: Month) -> int:
    """Number of months from start to end inclusive."""
    return end.index - start.index + 1


def month_range(start: Month, count: int) -> list[Month]:
    return [start.plus(i) for i in range(count)]


def validity(start: date | str | None, end: date | str | None) -> str:
    """When a figure is in force, as a budget or an annex says it: 2025-01-01 至 2025-12-31, 2025-01-01 起,
    or 现行有效 for a statutory figure whose first day the data does not record."""
    start = start.isoformat() if isinstance(start, date) else start
    end = end.isoformat() if isinstance(end, date) else end
    if start and end:
        return f"{start} 至 {end}"
    if start:
        return f"{start} 起"
    return f"现行有效，至 {end}" if end else "现行有效"


def span_text(first: Month, last: Month) -> str:
    return str(first) if first == last else f"{first} 至 {last}"
