"""The contract over time on the page (issue #23): a post's months and pay steps edited on its row, a cost's year, each
year's appropriation; the page, the API and the 明细表 read them alike, and the budget page shows the years."""
from __future__ import annotations

import io
import json
from copy import deepcopy
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from costing.budgets import service
from costing.engine.budget import compute
from costing.engine.parameters import default_parameters
from costing.engine.parse import parse_budget
from costing.engine.result import to_json
from costing.models import Budget, User, db
from costing.results.budget import BudgetResult
from costing.results.compare import compare
from costing.web import current_parameters

from . import world
from .test_big_budget import upload
from .world import form_fields, log_in, page_form, sample


def over_two_years() -> dict:
    data = sample(start="2027-01", end="2028-12", appropriation_by_year={"2027": "400000.00", "2028": "420000.00"})
    data["project"].pop("appropriation", None)
    data["personnel"][0]["pay_changes"] = [{"from": "2028-01", "monthly_pay": "6200.00"}]
    data["personnel"][1] |= {"start": "2027-04"}
    data["personnel"][2].pop("months", None)
    data["personnel"][2] |= {"start": "2027-07", "end": "2027-12"}
    data["costs"][0]["year"] = 2028
    return data


def posted(data: dict) -> dict:
    """What the page posts for ``data``: the lists typed in one field as people type them."""
    plain = json.loads(json.dumps(data))
    fields = {}
    for index, line in enumerate(plain["personnel"]):
        steps = line.pop("pay_changes", None)
        if steps:
            fields[f"personnel-{index}-pay_changes"] = "；".join(f"{s['from']} {s['monthly_pay']}" for s in steps)
    years = plain["project"].pop("appropriation_by_year", None)
    if years:
        fields["project-appropriation_by_year"] = "；".join(f"{y}: {a}" for y, a in years.items())
    return form_fields(plain) | fields


def test_a_budget_over_two_years_saved_from_the_page_is_the_apis(app, client):
    world.build()
    preparer = log_in(client, "a_prep")
    response = preparer.post("/budgets/new", data=posted(over_two_years()))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    budget = db.session.scalar(select(Budget).order_by(Budget.id.desc()).limit(1))
    stored = service.input_of(budget.latest)
    assert stored["personnel"][0]["pay_changes"] == [{"from": "2028-01", "monthly_pay": "6200.00"}]
    assert stored["personnel"][1]["start"] == "2027-04" and stored["personnel"][2]["end"] == "2027-12"
    assert stored["project"]["appropriation_by_year"] == {"2027": "400000.00", "2028": "420000.00"}
    assert stored["costs"][0]["year"] == 2028
    # the same as the API computes it
    api = preparer.post("/api/v1/compute", json=over_two_years()).get_json()
    assert Decimal(api["totals"]["grand_total"]) == service.result_of(budget.latest).totals.grand_total
    assert [y["year"] for y in api["by_year"]] == [2027, 2028]

    page = preparer.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "分年度预算" in page and "2027 年度" in page and "2028-01 起月工资 6,200.00 元" in page
    assert "2027-04 至 2028-12（21 个月）" in page and "（2028 年度）" in page

    # the edit page shows what was typed, and posting it unchanged makes no new revision
    edit = preparer.get(f"/budgets/{budget.id}/edit").get_data(as_text=True)
    fields = page_form(edit, "budget-form")
    assert fields["personnel-0-pay_changes"] == "2028-01 6200.00"
    assert fields["project-appropriation_by_year"] == "2027 400000.00；2028 420000.00"
    assert fields["costs-0-year"] == "2028"
    preparer.post(f"/budgets/{budget.id}/edit", data=fields)
    db.session.expire_all()
    assert db.session.get(Budget, budget.id).revision_count == 1


def test_a_wrong_step_is_said_at_its_field_and_keeps_what_was_typed(app, client):
    world.build()
    before = db.session.scalar(select(func.count()).select_from(Budget))
    preparer = log_in(client, "a_prep")
    fields = posted(over_two_years()) | {"personnel-0-pay_changes": "2028-01 6200；2027-06 abc",
                                         "project-appropriation_by_year": "2026 100000"}
    response = preparer.post("/budgets/new", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "第 2 项的月份：调整月份 2027-06 须晚于上一次调整的月份 2028-01" in page
    assert "2026 年：2026 年不在项目期限内（2027–2028 年）" in page
    assert 'value="2028-01 6200；2027-06 abc"' in page
    assert db.session.scalar(select(func.count()).select_from(Budget)) == before
    # the live preview says it at the same field
    body = preparer.post("/budgets/preview", data=fields).get_json()
    found = {p["field"]: p["message"] for p in body["errors"]}
    assert "第 2 项的月份" in found.get("personnel-0-pay_changes", ""), body


def test_the_live_preview_gives_each_years_total(app, client):
    world.build()
    preparer = log_in(client, "a_prep")
    body = preparer.post("/budgets/preview", data=posted(over_two_years())).get_json()
    assert body["totals"]["years"].startswith("2027 年度 ") and " · 2028 年度 " in body["totals"]["years"]
    user = db.session.scalar(select(User).where(User.username == "a_prep"))
    budget = service.create_budget(user, over_two_years(), current_parameters())
    result = json.loads(budget.latest.result_json)
    shown = " · ".join(f"{y['year']} 年度 {float(y['grand_total']):,.2f} 元" for y in result["by_year"])
    assert body["totals"]["years"] == shown


def test_the_lines_workbook_carries_months_steps_and_years_and_reads_a_month_typed_as_a_date(app, client):
    world.build()
    preparer = log_in(client, "a_prep")
    user = db.session.scalar(select(User).where(User.username == "a_prep"))
    budget = service.create_budget(user, over_two_years(), current_parameters())
    db.session.commit()
    content = preparer.get(f"/budgets/{budget.id}/lines.xlsx?revision=1").data
    book = load_workbook(io.BytesIO(content))
    people = book["人员"]
    headers = [c.value for c in people[1]]
    row = dict(zip(headers, [c.value for c in people[2]]))
    assert row["调薪"] == "2028-01 6200.00"
    second = dict(zip(headers, [c.value for c in people[3]]))
    assert second["在岗起始月份"] == "2027-04"
    costs = book["直接费用"]
    assert [c.value for c in costs[1]][-1] == "年度" and costs["F2"].value == 2028
    # a person types 2027-05 into Excel: it becomes a date (a number shown as a month)
    people.cell(row=3, column=headers.index("在岗起始月份") + 1).value = 46508          # 2027-05-01
    people.cell(row=3, column=headers.index("在岗起始月份") + 1).number_format = "yyyy-mm"
    people.cell(row=2, column=headers.index("调薪") + 1).value = "2028-01 6300；2028-07 6400"
    out = io.BytesIO()
    book.save(out)
    fields = page_form(preparer.get(f"/budgets/{budget.id}/edit").get_data(as_text=True), "budget-form")
    response = upload(preparer, f"/budgets/{budget.id}/edit", fields, out.getvalue())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    stored = service.input_of(db.session.get(Budget, budget.id).latest)
    assert stored["personnel"][1]["start"] == "2027-05"
    assert stored["personnel"][0]["pay_changes"] == [{"from": "2028-01", "monthly_pay": "6300.00"},
                                                    {"from": "2028-07", "monthly_pay": "6400.00"}]


def test_a_revisions_history_says_a_changed_step_year_or_appropriation_as_typed():
    params = default_parameters()
    before = over_two_years()
    after = deepcopy(before)
    after["personnel"][0]["pay_changes"].append({"from": "2028-07", "monthly_pay": "6400.00"})
    after["project"]["appropriation_by_year"]["2028"] = "450000.00"
    after["costs"][0]["year"] = 2027

    def result(data):
        return BudgetResult(to_json(compute(parse_budget(data, params), params)))
    changed = compare(before, result(before), after, result(after))
    assert changed.project == [("各年度预算控制数", "2027 400000.00；2028 420000.00", "2027 400000.00；2028 450000.00")]
    assert changed.personnel[0].fields == (("调薪", "2028-01 6200.00", "2028-01 6200.00；2028-07 6400.00"),)
    assert changed.costs[0].fields == (("年度", "2028", "2027"),)
