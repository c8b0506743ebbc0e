"""The roster check report as an Excel workbook, read through ``costing.results.roster`` like the report
page. Text cells that start with = + - @ are stored as text (never as formulas), so a name like
"=HYPERLINK(…)" cannot run in Excel."""
from __future__ import annotations

import io

from openpyxl import Workbook

from ..annex.sheets import header, print_setup, put
from ..results import labels
from ..results.roster import RosterReport


def _row(sheet, values, money_columns=()):
    row = sheet.max_row + 1
    for column, value in enumerate(values, start=1):
        put(sheet, row, column, value, money=column in money_columns, border=False)


def report_workbook(name: str, budget_name: str, result: dict | RosterReport) -> bytes:
    report = result if isinstance(result, RosterReport) else RosterReport(result)
    workbook = Workbook()
    people = workbook.active
    people.title = "人员核对"
    items = list(labels.CONTRIBUTIONS)
    header(people, ["姓名或工号", "岗位", "等级", "证书", "在岗月数", "月应发工资", "职业津贴"]
           + [f"单位{labels.CONTRIBUTION_LABELS[i]}" for i in items] + ["人员成本合计", "状态", "问题"],
           [14, 16, 8, 14, 8, 12, 10] + [12] * len(items) + [14, 8, 36], border=False)
    money = set(range(6, 8 + len(items) + 1))
    for person in report.people:
        _row(people, [person.id, person.post, person.level_label, person.certificate_label, person.months,
                      person.monthly_pay, person.monthly_allowance]
             + [person.contributions[i] for i in items]
             + [person.employer_cost, person.status_label, "、".join(f.title for f in person.findings)], money)
    compare = workbook.create_sheet("与预算对比")
    header(compare, ["岗位", "预算人数", "方案人数", "预算月工资（人均）", "方案月工资（人均）",
                     "预算月成本（人均）", "方案月成本（人均）"], [18, 10, 10, 16, 16, 16, 16], border=False)
    for row in report.comparison:
        _row(compare, [row.post, row.budget_headcount, row.roster_headcount, row.budget_monthly_pay,
                       row.roster_monthly_pay, row.budget_monthly_cost, row.roster_monthly_cost], {4, 5, 6, 7})
    findings = workbook.create_sheet("问题")
    header(findings, ["级别", "检查项", "位置", "说明", "依据"], [8, 20, 22, 80, 40], border=False)
    for f in report.findings:
        _row(findings, [f.severity_label, f.title, f.place, f.message, f.basis])
    summary = workbook.create_sheet("汇总", 0)
    for row, (label, value, is_money) in enumerate((("薪酬方案", name, False), ("对应预算", budget_name, False),
                                   ("人数", report.people_count, False),
                                   (labels.PERSON_STATUS["fail"], report.fail, False),
                                   (labels.PERSON_STATUS["attention"], report.attention, False),
                                   (labels.PERSON_STATUS["ok"], report.ok, False),
                                   ("方案人员成本合计（元）", report.roster_cost, True),
                                   ("预算人员经费（元）", report.budget_personnel, True),
                                   ("参数集", report.parameter_set, False)), start=1):
        put(summary, row, 1, label, border=False)
        put(summary, row, 2, value, money=is_money, border=False)
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 50
    for sheet in workbook.worksheets:
        print_setup(sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
