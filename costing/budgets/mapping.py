"""Between the live forms (budgets, rosters) and the engine's contracts; the same rules as static/js/live-form.js."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from wtforms import FieldList, FormField

from .. import small_int  # noqa: F401  (re-exported for the views)

from ...engine.parse import Problem

AMOUNT_KEYS = frozenset({"monthly_pay", "monthly_allowance", "annual_bonus", "si_base", "unit_price", "appropriation",
                         "junior", "mid", "senior", "quantity"})
RATE_KEYS = frozenset({"housing_fund_rate", "work_injury_rate", "management_fee_rate", "min_personnel_share",
                       "max_management_fee_rate", "pension", "medical", "serious_illness", "unemployment",
                       "work_injury"})
INTEGER_KEYS = frozenset({"headcount", "months", "workers", "total_posts", "people", "people_per_worker"})
FORM_ONLY = frozenset({"csrf_token", "note", "base_revision", "name", "version"})
_INT = re.compile(r"^[0-9]{1,9}$")


_PERCENT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)%$")
_PLAIN_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")


def friendly(key: str | None, text: str) -> str:
    """What people type into a form → the contract's form: full-width characters (５８００),
    thousands separators in amounts (5,800.00) and percentages in rates (7% → 0.07)."""
    if key not in AMOUNT_KEYS and key not in RATE_KEYS and key not in INTEGER_KEYS:
        return text.strip()            # names and posts are kept exactly as typed (（街道） stays full-width)
    text = unicodedata.normalize("NFKC", text).strip()
    if key in AMOUNT_KEYS:
        text = re.sub(r"[,，]", "", text).removeprefix("¥").removeprefix("￥")
        if key != "quantity" and _PLAIN_AMOUNT.match(text):
            text = f"{Decimal(text):.2f}"          # 4500 → 4500.00: amounts are kept to the 分
        return text
    if key in RATE_KEYS:
        compact = re.sub(r"\s+", "", text)
        match = _PERCENT.match(compact)
        return format((Decimal(match.group(1)) / 100).normalize(), "f") if match else compact
    return text


def clean(value: Any, key: str | None = None) -> Any:
    """Drop blank values and empty objects; integers for count fields. Returns None for "nothing".
    Form-only fields (CSRF token, revision note…) are dropped at the top level."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if key is None and k in FORM_ONLY:
                continue
            v = clean(v, k)
            if v is not None:
                out[k] = v
        if key == "site" and "type" not in out:
            return None
        return out or None
    if isinstance(value, list):
        return [clean(item, "item") or {} for item in value]
    if value is None:
        return None
    text = friendly(key, str(value))
    if text == "":
        return None
    if key in INTEGER_KEYS and _INT.match(text):
        return int(text)
    return text


def form_to_contract(form) -> dict:
    data = clean(form.data) or {}
    data.setdefault("project", {})
    data.setdefault("personnel", [])
    data.setdefault("costs", [])
    return data


def contract_to_form_data(data: dict) -> dict:
    """Stored contract input → the nested data WTForms takes (missing keys stay blank)."""
    def text(value):
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items()}
        if isinstance(value, list):
            return [text(v) for v in value]
        return "" if value is None else str(value)
    return text(data)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_for(form, path: str):
    """The leaf form field a contract path names (``personnel[2].monthly_pay``), or None."""
    node = form
    for name, index in _PART.findall(path):
        if index:
            if not isinstance(node, FieldList) or int(index) >= len(node.entries):
                return None
            node = node.entries[int(index)]
        else:
            container = node.form if isinstance(node, FormField) else node
            try:
                node = container[name]
            except (KeyError, TypeError):
                return None
    return None if isinstance(node, (FormField, FieldList)) or node is form else node


def attach_problems(form, problems: list[Problem]) -> list[str]:
    """Put each engine problem beside its field; return the ones that have no field of their own."""
    general = []
    for problem in problems:
        field = field_for(form, problem.path)
        if field is None:
            general.append(f"{problem.path}: {problem.message}")
        else:
            field.errors = list(field.errors) + [problem.message]
    return general
