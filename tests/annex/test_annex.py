"""The annex: real PDF checks with poppler, the static-only fetcher, and the workbook's formulas."""
import io
import logging
import re
import subprocess
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from weasyprint import HTML

from costing.annex import fetcher
from costing.annex.render import AnnexMeta, annex_html, annex_pdf
from costing.annex.workbook import annex_workbook
from costing.engine.result import to_json
from costing.results.budget import basis_rows
from costing.results.verification import verification_code

from ..engine.helpers import budget_input, person, run


def result_of(data) -> dict:
    return to_json(run(data))


def pdf_text(pdf: bytes, tmp_path: Path, *pages: int) -> str:
    path = tmp_path / "annex.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-layout"] + (["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def sample():
    data = budget_input(personnel=[person(post="社工站站长", monthly_pay="5800.00"),
                                   person(post="社会工作者", monthly_pay="4300.00", headcount=3)],
                        costs=[{"category": "supervision_training", "name": "专业督导", "quantity": "24", "unit": "小时",
                                "unit_price": "300.00"}], appropriation="1.00")
    result = result_of(data)
    meta = AnnexMeta(code=verification_code(result), purchaser="渝北区民政局", contractor="和光社工中心",
                     contract_no="YB-2025-001")
    return result, meta


def test_pdf_text_has_the_project_posts_totals_and_capital_amount(sample, tmp_path):
    result, meta = sample
    text = pdf_text(annex_pdf(result, meta), tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "测试项目预算明细表" in flat and "YB-2025-001" in flat
    assert "社工站站长" in flat and "社会工作者" in flat and "专业督导" in flat
    total = f"{D(result['totals']['grand_total']):,.2f}"
    assert total in text and result["amount_in_words"] in flat
    assert "甲方（盖章）" in flat and "乙方（盖章）" in flat and "OVER_APPROPRIATION" not in flat
    assert "超过预算控制数" in flat            # the remaining findings are printed
    assert meta.code in text


def test_fonts_are_noto_cjk_embedded_and_subset(sample, tmp_path):
    result, meta = sample
    path = tmp_path / "annex.pdf"
    path.write_bytes(annex_pdf(result, meta))
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines, "no fonts in the PDF"
    for line in lines:
        assert "Noto-Sans-CJK-SC" in line, line         # no fallback font: a missing CJK font fails here
        assert re.search(r"\byes\s+yes\s+yes\b", line), line   # embedded, subset, with a ToUnicode map


def test_rendering_logs_no_warnings(sample, caplog):
    result, meta = sample
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        annex_pdf(result, meta)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_page_numbers_on_a_three_page_annex(tmp_path):
    result = result_of(budget_input())
    pdf = annex_pdf(result, AnnexMeta(code=verification_code(result)))
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True,
                                                             check=True).stdout.decode()).group(1))
    assert pages == 3
    for page in (1, 2, 3):
        assert f"第{page}页共3页" in re.sub(r"\s+", "", pdf_text(pdf, tmp_path, page))


def test_drafts_are_marked_on_every_page(tmp_path):
    result = result_of(budget_input())
    text = pdf_text(annex_pdf(result, AnnexMeta(code=verification_code(result))), tmp_path)
    assert re.sub(r"\s+", "", text).count("草稿·未经审核") == 3
    approved = pdf_text(annex_pdf(result, AnnexMeta(code="X", status="approved")), tmp_path)
    assert "草稿" not in approved


HOSTILE = ['<link rel="attachment" href="file:///etc/passwd">', '<img src="file:///etc/passwd">',
           '</style><style>body { background: url(file:///etc/passwd) }</style>',
           '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">']


@pytest.mark.parametrize("name", HOSTILE)
def test_user_text_cannot_bring_a_file_or_request_into_the_pdf(name, tmp_path):
    result = result_of(budget_input(personnel=[person(post=name[:100])]))
    result["project"]["name"] = name
    pdf = annex_pdf(result, AnnexMeta(code="X"))
    assert b"root:x:0:0" not in pdf and b"/EmbeddedFile" not in pdf
    assert "file:///etc/passwd" in re.sub(r"\s+", " ", pdf_text(pdf, tmp_path)) or "http" in pdf_text(pdf, tmp_path)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://example.com/a.css", "https://example.com/a.png",
    "data:text/css,body{}", "ftp://example.com/x",
    fetcher.STATIC.as_uri() + "/%2e%2e/pyproject.toml", fetcher.STATIC.as_uri() + "/../pyproject.toml",
    fetcher.STATIC.as_uri() + "/annex/%2E%2E/%2E%2E/wsgi.py", "file://evil.example/static/annex/annex.css",
    fetcher.STATIC.as_uri() + "/missing.css",
])
def test_the_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(fetcher.RefusedURL):
        fetcher.StaticOnlyFetcher().fetch(url)


def test_the_fetcher_serves_static_files():
    response = fetcher.StaticOnlyFetcher().fetch(fetcher.STATIC.as_uri() + "/annex/annex.css")
    assert b"@page" in response.read()


def test_a_link_out_of_static_is_refused(tmp_path, monkeypatch):
    static = tmp_path / "static"
    static.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (static / "link.txt").symlink_to(tmp_path / "secret.txt")
    monkeypatch.setattr(fetcher, "STATIC", static.resolve())
    with pytest.raises(fetcher.RefusedURL):
        fetcher.StaticOnlyFetcher().fetch(static.as_uri() + "/link.txt")


def test_a_refused_url_aborts_the_render():
    html = HTML(string='<img src="file:///etc/passwd">', base_url=fetcher.base_url(),
                url_fetcher=fetcher.StaticOnlyFetcher())
    with pytest.raises(fetcher.RefusedURL):
        html.write_pdf()


def test_html_is_escaped():
    result = result_of(budget_input())
    result["project"]["name"] = "<b>x</b>"
    assert "&lt;b&gt;x&lt;/b&gt;" in annex_html(result, AnnexMeta(code="X"))


# -- the workbook ---------------------------------------------------------------------------------

def evaluate(book, sheet_name: str, ref: str) -> D:
    """A small evaluator for the formulas the annex writes: SUM, ROUND, + − × ÷, sheet references."""
    value = book[sheet_name][ref].value
    if not isinstance(value, str) or not value.startswith("="):
        return D(str(value))
    expr = value[1:]

    def cell(match):
        sheet = match.group(1) or sheet_name
        return f"V({sheet!r},{match.group(2)!r})"
    expr = re.sub(r"SUM\((?:'([^']+)'!)?([A-Z]+)(\d+):([A-Z]+)(\d+)\)",
                  lambda m: f"S({(m.group(1) or sheet_name)!r},{m.group(2)!r},{m.group(3)},{m.group(5)})", expr)
    expr = re.sub(r"(?:'([^']+)'!)?\b([A-Z]{1,2}\d+)\b", cell, expr)
    expr = re.sub(r"(?<![\w'.])(\d+\.\d+|\d+)(?![\w'])", r"D('\1')", expr)
    expr = expr.replace("ROUND(", "R(")

    def S(sheet, column, first, last):
        return sum((evaluate(book, sheet, f"{column}{row}") for row in range(int(first), int(last) + 1)), D(0))

    def R(x, places):
        return D(x).quantize(D(1).scaleb(-int(places)), rounding="ROUND_HALF_UP")
    return D(eval(expr, {"__builtins__": {}}, {"V": lambda s, r: evaluate(book, s, r), "S": S, "R": R, "D": D}))


def test_workbook_formulas_give_the_engine_totals(sample):
    result, meta = sample
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, meta)))
    summary = book["汇总"]
    rows = {summary.cell(row=r, column=1).value: r for r in range(1, summary.max_row + 1)}
    t = result["totals"]
    for label, key in (("人员经费", "personnel"), ("直接费用", "direct"), ("管理费", "management_fee"),
                       ("税费（增值税及附加）", "tax"), ("预算总额", "grand_total")):
        assert summary[f"B{rows[label]}"].value.startswith("=")
        assert evaluate(book, "汇总", f"B{rows[label]}") == D(t[key]), label
    assert summary[f"B{rows['预算总额']}"].number_format == '"¥"#,##0.00'
    assert book["人员经费"].page_setup.orientation == "landscape"
    assert set(book.sheetnames) == ({"汇总", "人员经费", "逐段明细", "直接费用", "测算依据", "检查结论"}
                                    | ({"测算假设"} if result["assumptions"] else set()))


def test_workbook_text_cannot_become_a_formula():
    result = result_of(budget_input(personnel=[person(post="=HYPERLINK(\"http://x\")"), person(post="@SUM(1)")],
                                    costs=[{"category": "other", "name": "+cmd", "quantity": "1", "unit_price": "1.00"},
                                           {"category": "other", "name": "-2+3", "quantity": "1", "unit_price": "1.00"}]))
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="X"))))
    for sheet, ref in (("人员经费", "B2"), ("人员经费", "B3"), ("直接费用", "C2"), ("直接费用", "C3")):
        assert book[sheet][ref].data_type == "s", (sheet, ref, book[sheet][ref].value)


def test_user_text_that_looks_like_our_formulas_stays_text():
    result = result_of(budget_input(personnel=[person(post='=SUM(1)+HYPERLINK("http://evil")')],
                                    costs=[{"category": "other", "name": "=ROUND(1,0)&WEBSERVICE(1)", "quantity": "1",
                                            "unit_price": "1.00"}]))
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="X"))))
    assert book["人员经费"]["B2"].data_type == "s" and book["直接费用"]["C2"].data_type == "s"


def test_an_empty_list_totals_to_zero_not_a_circular_formula():
    result = result_of(budget_input(costs=[]))
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="X"))))
    assert book["直接费用"]["G2"].value == 0
    summary = book["汇总"]
    rows = {summary.cell(row=r, column=1).value: r for r in range(1, summary.max_row + 1)}
    assert evaluate(book, "汇总", f"B{rows['预算总额']}") == D(result["totals"]["grand_total"])


def test_equal_figures_in_two_revisions_get_different_codes():
    result = result_of(budget_input())
    assert verification_code(result, "budget:1:revision:1") != verification_code(result, "budget:1:revision:2")


def test_a_carried_figure_is_one_basis_row_that_says_so():
    result = result_of(budget_input(start="2025-07", end="2026-06"))
    floors = [p for p in result["parameters"] if p["name"] == "si.base_floor"]
    assert len(floors) == 2                                 # the engine reports both uses
    merged = [p for p in basis_rows(result["parameters"]) if p.name == "si.base_floor"]
    assert len(merged) == 1
    assert (merged[0].used_from, merged[0].used_to, merged[0].carried_from) == ("2025-07", "2026-06", "2026-01")


def test_the_overridden_defaults_are_listed_with_their_reasons_and_effects(tmp_path):
    data = budget_input(personnel=[person(post="社会工作者", monthly_allowance=None, housing_fund_rate="0.07",
                                          housing_fund_rate_reason="承接机构缴存比例为 7%")])
    del data["personnel"][0]["monthly_allowance"]
    result = result_of(data)
    (assumption,) = result["assumptions"]
    flat = re.sub(r"\s+", "", pdf_text(annex_pdf(result, AnnexMeta(code="TEST")), tmp_path))
    assert "测算假设" in flat and "第1行「社会工作者」住房公积金比例" in flat and "承接机构缴存比例为7%" in flat
    assert f"+{D(assumption['effect']):,.2f}" in flat
    # the workbook lists the same, amounts as numbers and the reason as text
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="TEST"))))
    sheet = book["测算假设"]
    label, value, unit = (c.value for c in sheet[2][:3])
    assert (label, D(str(value)), unit) == ("第 1 行「社会工作者」住房公积金比例", D("0.07"), "比例")
    assert sheet.cell(row=2, column=2).number_format == "0.00%"
    assert sheet.cell(row=2, column=6).value == "承接机构缴存比例为 7%"
    assert D(str(sheet.cell(row=2, column=7).value)) == D(assumption["effect"])
    del result["assumptions"]               # results stored before assumptions were listed
    assert "测算假设" not in annex_html(result, AnnexMeta(code="TEST"))
    assert "测算假设" not in openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="TEST")))).sheetnames


def test_a_value_written_equal_to_its_default_is_no_assumption():
    data = budget_input(personnel=[person(post="社会工作者", housing_fund_rate="0.05")])      # no reason needed
    result = result_of(data)
    assert result["assumptions"] == []
    html = annex_html(result, AnnexMeta(code="TEST"))
    assert "测算假设" not in html


def test_results_stored_when_equal_values_were_listed_still_count_them():
    result = result_of(budget_input(personnel=[person(post="社会工作者")]))
    result["assumptions"] = [{"path": "personnel[0].housing_fund_rate", "field": "housing_fund_rate",
                              "label": "第 1 行「社会工作者」住房公积金比例", "unit": "rate", "value": "0.05",
                              "default": "0.05", "default_note": "按默认比例", "reason": "按最低比例缴存",
                              "effect": "0.00"}]
    html = annex_html(result, AnnexMeta(code="TEST"))
    assert "五、测算假设" not in html and "测算假设：1 处填写值与默认值相同，其余均采用默认值。" in html


def test_every_line_of_the_workbook_can_be_followed_to_its_figures():
    """Pay = (monthly pay + allowance) × people × months + bonus; each contribution = the sum of its segments
    (per person per month × people × months, over the months the figures are the same): all formulas, all
    equal to the engine's figures, across a new year where the base floor changes."""
    data = budget_input(start="2024-07", end="2025-06",
                        personnel=[person(post="站长", monthly_pay="2100.00", annual_bonus="3000.00", headcount=2),
                                   person(post="社工", monthly_pay="6000.00", months=8)])
    result = result_of(data)
    book = openpyxl.load_workbook(io.BytesIO(annex_workbook(result, AnnexMeta(code="X"))))
    sheet = book["人员经费"]
    headers = [c.value for c in sheet[1]]
    columns = {name: openpyxl.utils.get_column_letter(headers.index(name) + 1) for name in headers}
    for row, line in enumerate(result["personnel"], start=2):
        assert sheet[f"{columns['工资合计']}{row}"].value.startswith("=(")
        assert evaluate(book, "人员经费", f"{columns['工资合计']}{row}") == D(line["pay"])
        for item, label in (("pension", "养老保险"), ("medical", "医疗保险"), ("housing_fund", "住房公积金")):
            assert sheet[f"{columns[label]}{row}"].value.startswith("=SUM('逐段明细'!")
            assert evaluate(book, "人员经费", f"{columns[label]}{row}") == D(line["employer_contributions"][item])
        assert evaluate(book, "人员经费", f"{columns['小计']}{row}") == D(line["total"])
    # the first line runs across two social-insurance years: two segments
    assert [r[2] for r in book["逐段明细"].iter_rows(min_row=2, values_only=True) if r[0] == 1] == [
        "2024-07 至 2024-12", "2025-01 至 2025-06"]
