"""Bad input: a clear Chinese message naming the field, every problem listed, nothing computed."""
import json
from decimal import Decimal as D

import pytest

from costing.engine.parameters import default_parameters
from costing.engine.parse import InputError, parse_budget, read_json

from .helpers import budget_input, person, run, with_allowance_standard


def problems_of(data):
    with pytest.raises(InputError) as caught:
        parse_budget(data, default_parameters())
    return {p.path: p.message for p in caught.value.problems}


@pytest.mark.parametrize("value", ["-1.00", "abc", "12.345", "NaN", "Infinity", "1e3", "1,000.00", "", " "])
def test_bad_amounts(value):
    found = problems_of(budget_input(personnel=[person(), person(), person(monthly_pay=value)]))
    assert found == {"personnel[2].monthly_pay": "必须是不小于 0 的金额，最多两位小数"}


def test_amounts_must_be_strings():
    found = problems_of(budget_input(personnel=[person(monthly_pay=6000)]))
    assert "以字符串书写" in found["personnel[0].monthly_pay"]


def test_amount_too_large():
    found = problems_of(budget_input(appropriation="1000000000000.00"))
    assert "金额过大" in found["project.appropriation"]


@pytest.mark.parametrize("rate", ["1", "1.0", "-0.1", "0.1234567", "5%"])
def test_rates_outside_zero_to_one(rate):
    found = problems_of(budget_input(management_fee_rate=rate))
    assert "0 到 1 之间" in found["management_fee_rate"]


def test_unknown_district_end_before_start_and_long_periods():
    assert "不是重庆市" in problems_of(budget_input(district="北京市"))["project.district"]
    assert "早于开始月份" in problems_of(budget_input(start="2025-07", end="2025-06"))["project.end"]
    assert "最多 60 个月" in problems_of(budget_input(start="2025-01", end="2030-01"))["project.end"]
    assert "年-月" in problems_of(budget_input(start="2025-13"))["project.start"]


def test_headcount_months_and_unknown_keys():
    found = problems_of(budget_input(personnel=[person(headcount=0, months=13, extra="x")]))
    assert found["personnel[0].headcount"].startswith("必须是 1 到 1000 之间的整数")
    assert "超过项目期限 12 个月" in found["personnel[0].months"]
    assert found["personnel[0].extra"] == "未知字段"


def test_missing_required_fields_and_wrong_choices():
    found = problems_of({"project": {"name": "x"}, "personnel": [{"post": "a", "category": "x"}]})
    assert found["project.district"] == "必填" and found["project.start"] == "必填"
    assert "community（社区）" in found["personnel[0].category"]
    assert found["personnel[0].monthly_pay"] == "必填"


def test_too_many_lines():
    found = problems_of(budget_input(personnel=[person()] * 10_000))
    assert found == {"personnel": "最多 5000 行，收到 10000 行"}


@pytest.mark.parametrize("month", ["２０２５-０７", "٢٠٢٥-٠٧", "2025-7", "2025-13"])
def test_a_month_is_written_in_ascii_digits(month):
    """As the contract (and the OpenAPI document) says: "2025-07", not full-width or other digits."""
    assert problems_of(budget_input(start=month)) == {"project.start": "必须是“年-月”格式的月份，如 \"2025-07\""}


def test_not_an_object():
    assert problems_of([1, 2]) == {"input": "必须是 JSON 对象"}


@pytest.mark.parametrize("raw, message", [
    (b"\xff\xfe{", "UTF-8"),
    (b"{\"project\": NaN}", "NaN"),
    (b"{\"a\": 1, \"a\": 2}", "重复"),
    (b"{\"a\": ", "不是有效的 JSON"),
    (b" " * (5 * 1024 * 1024 + 1), "输入过大"),
])
def test_unreadable_input(raw, message):
    with pytest.raises(InputError) as caught:
        read_json(raw)
    assert message in caught.value.problems[0].message


@pytest.mark.parametrize("raw, problems", [
    # Python reads no integer of over 4,300 digits (ValueError); none of the contract's has over 8
    (b'{"project": {"site": {"people": ' + b"9" * 4301 + b"}}}", {"project.site.people": "整数过长（4,301 位），最多 20 位"}),
    (b'[1, ' + b"1" * 21 + b"]", {"input[1]": "整数过长（21 位），最多 20 位"}),
    # no Decimal holds these exponents (InvalidOperation)
    (b'{"management_fee_rate": 1e999999999999999999999}', {"management_fee_rate": "数字过长或超出范围"}),
    (b'{"x": 0.' + b"1" * 40 + b"}", {"x": "数字过长或超出范围"}),
    # a lone surrogate is valid JSON but no character: UTF-8 cannot carry it (into a reply, a log, the database)
    (b'{"project": {"name": "\\ud800"}}', {"project.name": "单独的代理项 \\ud800"}),
    (b'{"\\udfff": 1}', {"\\udfff": "字段名含有无效的 Unicode 字符"}),
    (b'{"costs": [{}, "x\\udc00"]}', {"costs[1]": "单独的代理项 \\udc00"}),
    (b'"\\ud800"', {"input": "单独的代理项"}),
])
def test_json_the_contract_cannot_hold_is_refused_at_its_path(raw, problems):
    with pytest.raises(InputError) as caught:
        read_json(raw)
    found = {p.path: p.message for p in caught.value.problems}
    assert set(found) == set(problems) and all(problems[path] in found[path] for path in problems), found
    assert all(str(p).encode("utf-8") for p in caught.value.problems)        # every message can be written out


def test_escaped_characters_that_are_not_lone_surrogates_are_read():
    assert read_json(b'["\\ud83d\\ude00", "\\\\ud800", 12345678901234567890, 1e5]') == [
        "\U0001f600", "\\ud800", 12345678901234567890, D("1e5")]


def test_a_repeated_key_is_named_in_a_form_that_can_be_written_out():
    with pytest.raises(InputError) as caught:
        read_json(b'{"\\ud800": 1, "\\ud800": 2}')
    assert str(caught.value) == "input: 字段「\\ud800」重复出现"


def test_all_problems_are_listed_at_once():
    data = budget_input(personnel=[person(monthly_pay="x"), person(headcount=-1)], management_fee_rate="2")
    assert set(problems_of(data)) == {"personnel[0].monthly_pay", "personnel[1].headcount",
                                      "management_fee_rate"}


def test_valid_input_parses_into_the_model_with_its_defaults():
    budget = parse_budget(json.loads(json.dumps(budget_input(management_fee_rate="0.05"))), default_parameters())
    assert (budget.project.name, budget.project.district, str(budget.project.start), str(budget.project.end)) == (
        "测试项目", "渝中区", "2025-01", "2025-12")
    assert budget.months == 12 and budget.management_fee_rate == D("0.05") and budget.costs == ()
    assert (budget.contractor.taxpayer, budget.contractor.location, budget.contractor.work_injury_rate) == (
        "general", "urban", None)
    post = budget.personnel[0]
    assert (post.post, post.level, post.certificate, post.headcount, post.monthly_pay) == (
        "社工", "junior", "assistant_social_worker", 1, D("5000.00"))
    # what the input leaves out is left to the engine's defaults: the whole period, no bonus, no overrides
    assert (post.months, post.annual_bonus, post.monthly_allowance, post.si_base, post.housing_fund_rate) == (
        12, D("0"), None, None, None)


# -- reasons for overriding a default -----------------------------------------------------------
# Whether an override needs its reason depends on its default, so it is asked once the budget is priced:
# these cases go through the whole contract (parse, then compute).

def priced_problems(data) -> list[str]:
    with pytest.raises(InputError) as caught:
        run(data)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("key, what", [
    ("monthly_allowance", "职业津贴"), ("si_base", "申报缴费基数"), ("housing_fund_rate", "住房公积金比例")])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_override_without_its_reason_is_refused_at_the_reason(key, what, reason):
    value = "0.07" if key == "housing_fund_rate" else "4500.00"
    line = person(**{key: value, f"{key}_reason": reason})
    if reason is None:
        del line[f"{key}_reason"]
    data = budget_input(personnel=[person(), line])
    parse_budget(data, default_parameters())             # the input itself is valid
    assert priced_problems(data) == [f"personnel[1].{key}_reason: 填写了{what}（不用默认值），请说明理由"]


def test_the_housing_fund_message_reads_as_documented():
    data = budget_input(personnel=[person(), person(housing_fund_rate="0.07", housing_fund_rate_reason=None)])
    assert priced_problems(data) == ["personnel[1].housing_fund_rate_reason: 填写了住房公积金比例（不用默认值），请说明理由"]


def test_a_work_injury_rate_needs_its_reason():
    found = priced_problems(budget_input(contractor={"work_injury_rate": "0.004"}))
    assert found == ["contractor.work_injury_rate_reason: 填写了工伤保险费率（不用默认值），请说明理由"]


@pytest.mark.parametrize("override, district_standard", [
    ({"monthly_allowance": "0.00"}, False),           # no standard entered for 渝中区: nothing by default
    ({"monthly_allowance": "200.00"}, True),          # 渝中区's standard for 助理社会工作师
    ({"housing_fund_rate": "0.05"}, False),           # the lowest rate, the default
    ({"si_base": "5000.00"}, False),                  # the pay, within floor and ceiling all year
    ({"si_base": "5200.00"}, True),                   # pay 5000 + the standard's allowance 200
])
def test_a_value_equal_to_its_default_is_no_override(override, district_standard):
    """Writing the default out is not overriding it: no reason is asked and no output lists it."""
    params = with_allowance_standard("渝中区") if district_standard else None
    result = run(budget_input(personnel=[person(**override, **{f"{next(iter(override))}_reason": None})]), params)
    assert result.assumptions == ()
    assert result.totals == run(budget_input(), params).totals


def test_an_equal_work_injury_rate_is_no_override():
    assert run(budget_input(contractor={"work_injury_rate": "0.003"})).assumptions == ()


def test_reasons_are_trimmed_bounded_text_and_kept_on_the_model():
    data = budget_input(personnel=[person(si_base="6000.00", si_base_reason="  按劳动合同约定的工资申报  ")],
                        contractor={"work_injury_rate": "0.004", "work_injury_rate_reason": "单位经核定为二类"})
    budget = parse_budget(data, default_parameters())
    assert budget.personnel[0].si_base_reason == "按劳动合同约定的工资申报"
    assert budget.contractor.work_injury_rate_reason == "单位经核定为二类"
    assert budget.personnel[0].monthly_allowance_reason is None       # the default allowance needs no reason
    found = problems_of(budget_input(personnel=[person(si_base="6000.00", si_base_reason="理" * 201),
                                                person(si_base="6000.00", si_base_reason=12),
                                                person(si_base="6000.00", si_base_reason="一\n二")]))
    assert found == {"personnel[0].si_base_reason": "最多 200 个字符，现有 201 个",
                     "personnel[1].si_base_reason": "必须是文本",
                     "personnel[2].si_base_reason": "不能包含换行等控制字符"}
    assert parse_budget(budget_input(personnel=[person(si_base="6000.00", si_base_reason="理" * 200)]),
                        default_parameters()).personnel[0].si_base_reason == "理" * 200


def test_a_reason_without_an_override_is_accepted_and_ignored():
    line = person(housing_fund_rate_reason="留作说明", monthly_allowance=None)
    del line["monthly_allowance"]
    budget = parse_budget(budget_input(personnel=[line], contractor={"work_injury_rate_reason": "无"}),
                          default_parameters())
    assert budget.personnel[0].housing_fund_rate is None and budget.personnel[0].housing_fund_rate_reason is None
    assert budget.personnel[0].monthly_allowance_reason is None
    assert budget.contractor.work_injury_rate_reason is None


def test_an_invalid_override_is_reported_and_its_reason_asked_once_it_is_valid():
    data = budget_input(personnel=[person(housing_fund_rate="7%", housing_fund_rate_reason=None)])
    assert set(problems_of(data)) == {"personnel[0].housing_fund_rate"}      # the default it differs from is not known yet
    data["personnel"][0]["housing_fund_rate"] = "0.07"
    assert priced_problems(data) == ["personnel[0].housing_fund_rate_reason: 填写了住房公积金比例（不用默认值），请说明理由"]


def test_reasons_can_be_left_optional_for_stored_budgets():
    data = budget_input(personnel=[person(si_base="6000.00", si_base_reason=None)])
    budget = parse_budget(data, default_parameters(), reasons_required=False)
    assert budget.personnel[0].si_base == D("6000.00") and budget.personnel[0].si_base_reason is None
