"""The contract over time in the annex (issue #23): each line's months and pay steps, the budget by 年度 and the
tax by period, in the PDF and in the workbook, whose formulas still give the engine's totals."""
import io
from decimal import Decimal as D

import openpyxl

from costing.annex.render import AnnexMeta, annex_html, annex_pdf
from costing.annex.workbook import annex_workbook
from costing.engine.result import to_json

from ..engine.helpers import run, with_allowance_standard
from ..engine.test_over_time import contract
from .test_annex import evaluate, pdf_text


def contract_result(**top) -> dict:
    return to_json(run(contract(**top), with_allowance_standard("渝中区", start="2027-07-01")))


def test_the_pdf_shows_each_lines_months_and_steps_and_the_years(tmp_path):
    result = contract_result(contractor={"taxpayer": "small_scale"})
    text = pdf_text(annex_pdf(result, AnnexMeta(code="YEARS")), tmp_path)
    flat = "".join(text.split())
    # (a cell's text wraps around the row's other cells in the extracted text: each piece is checked)
    assert "2028-01起月工资" in flat and "起职业津贴300.00元" in flat and "起职业津贴200.00元" in flat
    assert "2027-04至2028-12" in flat and "（21个月）" in flat
    assert "各月（月应发工资+职业津贴）×人数之和" in flat
    assert "分年度预算" in flat and "2027年度" in flat and "180,563.02" in flat and "232,051.43" in flat
    assert "督导（2028年度）" in flat
    assert "服务期内税率变化，分段计算" in flat
    # one year, one rate: no table of years
    single = to_json(run(contract(), with_allowance_standard("渝中区", start="2027-07-01")))
    single["by_year"], single["tax_periods"] = single["by_year"][:1], single["tax_periods"]
    assert "分年度预算" not in annex_html(single, AnnexMeta(code="ONE"))


def test_the_workbook_formulas_follow_pay_steps_and_tax_periods():
    result = contract_result(contractor={"taxpayer": "small_scale"})
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="YEARS"))))
    summary = book["汇总"]
    rows = {summary.cell(row=r, column=1).value: r for r in range(1, summary.max_row + 1)}
    for label, key in (("人员经费", "personnel"), ("管理费", "management_fee"), ("税费（增值税及附加）", "tax"),
                       ("预算总额", "grand_total")):
        assert evaluate(book, "汇总", f"B{rows[label]}") == D(result["totals"][key]), label
    people = book["人员经费"]
    for row, line in enumerate(result["personnel"], start=2):
        assert people[f"K{row}"].value.startswith("=SUM('逐段明细'!")      # stepped: the sum of its segments' pay
        assert evaluate(book, "人员经费", f"K{row}") == D(line["pay"])
    years = book["分年度"]
    assert [years.cell(row=r, column=1).value for r in (2, 3, 4)] == ["2027 年度", "2028 年度", "合计"]
    assert evaluate(book, "分年度", "H4") == D("412614.45")
    assert [c.value for c in book["直接费用"]["H"][1:3]] == ["2028 年度", "按月分摊"]
