"""The contract over time (issue #23): posts filled from a month, pay that changes, a standard that starts inside
the period, amounts by 年度 and tax by period of constant rates, each year's appropriation. Every expected figure
is worked out in the comment above it (渝中区; 2027–2028 carry 2025's figures forward: SI floor 4,404.00, employer
rates 16% + 8.5% + 1.5% + 0.5% + 0.3%, housing fund 5%)."""
from decimal import Decimal as D

import pytest

from costing.engine.parse import InputError
from costing.engine.result import to_json

from .helpers import budget_input, person, run, with_allowance_standard


def contract(**top):
    """24 months from 2027-01: a 社会工作师 raised from 6,000.00 to 6,500.00 in month 13, an 助理社会工作师 filled
    from month 4, a supervision cost in 2028 and an activity cost spread over the period, 5% management fee."""
    return budget_input(start="2027-01", end="2028-12", personnel=[
        person(post="社工", certificate="social_worker", monthly_pay="6000.00",
               pay_changes=[{"from": "2028-01", "monthly_pay": "6500.00"}]),
        person(post="社工助理", start="2027-04")],
        costs=[{"category": "supervision_training", "name": "督导", "quantity": "12", "unit": "次",
                "unit_price": "1000.00", "year": 2028},
               {"category": "activities", "name": "活动", "quantity": "1", "unit": "项", "unit_price": "24000.00"}],
        management_fee_rate="0.05", **top)


def test_each_month_is_priced_with_its_own_pay_allowance_and_months():
    # the district's standard (社会工作师 300, 助理 200) starts 2027-07-01, inside the period
    result = run(contract(), with_allowance_standard("渝中区", start="2027-07-01"))
    worker, assistant = result.personnel
    # 社工: 2027-01..06 at 6000 (base 6000: 960.00 + 510.00 + 90.00 + 30.00 + 18.00 + hf 300.00 = 1908.00),
    # 2027-07..12 at 6000 + 300 (1008.00 + 535.50 + 94.50 + 31.50 + 18.90 + 315.00 = 2003.40),
    # 2028 at 6500 + 300 (1088.00 + 578.00 + 102.00 + 34.00 + 20.40 + 340.00 = 2162.40)
    assert [(s.first, s.last, s.monthly_pay, s.monthly_allowance, sum(dict(s.per_person_month).values()))
            for s in worker.segments] == [
        ("2027-01", "2027-06", D("6000.00"), D("0"), D("1908.00")),
        ("2027-07", "2027-12", D("6000.00"), D("300"), D("2003.40")),
        ("2028-01", "2028-12", D("6500.00"), D("300"), D("2162.40"))]
    # pay 6000 × 6 + 6300 × 6 + 6800 × 12 = 155400.00; + 1908.00 × 6 + 2003.40 × 6 + 2162.40 × 12 = 204817.20
    assert (worker.pay, worker.total) == (D("155400.00"), D("204817.20"))
    assert (worker.first, worker.last, worker.months) == ("2027-01", "2028-12", 24)
    # 社工助理 from 2027-04: 5000 for 3 months (1590.00), then 5000 + 200 for 18 (832.00 + 442.00 + 78.00 + 26.00
    # + 15.60 + 260.00 = 1653.60): 6590.00 × 3 + 6853.60 × 18 = 19770.00 + 123364.80 = 143134.80
    assert (assistant.first, assistant.months, assistant.total) == ("2027-04", 21, D("143134.80"))
    assert [m.headcount for m in result.by_month[:4]] == [1, 1, 1, 2]
    t = result.totals
    assert t.personnel == D("347952.00") and t.direct == D("36000.00")
    # fee (347952.00 + 36000.00) × 5% = 19197.60; pre-tax 403149.60;
    # price 403149.60 × 1.06 ÷ (1 − 0.06 × 0.12) = 430437.7276… → 430437.73 (one tax period, as before)
    assert (t.management_fee, t.pre_tax, t.grand_total) == (D("19197.60"), D("403149.60"), D("430437.73"))
    # VAT 430437.73 × 0.06 ÷ 1.06 = 24364.40
    assert t.vat == D("24364.40")


def test_the_years_add_up_to_the_totals_to_the_fen():
    result = run(contract(), with_allowance_standard("渝中区", start="2027-07-01"))
    y2027, y2028 = result.by_year
    # personnel 2027: 社工 7908.00 × 6 + 8303.40 × 6 = 97268.40; 助理 19770.00 + 6853.60 × 6 = 60891.60 → 158160.00
    # 2028: 8962.40 × 12 + 6853.60 × 12 = 107548.80 + 82243.20 = 189792.00
    assert (y2027.personnel, y2028.personnel) == (D("158160.00"), D("189792.00"))
    # direct: 督导 12000.00 in 2028; 活动 24000.00 over 24 months → 12000.00 a year
    assert (y2027.direct, y2028.direct) == (D("12000.00"), D("24000.00"))
    # fee shared by each year's personnel + direct: 19197.60 × 170160.00 ÷ 383952.00 = 8508.00; 2028 the rest
    assert (y2027.management_fee, y2028.management_fee) == (D("8508.00"), D("10689.60"))
    assert (y2027.pre_tax, y2028.pre_tax) == (D("178668.00"), D("224481.60"))
    # price shared by pre-tax cost: 430437.73 × 178668.00 ÷ 403149.60 = 190761.564… → 190761.56; 2028 the rest
    assert (y2027.grand_total, y2028.grand_total) == (D("190761.56"), D("239676.17"))
    assert y2027.tax == D("190761.56") - D("178668.00")
    t = result.totals
    for field in ("personnel", "direct", "management_fee", "pre_tax", "tax", "grand_total"):
        assert getattr(y2027, field) + getattr(y2028, field) == getattr(t, field), field
    out = to_json(result)["by_year"]
    assert out[0] == {"year": 2027, "months": 12, "from": "2027-01", "to": "2027-12", "personnel": "158160.00",
                      "direct": "12000.00", "management_fee": "8508.00", "pre_tax": "178668.00",
                      "tax": "12093.56", "grand_total": "190761.56"}


def test_a_small_scale_contractor_across_2027_and_2028_is_taxed_period_by_period():
    # 1% VAT with surcharges halved (12% × 0.5 = 6%) until 2027-12-31, then 3% with 12%
    result = run(contract(contractor={"taxpayer": "small_scale"}), with_allowance_standard("渝中区", start="2027-07-01"))
    p2027, p2028 = result.tax_periods
    # 178668.00 × 1.01 ÷ (1 − 0.01 × 0.06) = 180563.0178… → 180563.02
    # 224481.60 × 1.03 ÷ (1 − 0.03 × 0.12) = 232051.4331… → 232051.43
    assert (p2027.first, p2027.last, p2027.vat_rate, p2027.grand_total) == ("2027-01", "2027-12", D("0.01"),
                                                                          D("180563.02"))
    assert (p2028.first, p2028.last, p2028.vat_rate, p2028.grand_total) == ("2028-01", "2028-12", D("0.03"),
                                                                          D("232051.43"))
    t = result.totals
    assert t.grand_total == D("412614.45")
    # VAT 180563.02 × 0.01 ÷ 1.01 = 1787.75; 232051.43 × 0.03 ÷ 1.03 = 6758.78
    assert t.vat == D("1787.75") + D("6758.78") and t.tax == t.grand_total - t.pre_tax
    assert [y.grand_total for y in result.by_year] == [D("180563.02"), D("232051.43")]
    finding = next(f for f in result.findings if f.code == "TAX_RATES_CHANGE_IN_PERIOD")
    assert finding.severity == "info" and "2027-01 至 2027-12 增值税 1%" in finding.message


def test_a_budget_without_dates_or_steps_is_priced_as_before():
    plain = budget_input(personnel=[person(months=7)])
    dated = budget_input(personnel=[person(start="2025-01", end="2025-07")])
    assert to_json(run(plain))["totals"] == to_json(run(dated))["totals"]
    # a line filled 2025-03..2025-09 costs what a 7-month line does (the figures do not change inside 2025)
    later = run(budget_input(personnel=[person(start="2025-03", end="2025-09")]))
    assert later.totals == run(plain).totals
    assert [m.headcount for m in later.by_month] == [0, 0] + [1] * 7 + [0] * 3
    assert later.personnel[0].segments[0].first == "2025-03"


def test_each_years_appropriation_is_checked_against_that_year():
    result = run(contract(project_appropriation_by_year={"2027": "190000.00", "2028": "250000.00"}),
                 with_allowance_standard("渝中区", start="2027-07-01"))
    over = [f for f in result.findings if f.code == "OVER_APPROPRIATION_YEAR"]
    # 2027 costs 190761.56 (above): 761.56 over its 190000.00; 2028's 239676.17 is within its 250000.00
    assert len(over) == 1 and over[0].where == "project.appropriation_by_year.2027"
    assert over[0].message == "2027 年度预算 190,761.56 元超过该年度预算控制数 190,000.00 元，超出 761.56 元"
    assert "预算法》第十八条" in over[0].basis


@pytest.mark.parametrize(("line", "path", "words"), [
    ({"start": "2026-12"}, "personnel[0].start", "不在项目期限"),
    ({"end": "2029-01"}, "personnel[0].end", "不在项目期限"),
    ({"start": "2028-03", "end": "2028-02"}, "personnel[0].end", "早于起始月份"),
    ({"start": "2027-04", "months": 3}, "personnel[0].months", "只能填写一种"),
    ({"start": "2027-4"}, "personnel[0].start", "年-月"),
    ({"pay_changes": [{"from": "2027-01", "monthly_pay": "6500.00"}]}, "personnel[0].pay_changes[0].from", "须晚于"),
    ({"pay_changes": [{"from": "2028-01", "monthly_pay": "6500.00"}, {"from": "2027-06", "monthly_pay": "7000.00"}]},
     "personnel[0].pay_changes[1].from", "上一次调整"),
    ({"months": 6, "pay_changes": [{"from": "2027-07", "monthly_pay": "6500.00"}]},
     "personnel[0].pay_changes[0].from", "晚于在岗截止月份 2027-06"),
    ({"pay_changes": [{"from": "2028-01", "monthly_pay": 6500}]}, "personnel[0].pay_changes[0].monthly_pay", "字符串"),
    ({"pay_changes": [{"from": "2028-01"}]}, "personnel[0].pay_changes[0].monthly_pay", "必填"),
    ({"pay_changes": {"from": "2028-01"}}, "personnel[0].pay_changes", "JSON 数组"),
])
def test_months_and_pay_steps_are_refused_at_their_field(line, path, words):
    with pytest.raises(InputError) as caught:
        run(budget_input(start="2027-01", end="2028-12", personnel=[person(**line)]))
    found = {p.path: p.message for p in caught.value.problems}
    assert path in found and words in found[path], found


def test_a_cost_year_and_a_years_appropriation_must_lie_in_the_period():
    with pytest.raises(InputError) as caught:
        run(budget_input(start="2027-01", end="2028-12",
                         costs=[{"category": "other", "name": "x", "quantity": "1", "unit_price": "1.00", "year": 2029}],
                         project_appropriation_by_year={"2026": "1.00", "27": "1.00"}))
    found = {p.path: p.message for p in caught.value.problems}
    assert "不在项目期限内（2027–2028 年）" in found["costs[0].year"]
    assert "不在项目期限内" in found["project.appropriation_by_year.2026"]
    assert "四位数字" in found["project.appropriation_by_year.27"]
