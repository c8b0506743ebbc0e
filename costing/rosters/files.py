"""Staff rosters (花名册) from XLSX or CSV files as offices keep them, and the template to fill in.

The file is read within the limits on work of ``costing.spreadsheets`` (named in the README). A file is read as the
office file shows it: the sheet is found by its headers (the one named 花名册 first), the header row below any title
rows, common header names (姓名, 应发工资…) as the template's columns, other columns (备注, 入职日期…) left out with a
notice naming them, a formula cell as the result the file stores (one notice), a 合计 or 小计 row skipped with a
notice. What cannot be read right is refused at its cell, never guessed. All of a file's problems — its header, its
structure, its cells and its values — are listed together (``problems_of``), and a file with any imports nothing.
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from ..annex.sheets import form_sheet
from ..engine import numbers
from ..engine.model import CATEGORIES, CERTIFICATES, LEVELS
from ..engine.parameters import ParameterSet
from ..engine.parse import AMOUNT_PLACES, NOT_A_CHOICE, PERCENT_TYPED, RATE_PLACES, RATE_TOO_HIGH, InputError, Problem
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
    Cells,
    Xlsx,
    at_places,
    cell_key,
    column_letters,
    merged_problems,
    quoted,
    read_csv,
    reading,
    refuse,
)

ROSTER_SHEET = "花名册"          # the template's sheet, read wherever it is in a workbook
RATE_ITEMS = ("pension", "medical", "serious_illness", "unemployment", "work_injury")
HEADER_ROWS = 20                # the header is looked for in a sheet's first 20 rows (title rows may stand above it)
SHEETS_LOOKED_AT = 5            # sheets looked into for a header (the one named 花名册 first, then those shown)
TITLE_ROWS_AND_TOTALS = 40      # rows with a value a file may have besides its people (titles, header, 合计)

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
# what offices call the template's columns (compared without spaces, line breaks or a bracketed unit: 月应发工资（元）)
ALIASES = {
    "id": ("姓名", "工号", "姓名/工号", "员工姓名", "人员姓名", "职工姓名", "员工编号", "职工编号", "人员编号", "员工工号"),
    "post": ("岗位名称", "职位", "工作岗位"),
    "category": ("岗位类别", "社工类别", "服务类别", "专业类别"),
    "level": ("岗位等级", "专业等级"),
    "certificate": ("职业资格", "职业资格证书", "资格证书", "持证情况", "证书等级", "职业水平证书"),
    "certificate_no": ("证书号", "证书号码", "资格证书编号", "证书管理号", "管理号"),
    "monthly_pay": ("应发工资", "应发合计", "应发工资合计", "月应发", "应发数", "应发金额", "月应发工资合计"),
    "monthly_allowance": ("职业资格补贴", "持证津贴", "职业津贴补贴"),
    "annual_bonus": ("年终奖金", "年终绩效"),
    "si_base": ("缴费基数", "社保缴费基数", "社会保险缴费基数", "社保基数"),
    "pension": ("养老保险单位费率", "单位养老费率", "养老单位比例", "养老保险单位比例"),
    "medical": ("医疗保险单位费率", "单位医疗费率", "医疗单位比例", "医疗保险单位比例"),
    "serious_illness": ("大额医疗互助单位费率", "大额医疗保险单位费率", "大额单位费率", "大额医疗单位比例"),
    "unemployment": ("失业保险单位费率", "单位失业费率", "失业单位比例", "失业保险单位比例"),
    "work_injury": ("工伤保险单位费率", "单位工伤费率", "工伤单位比例", "工伤保险单位比例"),
    "housing_fund_rate": ("公积金缴存比例", "住房公积金比例", "住房公积金缴存比例", "公积金单位比例", "单位公积金比例"),
    "months": ("月数", "在岗月份数", "服务月数"),
}
ID_BY_NUMBER = ("工号", "员工编号", "职工编号", "人员编号", "员工工号")      # taken before a name where a file has both
BASIC_PAY = "基本工资"           # 月应发工资 where the file has no other part of the pay (nor a gross pay column)
PAY_PARTS = ("绩效工资", "岗位工资", "薪级工资", "绩效", "绩效奖金", "津贴补贴", "补贴", "加班费", "奖金", "工龄工资",
             "技能工资", "职务工资")
_TOTAL = re.compile(r"^(合计|小计|总计|共计|本页合计|总合计)([:：(（].*)?$")
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


def header_name(text: str) -> str:
    """A header as headers are compared: full- and half-width alike, without spaces and line breaks, without a
    leading * (a required column's mark) or a bracketed unit at the end (月应发工资（元/月） is 月应发工资)."""
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lstrip("*")
    while True:
        shorter = re.sub(r"\([^()]*\)$", "", name)
        if shorter == name or not shorter:
            return name
        name = shorter


_FIELD_OF_NAME = {header_name(header): field for header, field, _ in COLUMNS} | {
    header_name(alias): field for field, aliases in ALIASES.items() for alias in aliases}


class Roster(list):
    """Roster entries read from a file; ``row_numbers[i]`` is the spreadsheet row of entry i and ``cells[i]`` its
    cells as the file has them (field → text), to quote in a problem. ``problems`` are the file's own (its header,
    its structure, its cells), to be listed with its values' (``problems_of``); ``notices`` say what was read how."""
    row_numbers: list[int]
    cells: list[dict[str, str]]
    example_rows: list[int]         # rows that were the template's example, left out
    total_rows: list[int]           # 合计 / 小计 rows, left out
    notices: list[str]
    problems: list[Problem]
    more_problems: int              # problems at cells beyond those listed (counted, not kept)
    bad_cells: set[tuple[int, str]]     # (row number, field) of a cell the file's problems already name
    missing: set[str]               # required fields without a column (each said once, not on every row)

    def __init__(self):
        super().__init__()
        self.row_numbers, self.cells, self.example_rows, self.total_rows = [], [], [], []
        self.notices, self.problems, self.more_problems = [], [], 0
        self.bad_cells, self.missing = set(), set()


@dataclass
class _Header:
    """The header row a sheet was found to have, and what each of its columns is."""
    row: int
    fields: dict[int, str]                               # column → field
    said: list[str] = field(default_factory=list)        # 「姓名」按「姓名或工号」读取
    left_out: list[tuple[int, str]] = field(default_factory=list)      # (column, header) not read
    problems: list[Problem] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)


def _score(cells: dict[int, str]) -> int:
    """How many of the template's columns a row names (a header row names several; a title row none)."""
    return len({_FIELD_OF_NAME[name] for text in cells.values() if (name := header_name(text)) in _FIELD_OF_NAME})


def _header_row(rows: dict[int, dict[int, str]]) -> int | None:
    """The row among the first HEADER_ROWS that names the most of the template's columns (two at least)."""
    best, best_score = None, 1
    for number in sorted(rows):
        if number > HEADER_ROWS:
            break
        score = _score(rows[number])
        if score > best_score:
            best, best_score = number, score
    return best


def _header(number: int, cells: dict[int, str], rows: dict[int, dict[int, str]]) -> _Header:
    """What each column of the header row is; where two columns would be one field, which is read (or a problem)."""
    found: dict[str, list[tuple[int, str]]] = {}
    header = _Header(number, {})
    basic = None
    for column in sorted(cells):
        text = cells[column]
        name = header_name(text)
        if name == BASIC_PAY:
            basic = (column, text)
        elif name in _FIELD_OF_NAME:
            found.setdefault(_FIELD_OF_NAME[name], []).append((column, text))
        else:
            header.left_out.append((column, text))
    parts = [text for _, text in header.left_out if header_name(text) in PAY_PARTS]
    if basic and "monthly_pay" not in found and not parts:
        found["monthly_pay"] = [basic]
    elif basic:
        header.left_out.append(basic)
    for name, columns in found.items():
        chosen = columns
        if len(columns) > 1:
            exact = [(c, t) for c, t in columns if header_name(t) == header_name(HEADER_OF[name])]
            numbered = [(c, t) for c, t in columns if header_name(t) in ID_BY_NUMBER]
            chosen = exact if len(exact) == 1 else numbered[:1] if name == "id" and len(numbered) == 1 else columns
        if len(chosen) > 1:
            listed = "、".join(f"「{quoted(t)}」（{column_letters(c)} 列）" for c, t in chosen)
            header.problems.append(Problem(f"第 {number} 行", f"{listed}都是「{HEADER_OF[name]}」，请只保留一列"))
        column, text = chosen[0]
        header.fields[column] = name
        header.left_out += [(c, t) for c, t in columns if c != column]
        if header_name(text) != header_name(HEADER_OF[name]):
            header.said.append(f"「{quoted(text)}」按「{HEADER_OF[name]}」读取")
    for required in REQUIRED:
        if FIELD_OF[required] not in header.fields.values():
            header.missing.add(FIELD_OF[required])
            message = f"缺少必需的列「{required}」"
            if required == "月应发工资" and basic:
                message += (f"：「{quoted(basic[1])}」只是应发工资的一部分（另有「{quoted(parts[0])}」），请增加一列"
                            "「月应发工资」（应发工资合计）")
            header.problems.append(Problem(f"第 {number} 行", message))
    header.left_out.sort()
    unnamed = sorted({c for n, row in rows.items() if n > number for c in row} - set(cells))
    header.left_out += [(c, "") for c in unnamed]
    return header


def _total_row(cells: dict[int, str], entry: dict[str, str]) -> bool:
    """A 合计 / 小计 row: one of its cells says so and it has neither 等级 nor 证书 (a person has both)."""
    return "level" not in entry and "certificate" not in entry and any(
        _TOTAL.match(re.sub(r"\s+", "", text)) for text in cells.values())


def _rows_said(numbers_: list[int]) -> str:
    """第 3、5、9–12 行, up to a few runs."""
    runs: list[list[int]] = []
    for number in numbers_:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    said = "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs[:6])
    return f"第 {said}{'…' if len(runs) > 6 else ''} 行"


def cells_to_roster(sheet: Cells) -> Roster:
    """A sheet's cells → roster entries of the check contract, with the file's problems and notices."""
    roster = Roster()
    where = sheet.which
    number = _header_row(sheet.rows)
    if number is None:
        refuse(("工作表是空的" if not sheet.rows else f"前 {HEADER_ROWS} 行中没有表头（没有一行写着模板的列名，如"
                "「姓名或工号」「岗位」「等级」「证书」「月应发工资」）") + (f"（{where}）" if where else "")
               + f"；请按模板在「{ROSTER_SHEET}」工作表填写表头、其下每行一人")
    header = _header(number, sheet.rows[number], sheet.rows)
    if where:
        roster.notices.append(where)
    if number > 1:
        roster.notices.append(f"第 {number} 行为表头（其上的 {number - 1} 行为标题，未导入）")
    roster.notices += header.said
    if header.left_out:
        shown = [f"「{quoted(text, 20)}」（{column_letters(c)} 列）" if text else f"{column_letters(c)} 列（没有表头）"
                 for c, text in header.left_out]
        roster.notices.append("以下各列不是模板的列，未导入：" + "、".join(shown[:12])
                              + (f" 等 {len(shown)} 列" if len(shown) > 12 else ""))
    roster.problems += header.problems
    roster.missing = header.missing
    columns = sorted(header.fields)
    read: dict[tuple[str, str], object] = {}
    examples = [_values([FIELD_OF[h] for h in shown], list(shown.values()), read) for shown in (EXAMPLE, *EARLIER_EXAMPLES)]
    people_rows, only_left_out = [], []
    for row in sorted(n for n in sheet.rows if n > number):
        found = sheet.rows[row]
        cells = {}
        for column in columns:
            text = found.get(column, "")
            name = header.fields[column]
            kind = KIND_OF[name]
            if kind in PLACES and (row, column - 1) in sheet.number_cells:
                text = at_places(text, PLACES[kind])
            if text:
                cells[name] = text
        if not cells:
            only_left_out.append(row)
            continue
        if _total_row(found, cells):
            roster.total_rows.append(row)
            continue
        values = _values(list(cells), list(cells.values()), read)
        if values in examples:
            roster.example_rows.append(row)
            continue
        people_rows.append(row)
        entry = {name: value for name, value in values.items() if name not in RATE_ITEMS}
        rates = {name: value for name, value in values.items() if name in RATE_ITEMS}
        if rates:
            entry["employer_rates"] = rates
        roster.append(entry)
        roster.row_numbers.append(row)
        roster.cells.append(cells)
    if len(roster) > MAX_ROWS:
        refuse(f"最多 {MAX_ROWS} 行人员，文件超过此数")
    formulas = sum(1 for row in people_rows for column in header.fields if cell_key(row, column) in sheet.formulas) \
        if sheet.formulas else 0
    if formulas:
        roster.notices.append(f"{formulas} 个含公式的单元格按文件中保存的计算结果读取（公式不重新计算）")
    if roster.total_rows:
        roster.notices.append(f"{_rows_said(roster.total_rows)}是合计行，未导入")
    if only_left_out:
        roster.notices.append(f"{_rows_said(only_left_out)}只在未导入的列中有内容，不是人员")
    rows_read = set(people_rows)
    fields_of = header.fields
    listed = [Problem(f"第 {row} 行 {column_letters(column)}{row} 单元格", message)     # the cells read: of a
              for row, column, message in sheet.problems if row in rows_read and column in fields_of]   # person, read
    roster.problems += listed
    if sheet.bad:
        roster.bad_cells = {(row, name) for row in rows_read for column, name in fields_of.items()
                            if cell_key(row, column) in sheet.bad}
        roster.more_problems = len(roster.bad_cells) - len(listed)
    roster.problems += merged_problems(sheet.merged, rows_read | {number})
    if not roster and not roster.problems:
        where_example = f"只有模板的示例行（{_rows_said(roster.example_rows)}），" if roster.example_rows else ""
        refuse(f"文件中{where_example}没有人员（第 {number + 1} 行起每行一人）")
    return roster


def _values(fields: list[str], texts: list[str], read: dict | None = None) -> dict:
    """A row's fields as contract values, blanks left out. ``read`` keeps what each (kind, text) read as, for the
    whole file: a text repeated in many cells (a shared string is one text wherever it is used) is read once."""
    read = {} if read is None else read
    values = {}
    for name, text in zip(fields, texts):
        key = (KIND_OF[name], text)
        if key not in read:
            read[key] = _normalise(*key)
        if read[key] is not None:
            values[name] = read[key]
    return values


_ROW = re.compile(r"^roster\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?$")


def row_problems(problems: list[Problem], row_numbers: list[int] | None = None,
                 cells: list[dict[str, str]] | None = None) -> list[Problem]:
    """Engine paths (roster[3].monthly_pay) → spreadsheet terms (第 5 行 月应发工资), each problem quoting
    the cell as the file has it and saying what to type: 「4千8」不是金额，请填写数字，如 4800 或 4800.00."""
    def row_of(index: int) -> int:
        return row_numbers[index] if row_numbers and index < len(row_numbers) else index + 2

    out = []
    for p in problems:
        m = _ROW.match(p.path)
        if not m:
            out.append(p)
            continue
        name = m.group(3) or m.group(2)
        column = HEADER_OF.get(name, name or "")
        index = int(m.group(1))
        text = cells[index].get(name, "") if cells and index < len(cells) and name else ""
        message = p.message
        if p.code == DUPLICATE_ID:        # names the earlier entry as 第 n 行: its row in the file instead
            message = re.sub(r"与第 (\d+) 行重复$", lambda found: f"与第 {row_of(int(found.group(1)) - 1)} 行重复", message)
        elif name in LABEL_TO_CODE and p.code == NOT_A_CHOICE:
            options = {"category": CATEGORIES, "level": LEVELS, "certificate": CERTIFICATES}[name]
            message = "请从下拉列表中选择：" + "、".join(options.values())
            message = f"「{quoted(text)}」不在下拉列表中，{message}" if text else message
        elif text and p.code in (PERCENT_TYPED, RATE_TOO_HIGH):
            # the engine's message starts with the rate as it read it; the cell is quoted as the file has it
            message = f"「{quoted(text)}」{p.message.partition(' ')[2]}"
        elif text:
            kind = KIND_OF.get(name)
            why = numbers.unreadable(NUMBER_KINDS[kind], text) if kind in NUMBER_KINDS else None
            message = f"「{quoted(text)}」{why or message}"
        out.append(Problem(f"第 {row_of(index)} 行" + (f" {column}" if column else ""), message))
    return out


def problems_of(roster: Roster, engine: list[Problem]) -> list[Problem]:
    """Everything wrong with a file, in one list, row by row: its own problems (header, structure, cells) and the
    engine's with its values — without a second word on a cell the file's problems already name, nor a 必填 on every
    row for a column the file lacks."""
    said = []
    for p in engine:
        m = _ROW.match(p.path)
        if m:
            index, name = int(m.group(1)), m.group(3) or m.group(2)
            row = roster.row_numbers[index] if index < len(roster.row_numbers) else None
            if name in roster.missing or (row, name) in roster.bad_cells:
                continue
        said.append(p)
    return sorted(roster.problems + row_problems(said, roster.row_numbers, roster.cells), key=_place)


def _place(problem: Problem) -> tuple[int, int]:
    """Where a problem is, to list them in the file's order: the file first, then by row (a range after its first
    row's own problems)."""
    found = re.match(r"^第 (\d+)(?:–(\d+))? 行", problem.path)
    return (int(found.group(1)), int(found.group(2) or found.group(1))) if found else (0, 0)


def _sheet_with_header(book: Xlsx) -> Cells:
    """The roster's sheet: the one named 花名册 if it has a header row, else the first sheet shown (of the first
    SHEETS_LOOKED_AT) that has one; each looked into only as far as its first rows."""
    sheets = book.sheets()
    named = [sheet for sheet in sheets if (sheet.get("name") or "").strip() == ROSTER_SHEET]
    shown = [sheet for sheet in sheets if sheet.get("state", "visible") == "visible" and sheet not in named]
    candidates = (named + shown)[:SHEETS_LOOKED_AT] or sheets[:1]
    seen = False                    # whether any sheet looked at had a value in its first rows
    if len(candidates) == 1 and named:      # the 花名册 sheet alone: read once (not looked into first), header and all
        whole = book.cells(candidates[0], "", "人员", formulas="values", max_rows=MAX_ROWS + TITLE_ROWS_AND_TOTALS)
        if _header_row(whole.rows) is not None:
            return whole
        _no_header(candidates, bool(whole.rows))
    for sheet in candidates:
        top = book.cells(sheet, "", "人员", formulas="values", until_row=HEADER_ROWS)
        seen = seen or bool(top.rows)
        if _header_row(top.rows) is not None:
            name = (sheet.get("name") or "").strip()
            which = "" if sheet in named else (
                f"读取的是工作表「{quoted(name, 31)}」" + ("（名为「花名册」的工作表中没有表头）" if named else
                                                    "（未找到名为「花名册」的工作表）"))
            return book.cells(sheet, which, "人员", formulas="values", max_rows=MAX_ROWS + TITLE_ROWS_AND_TOTALS)
    _no_header(candidates, seen)


def _no_header(candidates: list[dict], seen: bool) -> None:
    """Refuse a file none of whose sheets looked at has a header row (``seen``: any had a value in its first rows)."""
    names = "、".join(f"「{quoted((s.get('name') or '').strip(), 31)}」" for s in candidates)
    refuse(("工作表是空的" if not seen and len(candidates) == 1 else
            f"在工作表{names}的前 {HEADER_ROWS} 行中没有找到表头（没有一行写着模板的列名，如「姓名或工号」「岗位」"
            "「等级」「证书」「月应发工资」）")
           + f"；请按模板在「{ROSTER_SHEET}」工作表填写表头、其下每行一人")


def read_xlsx(data: bytes) -> Cells:
    """The roster worksheet's cells (``_sheet_with_header``)."""
    book = Xlsx(data, f"请只保留「{ROSTER_SHEET}」工作表（删除其他工作表）后再导入")
    with reading():
        return _sheet_with_header(book)


def too_large(size: int | None) -> str:
    """The size limit, said the same whether the file or the whole upload was too big."""
    said = f"（{size / 1024 / 1024:.1f} MB）" if size else ""
    return f"文件过大{said}，最多 {MAX_BYTES // 1024 // 1024} MB；请删去多余的工作表和图片，或另存为 .csv 后再导入"


OTHER_FORMATS = {".xls": ".xls 是旧版 Excel 格式，请在 Excel/WPS 中“另存为” .xlsx 后再导入",
                 ".et": ".et 是 WPS 表格格式，请在 WPS 中“另存为” .xlsx（Excel 工作簿）后再导入",
                 ".ett": ".ett 是 WPS 表格模板，请在 WPS 中“另存为” .xlsx（Excel 工作簿）后再导入"}


def read_roster(filename: str, data: bytes) -> Roster:
    """A roster file → roster entries (still to be validated by the engine), with the file's own problems and its
    notices; InputError only where the file cannot be read at all (not a workbook, over a limit, no header)."""
    if len(data) > MAX_BYTES:
        refuse(too_large(len(data)))
    if not data:
        refuse("文件是空的")
    name = filename.lower()
    for ending, message in OTHER_FORMATS.items():
        if name.endswith(ending):
            refuse(message)
    if name.endswith(".xlsx") and data.startswith(OLE):
        refuse("文件实际是旧版 .xls 格式，或设置了打开密码：请在 Excel/WPS 中取消密码并“另存为” .xlsx 后再导入")
    if name.endswith(".xlsx"):
        cells = read_xlsx(data)
    elif name.endswith(".csv"):
        cells = read_csv(data)
    else:
        refuse("只接受 .xlsx 或 .csv 文件")
    return cells_to_roster(cells)


def read_roster_file(filename: str, data: bytes) -> Roster:
    """``read_roster``, refusing a file with any problem of its own (its values are still the engine's to check)."""
    roster = read_roster(filename, data)
    if roster.problems:
        more = [Problem("文件", f"另有 {roster.more_problems} 处单元格的问题未列出")] if roster.more_problems else []
        raise InputError(roster.problems + more)
    return roster


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
        "含公式的单元格按文件中保存的计算结果读取（在 Excel 或 WPS 中保存过的文件都有），公式不重新计算；合计行、"
        "模板以外的列（如序号、备注）不导入，导入后说明。请不要合并人员行的单元格。"
        "数值单元格按 Excel 显示的 15 位有效数字读取，金额取到分、比例取到六位小数（四舍五入）。",
        "费率请写小数（0.005）或带百分号（0.5%）：写成 0.5 即 50%，设为百分比格式的单元格中输入 0.5 也是 50%；"
        "高于该项最高费率的会被拒绝并说明。",
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
