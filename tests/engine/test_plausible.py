"""The plausibility rule: what cannot be a figure of its unit is refused; what is outside its unit's range or far
from its family's neighbours is flagged, each reason in words."""
import re
from decimal import Decimal
from pathlib import Path

import pytest

from costing.engine import plausible
from costing.engine.plausible import Neighbour, flags, refusal

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("value, unit, message", [
    ("-1", "CNY/month", "不能是负数"),
    ("4600.001", "CNY/month", "金额最多两位小数（到分）"),
    ("0.1234567", "rate", "费率最多精确到 0.0001%（小数最多 6 位）"),
    ("2.5", "persons", "须为整数"),
    ("1000000000", "CNY/month", "1,000,000,000.00 元 位数过多，不是一个政策数值"),
])
def test_what_cannot_be_a_figure_of_its_unit_is_refused(value, unit, message):
    assert refusal(Decimal(value), unit) == message


@pytest.mark.parametrize("value, unit", [("4600.00", "CNY/month"), ("6", "rate"), ("0.085", "rate"),
                                         ("3000", "workers"), ("0", "rate")])
def test_an_implausible_figure_is_still_a_figure(value, unit):
    assert refusal(Decimal(value), unit) is None


def test_outside_its_units_range_is_flagged_and_a_family_may_have_its_own_range():
    assert flags(Decimal("6"), "rate", "si.employer.pension", []) == ["600% 超出合理范围（0%–50%）"]
    assert flags(Decimal("0.7"), "rate", "staffing.social_work_org.min_share", []) == []
    assert flags(Decimal("5"), "CNY/month", "si.employee.serious_illness", []) == []
    assert flags(Decimal("5"), "CNY/month", "si.base_floor", []) == ["5.00 元 超出合理范围（100.00 元–100,000.00 元）"]


def test_beside_the_previous_and_next_period():
    around = [Neighbour("上一期（2025-01-01 起）", Decimal("4404"), "previous"),
              Neighbour("下一期（2027-01-01 起）", Decimal("4800"), "next")]
    assert flags(Decimal("4600"), "CNY/month", "si.base_floor", around) == []
    assert flags(Decimal("460"), "CNY/month", "si.base_floor", around) == [
        "460.00 元 与上一期（2025-01-01 起）的 4,404.00 元 相差一倍以上",
        "460.00 元 与下一期（2027-01-01 起）的 4,800.00 元 相差一倍以上"]


def test_a_first_allowance_beside_the_grade_above_and_below():
    """30,000 as 助理社会工作师's allowance beside 300 for 社会工作师 (the grade above) and 200 for 社会工作员."""
    grades = [Neighbour("渝北区 社会工作师", Decimal("300"), "higher"),
              Neighbour("渝北区 社会工作员", Decimal("100"), "lower"),
              Neighbour("江北区 助理社会工作师", Decimal("200"), "peer")]
    assert flags(Decimal("30000"), "CNY/month", "allowance.certificate_monthly", grades) == [
        "30,000.00 元 超出合理范围（10.00 元–5,000.00 元）",
        "30,000.00 元 高于渝北区 社会工作师的 300.00 元（等级或档次更高的数值）"]        # said once, not again as a peer
    assert flags(Decimal("200"), "CNY/month", "allowance.certificate_monthly", grades) == []
    assert flags(Decimal("90"), "CNY/month", "allowance.certificate_monthly", grades) == [
        "90.00 元 低于渝北区 社会工作员的 100.00 元（等级或档次更低的数值）"]


def test_readme_states_the_ranges_as_the_rule_has_them():
    """README's table of plausible ranges is the rule's, not a second statement of it."""
    text = README.read_text("utf-8")
    table = text[text.index("| 单位或参数 | 合理范围 |"):]
    table = table[:table.index("\n\n")]
    rows = dict(re.findall(r"^ *\| `([^`]+)`[^|]* \| ([^|]+?) \|", table, flags=re.MULTILINE))
    assert rows == {key: r.text() for key, r in {**plausible.RANGES, **plausible.FAMILY_RANGES}.items()}


def test_a_first_figure_beside_its_familys_other_regions():
    districts = [Neighbour("江北区 助理社会工作师", Decimal("200"), "peer"),
                 Neighbour("渝中区 助理社会工作师", Decimal("250"), "peer")]
    assert flags(Decimal("300"), "CNY/month", "allowance.certificate_monthly", districts) == []
    assert flags(Decimal("600"), "CNY/month", "allowance.certificate_monthly", districts) == [
        "600.00 元 是这一适用范围的第一个数值，比同类最高的渝中区 助理社会工作师 250.00 元 高一倍以上"]
    assert flags(Decimal("90"), "CNY/month", "allowance.certificate_monthly", districts) == [
        "90.00 元 是这一适用范围的第一个数值，不到同类最低的江北区 助理社会工作师 200.00 元 的一半"]
    # a region that has figures of its own is weighed beside them, not beside the others
    own = districts + [Neighbour("上一期（2024-01-01 起）", Decimal("500"), "previous")]
    assert flags(Decimal("600"), "CNY/month", "allowance.certificate_monthly", own) == []
