"""Text a spreadsheet program could take for a formula (OWASP's CSV injection: = + - @, a tab, a carriage return)
stays text in every CSV and workbook we write: one test of the one function that says so, and of its writers."""
import io

import openpyxl
import pytest
from openpyxl import Workbook

from costing.annex.sheets import csv_text, safe_text, starts_like_formula
from costing.annex.tables import Book


@pytest.mark.parametrize(("text", "in_csv"), [
    ("=1+1", "'=1+1"),
    ("+86 138 0000 0000", "'+86 138 0000 0000"),
    ("-5", "'-5"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=HYPERLINK(\"http://x\")", "'\t=HYPERLINK(\"http://x\")"),
    ("\r=HYPERLINK(\"http://x\")", "'\r=HYPERLINK(\"http://x\")"),
    ("\t", "'\t"),
    ("张敏", "张敏"),
    ("1+1=2", "1+1=2"),
    ("'=1+1", "'=1+1"),          # already marked as text: left as it is
    ("", ""),
])
def test_a_csv_field_that_starts_like_a_formula_gets_an_apostrophe(text, in_csv):
    assert csv_text(text) == in_csv
    assert starts_like_formula(text) is (in_csv != text)


@pytest.mark.parametrize(("text", "marked"), [("\t=1+1", True), ("\r=1+1", True), ("=1+1", True), ("张敏", False)])
def test_a_workbook_cell_that_starts_like_a_formula_is_text_marked_as_text(text, marked):
    book = Workbook()
    safe_text(book.active["A1"], text)                  # openpyxl's cells (the annex, the templates)
    out = io.BytesIO()
    book.save(out)
    tables = Book()                                     # the fast writer's (the roster report)
    tables.table("表", ["说明"], [[text]])
    cells = [openpyxl.load_workbook(io.BytesIO(out.getvalue())).active["A1"],
             openpyxl.load_workbook(io.BytesIO(tables.save())).active["A2"]]
    assert [(c.data_type, bool(c.quotePrefix)) for c in cells] == [("s", marked)] * 2
