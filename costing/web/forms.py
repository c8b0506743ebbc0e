"""Form helpers the features share: select choices from a label table, and the bare action form."""
from __future__ import annotations

from flask import current_app, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import validate_csrf
from wtforms import BooleanField, FieldList, HiddenField, SelectChoice, SelectField, StringField, ValidationError

from ..engine.text import free_text_problem, invisible_problem
from . import small_int

STALE_FORM = "页面已过期或来源无效，请刷新后重新提交（已保留您填写的内容）"


class MalformedNumber(ValueError):
    """A revision (or version) number a form posted that is no number at all (``revision=abc``): the action is
    refused, as a stale number is, rather than done without the check."""


def seen_number(value: str | None, what: str = "修订号") -> int | None:
    """The revision or version number the user was looking at, as a form posted it: None when the form sent
    none; MalformedNumber when it sent anything but a number (an empty value too: every page writes one)."""
    if value is None:
        return None
    number = small_int(value)
    if number is None:
        raise MalformedNumber(f"页面提交的{what}无效（应为页面上的编号），未做任何修改；请刷新页面后重试")
    return number


def choices(options: dict[str, str], blank: str | None = None) -> list[SelectChoice]:
    return ([SelectChoice("", blank)] if blank is not None else []) + [
        SelectChoice(key, label) for key, label in options.items()]


def select(label: str, options: dict[str, str], blank: str | None = None, default: str | None = None) -> SelectField:
    """A select whose value the engine validates (so the form, the API and the CLI give the same message)."""
    return SelectField(label, choices=choices(options, blank), validate_choice=False, default=default)


def row_index(key: str, offset: int) -> int | None:
    """The row number in a posted field's name, from ``offset`` (``personnel-3-post`` from 10: 3), or None.
    Only ASCII digits number a row, at most nine of them: "personnel-²-post" is no row (WTForms' own test,
    str.isdigit, takes "²" and then fails on int("²"))."""
    index = key[offset:offset + 10].partition("-")[0]
    return int(index) if index.isascii() and index.isdigit() and len(index) <= 9 else None


class RowList(FieldList):
    """The rows of a live form, numbered as ``row_index`` reads them."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = row_index(key, offset)
                if index is not None:
                    yield index


class ActionForm(FlaskForm):
    """A bare form for POST-only actions (submit, approve, delete…): it carries the CSRF token and
    the revision (or version) number the user was looking at."""
    reason = StringField("说明")
    revision = HiddenField()
    confirm = BooleanField("已逐项核对例外说明")


class Visible:
    """A WTForms validator for names: the one text rule (``costing.engine.text``), said at the field."""

    def __call__(self, form, field) -> None:
        problem = invisible_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class FreeText:
    """A WTForms validator for free text (notes, reasons): the text rule, line breaks allowed, said at the field."""

    def __call__(self, form, field) -> None:
        problem = free_text_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


def csrf_ok() -> bool:
    """Whether the posted CSRF token is good (for the JSON endpoints that read a form without building it)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True
