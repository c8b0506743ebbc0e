"""Compute a service-purchase budget month by month with the figures in force in each month.

The pricing rules (runs, defaults, where contributions are rounded) are in ``pricing``; here the lines
are summed. Besides those, rounding happens at each direct-cost line (quantity × unit price) and at
the VAT part of the tax (tax = price − pre-tax cost). Line and grand totals are sums of rounded amounts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from . import checks
from .annual import Periods, Split
from .assumptions import Effects, list_assumptions
from .model import CONTRIBUTIONS, COST_CATEGORIES, Budget
from .money import amount_in_words, round_cents, round_share
from .parameters import Lookup, ParameterMissing, ParameterSet, default_parameters
from .parse import AMOUNT_DIGITS, OVERRIDES, REASON_MISSING, InputError, Problem
from .periods import Month
from .pricing import (
    ZERO,
    PersonMonth,
    Run,
    allowance_source,
    allowance_steps,
    build_runs,
    default_hf_rate,
    default_hf_rates,
    price_line,
)
from .result import INPUT_CONFIDENCE, CostResult, MonthTotal, ParameterUse, Result, TaxBasis, Totals

TOTAL_LIMIT = Decimal(10) ** AMOUNT_DIGITS      # the database keeps Numeric(14, 2)


@dataclass(frozen=True)
class Priced:
    """A computed budget with the runs and per-person figures it was priced on (a roster check reuses them)."""
    result: Result
    runs: list[Run]
    cache: dict[tuple, PersonMonth]


def compute(budget: Budget, params: ParameterSet | None = None) -> Result:
    """Compute the budget; raise InputError when a month lies before the first known figure."""
    return compute_priced(budget, params).result


def compute_priced(budget: Budget, params: ParameterSet | None = None) -> Priced:
    params = params or default_parameters()
    project = budget.project
    district = params.district(project.district, project.start.first_day)
    tier = district.tier
    try:
        runs = build_runs(params, budget, tier)
        allowances = {}             # by (certificate, category): lines share their district's standard
        for post in budget.personnel:
            key = (post.certificate, post.category)
            if post.monthly_allowance is None and key not in allowances:
                allowances[key] = allowance_steps(params, project.start, budget.months, district.name, *key)
        tax_lookups = [_tax_lookups(params, budget, project.start.plus(offset).first_day)
                       for offset in range(budget.months)]
    except ParameterMissing as exc:
        raise InputError([Problem("project.start", str(exc))]) from None

    usage = _Usage()
    for run in runs:
        for lookup in run.figures.lookups():
            usage.add(lookup, run.months[0], run.months[-1])

    lines = []
    cache: dict[tuple, PersonMonth] = {}       # lines with equal pay share their per-person figures
    all_contributions = dict.fromkeys(CONTRIBUTIONS, ZERO)
    month_pay = [ZERO] * (budget.months + 1)
    month_contrib = [ZERO] * (budget.months + 1)
    month_heads = [0] * (budget.months + 1)
    used_by_line, allowances_used = [], []
    sources: dict[tuple, str] = {}                # why a line has no standard, by certificate, category and start
    for post in budget.personnel:
        if post.monthly_allowance is not None:
            allowance, source = post.monthly_allowance, "given"
        else:
            steps, lookups = allowances[(post.certificate, post.category)]
            allowance = steps
            if len(lookups) == 1 and lookups[0][1] is None:          # no standard in any month
                key = (post.certificate, post.category, post.first)
                if key not in sources:
                    sources[key] = _allowance_source(params, project, district.name, post, lookups, usage)
                source = sources[key]
            else:
                source = _allowance_source(params, project, district.name, post, lookups, usage)
        line, used = price_line(post, allowance, post.housing_fund_rate, runs, cache, allowance_source=source)
        allowances_used.append(allowance)
        for run, active, pm in used:
            # difference arrays: the run adds the same amounts to each of its active months
            stop = run.first_index + active
            month_pay[run.first_index] += pm.actual_pay * post.headcount
            month_pay[stop] -= pm.actual_pay * post.headcount
            month_contrib[run.first_index] += pm.contributions * post.headcount
            month_contrib[stop] -= pm.contributions * post.headcount
            month_heads[run.first_index] += post.headcount
            month_heads[stop] -= post.headcount
        for item, amount in line.contributions:
            all_contributions[item] += amount
        lines.append(line)
        used_by_line.append(used)

    costs = tuple(CostResult(c.category, c.name, c.quantity, c.unit, c.unit_price,
                             round_cents(c.quantity * c.unit_price), c.year) for c in budget.costs)
    bases = []
    for offset, lookups in enumerate(tax_lookups):
        basis, uses = _tax_basis(budget, lookups)
        bases.append(basis)
        month = project.start.plus(offset)
        for lookup in uses:
            usage.add(lookup, month, month)
    periods = Periods(project.start, bases)
    by_month = _by_month(project.start, budget.months, month_heads, month_pay, month_contrib)
    personnel_parts = periods.personnel([m.total for m in by_month], [(post, line.bonus) for post, line
                                                                       in zip(budget.personnel, lines)])
    direct_parts = periods.direct(list(zip(budget.costs, (c.amount for c in costs))))
    split = periods.split(personnel_parts, direct_parts, budget.management_fee_rate)
    totals = _totals(lines, all_contributions, costs, split)
    if totals.grand_total >= TOTAL_LIMIT:
        raise InputError([Problem("totals.grand_total", f"预算总额 {totals.grand_total:,} 元超过系统上限"
                                                        f"（最多 {AMOUNT_DIGITS} 位整数），请检查人数、工资和数量")])
    parameters = usage.uses(budget)
    result = Result(
        project_name=project.name, district=district.name, tier=tier, start=str(project.start),
        end=str(project.end), months=budget.months, parameter_set=params.version,
        personnel=tuple(lines), costs=costs, management_fee_rate=budget.management_fee_rate,
        tax_basis=bases[0], totals=totals, amount_in_words=amount_in_words(totals.grand_total),
        by_month=by_month, findings=(), parameters=parameters, housing_fund_default=default_hf_rate(runs),
        housing_fund_defaults=default_hf_rates(runs), by_year=split.years, tax_periods=split.periods)
    findings = checks.run_all(budget, result, runs, params)
    if len(split.periods) > 1:
        findings.append(checks.tax_rates_change(split.periods, tax_lookups[-1]["vat"]))
    effects = Effects(budget, result, runs, cache, periods, personnel_parts, direct_parts, used_by_line,
                      allowances_used)
    assumptions = list_assumptions(budget, params, result, runs, cache, effects)
    if budget.reasons_required:
        missing = [Problem(f"{a.path}_reason", f"填写了{OVERRIDES[a.field]}（不用默认值），请说明理由", REASON_MISSING)
                   for a in assumptions if not a.reason]
        if missing:
            raise InputError(missing)
    result = replace(result, findings=tuple(findings), assumptions=assumptions)
    return Priced(result, runs, cache)


def _allowance_source(params: ParameterSet, project, district: str, post, lookups, usage: _Usage) -> str:
    """Why a line without its own allowance has what it has, over its own months (a standard that starts inside
    them counts from its month); the standards used are noted with the months they were used for."""
    stop = post.first + post.months
    found = False
    for i, (offset, lookup) in enumerate(lookups):
        end = lookups[i + 1][0] if i + 1 < len(lookups) else stop
        a, b = max(offset, post.first), min(end, stop)
        if lookup is not None and a < b:
            usage.add(lookup, project.start.plus(a), project.start.plus(b - 1))
            found = True
    if found:
        return "standard"
    return allowance_source(params, project.start.plus(post.first).first_day, district, post.certificate,
                            post.category)


def _by_month(start: Month, count: int, heads: list, pay: list, contrib: list) -> tuple[MonthTotal, ...]:
    """Turn the difference arrays into per-month totals."""
    months, h, p, c = [], 0, ZERO, ZERO
    for i in range(count):
        h, p, c = h + heads[i], p + pay[i], c + contrib[i]
        months.append(MonthTotal(str(start.plus(i)), h, p, c, p + c))
    return tuple(months)


def _tax_lookups(params: ParameterSet, budget: Budget, day: date) -> dict[str, Lookup]:
    taxpayer = budget.contractor.taxpayer
    found = {"vat": params.at(f"tax.vat.{taxpayer}", day, "all")}
    if taxpayer != "exempt":
        found["urban_construction"] = params.at("tax.surcharge.urban_construction", day,
                                                budget.contractor.location)
        found["education"] = params.at("tax.surcharge.education", day, "all")
        found["local_education"] = params.at("tax.surcharge.local_education", day, "all")
    if taxpayer == "small_scale":
        found["factor"] = params.at("tax.surcharge.small_scale_factor", day, "all")
    return found


def _tax_basis(budget: Budget, lookups: dict[str, Lookup]) -> tuple[TaxBasis, list[Lookup]]:
    vat_rate = lookups["vat"].value
    surcharge = sum((lookups[k].value for k in ("urban_construction", "education", "local_education")
                     if k in lookups), ZERO)
    if "factor" in lookups:
        surcharge *= lookups["factor"].value
    return TaxBasis(budget.contractor.taxpayer, vat_rate, surcharge), list(lookups.values())


def _totals(lines, contributions: dict[str, Decimal], costs, split: Split) -> Totals:
    personnel = sum((line.total for line in lines), ZERO)
    direct_by_category = dict.fromkeys(COST_CATEGORIES, ZERO)   # fixed order, whatever the line order
    for cost in costs:
        direct_by_category[cost.category] += cost.amount
    direct = sum(direct_by_category.values(), ZERO)
    price = split.grand_total
    tax_amount = price - split.pre_tax
    share = round_share(personnel / price) if price else round_share(ZERO)
    return Totals(
        pay=sum((line.pay for line in lines), ZERO), bonus=sum((line.bonus for line in lines), ZERO),
        contributions=tuple(contributions.items()), personnel=personnel, direct=direct,
        direct_by_category=tuple(direct_by_category.items()), management_fee=split.management_fee,
        pre_tax=split.pre_tax, vat=split.vat, surcharges=tax_amount - split.vat, tax=tax_amount, grand_total=price,
        personnel_share=share)


class _Usage:
    """Collects which record was used for which months, in first-use order."""

    def __init__(self):
        self._spans: dict[tuple, list] = {}

    def add(self, lookup: Lookup, first: Month, last: Month) -> None:
        r = lookup.record
        key = (r.family, r.region, r.start, lookup.carried_forward)
        span = self._spans.get(key)
        if span is None:
            self._spans[key] = [lookup, first, last]
        else:
            span[1], span[2] = min(span[1], first), max(span[2], last)

    def uses(self, budget: Budget) -> tuple[ParameterUse, ...]:
        uses = [ParameterUse(record=lookup.record, name=lookup.record.family, label=lookup.record.label,
                             value=lookup.value, unit=lookup.record.unit, region=lookup.record.region,
                             first=str(first), last=str(last), carried_forward=lookup.carried_forward,
                             source=lookup.record.source.citation, confidence=lookup.record.confidence)
                for lookup, first, last in self._spans.values()]
        rate = budget.contractor.work_injury_rate
        if rate is not None:
            uses.append(ParameterUse(record=None, name="si.employer.work_injury", label="工伤保险单位费率（承接主体核定）",
                                     value=rate, unit="rate", region="cq", first=str(budget.project.start),
                                     last=str(budget.project.end), carried_forward=False,
                                     source="预算填写（承接主体核定的费率）", confidence=INPUT_CONFIDENCE))
        return tuple(uses)
