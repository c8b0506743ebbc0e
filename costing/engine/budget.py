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
from .assumptions import list_assumptions
from .model import CONTRIBUTIONS, COST_CATEGORIES, Budget
from .money import amount_in_words, round_cents, round_share
from .parameters import Lookup, ParameterMissing, ParameterSet, default_parameters
from .parse import AMOUNT_DIGITS, OVERRIDES, REASON_MISSING, InputError, Problem
from .periods import Month
from .pricing import (
    ZERO,
    PersonMonth,
    Run,
    allowance_for,
    allowance_source,
    build_runs,
    default_allowance,
    default_hf_rate,
    default_hf_rates,
    price_line,
    price_totals,
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
        allowances = {(post.certificate, post.category): (
                          default_allowance(params, project.start.first_day, district.name, post.certificate, post.category),
                          allowance_source(params, project.start.first_day, district.name, post.certificate, post.category))
                      for post in budget.personnel if post.monthly_allowance is None}
        tax_lookups = _tax_lookups(params, budget, project.start.first_day)
        end_tax_lookups = _tax_lookups(params, budget, project.end.first_day)
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
    for post in budget.personnel:
        default, source = (None, "given") if post.monthly_allowance is not None else allowances[(post.certificate,
                                                                                                  post.category)]
        if default is not None:
            usage.add(default, project.start, project.start.plus(post.months - 1))
        line, used = price_line(post, allowance_for(post.monthly_allowance, default),
                                post.housing_fund_rate, runs, cache, allowance_source=source)
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

    costs = tuple(CostResult(c.category, c.name, c.quantity, c.unit, c.unit_price,
                             round_cents(c.quantity * c.unit_price)) for c in budget.costs)
    tax_basis, tax_uses = _tax_basis(budget, tax_lookups)
    for lookup in tax_uses:
        usage.add(lookup, project.start, project.start)
    totals = _totals(lines, all_contributions, costs, budget.management_fee_rate, tax_basis)
    if totals.grand_total >= TOTAL_LIMIT:
        raise InputError([Problem("totals.grand_total", f"预算总额 {totals.grand_total:,} 元超过系统上限"
                                                        f"（最多 {AMOUNT_DIGITS} 位整数），请检查人数、工资和数量")])
    by_month = _by_month(project.start, budget.months, month_heads, month_pay, month_contrib)
    parameters = usage.uses(budget)
    result = Result(
        project_name=project.name, district=district.name, tier=tier, start=str(project.start),
        end=str(project.end), months=budget.months, parameter_set=params.version,
        personnel=tuple(lines), costs=costs, management_fee_rate=budget.management_fee_rate,
        tax_basis=tax_basis, totals=totals, amount_in_words=amount_in_words(totals.grand_total),
        by_month=by_month, findings=(), parameters=parameters, housing_fund_default=default_hf_rate(runs),
        housing_fund_defaults=default_hf_rates(runs))
    findings = checks.run_all(budget, result, runs, params)
    end_basis, _ = _tax_basis(budget, end_tax_lookups)
    if (end_basis.vat_rate, end_basis.surcharge_rate) != (tax_basis.vat_rate, tax_basis.surcharge_rate):
        findings.append(checks.tax_rates_change(project, tax_basis, end_basis, end_tax_lookups["vat"]))
    assumptions = list_assumptions(budget, params, result, runs, cache)
    if budget.reasons_required:
        missing = [Problem(f"{a.path}_reason", f"填写了{OVERRIDES[a.field]}（不用默认值），请说明理由", REASON_MISSING)
                   for a in assumptions if not a.reason]
        if missing:
            raise InputError(missing)
    result = replace(result, findings=tuple(findings), assumptions=assumptions)
    return Priced(result, runs, cache)


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


def _totals(lines, contributions: dict[str, Decimal], costs, fee_rate: Decimal, tax: TaxBasis) -> Totals:
    personnel = sum((line.total for line in lines), ZERO)
    direct_by_category = dict.fromkeys(COST_CATEGORIES, ZERO)   # fixed order, whatever the line order
    for cost in costs:
        direct_by_category[cost.category] += cost.amount
    direct = sum(direct_by_category.values(), ZERO)
    management_fee, pre_tax, price = price_totals(personnel, direct, fee_rate, tax)
    tax_amount = price - pre_tax
    vat = round_cents(price * tax.vat_rate / (1 + tax.vat_rate))
    share = round_share(personnel / price) if price else round_share(ZERO)
    return Totals(
        pay=sum((line.pay for line in lines), ZERO), bonus=sum((line.bonus for line in lines), ZERO),
        contributions=tuple(contributions.items()), personnel=personnel, direct=direct,
        direct_by_category=tuple(direct_by_category.items()), management_fee=management_fee,
        pre_tax=pre_tax, vat=vat, surcharges=tax_amount - vat, tax=tax_amount, grand_total=price,
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
