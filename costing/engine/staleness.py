"""Which parameter families are overdue for renewal: each family states how often it is renewed
(renewal_months in the data files); a family whose newest value is older than that is stale."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    carried: bool          # the newest value's end date has passed: budgets carry it forward

    @property
    def message(self) -> str:
        r = self.newest
        text = (f"「{self.label}」最新数值自 {r.start} 起（{r.source.citation}），按「{self.renewal}」应于 {self.due} "
                f"前后更新，" + (f"已逾期 {self.overdue_months} 个月" if self.overdue_months else "已到期"))
        if self.carried:
            text += f"；{r.end} 之后的月份正在沿用该数值（PARAMETER_CARRIED_FORWARD）"
        return text + "。新文件公布后请录入并请另一位管理员复核。"


def stale_families(params: ParameterSet, today: date) -> list[Stale]:
    found = []
    for family in params.families.values():
        if not family.renewal_months:
            continue
        dated = [r for records in family.records.values() for r in records if r.start is not None]
        if not dated:
            continue
        newest = max(dated, key=lambda r: r.start)
        due = add_months(newest.start, family.renewal_months)
        if today >= due:
            found.append(Stale(family.key, family.label, family.renewal or f"每 {family.renewal_months} 个月",
                               newest, due, months_between(due, today),
                               carried=newest.end is not None and today > newest.end))
    return found
