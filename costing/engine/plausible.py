"""Whether a policy figure is plausible: the one rule that every door a figure comes in by applies (the
parameters page, the form for a whole notice, a data file's import, the data an upgrade ships), and that the
second administrator sees when confirming it.

Two kinds of answer:

- a value that cannot be a figure of its unit (a negative amount, a fraction of a person, more decimals
  than the unit has, a percentage for an amount) is **refused** (``refusal``);
- a value outside its unit's plausible range, or far from its own family's neighbours (the previous or next
  period of the same region, the other grades or tiers, the same grade in other districts), is **flagged**
  (``flags``): it may still be right, so it is proposed, shown to the reviewer with each reason, and confirmed
  only with an acknowledgement.

The ranges are stated here once; the pages and README show them from ``RANGES`` and ``FAMILY_RANGES``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .money import fmt_figure


@dataclass(frozen=True)
class Range:
    unit: str
    low: Decimal
    high: Decimal

    def __contains__(self, value: Decimal) -> bool:
        return self.low <= value <= self.high

    def text(self) -> str:
        return f"{fmt_figure(self.low, self.unit)}–{fmt_figure(self.high, self.unit)}"


def _range(unit: str, low: str, high: str) -> Range:
    return Range(unit, Decimal(low), Decimal(high))


# a figure of each unit outside its range is flagged (README「政策参数从哪里来」shows this table; a test holds
# them to each other)
RANGES = {unit: _range(unit, low, high) for unit, low, high in (
    ("CNY/month", "100", "100000"),     # monthly amounts: minimum wage, bases and their limits
    ("CNY/hour", "5", "1000"),          # hourly minimum wage
    ("rate", "0", "0.5"),               # contribution and tax rates: 0–50%
    ("factor", "0", "1"),               # multipliers such as the surcharge halving (×0.5)
    ("persons", "1", "100"),            # social workers a site must have
    ("workers", "100", "100000"),       # workers per social worker in a trade union
)}
# families whose figures are of another order than their unit's usual ones
FAMILY_RANGES = {
    "si.employee.serious_illness": _range("CNY/month", "1", "100"),      # the employee's 大额医疗: a few 元 a month
    "allowance.certificate_monthly": _range("CNY/month", "10", "5000"),  # a district's 职业津贴 per person a month
    "staffing.social_work_org.min_share": _range("rate", "0", "1"),      # a share of posts, not a contribution rate
}
# decimals each unit can have: amounts to the 分; rates to 0.0001% (as a fraction: six places); counts whole
DECIMALS = {"CNY/month": 2, "CNY/hour": 2, "rate": 6, "factor": 6, "persons": 0, "workers": 0}
MAX_DIGITS = 9                 # integer digits of any figure (a 10-digit monthly amount is no figure)
JUMP = Decimal(2)              # a neighbour more than twice, or less than half, the value is flagged

# the order of the regions that rank: a higher grade's or tier's figure is not below a lower one's
RANKS = {"tier2": 1, "tier1": 2,
         "social_work_worker": 1, "assistant_social_worker": 2, "social_worker": 3, "senior_social_worker": 4}


def plausible_range(family: str, unit: str) -> Range:
    return FAMILY_RANGES.get(family) or RANGES[unit]


def refusal(value: Decimal, unit: str) -> str | None:
    """Why ``value`` cannot be a figure of ``unit`` (None: it can)."""
    if not value.is_finite():
        return "请填写数字"
    if value < 0:
        return "不能是负数"
    exponent = value.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    if places > DECIMALS[unit]:
        if DECIMALS[unit] == 0:
            return "须为整数"
        return {"rate": "费率最多精确到 0.0001%（小数最多 6 位）", "factor": "系数最多 6 位小数"}.get(
            unit, "金额最多两位小数（到分）")
    if abs(value) >= Decimal(10) ** MAX_DIGITS:
        return f"{fmt_figure(value, unit)} 位数过多，不是一个政策数值"
    return None


@dataclass(frozen=True)
class Neighbour:
    """A figure of the same family that a new one is compared with. ``kind``: the same region's ``previous`` or
    ``next`` period; a ``higher`` or ``lower`` grade or tier; a ``peer`` (another region or district)."""
    label: str            # as the reviewer reads it: 上一期（2025-01-01 起）, 渝北区 社会工作师, 第一档
    value: Decimal
    kind: str


def flags(value: Decimal, unit: str, family: str, neighbours: Iterable[Neighbour]) -> list[str]:
    """Each reason ``value`` is implausible, as the entrant and the reviewer read it (empty: none)."""
    shown = fmt_figure(value, unit)
    found = []
    allowed = plausible_range(family, unit)
    if value not in allowed:
        found.append(f"{shown} 超出合理范围（{allowed.text()}）")
    neighbours = list(neighbours)
    same = [n for n in neighbours if n.kind in ("previous", "next")]
    found += [f"{shown} 与{n.label}的 {fmt_figure(n.value, unit)} 相差一倍以上" for n in same if _far(value, n.value)]
    ranked = [f"{shown} 高于{n.label}的 {fmt_figure(n.value, unit)}（等级或档次更高的数值）"
              for n in neighbours if n.kind == "higher" and value > n.value]
    ranked += [f"{shown} 低于{n.label}的 {fmt_figure(n.value, unit)}（等级或档次更低的数值）"
               for n in neighbours if n.kind == "lower" and value < n.value]
    found += ranked
    others = [n for n in neighbours if n not in same and n.value > 0]
    if not same and not ranked and others:     # the first figure of its region: beside the family's other regions
        top, bottom = max(others, key=lambda n: n.value), min(others, key=lambda n: n.value)
        if value > top.value * JUMP:
            found.append(f"{shown} 是这一适用范围的第一个数值，比同类最高的{top.label} "
                         f"{fmt_figure(top.value, unit)} 高一倍以上")
        elif value * JUMP < bottom.value:
            found.append(f"{shown} 是这一适用范围的第一个数值，不到同类最低的{bottom.label} "
                         f"{fmt_figure(bottom.value, unit)} 的一半")
    return found


def _far(value: Decimal, other: Decimal) -> bool:
    if other == 0:
        return False
    ratio = value / other
    return not (1 / JUMP <= ratio <= JUMP)
