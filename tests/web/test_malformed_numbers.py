"""A revision or version number a form posts that is no number (``revision=abc``) is refused before anything
changes, with a Chinese message, exactly as a stale number is; it never lets the action skip the check."""
import io

import pytest
from sqlalchemy import func, select

from costing.models import Budget, Revision, Roster, db
from costing.web import small_int
from costing.web.forms import MalformedNumber, seen_number

from . import world
from .test_rosters import person, roster_file
from .world import form_fields, log_in, sample

MALFORMED = ["abc", "", " 1", "1 ", "1\n", "1.0", "-1", "+1", "1e0", "²", "１", "1" * 10, "0x1"]
SAID = "页面提交的修订号无效"


@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_number_is_refused_not_taken_as_none(value):
    with pytest.raises(MalformedNumber, match="无效"):
        seen_number(value)
    assert seen_number(None) is None and seen_number("12") == 12 and small_int("1\n") is None


def _submitted(app, client):
    w = world.build()
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/submit", data={"revision": "1", "confirm": "y"})
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    return w, log_in(app.test_client(), "a_appr")


@pytest.mark.parametrize("value", ["abc", "", "1.0", "１"])
def test_approving_with_a_malformed_revision_leaves_the_budget_unapproved(app, client, value):
    w, approver = _submitted(app, client)
    response = approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": value, "confirm": "y"})
    assert response.status_code == 400 and SAID in response.get_data(as_text=True)
    assert f'href="/budgets/{w.budget_a}">返回预算' in response.get_data(as_text=True)
    db.session.expire_all()
    budget = db.session.get(Budget, w.budget_a)
    assert budget.status == "submitted" and budget.latest.approved_at is None
    # the number on the page goes through
    approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, w.budget_a).status == "approved"


def test_returning_with_a_malformed_revision_changes_nothing(app, client):
    w, approver = _submitted(app, client)
    response = approver.post(f"/budgets/{w.budget_a}/return", data={"revision": "abc", "reason": "督导费偏高"},
                             follow_redirects=True)
    assert SAID in response.get_data(as_text=True)
    db.session.expire_all()
    budget = db.session.get(Budget, w.budget_a)
    assert budget.status == "submitted" and budget.latest.return_reason is None


@pytest.mark.parametrize("action", ["submit", "recompute", "exceptions", "duplicate", "delete"])
def test_every_action_refuses_a_malformed_revision_before_it_changes_anything(app, client, action):
    w = world.build()
    log_in(client, "a_prep")
    budgets = db.session.scalar(select(func.count()).select_from(Budget))
    response = client.post(f"/budgets/{w.budget_a}/{action}", data={"revision": "abc", "confirm": "y"},
                           follow_redirects=True)
    assert SAID in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Budget, w.budget_a).status == "draft"
    assert db.session.scalar(select(func.count()).select_from(Budget)) == budgets


def test_saving_the_budget_form_with_a_malformed_base_revision_keeps_the_input_and_saves_nothing(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {"base_revision": "abc", "personnel-0-monthly_pay": "6543.21"}
    response = client.post(f"/budgets/{w.budget_a}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and SAID in page and 'value="6543.21"' in page
    assert db.session.scalar(select(func.count()).select_from(Revision).where(Revision.budget_id == w.budget_a)) == 1


def _roster(w, contractor):
    response = contractor.post(f"/rosters/import?budget={w.budget_a}",
                               data={"file": (io.BytesIO(roster_file([person()])), "花名册.xlsx"), "revision": "1"},
                               content_type="multipart/form-data")
    assert response.status_code == 302
    return int(response.location.rstrip("/").split("/")[-1])


def test_roster_actions_refuse_a_malformed_version(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _roster(w, contractor)
    said = "页面提交的版本号无效"
    # sharing
    response = contractor.post(f"/rosters/{roster_id}/share", data={"revision": "abc"}, follow_redirects=True)
    assert said in response.get_data(as_text=True)
    assert db.session.get(Roster, roster_id).shared_number is None
    # importing a file over it
    response = contractor.post(f"/rosters/{roster_id}/import", data={
        "version": "abc", "revision": "1", "file": (io.BytesIO(roster_file([person(**{"月应发工资": "4700.00"})])), "a.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and said in response.get_data(as_text=True)
    # saving the page
    fields = {"name": "方案", "version": "1x", "revision": "1", "roster-0-id": "A1", "roster-0-post": "社会工作者",
              "roster-0-level": "junior", "roster-0-certificate": "assistant_social_worker",
              "roster-0-monthly_pay": "4999.00"}
    response = contractor.post(f"/rosters/{roster_id}/edit", data=fields)
    assert response.status_code == 400 and said in response.get_data(as_text=True)
    assert 'value="4999.00"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Roster, roster_id).version == 1
