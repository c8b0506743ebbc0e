"""Pay-proposal checks: every finding code with Decimal figures, and the comparison with the budget."""
import copy
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
    ], budget_input(personnel=[person(post="社工", headcount=8, monthly_pay="2000.00")],     # no one short of it
                    rules={"pay_floor": {"junior": "4800.00"}}))
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


def test_pay_below_budget_is_said_on_the_person_with_exact_post_sums_and_the_total():
    result = run([staff(), staff(id="S2", monthly_pay="4000.00")])
    short = [f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where.startswith("roster[")]
    # budget 5,200.00 a month per person (with the allowance); S2 has 4,200.00: 1,000.00 a month, 12,000.00 a year
    assert [(f.where, f.severity) for f in short] == [("roster[1].monthly_pay", "error")]
    assert short[0].message == ("S2（社工）：每月工资与津贴 4,200.00 元，低于预算为岗位「社工」每人每月安排的 5,200.00 元，"
                                "每月少 1,000.00 元，每年少 12,000.00 元")
    assert [p.status for p in result.people] == ["ok", "fail"]
    total = next(f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where == "totals")
    assert total.severity == "warning"
    row = result.comparison[0]
    # exact sums: 2 × 5,200.00 = 10,400.00 a month against 5,200.00 + 4,200.00 = 9,400.00; a year, × 12
    assert (row.budget_monthly_total, row.roster_monthly_total) == (D("10400.00"), D("9400.00"))
    assert (row.budget_annual_total, row.roster_annual_total) == (D("124800.00"), D("112800.00"))
    assert (row.short_people, row.shortfall) == (1, D("12000.00"))
    assert row.budget_cost == result.budget.totals.personnel
    assert row.roster_cost == result.roster_cost
    # the averages stay in the answer for information only
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
    # (without a certificate no allowance is due: S2's 200.00 is stated, to be paid what the budget allows)
    out = check_to_json(run([staff(), staff(id="S2", certificate="none", monthly_allowance="200.00")]))
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


def test_a_roster_without_the_budgets_bonus_is_short_by_the_bonus_a_year_on_each_person():
    data = budget_input(personnel=[person(post="社工", headcount=2, monthly_pay="5000.00", annual_bonus="3000.00")])
    result = run([staff(), staff(id="S2")], data)
    short = [f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where.startswith("roster[")]
    # 12 × 5,200.00 + 3,000.00 = 65,400.00 a year against 62,400.00: 3,000.00 a year less, each
    assert [f.where for f in short] == ["roster[0].annual_bonus", "roster[1].annual_bonus"]
    assert short[1].message == ("S2（社工）：每年工资、津贴与年终奖 62,400.00 元（每月 5,200.00 元，年终奖 0.00 元），"
                                "低于预算为岗位「社工」每人每年安排的 65,400.00 元（每月 5,200.00 元，年终奖 3,000.00 元），"
                                "每年少 3,000.00 元")
    row = result.comparison[0]
    assert (row.budget_annual_bonus, row.roster_annual_bonus) == (D("3000.00"), D("0.00"))
    assert (row.budget_annual_total, row.roster_annual_total, row.shortfall) == (
        D("130800.00"), D("124800.00"), D("6000.00"))
    # and the total: 170,486.40 budgeted, 164,486.40 proposed, 6,000.00 less
    total = [f for f in result.findings if f.where == "totals"]
    assert [f.code for f in total] == ["PAY_BELOW_BUDGET"] and "差 6,000.00 元" in total[0].message


def test_a_post_paid_below_the_budget_fails_its_people_and_the_verdict_points_at_them():
    # each person pays 4,900.00 (above every floor) where the budget pays 5,000.00: both are short, both 不合规
    result = run([staff(monthly_pay="4900.00"), staff(id="S2", monthly_pay="4900.00")])
    assert [p.status for p in result.people] == ["fail", "fail"]
    assert result.verdict == "fail"
    totals = check_to_json(result)["totals"]
    assert (totals["fail"], totals["ok"], totals["verdict"], totals["verdict_label"]) == (2, 0, "fail", "不合规")
    assert [f.where for f in result.findings if f.severity == "error"] == ["roster[0].monthly_pay", "roster[1].monthly_pay"]


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
    short = [f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where.startswith("roster[")]
    assert len(short) == 1 and short[0].where == "roster[0].annual_bonus" and short[0].message.endswith("每年少 0.01 元")


def test_a_rate_typed_as_a_percentage_without_its_sign_is_told_how_to_write_it():
    with pytest.raises(InputError) as refused:
        run([staff(housing_fund_rate="8.5")])
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("roster[0].housing_fund_rate", "必须是 0 到 1 之间（含 0，不含 1）的小数，最多六位小数；8.5% 请写 8.5% 或 0.085")]


# -- people, not rounded averages (#22) ---------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 3])
def test_one_person_a_fen_short_is_named_with_twelve_fen_a_year_whatever_the_posts_size(size):
    # the budget pays each 社会工作者 4,300.00 a month (no allowance standard: params=None); one of them gets 4,299.99.
    # An average of three (12,899.99 / 3 = 4,299.996…) rounds to 4,300.00: it would hide the fen
    data = budget_input(personnel=[person(post="社会工作者", headcount=size, monthly_pay="4300.00")])
    roster = [staff(id=f"SG-00{i}", post="社会工作者", monthly_pay="4300.00") for i in range(1, size)]
    roster.append(staff(id="SG-009", post="社会工作者", monthly_pay="4299.99"))
    result = run(roster, data, params=None)
    errors = [f for f in result.findings if f.severity == "error"]
    assert [(f.code, f.where) for f in errors] == [("PAY_BELOW_BUDGET", f"roster[{size - 1}].monthly_pay")]
    assert errors[0].message == ("SG-009（社会工作者）：每月工资与津贴 4,299.99 元，低于预算为岗位「社会工作者」每人每月"
                                 "安排的 4,300.00 元，每月少 0.01 元，每年少 0.12 元")
    assert [p.status for p in result.people] == ["ok"] * (size - 1) + ["fail"]
    row = result.comparison[0]
    assert (row.short_people, row.shortfall) == (1, D("0.12"))
    assert row.budget_monthly_total - row.roster_monthly_total == D("0.01")
    out = check_to_json(result)
    # (4,300.00 is under the year's base floor: a note on everyone, no error)
    assert out["totals"]["fail"] == 1 and out["people"][-1]["findings"] == ["SI_BASE_BELOW_FLOOR", "PAY_BELOW_BUDGET"]
    assert out["comparison"][0]["shortfall"] == "0.12" and out["comparison"][0]["short_people"] == 1


def test_a_fen_over_and_a_fen_under_in_one_post_still_names_the_one_under():
    data = budget_input(personnel=[person(post="社工", headcount=2, monthly_pay="4300.00")])
    result = run([staff(monthly_pay="4300.01"), staff(id="S2", monthly_pay="4299.99")], data, params=None)
    # the sums are equal (8,600.00 each way): the post is paid in full, one of its people is not
    row = result.comparison[0]
    assert row.budget_monthly_total == row.roster_monthly_total == D("8600.00")
    assert [f.where for f in result.findings if f.code == "PAY_BELOW_BUDGET"] == ["roster[1].monthly_pay"]


def test_people_are_held_to_the_posts_budgeted_people_highest_to_highest():
    # one 社工 at 4,500.00 and two at 4,300.00 in the budget
    data = budget_input(personnel=[person(post="社工", monthly_pay="4500.00"),
                                   person(post="社工", headcount=2, monthly_pay="4300.00")])

    def short(*pays):
        result = run([staff(id=f"S{i}", monthly_pay=pay) for i, pay in enumerate(pays)], data, params=None)
        return {f.where: f.message for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where != "totals"}
    # 4,300 / 4,500 / 4,400: the 4,500 holds the 4,500 slot, the others 4,300 each: nobody is short
    assert short("4300.00", "4500.00", "4400.00") == {}
    # three at 4,400.00: one of them must hold the 4,500.00 slot (the first of equals), 100.00 a month short
    found = short("4400.00", "4400.00", "4400.00")
    assert list(found) == ["roster[0].monthly_pay"]
    assert "低于预算为岗位「社工」每人每月安排的 4,500.00 元（与预算同岗人员按工资从高到低逐人对应），每月少 100.00 元，" \
           "每年少 1,200.00 元" in found["roster[0].monthly_pay"]
    # two people for three places: they hold the two lowest (the 4,500.00 place is vacant, a headcount warning)
    assert short("4300.00", "4300.00") == {}
    # a fourth person is held to the post's lowest place
    assert list(short("4500.00", "4300.00", "4300.00", "4299.99")) == ["roster[3].monthly_pay"]


def test_a_shortfall_over_fewer_months_than_twelve_says_what_the_person_lacks_over_them():
    data = budget_input(personnel=[person(post="社工", monthly_pay="4300.00", months=6)])
    result = run([staff(monthly_pay="4299.00", months=6)], data, params=None)
    [short] = [f for f in result.findings if f.code == "PAY_BELOW_BUDGET" and f.where != "totals"]
    assert short.message.endswith("每月少 1.00 元，每年少 12.00 元，在岗 6 个月共少 6.00 元")


def test_full_width_and_half_width_ids_are_one_person():
    with pytest.raises(InputError) as caught:
        run([staff(id="HG-002"), staff(id=" ＨＧ－００２ ")])
    assert [(p.path, p.message, p.code) for p in caught.value.problems] == [
        ("roster[1].id", "「ＨＧ－００２」与第 1 行重复", DUPLICATE_ID)]


def test_the_certificate_number_is_kept_and_answered():
    result = run([staff(certificate_no="2024-0012345"), staff(id="S2", certificate_no="")])
    out = check_to_json(result)
    assert [p["certificate_no"] for p in out["people"]] == ["2024-0012345", None]
    with pytest.raises(InputError) as caught:
        run([staff(certificate_no="x" * 51)])
    assert [p.path for p in caught.value.problems] == ["roster[0].certificate_no"]


def test_the_rates_a_person_without_their_own_pays_are_in_the_answer():
    out = check_to_json(run([staff(), staff(id="S2")]))
    assert out["rates"] == {"pension": [{"from": "2025-01", "rate": "0.16"}],
                            "medical": [{"from": "2025-01", "rate": "0.085"}],
                            "serious_illness": [{"from": "2025-01", "rate": "0.015"}],
                            "unemployment": [{"from": "2025-01", "rate": "0.005"}],
                            "work_injury": [{"from": "2025-01", "rate": "0.003"}]}


# -- a rate typed as the policy writes it (0.5 for 0.5%) is refused at its field --------------------------------

def rate_refusal(item: str, value: str):
    try:
        run([staff(employer_rates={item: value})])
    except InputError as refused:
        return [(p.path, p.code, p.message) for p in refused.problems]
    return []


def test_the_policy_figure_written_as_a_percent_number_is_refused_with_the_fix():
    assert rate_refusal("unemployment", "0.5") == [(
        "roster[0].employer_rates.unemployment", "percent_typed",
        "0.5 即 50%（失业保险单位费率为 0.5%，最高 2%）；如指 0.5%，请写 0.5% 或 0.005")]
    assert rate_refusal("work_injury", "0.3") == [(
        "roster[0].employer_rates.work_injury", "percent_typed",
        "0.3 即 30%（工伤保险单位费率为 0.3%，最高 3.3%）；如指 0.3%，请写 0.3% 或 0.003")]
    # a class-2 work-injury rate written as a percent number: within the range once read as a percentage
    assert rate_refusal("work_injury", "0.6")[0][1] == "percent_typed"
    assert rate_refusal("serious_illness", "1.5")[0][2].startswith("必须是 0 到 1 之间")      # ≥ 1: as before


@pytest.mark.parametrize("item, highest, over", [
    ("pension", "0.2", "0.200001"), ("medical", "0.12", "0.120001"), ("serious_illness", "0.02", "0.020001"),
    ("unemployment", "0.02", "0.020001"), ("work_injury", "0.033", "0.033001")])
def test_a_rate_above_its_items_highest_is_refused_and_the_highest_itself_is_not(item, highest, over):
    assert rate_refusal(item, highest) == []
    [(path, code, message)] = rate_refusal(item, over)
    assert (path, code) == (f"roster[0].employer_rates.{item}", "rate_too_high")
    assert f"高于{labels_of(item)}单位费率的最高值" in message


def labels_of(item: str) -> str:
    from costing.engine.model import CONTRIBUTION_LABELS  # noqa: PLC0415 (the engine's words, to compare with)
    return CONTRIBUTION_LABELS[item]


def test_a_pension_rate_of_fifty_percent_is_too_high_not_a_percent_number():
    [(_, code, message)] = rate_refusal("pension", "0.5")
    assert code == "rate_too_high"
    assert message == "0.5 即 50%，高于养老保险单位费率的最高值 20%（养老保险单位费率为 16%，最高 20%），请按实际费率填写"


def test_a_rate_below_the_statutory_one_is_a_finding_not_a_refusal():
    assert rate_refusal("unemployment", "0.004") == []
    result = run([staff(employer_rates={"unemployment": "0.004"})])
    assert [(f.code, f.where) for f in result.findings if f.severity == "error"] == [
        ("SI_RATE_BELOW_STATUTORY", "roster[0].employer_rates.unemployment")]


def test_without_the_highest_rates_in_the_parameter_set_the_figure_itself_is_still_caught():
    params = copy.deepcopy(STANDARD)
    for item in ("pension", "medical", "serious_illness", "unemployment", "work_injury"):
        del params.families[f"si.employer_max.{item}"]
    with pytest.raises(InputError) as caught:
        run([staff(employer_rates={"unemployment": "0.5", "pension": "0.5"})], params=params)
    assert [(p.path, p.code, p.message) for p in caught.value.problems] == [
        ("roster[0].employer_rates.unemployment", "percent_typed",
         "0.5 即 50%（失业保险单位费率为 0.5%）；如指 0.5%，请写 0.5% 或 0.005")]
