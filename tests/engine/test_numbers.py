"""The one reader of typed numbers (forms, roster files, parameter entry): what it accepts and, as much,
what it leaves for the engine to refuse."""
from decimal import Decimal as D

import pytest

from costing.engine.numbers import AMOUNT, INTEGER, QUANTITY, RATE, as_contract, typed_decimal


@pytest.mark.parametrize("kind, typed, read", [
    (AMOUNT, "4300", "4300.00"), (AMOUNT, "4,300", "4300.00"), (AMOUNT, "4，300.5", "4300.50"),
    (AMOUNT, "５８００", "5800.00"), (AMOUNT, "¥1,234,567.89", "1234567.89"), (AMOUNT, " 4 300 ", "4300.00"),
    (AMOUNT, "12.345", "12.345"),                  # left for parse: at most two decimals
    (AMOUNT, "0,5", "0,5"), (AMOUNT, "43,00", "43,00"),        # a comma that groups no thousands is no separator
    (AMOUNT, "-5", "-5"), (AMOUNT, "4300元", "4300元"), (AMOUNT, "", None), (AMOUNT, "   ", None),
    (QUANTITY, "1,200.5", "1200.5"), (QUANTITY, "24", "24"),
    (RATE, "16%", "0.16"), (RATE, "8.5 %", "0.085"), (RATE, "０．０５", "0.05"), (RATE, "0.085", "0.085"),
    (RATE, "0,5%", "0,5%"), (RATE, "12,5%", "12,5%"), (RATE, "abc%", "abc%"),
    (INTEGER, "3", 3), (INTEGER, "３", 3), (INTEGER, "1,000", "1,000"), (INTEGER, "0,5", "0,5"), (INTEGER, "²", 2),    # NFKC: ² is 2, as ３ is 3
])
def test_typed_numbers_become_contract_values(kind, typed, read):
    assert as_contract(kind, typed) == read


@pytest.mark.parametrize("typed, value, percent", [
    ("4,600", D("4600"), False), ("16%", D("0.16"), True), ("0.16", D("0.16"), False), ("４６００", D("4600"), False),
])
def test_an_administrators_figure(typed, value, percent):
    assert typed_decimal(typed) == (value, percent)


@pytest.mark.parametrize("typed, message", [("-5", "不能是负数"), ("0,5%", "请填写数字"), ("abc", "请填写数字"),
                                            ("", "请填写数字")])
def test_an_administrators_figure_that_is_no_number(typed, message):
    with pytest.raises(ValueError, match=message):
        typed_decimal(typed)
