"""Template filters: display formatting only (the engine keeps full precision)."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ..engine.model import CERTIFICATES, LOCATIONS
from ..engine.money import fmt_figure, fmt_grouped, fmt_percent
from ..engine.result import CONFIDENCE_LABELS


def money(value) -> str:
    if value is None or value == "":
        return ""
    return fmt_grouped(Decimal(value))


def signed_money(value) -> str:
    """A change in money with its sign: +1,345.29, -3,605.37, 0.00."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    return ("+" if amount > 0 else "") + fmt_grouped(amount)


def percent(value) -> str:
    if value is None or value == "":
        return ""
    return fmt_percent(Decimal(value))


REGIONS = {"tier1": "第一档", "tier2": "第二档", "cq": "重庆市", "all": "全国", **LOCATIONS, **CERTIFICATES}


def region(value: str) -> str:
    return REGIONS.get(value, value)


CHINA = timezone(timedelta(hours=8))   # China Standard Time has no daylight saving


def localtime(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:             # SQLite gives back naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def share(value) -> str:
    """A share of a whole with two decimals: 0.6465 → '64.65%'."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value) * 100:.2f}%"


AUDIT_TARGETS = {"budget": "预算", "user": "用户", "organisation": "单位", "roster": "薪酬方案"}


def audit_target(value: str) -> str:
    kind, _, number = (value or "").partition(":")
    return f"{AUDIT_TARGETS[kind]} #{number}" if kind in AUDIT_TARGETS and number else value


def register(app) -> None:
    app.jinja_env.filters["share"] = share
    app.jinja_env.filters["audit_target"] = audit_target
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["region"] = region
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["signed_money"] = signed_money
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["figure"] = fmt_figure
    app.jinja_env.globals["confidence_labels"] = CONFIDENCE_LABELS
