"""The CLI's plain-text reading of a budget, of a pay-proposal check and of the figures in force: the same figures,
findings and listed assumptions as the page and the annex (codes included: the CLI is where codes belong)."""
from __future__ import annotations

from decimal import Decimal

from ..engine.periods import validity
from . import defaults, labels
from . import format as formats
from .budget import BudgetResult
from .roster import RosterReport


def _finding(f) -> str:
    return f"  【{f.severity_label}】{f.code} {f.message}（依据：{f.basis}）"


def _tax(result: BudgetResult) -> str:
    """税费（增值税 6%，附加 12%）, or each period's rates where they change in the period."""
    t = result.totals
    if len(result.tax_periods) < 2:
        return f"税费（增值税 {formats.percent(t.vat_rate)}，附加 {formats.percent(t.surcharge_rate)}）"
    return "税费（" + "；".join(f"{p.first} 至 {p.last} 增值税 {formats.percent(p.vat_rate)}，附加 "
                              f"{formats.percent(p.surcharge_rate)}" for p in result.tax_periods) + "）"


def budget_text(result: BudgetResult) -> str:
    t = result.totals
    listed = result.listed_findings
    lines = [
        f"{result.project_name}（{result.district}，最低工资{result.tier_label}）服务期 {result.period}",
        f"预算总额 {formats.money(t.grand_total)} 元（{result.amount_in_words}）",
        f"  人员经费 {formats.money(t.personnel)} 元；直接费用 {formats.money(t.direct)} 元；"
        f"管理费（{formats.percent(t.management_fee_rate)}）{formats.money(t.management_fee)} 元；"
        f"{_tax(result)}{formats.money(t.tax)} 元",
        f"  人员经费占比 {formats.share(t.personnel_share)}",
        *([f"  {y.year} 年度（{y.first} 至 {y.last}）：人员经费 {formats.money(y.personnel)} 元；直接费用 "
           f"{formats.money(y.direct)} 元；管理费 {formats.money(y.management_fee)} 元；税费 {formats.money(y.tax)} 元；"
           f"合计 {formats.money(y.grand_total)} 元" for y in result.by_year] if result.yearly else []),
        f"检查结论：{result.error_count} 项错误，{sum(f.severity == 'warning' for f in listed)} 项提示，"
        f"{sum(f.severity == 'info' for f in listed)} 项说明",
        *(_finding(f) for f in listed),
    ]
    if result.assumptions is not None:
        assumed = result.listed_assumptions
        lines.append(f"测算假设：{len(assumed)} 处不用默认值" + ("" if assumed else "（均采用默认值）"))
        for a in assumed:
            default = formats.override(a.default, a.unit) if a.default is not None else a.default_note
            effect = f"{formats.signed_money(a.effect)} 元" if a.effect is not None else "无法计算"
            lines.append(f"  {a.label}：采用 {formats.override(a.value, a.unit)}，默认 {default}；"
                         f"理由：{a.reason or '（未填写）'}；对总额的影响 {effect}")
        if result.same_as_default:
            lines.append(f"  另有 {result.same_as_default} 处填写值与默认值相同，未列出。")
    lines.append(f"参数集 {result.parameter_set}")
    return "\n".join(lines)


def roster_text(report: RosterReport) -> str:
    lines = [f"总体结论：{report.verdict_label}" + (f"（{report.verdict_reasons}）" if report.verdict != "ok" else ""),
             f"人数 {report.people_count}：不合规 {report.fail}，需关注 {report.attention}，合规 {report.ok}",
             f"方案人员成本合计 {formats.money(report.roster_cost)} 元；预算人员经费 "
             f"{formats.money(report.budget_personnel)} 元"]
    for person in report.people:
        lines.append(f"  {person.id}（{person.post}）{person.status_label}：人员成本 "
                     f"{formats.money(person.employer_cost)} 元")
        lines += [f"  {_finding(f)}" for f in person.findings]
    for row in report.comparison:
        if not report.legacy:
            lines.append(
                f"岗位「{row.post}」：预算 {row.budget_headcount} 人，方案 {row.roster_headcount} 人；每月工资与津贴 预算 "
                f"{formats.money(row.budget_monthly_total)} 元，方案 {formats.money(row.roster_monthly_total)} 元，差额 "
                f"{formats.signed_money(row.monthly_difference)} 元；每年（含年终奖）差额 "
                f"{formats.signed_money(row.annual_difference)} 元"
                + (f"；{row.short_people} 人低于预算，每年共少 {formats.money(row.shortfall)} 元" if row.short_people else ""))
        lines += [_finding(f) for f in (row.findings if report.legacy else row.own_findings)]
    lines += [_finding(f) for f in report.overall_findings]
    lines.append(f"参数集 {report.parameter_set}")
    return "\n".join(lines)


def _in_force(row: dict) -> str:
    """One figure of ``python -m costing params``: label, where it applies, value with its unit, when in force,
    basis and how surely it is known."""
    where = labels.region(row["region"])
    if row["value"] is None:
        return f"  {where} {row['label']}：无数据（{row['missing']}）"
    when = validity(row["start"], row["end"]) + ("，已过期末，沿用" if row["carried_forward"] else "")
    return (f"  {where} {row['label']}：{formats.figure_unit(row['value'], row['unit'])}；{when}；"
            f"依据 {row['source']}；可信度：{row['confidence_label']}")


def _rate(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def params_text(listing: dict) -> str:
    """``python -m costing params`` read out (``cli.params_in_force``'s listing): every figure in force on the day,
    then what a budget's blank fields are for a service starting that day."""
    on = listing["on"]
    lines = [f"{on} 有效的政策参数（参数集 {listing['parameter_set']}）"]
    if "district" in listing:
        lines.append(f"{listing['district']}：最低工资{listing['tier_label']}（{listing['tier_source']}）")
    lines += [_in_force(row) for row in listing["parameters"]]
    blank = listing["defaults"]
    lines += [f"服务期从 {on} 开始的预算，留空的栏目：",
              f"  {defaults.housing_fund_said(_rate(blank['housing_fund_rate']))}",
              f"  {defaults.work_injury_said(_rate(blank['work_injury_rate']))}",
              f"  {defaults.allowance_said(blank['allowance_categories'])}"]
    return "\n".join(lines)
