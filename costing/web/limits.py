"""Bounded work per request. A posted form is counted before any form object is built: a request carries at most
MAX_FORM_FIELDS fields (Werkzeug counts the parts of a multipart body; an urlencoded body, which is how the
browser posts every form here, is counted by ``FormParser`` before it is split), and each row list of a live form
(budget staff lines and costs, roster people) at most the engine's MAX_LINES rows. A form over either limit is
shown again with a message saying the limit and what was posted, without its rows."""
from __future__ import annotations

import io

from flask import Request as FlaskRequest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from ..engine.parse import MAX_LINES
from ..results import labels
from .forms import RowList, row_index

# A budget at its limits posts 5,000 staff lines of 17 fields and 5,000 cost lines of 6 (115,000 fields) besides two
# dozen others; a roster 5,000 people of 17. Twenty-four fields for each line number, and a thousand to spare.
# (tests/web/test_form_limits.py holds the forms to this.)
FIELDS_PER_LINE = 24
MAX_FORM_FIELDS = MAX_LINES * FIELDS_PER_LINE + 1_000
# the largest text field of a multipart body (an upload's own file is not one): no field of any form comes near it
MAX_FIELD_BYTES = 500_000


class FormParser(FormDataParser):
    """Werkzeug's form parser, with the field limit applied to urlencoded bodies too (Werkzeug applies
    ``max_form_parts`` to multipart bodies only): the fields are counted in the raw body, which is already bounded
    by MAX_CONTENT_LENGTH, before a single pair is decoded."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        return super()._parse_urlencoded(io.BytesIO(body), mimetype, content_length, options)


class Request(FlaskRequest):
    form_data_parser_class = FormParser


def init_app(app) -> None:
    """Every request parses its form with ``FormParser`` (create_app sets MAX_FORM_PARTS to MAX_FORM_FIELDS and
    MAX_FORM_MEMORY_SIZE to MAX_FIELD_BYTES)."""
    app.request_class = Request


def row_lists(form_class) -> list[str]:
    """The names of a form class's row lists (``personnel``, ``costs``; ``roster``)."""
    return [name for name in dir(form_class)
            if not name.startswith("_") and getattr(getattr(form_class, name), "field_class", None) is RowList]


def posted_rows(formdata, name: str) -> tuple[int, int]:
    """How many rows of the list ``name`` were posted and the highest row number (-1 for none), from the field
    names alone (``personnel-3-post`` is row 3), read as the form would read them."""
    prefix = name + "-"
    rows = set()
    for key in formdata.keys():
        if key.startswith(prefix):
            index = row_index(key, len(prefix))
            if index is not None:
                rows.add(index)
    return len(rows), max(rows, default=-1)


def posted_lines(formdata, form_class) -> int:
    """The rows of all a live form's lists together (what its preview prices)."""
    return sum(posted_rows(formdata, name)[0] for name in row_lists(form_class))


def too_many_rows(formdata, form_class) -> list[str]:
    """What is wrong with a posted live form's row lists, before the form is built: more rows than the engine
    takes (MAX_LINES), or a row numbered beyond them (the page numbers its rows from 0). Empty when all is well."""
    messages = []
    for name in row_lists(form_class):
        count, highest = posted_rows(formdata, name)
        label = labels.ROWS.get(name, name)
        if count > MAX_LINES:
            messages.append(f"{label}最多 {MAX_LINES} 行，收到 {count} 行")
        elif highest >= MAX_LINES:
            messages.append(f"{label}最多 {MAX_LINES} 行，收到的行号到第 {highest + 1} 行")
    return messages


# said under those messages when the form is shown again
ROWS_NOT_KEPT = "为免页面过大，下面的表单没有保留这些行；请减少行数后重新填写"


def without_rows(formdata, form_class) -> MultiDict:
    """The posted fields other than the rows (the project, the note, the revision seen, the CSRF token…), to show
    the form again with them."""
    prefixes = tuple(f"{name}-" for name in row_lists(form_class))
    return MultiDict([(key, value) for key, value in formdata.items(multi=True) if not key.startswith(prefixes)])


def too_large_message(shown: str | None) -> str:
    """A form refused as a whole (over MAX_CONTENT_LENGTH or MAX_FORM_FIELDS), said on the form shown again,
    ``shown`` saying what it holds as nothing posted could be read; None for a live preview."""
    limits = f"最多 {MAX_FORM_FIELDS} 个栏目，每个列表最多 {MAX_LINES} 行"
    if shown is None:
        return f"提交的内容过大（{limits}），无法测算，请减少行数"
    return f"提交的内容过大（{limits}），未保存任何内容；下面是{shown}，请减少行数后重新填写"
