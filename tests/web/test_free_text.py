"""Free text (a revision's note, a return reason, a 例外说明, a parameter's source and notes) is under the same text rule as names: a character that
is invisible or turns the text around is refused where it comes in, saying which, and nothing is saved; line breaks
stay allowed (issue #20: a U+202E in a 例外说明 printed the app's own attribution backwards on an approved PDF)."""
import pytest
from sqlalchemy import func, select

from costing.engine.text import free_text_problem
from costing.models import Budget, ParamValue, Revision, RevisionException, db

from . import world
from .test_exceptions import JUSTIFICATION, over_budget
from .test_parameters import NEW_BASE
from .world import form_fields, log_in, sample

RLO = "\u202e"
SAID = "含有不可见或改变文字方向的字符（U+202E）"


def test_free_text_may_break_lines_but_not_turn_around():
    assert free_text_problem("第一行\n第二行\r\n\t第三行") is None
    assert free_text_problem(f"按此执行{RLO}80-21-6202") == f"{SAID}，请删除后重新输入"
    assert free_text_problem("零宽\u200b空格") == "含有不可见或改变文字方向的字符（U+200B），请删除后重新输入"


def test_a_note_with_a_direction_override_is_refused_at_its_field_and_the_form_kept(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6543.21",
                                                 "note": f"调整{RLO}工资"}
    response = client.post(f"/budgets/{w.budget_a}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and SAID in page and 'value="6543.21"' in page
    assert db.session.scalar(select(func.count()).select_from(Revision).where(Revision.budget_id == w.budget_a)) == 1


def test_a_return_reason_or_a_justification_with_one_is_refused_and_nothing_changes(app, client):
    w = world.build()
    preparer, error = over_budget(app, w)
    response = preparer.post(f"/budgets/{w.budget_a}/exceptions",
                             data={"revision": "2", f"exception-{error.key}": JUSTIFICATION + RLO + "（张敏）"},
                             follow_redirects=True)
    assert SAID in response.get_data(as_text=True) and "例外说明未保存" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RevisionException)) == 0
    preparer.post(f"/budgets/{w.budget_a}/exceptions", data={"revision": "2", f"exception-{error.key}": JUSTIFICATION})
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"revision": "2", "confirm": "y"})
    approver = log_in(app.test_client(), "a_appr")
    response = approver.post(f"/budgets/{w.budget_a}/return", data={"revision": "2", "reason": f"人数{RLO}不对"},
                             follow_redirects=True)
    assert SAID in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    # a reason on two lines is a reason
    approver.post(f"/budgets/{w.budget_a}/return", data={"revision": "2", "reason": "人数不对\n督导费偏高"})
    db.session.expire_all()
    assert db.session.get(Budget, w.budget_a).latest.return_reason == "人数不对\n督导费偏高"


@pytest.mark.parametrize("field", ["doc_no", "title", "issuer", "note", "source_note"])
def test_a_parameter_source_or_note_with_one_is_refused_at_its_field(app, client, field):
    world.build()
    admin = log_in(client, "admin")
    response = admin.post("/admin/parameters/family/si.base_floor",
                          data=NEW_BASE | {field: (NEW_BASE.get(field) or "说明") + RLO + "2026"})
    assert response.status_code == 400 and SAID in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ParamValue).where(ParamValue.origin == "admin")) == 0


def test_a_rejection_reason_with_one_is_refused(app, client):
    world.build()
    log_in(client, "admin").post("/admin/parameters/family/si.base_floor", data=NEW_BASE)
    row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    other = log_in(app.test_client(), "admin2")
    other.post(f"/admin/parameters/values/{row.id}/reject", data={"reason": f"与原文{RLO}不符"})
    db.session.refresh(row)
    assert row.status == "pending"
