"""What every workbook we write shares: text that can never become a formula, the money format, the
heading style, A4 printing and the list of figures used. Used by the budget annex and the roster report.

A large sheet (a roster report of thousands of people) is written by ``table`` into a write-only workbook:
a row at a time, one style object per kind of cell (never one per cell), its columns as wide as their
widest header or value."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MONEY = '"¥"#,##0.00'
PERCENT = "0.00%"
HEAD = PatternFill("solid", fgColor="EEF1F4")
THIN = Side(style="thin", color="777777")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# what a spreadsheet program may take for the start of a formula: = + - @, and a tab or carriage return before one
# (OWASP, CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet program could take this text for a formula: every writer of CSV or XLSX text asks here."""
    return text.startswith(FORMULA_START)


def csv_text(text: str) -> str:
    """A CSV field that opens as text: one that starts like a formula gets an apostrophe before it."""
    return f"'{text}" if starts_like_formula(text) else text


def safe_text(cell, value: str) -> None:
    """Store a string as text: openpyxl would otherwise turn "=…" into a formula, and Excel would run it."""
    cell.value = value
    cell.data_type = "s"
    if starts_like_formula(value):
        cell.quotePrefix = True


def put(sheet, row: int, column: int, value, money: bool = False, bold: bool = False, border: bool = True):
    """A value: text is always stored as text (never a formula); amounts as numbers in ¥ format."""
    cell = sheet.cell(row=row, column=column)
    if money and value is not None and value != "":
        cell.value = Decimal(value)
        cell.number_format = MONEY
    elif isinstance(value, str):
        safe_text(cell, value)
    else:
        cell.value = value
    if border:
        cell.border = BOX
    if bold:
        cell.font = Font(bold=True)
    return cell


def header(sheet, headers, widths, row: int = 1, border: bool = True) -> None:
    for column, (text, width) in enumerate(zip(headers, widths), start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font, cell.fill = Font(bold=True), HEAD
        if border:
            cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{row + 1}"          # (a cell object here would create an empty row)


def form_sheet(sheet, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int]) -> None:
    """A sheet people fill in and upload again (a roster, a budget's lines): its header row bold and shaded, a line
    a row from row 2 (text never a formula, numbers as numbers, None left empty), the columns as wide as given and
    the header kept in view."""
    sheet.append(list(headers))
    for row, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                safe_text(sheet.cell(row=row, column=column), value)
            elif value is not None:
                sheet.cell(row=row, column=column, value=value)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7EF")
        cell.alignment = Alignment(horizontal="center")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def print_setup(sheet, title: str | None = None, pages_wide: int = 1) -> None:
    """A4 landscape, ``pages_wide`` pages wide (twenty columns on one page are too small to read), the heading
    row repeated, page numbers in the footer."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4      # (a write-only sheet does not name the sizes)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = pages_wide, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title is not None:
        sheet.print_title_rows = "1:1"
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
        sheet.oddHeader.right.text = title[:100].replace("&", "&&")


def basis_table(basis: Iterable, used: str) -> tuple[list[str], list[list[str]]]:
    """The figures a budget or a check rests on (``results.budget.Basis``), one row each, as every workbook
    lists them: the document each cites (whole, then issuer, title, 文号 and date apart, for sorting), where the
    figure comes from and whether its citation was verified. No addresses: those are for administrators."""
    headers = ["参数", "适用", "数值", "有效期", used, "依据", "发文机关", "发文日期", "文号", "文件标题",
               "数值来源", "核实情况"]
    return headers, [[p.label, p.region_label, p.value_text, p.period,
                      p.used + (f"（{p.carried_from} 起沿用）" if p.carried_from else ""),
                      p.citation, p.issuer or "", p.date or "", p.doc_no or "", p.title or "",
                      p.origin_label, p.standing] for p in basis]


def text_width(text) -> int:
    """How many character widths a text takes (its widest line): a Chinese or full-width character counts 2,
    others 1. Worked out from the UTF-8 length (3 bytes for those, 1 for ASCII) to stay fast on large sheets."""
    return max((len(line) + len(line.encode("utf-8")) + 1) // 2 for line in str(text).split("\n"))


def _shown(value, percent: bool) -> str:
    """A value as Excel shows it in our formats (for the column width)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value * 100:.2f}%" if percent else f"¥{value:,.2f}"
    return str(value)


def _style_of(sheet, **style) -> Cell:
    """A cell holding one kind of style; the cells written copy its style array instead of building one each."""
    cell = WriteOnlyCell(sheet)
    for name, value in style.items():
        setattr(cell, name, value)
    return cell


def table(book, title: str, headers: Sequence[str], rows: Sequence[Sequence], *, percent: Iterable[int] = (),
          wrap: Iterable[int] = (), cap: int = 40, print_title: str | None = None) -> None:
    """A sheet of a write-only workbook, written in one go: a bold, wrapped, frozen header row (a header may
    hold a line break), then the rows. Text stays text (never a formula), a Decimal is an amount in ¥ (or a
    rate in %, in the ``percent`` columns, numbered from 1), ``wrap`` columns wrap their text. Each column is
    as wide as its header and its widest value (values up to ``cap`` widths); headers are never cut."""
    sheet = book.create_sheet(title)
    percent, wrap = set(percent), set(wrap)
    for column, head in enumerate(headers, start=1):
        shown = {_shown(row[column - 1], column in percent) for row in rows}
        widest = max(map(text_width, shown), default=0)
        sheet.column_dimensions[get_column_letter(column)].width = max(text_width(head), min(cap, widest)) + 2
    sheet.row_dimensions[1].height = 16 * (max(h.count("\n") for h in headers) + 1) + 4
    sheet.freeze_panes = "A2"
    print_setup(sheet, print_title, pages_wide=max(1, -(-len(headers) // 12)))      # about 12 columns a page
    head = _style_of(sheet, font=Font(bold=True), fill=HEAD,
                     alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
    money = _style_of(sheet, number_format=MONEY)
    rate = _style_of(sheet, number_format=PERCENT)
    wrapped = _style_of(sheet, alignment=Alignment(vertical="top", wrap_text=True))
    sheet.append([_cell(sheet, text, head._style) for text in headers])
    convert = [_converter(sheet, rate._style if column in percent else money._style,
                          wrapped._style if column in wrap else None)
               for column in range(1, len(headers) + 1)]
    for row in rows:
        sheet.append([to(value) for to, value in zip(convert, row)])


def _cell(sheet, value, style) -> Cell:
    cell = Cell(sheet, row=1, column=1, style_array=style)
    if isinstance(value, str):
        safe_text(cell, value)
    else:
        cell.value = value
    return cell


def _converter(sheet, number_style, text_style) -> Callable:
    """What a column's values become: plain values where no style is needed (the sheet's one reused cell)."""
    def to(value):
        if value == "":
            return None
        if isinstance(value, Decimal):
            return _cell(sheet, value, number_style)
        if isinstance(value, str) and (text_style is not None or starts_like_formula(value)):
            return _cell(sheet, value, text_style)
        return value
    return to
