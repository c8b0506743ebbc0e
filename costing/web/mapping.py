"""Between the live forms (budgets, rosters) and the engine's contracts. A field named
``personnel-2-monthly_pay`` is the contract's ``personnel[2].monthly_pay``; what people type is read by
the engine's one number reader (``engine.numbers``), so the form, a roster file and the API agree."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from wtforms import FieldList, FormField

from ..engine import numbers
from ..engine.parse import Problem
from ..results import format as formats
from ..results import labels

# the kind of number each contract key holds (anything else is text, kept as typed)
KINDS = {
    **dict.fromkeys(("monthly_pay", "monthly_allowance", "annual_bonus", "si_base", "unit_price", "appropriation",
                     "junior", "mid", "senior"), numbers.AMOUNT),
    "quantity": numbers.QUANTITY,
    **dict.fromkeys(("housing_fund_rate", "work_injury_rate", "management_fee_rate", "min_personnel_share",
                     "max_management_fee_rate", "pension", "medical", "serious_illness", "unemployment",
                     "work_injury"), numbers.RATE),
    **dict.fromkeys(("headcount", "months", "workers", "total_posts", "people", "people_per_worker", "year"),
                    numbers.INTEGER),
}
FORM_ONLY = frozenset({"csrf_token", "note", "base_revision", "name", "version"})


# -- lists typed in one field: a line's pay steps, a project's appropriation by year ------------------------------
# 「2028-01 6500；2029-01 6800」: items one to a line or parted by ；/; each a month (or year) and an amount, parted
# by a space, a colon or 起 (commas stay inside amounts: 6,500.00)
_ITEMS = re.compile(r"[;；\n]+")
_ITEM = re.compile(r"^(\S+?)\s*(?:起|[:：=]|\s)\s*(\S.*)$")
LISTS = {"pay_changes": ("from", "monthly_pay"), "appropriation_by_year": (None, None)}


def _items(text: str) -> list[tuple[str, str | None]]:
    found = []
    for item in _ITEMS.split(unicodedata.normalize("NFKC", text)):
        item = item.strip()
        if item:
            match = _ITEM.match(item)
            found.append((match.group(1), match.group(2)) if match else (item, None))
    return found


def read_list(key: str, text: str):
    """A list typed in one field → the contract's: pay steps [{"from", "monthly_pay"}], or {"2027": amount}."""
    items = _items(text)
    if not items:
        return None
    if key == "pay_changes":
        return [{"from": month, **({"monthly_pay": numbers.as_contract(numbers.AMOUNT, pay)} if pay else {})}
                for month, pay in items]
    return {year: numbers.as_contract(numbers.AMOUNT, amount) if amount else "" for year, amount in items}


list_text = formats.typed_list          # the contract's list as its field shows it (one rule: results.format)


_IN_LIST = re.compile(r"^(.*\.(pay_changes|appropriation_by_year))(?:\[(\d+)\]|\.([0-9A-Za-z_]+))?(?:\.(\w+))?$")
_ITEM_PART = {"from": "月份", "monthly_pay": "工资"}


def at_field(problem: Problem) -> Problem:
    """A problem inside a list typed in one field (``personnel[0].pay_changes[1].from``) as one at that field, saying
    which item: 「第 2 项的月份：…」, 「2027 年：…」."""
    match = _IN_LIST.match(problem.path)
    if not match or match.group(3) is None and match.group(4) is None:
        return problem
    if match.group(3) is not None:
        said = f"第 {int(match.group(3)) + 1} 项" + (f"的{_ITEM_PART[match.group(5)]}" if match.group(5) in _ITEM_PART else "")
    else:
        said = f"{match.group(4)} 年" if match.group(4).isdigit() else f"「{match.group(4)}」"
    return Problem(match.group(1), f"{said}：{problem.message}", problem.code)


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
    if key in LISTS and isinstance(value, str):
        return read_list(key, value)
    if key in KINDS:
        return numbers.as_contract(KINDS[key], str(value))
    text = str(value).strip()            # names and posts are kept exactly as typed (（街道） stays full-width)
    return text or None


_INDEX = re.compile(r"^([0-9]{1,9})(?:-|$)")


@lru_cache(maxsize=32)
def _declared(form_class) -> list[tuple[str, object]]:
    """The fields a form class declares, in their order (WTForms' own order: creation)."""
    found = [(name, getattr(form_class, name)) for name in dir(form_class) if not name.startswith("_")]
    return sorted(((name, f) for name, f in found if getattr(f, "_formfield", False)),
                  key=lambda item: item[1].creation_counter)


def read_form(formdata, form_class, prefix: str = "") -> dict:
    """The posted data as ``form_class(formdata).data`` would give it (a field not posted takes its
    default; list entries in index order), read from the class's declarations without building a
    field object for each posted cell."""
    out = {}
    for name, unbound in _declared(form_class):
        key = prefix + name
        if unbound.field_class is FormField:
            out[name] = read_form(formdata, unbound.args[0], key + "-")
        elif issubclass(unbound.field_class, FieldList):
            start = len(key) + 1
            indices = sorted({int(match.group(1)) for k in formdata if k.startswith(key + "-")
                              and (match := _INDEX.match(k[start:]))})
            entry = unbound.args[0].args[0]             # FieldList(FormField(EntryForm))
            out[name] = [read_form(formdata, entry, f"{key}-{index}-") for index in indices]
        else:
            values = formdata.getlist(key)
            out[name] = values[0] if values else unbound.kwargs.get("default")
    return out


def contract_of(posted: dict, lists: tuple[str, ...] = ("personnel", "costs")) -> dict:
    """A posted form (budget or roster), as ``read_form`` read it, as the engine's contract: the one
    reading that saving and the live preview share."""
    data = clean(posted) or {}
    if "personnel" in lists:
        data.setdefault("project", {})
    for key in lists:
        data.setdefault(key, [])
    return data


def _walk(path: str, data: dict):
    """(the form's name parts, the posted value) of the field a contract path names, or None."""
    node, parts = data, []
    for name, index in _PART.findall(path):
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                return None
            node = node[int(index)]
            parts.append(index)
        else:
            if not isinstance(node, dict) or name not in node:
                return None
            node = node[name]
            parts.append(name)
    return (parts, node) if parts and not isinstance(node, (dict, list)) else None


def field_name(path: str, data: dict) -> str | None:
    """The form's name for the field a contract path names (``personnel[2].monthly_pay`` →
    ``personnel-2-monthly_pay``), if the posted ``data`` (``read_form``'s) has it."""
    found = _walk(path, data)
    return "-".join(found[0]) if found else None


def value_at(path: str, data: dict):
    """What was posted for the field a contract path names (None if it has no field)."""
    found = _walk(path, data)
    return found[1] if found else None


def contract_to_form_data(data: dict) -> dict:
    """Stored contract input → the nested data WTForms takes (missing keys stay blank)."""
    def text(value, key=None):
        if key in LISTS:
            return list_text(key, value)
        if isinstance(value, dict):
            return {k: text(v, k) for k, v in value.items()}
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


def explained(problem: Problem, typed) -> str:
    """A problem's message at its field; where the typed text is no number at all, quote it and say what to
    type, as a file's problems do (「4千8」不是金额，请填写数字，如 4800 或 4800.00)."""
    kind = KINDS.get(problem.path.rsplit(".", 1)[-1])
    if kind is not None and isinstance(typed, str) and typed.strip():
        why = numbers.unreadable(kind, typed)
        if why:
            return f"「{typed.strip()}」{why}"
    return problem.message


def attach_problems(form, problems: list[Problem]) -> list[str]:
    """Put each engine problem beside its field; return the ones that have no field of their own."""
    general = []
    for problem in map(at_field, problems):
        field = field_for(form, problem.path)
        if field is None:
            general.append(f"{labels.place(problem.path)}：{problem.message}")
        else:
            field.errors = list(field.errors) + [explained(problem, field.data)]
    return general
