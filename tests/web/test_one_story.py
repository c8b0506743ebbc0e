"""One budget, one story: the budget page, the PDF annex, the workbook and the CLI show the same findings,
the same listed assumptions and the same totals for the same revision. The budget is the kind that
showed them drifting apart: 36 months for a 小规模纳税人 (its VAT changes in 2028), with overrides that
differ from their default and a value written out equal to its default (which is no override)."""
import io
import json
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from costing.cli import main
from costing.engine.parameters import default_parameters
from costing.models import Revision, db
from costing.results import labels
from costing.results.budget import BudgetResult
from costing.web import current_parameters

from . import world
from .world import log_in

PERSONNEL = [
    {"post": "社工站站长", "category": "community", "level": "mid", "certificate": "social_worker", "headcount": 1,
     "monthly_pay": "5800.00", "housing_fund_rate": "0.07", "housing_fund_rate_reason": "机构缴存比例为 7%"},
    {"post": "社会工作者", "category": "community", "level": "junior", "certificate": "assistant_social_worker",
     "headcount": 2, "monthly_pay": "4300.00", "housing_fund_rate": "0.05",        # the default, written out
     "monthly_allowance": "300.00", "monthly_allowance_reason": "区县津贴标准为 300 元"},
    {"post": "助理", "category": "community", "level": "none", "certificate": "none", "headcount": 1,
     "monthly_pay": "2000.00"},
]


@pytest.fixture
def story(app):
    w = world.build()
    data = world.sample(name="三年期社工站", start="2026-01", end="2028-12")
    data["contractor"] = {"taxpayer": "small_scale", "location": "urban", "work_injury_rate": "0.004",
                          "work_injury_rate_reason": "经核定为二类"}
    data["personnel"] = PERSONNEL
    client = log_in(app.test_client(), "a_prep")
    fields = world.form_fields(data) | {"base_revision": "1"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=fields).status_code == 302
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 2))
    return client, w.budget_a, revision


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_page_pdf_workbook_and_cli_tell_the_same_story(story, tmp_path, capsys):
    client, budget_id, revision = story
    stored = BudgetResult(json.loads(revision.result_json))
    listed = [(f.severity, f.code, f.message) for f in stored.listed_findings]
    assumed = [a.label for a in stored.listed_assumptions]
    grand = f"{stored.totals.grand_total:,.2f}"
    # the case is what it should be: an error, the VAT change, overrides listed and one only counted
    assert {"PAY_BELOW_MIN_WAGE", "TAX_RATES_CHANGE_IN_PERIOD", "ALLOWANCE_STANDARD_MISSING",
            "SI_BASE_BELOW_FLOOR"} <= {code for _, code, _ in listed}
    assert assumed == ["承接主体工伤保险费率", "第 1 行「社工站站长」住房公积金比例", "第 2 行「社会工作者」职业津贴"]
    assert stored.same_as_default == 0            # the 5% written out is no override at all

    # the page: every finding is there (wherever it sits), the same assumptions, the same total; the notes on
    # sources, folded under 参数说明, are what the annexes say in their basis table's 来源 column
    page = client.get(f"/budgets/{budget_id}").get_data(as_text=True)
    assert all(labels.finding(code) in page for _, code, _ in listed)
    assert not re.search(r">[A-Z]+(_[A-Z]+)+<", page)            # no code is shown as text, only in data-code
    decisions = page[page.index('id="exceptions"'):]
    decisions = decisions[:decisions.index("</section>")]
    # every error once more in 错误与例外说明, where it waits for its justification
    assert re.findall(r'data-code="([A-Z_]+)"', decisions) == [code for severity, code, _ in listed if severity == "error"]
    elsewhere = page.replace(decisions, "")
    notes = elsewhere[elsewhere.index("<summary>参数说明"):]
    elsewhere = elsewhere.replace(notes[:notes.index("</details>")], "")
    on_page = re.findall(r'<li class="finding finding-(error|warning|info)" data-code="([A-Z_]+)">', elsewhere)
    assert sorted(on_page) == sorted((severity, code) for severity, code, _ in listed)
    section = page[page.index('id="assumptions"'):]
    section = section[:section.index("</section>")]
    assert re.findall(r"<tr data-path=\"[^\"]+\"><td>([^<]+)</td>", section) == assumed
    assert "与默认值相同" not in section
    assert re.search(r'<tr class="grand"><th>预算总额（元）</th><td class="num">([0-9,.]+)</td>', page).group(1) == grand

    # the PDF: the same findings in the same order, the same assumptions, the same total
    pdf = client.get(f"/budgets/{budget_id}/annex.pdf").data
    path = tmp_path / "annex.pdf"
    path.write_bytes(pdf)
    text = _flat(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    findings_part = text[text.index("检查结论"):]
    positions = [findings_part.index(_flat(message)) for _, _, message in listed]
    assert positions == sorted(positions)
    assumptions_part = text[text.index("测算假设"):text.index("检查结论")]
    assert all(_flat(label) in assumptions_part for label in assumed)
    assert "第2行「社会工作者」住房公积金比例" not in assumptions_part and "与默认值相同" not in assumptions_part
    assert grand in text

    # the workbook: the same findings, the same assumptions, the same total
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/budgets/{budget_id}/annex.xlsx").data))
    rows = list(book["检查结论"].iter_rows(min_row=2, values_only=True))
    # (the workbook names each check in Chinese, as people read it; the codes are for the API and the CLI)
    assert [(title, message) for _, title, _, message, _, _ in rows] == [(labels.finding(code), message)
                                                                       for _, code, message in listed]
    in_workbook = [row[0] for row in book["测算假设"].iter_rows(min_row=2, values_only=True) if row[1] is not None]
    assert in_workbook == assumed
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True) if row[0]}
    assert Decimal(str(summary["系统测算的预算总额（核对用）"])) == stored.totals.grand_total

    # the CLI, given the revision's input: the same figures (the same parameter set), findings and assumptions
    assert revision.parameter_set == default_parameters().version == current_parameters().version
    source = tmp_path / "budget.json"
    source.write_text(revision.input_json, "utf-8")
    assert main(["compute", str(source), "--text"]) == 0
    cli = capsys.readouterr().out
    assert f"预算总额 {grand} 元" in cli
    assert re.findall(r"【(?:错误|提示|说明)】([A-Z_]+) ", cli) == [code for _, code, _ in listed]
    assert [line.split("：")[0].strip() for line in cli.splitlines() if "：采用 " in line] == assumed
    assert "与默认值相同" not in cli
