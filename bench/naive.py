"""A naive month-by-month reference for the engine (issue #23), kept deliberately simple: every person-month looks
up its own figures (minimum wage, social-insurance floor and ceiling, each employer rate, housing-fund figures, the
district's allowance standard) and prices its pay and contributions with the engine's one rounding rule; nothing is
grouped, cached or reused. It prices what ``costing.engine.budget.compute`` prices (the grand total and the years,
for the same input) and nothing more: no findings, no assumptions. The totals are shared out by year and tax period
with the engine's own ``annual.Periods`` (the rule is not what is measured).

bench/over_time.py runs both side by side and checks that they agree to the 分.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from costing.engine.annual import Periods
from costing.engine.budget import _tax_basis, _tax_lookups
from costing.engine.model import Budget
from costing.engine.money import round_cents
from costing.engine.parameters import ParameterSet

ZERO = Decimal("0")
SI = ("pension", "medical", "serious_illness", "unemployment", "work_injury")


def naive_totals(budget: Budget, params: ParameterSet) -> tuple[Decimal, list[tuple[int, Decimal]]]:
    """(grand total, [(year, grand total of the year), …]) priced month by month, person-month by person-month."""
    project = budget.project
    tier = params.district(project.district, project.start.first_day).tier
    year_start = int(params.setting("si.base_year_start_month").value)
    by_month = [ZERO] * budget.months
    bonuses = []
    for post in budget.personnel:
        for offset in range(post.first, post.first + post.months):
            month = project.start.plus(offset)
            day = month.first_day
            pay = post.monthly_pay
            for change in post.pay_changes:
                if change.start <= month:
                    pay = change.monthly_pay
            allowance = post.monthly_allowance
            if allowance is None:
                covered = params.families["allowance.certificate_monthly"].categories
                standard = (params.district_value("allowance.certificate_monthly", day, project.district,
                                                  post.certificate)
                            if post.certificate != "none" and (not covered or post.category in covered) else None)
                allowance = standard.value if standard is not None else ZERO
            actual = pay + allowance
            si_day = date(month.year if month.month >= year_start else month.year - 1, 1, 1)
            floor = params.at("si.base_floor", si_day, "cq").value
            ceiling = params.at("si.base_ceiling", si_day, "cq").value
            base = min(max(post.si_base if post.si_base is not None else actual, floor), ceiling)
            hf_base = min(max(actual, params.at("hf.base_floor", day, tier).value),
                          params.at("hf.base_ceiling", day, "cq").value)
            hf_rate = post.housing_fund_rate
            if hf_rate is None:
                hf_rate = params.at("hf.rate_min", day, "cq").value
            contributions = round_cents(hf_base * hf_rate)
            for item in SI:
                if item == "work_injury" and budget.contractor.work_injury_rate is not None:
                    rate = budget.contractor.work_injury_rate
                else:
                    rate = params.at(f"si.employer.{item}", day, "cq").value
                contributions += round_cents(base * rate)
            params.at("min_wage.monthly", day, tier)           # looked up for its check, as the engine does
            by_month[offset] += (actual + contributions) * post.headcount
        bonuses.append((post, round_cents(post.annual_bonus * post.headcount * post.months / 12)))
    bases = [_tax_basis(budget, _tax_lookups(params, budget, project.start.plus(offset).first_day))[0]
             for offset in range(budget.months)]
    periods = Periods(project.start, bases)
    direct = periods.direct([(c, round_cents(c.quantity * c.unit_price)) for c in budget.costs])
    split = periods.split(periods.personnel(by_month, bonuses), direct, budget.management_fee_rate)
    return split.grand_total, [(y.year, y.grand_total) for y in split.years]
