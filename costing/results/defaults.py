"""What a field left blank means, worded once from the parameter set: the housing-fund rate, the work-injury rate,
which posts the 职业津贴 standard is for, and each line's figure in force. The budget form, the pay-proposal form,
its template workbook, the roster report and the CLI all say it through here, so a figure an administrator changes
(``hf.rate_min``, the standard's ``categories``) is what every one of them says.

Which day's figure: a budget prices a blank housing-fund rate at the lowest rate allowed in each month
(``pricing.default_hf_rates``) and a blank work-injury rate at each month's policy rate. Where the service's
start is known (a saved budget, a pay proposal checked against one) the figure is that day's; where it is not yet
(a new budget, the roster template) the rule is said with today's figure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..engine.parameters import ParameterMissing, ParameterSet
from ..engine.pricing import allowance_categories, lowest_hf_rate, statutory_rate
from . import labels
from .format import money, percent

HF_RULE = "各月的单位缴存比例下限"


def housing_fund_default(params: ParameterSet, on: date) -> Decimal | None:
    """The rate of a blank 公积金比例 for a service starting on ``on`` (None before the first figure)."""
    try:
        return lowest_hf_rate(params, on).value
    except ParameterMissing:
        return None


def housing_fund_rate(params: ParameterSet, on: date) -> str | None:
    """That rate as a blank field shows it: 5%."""
    rate = housing_fund_default(params, on)
    return None if rate is None else percent(rate)


def housing_fund_said(rate: Decimal | None, changes: tuple[tuple[str, Decimal], ...] = ()) -> str:
    """公积金比例留空按 5%（各月的单位缴存比例下限）, for a service whose lowest rate at its start is ``rate``; where it
    changes during the service (``changes``: the month and the rate from then), 公积金比例留空按各月的单位缴存比例下限
    （服务期开始时 5%，2026-12 起 6%）."""
    if rate is None:
        return f"公积金比例留空按{HF_RULE}"
    if changes:
        later = "，".join(f"{month} 起 {percent(r)}" for month, r in changes)
        return f"公积金比例留空按{HF_RULE}（服务期开始时 {percent(rate)}，{later}）"
    return f"公积金比例留空按 {percent(rate)}（{HF_RULE}）"


def housing_fund_blank(params: ParameterSet, start: date | None, today: date) -> str:
    """公积金比例留空按 5%（各月的单位缴存比例下限） for a service starting on ``start``; without a start yet,
    公积金比例留空按各月的单位缴存比例下限（今天为 5%）."""
    if start is not None:
        return housing_fund_said(housing_fund_default(params, start))
    rate = housing_fund_rate(params, today)
    return f"公积金比例留空按{HF_RULE}" + (f"（今天为 {rate}）" if rate else "")


def housing_fund_column(rate: Decimal | None) -> str:
    """A column of stated rates, as a report heads it: 留空为按下限 5% (the rate the check used)."""
    return f"留空为按下限 {percent(rate)}" if rate is not None else "留空为按下限"


def work_injury_rate(params: ParameterSet, on: date) -> Decimal | None:
    """The policy work-injury rate on ``on`` (None before its first figure)."""
    try:
        return statutory_rate(params, "work_injury", on).value
    except ParameterMissing:
        return None


def work_injury_said(rate: Decimal | None) -> str:
    """工伤费率留空按政策费率 0.3%."""
    return "工伤费率留空按政策费率" + (f" {percent(rate)}" if rate is not None else "")


def work_injury_label(params: ParameterSet, on: date) -> str:
    """The budget form's work-injury field: 工伤费率（留空按政策费率 0.3%）, the rate in force on ``on`` (the service's
    start, or today for a new budget)."""
    rate = work_injury_rate(params, on)
    return f"工伤费率（留空按政策费率 {percent(rate)}）" if rate is not None else "工伤费率（留空按政策费率）"


def allowance_posts(categories) -> str | None:
    """The posts the districts' 职业津贴 standard is for, from its ``categories`` (``pricing.allowance_categories``):
    持证的社区类岗位; 持证的岗位 for every category; None where there is no standard."""
    if categories is None:
        return None
    if not categories:
        return "持证的岗位"
    return "持证的" + "、".join(labels.CATEGORIES.get(c, c) for c in categories) + "类岗位"


def allowance_said(categories) -> str:
    """职业津贴留空按本区县的标准（只用于持证的社区类岗位；本区县标准未录入的为 0）, from the standard's categories."""
    posts = allowance_posts(categories)
    if posts is None:
        return "职业津贴留空为 0（未设区县职业津贴标准）"
    return f"职业津贴留空按本区县的标准（只用于{posts}；本区县标准未录入的为 0）"


def allowance_blank(params: ParameterSet) -> str:
    """What a blank 职业津贴 means wherever a person fills one in (budget form, pay-proposal form and template)."""
    return allowance_said(allowance_categories(params))


@dataclass(frozen=True)
class InForce:
    """The figure a blank field of a line stands for: ``shown`` in the field (300.00, 5%), ``said`` in full."""
    shown: str
    said: str


def line_allowance(line) -> InForce | None:
    """A budget line's 职业津贴 when left blank, as the engine priced it (``Line.allowance_source``): 300.00 from the
    district's standard, or 0.00 and why; None for a line that states its own, or a result stored before the
    engine said why."""
    source = line.allowance_source
    if source is None or source == "given":
        return None
    amount = money(line.monthly_allowance)
    if source == "standard":
        return InForce(amount, f"留空按{labels.ALLOWANCE_SOURCES[source]} {amount} 元/月")
    return InForce(amount, f"留空为 0（{labels.ALLOWANCE_SOURCES[source]}）")


def line_housing_fund_rate(rate: Decimal | None, changes: tuple[tuple[str, Decimal], ...] = ()) -> InForce | None:
    """A line's 公积金比例 when left blank: the rate the engine gives such a line (``BudgetResult.housing_fund_default``),
    5%→6% where it changes during the service."""
    if rate is None:
        return None
    shown = "→".join([percent(rate)] + [percent(r) for _, r in changes])
    return InForce(shown, housing_fund_said(rate, changes).removeprefix("公积金比例"))
