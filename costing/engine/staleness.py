"""Which parameter families are overdue for renewal: each family states how often it is renewed
(renewal_months in the data files); a family whose newest value is older than that is stale."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .parameters import ParameterSet, Record


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) if day.day == 1 else date(index // 12, index % 12 + 1, min(day.day, 28))


def months_between(first: date, later: date) -> int:
    """Whole months from `first` to `later` (0 when less than a month)."""
    months = (later.year - first.year) * 12 + later.month - first.month
    return months - (later.day < first.day)


@dataclass(frozen=True)
class Stale:
    family: str
    label: str
    renewal: str
    newest: Record
    due: date
    overdue_months: int

    @property
    def carried(self) -> bool:
        """The newest value's period has ended: budgets carry it forward."""
        return self.newest.end is not None

    @property
    def message(self) -> str:
        return f"「{self.label}」{self.detail}"

    @property
    def detail(self) -> str:
        """The message without the family's name (shown beside a link that names it)."""
        r = self.newest
        if self.carried:
            text = f"最新数值 {r.start} 至 {r.end}（{r.source.citation}）已到期，按「{self.renewal}」应已公布新数值"
        else:
            text = f"最新数值自 {r.start} 起（{r.source.citation}），按「{self.renewal}」应于 {self.due} 前后更新"
        text += f"，已逾期 {self.overdue_months} 个月" if self.overdue_months else "，已到期"
        if self.carried:
            text += f"；{r.end} 之后的月份正在沿用该数值"
        return text + "。新文件公布后请录入并请另一位管理员复核。"


def stale_families(params: ParameterSet, today: date) -> list[Stale]:
    """A family is stale when its newest value in force has ended (budgets carry it forward), or when
    that value is open-ended and older than the family's renewal period. A family whose next value is
    already entered (starting after today) is not stale."""
    found = []
    for family in params.families.values():
        dated = [r for records in family.records.values() for r in records if r.start is not None]
        if not dated or any(r.start > today for r in dated):
            continue
        newest = max(dated, key=lambda r: r.start)
        if newest.end is not None:
            due = newest.end + timedelta(days=1)
        elif family.renewal_months:
            due = add_months(newest.start, family.renewal_months)
        else:
            continue
        if today >= due:
            renewal = family.renewal or (f"每 {family.renewal_months} 个月" if family.renewal_months else "有效期届满后续期")
            found.append(Stale(family.key, family.label, renewal, newest, due, months_between(due, today)))
    return found
