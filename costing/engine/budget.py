"""Compute a service-purchase budget month by month with the figures in force in each month.

Rounding happens in exactly these places (ROUND_HALF_UP to 0.01):
  * each employer contribution item (and the housing fund) per person per month;
  * the prorated annual bonus of a line; each direct-cost line (quantity × unit price);
  * the management fee; the tax-inclusive price (tax = price − pre-tax cost).
Line and grand totals are sums of those rounded amounts. Months with identical figures form a run
and each line is computed once per run, not once per month.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from . import checks
from .model import CONTRIBUTIONS, COST_CATEGORIES, Budget, Post
from .money import amount_in_words, round_cents, round_share
from .parameters import Lookup, ParameterMissing, ParameterSet, default_parameters
from .parse import AMOUNT_DIGITS, InputError, Problem
from .periods import Month
from .result import (INPUT_CONFIDENCE, CostResult, LineResult, MonthTotal, ParameterUse, Result,
                     Segment, TaxBasis, Totals)

ZERO = Decimal("0")
TOTAL_LIMIT = Decimal(10) ** AMOUNT_DIGITS      # the database keeps Numeric(14, 2)
SI_ITEMS = ("pension", "medical", "serious_illness", "unemployment", "work_injury")
_SI_FAMILIES = {item: f"si.employer.{item}" for item in SI_ITEMS}


@dataclass(frozen=True)
class Figures:
    """The figures in force in one month (a run of months shares one Figures)."""
    min_wage: Lookup
    si_floor: Lookup
    si_ceiling: Lookup
    rates: tuple[tuple[str, Lookup | None], ...]     # None: work injury rate given by the budget
    hf_floor: Lookup
    hf_ceiling: Lookup
    hf_rate_min: Lookup
    hf_rate_max: Lookup

    def lookups(self) -> list[Lookup]:
        found = [self.min_wage, self.si_floor, self.si_ceiling, self.hf_floor, self.hf_ceiling,
                 self.hf_rate_min, self.hf_rate_max]
        return found + [lookup for _, lookup in self.rates if lookup is not None]

    def key(self) -> tuple:
        return tuple((l.record.family, l.record.start, l.carried_forward) for l in self.lookups())


@dataclass(frozen=True)
class RunRates:
    """A run's figures as plain Decimals, resolved once for all lines."""
    si_floor: Decimal
    si_ceiling: Decimal
    rates: tuple[tuple[str, Decimal], ...]
    hf_floor: Decimal
    hf_ceiling: Decimal


@dataclass
class Run:
    first_index: int        # offset of the run's first month from the project start
    months: tuple[Month, ...]
    figures: Figures
    rates: RunRates | None = None
    labels: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.months)

    def resolve(self, work_injury_rate: Decimal | None) -> None:
        f = self.figures
        rates = tuple((item, work_injury_rate if lookup is None else lookup.value) for item, lookup in f.rates)
        self.rates = RunRates(f.si_floor.value, f.si_ceiling.value, rates, f.hf_floor.value, f.hf_ceiling.value)
        self.labels = tuple(str(month) for month in self.months)


def _year_lookup_date(month: Month, year_start_month: int) -> date:
    """The date whose record is the 年度 that contains ``month`` (年度 Y is labelled from Y-01-01)."""
    year = month.year if month.month >= year_start_month else month.year - 1
    return date(year, 1, 1)


def month_figures(params: ParameterSet, month: Month, tier: str, year_start_month: int,
                  work_injury_override: bool) -> Figures:
    day = month.first_day
    si_day = _year_lookup_date(month, year_start_month)
    rates = tuple(
        (item, None if item == "work_injury" and work_injury_override
         else params.at(_SI_FAMILIES[item], day, "cq"))
        for item in SI_ITEMS)
    return Figures(
        min_wage=params.at("min_wage.monthly", day, tier),
        si_floor=params.at("si.base_floor", si_day, "cq"),
        si_ceiling=params.at("si.base_ceiling", si_day, "cq"),
        rates=rates,
        hf_floor=params.at("hf.base_floor", day, tier),
        hf_ceiling=params.at("hf.base_ceiling", day, "cq"),
        hf_rate_min=params.at("hf.rate_min", day, "cq"),
        hf_rate_max=params.at("hf.rate_max", day, "cq"),
    )


def build_runs(params: ParameterSet, budget: Budget, tier: str) -> list[Run]:
    """Group the project's months into runs of months with identical figures."""
    year_start = int(params.setting("si.base_year_start_month").value)
    override = budget.contractor.work_injury_rate is not None
    runs: list[Run] = []
    for offset in range(budget.months):
        month = budget.project.start.plus(offset)
        figures = month_figures(params, month, tier, year_start, override)
        if runs and runs[-1].figures.key() == figures.key():
            last = runs[-1]
            runs[-1] = Run(last.first_index, last.months + (month,), last.figures)
        else:
            runs.append(Run(offset, (month,), figures))
    for run in runs:
        run.resolve(budget.contractor.work_injury_rate)
    return runs


@dataclass(frozen=True)
class PersonMonth:
    """One person's figures for one month of a run."""
    actual_pay: Decimal
    si_base: Decimal
    hf_base: Decimal
    items: tuple[tuple[str, Decimal], ...]
    contributions: Decimal


def person_month(actual: Decimal, declared_base: Decimal | None, hf_rate: Decimal, rates: RunRates) -> PersonMonth:
    """Employer contributions for one person in one month: each item rounded to the 分 here."""
    declared = declared_base if declared_base is not None else actual
    si_base = min(max(declared, rates.si_floor), rates.si_ceiling)
    hf_base = min(max(actual, rates.hf_floor), rates.hf_ceiling)
    items, total = [], ZERO
    for item, rate in rates.rates + (("housing_fund", hf_rate),):
        amount = round_cents((hf_base if item == "housing_fund" else si_base) * rate)
        items.append((item, amount))
        total += amount
    return PersonMonth(actual, si_base, hf_base, tuple(items), total)


def price_line(post: Post, allowance: Decimal, hf_rate: Decimal, runs: list[Run],
               cache: dict[tuple, PersonMonth]) -> tuple[LineResult, list[tuple[Run, int, PersonMonth]]]:
    """One personnel line with the allowance and housing-fund rate it uses; also, for each run the
    line is filled in, its number of months there and the per-person figures.

    ``cache`` is shared by the lines priced on the same runs: lines with equal pay share their figures."""
    actual = post.monthly_pay + allowance
    totals = dict.fromkeys(CONTRIBUTIONS, ZERO)
    segments, used = [], []
    for run in runs:
        active = min(run.count, post.months - run.first_index)
        if active <= 0:
            break
        key = (id(run), actual, post.si_base, hf_rate)
        pm = cache.get(key)
        if pm is None:
            pm = cache[key] = person_month(actual, post.si_base, hf_rate, run.rates)
        persons_months = post.headcount * active
        for item, amount in pm.items:
            totals[item] += amount * persons_months
        segments.append(Segment(run.labels[0], run.labels[active - 1], active,
                                pm.si_base, pm.hf_base, pm.items))
        used.append((run, active, pm))
    bonus = round_cents(post.annual_bonus * post.headcount * post.months / 12)
    pay = actual * post.headcount * post.months + bonus
    line = LineResult(
        post=post.post, category=post.category, level=post.level, certificate=post.certificate,
        headcount=post.headcount, months=post.months, monthly_pay=post.monthly_pay,
        monthly_allowance=allowance, pay=pay, bonus=bonus, contributions=tuple(totals.items()),
        total=pay + sum(totals.values(), ZERO), segments=tuple(segments))
    return line, used


def compute(budget: Budget, params: ParameterSet | None = None) -> Result:
    """Compute the budget; raise InputError when a month lies before the first known figure."""
    params = params or default_parameters()
    project = budget.project
    district = params.district(project.district, project.start.first_day)
    tier = district.tier
    try:
        runs = build_runs(params, budget, tier)
        # seed 三(一): only certified social workers receive the 职业津贴
        allowances = {post.certificate: params.at("allowance.certificate_monthly", project.start.first_day,
                                                  post.certificate)
                      for post in budget.personnel
                      if post.monthly_allowance is None and post.certificate != "none"}
        tax_lookups = _tax_lookups(params, budget, project.start.first_day)
        end_tax_lookups = _tax_lookups(params, budget, project.end.first_day)
    except ParameterMissing as exc:
        raise InputError([Problem("project.start", str(exc))]) from None

    usage = _Usage()
    for run in runs:
        for lookup in run.figures.lookups():
            usage.add(lookup, run.months[0], run.months[-1])
    hf_default = runs[0].figures.hf_rate_min.value

    lines = []
    cache: dict[tuple, PersonMonth] = {}       # lines with equal pay share their per-person figures
    all_contributions = dict.fromkeys(CONTRIBUTIONS, ZERO)
    month_pay = [ZERO] * (budget.months + 1)
    month_contrib = [ZERO] * (budget.months + 1)
    month_heads = [0] * (budget.months + 1)
    for post in budget.personnel:
        allowance_lookup = allowances.get(post.certificate) if post.monthly_allowance is None else None
        if allowance_lookup is not None:
            allowance = allowance_lookup.value
        else:
            allowance = post.monthly_allowance if post.monthly_allowance is not None else ZERO
        if allowance_lookup is not None:
            usage.add(allowance_lookup, project.start, project.start.plus(post.months - 1))
        hf_rate = post.housing_fund_rate if post.housing_fund_rate is not None else hf_default
        line, used = price_line(post, allowance, hf_rate, runs, cache)
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
        by_month=by_month, findings=(), parameters=parameters)
    findings = checks.run_all(budget, result, runs, params)
    end_basis, _ = _tax_basis(budget, end_tax_lookups)
    if (end_basis.vat_rate, end_basis.surcharge_rate) != (tax_basis.vat_rate, tax_basis.surcharge_rate):
        findings.append(checks.tax_rates_change(project, tax_basis, end_basis, end_tax_lookups["vat"]))
    from .assumptions import list_assumptions     # it prices lines with this module's functions
    return replace(result, findings=tuple(findings),
                   assumptions=list_assumptions(budget, params, result, runs, cache))


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


def price_totals(personnel: Decimal, direct: Decimal, fee_rate: Decimal,
                 tax: TaxBasis) -> tuple[Decimal, Decimal, Decimal]:
    """Management fee, pre-tax cost and the tax-inclusive price (the grand total) of the summed lines."""
    management_fee = round_cents((personnel + direct) * fee_rate)
    pre_tax = personnel + direct + management_fee
    price = round_cents(pre_tax * (1 + tax.vat_rate) / (1 - tax.vat_rate * tax.surcharge_rate))
    return management_fee, pre_tax, price


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
        uses = [ParameterUse(record=l.record, name=l.record.family, label=l.record.label,
                             value=l.value, unit=l.record.unit, region=l.record.region,
                             first=str(first), last=str(last), carried_forward=l.carried_forward,
                             source=l.record.source.citation, confidence=l.record.confidence)
                for l, first, last in self._spans.values()]
        rate = budget.contractor.work_injury_rate
        if rate is not None:
            uses.append(ParameterUse(record=None, name="si.employer.work_injury", label="工伤保险单位费率（承接主体核定）",
                                     value=rate, unit="rate", region="cq", first=str(budget.project.start),
                                     last=str(budget.project.end), carried_forward=False,
                                     source="预算填写：contractor.work_injury_rate", confidence=INPUT_CONFIDENCE))
        return tuple(uses)
