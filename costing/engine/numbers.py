"""Numbers as people type them, read once for every form and file: full-width digits (５８００, also ４，３００
as NFKC makes it 4,300), thousands separators in amounts (4,300), a currency sign or unit (¥4300, ￥4,800.00,
4800 元) and percentages (16%).

``as_contract`` turns typed text into the contract's canonical text (which ``parse`` then validates, so
the form, the file, the API and the CLI give the same messages); ``unreadable`` says why typed text is no
number at all and what to type instead; ``typed_decimal`` reads a figure an administrator enters. Nothing
here decides whether a value is allowed.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

AMOUNT, QUANTITY, RATE, INTEGER = "amount", "quantity", "rate", "integer"
KINDS = (AMOUNT, QUANTITY, RATE, INTEGER)

_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")      # 4,300 or 1,234,567.89
_CURRENCY = ("¥", "￥")
_UNIT = "元"
_PLAIN = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,6})?$")
_CENTS = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_COUNT = re.compile(r"^[0-9]{1,9}$")


def _digits(text: str) -> str:
    """An amount as typed, without its currency sign or unit (¥4,800, 4,800元) and thousands separators.
    A comma counts as a separator only where it groups thousands (4,300 but not 0,5), so a decimal comma
    is never read as a different number."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    for sign in _CURRENCY:
        text = text.removeprefix(unicodedata.normalize("NFKC", sign))
    text = text.removesuffix(_UNIT)
    return text.replace(",", "") if _GROUPED.match(text) else text


def percent_to_fraction(digits: str) -> str:
    """"16" (of 16%) → "0.16", exactly (Decimal, never a float)."""
    return format((Decimal(digits) / 100).normalize(), "f")


def as_contract(kind: str, text: str) -> str | int | None:
    """Typed text → the contract's value: None for blank; amounts to the 分 ("4,500" → "4500.00"), rates as
    fractions ("7%" → "0.07"), counts as integers. Anything else comes back as typed (NFKC, trimmed), for
    ``parse`` to refuse with its message."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return None
    if kind == RATE:
        compact = re.sub(r"\s+", "", raw)
        if compact.endswith("%") and _PLAIN.match(compact[:-1]):
            return percent_to_fraction(compact[:-1])
        return compact
    if kind == INTEGER:
        return int(raw) if _COUNT.match(raw) else raw
    digits = _digits(raw)
    if kind == AMOUNT and _CENTS.match(digits):
        return f"{Decimal(digits):.2f}"
    return digits if _PLAIN.match(digits) else raw


# what each kind is called and how it is typed, for a message about text that is no number
_NAMES = {AMOUNT: "金额", QUANTITY: "数量", RATE: "比例", INTEGER: "整数"}
_EXAMPLES = {AMOUNT: "4800 或 4800.00", QUANTITY: "12 或 1.5", RATE: "0.085 或 8.5%", INTEGER: "12"}
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")          # a number, however long: its size is parse's to judge
_NUMBERISH = re.compile(r"^-?[0-9.,]*[0-9][0-9.,]*%?$")


def unreadable(kind: str, text: str) -> str | None:
    """Why typed text is no number of this kind, and what to type instead ("4千8" → 「不是金额，请填写数字，
    如 4800 或 4800.00」); None when it reads as a number (blank, negative or too precise included:
    whether the value is allowed is ``parse``'s to say)."""
    value = as_contract(kind, text)
    if value is None or isinstance(value, int):
        return None
    compact = value.removeprefix("-")
    if kind == RATE:
        compact = compact.removesuffix("%")
    if kind == INTEGER:
        return None if compact.isascii() and compact.isdigit() else f"不是整数，请填写整数，如 {_EXAMPLES[INTEGER]}"
    if _DECIMAL.match(compact):
        return None
    if "," in value and _NUMBERISH.match(value):
        return f"逗号只用作千位分隔（如 4,800），小数请用小数点，如 {_EXAMPLES[kind].split(' 或 ')[-1]}"
    how = "小数或百分数" if kind == RATE else "数字"
    return f"不是{_NAMES[kind]}，请填写{how}，如 {_EXAMPLES[kind]}"


def typed_decimal(text: str) -> tuple[Decimal, bool]:
    """A figure as an administrator types it ("4,600", "16%", "0.16"): (value, whether it was a
    percentage, already divided by 100). ValueError with a Chinese message when it is not a number."""
    digits = _digits((text or "").strip())
    percent = digits.endswith("%")
    if percent:
        digits = digits[:-1]
    if re.fullmatch(r"-[0-9.,]+", digits):
        raise ValueError("不能是负数")
    if not _PLAIN.match(digits):
        raise ValueError("请填写数字")
    value = Decimal(digits)
    return (value / 100 if percent else value), percent
