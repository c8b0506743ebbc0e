"""The app shell shared by the feature packages: extensions, error pages, the public pages and the API,
and the request's view of the world (the confirmed policy parameters and today's date). Nothing here
computes money: the engine does, and ``costing.results`` says how its figures read."""
from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import quote

from flask import abort, current_app, send_file
from flask_login import current_user

from .. import clock
from ..engine.parameters import ParameterSet
from ..models import db

_SMALL_INT = re.compile(r"^[0-9]{1,9}$")


def small_int(text: str | None) -> int | None:
    """A form or session value as a non-negative integer of at most nine digits, else None
    ("²".isdigit() is true, but it is not a number we accept)."""
    return int(text) if text and _SMALL_INT.fullmatch(text) else None


def current_parameters() -> ParameterSet:
    """The confirmed parameter set of this application's database (cached until it changes)."""
    return current_app.extensions["costing_params"].get(db.session)


def today() -> date:
    """Today in Beijing, or the date configured as TODAY (so pages that depend on the date can be tested)."""
    return current_app.config.get("TODAY") or clock.today()


def require_admin() -> None:
    """A blueprint's before_request for administrators' pages (after login_required)."""
    if not current_user.is_admin:
        abort(403)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, mimetype: str, name: str, fallback: str):
    """A download of ``content`` named ``name`` (Chinese: browsers read it from ``filename*``, RFC 6266/5987),
    with ``fallback`` for tools that read only ``filename=`` (an ASCII name of our choosing: Werkzeug's own
    fallback drops every Chinese character, leaving names such as 「()--4-.pdf」)."""
    response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers.set("Content-Disposition", "attachment", filename=fallback,
                         **{"filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")})
    return response
