"""Bad input: a clear Chinese message naming the field, every problem listed, nothing computed."""
import json

import pytest

from costing.engine.parameters import default_parameters
from costing.engine.parse import InputError, parse_budget, read_json

from .helpers import budget_input, person


def problems_of(data):
    with pytest.raises(InputError) as caught:
        parse_budget(data, default_parameters())
    return {p.path: p.message for p in caught.value.problems}


@pytest.mark.parametrize("value", ["-1.00", "abc", "12.345", "NaN", "Infinity", "1e3", "1,000.00", "", " "])
def test_bad_amounts(value):
    found = problems_of(budget_input(personnel=[person(), person(), person(monthly_pay=value)]))
    assert found == {"personnel[2].monthly_pay": "必须是不小于0的金额，最多两位小数"}


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


def test_all_problems_are_listed_at_once():
    data = budget_input(personnel=[person(monthly_pay="x"), person(headcount=-1)], management_fee_rate="2")
    assert set(problems_of(data)) == {"personnel[0].monthly_pay", "personnel[1].headcount",
                                      "management_fee_rate"}


def test_valid_input_parses():
    parse_budget(json.loads(json.dumps(budget_input())), default_parameters())
