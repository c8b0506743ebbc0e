"""Bounded work per request: a live form posted with more rows than the engine takes is answered at once, from the
field names alone, with the form shown again without its rows (the other fields kept) and the limit and the count
at the top; the preview says the same. A request over the field limit (urlencoded too) keeps the user on the form.
Each oversized post is answered in well under a second and 100 MB, and builds no row of the form. A hostile roster
file gets the import page saying which limit and where (the files themselves: tests/test_rosterfile_limits.py)."""
from __future__ import annotations

import gc
import io
import re
import time
import tracemalloc
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import FieldList, Form, FormField

from costing.budgets.forms import BudgetForm
from costing.engine.parse import MAX_LINES
from costing.rosters.forms import RosterForm
from costing.web import forms as web_forms
from costing.web import limits

from .. import cpu
from ..test_rosterfile_limits import HEADER_ROW, person_row, workbook, worksheet
from . import world
from .world import log_in

SECONDS, MEGABYTES = 1.0, 100


def body(fields: list[tuple[str, str]]) -> bytes:
    return urlencode(fields).encode()


def rows(prefix: str, count: int) -> list[tuple[str, str]]:
    """The probe's rows: one empty field each (``personnel-0-post=``)."""
    return [(f"{prefix}-{i}-post", "") for i in range(count)]


@pytest.fixture
def built_rows(monkeypatch):
    """How many rows of a live form were built while the fixture was in use."""
    built = []
    original = web_forms.RowList._add_entry

    def add_entry(self, *args, **kwargs):
        built.append(self.name)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(web_forms.RowList, "_add_entry", add_entry)
    return built


def post(client, url: str, data: bytes, built: list | None = None):
    """The answer to an urlencoded post, which must come within the time (CPU time: the machine may be busy) and
    the memory allowed (traced on a second, identical post). With ``built_rows``, the answer's ``built`` are the
    rows the first post built."""
    before = len(built) if built is not None else 0
    gc.freeze()             # the test session's objects are not the request's: no collection walks them
    try:
        started = time.process_time()
        response = client.post(url, data=data, content_type="application/x-www-form-urlencoded")
        spent = time.process_time() - started
    finally:
        gc.unfreeze()
    response.built = built[before:] if built is not None else None
    tracemalloc.start()
    try:
        again = client.post(url, data=data, content_type="application/x-www-form-urlencoded")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert again.status_code == response.status_code
    assert spent < cpu.bound(SECONDS), f"{spent:.2f} s"
    assert peak < MEGABYTES * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB"
    return response


def token(client, url: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


@pytest.mark.parametrize("count", [20_000, 100_000])
def test_a_budget_posted_with_too_many_rows_is_refused_at_once_on_the_form(app, client, built_rows, count):
    world.build()
    log_in(client, "a_prep")
    app.config["WTF_CSRF_ENABLED"] = True          # as the probe posted it: with a valid token
    fields = [("csrf_token", token(client, "/budgets/new")), ("project-name", "很多行的项目"), ("note", "说明")]
    response = post(client, "/budgets/new", body(fields + rows("personnel", count)), built_rows)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and len(page) < 200_000
    assert f"人员最多 {MAX_LINES} 行，收到 {count} 行" in page and limits.ROWS_NOT_KEPT in page
    assert 'value="很多行的项目"' in page and 'value="说明"' in page
    assert response.built == ["personnel", "costs"]          # the page's blank rows (for 添加), and nothing posted


def test_a_budget_edit_with_too_many_rows_keeps_the_revision_it_was_based_on(app, client, built_rows):
    w = world.build()
    log_in(client, "a_prep")
    data = body([("base_revision", "1"), ("project-name", "A 项目")] + rows("costs", 20_000))
    response = post(client, f"/budgets/{w.budget_a}/edit", data, built_rows)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and f"直接费用最多 {MAX_LINES} 行，收到 20000 行" in page
    assert re.search(r'name="base_revision" type="hidden" value="1"', page) and response.built == ["personnel", "costs"]


def test_the_budget_preview_says_the_limit_without_reading_the_rows(app, client, built_rows):
    world.build()
    log_in(client, "a_prep")
    response = post(client, "/budgets/preview", body(rows("personnel", 20_000)), built_rows)
    answer = response.get_json()
    assert answer == {"ok": False, "errors": [{"field": None, "code": "too_large",
                                               "message": f"人员最多 {MAX_LINES} 行，收到 20000 行",
                                               "general": f"人员最多 {MAX_LINES} 行，收到 20000 行"}]}
    assert response.built == []


def test_a_row_numbered_beyond_the_limit_is_refused_too(app, client):
    world.build()
    log_in(client, "a_prep")
    response = client.post("/budgets/new", data={"project-name": "跳号", "personnel-7000-post": "社工"})
    assert response.status_code == 400 and f"人员最多 {MAX_LINES} 行，收到的行号到第 7001 行" in response.get_data(as_text=True)


@pytest.mark.parametrize("where", ["new", "edit", "preview"])
def test_a_roster_form_with_too_many_rows_is_refused_at_once(app, client, built_rows, where):
    w = world.build()
    contractor = log_in(client, "c_user")
    url = {"new": f"/rosters/new?budget={w.budget_a}", "preview": f"/rosters/preview?budget={w.budget_a}"}.get(where)
    if where == "edit":
        response = client.post(f"/rosters/new?budget={w.budget_a}", data={
            "name": "方案", "roster-0-id": "S1", "roster-0-post": "社会工作者", "roster-0-level": "junior",
            "roster-0-certificate": "none", "roster-0-monthly_pay": "4300.00", "revision": "1"})
        url = response.location + "/edit"
    response = post(contractor, url, body([("name", "很多人的方案"), ("version", "1")] + rows("roster", 20_000)), built_rows)
    said = f"花名册最多 {MAX_LINES} 行，收到 20000 行"
    if where == "preview":
        assert response.get_json()["errors"][0]["message"] == said
    else:
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and said in page and 'value="很多人的方案"' in page and len(page) < 200_000
    assert response.built == ([] if where == "preview" else ["roster"])


def test_the_row_limit_is_the_engines_and_counts_rows_not_fields():
    assert limits.too_many_rows(MultiDict(rows("personnel", MAX_LINES)), BudgetForm) == []
    many_fields = MultiDict([(f"personnel-{i}-{field}", "1") for i in range(MAX_LINES) for field in ("post", "headcount")])
    assert limits.too_many_rows(many_fields, BudgetForm) == []
    assert limits.too_many_rows(MultiDict(rows("costs", MAX_LINES + 1)), BudgetForm) == [
        f"直接费用最多 {MAX_LINES} 行，收到 {MAX_LINES + 1} 行"]
    odd = MultiDict([("personnel-²-post", "x"), ("personnel-1234567890-post", "y"), ("personnel-x-post", "z")])
    assert limits.too_many_rows(odd, BudgetForm) == []            # no rows, as the form reads them
    assert limits.row_lists(BudgetForm) == ["costs", "personnel"] and limits.row_lists(RosterForm) == ["roster"]


def leaf_fields(field) -> int:
    """The fields a form (or a part of it) posts."""
    if isinstance(field, FormField):
        return leaf_fields(field.form)
    if isinstance(field, FieldList):
        return sum(leaf_fields(entry) for entry in field.entries)
    if isinstance(field, Form):
        return sum(leaf_fields(f) for f in field)
    return 1


def test_the_field_limit_holds_a_full_budget_and_a_full_roster(app):
    with app.test_request_context():
        budget = BudgetForm(formdata=None, data={"personnel": [{}], "costs": [{}]})
        roster = RosterForm(formdata=None, data={"roster": [{}]})
        budget_line = leaf_fields(budget.personnel) + leaf_fields(budget.costs)         # a staff line and a cost line
        others = leaf_fields(budget) - budget_line
        # a roster row has 17 fields since it holds the 证书编号; a staff line and a cost line 23 since the contract
        # over time (起止月份、调薪, a cost's 年度)
        assert (budget_line, leaf_fields(roster.roster)) == (23, 17) and budget_line <= limits.FIELDS_PER_LINE
        assert leaf_fields(roster.roster) <= limits.FIELDS_PER_LINE
        assert MAX_LINES * budget_line + others < limits.MAX_FORM_FIELDS


def test_a_full_budgets_fields_are_read_and_one_more_than_the_limit_is_not(app):
    full = body([(f"f{i}", "") for i in range(limits.MAX_FORM_FIELDS)])
    with app.test_request_context("/", method="POST", data=full, content_type="application/x-www-form-urlencoded") as ctx:
        assert len(ctx.request.form) == limits.MAX_FORM_FIELDS
    over = full + b"&one=more"
    with app.test_request_context("/", method="POST", data=over, content_type="application/x-www-form-urlencoded") as ctx:
        with pytest.raises(RequestEntityTooLarge):
            ctx.request.form        # noqa: B018 (reading it is the test)


def test_a_form_over_the_field_limit_is_shown_again_with_the_limits(app, client):
    w = world.build()
    over = body([("x", "")] * (limits.MAX_FORM_FIELDS + 1))
    log_in(client, "a_prep")
    response = post(client, "/budgets/new", over)
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and limits.too_large_message("空白的表单") in page and 'id="budget-form"' in page
    response = client.post(f"/budgets/{w.budget_a}/edit", data=over, content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and limits.too_large_message("已保存的最新修订") in page and 'value="A 项目"' in page
    answer = client.post("/budgets/preview", data=over, content_type="application/x-www-form-urlencoded").get_json()
    assert answer["ok"] is False and answer["errors"][0]["code"] == "too_large"
    contractor = log_in(app.test_client(), "c_user")
    response = contractor.post(f"/rosters/new?budget={w.budget_a}", data=over, content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and limits.too_large_message("按预算列出的人员") in page and 'name="roster-0-post"' in page
    answer = contractor.post(f"/rosters/preview?budget={w.budget_a}", data=over,
                             content_type="application/x-www-form-urlencoded").get_json()
    assert answer["ok"] is False and answer["errors"][0]["code"] == "too_large"
    # another organisation's budget, or no one signed in: the plain pages, as for any other request
    response = log_in(app.test_client(), "b_prep").post(f"/budgets/{w.budget_a}/edit", data=over,
                                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404
    response = app.test_client().post("/budgets/new", data=over, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "提交的内容过大" in response.get_data(as_text=True)


def test_hostile_roster_files_are_refused_on_the_import_page_saying_where(app, client):
    w = world.build()
    log_in(client, "c_user")
    cases = [
        (workbook(worksheet(HEADER_ROW, person_row(2, '<c r="G{n}"><v> 1.123E99</v></c>'))),      # was a 500
         "第 2 行 G2 单元格：数值「1.123E99」过大（超过 15 位整数），请填写实际的金额、比例或月数"),
        (workbook(worksheet(HEADER_ROW, b'<row r="2">', b"<c/>" * 2_000_000, b"</row>")),
         "文件：第 2 行的单元格超过 16384 个"),
    ]
    for data, said in cases:
        started = time.process_time()
        response = client.post(f"/rosters/import?budget={w.budget_a}", data={"file": (io.BytesIO(data), "花名册.xlsx"),
                                                                              "revision": "1"},
                               content_type="multipart/form-data")
        assert time.process_time() - started < cpu.bound(SECONDS)
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "未导入任何人员" in page and said in page
