"""The three budget-wide rules at their limits: exactly at the limit there is no finding, one 分 or one basis
point past it there is, and without the setting there is none.

Every table prices the same one-month budget by hand (渝中区, 2025-01, one 社工 at 5,000.00 元, tax-exempt, so the
grand total is the pre-tax cost):
  contributions on a base of 5,000.00: pension 16% 800.00, medical 8.5% 425.00, 大额医疗 1.5% 75.00,
  unemployment 0.5% 25.00, work injury 0.3% 15.00, housing fund 5% 250.00 = 1,590.00
  personnel = 5,000.00 + 1,590.00 = 6,590.00
"""
from decimal import Decimal as D

import pytest

from .helpers import budget_input, person, run

PERSONNEL = D("6590.00")
CODES = ("MANAGEMENT_FEE_ABOVE_CAP", "PERSONNEL_SHARE_BELOW_MIN", "OVER_APPROPRIATION")


def priced(fee_rate="0", costs=(), taxpayer="exempt", rules=None, appropriation=None):
    data = budget_input(start="2025-01", end="2025-01", personnel=[person(monthly_pay="5000.00")],
                        contractor={"taxpayer": taxpayer}, management_fee_rate=fee_rate, rules=rules or {},
                        costs=[{"category": "activities", "name": "活动", "quantity": "1", "unit_price": price}
                               for price in costs])
    if appropriation is not None:
        data["project"]["appropriation"] = appropriation
    return run(data)


def rule_findings(result, code):
    """The findings of one budget-wide rule; the other two never fire in these tables."""
    assert [f.code for f in result.findings if f.code in CODES and f.code != code] == []
    return [f for f in result.findings if f.code == code]


def test_the_budget_the_tables_price():
    totals = priced(fee_rate="0.10").totals
    assert totals.personnel == PERSONNEL
    assert (totals.management_fee, totals.grand_total) == (D("659.00"), D("7249.00"))


# management fee 10%: 6,590.00 × 0.10 = 659.00 元; 10.01%: 6,590.00 × 0.1001 = 659.659 → 659.66 元
@pytest.mark.parametrize("fee_rate, cap, message", [
    pytest.param("0.10", "0.10", None, id="equal to the cap"),
    pytest.param("0.1001", "0.10", "管理费费率 10.01%（659.66 元）高于项目规则设定的上限 10%",
                 id="one basis point above the cap"),
    pytest.param("0.0999", "0.10", None, id="one basis point below the cap"),
    pytest.param("0.10", "0.0999", "管理费费率 10%（659.00 元）高于项目规则设定的上限 9.99%",
                 id="a cap one basis point below the rate"),
    pytest.param("0.10", None, None, id="no cap set"),
])
def test_management_fee_cap_at_its_boundary(fee_rate, cap, message):
    rules = {} if cap is None else {"max_management_fee_rate": cap}
    found = rule_findings(priced(fee_rate=fee_rate, rules=rules), "MANAGEMENT_FEE_ABOVE_CAP")
    assert [f.message for f in found] == ([] if message is None else [message])


# direct costs of 6,590.00, no fee: share = 6,590.00 ÷ 13,180.00 = 0.5 exactly
@pytest.mark.parametrize("minimum, message", [
    pytest.param("0.50", None, id="equal to the minimum"),
    pytest.param("0.5001", "人员经费 6,590.00 元占预算总额 13,180.00 元的 50%，低于项目规则设定的 50.01%",
                 id="one basis point short of the minimum"),
    pytest.param("0.4999", None, id="one basis point above the minimum"),
    pytest.param(None, None, id="no minimum set"),
])
def test_personnel_share_minimum_at_its_boundary(minimum, message):
    rules = {} if minimum is None else {"min_personnel_share": minimum}
    result = priced(costs=["6590.00"], rules=rules)
    assert result.totals.personnel_share == D("0.5000")
    found = rule_findings(result, "PERSONNEL_SHARE_BELOW_MIN")
    assert [f.message for f in found] == ([] if message is None else [message])


# the share is rounded to the basis point before it is compared (and shown), so the boundary in direct costs
# lies between 6,591.31 (6,590.00 ÷ 13,181.31 = 0.499950… → 0.5000) and 6,591.32 (÷ 13,181.32 = 0.499949… → 0.4999)
@pytest.mark.parametrize("direct, share, found", [
    pytest.param("6591.31", "0.5000", False, id="direct costs whose share rounds to the minimum"),
    pytest.param("6591.32", "0.4999", True, id="one fen more, the share one basis point short"),
])
def test_personnel_share_is_compared_as_shown(direct, share, found):
    result = priced(costs=[direct], rules={"min_personnel_share": "0.50"})
    assert result.totals.personnel_share == D(share)
    assert bool(rule_findings(result, "PERSONNEL_SHARE_BELOW_MIN")) is found


# grand total 7,249.00 (fee 10%, tax-exempt)
@pytest.mark.parametrize("appropriation, message", [
    pytest.param("7249.00", None, id="equal to the appropriation"),
    pytest.param("7248.99", "预算总额 7,249.00 元超过预算控制数 7,248.99 元，超出 0.01 元",
                 id="one fen over the appropriation"),
    pytest.param("7249.01", None, id="one fen under the appropriation"),
    pytest.param(None, None, id="no appropriation set"),
])
def test_appropriation_at_its_boundary(appropriation, message):
    found = rule_findings(priced(fee_rate="0.10", appropriation=appropriation), "OVER_APPROPRIATION")
    assert [f.message for f in found] == ([] if message is None else [message])


# a general taxpayer in a city: VAT 6%, surcharges 7% + 3% + 2% = 12% of the VAT;
# 7,249.00 × 1.06 ÷ (1 − 0.06 × 0.12) = 7,683.94 ÷ 0.9928 = 7,739.6656… → 7,739.67
@pytest.mark.parametrize("appropriation, over", [
    pytest.param("7739.67", False, id="equal to the tax-inclusive total"),
    pytest.param("7739.66", True, id="one fen under the tax-inclusive total"),
    pytest.param("7249.00", True, id="equal to the pre-tax cost"),
])
def test_appropriation_is_compared_with_the_tax_inclusive_total(appropriation, over):
    result = priced(fee_rate="0.10", taxpayer="general", appropriation=appropriation)
    assert result.totals.grand_total == D("7739.67")
    assert bool(rule_findings(result, "OVER_APPROPRIATION")) is over
