"""Staff rosters (花名册) from XLSX or CSV files, and the template to fill in.

Files are untrusted: bounded in size, rows and uncompressed size; an .xlsx must really be a workbook
and a .csv really text (UTF-8 or GB18030); formulas and merged cells are refused, never evaluated.
A file with any bad row imports nothing: every problem is listed as 「第 5 行 月应发工资：…」.
"""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..annex.sheets import safe_text
from ..engine import numbers
from ..engine.model import CATEGORIES, CERTIFICATES, LEVELS
from ..engine.parse import AMOUNT_PLACES, NOT_A_CHOICE, RATE_PLACES, InputError, Problem
from ..engine.roster import DUPLICATE_ID
from ..engine.text import without_invisible
from ..results import labels

MAX_BYTES = 5 * 1024 * 1024
ROSTER_SHEET = "花名册"          # the template's sheet, read wherever it is in a workbook
MAX_ROWS = 5000
MAX_UNCOMPRESSED = 64 * 1024 * 1024
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
EXAMPLE = {"姓名或工号": "SG-001", "岗位": "社会工作者", "类别": "社区", "等级": "初级", "证书": "助理社会工作师",
           "月应发工资": "4300.00", "职业津贴": "200.00", "公积金比例": "0.05", "在岗月数": "12"}


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
    return format(Decimal(text).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP).normalize(), "f")


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
    example = _values([FIELD_OF[header] for header in EXAMPLE], list(EXAMPLE.values()))
    for number, row in sheet.rows:
        cells = {}
        for column, (header, text) in enumerate(zip(headers, row)):
            kind = KIND_OF[FIELD_OF[header]]
            if kind in PLACES and (number, column) in sheet.number_cells:
                text = _at_places(text, PLACES[kind])
            if text:
                cells[FIELD_OF[header]] = text
        values = _values(list(cells), list(cells.values()))
        if values == example:
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


def _values(fields: list[str], texts: list[str]) -> dict:
    """A row's fields as contract values, blanks left out."""
    values = {field: _normalise(KIND_OF[field], text) for field, text in zip(fields, texts)}
    return {field: value for field, value in values.items() if value is not None}


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


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,2})?$")
MAX_COLUMNS = 40
XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError, KeyError,
               ValueError, ET.ParseError)


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


def _xml(archive: zipfile.ZipFile, name: str) -> io.BytesIO:
    """A part of the workbook, refused unless it is UTF-8 XML without a DTD or entities (XML bombs,
    external entities). The whole part is checked, so the fast C parser can then be used."""
    data = archive.read(name)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not body.lstrip()[:1] == b"<":
        raise ValueError(f"{name} is not UTF-8 XML")
    declared = _XML_DECL.match(body)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise ValueError(f"{name} declares {declared.group(1)!r}")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError(f"{name} declares a DTD or entities")
    return io.BytesIO(body)


def _roster_sheet(archive: zipfile.ZipFile) -> tuple[str, str]:
    """The sheet to read: the one named 花名册 (the template's), else the first one shown. xl/workbook.xml
    names the sheets in order; its relationships say which file holds each. Returns its file and which
    sheet was read, as a person is told it."""
    workbook = ET.parse(_xml(archive, "xl/workbook.xml")).getroot()
    sheets = workbook.findall(f"{_NS}sheets/{_NS}sheet")
    if not sheets:
        _refuse("工作簿中没有工作表")
    named = [sheet for sheet in sheets if (sheet.get("name") or "").strip() == ROSTER_SHEET]
    shown = [sheet for sheet in sheets if sheet.get("state", "visible") == "visible"]
    sheet = (named or shown or sheets)[0]
    name = sheet.get("name") or ""
    which = (f"读取的是名为「{ROSTER_SHEET}」的工作表" if named else
             f"读取的是第一个工作表「{name}」，未找到名为「{ROSTER_SHEET}」的工作表")
    rel_id = sheet.get(f"{_REL_NS}id")
    for rel in ET.parse(_xml(archive, "xl/_rels/workbook.xml.rels")).getroot():
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "").lstrip("/")
            return (target if target.startswith("xl/") else f"xl/{target}"), which
    _refuse("工作簿结构无法识别")


def _string_item(si) -> str:
    """A shared or inline string: its text runs, without phonetic guides (<rPh>)."""
    direct = si.find(f"{_NS}t")
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for run in si.findall(f"{_NS}r") for t in run.findall(f"{_NS}t"))


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings = []
    for _event, element in ET.iterparse(_xml(archive, "xl/sharedStrings.xml")):
        if element.tag == f"{_NS}si":
            strings.append(_string_item(element))
            element.clear()
    return strings


# Excel keeps 15 significant digits of a number; the binary float behind them is stored with 16 or 17
# (openpyxl writes 0.085 as 0.08500000000000001, Excel as 8.5000000000000006E-2)
EXCEL_DIGITS = Context(prec=15, rounding=ROUND_HALF_UP)


def _number_text(text: str) -> str:
    """A number cell's stored text → the number as Excel shows it: 15 significant digits, in plain decimal
    text (0.085, 4800). The field's own rules then apply as to typed text (amounts to the 分, rates to six
    decimals). Exponents are taken only when small (a cell like 1E999999 stays as typed and is then
    refused as an amount)."""
    if not _NUMBER.match(text):
        return text
    return format(EXCEL_DIGITS.plus(Decimal(text)).normalize(EXCEL_DIGITS), "f")


_RANGE = re.compile(r"^[A-Z]{1,3}([0-9]+)(?::[A-Z]{1,3}([0-9]+))?$")


def _merged_problems(merged: list[str], rows: dict) -> list[Problem]:
    """Merged cells that touch a row with a value (a 岗位 merged down four rows would leave three people
    without one), each named by its range, in row order; merged empty cells beside the table do no harm."""
    spans = []
    for ref in merged:
        found = _RANGE.match(ref)
        if not found:
            spans.append((0, 0, ref))
            continue
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        if any(first <= number <= last for number in rows):
            spans.append((first, last, ref))
    return [Problem("文件" if not first else f"第 {first} 行" if first == last else f"第 {first}–{last} 行",
                    f"{ref} 为合并单元格，请取消合并后再导入") for first, last, ref in sorted(spans)]


def read_xlsx(data: bytes) -> Sheet:
    """The first worksheet's cells as text, read straight from the workbook's XML. Formulas and
    merged cells are refused; nothing is ever evaluated."""
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
    if len(infos) > 500 or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        _refuse("文件解压后过大，已拒绝")
    try:
        path, which = _roster_sheet(archive)
        if path not in names:
            _refuse("工作簿结构无法识别")
        strings = _shared_strings(archive)
        rows: dict[int, dict[int, str]] = {}
        number_cells = set()
        merged: list[str] = []
        problems = []
        row_number, column = 0, 0
        for event, element in ET.iterparse(_xml(archive, path), events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{_NS}row":
                    row_number = int(element.get("r") or row_number + 1)
                    column = 0
                elif tag == f"{_NS}mergeCell":
                    merged.append(element.get("ref", ""))
                continue
            if tag == f"{_NS}row":
                element.clear()
                continue
            if tag != f"{_NS}c":
                continue
            match = _CELL_REF.match(element.get("r", ""))
            if match:          # the reference is optional in the format: else the next column of the row
                column, number = _column_index(match.group(1)), int(match.group(2))
            else:
                column, number = column + 1, row_number
            if element.find(f"{_NS}f") is not None:
                problems.append(Problem(f"第 {number} 行 {_column_letters(column)}{number} 单元格",
                                        "含公式，请改为直接填写数值"))
            kind = element.get("t", "n")
            value = element.find(f"{_NS}v")
            if kind == "s" and value is not None and re.fullmatch(r"[0-9]{1,9}", value.text or ""):
                index = int(value.text)
                text = strings[index] if index < len(strings) else ""
            elif kind == "inlineStr":
                inline = element.find(f"{_NS}is")
                text = _string_item(inline) if inline is not None else ""
            elif value is not None and value.text is not None:
                text = _number_text(value.text) if kind == "n" else value.text
            else:
                text = ""
            if text.strip():          # only cells with a value count: formatted empty cells are no rows
                if column > MAX_COLUMNS:
                    _refuse(f"第 {number} 行第 {column} 列有内容：最多 {MAX_COLUMNS} 列，请使用模板")
                if number not in rows and len(rows) > MAX_ROWS:         # the header and MAX_ROWS people
                    _refuse(f"最多 {MAX_ROWS} 行人员，文件超过此数")
                rows.setdefault(number, {})[column] = text.strip()
                if kind == "n":
                    number_cells.add((number, column - 1))
    except InputError:
        raise
    except XLSX_ERRORS:
        _refuse("无法读取这个 Excel 文件，请用模板重新填写后保存为 .xlsx")
    problems += _merged_problems(merged, rows)
    if problems:
        raise InputError(problems)
    if not rows:
        _refuse(f"工作表是空的（{which}，只读取这一个工作表）")
    width = max(max(cells) for cells in rows.values())
    header = rows.get(1, {})
    table = [(n, [cells.get(c, "") for c in range(1, width + 1)]) for n, cells in sorted(rows.items()) if n > 1]
    return Sheet([header.get(c, "") for c in range(1, width + 1)], table, frozenset(number_cells), which)


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
    try:
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        _refuse(f"CSV 格式有误（{exc}），请检查引号是否成对")
    if not rows:
        _refuse("文件是空的")
    if max(len(row) for row in rows) > MAX_COLUMNS:
        _refuse(f"最多 {MAX_COLUMNS} 列，请使用模板")
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    return Sheet(rows[0], body)


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


# the template's 说明 sheet: what each column holds and what a blank means (as in the budget)
NOTES = (
    f"只读取名为「{ROSTER_SHEET}」的工作表（没有这个工作表时读取第一个工作表）；本说明和其他工作表不会导入。",
    f"每行一名工作人员，第 1 行为表头，请勿修改。最多 {MAX_ROWS} 行人员，文件不超过 {MAX_BYTES // 1024 // 1024} MB。"
    "没有任何内容的行不计入（只设了边框或底色的行也不算）。",
    "姓名或工号：可用工号代替姓名以保护个人信息；不能重复（同名的请用工号区分）。"
    "岗位：与采购人预算中的岗位名称一致，便于逐岗对比。",
    "类别、等级、证书：从下拉列表选择。类别留空：取采购人预算中同名岗位的类别（没有同名岗位的为“其他”）。",
    "月应发工资、职业津贴、申报缴费基数：元/月，最多两位小数，可写 4800、4,800.00、¥4,800 或 4800元。",
    f"{labels.ALLOWANCE_BLANK}，与预算相同；没有津贴的请填 0。",
    "年终奖：元/人，全年（在岗 12 个月）的金额；与预算相同，按在岗月数折算（在岗 6 个月计一半），"
    "不计入与最低工资的比较和缴费基数；留空为 0。",
    "申报缴费基数留空：与预算相同，按月应发工资加职业津贴，低于社会保险缴费基数下限的按下限、高于上限的按上限。",
    "各项单位费率与公积金比例：小数（0.16）或百分数（16%）。单位费率留空按法定费率，公积金比例留空按 5%，均与预算相同。",
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


def template_workbook(people: list[dict] | None = None) -> bytes:
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
    notes = workbook.create_sheet("说明")
    for line in NOTES:
        notes.append([line])
    notes.append([])
    notes.append(["示例（请在「花名册」工作表中按此填写；这一行如原样留在花名册中，导入时跳过）："])
    notes.append([header for header, _, _ in COLUMNS])
    notes.append([EXAMPLE.get(header, "") for header, _, _ in COLUMNS])
    notes.column_dimensions["A"].width = 110
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def roster_workbook(people: list[dict]) -> bytes:
    """A saved roster in the template's layout (what 「下载当前人员」 gives)."""
    return template_workbook(people)
