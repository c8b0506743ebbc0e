"""Where a budget overrides a default: each override with its reason, the default, and its effect
on the grand total.

The effect of an override is the grand total with it minus the grand total without it (that one
override removed, everything else unchanged), exact to the 分: the lines are priced again, never
estimated, because the management fee and the tax gross-up are rounded. A personnel line's override
changes only that line, so only that line is priced again (with the engine's own ``price_line``)
and only the totals after the lines are recomputed (``price_totals``). The work-injury rate changes
every line, so every line is priced again on runs built without it. Both equal a full recompute
(tests/engine/test_assumptions.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from .model import CERTIFICATES, Budget, Post
from .money import fmt_percent
from .parameters import ParameterMissing, ParameterSet
from .parse import OVERRIDES
from .pricing import (
    ZERO,
    PersonMonth,
    Run,
    active_runs,
    allowance_gap,
    build_runs,
    default_allowance,
    default_hf_rates,
    derived_si_base,
    price_line,
    price_totals,
)
from .result import Assumption, LineResult, Result

AMOUNT_UNIT = "CNY/month"
RATE_UNIT = "rate"


def list_assumptions(budget: Budget, params: ParameterSet, result: Result, runs: list[Run] | None = None,
                     cache: dict[tuple, PersonMonth] | None = None) -> tuple[Assumption, ...]:
    """Every override in ``budget`` (computed as ``result``): the work-injury rate first, then by line. A
    value given that equals its default is no override and is not listed.

    ``runs`` and ``cache`` are compute()'s own, passed to save building them again."""
    tier = result.tier                     # the tier in force at the project's start, as compute() used
    runs = build_runs(params, budget, tier) if runs is None else runs
    effects = _Effects(budget, result, runs, {} if cache is None else cache)
    found = []
    if budget.contractor.work_injury_rate is not None:
        found.append(_work_injury(budget, params, effects, tier))
    hf_defaults = default_hf_rates(runs)
    # a blank rate is each month's minimum: one figure to compare with when the minimum does not change
    hf_default = hf_defaults[0][1] if len(hf_defaults) == 1 else None
    hf_note = ("按默认比例（住房公积金单位缴存比例下限）" if hf_default is not None else
               "按各月的住房公积金单位缴存比例下限（" + "，".join(f"{month} 起 {fmt_percent(rate)}"
                                                      for month, rate in hf_defaults) + "）")
    allowances: dict[tuple[str, str], tuple[Decimal | None, str]] = {}     # by (certificate, category)
    for index, (post, line) in enumerate(zip(budget.personnel, result.personnel)):
        hf_rate = post.housing_fund_rate
        path, label = f"personnel[{index}]", f"第 {index + 1} 行「{post.post}」"
        if post.monthly_allowance is not None:
            key = (post.certificate, post.category)
            if key not in allowances:
                allowances[key] = _default_allowance(params, budget, post)
            default, note = allowances[key]
            effect = (None if default is None
                      else effects.line(line, replace(post, monthly_allowance=None), default, hf_rate))
            found.append(_item(path, "monthly_allowance", label, AMOUNT_UNIT, post.monthly_allowance, default, note,
                               post.monthly_allowance_reason, effect))
        if post.si_base is not None:
            default, note = _derived_base(line, runs)
            effect = effects.line(line, replace(post, si_base=None), line.monthly_allowance, hf_rate)
            found.append(_item(path, "si_base", label, AMOUNT_UNIT, post.si_base, default, note,
                               post.si_base_reason, effect))
        if post.housing_fund_rate is not None:
            effect = effects.line(line, post, line.monthly_allowance, None)
            found.append(_item(path, "housing_fund_rate", label, RATE_UNIT, post.housing_fund_rate, hf_default,
                               hf_note, post.housing_fund_rate_reason, effect))
    return tuple(a for a in found if a.default is None or a.value != a.default)


def _item(path, field, label, unit, value, default, note, reason, effect) -> Assumption:
    return Assumption(path=f"{path}.{field}", field=field, label=label + OVERRIDES[field], unit=unit, value=value,
                      default=default, default_note=note, reason=reason, effect=effect)


@dataclass
class _Effects:
    """Grand total with an override − grand total without it, from the computed result."""
    budget: Budget
    result: Result
    runs: list[Run]
    cache: dict[tuple, PersonMonth]

    def line(self, line: LineResult, changed: Post, allowance: Decimal, hf_rate: Decimal | None) -> Decimal:
        """One line priced again as ``changed`` with this allowance and rate; the other lines as they are."""
        other, _ = price_line(changed, allowance, hf_rate, self.runs, self.cache)
        return self.personnel(self.result.totals.personnel - line.total + other.total)

    def personnel(self, personnel_without: Decimal) -> Decimal:
        """The effect when the personnel cost would be ``personnel_without`` (direct costs unchanged)."""
        t = self.result.totals
        _, _, total = price_totals(personnel_without, t.direct, self.budget.management_fee_rate, self.result.tax_basis)
        return t.grand_total - total


def _work_injury(budget: Budget, params: ParameterSet, effects: _Effects, tier: str) -> Assumption:
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
        personnel = ZERO
        for post, line in zip(budget.personnel, effects.result.personnel):
            personnel += price_line(post, line.monthly_allowance, post.housing_fund_rate, runs, cache)[0].total
        effect = effects.personnel(personnel)
    return Assumption(path="contractor.work_injury_rate", field="work_injury_rate",
                      label="承接主体" + OVERRIDES["work_injury_rate"], unit=RATE_UNIT, value=c.work_injury_rate,
                      default=default, default_note=note, reason=c.work_injury_rate_reason, effect=effect)


def _default_allowance(params: ParameterSet, budget: Budget, post: Post) -> tuple[Decimal | None, str]:
    """The allowance compute() would use for the line's certificate (seed 三(一): certified workers only)."""
    name, district = CERTIFICATES[post.certificate], budget.project.district
    lookup = default_allowance(params, budget.project.start.first_day, district, post.certificate, post.category)
    if lookup is not None:
        return lookup.value, f"按{district}「{name}」的职业津贴标准"
    if post.certificate == "none":
        return ZERO, "无证书，不发职业津贴"
    gap = allowance_gap(params, budget.project.start.first_day, district, post.certificate, post.category)
    if gap is None:
        return ZERO, "该类别岗位不在职业津贴标准的适用范围"
    return ZERO, f"{gap.text}，默认为 0"


def _derived_base(line: LineResult, runs: list[Run]) -> tuple[Decimal | None, str]:
    """The base compute() would derive without the override: pay + allowance, clamped to the floor
    and ceiling of each run the line is filled in; one figure only when it is the same in all of them."""
    actual = line.monthly_pay + line.monthly_allowance
    bases = list(dict.fromkeys(derived_si_base(actual, run.rates) for run, _ in active_runs(runs, line.months)))
    if len(bases) == 1:
        return bases[0], "按工资（含津贴）核定，限于缴费基数上下限"
    return None, "按工资（含津贴）核定，各年度缴费基数上下限不同"
