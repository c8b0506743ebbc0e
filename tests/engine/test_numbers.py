"""The one reader of typed numbers (forms, roster files, parameter entry): what it accepts and, as much,
what it leaves for the engine to refuse."""
from decimal import Decimal as D

import pytest

from costing.engine.numbers import AMOUNT, INTEGER, QUANTITY, RATE, as_contract, typed_decimal, unreadable


@pytest.mark.parametrize("kind, typed, read", [
    (AMOUNT, "4300", "4300.00"), (AMOUNT, "4,300", "4300.00"), (AMOUNT, "4，300.5", "4300.50"),
    (AMOUNT, "５８００", "5800.00"), (AMOUNT, "¥1,234,567.89", "1234567.89"), (AMOUNT, " 4 300 ", "4300.00"),
    (AMOUNT, "12.345", "12.345"),                  # left for parse: at most two decimals
    (AMOUNT, "0,5", "0,5"), (AMOUNT, "43,00", "43,00"),        # a comma that groups no thousands is no separator
    (AMOUNT, "-5", "-5"), (AMOUNT, "", None), (AMOUNT, "   ", None),
    (AMOUNT, "4300元", "4300.00"), (AMOUNT, "4,800元", "4800.00"), (AMOUNT, "4800 元", "4800.00"),
    (AMOUNT, "¥4,800", "4800.00"), (AMOUNT, "￥4,800.00", "4800.00"), (AMOUNT, "４，８００元", "4800.00"),
    (AMOUNT, "4千8", "4千8"), (AMOUNT, "4800元/月", "4800元/月"), (AMOUNT, "元4800", "元4800"),
    (QUANTITY, "1,200.5", "1200.5"), (QUANTITY, "24", "24"),
    (RATE, "16%", "0.16"), (RATE, "8.5 %", "0.085"), (RATE, "０．０５", "0.05"), (RATE, "0.085", "0.085"),
    (RATE, "0,5%", "0,5%"), (RATE, "12,5%", "12,5%"), (RATE, "abc%", "abc%"),
    (INTEGER, "3", 3), (INTEGER, "３", 3), (INTEGER, "1,000", "1,000"), (INTEGER, "0,5", "0,5"), (INTEGER, "²", 2),    # NFKC: ² is 2, as ３ is 3
])
def test_typed_numbers_become_contract_values(kind, typed, read):
    assert as_contract(kind, typed) == read


@pytest.mark.parametrize("typed, value, percent", [
    ("4,600", D("4600"), False), ("2,330元", D("2330"), False), ("16%", D("0.16"), True), ("0.16", D("0.16"), False), ("４６００", D("4600"), False),
])
def test_an_administrators_figure(typed, value, percent):
    assert typed_decimal(typed) == (value, percent)


@pytest.mark.parametrize("typed, message", [("-5", "不能是负数"), ("0,5%", "请填写数字"), ("abc", "请填写数字"),
                                            ("", "请填写数字")])
def test_an_administrators_figure_that_is_no_number(typed, message):
    with pytest.raises(ValueError, match=message):
        typed_decimal(typed)


@pytest.mark.parametrize("kind, typed, why", [
    (AMOUNT, "4千8", "不是金额，请填写数字，如 4800 或 4800.00"),
    (AMOUNT, "四千", "不是金额，请填写数字，如 4800 或 4800.00"),
    (AMOUNT, "4800元/月", "不是金额，请填写数字，如 4800 或 4800.00"),
    (AMOUNT, "43,00", "逗号只用作千位分隔（如 4,800），小数请用小数点，如 4800.00"),
    (RATE, "0,5%", "逗号只用作千位分隔（如 4,800），小数请用小数点，如 8.5%"),
    (RATE, "八个点", "不是比例，请填写小数或百分数，如 0.085 或 8.5%"),
    (QUANTITY, "一打", "不是数量，请填写数字，如 12 或 1.5"),
    (INTEGER, "6.5", "不是整数，请填写整数，如 12"), (INTEGER, "十二", "不是整数，请填写整数，如 12"),
])
def test_text_that_is_no_number_says_what_to_type(kind, typed, why):
    assert unreadable(kind, typed) == why


@pytest.mark.parametrize("kind, typed", [
    (AMOUNT, ""), (AMOUNT, "4,800元"), (AMOUNT, "-5"), (AMOUNT, "12.345"), (AMOUNT, "4800.0000000001"),
    (AMOUNT, "1234567890123"), (RATE, "8.5%"), (RATE, "1.5"), (RATE, "-0.1"), (INTEGER, "12"), (INTEGER, "-3"),
])
def test_numbers_out_of_range_are_left_to_the_engine_to_refuse(kind, typed):
    assert unreadable(kind, typed) is None
