"""Template filters: display formatting only (the engine keeps full precision)."""
from decimal import Decimal

from ..engine.money import fmt_grouped, fmt_percent
from ..engine.result import CONFIDENCE_LABELS


def money(value) -> str:
    if value is None or value == "":
        return ""
    return fmt_grouped(Decimal(value))


def percent(value) -> str:
    if value is None or value == "":
        return ""
    return fmt_percent(Decimal(value))


def register(app) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals["confidence_labels"] = CONFIDENCE_LABELS
