from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costing.engine.money import amount_in_words, fmt_grouped, round_cents


@pytest.mark.parametrize("amount, words", [
    ("1200000.00", "人民币壹佰贰拾万元整"),
    ("1005.30", "人民币壹仟零伍元叁角整"),
    ("0.05", "人民币伍分"),
    ("0.00", "人民币零元整"),
    ("0.50", "人民币伍角整"),
    ("0.35", "人民币叁角伍分"),
    ("10.00", "人民币壹拾元整"),
    ("1010.00", "人民币壹仟零壹拾元整"),
    ("105.05", "人民币壹佰零伍元零伍分"),
    ("1409.50", "人民币壹仟肆佰零玖元伍角整"),
    ("60036.00", "人民币陆万零叁拾陆元整"),
    ("10100.00", "人民币壹万零壹佰元整"),
    ("100010000.00", "人民币壹亿零壹万元整"),
    ("100000000.01", "人民币壹亿元零壹分"),
    ("10000000000.00", "人民币壹佰亿元整"),
    ("123456789012.34", "人民币壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
])
def test_capital_amounts_follow_the_cheque_rules(amount, words):
    assert amount_in_words(D(amount)) == words


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_capital_amounts_never_repeat_zero_or_end_in_zero(cents):
    words = amount_in_words(D(cents) / 100)
    assert "零零" not in words
    assert not words.endswith("零")
    assert words.endswith("整") or words.endswith("分")


def test_rounding_is_half_up_not_bankers():
    assert round_cents(D("65.385")) == D("65.39")
    assert round_cents(D("0.125")) == D("0.13")
    assert round_cents(D("2.675")) == D("2.68")


def test_grouped_display():
    assert fmt_grouped(D("1234567.8")) == "1,234,567.80"
