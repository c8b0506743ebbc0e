"""The roster check report as an Excel workbook. Text cells that start with = + - @ are stored as
text (never as formulas), so a name like "=HYPERLINK(…)" cannot run in Excel."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ...engine.model import CERTIFICATES, CONTRIBUTION_LABELS, LEVELS

MONEY = '"¥"#,##0.00'
HEADER_FILL = PatternFill("solid", fgColor="DDE7EF")


def safe_text(cell, value: str) -> None:
    """Store a string as text: openpyxl would otherwise turn "=…" into a formula."""
    cell.value = value
    cell.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def _row(sheet, values, money_columns=()):
    sheet.append([None] * len(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str) and column not in money_columns:
            safe_text(cell, value)
        elif column in money_columns and value not in (None, ""):
            cell.value = Decimal(value)
            cell.number_format = MONEY
        else:
            cell.value = value


def _header(sheet, headers, widths):
    sheet.append(headers)
    for index, cell in enumerate(sheet[1]):
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = widths[index] if index < len(widths) else 12
    sheet.freeze_panes = "A2"


def report_workbook(name: str, budget_name: str, result: dict) -> bytes:
    workbook = Workbook()
    people = workbook.active
    people.title = "人员核对"
    items = list(CONTRIBUTION_LABELS)
    _header(people, ["姓名或工号", "岗位", "等级", "证书", "在岗月数", "月应发工资", "职业津贴"]
            + [f"单位{CONTRIBUTION_LABELS[i]}" for i in items] + ["人员成本合计", "状态", "问题代码"],
            [14, 16, 8, 14, 8, 12, 10] + [12] * len(items) + [14, 8, 36])
    money = set(range(6, 8 + len(items) + 1))
    for person in result["people"]:
        _row(people, [person["id"], person["post"], LEVELS.get(person["level"], person["level"]),
                      CERTIFICATES.get(person["certificate"], person["certificate"]), person["months"],
                      person["monthly_pay"], person["monthly_allowance"]]
             + [person["employer_contributions"][i] for i in items]
             + [person["employer_cost"], person["status_label"], "、".join(person["findings"])], money)
    compare = workbook.create_sheet("与预算对比")
    _header(compare, ["岗位", "预算人数", "方案人数", "预算月工资（人均）", "方案月工资（人均）",
                      "预算月成本（人均）", "方案月成本（人均）"], [18, 10, 10, 16, 16, 16, 16])
    for row in result["comparison"]:
        _row(compare, [row["post"], row["budget_headcount"], row["roster_headcount"], row["budget_monthly_pay"],
                       row["roster_monthly_pay"], row["budget_monthly_cost"], row["roster_monthly_cost"]],
             {4, 5, 6, 7})
    findings = workbook.create_sheet("问题")
    _header(findings, ["级别", "代码", "位置", "说明", "依据"], [8, 28, 22, 80, 40])
    for f in result["findings"]:
        _row(findings, [{"error": "错误", "warning": "提示", "info": "说明"}[f["severity"]], f["code"], f["where"],
                        f["message"], f["basis"]])
    summary = workbook.create_sheet("汇总", 0)
    totals = result["totals"]
    for label, value in (("薪酬方案", name), ("对应预算", budget_name), ("人数", totals["people"]),
                         ("不合规", totals["fail"]), ("需关注", totals["attention"]), ("合规", totals["ok"]),
                         ("方案人员成本合计（元）", totals["roster_cost"]),
                         ("预算人员经费（元）", totals["budget_personnel"]), ("参数集", result["parameter_set"])):
        summary.append([None, None])
        row = summary.max_row
        safe_text(summary.cell(row=row, column=1), label)
        cell = summary.cell(row=row, column=2)
        if label.endswith("（元）"):
            cell.value, cell.number_format = Decimal(value), MONEY
        elif isinstance(value, str):
            safe_text(cell, value)
        else:
            cell.value = value
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 50
    for sheet in workbook.worksheets:
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
