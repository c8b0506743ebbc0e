"""Staleness of parameter families on a fixed clock, and district tiers by date."""
from dataclasses import replace
from datetime import date

from costing.engine.parameters import Family, default_parameters
from costing.engine.staleness import add_months, months_between, stale_families


def test_month_arithmetic():
    assert add_months(date(2025, 1, 1), 36) == date(2028, 1, 1)
    assert add_months(date(2025, 11, 1), 2) == date(2026, 1, 1)
    assert months_between(date(2026, 1, 1), date(2026, 11, 29)) == 10
    assert months_between(date(2026, 1, 15), date(2026, 2, 14)) == 0


def test_an_ended_annual_base_is_stale_the_day_after_it_ends():
    params = default_parameters()
    assert "si.base_floor" not in {s.family for s in stale_families(params, date(2025, 12, 31))}
    stale = {s.family: s for s in stale_families(params, date(2026, 1, 1))}
    base = stale["si.base_floor"]
    assert base.due == date(2026, 1, 1) and base.overdue_months == 0 and base.carried
    assert "已到期" in base.message and "2025-12-31 之后的月份正在沿用该数值" in base.message


def test_open_ended_values_are_stale_after_their_renewal_period():
    params = default_parameters()
    # the minimum wage of 2025-01-01 is renewed at least every 2–3 years: due 2028-01-01
    assert "min_wage.monthly" not in {s.family for s in stale_families(params, date(2027, 12, 31))}
    stale = {s.family: s for s in stale_families(params, date(2028, 3, 5))}["min_wage.monthly"]
    assert stale.due == date(2028, 1, 1) and stale.overdue_months == 2 and not stale.carried
    assert "应于 2028-01-01 前后更新，已逾期 2 个月" in stale.message


def test_open_ended_families_without_a_renewal_period_are_never_stale():
    families = {s.family for s in stale_families(default_parameters(), date(2040, 1, 1))}
    assert "si.employer.pension" not in families and "si.base_floor" in families
    # an ended value is stale even where the family states no renewal period
    assert "si.employee.unemployment" in families


def test_a_family_whose_next_value_is_entered_is_not_stale():

    params = default_parameters()
    family = params.families["si.base_floor"]
    last = family.records["cq"][-1]
    ahead = Family(family.key, family.label, family.unit, family.kind, family.regions, family.renewal,
                   family.renewal_months, {"cq": family.records["cq"] + [replace(last, start=date(2027, 1, 1), end=None)]})
    ahead.index()
    stale = stale_families(type(params)({**params.families, "si.base_floor": ahead}, params.history, params.aliases,
                                        params.settings, "test"), date(2026, 11, 29))
    assert "si.base_floor" not in {s.family for s in stale}


def test_a_district_tier_is_the_one_in_force_at_the_date():
    params = default_parameters()
    assert params.district("重庆高新区", date(2023, 1, 1)).name == "西部科学城重庆高新区"
    assert params.first_listed("西部科学城重庆高新区") == date(2022, 4, 1)
    assert params.district("城口县").tier == "tier2"
