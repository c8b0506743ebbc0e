"""The annex as an Excel workbook: the same tables as the PDF (read through ``costing.results``), totals
as formulas, ¥ formats, the basis and assumptions as the PDF lists them, A4 print settings. Text is
always written as text, so "=…" from a user can never become a formula."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..results import labels
from ..results.budget import BudgetResult
from .render import AnnexMeta
from .sheets import BOX, MONEY, PERCENT, basis_table, header, print_setup, put, safe_text


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


def _later(meta: AnnexMeta) -> list[str]:
    """What the PDF says of each figure corrected after the revision was priced."""
    return [c.notice(meta.status) for c in meta.corrections]


def annex_workbook(result: dict | BudgetResult, meta: AnnexMeta) -> bytes:
    view = result if isinstance(result, BudgetResult) else BudgetResult(result)
    book = Workbook()
    t = view.totals
    title = f"{view.project_name} 预算明细表"

    people = book.active
    people.title = "人员经费"
    items = labels.CONTRIBUTIONS
    header(people, ["序号", "岗位", "类别", "等级", "证书", "人数", "月应发工资", "职业津贴", "月数", "年终奖", "工资合计",
                    *labels.CONTRIBUTION_COLUMNS.values(), "小计"],
           [6, 20, 14, 7, 14, 6, 12, 10, 6, 10, 14, 12, 12, 11, 10, 10, 12, 14])
    # every figure of a line can be followed: pay from its inputs, each contribution from the segments sheet
    segments = book.create_sheet("逐段明细")
    header(segments, ["序号", "岗位", "月份", "月数", "人数", "缴费基数", "公积金基数",
                      *[f"每人每月{label}" for label in labels.CONTRIBUTION_COLUMNS.values()],
                      *[f"{label}小计" for label in labels.CONTRIBUTION_COLUMNS.values()],
                      "月应发工资", "职业津贴", "工资小计"],
           [6, 20, 20, 6, 6, 12, 12] + [12] * 12 + [12, 10, 14])
    first_item, first_total = 8, 8 + len(items)          # segment columns: per person per month, then × people × months
    seg_pay = first_total + len(items)                   # then the months' pay and allowance, and × people × months
    pay_total = get_column_letter(seg_pay + 2)
    row, seg = 1, 1
    for index, line in enumerate(view.personnel, start=1):
        row += 1
        for column, value in enumerate([index, line.post, line.category_label, line.level_short, line.certificate_label,
                                        line.headcount], start=1):
            put(people, row, column, value)
        put(people, row, 7, line.monthly_pay, money=True)
        put(people, row, 8, line.monthly_allowance, money=True)
        put(people, row, 9, line.months)
        put(people, row, 10, line.bonus, money=True)
        top = seg + 1
        stepped = False                  # a line whose pay or allowance changes: its pay is its segments' sum
        for s_ in line.segments:
            seg += 1
            for column, value in enumerate([index, line.post, s_.span, s_.months, line.headcount], start=1):
                put(segments, seg, column, value)
            put(segments, seg, 6, s_.si_base, money=True)
            put(segments, seg, 7, s_.hf_base, money=True)
            for offset, item in enumerate(items):
                put(segments, seg, first_item + offset, s_.per_person(item), money=True)
                amount = get_column_letter(first_item + offset)
                _formula(segments, seg, first_total + offset, f"={amount}{seg}*E{seg}*D{seg}", bold=False)
            pay = line.monthly_pay if s_.monthly_pay is None else s_.monthly_pay
            allowance = line.monthly_allowance if s_.monthly_allowance is None else s_.monthly_allowance
            stepped = stepped or (pay, allowance) != (line.monthly_pay, line.monthly_allowance)
            put(segments, seg, seg_pay, pay, money=True)
            put(segments, seg, seg_pay + 1, allowance, money=True)
            pay_cell, allowance_cell = get_column_letter(seg_pay), get_column_letter(seg_pay + 1)
            _formula(segments, seg, seg_pay + 2, f"=({pay_cell}{seg}+{allowance_cell}{seg})*E{seg}*D{seg}", bold=False)
        _formula(people, row, 11, f"=SUM('逐段明细'!{pay_total}{top}:{pay_total}{seg})+J{row}" if stepped
                 else f"=(G{row}+H{row})*F{row}*I{row}+J{row}", bold=False)
        for offset, item in enumerate(items):
            total = get_column_letter(first_total + offset)
            formula = f"=SUM('逐段明细'!{total}{top}:{total}{seg})" if seg >= top else 0
            _formula(people, row, 12 + offset, formula, bold=False)
        parts = "+".join(f"{get_column_letter(12 + offset)}{row}" for offset in range(len(items)))
        _formula(people, row, 12 + len(items), f"=K{row}+{parts}", bold=False)
    people_total = row + 1
    put(people, people_total, 1, "合计", bold=True)
    first = 2
    people.cell(row=people_total, column=6, value=_sum("F", first, row)).border = BOX
    for column in range(10, 13 + len(items)):
        _formula(people, people_total, column, _sum(get_column_letter(column), first, row))
    subtotal = get_column_letter(12 + len(items))
    print_setup(people, title)
    print_setup(segments, title)

    costs = book.create_sheet("直接费用")
    header(costs, ["序号", "类别", "名称", "数量", "单位", "单价", "金额", "年度"], [6, 14, 36, 10, 8, 14, 16, 12])
    row = 1
    for index, cost in enumerate(view.costs, start=1):
        row += 1
        for column, value in enumerate([index, cost.category_label, cost.name, cost.quantity, cost.unit], start=1):
            put(costs, row, column, value)
        put(costs, row, 6, cost.unit_price, money=True)
        put(costs, row, 8, f"{cost.year} 年度" if cost.year else "按月分摊")
        _formula(costs, row, 7, f"=ROUND(D{row}*F{row},2)", bold=False)       # as the engine: 数量 × 单价, to the 分
    costs_total = row + 1
    put(costs, costs_total, 1, "合计", bold=True)
    _formula(costs, costs_total, 7, _sum("G", 2, row))
    print_setup(costs, title)

    summary = book.create_sheet("汇总", 0)
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 22
    summary.column_dimensions["C"].width = 70
    safe_text(summary.cell(row=1, column=1), title)
    summary.cell(row=1, column=1).font = Font(bold=True, size=14)
    lines = [("合同编号", meta.contract_no or ""), ("甲方（采购人）", meta.purchaser or ""),
             ("乙方（承接主体）", meta.contractor or ""), ("区县", view.district),
             ("服务期", view.period),
             ("状态", meta.status_label + (f"，修订 {meta.revision}" if meta.revision else "")
              + (f"，{meta.issue_label}" if meta.issue > 1 else "")), ("核验码", meta.code)]
    for offset, (label, value) in enumerate(lines, start=2):
        safe_text(summary.cell(row=offset, column=1), label)
        safe_text(summary.cell(row=offset, column=2), value)
    top = len(lines) + 3
    header(summary, ["项目", "金额", "计算方法"], [28, 22, 70], row=top)
    rate, vat, surcharge = t.management_fee_rate, t.vat_rate, t.surcharge_rate
    r = top + 1
    years = _years(book, view, title) if view.yearly else None
    if years is not None and len(view.tax_periods) > 1:
        tax = (f"={years}-(B{r}+B{r + 1}+B{r + 2})", "税率分段计算（见“分年度”表）：税费 = 各段价格之和 − 税前成本")
    else:
        tax = (f"=ROUND(ROUND((B{r}+B{r + 1}+B{r + 2})*(1+{vat})/(1-{vat}*{surcharge}),2)-(B{r}+B{r + 1}+B{r + 2}),2)",
               f"价格 = 税前成本 ×（1 + {vat}）÷（1 − {vat} × {surcharge}），税费 = 价格 − 税前成本")
    rows = [
        ("人员经费", f"='人员经费'!{subtotal}{people_total}", "见“人员经费”表（每行的缴费见“逐段明细”表）"),
        ("直接费用", f"='直接费用'!G{costs_total}", "见“直接费用”表"),
        ("管理费", f"=ROUND((B{r}+B{r + 1})*{rate},2)", f"（人员经费 + 直接费用）× {rate}"),
        ("税费（增值税及附加）", *tax),
        ("预算总额", f"=SUM(B{r}:B{r + 3})", "人员经费 + 直接费用 + 管理费 + 税费"),
    ]
    for offset, (label, formula, how) in enumerate(rows):
        put(summary, r + offset, 1, label, bold=label == "预算总额")
        _formula(summary, r + offset, 2, formula, bold=label == "预算总额")
        put(summary, r + offset, 3, how)
    safe_text(summary.cell(row=r + 6, column=1), "预算总额（大写）")
    safe_text(summary.cell(row=r + 6, column=2), view.amount_in_words)
    safe_text(summary.cell(row=r + 7, column=1), "系统测算的预算总额（核对用）")
    summary.cell(row=r + 7, column=2, value=t.grand_total).number_format = MONEY
    for offset, text in enumerate(_later(meta), start=r + 9):
        safe_text(summary.cell(row=offset, column=1), "此后更正的数值")
        safe_text(summary.cell(row=offset, column=2), text)
    print_setup(summary, title)

    basis = book.create_sheet("测算依据")
    headers, rows = basis_table(view.basis, "本预算使用月份")
    header(basis, headers, [34, 10, 14, 26, 26, 60, 30, 12, 24, 40, 16, 26])
    for offset, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            put(basis, offset, column, value)
    for offset, text in enumerate(_later(meta), start=len(rows) + 3):
        safe_text(basis.cell(row=offset, column=1), f"此后更正：{text}")
    print_setup(basis, title)

    listed = view.listed_assumptions
    if listed or view.same_as_default:
        sheet = book.create_sheet("测算假设")
        header(sheet, ["不用默认值之处", "采用值", "单位", "默认值", "默认值说明", "理由", "对总额的影响（元）"],
               [40, 12, 8, 12, 36, 50, 18])
        for offset, a in enumerate(listed, start=2):
            is_rate = a.unit == "rate"
            for column, value in enumerate([a.label, a.value, labels.UNITS[a.unit],
                                            a.default if a.default is not None else "", a.default_note,
                                            a.reason or "（未填写）"], start=1):
                cell = put(sheet, offset, column, value, money=isinstance(value, Decimal) and not is_rate)
                if isinstance(value, Decimal) and is_rate:
                    cell.number_format = PERCENT
            put(sheet, offset, 7, a.effect if a.effect is not None else "无法计算", money=a.effect is not None)
        note = len(listed) + 3
        safe_text(sheet.cell(row=note, column=1), "对总额的影响 = 预算总额 − 只把该项改回默认值（其余不变）时的预算总额，"
                                                  "含管理费和税费；各项分别计算，不能相加。" +
                  (f"另有 {view.same_as_default} 处填写值与默认值相同，未列出。" if view.same_as_default else ""))
        print_setup(sheet, title)

    check = book.create_sheet("检查结论")
    header(check, ["级别", "检查项", "位置", "说明", "依据", "例外说明"], [8, 20, 22, 90, 40, 50])
    for offset, f in enumerate(view.listed_findings, start=2):
        e = meta.exception(f.key) if f.severity == "error" else None
        level = ("经审核的例外" if meta.status == "approved" else "例外说明") if e else f.severity_label
        justification = f"{e[0]}（{e[1]}，{e[2]}）" if e else ""
        for column, value in enumerate([level, f.title, f.place, f.message, f.basis, justification], start=1):
            put(check, offset, column, value)
    print_setup(check, title)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _years(book, view: BudgetResult, title: str) -> str:
    """The 分年度 sheet: each 年度's amounts as the engine shared them out (engine/annual.py; the rule is printed
    under the table), and each tax period's price as a formula of its pre-tax cost. Returns the reference of the
    periods' summed price (what the summary's tax is taken from)."""
    sheet = book.create_sheet("分年度", 1)
    header(sheet, ["年度", "月份", "月数", "人员经费", "直接费用", "管理费", "税费", "合计"], [12, 22, 6, 16, 16, 14, 14, 16])
    row = 1
    for y in view.by_year:
        row += 1
        for column, value in enumerate([f"{y.year} 年度", f"{y.first} 至 {y.last}", y.months], start=1):
            put(sheet, row, column, value)
        for column, value in enumerate([y.personnel, y.direct, y.management_fee, y.tax], start=4):
            put(sheet, row, column, value, money=True)
        _formula(sheet, row, 8, f"=D{row}+E{row}+F{row}+G{row}", bold=False)
    total = row + 1
    put(sheet, total, 1, "合计", bold=True)
    for column in range(4, 9):
        _formula(sheet, total, column, _sum(get_column_letter(column), 2, row))
    safe_text(sheet.cell(row=total + 1, column=1), labels.SPLIT_RULE)
    top = total + 3
    header(sheet, ["税率时段", "月份", "", "税前成本", "增值税率", "附加率", "税费", "含税价格"], [12, 22, 6, 16, 16, 14, 14, 16],
           row=top)
    row = top
    for index, p in enumerate(view.tax_periods, start=1):
        row += 1
        put(sheet, row, 1, f"第 {index} 段")
        put(sheet, row, 2, f"{p.first} 至 {p.last}")
        put(sheet, row, 4, p.pre_tax, money=True)
        sheet.cell(row=row, column=5, value=p.vat_rate).number_format = PERCENT
        sheet.cell(row=row, column=6, value=p.surcharge_rate).number_format = PERCENT
        _formula(sheet, row, 8, f"=ROUND(D{row}*(1+E{row})/(1-E{row}*F{row}),2)", bold=False)
        _formula(sheet, row, 7, f"=H{row}-D{row}", bold=False)
    put(sheet, row + 1, 1, "合计", bold=True)
    _formula(sheet, row + 1, 8, _sum("H", top + 1, row))
    print_setup(sheet, title)
    return f"'分年度'!H{row + 1}"
