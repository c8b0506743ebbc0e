"""Errors are decided, not overlooked: a revision with error findings goes forward only when each error has
its written justification (例外说明), the preparer and the approver confirm them, and the approved annex
prints them as 经审核的例外 with the justification instead of an unexplained red error."""
import io
import json
import re
import subprocess

import openpyxl
from sqlalchemy import select

from costing.models import Budget, Revision, RevisionException, db
from costing.results.budget import BudgetResult

from . import world
from .world import form_fields, log_in, sample

JUSTIFICATION = "经区财政局同意追加预算（渝北财〔2026〕12号），按此执行"


def over_budget(app, w):
    """Revision 2 of budget A: over its appropriation (one error)."""
    preparer = log_in(app.test_client(), "a_prep")
    data = form_fields(sample(name="A 项目")) | {"base_revision": "1", "project-appropriation": "300000.00"}
    assert preparer.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 2))
    (error,) = BudgetResult(json.loads(revision.result_json)).errors
    assert error.code == "OVER_APPROPRIATION"
    return preparer, error


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "annex.pdf"
    path.write_bytes(pdf)
    return re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)


def test_an_error_without_its_justification_cannot_be_submitted(app):
    w = world.build()
    preparer, error = over_budget(app, w)
    page = preparer.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "错误与例外说明" in page and f'name="exception-{error.key}"' in page
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"revision": "2"})
    assert db.session.get(Budget, w.budget_a).status == "draft"
    page = preparer.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "有 1 项错误尚未写明例外说明（超出预算控制数）" in page


def test_justified_confirmed_approved_and_printed_as_an_approved_exception(app, tmp_path):
    w = world.build()
    preparer, error = over_budget(app, w)
    assert preparer.post(f"/budgets/{w.budget_a}/exceptions",
                         data={"revision": "2", f"exception-{error.key}": JUSTIFICATION}).status_code == 302
    stored = db.session.scalar(select(RevisionException))
    assert (stored.code, stored.justification) == ("OVER_APPROPRIATION", JUSTIFICATION)
    # the same words again change nothing, and the page says so
    response = preparer.post(f"/budgets/{w.budget_a}/exceptions", data={"revision": "2", f"exception-{error.key}": JUSTIFICATION},
                             follow_redirects=True)
    assert "没有修改：例外说明与已保存的相同" in response.get_data(as_text=True)
    # the confirmation counts the errors, each with its justification
    assert "已核对 1 项错误，每项都已写明例外说明" in preparer.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    # submitting asks for the confirmation, then goes through
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"revision": "2"})
    assert db.session.get(Budget, w.budget_a).status == "draft"
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"revision": "2", "confirm": "y"})
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    # the approver's page opens with the errors and their justifications
    approver = log_in(app.test_client(), "a_appr")
    page = approver.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert page.index('id="exceptions"') < page.index("<h2>合计</h2>") and JUSTIFICATION in page
    approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "2"})
    assert db.session.get(Budget, w.budget_a).status == "submitted"            # not without confirming
    approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "2", "confirm": "y"})
    assert db.session.get(Budget, w.budget_a).status == "approved"
    text = pdf_text(approver.get(f"/budgets/{w.budget_a}/annex.pdf").data, tmp_path)
    assert "【经审核的例外】预算总额" in text and re.sub(r"\s+", "", JUSTIFICATION) in text and "【错误】" not in text
    book = openpyxl.load_workbook(io.BytesIO(approver.get(f"/budgets/{w.budget_a}/annex.xlsx").data))
    row = next(r for r in book["检查结论"].iter_rows(min_row=2, values_only=True) if r[1] == "超出预算控制数")
    assert row[0] == "经审核的例外" and row[5].startswith(JUSTIFICATION)


def test_a_justification_stays_while_its_error_does_and_not_once_the_numbers_change(app):
    w = world.build()
    preparer, error = over_budget(app, w)
    preparer.post(f"/budgets/{w.budget_a}/exceptions", data={"revision": "2", f"exception-{error.key}": JUSTIFICATION})
    # a change elsewhere (a cost's name) keeps the same error, word for word: the justification comes along
    data = form_fields(sample(name="A 项目")) | {"base_revision": "2", "project-appropriation": "300000.00",
                                                 "costs-0-name": "专业督导（改名）"}
    assert preparer.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    third = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 3))
    assert [e.justification for e in third.exceptions] == [JUSTIFICATION]
    # a different appropriation changes the error's figures: it must be justified again
    data |= {"base_revision": "3", "project-appropriation": "310000.00"}
    assert preparer.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    fourth = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 4))
    assert fourth.exceptions == []


def test_only_the_preparer_of_a_draft_writes_justifications(app, client):
    w = world.build()
    _, error = over_budget(app, w)
    for user in ("a_appr", "c_user", "b_prep"):
        other = log_in(app.test_client(), user)
        response = other.post(f"/budgets/{w.budget_a}/exceptions", data={"revision": "2", f"exception-{error.key}": "x"})
        assert response.status_code in (403, 404), user
    assert db.session.scalar(select(RevisionException)) is None
