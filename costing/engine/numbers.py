"""Numbers as people type them, read once for every form and file: full-width digits (５８００), thousands
separators (4,300 or 4，300), a currency sign (¥4300) and percentages (16%).

``as_contract`` turns typed text into the contract's canonical text (which ``parse`` then validates, so
the form, the file, the API and the CLI give the same messages); ``typed_decimal`` reads a figure an
administrator enters. Nothing here decides whether a value is allowed.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

AMOUNT, QUANTITY, RATE, INTEGER = "amount", "quantity", "rate", "integer"
KINDS = (AMOUNT, QUANTITY, RATE, INTEGER)

_SEPARATORS = re.compile(r"[,，\s]")
_CURRENCY = ("¥", "￥")
_PLAIN = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,6})?$")
_CENTS = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_COUNT = re.compile(r"^[0-9]{1,9}$")


def _typed(text: str) -> tuple[str, bool]:
    """(the digits as typed, whether a % followed them): NFKC, no separators or currency sign."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    for sign in _CURRENCY:
        text = text.removeprefix(unicodedata.normalize("NFKC", sign))
    percent = text.endswith("%")
    return (text[:-1] if percent else text), percent


def percent_to_fraction(digits: str) -> str:
    """"16" (of 16%) → "0.16", exactly (Decimal, never a float)."""
    return format((Decimal(digits) / 100).normalize(), "f")


def as_contract(kind: str, text: str) -> str | int | None:
    """Typed text → the contract's value: None for blank; amounts to the 分 ("4,500" → "4500.00"), rates as
    fractions ("7%" → "0.07"), counts as integers ("1,000" → 1000). Anything else comes back as typed (NFKC,
    trimmed), for ``parse`` to refuse with its message."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return None
    digits, percent = _typed(raw)
    if kind == RATE:
        if percent and _PLAIN.match(digits):
            return percent_to_fraction(digits)
        return raw if percent else digits
    if percent:
        return raw
    if kind == AMOUNT and _CENTS.match(digits):
        return f"{Decimal(digits):.2f}"
    if kind == INTEGER:
        return int(digits) if _COUNT.match(digits) else raw
    return digits if _PLAIN.match(digits) else raw


def typed_decimal(text: str) -> tuple[Decimal, bool]:
    """A figure as an administrator types it ("4,600", "16%", "0.16"): (value, whether it was a
    percentage, already divided by 100). ValueError with a Chinese message when it is not a number."""
    digits, percent = _typed((text or "").strip())
    if re.fullmatch(r"-[0-9.]+", digits):
        raise ValueError("不能是负数")
    if not _PLAIN.match(digits):
        raise ValueError("请填写数字")
    value = Decimal(digits)
    return (value / 100 if percent else value), percent
