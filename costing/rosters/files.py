"""Staff rosters (花名册) from XLSX or CSV files, and the template to fill in.

The file is read within the limits on work of ``costing.spreadsheets`` (named in the README). A file with any bad
row imports nothing: every problem is listed as 「第 5 行 月应发工资：…」.
"""
from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from ..annex.sheets import form_sheet
from ..engine import numbers
from ..engine.model import CATEGORIES, CERTIFICATES, LEVELS
from ..engine.parameters import ParameterSet
from ..engine.parse import AMOUNT_PLACES, NOT_A_CHOICE, RATE_PLACES, InputError, Problem
from ..engine.roster import DUPLICATE_ID
from ..results import defaults
from ..spreadsheets import (  # noqa: F401 — the limits, as the roster's (tests and the README name them here)
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_PARTS,
    MAX_ROW_CELLS,
    MAX_ROWS,
    MAX_SHARED_CHARS,
    MAX_SHARED_STRINGS,
    MAX_TEXT_CHARS,
    MAX_TOKEN_BYTES,
    MAX_UNCOMPRESSED,
    OLE,
    Sheet,
    Xlsx,
    at_places,
    quoted,
    read_csv,
    reading,
    refuse,
)

ROSTER_SHEET = "花名册"          # the template's sheet, read wherever it is in a workbook
RATE_ITEMS = ("pension", "medical", "serious_illness", "unemployment", "work_injury")

# header → (field, kind); the order is the template's column order
COLUMNS = [
    ("姓名或工号", "id", "text"), ("岗位", "post", "text"), ("类别", "category", "category"),
    ("等级", "level", "level"), ("证书", "certificate", "certificate"), ("证书编号", "certificate_no", "text"),
    ("月应发工资", "monthly_pay", "amount"), ("职业津贴", "monthly_allowance", "amount"),
    ("年终奖", "annual_bonus", "amount"), ("申报缴费基数", "si_base", "amount"),
    ("养老单位费率", "pension", "rate"), ("医疗单位费率", "medical", "rate"),
    ("大额医疗单位费率", "serious_illness", "rate"), ("失业单位费率", "unemployment", "rate"),
    ("工伤单位费率", "work_injury", "rate"), ("公积金比例", "housing_fund_rate", "rate"),
    ("在岗月数", "months", "count"),
]
REQUIRED = ("姓名或工号", "岗位", "等级", "证书", "月应发工资")
HEADER_OF = {field: header for header, field, _ in COLUMNS}
KIND_OF = {field: kind for _, field, kind in COLUMNS}
FIELD_OF = {header: field for header, field, _ in COLUMNS}
LABEL_TO_CODE = {
    "category": {label: code for code, label in CATEGORIES.items()},
    "level": {label: code for code, label in LEVELS.items()} | {"无等级": "none", "无": "none"},
    "certificate": {label: code for code, label in CERTIFICATES.items()},
}
# the template's example row (on its 说明 sheet; earlier templates had it as the roster's first row): a file
# that still has it is read without it
# It leaves 职业津贴 and 公积金比例 blank, as most people do: a blank takes the figure in force (the 说明 sheet says
# which), where a typed figure could be below tomorrow's minimum. Earlier templates' example typed both; a row as
# they had it is still known as the example.
EXAMPLE = {"姓名或工号": "SG-001", "岗位": "社会工作者", "类别": "社区", "等级": "初级", "证书": "助理社会工作师",
           "月应发工资": "4300.00", "在岗月数": "12"}
EARLIER_EXAMPLES = (EXAMPLE | {"职业津贴": "200.00", "公积金比例": "0.05"},)


NUMBER_KINDS = {"amount": numbers.AMOUNT, "rate": numbers.RATE, "count": numbers.INTEGER}
# a number cell holds a binary float: it is read at the precision its field is kept at
PLACES = {"amount": AMOUNT_PLACES, "rate": RATE_PLACES}


def _normalise(kind: str, text: str):
    """Spreadsheet conventions → contract values: labels to codes, and numbers read by the engine's one
    number reader ('16%' → '0.16', '4,300' → '4300.00')."""
    if text == "":
        return None
    if kind in ("category", "level", "certificate"):
        return LABEL_TO_CODE[kind].get(text, text)
    if kind in NUMBER_KINDS:
        return numbers.as_contract(NUMBER_KINDS[kind], text)
    return text


class Roster(list):
    """Roster entries read from a file; ``row_numbers[i]`` is the spreadsheet row of entry i and
    ``cells[i]`` its cells as the file has them (field → text), to quote in a problem."""
    row_numbers: list[int]
    cells: list[dict[str, str]]
    example_rows: list[int]         # rows that were the template's example, left out


def rows_to_roster(sheet: Sheet) -> list[dict]:
    """Header checks, then each row as a roster entry of the check contract."""
    problems = []
    known = {header for header, _, _ in COLUMNS}
    headers = [h.strip() for h in sheet.headers]
    while headers and headers[-1] == "":
        headers.pop()
    for index, header in enumerate(headers):
        if header == "":
            problems.append(Problem(f"第 1 行 第 {index + 1} 列", "表头为空"))
        elif header not in known:
            problems.append(Problem(f"第 1 行 第 {index + 1} 列", f"未知列「{header}」（请使用模板的表头）"))
    for header in REQUIRED:
        if header not in headers:
            problems.append(Problem("第 1 行", f"缺少必需的列「{header}」"))
    if len(set(headers)) != len(headers):
        problems.append(Problem("第 1 行", "有重复的列名"))
    if sheet.which and (set(headers) - known or not set(headers) & known):
        problems.insert(0, Problem("文件", f"{sheet.which}；只读取这一个工作表，请按模板在「{ROSTER_SHEET}」"
                                         "工作表第 1 行填写表头、第 2 行起每行一人"))
    if problems:
        raise InputError(problems)
    if len(sheet.rows) > MAX_ROWS:
        raise InputError([Problem("文件", f"最多 {MAX_ROWS} 行人员，文件有 {len(sheet.rows)} 行")])
    roster = Roster()
    roster.row_numbers, roster.cells, roster.example_rows = [], [], []
    read: dict[tuple[str, str], object] = {}
    examples = [_values([FIELD_OF[header] for header in shown], list(shown.values()), read)
                for shown in (EXAMPLE, *EARLIER_EXAMPLES)]
    for number, row in sheet.rows:
        cells = {}
        for column, (header, text) in enumerate(zip(headers, row)):
            kind = KIND_OF[FIELD_OF[header]]
            if kind in PLACES and (number, column) in sheet.number_cells:
                text = at_places(text, PLACES[kind])
            if text:
                cells[FIELD_OF[header]] = text
        values = _values(list(cells), list(cells.values()), read)
        if values in examples:
            roster.example_rows.append(number)
            continue
        entry = {field: value for field, value in values.items() if field not in RATE_ITEMS and field != "certificate_no"}
        rates = {field: value for field, value in values.items() if field in RATE_ITEMS}
        if rates:
            entry["employer_rates"] = rates
        roster.append(entry)
        roster.row_numbers.append(number)
        roster.cells.append(cells)
    if not roster:
        where = f"只有模板的示例行（第 {roster.example_rows[0]} 行），" if roster.example_rows else ""
        raise InputError([Problem("文件", f"文件中{where}没有人员（第 2 行起每行一人）")])
    return roster


def _values(fields: list[str], texts: list[str], read: dict | None = None) -> dict:
    """A row's fields as contract values, blanks left out. ``read`` keeps what each (kind, text) read as, for the
    whole file: a text repeated in many cells (a shared string is one text wherever it is used) is read once."""
    read = {} if read is None else read
    values = {}
    for field, text in zip(fields, texts):
        key = (KIND_OF[field], text)
        if key not in read:
            read[key] = _normalise(*key)
        if read[key] is not None:
            values[field] = read[key]
    return values


def row_problems(problems: list[Problem], row_numbers: list[int] | None = None,
                 cells: list[dict[str, str]] | None = None) -> list[Problem]:
    """Engine paths (roster[3].monthly_pay) → spreadsheet terms (第 5 行 月应发工资), each problem quoting
    the cell as the file has it and saying what to type: 「4千8」不是金额，请填写数字，如 4800 或 4800.00."""
    def row_of(index: int) -> int:
        return row_numbers[index] if row_numbers and index < len(row_numbers) else index + 2

    out = []
    for p in problems:
        m = re.match(r"^roster\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?$", p.path)
        if not m:
            out.append(p)
            continue
        field = m.group(3) or m.group(2)
        column = HEADER_OF.get(field, field or "")
        index = int(m.group(1))
        text = cells[index].get(field, "") if cells and index < len(cells) and field else ""
        message = p.message
        if p.code == DUPLICATE_ID:        # names the earlier entry as 第 n 行: its row in the file instead
            message = re.sub(r"与第 (\d+) 行重复$", lambda found: f"与第 {row_of(int(found.group(1)) - 1)} 行重复", message)
        elif field in LABEL_TO_CODE and p.code == NOT_A_CHOICE:
            options = {"category": CATEGORIES, "level": LEVELS, "certificate": CERTIFICATES}[field]
            message = "请从下拉列表中选择：" + "、".join(options.values())
            message = f"「{quoted(text)}」不在下拉列表中，{message}" if text else message
        elif text:
            kind = KIND_OF.get(field)
            why = numbers.unreadable(NUMBER_KINDS[kind], text) if kind in NUMBER_KINDS else None
            message = f"「{quoted(text)}」{why or message}"
        out.append(Problem(f"第 {row_of(index)} 行" + (f" {column}" if column else ""), message))
    return out


def read_xlsx(data: bytes) -> Sheet:
    """The roster worksheet: the one named 花名册 (the template's), else the first one shown."""
    book = Xlsx(data, f"请只保留「{ROSTER_SHEET}」工作表（删除其他工作表）后再导入")
    with reading():
        sheets = book.sheets()
        named = [sheet for sheet in sheets if (sheet.get("name") or "").strip() == ROSTER_SHEET]
        shown = [sheet for sheet in sheets if sheet.get("state", "visible") == "visible"]
        sheet = (named or shown or sheets)[0]
        which = (f"读取的是名为「{ROSTER_SHEET}」的工作表" if named else
                 f"读取的是第一个工作表「{sheet.get('name') or ''}」，未找到名为「{ROSTER_SHEET}」的工作表")
        table = book.read(sheet, which, "人员")
    if not table.headers:
        refuse(f"工作表是空的（{which}，只读取这一个工作表）")
    return table


def too_large(size: int | None) -> str:
    """The size limit, said the same whether the file or the whole upload was too big."""
    said = f"（{size / 1024 / 1024:.1f} MB）" if size else ""
    return f"文件过大{said}，最多 {MAX_BYTES // 1024 // 1024} MB；请删去多余的工作表和图片，或另存为 .csv 后再导入"


def read_roster_file(filename: str, data: bytes) -> list[dict]:
    """A roster file → roster entries (still to be validated by the engine)."""
    if len(data) > MAX_BYTES:
        refuse(too_large(len(data)))
    if not data:
        refuse("文件是空的")
    name = filename.lower()
    if name.endswith(".xls"):
        refuse(".xls 是旧版 Excel 格式，请在 Excel/WPS 中“另存为” .xlsx 后再导入")
    if name.endswith(".xlsx") and data.startswith(OLE):
        refuse("文件实际是旧版 .xls 格式，或设置了打开密码：请在 Excel/WPS 中取消密码并“另存为” .xlsx 后再导入")
    if name.endswith(".xlsx"):
        sheet = read_xlsx(data)
    elif name.endswith(".csv"):
        sheet = read_csv(data)
    else:
        refuse("只接受 .xlsx 或 .csv 文件")
    return rows_to_roster(sheet)


def notes(params: ParameterSet, today: date) -> tuple[str, ...]:
    """The template's 说明 sheet: what each column holds and what a blank means (as in the budget, from the parameter
    set in force: a template is for no budget yet, so the housing-fund rate is said with today's figure)."""
    return (
        f"只读取名为「{ROSTER_SHEET}」的工作表（没有这个工作表时读取第一个工作表）；本说明和其他工作表不会导入。",
        f"每行一名工作人员，第 1 行为表头，请勿修改。最多 {MAX_ROWS} 行人员，文件不超过 {MAX_BYTES // 1024 // 1024} MB。"
        "没有任何内容的行不计入（只设了边框或底色的行也不算）。",
        "姓名或工号：可用工号代替姓名以保护个人信息；不能重复（同名的请用工号区分）。"
        "岗位：与采购人预算中的岗位名称一致，便于逐岗对比。",
        "类别、等级、证书：从下拉列表选择。类别留空：取采购人预算中同名岗位的类别（没有同名岗位的为“其他”）。",
        "月应发工资、职业津贴、申报缴费基数：元/月，最多两位小数，可写 4800、4,800.00、¥4,800 或 4800元。",
        f"{defaults.allowance_blank(params)}，与预算相同；没有津贴的请填 0。",
        "年终奖：元/人，全年（在岗 12 个月）的金额；与预算相同，按在岗月数折算（在岗 6 个月计一半），"
        "不计入与最低工资的比较和缴费基数；留空为 0。",
        "申报缴费基数留空：与预算相同，按月应发工资加职业津贴，低于社会保险缴费基数下限的按下限、高于上限的按上限。",
        "各项单位费率与公积金比例：小数（0.16）或百分数（16%）。单位费率留空按法定费率，"
        f"{defaults.housing_fund_blank(params, None, today)}，均与预算相同。",
        "在岗月数：留空为整个服务期。",
        "请直接填写数值，不要使用公式或合并单元格。数值单元格按 Excel 显示的 15 位有效数字读取，金额取到分、比例取到六位小数（四舍五入）。",
    )


CHOICE_LABELS = {"category": CATEGORIES, "level": LEVELS, "certificate": CERTIFICATES}


def _cell_value(kind: str, value):
    """A contract value as the template's cell holds it: a label for a choice, a number for a figure."""
    if value is None or value == "":
        return None
    if kind in CHOICE_LABELS:
        return CHOICE_LABELS[kind].get(value, value)
    if kind in NUMBER_KINDS:
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return str(value)
    return str(value)


def template_workbook(params: ParameterSet, today: date, people: list[dict] | None = None) -> bytes:
    """The XLSX template: the 花名册 sheet with its Chinese headers and drop-down lists, and a 说明 sheet
    with the rules and an example row. With ``people`` (roster entries of the check contract), the sheet
    holds them, to be changed in a spreadsheet program and imported again; text is never a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    rows = ([_cell_value(kind, values.get(field)) for _header, field, kind in COLUMNS]
            for values in (entry | (entry.get("employer_rates") or {}) for entry in people or ()))
    form_sheet(sheet, [header for header, _, _ in COLUMNS], rows,
               [14, 16, 16, 10, 16, 14, 12, 10, 10, 12, 12, 12, 14, 12, 12, 11, 9])
    lists = workbook.create_sheet("选项")
    for column, options in enumerate((CATEGORIES, LEVELS, CERTIFICATES), start=1):
        for row, label in enumerate(options.values(), start=1):
            lists.cell(row=row, column=column, value=label)
    for letter, column, count in (("C", "A", len(CATEGORIES)), ("D", "B", len(LEVELS)), ("E", "C", len(CERTIFICATES))):
        rule = DataValidation(type="list", formula1=f"=选项!${column}$1:${column}${count}", allow_blank=True,
                              showErrorMessage=True, errorTitle="请从列表中选择", error="请从下拉列表中选择")
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)
    said = workbook.create_sheet("说明")
    for line in notes(params, today):
        said.append([line])
    said.append([])
    said.append(["示例（请在「花名册」工作表中按此填写；这一行如原样留在花名册中，导入时跳过）："])
    said.append([header for header, _, _ in COLUMNS])
    said.append([EXAMPLE.get(header, "") for header, _, _ in COLUMNS])
    said.column_dimensions["A"].width = 110
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def roster_workbook(params: ParameterSet, today: date, people: list[dict]) -> bytes:
    """A saved roster in the template's layout (what 「下载当前人员」 gives)."""
    return template_workbook(params, today, people)
