"""Staff rosters (花名册) from XLSX or CSV files, and the template to fill in.

Files are untrusted: the work one file may cause is bounded (the limits below, named in the README): its size,
rows and uncompressed size, and as an .xlsx is streamed, its cells, shared strings, text and XML nesting; an .xlsx
must really be a workbook and a .csv really text (UTF-8 or GB18030); formulas and merged cells are refused, never
evaluated. A file with any bad row imports nothing: every problem is listed as 「第 5 行 月应发工资：…」.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from xml.parsers import expat

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..annex.sheets import safe_text
from ..engine import numbers
from ..engine.model import CATEGORIES, CERTIFICATES, LEVELS
from ..engine.parameters import ParameterSet
from ..engine.parse import AMOUNT_PLACES, MAX_LINES, NOT_A_CHOICE, RATE_PLACES, InputError, Problem
from ..engine.roster import DUPLICATE_ID
from ..engine.text import without_invisible
from ..results import defaults

ROSTER_SHEET = "花名册"          # the template's sheet, read wherever it is in a workbook

# The work one file may cause. A real roster is far inside each: 5,000 people in the template, every column filled,
# are 85,017 cells with under half a million characters (5,056 shared strings once LibreOffice has saved them); the
# template's 17 columns formatted down to row 6,001 are 102,017 cells (most of them empty, each still read).
# README: 花名册导入的上限.
MAX_BYTES = 5 * 1024 * 1024             # the file
MAX_ROWS = MAX_LINES                    # people: the engine's limit on a roster's lines
MAX_COLUMNS = 40                        # columns with content
MAX_PARTS = 500                         # files inside the .xlsx
MAX_UNCOMPRESSED = 64 * 1024 * 1024     # those files unpacked, together
MAX_CELLS = 300_000                     # cells of the sheet (or a .csv), formatted empty ones included
MAX_ROW_CELLS = 16_384                  # cells of one row: a worksheet has 16,384 columns (A to XFD)
MAX_CELL_CHARS = 32_767                 # characters of one cell or shared string: Excel's own limit
MAX_TEXT_CHARS = 4_000_000              # characters of all the sheet's cells with a value, together
MAX_SHARED_STRINGS = 200_000            # strings in the shared-string table (all sheets')
MAX_SHARED_CHARS = 10_000_000           # characters of those strings, together
MAX_DEPTH = 64                          # XML nesting in any part (a worksheet's deepest is about 10)
MAX_ELEMENTS = 2 * MAX_CELLS            # XML elements in any part
MAX_TOKEN_BYTES = 1024 * 1024           # one XML tag, comment or declaration
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


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]       # (spreadsheet row number, cells as text); blank rows left out
    number_cells: frozenset[tuple[int, int]] = frozenset()     # (row number, column from 0) of number cells
    which: str = ""                 # which of a workbook's sheets was read, as a person is told it


def _at_places(text: str, places: int) -> str:
    """A number cell's text (at most 15 significant digits) rounded to the field's decimals, as a cell
    formatted to them shows it: 4800.005 → 4800.01 for an amount, 0.0855555 → 0.085556 for a rate."""
    if len(text.partition(".")[2]) <= places or not _NUMBER.match(text):
        return text
    try:
        return format(Decimal(text).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP).normalize(), "f")
    except InvalidOperation:         # more digits than a Decimal holds: the field refuses it as typed
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
                text = _at_places(text, PLACES[kind])
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


def _quoted(text: str, most: int = 40) -> str:
    text = without_invisible(text)          # a quoted right-to-left override would turn the message around
    return text if len(text) <= most else text[:most] + "…"


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
            message = f"「{_quoted(text)}」不在下拉列表中，{message}" if text else message
        elif text:
            kind = KIND_OF.get(field)
            why = numbers.unreadable(NUMBER_KINDS[kind], text) if kind in NUMBER_KINDS else None
            message = f"「{_quoted(text)}」{why or message}"
        out.append(Problem(f"第 {row_of(index)} 行" + (f" {column}" if column else ""), message))
    return out


def _refuse(message: str):
    raise InputError([Problem("文件", message)])


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"    # expat's names: namespace}local
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_C, _ROW, _V, _F, _IS, _T, _R, _SI, _MERGE, _DIMENSION = (
    _MAIN + name for name in ("c", "row", "v", "f", "is", "t", "r", "si", "mergeCell", "dimension"))
_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_AREA = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,2})?$")
_SHARED_INDEX = re.compile(r"[0-9]{1,9}")
XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError, KeyError,
               ValueError, expat.ExpatError)
_CHUNK = 64 * 1024
SHEET_COLUMNS = 16_384          # a worksheet's columns, A to XFD
MAX_NUMBER_DIGITS = 15          # Excel keeps 15 significant digits; no field holds a number of more integer digits
MAX_PROBLEMS = 1_000            # cell problems (formulas, numbers) listed before reading stops


def _column_letters(index: int) -> str:
    """3 → C, 27 → AA: a column as the spreadsheet program names it."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


class _Part:
    """One XML part of the workbook as expat reads it, within the limits on work: at most MAX_DEPTH levels of
    nesting and MAX_ELEMENTS elements. Subclasses keep what they need as the events come; nothing builds a tree."""

    def __init__(self, label: str):
        self.label = label          # the part as a person is told it: 工作表「花名册」（xl/worksheets/sheet1.xml）
        self.depth = self.elements = self.texts = 0

    def unreadable(self, why: str):
        _refuse(f"无法读取这个 Excel 文件：{self.label}{why}（Excel 和 WPS 保存的工作簿不会这样），请用模板重新填写后保存为 .xlsx")

    def too_much(self):
        if self.depth > MAX_DEPTH:
            self.unreadable(f"的 XML 嵌套超过 {MAX_DEPTH} 层")
        self.unreadable(f"的 XML 元素超过 {MAX_ELEMENTS} 个")

    def start(self, name: str, attrs: dict):
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH or self.elements > MAX_ELEMENTS:
            self.too_much()

    def end(self, name: str):
        self.depth -= 1

    def data(self, text: str):
        self.texts += 1


class _Elements(_Part):
    """The attributes of the elements of a name (the workbook's sheets; its relationships, in any namespace), at
    most MAX_PARTS of them: each names a part of the file, and a file has no more."""

    def __init__(self, label: str, name: str):
        super().__init__(label)
        self.name, self.found = name, []

    def start(self, name, attrs):
        super().start(name, attrs)
        if name == self.name or name.rpartition("}")[2] == self.name:
            if len(self.found) >= MAX_PARTS:
                self.unreadable(f"列出超过 {MAX_PARTS} 项（.xlsx 内最多 {MAX_PARTS} 个文件）")
            self.found.append(attrs)


def _declaration(part: _Part):
    def check(_version, encoding, _standalone):
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            part.unreadable("不是 UTF-8 编码的 XML")
    return check


def _read_part(archive: zipfile.ZipFile, name: str, part: _Part) -> None:
    """Stream a part of the workbook through expat into ``part``. The part is read as UTF-8 whatever it declares
    (Excel, WPS and LibreOffice write UTF-8), so the parser itself sees any DTD and it is refused before a single
    entity is declared: in UTF-16 or any other encoding a DTD is no DTD to the parser but malformed text. A tag,
    comment or declaration longer than MAX_TOKEN_BYTES is refused instead of being held whole."""
    parser = expat.ParserCreate("UTF-8", "}")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = part.start, part.end
    parser.CharacterDataHandler = part.data
    parser.XmlDeclHandler = _declaration(part)

    def no_dtd(*_args):
        part.unreadable("含 DTD 或实体声明")
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = no_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    with archive.open(name) as stream:
        chunk = stream.read(_CHUNK)
        if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:4]:
            part.unreadable("不是 UTF-8 编码的 XML")
        quiet = 0            # bytes fed since the parser last reported anything
        while chunk:
            seen = part.elements + part.texts
            parser.Parse(chunk, False)
            quiet = quiet + len(chunk) if part.elements + part.texts == seen else 0
            if quiet > MAX_TOKEN_BYTES:
                part.unreadable(f"有一处 XML 标记超过 {MAX_TOKEN_BYTES // 1024 // 1024} MB")
            chunk = stream.read(_CHUNK)
        parser.Parse(b"", True)


def _sheet_label(name: str) -> str:
    return f"工作表「{_quoted(name, 31)}」"


def _roster_sheet(archive: zipfile.ZipFile) -> tuple[str, str, str]:
    """The sheet to read: the one named 花名册 (the template's), else the first one shown. xl/workbook.xml
    names the sheets in order; its relationships say which file holds each. Returns its file, which sheet was
    read (as a person is told it) and its name."""
    book = _Elements("工作簿目录（xl/workbook.xml）", _MAIN + "sheet")
    _read_part(archive, "xl/workbook.xml", book)
    sheets = book.found
    if not sheets:
        _refuse("工作簿中没有工作表")
    named = [sheet for sheet in sheets if (sheet.get("name") or "").strip() == ROSTER_SHEET]
    shown = [sheet for sheet in sheets if sheet.get("state", "visible") == "visible"]
    sheet = (named or shown or sheets)[0]
    name = sheet.get("name") or ""
    which = (f"读取的是名为「{ROSTER_SHEET}」的工作表" if named else
             f"读取的是第一个工作表「{name}」，未找到名为「{ROSTER_SHEET}」的工作表")
    rel_id = sheet.get(f"{_REL}id")
    relations = _Elements("工作簿关系表（xl/_rels/workbook.xml.rels）", "Relationship")
    _read_part(archive, "xl/_rels/workbook.xml.rels", relations)
    for rel in relations.found:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "").lstrip("/")
            return (target if target.startswith("xl/") else f"xl/{target}"), which, name
    _refuse("工作簿结构无法识别")


class _SharedStrings(_Part):
    """The shared-string table: at most MAX_SHARED_STRINGS strings of MAX_CELL_CHARS characters, MAX_SHARED_CHARS
    in all. A string is its text runs, without phonetic guides (<rPh>)."""
    LABEL = "共享字符串表（xl/sharedStrings.xml）"
    ADVICE = f"请只保留「{ROSTER_SHEET}」工作表（删除其他工作表）后再导入"

    def __init__(self):
        super().__init__(self.LABEL)
        self.strings: list[str] = []
        self.item_depth = 0             # depth of the open <si>
        self.path: list[str] = []       # names inside it
        self.pieces: list[str] | None = None
        self.length = self.total = 0

    def start(self, name, attrs):
        super().start(name, attrs)
        if self.item_depth:
            self.path.append(name)
            if name == _T and self.path in ([_T], [_R, _T]):
                self.pieces = self.parts
        elif name == _SI:
            if len(self.strings) >= MAX_SHARED_STRINGS:
                _refuse(f"{self.LABEL}超过 {MAX_SHARED_STRINGS} 个字符串，{self.ADVICE}")
            self.item_depth, self.parts, self.length = self.depth, [], 0
        elif self.depth == 1:
            declared = attrs.get("uniqueCount", "")
            if declared.isascii() and declared.isdigit() and len(declared) <= 12 and int(declared) > MAX_SHARED_STRINGS:
                _refuse(f"{self.LABEL}超过 {MAX_SHARED_STRINGS} 个字符串，{self.ADVICE}")

    def data(self, text):
        self.texts += 1
        if self.pieces is not None:
            self.length += len(text)
            self.total += len(text)
            if self.length > MAX_CELL_CHARS:
                _refuse(f"{self.LABEL}第 {len(self.strings) + 1} 个字符串超过 {MAX_CELL_CHARS} 个字符"
                        f"（Excel 的一个单元格最多 {MAX_CELL_CHARS} 个字符）")
            if self.total > MAX_SHARED_CHARS:
                _refuse(f"{self.LABEL}的文字合计超过 {MAX_SHARED_CHARS} 个字符，{self.ADVICE}")
            self.pieces.append(text)

    def end(self, name):
        super().end(name)
        if not self.item_depth:
            return
        if self.depth >= self.item_depth:
            self.path.pop()
            self.pieces = None
        else:
            self.strings.append("".join(self.parts))
            self.item_depth = 0


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    table = _SharedStrings()
    _read_part(archive, "xl/sharedStrings.xml", table)
    return table.strings


# Excel keeps 15 significant digits of a number; the binary float behind them is stored with 16 or 17
# (openpyxl writes 0.085 as 0.08500000000000001, Excel as 8.5000000000000006E-2)
EXCEL_DIGITS = Context(prec=15, rounding=ROUND_HALF_UP)


def _number_text(text: str) -> str:
    """A number cell's stored text → the number as Excel shows it: 15 significant digits, in plain decimal
    text (0.085, 4800). The field's own rules then apply as to typed text (amounts to the 分, rates to six
    decimals). Exponents are taken only when small (a cell like 1E999999 stays as typed and is then
    refused as an amount); a number of more than 15 integer digits (1E99) is no figure of any field:
    ValueError."""
    stripped = text.strip()
    if not _NUMBER.match(stripped):
        return text
    value = Decimal(stripped)
    if value and value.adjusted() >= MAX_NUMBER_DIGITS:
        raise ValueError(stripped)
    return format(EXCEL_DIGITS.plus(value).normalize(EXCEL_DIGITS), "f")


class _SheetPart(_Part):
    """The roster sheet's cells with a value, as text, read as the events come: at most MAX_CELLS cells (empty
    ones included), MAX_ROW_CELLS in a row, MAX_CELL_CHARS characters in a cell and MAX_TEXT_CHARS in all; a
    declared dimension (<dimension ref="A1:Q6001"/>) larger than MAX_CELLS is refused before any cell is read.
    Formulas and numbers too large for any field are problems at their cell. An empty cell costs a count and
    nothing more: its reference is read only if it has a value."""

    def __init__(self, label: str, sheet: str, strings: list[str]):
        super().__init__(label)
        self.sheet, self.strings = sheet, strings
        self.rows: dict[int, dict[int, str]] = {}
        self.number_cells: set[tuple[int, int]] = set()
        self.merged: list[str] = []
        self.problems: list[Problem] = []
        self.cells = self.row_cells = self.row_number = self.text_chars = 0
        self.last_ref, self.since = None, 0         # the row's last cell reference, and cells since it
        self.cell_depth = 0             # depth of the open <c>, 0 when none is open
        self.path: list[str] = []       # names inside it
        self.column, self.number, self.kind = 0, 0, "n"
        # what the open cell has: text of its <v> and of its <is>, a formula; where its text goes now (all
        # None/False again once it is closed, so an empty cell sets none of them)
        self.value: list[str] | None = None
        self.inline: list[str] | None = None
        self.formula = False
        self.pieces: list[str] | None = None
        self.length = 0

    def start(self, name, attrs):
        super().start(name, attrs)
        if self.cell_depth:
            self.path.append(name)
            if len(self.path) == 1:
                if name == _V:
                    self.value = self.pieces = []
                elif name == _F:
                    self.formula = True
                elif name == _IS:
                    self.inline = []
            elif name == _T and self.path in ([_IS, _T], [_IS, _R, _T]):
                self.pieces = self.inline
        elif name == _C:
            self.cells += 1
            self.row_cells += 1
            if self.row_cells > MAX_ROW_CELLS or self.cells > MAX_CELLS:
                self.too_many_cells()
            ref = attrs.get("r")
            if ref:
                self.last_ref, self.since = ref, 0
            else:           # the reference is optional in the format: else the next column of the row
                self.since += 1
            self.cell_depth = self.depth
            self.kind = attrs.get("t", "n")
        elif name == _ROW:
            number = attrs.get("r")
            if number and not (number.isascii() and number.isdigit() and len(number) <= 7):
                raise ValueError(number)
            self.row_number = int(number) if number else self.row_number + 1
            self.row_cells, self.last_ref, self.since = 0, None, 0
        elif name == _MERGE:
            self.merged.append(attrs.get("ref", ""))
        elif name == _DIMENSION:
            self.dimension(attrs.get("ref", ""))

    def dimension(self, ref: str):
        found = _AREA.match(ref)
        if found and found.group(3):
            columns = _column_index(found.group(3)) - _column_index(found.group(1)) + 1
            rows = int(found.group(4)) - int(found.group(2)) + 1
            if columns * rows > MAX_CELLS:
                _refuse(f"{self.sheet}的范围 {ref} 超过 {MAX_CELLS} 个单元格，请删除表格以外多余的行和列（包括只设了格式的）后再导入")

    def too_many_cells(self):
        if self.row_cells > MAX_ROW_CELLS:
            _refuse(f"第 {self.row_number} 行的单元格超过 {MAX_ROW_CELLS} 个（一个工作表最多 {SHEET_COLUMNS} 列），"
                    "请删除多余的列，或把人员复制到模板后再导入")
        _refuse(f"{self.sheet}的单元格超过 {MAX_CELLS} 个（到第 {self.row_number} 行为止，空单元格也计算在内），"
                "请删除表格以外只设了格式的行和列后再导入")

    def locate(self):
        """The open cell's column and row: from the row's last reference, counting the cells after it (a cell
        without one is the next column); from the start of the row when it has none."""
        found = _CELL_REF.match(self.last_ref) if self.last_ref else None
        if found:
            self.column = _column_index(found.group(1)) + self.since
            self.number = int(found.group(2)) if not self.since else self.row_number
        else:
            self.column, self.number = self.row_cells, self.row_number

    def data(self, text):
        self.texts += 1
        if self.pieces is not None:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS:
                self.locate()
                _refuse(f"{self.where()}的内容超过 {MAX_CELL_CHARS} 个字符（Excel 的一个单元格最多 {MAX_CELL_CHARS} 个字符）")
            self.pieces.append(text)

    def where(self) -> str:
        return f"第 {self.number} 行 {_column_letters(self.column)}{self.number} 单元格"

    def end(self, name):
        super().end(name)
        if not self.cell_depth:
            return
        if self.depth >= self.cell_depth:
            self.path.pop()
            self.pieces = None
            return
        self.cell_depth = 0
        if self.value is not None or self.inline is not None or self.formula:
            self.locate()
            self.close_cell()
            self.value = self.inline = None
            self.formula = False
            self.length = 0

    def problem(self, message: str):
        self.problems.append(Problem(self.where(), message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise InputError(self.problems + [Problem("文件", f"问题超过 {MAX_PROBLEMS} 处，其余未列出；请改正后重新导入")])

    def close_cell(self):
        if self.formula:
            self.problem("含公式，请改为直接填写数值")
        kind, value = self.kind, "".join(self.value) if self.value is not None else None
        if kind == "s" and value is not None and _SHARED_INDEX.fullmatch(value):
            index = int(value)
            text = self.strings[index] if index < len(self.strings) else ""
        elif kind == "inlineStr":
            text = "".join(self.inline) if self.inline is not None else ""
        elif value:
            try:
                text = _number_text(value) if kind == "n" else value
            except ValueError as too_large:
                self.problem(f"数值「{too_large}」过大（超过 {MAX_NUMBER_DIGITS} 位整数），请填写实际的金额、比例或月数")
                return
        else:
            text = ""
        text = text.strip()
        if not text:          # only cells with a value count: formatted empty cells are no rows
            return
        number, column = self.number, self.column
        if column > MAX_COLUMNS:
            _refuse(f"第 {number} 行第 {column} 列有内容：最多 {MAX_COLUMNS} 列，请使用模板")
        if number not in self.rows and len(self.rows) > MAX_ROWS:         # the header and MAX_ROWS people
            _refuse(f"最多 {MAX_ROWS} 行人员，文件超过此数")
        self.text_chars += len(text)
        if self.text_chars > MAX_TEXT_CHARS:
            _refuse(f"{self.sheet}各单元格的文字合计超过 {MAX_TEXT_CHARS} 个字符（到第 {number} 行为止），"
                    "请删除表格以外的内容后再导入")
        self.rows.setdefault(number, {})[column] = text
        if kind == "n":
            self.number_cells.add((number, column - 1))


_RANGE = re.compile(r"^[A-Z]{1,3}([0-9]{1,7})(?::[A-Z]{1,3}([0-9]{1,7}))?$")


def _merged_problems(merged: list[str], rows: dict) -> list[Problem]:
    """Merged cells that touch a row with a value (a 岗位 merged down four rows would leave three people
    without one), each named by its range, in row order; merged empty cells beside the table do no harm.
    Each range is looked up among the sorted row numbers (not compared with every row)."""
    numbers_with_values = sorted(rows)
    spans = []
    for ref in merged:
        found = _RANGE.match(ref)
        if not found:
            spans.append((0, 0, ref))
            continue
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        at = bisect_left(numbers_with_values, first)
        if at < len(numbers_with_values) and numbers_with_values[at] <= last:
            spans.append((first, last, ref))
    return [Problem("文件" if not first else f"第 {first} 行" if first == last else f"第 {first}–{last} 行",
                    f"{_quoted(ref)} 为合并单元格，请取消合并后再导入") for first, last, ref in sorted(spans)[:MAX_PROBLEMS]]


def read_xlsx(data: bytes) -> Sheet:
    """The roster worksheet's cells as text, streamed from the workbook's XML within the limits on work (each
    refusal says which limit and where). Formulas and merged cells are refused; nothing is ever evaluated."""
    if not data.startswith(b"PK\x03\x04"):
        _refuse("文件内容不是 Excel 工作簿（.xlsx）")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        infos = archive.infolist()
    except XLSX_ERRORS:
        _refuse("文件内容不是 Excel 工作簿（.xlsx），或文件已损坏")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        _refuse("文件内容不是 Excel 工作簿（.xlsx）")
    if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        _refuse("文件解压后过大，已拒绝")
    try:
        path, which, name = _roster_sheet(archive)
        if path not in names:
            _refuse("工作簿结构无法识别")
        sheet = _SheetPart(f"{_sheet_label(name)}（{_quoted(path, 60)}）", _sheet_label(name), _shared_strings(archive))
        _read_part(archive, path, sheet)
    except InputError:
        raise
    except XLSX_ERRORS:
        _refuse("无法读取这个 Excel 文件，请用模板重新填写后保存为 .xlsx")
    rows = sheet.rows
    problems = sheet.problems + _merged_problems(sheet.merged, rows)
    if problems:
        raise InputError(problems)
    if not rows:
        _refuse(f"工作表是空的（{which}，只读取这一个工作表）")
    width = max(max(cells) for cells in rows.values())
    header = rows.get(1, {})
    table = [(n, [cells.get(c, "") for c in range(1, width + 1)]) for n, cells in sorted(rows.items()) if n > 1]
    return Sheet([header.get(c, "") for c in range(1, width + 1)], table, frozenset(sheet.number_cells), which)


def read_csv(data: bytes) -> Sheet:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _refuse("CSV 文件是 UTF-16 编码，请另存为 UTF-8 或 GB18030（GBK）编码的 CSV")
    if b"\x00" in data[:8192] or data.startswith(b"MZ") or data.startswith(b"PK\x03\x04"):
        _refuse("文件内容不是 CSV 文本文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        _refuse("CSV 文件编码无法识别，请保存为 UTF-8 或 GB18030（GBK）编码")
    header, body, cells = None, [], 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            cells += max(len(row), 1)           # a blank line costs as much as a cell
            if cells > MAX_CELLS:
                _refuse(f"单元格超过 {MAX_CELLS} 个（到第 {number} 行为止，空行也计算在内），请删除表格以外多余的行后再导入")
            if len(row) > MAX_COLUMNS:
                _refuse(f"第 {number} 行有 {len(row)} 列：最多 {MAX_COLUMNS} 列，请使用模板")
            cells_text = [cell.strip() for cell in row]
            if header is None:
                header = cells_text
            elif any(cells_text):
                body.append((number, cells_text))
    except csv.Error as exc:
        _refuse(f"CSV 格式有误（{exc}），请检查引号是否成对")
    if header is None:
        _refuse("文件是空的")
    return Sheet(header, body)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"        # an old .xls, or an .xlsx locked with a password


def too_large(size: int | None) -> str:
    """The size limit, said the same whether the file or the whole upload was too big."""
    said = f"（{size / 1024 / 1024:.1f} MB）" if size else ""
    return f"文件过大{said}，最多 {MAX_BYTES // 1024 // 1024} MB；请删去多余的工作表和图片，或另存为 .csv 后再导入"


def read_roster_file(filename: str, data: bytes) -> list[dict]:
    """A roster file → roster entries (still to be validated by the engine)."""
    if len(data) > MAX_BYTES:
        _refuse(too_large(len(data)))
    if not data:
        _refuse("文件是空的")
    name = filename.lower()
    if name.endswith(".xls"):
        _refuse(".xls 是旧版 Excel 格式，请在 Excel/WPS 中“另存为” .xlsx 后再导入")
    if name.endswith(".xlsx") and data.startswith(_OLE):
        _refuse("文件实际是旧版 .xls 格式，或设置了打开密码：请在 Excel/WPS 中取消密码并“另存为” .xlsx 后再导入")
    if name.endswith(".xlsx"):
        sheet = read_xlsx(data)
    elif name.endswith(".csv"):
        sheet = read_csv(data)
    else:
        _refuse("只接受 .xlsx 或 .csv 文件")
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
    sheet.append([header for header, _, _ in COLUMNS])
    for row, entry in enumerate(people or (), start=2):
        values = entry | (entry.get("employer_rates") or {})
        for column, (_header, field, kind) in enumerate(COLUMNS, start=1):
            value = _cell_value(kind, values.get(field))
            if isinstance(value, str):
                safe_text(sheet.cell(row=row, column=column), value)
            elif value is not None:
                sheet.cell(row=row, column=column, value=value)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7EF")
        cell.alignment = Alignment(horizontal="center")
    widths = [14, 16, 16, 10, 16, 14, 12, 10, 10, 12, 12, 12, 14, 12, 12, 11, 9]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
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
