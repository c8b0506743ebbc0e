"""Every finding code, with the numbers it states and the document it cites."""
import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from costing.engine import budget as budget_module
from costing.engine.parameters import default_parameters
from costing.engine.parse import InputError, parse_budget

from .helpers import budget_input, codes, person, run


def only(result, code):
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, (code, codes(result))
    return found[0]


@pytest.mark.parametrize("level, certificate, ok", [
    ("senior", "senior_social_worker", True), ("senior", "social_worker", False),
    ("mid", "social_worker", True), ("mid", "senior_social_worker", True),
    ("mid", "assistant_social_worker", False), ("junior", "social_work_worker", True),
    ("junior", "assistant_social_worker", True), ("junior", "none", False), ("none", "none", True),
])
def test_certificate_must_match_the_post_level(level, certificate, ok):
    result = run(budget_input(personnel=[person(level=level, certificate=certificate)]))
    assert ("CERTIFICATE_BELOW_LEVEL" not in codes(result)) is ok
    if not ok:
        assert only(result, "CERTIFICATE_BELOW_LEVEL").basis.endswith("二(四)")


def test_minimum_wage_counts_the_allowance():
    result = run(budget_input(personnel=[person(monthly_pay="2230.00", monthly_allowance="100.00")]))
    assert "PAY_BELOW_MIN_WAGE" not in codes(result)
    result = run(budget_input(personnel=[person(monthly_pay="2229.99", monthly_allowance="100.00")]))
    # 渝中区 (tier 1) 2025: 2,330.00; 2,229.99 + 100.00 = 2,329.99
    assert "月应发工资 2,229.99 元加职业津贴 100.00 元，合计 2,329.99 元，低于" in only(result, "PAY_BELOW_MIN_WAGE").message
    assert "每人每月差 0.01 元" in only(result, "PAY_BELOW_MIN_WAGE").message
    # without an allowance the pay is said alone
    result = run(budget_input(personnel=[person(monthly_pay="2329.99")]))
    assert only(result, "PAY_BELOW_MIN_WAGE").message.startswith("社工：月应发工资 2,329.99 元，低于")


def test_pay_floor_from_programme_rules():
    result = run(budget_input(personnel=[person(monthly_pay="3900.00", level="junior")],
                              rules={"pay_floor": {"junior": "4000.00"}}))
    finding = only(result, "PAY_BELOW_FLOOR")
    assert "月应发工资 3,900.00 元，低于项目规则设定的初级岗位薪酬下限 4,000.00 元，每人每月差 100.00 元" in finding.message
    assert finding.basis == "项目规则：初级岗位薪酬下限（采购方设定）"


def test_declared_base_below_pay_is_an_error_unless_the_ceiling_explains_it():
    result = run(budget_input(personnel=[person(monthly_pay="6000.00", si_base="5000.00")]))
    finding = only(result, "SI_BASE_BELOW_PAY")
    assert "5,000.00" in finding.message and "6,000.00" in finding.message
    # the contributions follow the declared base, as the budget says
    assert result.personnel[0].segments[0].si_base == D("5000.00")
    result = run(budget_input(personnel=[person(monthly_pay="30000.00", si_base="22017.00")]))
    assert "SI_BASE_BELOW_PAY" not in codes(result)


def test_declared_base_below_floor_is_raised_to_the_floor():
    result = run(budget_input(personnel=[person(monthly_pay="3000.00", si_base="2000.00")]))
    assert "SI_BASE_BELOW_PAY" not in codes(result)
    assert only(result, "SI_BASE_BELOW_FLOOR").severity == "info"
    assert result.personnel[0].segments[0].si_base == D("4404")


@pytest.mark.parametrize("rate, ok", [("0.05", True), ("0.12", True), ("0.049", False), ("0.13", False),
                                      ("0", False)])
def test_housing_fund_rate_between_5_and_12_percent(rate, ok):
    result = run(budget_input(personnel=[person(housing_fund_rate=rate)]))
    assert ("HOUSING_FUND_RATE_OUT_OF_RANGE" not in codes(result)) is ok


def test_budget_level_rules():
    data = budget_input(personnel=[person(monthly_pay="5000.00")], management_fee_rate="0.10",
                        appropriation="80000.00",
                        rules={"min_personnel_share": "0.95", "max_management_fee_rate": "0.08"},
                        costs=[{"category": "activities", "name": "活动", "quantity": "1",
                                "unit_price": "1000.00"}])
    result = run(data)
    assert only(result, "MANAGEMENT_FEE_ABOVE_CAP").where == "management_fee_rate"
    assert only(result, "PERSONNEL_SHARE_BELOW_MIN").where == "totals.personnel_share"
    # the rule is cited by its name, as the purchaser set it on the form
    assert only(result, "MANAGEMENT_FEE_ABOVE_CAP").basis == "项目规则：管理费费率上限（采购方设定）"
    assert only(result, "PERSONNEL_SHARE_BELOW_MIN").basis.startswith("项目规则：人员经费最低占比（采购方设定）；")
    over = only(result, "OVER_APPROPRIATION")
    excess = result.totals.grand_total - D("80000.00")
    assert f"{excess:,.2f}" in over.message


@pytest.mark.parametrize("site, headcount, short", [
    ({"type": "urban_community"}, 1, True), ({"type": "urban_community"}, 2, False),
    ({"type": "rural_community"}, 1, False),
    ({"type": "trade_union", "workers": 6500}, 2, True), ({"type": "trade_union", "workers": 6500}, 3, False),
    ({"type": "social_work_org", "total_posts": 10}, 6, True),
    ({"type": "social_work_org", "total_posts": 10}, 7, False),
])
def test_staffing_norms(site, headcount, short):
    result = run(budget_input(site=site, personnel=[person(headcount=headcount)]))
    assert ("STAFFING_BELOW_NORM" in codes(result)) is short


def test_non_professional_posts_do_not_count_toward_staffing():
    result = run(budget_input(site={"type": "urban_community"},
                              personnel=[person(headcount=1), person(level="none", certificate="none")]))
    assert "STAFFING_BELOW_NORM" in codes(result)


def test_months_after_the_last_published_figure_are_carried_forward_and_said():
    result = run(budget_input(start="2025-07", end="2026-06"))
    carried = [f for f in result.findings if f.code == "PARAMETER_CARRIED_FORWARD"]
    labels = " ".join(f.message for f in carried)
    assert "社会保险缴费基数下限" in labels and "2026-01 至 2026-06" in labels and "4,404.00" in labels
    assert all(f.severity == "warning" for f in carried)


def test_figures_whose_document_nobody_verified_are_named():
    result = run(budget_input())
    unverified = [f for f in result.findings if f.code == "PARAMETER_UNVERIFIED"]
    assert any("工伤保险" in f.message and "依据文件尚未确定，待主管部门核实" in f.message for f in unverified)
    # the software's own reading of a reproduction is no verification: shipped figures all await the bureau
    assert any("最低工资" in f.message and "渝人社发〔2024〕22号" in f.message and "待主管部门核实" in f.message
               for f in unverified)


def test_a_figure_verified_against_its_document_is_not_named():
    params = copy.deepcopy(default_parameters())
    family = params.families["si.base_floor"]
    for records in family.records.values():
        records[:] = [replace(r, source=replace(r.source, verified_by="重庆市民政局", verified_on="2026-03-02"))
                      for r in records]
    result = run(budget_input(), params)
    unverified = " ".join(f.message for f in result.findings if f.code == "PARAMETER_UNVERIFIED")
    assert "社会保险缴费基数下限" not in unverified and "社会保险缴费基数上限" in unverified


def test_a_line_breaking_several_rules_gets_several_findings():
    result = run(budget_input(personnel=[person(monthly_pay="2000.00", certificate="none",
                                                housing_fund_rate="0.02")]))
    line_codes = {f.code for f in result.findings if f.where == "personnel[0]"}
    assert {"PAY_BELOW_MIN_WAGE", "CERTIFICATE_BELOW_LEVEL", "HOUSING_FUND_RATE_OUT_OF_RANGE"} <= line_codes


def test_month_before_the_first_figure_is_an_error():
    with pytest.raises(InputError) as caught:
        run(budget_input(start="2021-06", end="2022-05"))
    problem = caught.value.problems[0]
    assert problem.path == "project.start" and "2022-01-01" in problem.message


def test_si_year_can_start_in_july(monkeypatch):
    params = default_parameters()
    setting = params.settings["si.base_year_start_month"]
    monkeypatch.setitem(params.settings, "si.base_year_start_month", setting.__class__(
        **{**setting.__dict__, "value": D("7")}))
    data = budget_input(start="2025-03", end="2025-03", personnel=[person(monthly_pay="3000.00")])
    result = budget_module.compute(parse_budget(data, params), params)
    # with a July–June 年度, March 2025 belongs to 2024年度: floor 4359
    assert result.personnel[0].segments[0].si_base == D("4359")


def test_tax_rate_change_within_the_period_is_said():
    data = budget_input(start="2027-07", end="2028-06", contractor={"taxpayer": "small_scale"})
    finding = only(run(data), "TAX_RATES_CHANGE_IN_PERIOD")
    # priced period by period now (issue #23): said as information, with each period's tax
    assert "1%" in finding.message and "3%" in finding.message and finding.severity == "info"


def test_totals_beyond_the_database_limit_are_an_input_error():
    data = budget_input(personnel=[person(monthly_pay="100000000000.00", headcount=10)])
    with pytest.raises(InputError) as caught:
        run(data)
    assert caught.value.problems[0].path == "totals.grand_total"


def test_a_budget_without_personnel_is_an_error():
    result = run(budget_input(personnel=[], costs=[{"category": "activities", "name": "活动", "quantity": "1",
                                                    "unit_price": "1000.00"}]))
    finding = only(result, "NO_PERSONNEL")
    assert finding.severity == "error" and finding.where == "personnel" and "三(一)" in finding.basis


def test_a_pay_under_the_base_floor_is_said_on_its_line():
    result = run(budget_input(personnel=[person(monthly_pay="2400.00", certificate="none", level="none")]))
    finding = only(result, "SI_BASE_BELOW_FLOOR")
    assert finding.severity == "info" and finding.where == "personnel[0]"
    assert "月应发工资 2,400.00 元，低于 2025-01 至 2025-12 的社会保险缴费基数下限 4,404.00 元" in finding.message


def _with_2026_floor(value: str):
    """The shipped parameters and a published 2026 social-insurance floor (the 2025 notice's source kept)."""
    params = copy.deepcopy(default_parameters())
    family = params.families["si.base_floor"]
    last = family.records["cq"][-1]
    family.records["cq"].append(replace(last, start=date(2026, 1, 1), end=date(2026, 12, 31), value=D(value),
                                        source=replace(last.source, title="关于做好2026年度社会保险缴费基数上下限核定有关工作的通知")))
    family.index()
    return params


def test_a_pay_under_two_years_floors_is_said_for_each_year_with_its_own_notice():
    """4,300 a month over 2025-07 to 2026-06, under the 2025 floor 4,404 and the 2026 floor 4,600: one finding a
    year, each with its figure and its document (not the first year's figure for all twelve months)."""
    data = budget_input(start="2025-07", end="2026-06", personnel=[person(monthly_pay="4300.00", certificate="none",
                                                                          level="none")])
    found = [f for f in run(data, _with_2026_floor("4600")).findings if f.code == "SI_BASE_BELOW_FLOOR"]
    assert [f.message for f in found] == [
        "社工：月应发工资 4,300.00 元，低于 2025-07 至 2025-12 的社会保险缴费基数下限 4,404.00 元，单位缴费按下限计算",
        "社工：月应发工资 4,300.00 元，低于 2026-01 至 2026-06 的社会保险缴费基数下限 4,600.00 元，单位缴费按下限计算"]
    assert "2025年度" in found[0].basis and "2026年度" in found[1].basis
    # a declared base under both floors: the same, one a year
    data["personnel"][0] |= {"si_base": "4000.00", "si_base_reason": "测试"}
    declared = [f for f in run(data, _with_2026_floor("4600")).findings if f.code == "SI_BASE_BELOW_FLOOR"]
    assert [f.message.split("低于 ")[1] for f in declared] == ["2025-07 至 2025-12 的基数下限 4,404.00 元，已按下限计算",
                                                             "2026-01 至 2026-06 的基数下限 4,600.00 元，已按下限计算"]
