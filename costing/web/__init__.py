"""The app shell shared by the feature packages: extensions, error pages, the public pages and the API,
and the request's view of the world (the confirmed policy parameters and today's date). Nothing here
computes money: the engine does, and ``costing.results`` says how its figures read."""
from __future__ import annotations

import re
from datetime import date

from flask import abort, current_app
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
