"""The roster check report as an Excel workbook, read through ``costing.results.roster`` like the report page, for a
finance officer: the overall verdict and the budget revision checked against; each person (with their file row, their
certificate number and the employer's rates they are priced at: bold where the contractor declared them), with a 合计
row; post by post the budget's and the proposal's sums and their difference, a month and a year and over the service,
with a 合计 row; the findings in words; the policy figures used, by document, their values as numbers.

Numbers are numbers (amounts in ¥, rates in %), text is text (what starts with = + - @ never runs as a formula). Printed
A4 landscape with the header row, and the name column, on every page. Written by ``annex.tables`` (XML text, a row at a
time): 5,000 people take about a third of a second."""
from __future__ import annotations

from decimal import Decimal

from ..annex.tables import Book, Number, Percent, Strong, Total
from ..results import defaults, labels
from ..results.roster import RATE_ITEMS, RosterReport

WHOLE = "（在岗期间合计）"
ZERO = Decimal("0")
RATE_HEADERS = {"pension": "养老单位费率", "medical": "医疗单位费率", "serious_illness": "大额医疗单位费率",
                "unemployment": "失业单位费率", "work_injury": "工伤单位费率"}
RATES_SAID = "单位费率与公积金比例：粗体为承接主体申报的，其余为核对时按的法定费率（工伤为预算写明的费率）与公积金比例下限"


def _titles(findings) -> str:
    return "、".join(dict.fromkeys(f.title for f in findings))


def _unit(unit: str) -> str:
    return {"CNY/month": "元/月", "CNY/hour": "元/小时", "rate": "%", "factor": "倍", "persons": "人",
            "workers": "人"}.get(unit, unit)


def report_workbook(name: str, budget_name: str, result: dict | RosterReport, budget_revision: int | None = None,
                    checked_at: str | None = None) -> bytes:
    report = result if isinstance(result, RosterReport) else RosterReport(result)
    title = f"薪酬方案核对报告：{name}"
    book = Book()

    against = budget_name + (f"（按预算修订 {budget_revision} 核对）" if budget_revision is not None else "")
    summary = [["薪酬方案", name], ["对应预算", against]]
    if checked_at:
        summary.append(["核对时间", checked_at])
    summary += [["总体结论", report.verdict_label], ["结论说明", report.verdict_reasons or "未发现错误或提示"]]
    summary += [[f.title, f.message] for f in report.overall_findings]
    summary += [["人数", report.people_count],
                [f"{labels.PERSON_STATUS['fail']}（人）", report.fail],
                [f"{labels.PERSON_STATUS['attention']}（人）", report.attention],
                [f"{labels.PERSON_STATUS['ok']}（人）", report.ok],
                ["方案人员成本合计（元）", report.roster_cost],
                ["预算人员经费（元）", report.budget_personnel],
                ["差额（方案 − 预算，元）", report.roster_cost - report.budget_personnel],
                ["费率", RATES_SAID if report.rates_known else "只列出承接主体申报的单位费率"],
                ["核对所用政策参数", "见“核对所用政策参数”表"]]
    book.table("汇总", ["项目", "内容"], summary, wrap={2}, cap=70, print_title=title)

    _people(book, report, title)
    _posts(book, report, title)

    findings = [[f.severity_label, f.title, f.place, f.message, f.basis] for f in report.findings]
    book.table("问题", ["级别", "检查项", "位置", "说明", "依据"], findings, wrap={4, 5}, cap=60, print_title=title)

    headers = ["参数", "适用", "数值", "单位", "有效期", "本次核对使用月份", "依据", "发文机关", "发文日期", "文号",
               "文件标题", "数值来源", "核实情况"]
    # a figure is a number: a rate in %, an amount in ¥ with its unit beside it (never the text 「2,330.00 元」)
    rows = [[p.label, p.region_label, _figure(p.value, p.unit), _unit(p.unit), p.period,
             p.used + (f"（{p.carried_from} 起沿用）" if p.carried_from else ""), p.citation, p.issuer or "",
             p.date or "", p.doc_no or "", p.title or "", p.origin_label, p.standing] for p in report.basis]
    book.table("核对所用政策参数", headers, rows, wrap={7}, print_title=title)
    return book.save()


def _figure(value: Decimal, unit: str):
    if unit == "rate":
        return Percent(value)
    if unit.startswith("CNY"):
        return value
    return Number(value.normalize() if value == value.to_integral_value() else value)


def _people(book: Book, report: RosterReport, title: str) -> None:
    items = list(labels.CONTRIBUTIONS)
    rate_note = defaults.housing_fund_column(report.housing_fund_default)
    changes = any(p.rate_changes for p in report.people)
    headers = (["姓名或工号", "位置", "岗位", "类别", "等级", "证书", "证书编号", "在岗月数", "月应发工资", "职业津贴（每月）",
                "年终奖（每年）", "申报缴费基数\n（留空为按工资（上下限内））"]
               + [RATE_HEADERS[item] for item in RATE_ITEMS if item in RATE_HEADERS]
               + [f"公积金比例\n（{rate_note}）"]
               + [f"单位{labels.CONTRIBUTIONS_SHORT[i]}\n{WHOLE}" for i in items]
               + [f"单位缴费合计\n{WHOLE}", f"人员成本合计\n{WHOLE}", "状态", "问题"]
               + (["费率变化（在岗期间）"] if changes else []))
    rows = []
    for p in report.people:
        rates = [(Strong(p.rates[item]) if item in p.declared else p.rates[item]) if item in p.rates else None
                 for item in RATE_ITEMS]
        rows.append([p.id, p.position, p.post, p.category_label, p.level_label, p.certificate_label,
                     p.certificate_no or "", p.months, p.monthly_pay, p.monthly_allowance, p.annual_bonus, p.si_base]
                    + rates + [p.contributions[i] for i in items]
                    + [p.contributions_total, p.employer_cost, p.status_label, _titles(p.findings)]
                    + ([p.rate_changes] if changes else []))
    people = report.people
    rows.append(Total([f"合计（{len(people)} 人）", "", "", "", "", "", "", "",
                       sum((p.monthly_pay for p in people), ZERO), sum((p.monthly_allowance for p in people), ZERO),
                       sum((p.annual_bonus for p in people), ZERO), None] + [None] * len(RATE_ITEMS)
                      + [sum((p.contributions[i] for p in people), ZERO) for i in items]
                      + [sum((p.contributions_total for p in people), ZERO), report.roster_cost, "", ""]))
    first_rate = 13
    book.table("人员核对", headers, rows, percent=range(first_rate, first_rate + len(RATE_ITEMS)), wrap={len(headers)},
               cap=50, print_title=title, title_columns=1)


def _posts(book: Book, report: RosterReport, title: str) -> None:
    if report.legacy:           # a report stored before posts were compared by exact sums: its averages, as stored
        headers = ["岗位", "预算人数", "方案人数", "预算月工资与津贴\n（人均）", "方案月工资与津贴\n（人均）",
                   "预算年终奖\n（人均每年）", "方案年终奖\n（人均每年）", "预算月成本含单位缴费\n（人均）",
                   "方案月成本含单位缴费\n（人均）", "结论"]
        rows = [[c.post, c.budget_headcount, c.roster_headcount, c.budget_monthly_pay, c.roster_monthly_pay,
                 c.budget_annual_bonus, c.roster_annual_bonus, c.budget_monthly_cost, c.roster_monthly_cost,
                 _titles(c.findings) or "未发现问题"] for c in report.comparison]
        book.table("与预算对比", headers, rows, wrap={10}, print_title=title, title_columns=1)
        return
    headers = ["岗位", "预算人数", "方案人数",
               "每月工资与津贴\n预算", "每月工资与津贴\n方案", "每月工资与津贴\n差额（方案 − 预算）",
               "每年工资、津贴与年终奖\n预算", "每年工资、津贴与年终奖\n方案", "每年工资、津贴与年终奖\n差额",
               "服务期人员成本（含单位缴费）\n预算", "服务期人员成本（含单位缴费）\n方案", "服务期人员成本（含单位缴费）\n差额",
               "低于预算的人数", "这些人每年少", "结论"]

    def row(c, conclusion):
        return [c.budget_headcount, c.roster_headcount, c.budget_monthly_total, c.roster_monthly_total,
                c.monthly_difference, c.budget_annual_total, c.roster_annual_total, c.annual_difference,
                c.budget_cost, c.roster_cost, c.cost_difference, c.short_people, c.shortfall, conclusion]
    rows = [[c.post] + row(c, _titles(c.findings) or "未发现问题") for c in report.comparison]
    rows.append(Total(["合计"] + row(report.post_totals, "")))
    book.table("与预算对比", headers, rows, wrap={15}, print_title=title, title_columns=1)
