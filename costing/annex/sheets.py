"""What every workbook we write shares: text that can never become a formula, the money format, the
heading style and A4 printing. Used by the budget annex and the roster report."""
from __future__ import annotations

from decimal import Decimal

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

MONEY = '"¥"#,##0.00'
PERCENT = "0.00%"
HEAD = PatternFill("solid", fgColor="EEF1F4")
THIN = Side(style="thin", color="777777")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def safe_text(cell, value: str) -> None:
    """Store a string as text: openpyxl would otherwise turn "=…" into a formula, and Excel would run it."""
    cell.value = value
    cell.data_type = "s"
    if value[:1] in ("=", "+", "-", "@"):
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


def print_setup(sheet, title: str | None = None) -> None:
    """A4 landscape, one page wide, the heading row repeated, page numbers in the footer."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title is not None:
        sheet.print_title_rows = "1:1"
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
        sheet.oddHeader.right.text = title[:100].replace("&", "&&")
