"""Hand-computed budgets. Each expected figure is worked out in the comment above it."""
import copy
from dataclasses import replace as dc_replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from costing.engine.parameters import default_parameters
from costing.engine.result import to_json

from .helpers import budget_input, codes, contributions, person, run, with_allowance_standard


def test_one_person_in_yuzhong_for_2025():
    result = run(budget_input(personnel=[person(monthly_pay="5000.00")]))
    line = result.personnel[0]
    # base 5000 (floor 4404, ceiling 22017): 16% 800.00, 8.5% 425.00, 1.5% 75.00, 0.5% 25.00,
    # 0.3% 15.00; housing fund 5000 × 5% = 250.00 → 1590.00 a month, 19080.00 a year
    assert contributions(line) == {"pension": D("9600.00"), "medical": D("5100.00"),
                                   "serious_illness": D("900.00"), "unemployment": D("300.00"),
                                   "work_injury": D("180.00"), "housing_fund": D("3000.00")}
    assert line.pay == D("60000.00")
    assert line.total == D("79080.00")
    t = result.totals
    # price = 79080.00 × 1.06 / (1 − 0.06 × 0.12) = 83824.80 / 0.9928 = 84432.7155… → 84432.72
    assert t.grand_total == D("84432.72")
    assert t.tax == D("5352.72")
    # VAT = 84432.72 × 0.06 / 1.06 = 4779.2106… → 4779.21; surcharges = 5352.72 − 4779.21
    assert (t.vat, t.surcharges) == (D("4779.21"), D("573.51"))
    # 79080.00 / 84432.72 = 0.93660…
    assert t.personnel_share == D("0.9366")
    assert result.amount_in_words == "人民币捌万肆仟肆佰叁拾贰元柒角贰分"
    assert "PAY_BELOW_MIN_WAGE" not in codes(result)


def test_tier_two_county_uses_its_own_minimum_wage_and_housing_fund_floor():
    result = run(budget_input(district="城口县", personnel=[person(monthly_pay="2100.00")]))
    line = result.personnel[0]
    # base raised to the floor 4404: 704.64 + 374.34 + 66.06 + 22.02 + 13.21 (13.212);
    # housing fund on max(2100, tier-2 floor 2200) × 5% = 110.00 → 1290.27 a month
    assert line.segments[0].per_person_month == (
        ("pension", D("704.64")), ("medical", D("374.34")), ("serious_illness", D("66.06")),
        ("unemployment", D("22.02")), ("work_injury", D("13.21")), ("housing_fund", D("110.00")))
    assert line.total == D("25200.00") + D("1290.27") * 12
    finding = next(f for f in result.findings if f.code == "PAY_BELOW_MIN_WAGE")
    assert finding.severity == "error" and finding.where == "personnel[0]"
    assert "2,200.00" in finding.message and "100.00" in finding.message and "城口县" in finding.message
    assert finding.basis == "渝人社发〔2024〕22号"


def test_period_across_new_year_uses_each_months_figures():
    result = run(budget_input(start="2024-12", end="2025-01", personnel=[person(monthly_pay="2200.00")]))
    line = result.personnel[0]
    december, january = line.segments
    # 2024-12: floor 4359 → 697.44, 370.515→370.52, 65.385→65.39 (half up), 21.795→21.80,
    #          13.077→13.08; housing fund max(2200, 2100) × 5% = 110.00
    assert december.per_person_month == (
        ("pension", D("697.44")), ("medical", D("370.52")), ("serious_illness", D("65.39")),
        ("unemployment", D("21.80")), ("work_injury", D("13.08")), ("housing_fund", D("110.00")))
    # 2025-01: floor 4404 → 704.64, 374.34, 66.06, 22.02, 13.21; housing fund 2330 × 5% = 116.50
    assert january.per_person_month[-1] == ("housing_fund", D("116.50"))
    assert (december.first, january.first) == ("2024-12", "2025-01")
    # 1278.23 + 1296.77 = 2575.00; pay 2 × 2200.00
    assert line.total == D("6975.00")
    wage = [f for f in result.findings if f.code == "PAY_BELOW_MIN_WAGE"]
    assert len(wage) == 1 and "2025-01" in wage[0].message and "2,330.00" in wage[0].message


def test_pay_above_the_ceiling_is_charged_on_the_ceiling():
    result = run(budget_input(start="2025-03", end="2025-03", personnel=[person(monthly_pay="30000.00")]))
    # base 22017: 3522.72, 1871.445→1871.45, 330.255→330.26, 110.085→110.09, 66.051→66.05;
    # housing fund min(30000, 29362) × 5% = 1468.10
    assert result.personnel[0].segments[0].per_person_month == (
        ("pension", D("3522.72")), ("medical", D("1871.45")), ("serious_illness", D("330.26")),
        ("unemployment", D("110.09")), ("work_injury", D("66.05")), ("housing_fund", D("1468.10")))
    assert result.personnel[0].total == D("30000.00") + D("7368.67")
    assert "SI_BASE_BELOW_PAY" not in codes(result)


@pytest.mark.parametrize("taxpayer, grand_total, tax", [
    # 10000.00 × 1.06 / 0.9928 = 10676.8735… ; small scale 10000.00 × 1.01 / (1 − 0.01 × 0.06)
    # = 10106.0636…; exempt: no tax
    ("general", "10676.87", "676.87"),
    ("small_scale", "10106.06", "106.06"),
    ("exempt", "10000.00", "0.00"),
])
def test_taxes_are_grossed_up_by_taxpayer_type(taxpayer, grand_total, tax):
    data = budget_input(personnel=[], contractor={"taxpayer": taxpayer},
                        costs=[{"category": "activities", "name": "活动", "quantity": "10", "unit": "场",
                                "unit_price": "1000.00"}])
    totals = run(data).totals
    assert totals.direct == D("10000.00")
    assert (totals.grand_total, totals.tax) == (D(grand_total), D(tax))


def test_small_scale_rates_return_to_statute_after_2027():
    data = budget_input(start="2028-01", end="2028-12", personnel=[], contractor={"taxpayer": "small_scale"},
                        costs=[{"category": "other", "name": "x", "quantity": "1", "unit_price": "10000.00"}])
    result = run(data)
    # 3% and surcharges 12% in full: 10000.00 × 1.03 / (1 − 0.03 × 0.12) = 10337.2140… → 10337.21
    assert result.totals.grand_total == D("10337.21")


def test_county_town_contractor_pays_the_lower_urban_construction_tax():
    data = budget_input(personnel=[], contractor={"location": "county_town"},
                        costs=[{"category": "other", "name": "x", "quantity": "1", "unit_price": "10000.00"}])
    # surcharges 5% + 3% + 2% = 10%: 10600.00 / (1 − 0.006) = 10663.9839… → 10663.98
    assert run(data).totals.grand_total == D("10663.98")


def test_management_fee_bonus_and_defaults():
    data = budget_input(start="2025-01", end="2025-07", management_fee_rate="0.08", personnel=[
        person(monthly_pay="6000.00", monthly_allowance=None, certificate="social_worker", level="mid",
               annual_bonus="1000.00", headcount=1)])
    del data["personnel"][0]["monthly_allowance"]
    result = run(data, with_allowance_standard("渝中区"))
    line = result.personnel[0]
    # allowance from 渝中区's standard for 社会工作师: 300.00; bonus 1000.00 × 1 × 7 / 12 = 583.333… → 583.33
    assert line.monthly_allowance == D("300") and line.bonus == D("583.33")
    assert line.pay == D("6300.00") * 7 + D("583.33")
    # base 6300: 1008.00 + 535.50 + 94.50 + 31.50 + 18.90 + housing fund 315.00 = 2003.40 a month
    assert line.total == line.pay + D("2003.40") * 7
    # management fee 8% of personnel + direct: (44683.33 + 14023.80 + 0) × 0.08 = 4696.5704 → 4696.57
    assert result.totals.management_fee == D("4696.57")


def test_the_allowance_is_the_districts_standard_for_community_posts_and_else_nothing():
    lines = [person(certificate="social_worker"), person(certificate="none"),
             person(certificate="social_worker", category="elderly")]
    # no district has a standard in the shipped data: nothing by default, and a note on the certified
    # community line (the 老年 line is outside the rule, the uncertified one has no claim)
    result = run(budget_input(personnel=lines))
    assert [p.monthly_allowance for p in result.personnel] == [D("0"), D("0"), D("0")]
    missing = [f for f in result.findings if f.code == "ALLOWANCE_STANDARD_MISSING"]
    assert [f.where for f in missing] == ["personnel[0]"] and missing[0].severity == "info"
    assert "渝中区" in missing[0].message
    # 渝中区's confirmed standard applies to its certified community line only
    result = run(budget_input(personnel=lines), with_allowance_standard("渝中区"))
    assert [p.monthly_allowance for p in result.personnel] == [D("300"), D("0"), D("0")]
    assert "ALLOWANCE_STANDARD_MISSING" not in codes(result)
    # 300.00 × 12 more pay on the first line, and its contributions on a base of 5300.00
    assert result.personnel[0].pay == D("63600.00")
    # another district's standard is not this one's
    result = run(budget_input(personnel=lines), with_allowance_standard("渝北区"))
    assert [p.monthly_allowance for p in result.personnel] == [D("0"), D("0"), D("0")]
    # a standard that starts inside the period applies from its own month (issue #23): one from 2025-07 gives a
    # budget from 2025-01 nothing for 2025-01..06 and 300.00 from 2025-07, and the note says so
    result = run(budget_input(personnel=lines[:1]), with_allowance_standard("渝中区", start="2025-07-01"))
    line = result.personnel[0]
    assert line.monthly_allowance == D("0")          # its first month's
    assert [(s.first, s.last, s.monthly_allowance) for s in line.segments] == [
        ("2025-01", "2025-06", D("0")), ("2025-07", "2025-12", D("300"))]
    # pay 5000.00 × 6 + 5300.00 × 6 = 61800.00
    assert line.pay == D("61800.00") and line.allowance_source == "standard"
    assert "ALLOWANCE_STANDARD_MISSING" not in codes(result)
    later = next(f for f in result.findings if f.code == "ALLOWANCE_STANDARD_NOT_YET")
    assert later.message == ("社工：渝中区「社会工作师」的职业津贴标准自 2025-07-01 起执行，2025-01 至 2025-06 "
                             "职业津贴按 0 计，此后按标准计入")
    # the standard used is listed for the months it was used in
    use = next(u for u in result.parameters if u.name == "allowance.certificate_monthly")
    assert (use.first, use.last) == ("2025-07", "2025-12")
    result = run(budget_input(start="2025-07", personnel=lines[:1]), with_allowance_standard("渝中区", start="2025-07-01"))
    assert result.personnel[0].monthly_allowance == D("300")
    # a standard that starts after the line's last month: nothing, and said
    short = [person(certificate="social_worker", months=3)]
    result = run(budget_input(personnel=short), with_allowance_standard("渝中区", start="2025-07-01"))
    assert result.personnel[0].allowance_source == "not_yet" and result.personnel[0].pay == D("15000.00")
    assert "在岗期间尚未执行" in next(f for f in result.findings if f.code == "ALLOWANCE_STANDARD_NOT_YET").message


def test_each_line_says_where_its_allowance_comes_from_and_the_result_its_default_housing_fund_rate():
    lines = [person(certificate="social_worker"), person(certificate="social_worker", monthly_allowance="150.00"),
             person(certificate="none"), person(certificate="social_worker", category="elderly"),
             person(certificate="assistant_social_worker")]
    params = with_allowance_standard("渝中区", {"social_worker": "300"})
    result = run(budget_input(personnel=lines), params)
    assert [(p.allowance_source, p.monthly_allowance) for p in result.personnel] == [
        ("standard", D("300")), ("given", D("150.00")), ("no_certificate", D("0")), ("not_covered", D("0")),
        ("not_entered", D("0"))]
    later = run(budget_input(start="2025-01", end="2025-06", personnel=lines[:1]),
                with_allowance_standard("渝中区", start="2025-07-01"))
    assert later.personnel[0].allowance_source == "not_yet"
    # the categories the standard covers are data: with 老年 among them, the 老年 line gets its standard
    params.families["allowance.certificate_monthly"].categories = ("community", "elderly")
    assert run(budget_input(personnel=lines), params).personnel[3].allowance_source == "standard"
    # a blank housing-fund rate is the lowest allowed at the start, said once for the result (to_json: defaults)
    assert result.housing_fund_default == D("0.05")
    assert to_json(result)["defaults"] == {"housing_fund_rate": "0.05",
                                          "housing_fund_rates": [{"from": "2025-01", "rate": "0.05"}]}
    assert [p["allowance_source"] for p in to_json(result)["personnel"]][:2] == ["standard", "given"]


def _hf_minimum_raised(on: str, rate: str):
    """The default parameters with the lowest housing-fund rate raised from ``on``."""
    params = copy.deepcopy(default_parameters())
    family = params.families["hf.rate_min"]
    (old,) = family.records["cq"]
    start = date.fromisoformat(on)
    family.records["cq"] = [dc_replace(old, end=start - timedelta(days=1)),
                            dc_replace(old, start=start, value=D(rate))]
    family.index()
    return params


def test_a_blank_housing_fund_rate_is_each_months_minimum():
    """The minimum raised to 6% from 2026-12: a blank line pays 5% in 2026-11 and 6% from 2026-12 (on 5,000:
    250.00, then 300.00 a month); a line that states 5% keeps it, and is told it is below the minimum."""
    params = _hf_minimum_raised("2026-12-01", "0.06")
    lines = [person(post="社工A"), person(post="社工B", housing_fund_rate="0.05")]
    result = run(budget_input(start="2026-11", end="2027-10", personnel=lines), params)
    blank, stated = result.personnel
    assert contributions(blank)["housing_fund"] == D("250.00") + 11 * D("300.00")
    assert dict([s for s in blank.segments if s.first == "2026-11"][0].per_person_month)["housing_fund"] == D("250.00")
    assert contributions(stated)["housing_fund"] == 12 * D("250.00")
    assert codes(result).count("HOUSING_FUND_RATE_OUT_OF_RANGE") == 1          # the stated line only
    assert result.housing_fund_default == D("0.05")
    assert to_json(result)["defaults"]["housing_fund_rates"] == [{"from": "2026-11", "rate": "0.05"},
                                                                 {"from": "2026-12", "rate": "0.06"}]
    # the stated 5% is an override of a default that changes: listed, its effect priced against each month's minimum
    (override,) = [a for a in result.assumptions if a.field == "housing_fund_rate"]
    assert override.default is None and "2026-12 起 6%" in override.default_note
    assert override.effect < 0
