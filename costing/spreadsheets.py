"""Spreadsheet files people upload (XLSX and CSV), read as text within limits on the work one file may cause.

Files are untrusted: the work one file may cause is bounded (the limits below, named in the README): its size,
rows and uncompressed size, and as an .xlsx is streamed, its cells, shared strings, text and XML nesting; an .xlsx
must really be a workbook and a .csv really text (UTF-8 or GB18030); a formula is never evaluated: it is refused
(``Xlsx.read``, a budget's lines) or read as the result the file stores (``Xlsx.cells(formulas="values")``, a roster,
which refuses one without). What the cells mean is the reader's: a roster (``rosters.files``), a budget's lines
(``budgets.lines``).
Every refusal is an InputError with the problem said in Chinese and where.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from xml.parsers import expat

from .engine.parse import MAX_LINES, InputError, Problem
from .engine.text import without_invisible

# The work one file may cause. A real roster is far inside each: 5,000 people in the template, every column filled,
# are 85,017 cells with under half a million characters (5,056 shared strings once LibreOffice has saved them); the
# template's 17 columns formatted down to row 6,001 are 102,017 cells (most of them empty, each still read).
# README: 花名册导入的上限.
MAX_BYTES = 5 * 1024 * 1024             # the file
MAX_ROWS = MAX_LINES                    # rows of a sheet: the engine's limit on a list's lines

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
MAX_LOOK_ELEMENTS = 200_000             # XML elements read, together, looking at sheets' first rows for a header


@dataclass
class Cells:
    """A sheet's cells with a value, as text, before anyone has said which row is the header: ``rows`` maps a row
    number to its cells (column from 1 → text). Problems at cells are (row, column, message): a formula without a
    stored result, an error value, a number too large for any field; the first MAX_PROBLEMS are kept and the rest
    counted (``more``). ``formulas`` are the formula cells read as the results the file stores."""
    rows: dict[int, dict[int, str]]
    number_cells: set[tuple[int, int]]          # (row number, column from 0)
    merged: list[str]
    problems: list[tuple[int, int, str]]
    more: int = 0
    formulas: set[int] = field(default_factory=set)     # the cells read as a formula's stored result: cell_key
    which: str = ""
    bad: set[int] = field(default_factory=set)      # every problem's cell, kept or not: cell_key(row, column)


def cell_key(row: int, column: int) -> int:
    """A cell as one integer (a set of them stays small: at most MAX_CELLS)."""
    return row << 15 | column


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]       # (spreadsheet row number, cells as text); blank rows left out
    number_cells: frozenset[tuple[int, int]] = frozenset()     # (row number, column from 0) of number cells
    which: str = ""                 # which of a workbook's sheets was read, as a person is told it


def at_places(text: str, places: int) -> str:
    """A number cell's text (at most 15 significant digits) rounded to the field's decimals, as a cell
    formatted to them shows it: 4800.005 → 4800.01 for an amount, 0.0855555 → 0.085556 for a rate."""
    if len(text.partition(".")[2]) <= places or not _NUMBER.match(text):
        return text
    try:
        return format(Decimal(text).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP).normalize(), "f")
    except InvalidOperation:         # more digits than a Decimal holds: the field refuses it as typed
        return text


def quoted(text: str, most: int = 40) -> str:
    text = without_invisible(text)          # a quoted right-to-left override would turn the message around
    return text if len(text) <= most else text[:most] + "…"



def refuse(message: str):
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


def column_letters(index: int) -> str:
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
        refuse(f"无法读取这个 Excel 文件：{self.label}{why}（Excel 和 WPS 保存的工作簿不会这样），请用模板重新填写后保存为 .xlsx")

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


def sheet_label(name: str) -> str:
    return f"工作表「{quoted(name, 31)}」"


class _SharedStrings(_Part):
    """The shared-string table: at most MAX_SHARED_STRINGS strings of MAX_CELL_CHARS characters, MAX_SHARED_CHARS
    in all. A string is its text runs, without phonetic guides (<rPh>)."""
    LABEL = "共享字符串表（xl/sharedStrings.xml）"

    def __init__(self, advice: str):
        super().__init__(self.LABEL)
        self.advice = advice            # what to do when the table is too large (which sheets to keep)
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
                refuse(f"{self.LABEL}超过 {MAX_SHARED_STRINGS} 个字符串，{self.advice}")
            self.item_depth, self.parts, self.length = self.depth, [], 0
        elif self.depth == 1:
            declared = attrs.get("uniqueCount", "")
            if declared.isascii() and declared.isdigit() and len(declared) <= 12 and int(declared) > MAX_SHARED_STRINGS:
                refuse(f"{self.LABEL}超过 {MAX_SHARED_STRINGS} 个字符串，{self.advice}")

    def data(self, text):
        self.texts += 1
        if self.pieces is not None:
            self.length += len(text)
            self.total += len(text)
            if self.length > MAX_CELL_CHARS:
                refuse(f"{self.LABEL}第 {len(self.strings) + 1} 个字符串超过 {MAX_CELL_CHARS} 个字符"
                        f"（Excel 的一个单元格最多 {MAX_CELL_CHARS} 个字符）")
            if self.total > MAX_SHARED_CHARS:
                refuse(f"{self.LABEL}的文字合计超过 {MAX_SHARED_CHARS} 个字符，{self.advice}")
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


def _shared_strings(archive: zipfile.ZipFile, advice: str) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    table = _SharedStrings(advice)
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

    def __init__(self, label: str, sheet: str, strings: list[str], noun: str, formulas: str = "refuse",
                 until_row: int | None = None, max_rows: int = MAX_ROWS):
        super().__init__(label)
        self.sheet, self.strings = sheet, strings
        self.noun = noun                # what a row is (人员), as the limits are said
        # a formula cell: "refuse" it, or read the "values" the file stores as its result (refusing one without)
        self.formulas = formulas
        self.until_row = until_row      # stop reading after this row (a look for the header)
        self.max_rows = max_rows        # rows with a value, the header (and title rows) included
        self.max_elements = MAX_ELEMENTS
        self.more = 0
        self.formula_cells: set[int] = set()
        self.bad: set[int] = set()
        self.rows: dict[int, dict[int, str]] = {}
        self.number_cells: set[tuple[int, int]] = set()
        self.merged: list[str] = []
        self.problems: list[tuple[int, int, str]] = []
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
        # _Part.start's count, written out here: this runs once per element of a sheet (600,000 at most), and the
        # call to it was a quarter of the time a flood of elements takes to refuse
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH or self.elements > MAX_ELEMENTS:
            self.too_much()
        if self.elements > self.max_elements:       # (only a look at a sheet's first rows has a smaller allowance)
            raise _Enough
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
            if self.until_row is not None and self.row_number > self.until_row:
                raise _Enough
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
                refuse(f"{self.sheet}的范围 {ref} 超过 {MAX_CELLS} 个单元格，请删除表格以外多余的行和列（包括只设了格式的）后再导入")

    def too_many_cells(self):
        if self.row_cells > MAX_ROW_CELLS:
            refuse(f"第 {self.row_number} 行的单元格超过 {MAX_ROW_CELLS} 个（一个工作表最多 {SHEET_COLUMNS} 列），"
                    f"请删除多余的列，或把{self.noun}复制到模板后再导入")
        refuse(f"{self.sheet}的单元格超过 {MAX_CELLS} 个（到第 {self.row_number} 行为止，空单元格也计算在内），"
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
                refuse(f"{self.where()}的内容超过 {MAX_CELL_CHARS} 个字符（Excel 的一个单元格最多 {MAX_CELL_CHARS} 个字符）")
            self.pieces.append(text)

    def where(self) -> str:
        return f"第 {self.number} 行 {column_letters(self.column)}{self.number} 单元格"

    def end(self, name):
        self.depth -= 1                             # (_Part.end, written out: see start)
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
        """A problem at the open cell: the first MAX_PROBLEMS are kept, the rest only counted (and their cells)."""
        self.bad.add(cell_key(self.number, self.column))
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((self.number, self.column, message))
        else:
            self.more += 1

    def close_cell(self):
        kind, value = self.kind, "".join(self.value) if self.value is not None else None
        if self.formula:
            if self.formulas == "refuse":
                self.problem("含公式，请改为直接填写数值")
            elif kind == "e":
                self.problem(f"公式的结果是错误值「{quoted(value or '')}」，请改正公式，或填写数值")
                return
            elif not value and self.inline is None:
                self.problem(FORMULA_WITHOUT_VALUE)
                return
            else:
                self.formula_cells.add(cell_key(self.number, self.column))
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
            refuse(f"第 {number} 行第 {column} 列有内容：最多 {MAX_COLUMNS} 列，请使用模板")
        if number not in self.rows and len(self.rows) > self.max_rows:     # the header and MAX_ROWS people
            refuse(f"最多 {MAX_ROWS} 行{self.noun}，文件超过此数")
        self.text_chars += len(text)
        if self.text_chars > MAX_TEXT_CHARS:
            refuse(f"{self.sheet}各单元格的文字合计超过 {MAX_TEXT_CHARS} 个字符（到第 {number} 行为止），"
                    "请删除表格以外的内容后再导入")
        self.rows.setdefault(number, {})[column] = text
        if kind == "n":
            self.number_cells.add((number, column - 1))


FORMULA_WITHOUT_VALUE = ("含公式，文件中没有保存公式的计算结果（程序生成、未在 Excel 或 WPS 中打开保存过的文件会这样）："
                         "请在 Excel 或 WPS 中打开后保存，或复制这些单元格后选择性粘贴为数值")


class _Enough(Exception):
    """The rows looked for are read (``until_row``): reading the sheet stops there."""


_RANGE = re.compile(r"^[A-Z]{1,3}([0-9]{1,7})(?::[A-Z]{1,3}([0-9]{1,7}))?$")


def merged_problems(merged: list[str], rows) -> list[Problem]:
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
                    f"{quoted(ref)} 为合并单元格，请取消合并后再导入") for first, last, ref in sorted(spans)[:MAX_PROBLEMS]]


@contextmanager
def reading():
    """Reading a workbook's parts: what the zip or XML readers cannot read is said as one problem."""
    try:
        yield
    except InputError:
        raise
    except XLSX_ERRORS:
        refuse("无法读取这个 Excel 文件，请用模板重新填写后保存为 .xlsx")


class Xlsx:
    """An uploaded .xlsx, checked to be a workbook within the limits on its parts before any sheet is read; then its
    sheets' cells as text, streamed from the workbook's XML within the limits on work (each refusal says which limit
    and where). Formulas and merged cells are refused; nothing is ever evaluated. ``advice`` says which sheets to
    keep when the shared strings (all sheets') are too many."""

    def __init__(self, data: bytes, advice: str):
        if not data.startswith(b"PK\x03\x04"):
            refuse("文件内容不是 Excel 工作簿（.xlsx）")
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            self.names = set(self.archive.namelist())
            infos = self.archive.infolist()
        except XLSX_ERRORS:
            refuse("文件内容不是 Excel 工作簿（.xlsx），或文件已损坏")
        if "[Content_Types].xml" not in self.names or "xl/workbook.xml" not in self.names:
            refuse("文件内容不是 Excel 工作簿（.xlsx）")
        if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
            refuse("文件解压后过大，已拒绝")
        self.advice = advice
        self._strings: list[str] | None = None
        self.looked = 0             # XML elements read looking at sheets' first rows (``until_row``)

    def sheets(self) -> list[dict]:
        """The workbook's sheets in order (each its attributes: name, state, relationship id); call within
        ``reading()``."""
        book = _Elements("工作簿目录（xl/workbook.xml）", _MAIN + "sheet")
        _read_part(self.archive, "xl/workbook.xml", book)
        if not book.found:
            refuse("工作簿中没有工作表")
        return book.found

    def read(self, sheet: dict, which: str, noun: str) -> Sheet:
        """One of ``sheets()``: its header (row 1) and rows (from row 2) as text; no headers when it has no cell with
        a value. ``which`` says which sheet it is, ``noun`` what a row is (人员); call within ``reading()``. Formulas
        and merged cells touching a row with a value are refused, every one listed."""
        cells = self.cells(sheet, which, noun)
        rows = cells.rows
        problems = [Problem(f"第 {row} 行 {column_letters(column)}{row} 单元格", message)
                    for row, column, message in cells.problems]
        if cells.more:
            problems.append(Problem("文件", f"问题超过 {MAX_PROBLEMS} 处，其余未列出；请改正后重新导入"))
        problems += merged_problems(cells.merged, rows)
        if problems:
            raise InputError(problems)
        if not rows:
            return Sheet([], [], frozenset(), which)
        width = max(max(cells) for cells in rows.values())
        header = rows.get(1, {})
        table = [(n, [cells.get(c, "") for c in range(1, width + 1)]) for n, cells in sorted(rows.items()) if n > 1]
        return Sheet([header.get(c, "") for c in range(1, width + 1)], table, frozenset(cells.number_cells), which)

    def cells(self, sheet: dict, which: str, noun: str, *, formulas: str = "refuse", until_row: int | None = None,
              max_rows: int = MAX_ROWS) -> Cells:
        """One of ``sheets()``, its cells with a value as text, nothing yet said of them (``Cells``); with
        ``until_row``, only its rows up to that one (to look for its header: little work whatever the sheet's size, and
        all such looks at a file's sheets read at most MAX_LOOK_ELEMENTS XML elements together).
        ``formulas="values"`` reads a formula cell as the result the file stores (a problem where it stores none);
        ``max_rows`` bounds the rows with a value (the header and any title rows above it included)."""
        rel_id = sheet.get(f"{_REL}id")
        relations = _Elements("工作簿关系表（xl/_rels/workbook.xml.rels）", "Relationship")
        _read_part(self.archive, "xl/_rels/workbook.xml.rels", relations)
        target = next((rel.get("Target", "").lstrip("/") for rel in relations.found if rel.get("Id") == rel_id), None)
        if target is None:
            refuse("工作簿结构无法识别")
        path = target if target.startswith("xl/") else f"xl/{target}"
        if path not in self.names:
            refuse("工作簿结构无法识别")
        if self._strings is None:
            self._strings = _shared_strings(self.archive, self.advice)
        name = sheet.get("name") or ""
        part = _SheetPart(f"{sheet_label(name)}（{quoted(path, 60)}）", sheet_label(name), self._strings, noun,
                          formulas, until_row, max_rows)
        if until_row is not None:       # a look: all the looks of a file together read at most MAX_LOOK_ELEMENTS
            part.max_elements = MAX_LOOK_ELEMENTS - self.looked
        try:
            if part.max_elements > 0:
                _read_part(self.archive, path, part)
        except _Enough:
            pass
        if until_row is not None:
            self.looked += part.elements
        return Cells(part.rows, part.number_cells, part.merged, part.problems, part.more, part.formula_cells, which,
                     part.bad)


def read_csv(data: bytes) -> Cells:
    """A .csv (UTF-8 or GB18030) as cells of text, every row with a value (blank lines left out, each still counted
    against MAX_CELLS); nothing yet said of them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse("CSV 文件是 UTF-16 编码，请另存为 UTF-8 或 GB18030（GBK）编码的 CSV")
    if b"\x00" in data[:8192] or data.startswith(b"MZ") or data.startswith(b"PK\x03\x04"):
        refuse("文件内容不是 CSV 文本文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        refuse("CSV 文件编码无法识别，请保存为 UTF-8 或 GB18030（GBK）编码")
    rows, cells, lines = {}, 0, 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            lines = number
            cells += max(len(row), 1)           # a blank line costs as much as a cell
            if cells > MAX_CELLS:
                refuse(f"单元格超过 {MAX_CELLS} 个（到第 {number} 行为止，空行也计算在内），请删除表格以外多余的行后再导入")
            if len(row) > MAX_COLUMNS:
                refuse(f"第 {number} 行有 {len(row)} 列：最多 {MAX_COLUMNS} 列，请使用模板")
            found = {column: text for column, cell in enumerate(row, start=1) if (text := cell.strip())}
            if found:
                rows[number] = found
    except csv.Error as exc:
        refuse(f"CSV 格式有误（{exc}），请检查引号是否成对")
    if not lines:
        refuse("文件是空的")
    return Cells(rows, set(), [], [])


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"        # an old .xls, or an .xlsx locked with a password
