"""How figures read, once for the page, the PDF, the workbook and the CLI: amounts with thousands
separators and two decimals, percentages, policy figures by their unit, Beijing time. Formatting
only: the engine keeps full precision and does every sum."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ..clock import CHINA, as_utc
from ..engine.money import fmt_figure, fmt_grouped, fmt_percent
from ..engine.periods import validity
from . import labels


def _decimal(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(value)


def money(value) -> str:
    """1234567.8 → 1,234,567.80; blank for nothing."""
    amount = _decimal(value)
    return "" if amount is None else fmt_grouped(amount)


def signed_money(value) -> str:
    """A change in money with its sign: +1,345.29, -3,605.37, 0.00."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return ("+" if amount > 0 else "") + fmt_grouped(amount)


def percent(value) -> str:
    """A rate as given: 0.085 → 8.5%."""
    rate = _decimal(value)
    return "" if rate is None else fmt_percent(rate)


def share(value) -> str:
    """A share of a whole with two decimals: 0.6465 → 64.65%."""
    ratio = _decimal(value)
    return "" if ratio is None else f"{ratio * 100:.2f}%"


def figure(value, unit: str) -> str:
    """A policy figure by its unit: 4,600.00 元, 16%, ×0.5, 3,000."""
    return "" if value is None or value == "" else fmt_figure(value, unit)


def figure_unit(value, unit: str) -> str:
    """A policy figure with its unit, as a list of figures gives it: 2,330.00 元/月, 23.00 元/小时, 5%, ×0.5, 2 人."""
    if value is None or value == "":
        return ""
    if unit.startswith("CNY"):
        return f"{money(value)} {labels.UNITS.get(unit, unit)}"
    shown = fmt_figure(value, unit)
    return f"{shown} {labels.UNITS[unit]}" if unit in ("persons", "workers") else shown


def override(value, unit: str) -> str:
    """A value a budget overrides (or its default): 16% for rates, 200.00 元/月 for amounts."""
    if value is None or value == "":
        return ""
    return percent(value) if unit == "rate" else f"{money(value)} 元/月"


def months(first: str, last: str) -> str:
    """2025-01 至 2025-06, or one month."""
    return first if first == last else f"{first} 至 {last}"


def typed_list(key: str, value) -> str:
    """A list of the contract typed in one field, as the field (and a revision's history) shows it: pay steps
    「2028-01 6500.00；2029-01 6800.00」, appropriations by year 「2027 480000.00；2028 500000.00」."""
    if key == "pay_changes":
        return "；".join(f"{step.get('from', '')} {step.get('monthly_pay', '')}".strip() for step in value or ())
    return "；".join(f"{year} {amount}" for year, amount in (value or {}).items())


def schedule(line, start: str, end: str) -> str:
    """A line's months and pay steps as a budget reads them: 「2027-04 至 2028-12（21 个月）；2028-01 起月工资
    6,500.00 元；2027-07 起职业津贴 300.00 元」. Empty for a line filled over the whole period at one pay and one
    allowance (or stored before the engine said)."""
    parts = []
    first, last = line.first or start, line.last
    if last is not None and (first, last) != (start, end):
        parts.append(f"{months(first, last)}（{line.months} 个月）")
    parts += [f"{month} 起月工资 {money(pay)} 元" for month, pay in line.pay_changes]
    allowance = line.monthly_allowance
    for segment in line.segments:
        if segment.monthly_allowance is not None and segment.monthly_allowance != allowance:
            allowance = segment.monthly_allowance
            parts.append(f"{segment.first} 起职业津贴 {money(allowance)} 元")
    return "；".join(parts)


def beijing(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return as_utc(moment).astimezone(CHINA)


def localtime(moment: datetime | None) -> str:
    """A stored moment in Beijing time: 2026-11-30 01:31."""
    local = beijing(moment)
    return "" if local is None else local.strftime("%Y-%m-%d %H:%M")


def localdate(moment: datetime | None) -> str:
    """A stored moment's day in Beijing time: 2026-11-30."""
    local = beijing(moment)
    return "" if local is None else local.strftime("%Y-%m-%d")


def isodate(day: date | None) -> str:
    return day.isoformat() if day else ""


def parameter_set(how: str | None, moment: datetime | None = None, what: str = "") -> str:
    """A set of policy parameters as people know it: by its latest change (its digest identifies it only in the
    API and the command line). ``how`` the change was made: confirmed by a second administrator (``what`` was
    confirmed), or figures loaded from the shipped or other data files; None: a set no longer on record."""
    day = localdate(moment)
    if how == "confirmed":
        return f"{day} 复核通过「{what}」后的政策参数"
    if how == "shipped":
        return f"随软件发布的政策参数（{day} 载入）"
    if how == "imported":
        return f"{day} 从数据文件导入后的政策参数"
    return "此前的政策参数"


FILTERS = {"validity": validity, "money": money, "signed_money": signed_money, "percent": percent, "share": share, "figure": figure,
           "override": override, "localtime": localtime, "localdate": localdate, "region": labels.region,
           "tier": labels.tier}


def register(env) -> None:
    """The same filters and label tables for every Jinja environment (the app's and the annex's)."""
    env.filters.update(FILTERS)
    # {{ corrections|select('matching', basis_row) }}: the items that say they match (results.corrections)
    env.tests["matching"] = lambda item, other: item.matches(other)
    env.globals.update(labels=labels, severity_labels=labels.SEVERITY, confidence_labels=labels.CONFIDENCE_LABELS)
