"""A budget's lines as a workbook (明细表): its staff lines on the sheet 人员, its cost lines on 直接费用, with their
Chinese headers and drop-down lists; read back within the limits on work of ``costing.spreadsheets``. A budget with
more lines than its edit page holds (views.PAGE_LINES) is edited this way: download, change in Excel or WPS, upload.

A cell is read as the form reads the same field (``web.mapping.clean``: one number reader, blanks dropped), its
choices by their labels, so the file, the page and the API give the same messages. Every problem is said where it is
in the file: 「人员 第 5 行 月应发工资：「4千8」不是金额…」; a file with any problem saves nothing.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from ..annex.sheets import form_sheet
from ..engine import numbers
from ..engine.model import CATEGORIES, CERTIFICATES, COST_CATEGORIES, LEVELS
from ..engine.parameters import ParameterSet
from ..engine.parse import AMOUNT_PLACES, NOT_A_CHOICE, RATE_PLACES, InputError, Problem
from ..results import defaults
from ..spreadsheets import MAX_BYTES, MAX_ROWS, OLE, Sheet, Xlsx, at_places, quoted, reading, refuse
from ..web import mapping

PERSONNEL, COSTS = "人员", "直接费用"
# (header, contract key) in column order; a reason's header is its figure's and 理由, as pages name it
COLUMNS = {
    "personnel": [("岗位", "post"), ("类别", "category"), ("等级", "level"), ("证书", "certificate"), ("人数", "headcount"),
                  ("月应发工资", "monthly_pay"), ("职业津贴", "monthly_allowance"),
                  ("职业津贴理由", "monthly_allowance_reason"), ("年终奖", "annual_bonus"), ("月数", "months"),
                  ("申报基数", "si_base"), ("申报基数理由", "si_base_reason"), ("公积金比例", "housing_fund_rate"),
                  ("公积金比例理由", "housing_fund_rate_reason"), ("在岗起始月份", "start"), ("在岗截止月份", "end"),
                  ("调薪", "pay_changes")],
    "costs": [("类别", "category"), ("名称", "name"), ("数量", "quantity"), ("单位", "unit"), ("单价", "unit_price"),
              ("年度", "year")],
}
MONTHS = ("start", "end")            # a month typed in Excel or WPS becomes a date: read as its year and month
SHEETS = {"personnel": PERSONNEL, "costs": COSTS}
REQUIRED = {"personnel": ("岗位", "等级", "证书", "人数", "月应发工资"), "costs": ("类别", "名称", "数量", "单价")}
CHOICES = {("personnel", "category"): CATEGORIES, ("personnel", "level"): LEVELS,
           ("personnel", "certificate"): CERTIFICATES, ("costs", "category"): COST_CATEGORIES}
# a number cell holds a binary float: it is read at the precision its field is kept at
PLACES = {numbers.AMOUNT: AMOUNT_PLACES, numbers.RATE: RATE_PLACES}
WIDTHS = {"personnel": [18, 16, 16, 16, 7, 12, 10, 22, 10, 7, 11, 22, 11, 22, 12, 12, 28], "costs": [12, 28, 9, 9, 12, 9]}
EXCEL_EPOCH = date(1899, 12, 30)     # day 0 of a workbook's date numbers (the 1900 date system)


def _month_of(serial: str) -> str:
    """A date cell's number (46478) as the month it falls in ("2027-04"); anything else as it is."""
    try:
        day = EXCEL_EPOCH + timedelta(days=int(Decimal(serial)))
    except (ArithmeticError, ValueError, OverflowError):
        return serial
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class Lines:
    """What a file holds: the contract's ``personnel`` and ``costs``, each entry's row in the file and its cells as
    the file has them (to quote in a problem)."""
    personnel: list[dict] = field(default_factory=list)
    costs: list[dict] = field(default_factory=list)
    rows: dict[str, list[int]] = field(default_factory=lambda: {"personnel": [], "costs": []})
    cells: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {"personnel": [], "costs": []})


def _entries(kind: str, sheet: Sheet, lines: Lines) -> list[Problem]:
    """A sheet's rows as contract entries into ``lines``; the header's problems, if any (then no rows are read)."""
    where = SHEETS[kind]
    known = dict(COLUMNS[kind])
    headers = [h.strip() for h in sheet.headers]
    while headers and headers[-1] == "":
        headers.pop()
    problems = [Problem(f"{where} 第 1 行 第 {i + 1} 列", "表头为空" if not h else f"未知列「{quoted(h)}」（请使用下载的明细表的表头）")
                for i, h in enumerate(headers) if h not in known]
    problems += [Problem(f"{where} 第 1 行", f"缺少必需的列「{h}」") for h in REQUIRED[kind] if h not in headers]
    if len(set(headers)) != len(headers):
        problems.append(Problem(f"{where} 第 1 行", "有重复的列名"))
    if problems:
        return problems
    if len(sheet.rows) > MAX_ROWS:
        return [Problem(where, f"最多 {MAX_ROWS} 行，文件有 {len(sheet.rows)} 行")]
    keys = [known[h] for h in headers]
    labels = {key: {label: code for code, label in CHOICES[(kind, key)].items()} for key in keys if (kind, key) in CHOICES}
    for number, row in sheet.rows:
        cells = {}
        for column, (key, text) in enumerate(zip(keys, row)):
            places = PLACES.get(mapping.KINDS.get(key))
            if places is not None and (number, column) in sheet.number_cells:
                text = at_places(text, places)
            elif key in MONTHS and (number, column) in sheet.number_cells and text:
                text = _month_of(text)
            if text:
                cells[key] = text
        typed = {key: labels[key].get(text, text) if key in labels else text for key, text in cells.items()}
        getattr(lines, kind).append(mapping.clean(typed, "item") or {})
        lines.rows[kind].append(number)
        lines.cells[kind].append(cells)
    return []


def read_lines(filename: str, data: bytes) -> Lines:
    """An uploaded 明细表 → the budget's lines (still to be validated by the engine); InputError saying what is wrong
    and where: a file that is no workbook, a sheet missing, a header not the template's."""
    if not data:
        refuse("文件是空的")
    if len(data) > MAX_BYTES:
        refuse(f"文件过大（{len(data) / 1024 / 1024:.1f} MB），最多 {MAX_BYTES // 1024 // 1024} MB；请删去多余的工作表和图片后再上传")
    if filename.lower().endswith(".xls") or data.startswith(OLE):
        refuse("文件是旧版 .xls 格式，或设置了打开密码：请在 Excel/WPS 中取消密码并“另存为” .xlsx 后再上传")
    if not filename.lower().endswith(".xlsx"):
        refuse("只接受 .xlsx 文件（本预算下载的明细表）")
    book = Xlsx(data, f"请只保留「{PERSONNEL}」与「{COSTS}」两个工作表（删除其他工作表）后再上传")
    lines, problems = Lines(), []
    with reading():
        sheets = {(sheet.get("name") or "").strip(): sheet for sheet in book.sheets()}
        for kind, name in SHEETS.items():
            if name not in sheets:
                problems.append(Problem("文件", f"没有名为「{name}」的工作表：请在下载的明细表中修改，不要改动工作表的名称"))
                continue
            table = book.read(sheets[name], f"工作表「{name}」", name)
            if table.headers:
                problems += _entries(kind, table, lines)
            else:
                problems.append(Problem(name, "工作表是空的：第 1 行应为表头（请使用下载的明细表）"))
    if problems:
        raise InputError(problems)
    return lines


_PATH = re.compile(r"^(personnel|costs)\[(\d+)\](?:\.(\w+))?$")


def is_line(problem: Problem) -> bool:
    """A problem with one of the lines (personnel[3].monthly_pay, costs[0], personnel[3].pay_changes[1].from)."""
    return bool(_PATH.match(mapping.at_field(problem).path))


def line_problems(problems: list[Problem], lines: Lines) -> list[str]:
    """The engine's problems with lines read from a file (personnel[3].monthly_pay) said as the file has them (人员
    第 5 行 月应发工资), quoting the cell and saying what to type; other problems are the caller's."""
    said = []
    for p in map(mapping.at_field, problems):
        found = _PATH.match(p.path)
        if not found:
            continue
        kind, index, key = found.group(1), int(found.group(2)), found.group(3)
        rows = lines.rows[kind]
        row = rows[index] if index < len(rows) else index + 2
        header = dict((k, h) for h, k in COLUMNS[kind]).get(key, "")
        text = lines.cells[kind][index].get(key, "") if key and index < len(lines.cells[kind]) else ""
        message = p.message
        if (kind, key) in CHOICES and p.code == NOT_A_CHOICE:
            message = "请从下拉列表中选择：" + "、".join(CHOICES[(kind, key)].values())
            message = f"「{quoted(text)}」不在下拉列表中，{message}" if text else message
        elif text and key in mapping.KINDS:
            message = f"「{quoted(text)}」{numbers.unreadable(mapping.KINDS[key], text) or message}"
        said.append(f"{SHEETS[kind]} 第 {row} 行" + (f" {header}" if header else "") + f"：{message}")
    return said


def file_problems(problems: list[Problem]) -> list[str]:
    """Problems with the file itself (as ``read_lines`` raises them), as the page lists them."""
    return [f"{p.path}：{p.message}" for p in problems]


def _cell_value(kind: str, key: str, value):
    """A contract value as the sheet holds it: a label for a choice, a number for a figure, else text."""
    if value is None or value == "":
        return None
    if (kind, key) in CHOICES:
        return CHOICES[(kind, key)].get(value, value)
    if key in mapping.LISTS:
        return mapping.list_text(key, value)
    if key in mapping.KINDS:
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return str(value)
    return str(value)


def notes(params: ParameterSet, start: date | None, today: date) -> tuple[str, ...]:
    """The 说明 sheet: what the file replaces, what each column holds and what a blank means (as on the edit page)."""
    return (
        f"只读取「{PERSONNEL}」与「{COSTS}」两个工作表（名称不要改动）；本说明和「选项」工作表不会导入。",
        f"上传后，文件中的全部人员与直接费用替换预算中的全部明细（未列在文件中的行即删除）；每个工作表最多 {MAX_ROWS} 行，"
        f"文件不超过 {MAX_BYTES // 1024 // 1024} MB。第 1 行为表头，请勿修改；没有任何内容的行不计入。",
        "类别、等级、证书：从下拉列表选择。金额单位：元/人·月，最多两位小数，可写 4800、4,800.00 或 4800元。",
        f"{defaults.allowance_blank(params)}；月数留空为整个服务期（或填在岗起始、截止月份，如 2027-04，与月数只填一种）；"
        "调薪填自某月起的月应发工资，如“2028-01 6500”，多次用分号隔开；年度留空的直接费用按月数分摊到各年度；申报基数留空按工资加津贴；"
        f"{defaults.housing_fund_blank(params, start, today)}；比例填小数或百分数，如 0.07 或 7%。",
        "填写职业津贴、申报基数或公积金比例即不用默认值，须在其右侧的“理由”栏写明理由，否则不能保存。",
        "直接费用：金额 = 数量 × 单价；单位如“次”“人·月”。",
        "请直接填写数值，不要使用公式或合并单元格。数值单元格按 Excel 显示的 15 位有效数字读取，金额取到分、比例取到六位小数（四舍五入）。",
        "页面上修改预算的其他内容（项目、承接主体、管理费与项目规则）后，与本文件一起保存，生成一个新的修订。",
    )


def lines_workbook(data: dict, params: ParameterSet, start: date | None, today: date) -> bytes:
    """The lines of a contract input (a saved revision's, or none for the blank template) as the 明细表; text is
    never a formula."""
    workbook = Workbook()
    options = workbook.active
    options.title = "选项"
    lists = {}
    for column, ((kind, key), choices) in enumerate(CHOICES.items(), start=1):
        letter = chr(ord("A") + column - 1)
        for row, label in enumerate(choices.values(), start=1):
            options.cell(row=row, column=column, value=label)
        lists[(kind, key)] = f"=选项!${letter}$1:${letter}${len(choices)}"
    for kind, name in SHEETS.items():
        sheet = workbook.create_sheet(name, index=len(workbook.sheetnames) - 1)
        columns = COLUMNS[kind]
        form_sheet(sheet, [header for header, _ in columns],
                   ([_cell_value(kind, key, entry.get(key)) for _header, key in columns] for entry in data.get(kind) or ()),
                   WIDTHS[kind])
        for column, (_header, key) in enumerate(columns):
            if (kind, key) in lists:
                rule = DataValidation(type="list", formula1=lists[(kind, key)], allow_blank=True, showErrorMessage=True,
                                      errorTitle="请从列表中选择", error="请从下拉列表中选择")
                letter = chr(ord("A") + column)
                rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
                sheet.add_data_validation(rule)
    said = workbook.create_sheet("说明", index=2)
    for line in notes(params, start, today):
        said.append([line])
    said.column_dimensions["A"].width = 120
    workbook.active = 0
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
