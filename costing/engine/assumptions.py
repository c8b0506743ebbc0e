"""Where a budget overrides a default: each override with its reason, the default, and its effect
on the grand total.

The effect of an override is the grand total with it minus the grand total without it (that one
override removed, everything else unchanged), exact to the 分: the lines are priced again, never
estimated, because the management fee and the tax gross-up are rounded. A personnel line's override
changes only that line, so only that line is priced again (with the engine's own ``price_line``)
and only the totals after the lines are recomputed, by period (``annual.Periods.split``). The work-injury rate changes
every line, so every line is priced again on runs built without it. Both equal a full recompute
(tests/engine/test_assumptions.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from .annual import Periods
from .checks import steps_of
from .model import CERTIFICATES, Budget, Post
from .money import fmt_grouped, fmt_percent
from .parameters import ParameterMissing, ParameterSet
from .parse import OVERRIDES
from .pricing import (
    ZERO,
    PersonMonth,
    Run,
    Steps,
    allowance_gap,
    allowance_steps,
    build_runs,
    default_hf_rates,
    derived_si_base,
    price_line,
    price_totals,
    window,
)
from .result import Assumption, LineResult, Result

AMOUNT_UNIT = "CNY/month"
RATE_UNIT = "rate"


def list_assumptions(budget: Budget, params: ParameterSet, result: Result, runs: list[Run], cache: dict[tuple, PersonMonth],
                     effects: Effects) -> tuple[Assumption, ...]:
    """Every override in ``budget`` (computed as ``result``, with compute()'s runs, cache and the amounts by period
    its ``effects`` start from): the work-injury rate first, then by line. A value given that equals its default is
    no override and is not listed."""
    tier = result.tier                     # the tier in force at the project's start, as compute() used
    found = []
    if budget.contractor.work_injury_rate is not None:
        found.append(_work_injury(budget, params, effects, tier))
    hf_defaults = default_hf_rates(runs)
    # a blank rate is each month's minimum: one figure to compare with when the minimum does not change
    hf_default = hf_defaults[0][1] if len(hf_defaults) == 1 else None
    hf_note = ("按默认比例（住房公积金单位缴存比例下限）" if hf_default is not None else
               "按各月的住房公积金单位缴存比例下限（" + "，".join(f"{month} 起 {fmt_percent(rate)}"
                                                      for month, rate in hf_defaults) + "）")
    standards: dict[tuple[str, str], tuple] = {}          # the district's standard by (certificate, category)
    for index, (post, line) in enumerate(zip(budget.personnel, result.personnel)):
        hf_rate = post.housing_fund_rate
        path, label = f"personnel[{index}]", f"第 {index + 1} 行「{post.post}」"
        if post.monthly_allowance is not None:
            key = (post.certificate, post.category)
            if key not in standards:
                standards[key] = allowance_steps(params, budget.project.start, budget.months, budget.project.district,
                                                 *key)
            steps, lookups = standards[key]
            default, note = _default_allowance(params, budget, post, steps, lookups)
            effect = effects.line(index, replace(post, monthly_allowance=None), steps, hf_rate)
            found.append(_item(path, "monthly_allowance", label, AMOUNT_UNIT, post.monthly_allowance, default, note,
                               post.monthly_allowance_reason, effect))
        if post.si_base is not None:
            default, note = _derived_base(budget, post, line, runs)
            effect = effects.line(index, replace(post, si_base=None), effects.allowances[index], hf_rate)
            found.append(_item(path, "si_base", label, AMOUNT_UNIT, post.si_base, default, note,
                               post.si_base_reason, effect))
        if post.housing_fund_rate is not None:
            effect = effects.line(index, post, effects.allowances[index], None)
            found.append(_item(path, "housing_fund_rate", label, RATE_UNIT, post.housing_fund_rate, hf_default,
                               hf_note, post.housing_fund_rate_reason, effect))
    return tuple(a for a in found if a.default is None or a.value != a.default)


def _item(path, field, label, unit, value, default, note, reason, effect) -> Assumption:
    return Assumption(path=f"{path}.{field}", field=field, label=label + OVERRIDES[field], unit=unit, value=value,
                      default=default, default_note=note, reason=reason, effect=effect)


@dataclass
class Effects:
    """Grand total with an override − grand total without it, from the computed budget: its runs, the amounts of
    each slice of its period (engine/annual.py), what each line was priced on (``price_line``'s runs and per-person
    figures) and the allowance each line was priced with. With one tax period the grand total depends on the
    personnel total alone (``price_totals``); with several, on each period's share (``Periods.split``)."""
    budget: Budget
    result: Result
    runs: list[Run]
    cache: dict[tuple, PersonMonth]
    periods: Periods
    personnel: list[Decimal]               # by slice
    direct: list[Decimal]                  # by slice
    used: list[list]                       # each line's runs with their per-person figures
    allowances: list[Decimal | Steps]

    def line(self, index: int, changed: Post, allowance: Decimal | Steps, hf_rate: Decimal | None) -> Decimal:
        """One line priced again as ``changed`` with this allowance and rate; the other lines as they are."""
        other, used = price_line(changed, allowance, hf_rate, self.runs, self.cache)
        line = self.result.personnel[index]
        if self.periods.single:
            return self.personnel_total(self.result.totals.personnel - line.total + other.total)
        before = self.periods.line_personnel(self.budget.personnel[index], self.used[index], line.bonus)
        after = self.periods.line_personnel(changed, used, other.bonus)
        return self.total([p - old + new for p, old, new in zip(self.personnel, before, after)])

    def personnel_total(self, personnel: Decimal) -> Decimal:
        """The effect when the personnel cost would be ``personnel`` (one tax period: the total decides)."""
        t = self.result.totals
        _, _, total = price_totals(personnel, t.direct, self.budget.management_fee_rate, self.result.tax_basis)
        return t.grand_total - total

    def total(self, personnel: list[Decimal]) -> Decimal:
        """The effect when the personnel cost by slice would be ``personnel`` (direct costs unchanged)."""
        without = self.periods.split(personnel, self.direct, self.budget.management_fee_rate).grand_total
        return self.result.totals.grand_total - without


def _work_injury(budget: Budget, params: ParameterSet, effects: Effects, tier: str) -> Assumption:
    """Every line priced again on runs with the policy rate (they may split where that rate changes)."""
    c = budget.contractor
    default, note, effect = None, "按政策费率（未收录项目期间的数值，无法比较）", None
    try:
        runs = build_runs(params, replace(budget, contractor=replace(c, work_injury_rate=None)), tier)
    except ParameterMissing:
        runs = None
    if runs is not None:
        rates = list(dict.fromkeys(dict(run.rates.rates)["work_injury"] for run in runs))
        default = rates[0] if len(rates) == 1 else None
        note = "按政策费率" if default is not None else "按政策费率（项目期间为 " + "、".join(
            fmt_percent(rate) for rate in rates) + "）"
        cache: dict[tuple, PersonMonth] = {}
        personnel, total = [ZERO] * len(effects.personnel), ZERO
        for post, allowance in zip(budget.personnel, effects.allowances):
            line, used = price_line(post, allowance, post.housing_fund_rate, runs, cache)
            total += line.total
            if not effects.periods.single:
                personnel = [a + b for a, b in zip(personnel, effects.periods.line_personnel(post, used, line.bonus))]
        effect = effects.personnel_total(total) if effects.periods.single else effects.total(personnel)
    return Assumption(path="contractor.work_injury_rate", field="work_injury_rate",
                      label="承接主体" + OVERRIDES["work_injury_rate"], unit=RATE_UNIT, value=c.work_injury_rate,
                      default=default, default_note=note, reason=c.work_injury_rate_reason, effect=effect)


def _default_allowance(params: ParameterSet, budget: Budget, post: Post, steps: Steps,
                       lookups) -> tuple[Decimal | None, str]:
    """The allowance compute() would use for the line's certificate over the line's months (seed 三(一): certified
    workers only): one figure, or None with each month's where a standard starts or changes inside them."""
    name, district = CERTIFICATES[post.certificate], budget.project.district
    stop = post.first + post.months
    inside = [(offset, lookup) for i, (offset, lookup) in enumerate(lookups)
              if offset < stop and (i + 1 == len(lookups) or lookups[i + 1][0] > post.first)]
    if len(inside) > 1:
        start = budget.project.start
        return None, f"按{district}「{name}」的职业津贴标准（" + "，".join(
            f"{start.plus(max(offset, post.first))} 起 {'0' if lookup is None else fmt_grouped(lookup.value)} 元"
            for offset, lookup in inside) + "）"
    lookup = inside[0][1]
    if lookup is not None:
        return lookup.value, f"按{district}「{name}」的职业津贴标准"
    if post.certificate == "none":
        return ZERO, "无证书，不发职业津贴"
    on = budget.project.start.plus(post.first).first_day
    gap = allowance_gap(params, on, district, post.certificate, post.category)
    if gap is None:
        return ZERO, "该类别岗位不在职业津贴标准的适用范围"
    return ZERO, f"{gap.text}，默认为 0"


def _derived_base(budget: Budget, post: Post, line: LineResult, runs: list[Run]) -> tuple[Decimal | None, str]:
    """The base compute() would derive without the override: pay + allowance of each month, clamped to the floor
    and ceiling in force in it; one figure only when it is the same in every month the line is filled in."""
    steps = steps_of(line, budget.project.start)
    bases = list(dict.fromkeys(derived_si_base(pay + allowance, run.rates) for first, months, pay, allowance in steps
                               for run in window(runs, first, months)))
    if len(bases) == 1:
        return bases[0], "按工资（含津贴）核定，限于缴费基数上下限"
    if len({pay + allowance for _, _, pay, allowance in steps}) > 1:
        return None, "按各月工资（含津贴）核定，工资有调整"
    return None, "按工资（含津贴）核定，各年度缴费基数上下限不同"
