"""The policy parameters as the web app sees them: the confirmed set in the database, and today's date
(a fixed date can be configured as TODAY, so pages that depend on the date can be tested)."""
from __future__ import annotations

from datetime import date

from flask import current_app

from ..engine.parameters import ParameterSet
from ..models import db


def current_parameters() -> ParameterSet:
    return current_app.extensions["costing_params"].get(db.session)


def today() -> date:
    return current_app.config.get("TODAY") or date.today()
