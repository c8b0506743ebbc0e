"""Pay-proposal checks: every finding code with Decimal figures, and the comparison with the budget."""
from decimal import Decimal as D

import pytest

from costing.engine.parse import InputError
from costing.engine.roster import DUPLICATE_ID, check_input, check_to_json

from .helpers import budget_input, person, with_allowance_standard

# unless a test says otherwise, 渝中区 has a confirmed 职业津贴 standard: 200.00 for 助理社会工作师, 300.00 for
# 社会工作师 (the shipped data has none; an administrator enters a district's)
STANDARD = with_allowance_standard("渝中区")


def staff(**overrides):
    base = {"id": "S1", "post": "社工", "level": "junior", "certificate": "assistant_social_worker",
            "monthly_pay": "5000.00"}
    base.update(overrides)
    return base


def budget(**kw):
    return budget_input(personnel=[person(post="社工", headcount=2, monthly_pay="5000.00")], **kw)


def run(roster, data=None, params=STANDARD):
    return check_input({"budget": data or budget(), "roster": roster}, params)


def codes_at(result, where):
    return [f.code for f in result.findings if f.where.startswith(where)]


def test_a_compliant_person_costs_what_a_budget_line_costs():
    result = run([staff(), staff(id="S2")])
    first = result.people[0]
    # no 职业津贴 given: 渝中区's standard for the certificate, 200.00, as in the budget → 5200.00 a month
    assert first.person.monthly_allowance == D("200")
    # base 5200: 832.00 + 442.00 + 78.00 + 26.00 + 15.60 + housing fund 260.00 = 1653.60 a month
    assert first.monthly_cost == D("6853.60")
    # 12 × (5200.00 + 1653.60) = 82243.20
    assert first.employer_cost == D("82243.20") and first.status == "ok"
    assert result.roster_cost == result.budget.totals.personnel == D("164486.40")
    assert [f.code for f in result.findings] == []


def test_a_blank_allowance_means_the_certificate_default_as_in_the_budget():
    # a budget line with no certificate gets no allowance; a 社会工作师 gets the standard's 300.00 — in both places
    data = budget_input(personnel=[person(post="社工", monthly_pay="5000.00"),
                                   person(post="督导", level="mid", certificate="social_worker", monthly_pay="6000.00"),
                                   person(post="助理", level="none", certificate="none", monthly_pay="4000.00")])
    result = run([staff(), staff(id="S2", post="督导", level="mid", certificate="social_worker", monthly_pay="6000.00"),
                  staff(id="S3", post="助理", level="none", certificate="none", monthly_pay="4000.00")], data)
    assert [p.person.monthly_allowance for p in result.people] == [D("200"), D("300"), D("0")]
    assert [f.code for f in result.findings if f.severity != "info"] == []
    # 助理's 4,000.00 is under the 2025 base floor of 4,404.00: said on that person, as on the budget line
    assert [(f.code, f.where) for f in result.findings] == [("SI_BASE_BELOW_FLOOR", "roster[2]")]
    assert result.roster_cost == result.budget.totals.personnel


def test_without_the_districts_standard_a_blank_allowance_is_nothing_in_both_places():
    result = run([staff(), staff(id="S2")], params=None)
    assert [p.person.monthly_allowance for p in result.people] == [D("0"), D("0")]
    # 12 × (5000.00 + 800.00 + 425.00 + 75.00 + 25.00 + 15.00 + 250.00) = 79080.00 each, as the budget line
    assert result.people[0].employer_cost == D("79080.00")
    assert result.roster_cost == result.budget.totals.personnel == D("158160.00")


def test_a_person_without_category_takes_the_budget_posts():
    # 社工 is a 社区 post in the budget, so the standard applies; 外聘 is on no budget post: 其他, outside it,
    # unless the row says 社区
    result = run([staff(), staff(id="X", post="外聘"), staff(id="Y", post="外聘", category="community")])
    assert [p.person.category for p in result.people] == ["community", "other", "community"]
    assert [p.person.monthly_allowance for p in result.people] == [D("200"), D("0"), D("200")]


def test_a_blank_category_is_none_or_empty_text_and_nothing_else():
    result = run([staff(category=None), staff(id="S2", category="")])
    assert [p.person.category for p in result.people] == ["community", "community"]
    for value in (0, False, [], {}):
        with pytest.raises(InputError) as caught:
            run([staff(category=value)])
        assert [(p.path, p.code) for p in caught.value.problems] == [("roster[0].category", "not_a_choice")]


def test_each_person_rule():
    result = run([
        staff(id="low", monthly_pay="2000.00"),
        staff(id="cert", certificate="none"),
        staff(id="floor", monthly_pay="4500.00"),
        staff(id="under", monthly_pay="6000.00", si_base="5000.00"),
        staff(id="tiny", level="none", certificate="none", monthly_pay="4000.00", si_base="3000.00"),
        staff(id="huge", monthly_pay="30000.00", si_base="30000.00"),
        staff(id="rate", employer_rates={"pension": "0.14", "work_injury": "0.003"}),
        staff(id="hf", housing_fund_rate="0.15"),
    ], budget(rules={"pay_floor": {"junior": "4800.00"}}))
    assert codes_at(result, "roster[0]") == ["PAY_BELOW_MIN_WAGE", "PAY_BELOW_FLOOR", "SI_BASE_BELOW_FLOOR"]
    assert codes_at(result, "roster[1]") == ["CERTIFICATE_BELOW_LEVEL"]
    assert codes_at(result, "roster[2]") == ["PAY_BELOW_FLOOR"]
    assert codes_at(result, "roster[3]") == ["SI_BASE_BELOW_PAY"]
    assert codes_at(result, "roster[4]") == ["SI_BASE_BELOW_FLOOR"]
    assert codes_at(result, "roster[5]") == ["SI_BASE_ABOVE_CEILING"]
    assert codes_at(result, "roster[6]") == ["SI_RATE_BELOW_STATUTORY"]
    assert codes_at(result, "roster[7]") == ["HOUSING_FUND_RATE_OUT_OF_RANGE"]
    rate = next(f for f in result.findings if f.code == "SI_RATE_BELOW_STATUTORY")
    assert rate.where == "roster[6].employer_rates.pension" and "14%" in rate.message and "16%" in rate.message
    assert [p.status for p in result.people] == ["fail", "fail", "fail", "fail", "ok", "attention", "fail", "fail"]


def test_declared_rates_are_used_for_the_cost():
    result = run([staff(employer_rates={"pension": "0.14"})])
    # pension (5000 + allowance 200) × 14% = 728.00 instead of 832.00, 12 months
    assert dict(result.people[0].contributions)["pension"] == D("8736.00")


def test_pay_below_budget_per_post_and_in_total():
    result = run([staff(), staff(id="S2", monthly_pay="4000.00")])
    post = next(f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where == "comparison[社工]")
    # budget 5200.00 per person (with the allowance); the proposal averages (5200 + 4200) / 2 = 4700.00
    assert "5,200.00" in post.message and "4,700.00" in post.message and "每人每月少 500.00 元" in post.message
    total = next(f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where == "totals")
    assert total.severity == "warning"
    row = result.comparison[0]
    assert (row.budget_monthly_pay, row.roster_monthly_pay) == (D("5200.00"), D("4700.00"))
    # pay 4200 is under the base floor 4404: 704.64 + 374.34 + 66.06 + 22.02 + 13.21; housing fund 4200 × 5% = 210.00
    assert result.people[1].monthly_cost == D("4200.00") + D("704.64") + D("374.34") + D("66.06") + D("22.02") \
        + D("13.21") + D("210.00")


def test_headcount_mismatch_and_unbudgeted_posts():
    result = run([staff(), staff(id="X", post="督导")])
    mismatch = [f for f in result.findings if f.code == "HEADCOUNT_MISMATCH"]
    assert {f.where for f in mismatch} == {"comparison[社工]", "comparison[督导]"}
    assert "预算 2 人，薪酬方案 1 人" in mismatch[0].message


def test_a_repeated_id_names_the_entry_that_has_it_first():
    with pytest.raises(InputError) as caught:
        run([staff(), staff(id="S2"), staff(id=" S1 "), staff(id="S2", monthly_pay="x"), staff(id="S3")])
    assert [(p.path, p.message, p.code) for p in caught.value.problems] == [
        ("roster[2].id", "「S1」与第 1 行重复", DUPLICATE_ID),
        ("roster[3].id", "「S2」与第 2 行重复", DUPLICATE_ID),
        ("roster[3].monthly_pay", "必须是不小于 0 的金额，最多两位小数", "invalid")]


def test_a_roster_entry_may_state_an_annual_bonus_as_an_amount():
    assert len(run([staff(annual_bonus="6000.00")]).people) == 1
    with pytest.raises(InputError) as caught:
        run([staff(annual_bonus="6000.005")])
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("roster[0].annual_bonus", "必须是不小于 0 的金额，最多两位小数")]


def test_bad_roster_rows_name_their_field():
    with pytest.raises(InputError) as caught:
        run([staff(monthly_pay="-1"), staff(id="S2", level="boss", employer_rates={"pension": "1.5"}, extra="x")])
    paths = {p.path for p in caught.value.problems}
    assert paths == {"roster[0].monthly_pay", "roster[1].level", "roster[1].employer_rates.pension",
                     "roster[1].extra"}


def test_budget_problems_are_prefixed():
    with pytest.raises(InputError) as caught:
        run([staff()], budget_input(district="火星"))
    assert caught.value.problems[0].path == "budget.project.district"


def test_json_report():
    out = check_to_json(run([staff(), staff(id="S2", certificate="none")]))
    assert out["totals"]["fail"] == 1 and out["people"][1]["status_label"] == "不合规"
    assert out["people"][1]["findings"] == ["CERTIFICATE_BELOW_LEVEL"]
    assert out["people"][0]["employer_cost"] == "82243.20"
    assert out["people"][0]["monthly_allowance"] == "200.00" and out["people"][0]["category"] == "community"
    # a person without a housing-fund rate has the budget's: the lowest at the start of its service
    assert out["people"][0]["housing_fund_rate"] is None and out["defaults"] == {"housing_fund_rate": "0.05", "housing_fund_rates": [{"from": "2025-01", "rate": "0.05"}]}


def test_a_stored_budget_whose_overrides_lack_reasons_can_still_be_checked_against():
    data = budget_input(personnel=[person(post="社工", headcount=2, monthly_pay="5000.00", monthly_allowance="0.00",
                                          monthly_allowance_reason=None)])
    # 12 × (5000.00 + 1590.00) × 2
    assert run([staff(monthly_allowance="0.00"), staff(id="S2", monthly_allowance="0.00")], data).roster_cost \
        == D("158160.00")


# -- like with like, and a verdict that tells the truth (#12) ---------------------------------------------------

def test_a_roster_that_mirrors_the_budget_with_its_bonus_has_no_shortfall():
    # the budget pays 社工 5,000.00 a month, the district's 200.00 allowance (blank) and 3,000.00 a year in bonus
    data = budget_input(personnel=[person(post="社工", headcount=2, monthly_pay="5000.00", annual_bonus="3000.00")])
    result = run([staff(annual_bonus="3000.00"), staff(id="S2", annual_bonus="3000.00")], data)
    # each: 82,243.20 as without bonus, plus 3,000.00 × 12 ÷ 12 = 85,243.20; the two are the budget's personnel line
    assert result.people[0].employer_cost == D("85243.20")
    assert result.roster_cost == result.budget.totals.personnel == D("170486.40")
    assert [f.code for f in result.findings] == []
    assert check_to_json(result)["totals"]["verdict"] == "ok"


def test_a_roster_without_the_budgets_bonus_is_short_by_a_twelfth_of_it_a_month():
    data = budget_input(personnel=[person(post="社工", headcount=2, monthly_pay="5000.00", annual_bonus="3000.00")])
    result = run([staff(), staff(id="S2")], data)
    short = [f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where == "comparison[社工]"]
    # 12 × 5,200.00 + 3,000.00 = 65,400.00 a year against 62,400.00: 3,000.00 a year less
    assert len(short) == 1 and "年终奖每年 3,000.00 元" in short[0].message
    assert "每人每年少 3,000.00 元（工资、津贴与年终奖合计）" in short[0].message
    row = result.comparison[0]
    assert (row.budget_annual_bonus, row.roster_annual_bonus) == (D("3000.00"), D("0.00"))
    # and the total: 170,486.40 budgeted, 164,486.40 proposed, 6,000.00 less
    total = [f for f in result.findings if f.where == "totals"]
    assert [f.code for f in total] == ["PAY_BELOW_BUDGET"] and "差 6,000.00 元" in total[0].message


def test_the_verdict_counts_a_post_level_error_though_every_person_is_compliant():
    # each person pays 4,900.00 (above every floor) where the budget pays 5,000.00: every person 合规, the post not
    result = run([staff(monthly_pay="4900.00"), staff(id="S2", monthly_pay="4900.00")])
    assert {p.status for p in result.people} == {"ok"}
    assert result.verdict == "fail"
    totals = check_to_json(result)["totals"]
    assert (totals["fail"], totals["ok"], totals["verdict"], totals["verdict_label"]) == (0, 2, "fail", "不合规")


def test_a_roster_costing_more_than_the_budget_funds_is_said_with_the_gap():
    # three people where the budget funds two: 3 × 82,243.20 = 246,729.60 against 164,486.40
    result = run([staff(), staff(id="S2"), staff(id="S3")])
    above = [f for f in result.findings if f.code == "ROSTER_ABOVE_BUDGET"]
    assert len(above) == 1 and above[0].severity == "warning" and above[0].where == "totals"
    assert "246,729.60 元" in above[0].message and "比预算人员经费（164,486.40 元）多 82,243.20 元" in above[0].message
    assert result.verdict == "attention"


def test_post_names_match_across_widths_spaces_and_brackets_and_a_near_miss_is_suggested():
    data = budget_input(personnel=[person(post="社会工作者（儿童）", headcount=1, monthly_pay="5000.00"),
                                   person(post="社会工作者", headcount=1, monthly_pay="5000.00")])
    result = run([staff(post="社会工作者 (儿童)"), staff(id="S2", post="社会工作")], data)
    # the first is the budget's 社会工作者（儿童）, with its category and no headcount finding
    posts = {row.post: (row.budget_headcount, row.roster_headcount) for row in result.comparison}
    assert posts == {"社会工作者（儿童）": (1, 1), "社会工作者": (1, 0), "社会工作": (0, 1)}
    missing = [f.message for f in result.findings if f.where == "comparison[社会工作]"]
    assert missing == ["岗位「社会工作」：预算 0 人，薪酬方案 1 人。预算中没有这个岗位，是否指「社会工作者」？"]


def test_a_bonus_one_fen_short_is_said_as_one_fen_a_year():
    data = budget_input(personnel=[person(post="社工", headcount=1, monthly_pay="5000.00", annual_bonus="3000.00")])
    result = run([staff(annual_bonus="2999.99")], data)
    short = [f.message for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where == "comparison[社工]"]
    assert len(short) == 1 and short[0].endswith("每人每年少 0.01 元（工资、津贴与年终奖合计）")


def test_a_rate_typed_as_a_percentage_without_its_sign_is_told_how_to_write_it():
    with pytest.raises(InputError) as refused:
        run([staff(housing_fund_rate="8.5")])
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("roster[0].housing_fund_rate", "必须是 0 到 1 之间（含 0，不含 1）的小数，最多六位小数；8.5% 请写 8.5% 或 0.085")]
