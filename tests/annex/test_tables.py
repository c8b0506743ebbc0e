"""The fast table writer (annex.tables): what openpyxl and LibreOffice read back from it."""
import io
import shutil
import subprocess
import uuid
from decimal import Decimal as D

import openpyxl
import pytest

from costing.annex.tables import Book, Number, Percent, Strong, Total


def book() -> bytes:
    tables = Book()
    tables.table("人员", ["姓名或工号", "月应发工资", "失业单位费率", "说明\n（换行）"],
                 [["=1+1", D("4300.50"), Strong(D("0.005")), "含 <尖括号> & 符号"],
                  ["张敏", D("4299.99"), D("0.005"), None],
                  Total(["合计（2 人）", D("8600.49"), None, ""])],
                 percent={3}, wrap={4}, print_title="报告 & 标题", title_columns=1)
    tables.table("参数", ["参数", "数值"], [["最低工资", D("2330.00")], ["养老", Percent(D("0.16"))], ["倍数", Number(2)]])
    return tables.save()


def test_what_openpyxl_reads_back():
    loaded = openpyxl.load_workbook(io.BytesIO(book()))
    assert loaded.sheetnames == ["人员", "参数"]
    sheet = loaded["人员"]
    assert [c.value for c in sheet[1]] == ["姓名或工号", "月应发工资", "失业单位费率", "说明\n（换行）"]
    assert all(c.font.b and c.alignment.wrap_text for c in sheet[1])
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    assert sheet["B2"].value == 4300.5 and sheet["B2"].number_format.endswith("#,##0.00")
    assert sheet["C2"].value == 0.005 and sheet["C2"].number_format == "0.00%" and sheet["C2"].font.b
    assert not sheet["C3"].font.b and sheet["D2"].value == "含 <尖括号> & 符号" and sheet["D2"].alignment.wrap_text
    assert sheet["A4"].font.b and sheet["B4"].font.b and sheet["B4"].value == 8600.49
    assert sheet.freeze_panes == "A2" and sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols == "$A:$A"
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页" and sheet.oddHeader.right.text == "报告 && 标题"
    assert sheet.row_dimensions[1].height >= 30 and sheet.column_dimensions["A"].width >= 12
    figures = loaded["参数"]
    assert figures["B3"].value == 0.16 and figures["B3"].number_format == "0.00%" and figures["B4"].value == 2
    assert figures.print_title_rows is None


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH")
def test_libreoffice_opens_it(tmp_path):
    source = tmp_path / "report.xlsx"
    source.write_bytes(book())
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path / "out"), str(source)],
                   check=True, capture_output=True, timeout=120)
    text = (tmp_path / "out" / "report.csv").read_text("utf-8")          # (76: UTF-8)
    # as LibreOffice shows them: the formats are read (¥ and thousands, 0.00%), the text is text, never run
    assert '\n=1+1,"¥4,300.50",0.50%,含 <尖括号> & 符号\n' in text and '\n合计（2 人）,"¥8,600.49",,' in text
