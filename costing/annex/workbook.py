"""The annex as an Excel workbook: the same tables, totals as formulas, ¥ formats, a basis sheet,
A4 print settings. Text is always written as text, so "=…" from a user can never become a formula."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..web.rosters.export import safe_text
from .render import LABELS, AnnexMeta

MONEY = '"¥"#,##0.00'
HEAD = PatternFill("solid", fgColor="EEF1F4")
THIN = Side(style="thin", color="777777")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CONTRIBUTIONS = ("pension", "medical", "serious_illness", "unemployment", "work_injury", "housing_fund")


def _put(sheet, row: int, column: int, value, money: bool = False, bold: bool = False):
    """A value: text is always stored as text (never a formula); amounts as numbers."""
    cell = sheet.cell(row=row, column=column)
    if money:
        cell.value = Decimal(value)
    elif isinstance(value, str):
        safe_text(cell, value)
    else:
        cell.value = value
    if money:
        cell.number_format = MONEY
    cell.border = BOX
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sum(letter: str, first: int, last: int) -> str | int:
    """SUM over the data rows, or 0 when there are none (a SUM over the total's own cell would be circular)."""
    return f"=SUM({letter}{first}:{letter}{last})" if last >= first else 0


def _formula(sheet, row: int, column: int, formula, bold: bool = True):
    """Our own formulas only (SUM, ROUND over cell references), built here from numbers and references."""
    cell = sheet.cell(row=row, column=column, value=formula)
    cell.number_format = MONEY
    cell.border = BOX
    cell.font = Font(bold=bold)
    return cell


def _header(sheet, headers, widths, row: int = 1):
    for column, (text, width) in enumerate(zip(headers, widths), start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1)


def _print(sheet, title: str):
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
    sheet.oddHeader.right.text = title[:100].replace("&", "&&")


def annex_workbook(result: dict, meta: AnnexMeta) -> bytes:
    book = Workbook()
    t = result["totals"]
    title = f"{result['project']['name']} 预算明细表"

    people = book.active
    people.title = "人员经费"
    _header(people, ["序号", "岗位", "类别", "等级", "人数", "月应发工资", "职业津贴", "月数", "工资合计", "养老保险",
                     "医疗保险", "大额医疗", "失业保险", "工伤保险", "住房公积金", "小计"],
            [6, 20, 14, 7, 6, 12, 10, 6, 14, 12, 12, 11, 10, 10, 12, 14])
    row = 1
    for index, line in enumerate(result["personnel"], start=1):
        row += 1
        c = line["employer_contributions"]
        values = [index, line["post"], LABELS["categories"][line["category"]], LABELS["levels_short"][line["level"]],
                  line["headcount"]]
        for column, value in enumerate(values, start=1):
            _put(people, row, column, value)
        _put(people, row, 6, line["monthly_pay"], money=True)
        _put(people, row, 7, line["monthly_allowance"], money=True)
        _put(people, row, 8, line["months"])
        _put(people, row, 9, line["pay"], money=True)
        for offset, item in enumerate(CONTRIBUTIONS):
            _put(people, row, 10 + offset, c[item], money=True)
        _put(people, row, 16, line["total"], money=True)
    people_total = row + 1
    _put(people, people_total, 1, "合计", bold=True)
    first = 2
    people.cell(row=people_total, column=5, value=_sum("E", first, row)).border = BOX
    for column in range(9, 17):
        _formula(people, people_total, column, _sum(get_column_letter(column), first, row))
    _print(people, title)

    costs = book.create_sheet("直接费用")
    _header(costs, ["序号", "类别", "名称", "数量", "单位", "单价", "金额"], [6, 14, 36, 10, 8, 14, 16])
    row = 1
    for index, cost in enumerate(result["costs"], start=1):
        row += 1
        for column, value in enumerate([index, LABELS["cost_categories"][cost["category"]], cost["name"]], start=1):
            _put(costs, row, column, value)
        _put(costs, row, 4, Decimal(cost["quantity"]))
        _put(costs, row, 5, cost["unit"])
        _put(costs, row, 6, cost["unit_price"], money=True)
        _put(costs, row, 7, cost["amount"], money=True)
    costs_total = row + 1
    _put(costs, costs_total, 1, "合计", bold=True)
    _formula(costs, costs_total, 7, _sum("G", 2, row))
    _print(costs, title)

    summary = book.create_sheet("汇总", 0)
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 22
    summary.column_dimensions["C"].width = 70
    safe_text(summary.cell(row=1, column=1), title)
    summary.cell(row=1, column=1).font = Font(bold=True, size=14)
    lines = [("合同编号", meta.contract_no or ""), ("甲方（采购人）", meta.purchaser or ""),
             ("乙方（承接主体）", meta.contractor or ""), ("区县", result["project"]["district"]),
             ("服务期", f"{result['project']['start']} 至 {result['project']['end']}（{result['months']} 个月）"),
             ("状态", meta.status_label + (f"，修订 {meta.revision}" if meta.revision else "")), ("核验码", meta.code)]
    for offset, (label, value) in enumerate(lines, start=2):
        safe_text(summary.cell(row=offset, column=1), label)
        safe_text(summary.cell(row=offset, column=2), value)
    top = len(lines) + 3
    _header(summary, ["项目", "金额", "计算方法"], [28, 22, 70], row=top)
    rate, vat, surcharge = Decimal(t["management_fee_rate"]), Decimal(t["vat_rate"]), Decimal(t["surcharge_rate"])
    r = top + 1
    rows = [
        ("人员经费", f"='人员经费'!P{people_total}", "见“人员经费”表"),
        ("直接费用", f"='直接费用'!G{costs_total}", "见“直接费用”表"),
        ("管理费", f"=ROUND((B{r}+B{r + 1})*{rate},2)", f"（人员经费 + 直接费用）× {rate}"),
        ("税费（增值税及附加）", f"=ROUND(ROUND((B{r}+B{r + 1}+B{r + 2})*(1+{vat})/(1-{vat}*{surcharge}),2)"
                               f"-(B{r}+B{r + 1}+B{r + 2}),2)",
         f"价格 = 税前成本 ×（1 + {vat}）÷（1 − {vat} × {surcharge}），税费 = 价格 − 税前成本"),
        ("预算总额", f"=SUM(B{r}:B{r + 3})", "人员经费 + 直接费用 + 管理费 + 税费"),
    ]
    for offset, (label, formula, how) in enumerate(rows):
        _put(summary, r + offset, 1, label, bold=label == "预算总额")
        _formula(summary, r + offset, 2, formula, bold=label == "预算总额")
        _put(summary, r + offset, 3, how)
    safe_text(summary.cell(row=r + 6, column=1), "预算总额（大写）")
    safe_text(summary.cell(row=r + 6, column=2), result["amount_in_words"])
    safe_text(summary.cell(row=r + 7, column=1), "引擎计算的预算总额（核对用）")
    summary.cell(row=r + 7, column=2, value=Decimal(t["grand_total"])).number_format = MONEY
    _print(summary, title)

    basis = book.create_sheet("测算依据")
    _header(basis, ["参数", "适用", "数值", "单位", "有效期起", "有效期止", "使用月份", "依据", "发文机关", "链接", "可信度"],
            [34, 10, 12, 10, 12, 12, 20, 40, 30, 40, 14])
    from ..web.filters import region
    for offset, p in enumerate(result["parameters"], start=2):
        values = [p["label"], region(p["region"]), p["value"], p["unit"], p["start"] or "日期不详", p["end"] or "至今",
                  f"{p['used_from']} 至 {p['used_to']}" + ("（沿用）" if p["carried_forward"] else ""), p["source"],
                  p["issuer"] or "", p["url"] or "", p["confidence_label"]]
        for column, value in enumerate(values, start=1):
            _put(basis, offset, column, value)
    _print(basis, title)

    assumptions = result.get("assumptions") or []     # results stored before assumptions were listed have none
    if assumptions:
        sheet = book.create_sheet("测算假设")
        _header(sheet, ["不用默认值之处", "采用值", "单位", "默认值", "默认值说明", "理由", "对总额的影响（元）"],
                [40, 12, 8, 12, 36, 50, 18])
        for offset, a in enumerate(assumptions, start=2):
            unit = "比例" if a["unit"] == "rate" else "元/月"
            for column, value in enumerate([a["label"], Decimal(a["value"]), unit,
                                            Decimal(a["default"]) if a["default"] is not None else "",
                                            a["default_note"] or "", a["reason"] or "（未填写）"], start=1):
                cell = _put(sheet, offset, column, value, money=isinstance(value, Decimal) and a["unit"] != "rate")
                if isinstance(value, Decimal) and a["unit"] == "rate":
                    cell.number_format = "0.00%"
            if a["effect"] is not None:
                _put(sheet, offset, 7, Decimal(a["effect"]), money=True)
            else:
                _put(sheet, offset, 7, "无法计算")
        _print(sheet, title)

    findings = [f for f in result["findings"] if f["severity"] != "info"]
    check = book.create_sheet("检查结论")
    _header(check, ["级别", "代码", "位置", "说明", "依据"], [8, 28, 18, 90, 40])
    for offset, f in enumerate(findings, start=2):
        for column, value in enumerate([{"error": "错误", "warning": "提示"}[f["severity"]], f["code"], f["where"],
                                        f["message"], f["basis"]], start=1):
            _put(check, offset, column, value)
    _print(check, title)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
