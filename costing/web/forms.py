"""Form helpers the features share: select choices from a label table, and the bare action form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField

STALE_FORM = "页面已过期或来源无效，请刷新后重新提交（已保留您填写的内容）"


def choices(options: dict[str, str], blank: str | None = None) -> list[SelectChoice]:
    return ([SelectChoice("", blank)] if blank is not None else []) + [
        SelectChoice(key, label) for key, label in options.items()]


def select(label: str, options: dict[str, str], blank: str | None = None, default: str | None = None) -> SelectField:
    """A select whose value the engine validates (so the form, the API and the CLI give the same message)."""
    return SelectField(label, choices=choices(options, blank), validate_choice=False, default=default)


class ActionForm(FlaskForm):
    """A bare form for POST-only actions (submit, approve, delete…): it carries the CSRF token and
    the revision (or version) number the user was looking at."""
    reason = StringField("说明")
    revision = HiddenField()
