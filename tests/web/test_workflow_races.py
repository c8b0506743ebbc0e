"""Two people changing one budget (or one pay proposal) at the same moment, on SQLite as on PostgreSQL: every state
change is one conditional UPDATE whose row count is checked, so exactly one of the two goes through and the other is
refused with a message — never both, never a 500, never a state no single action makes (issue #20)."""
import threading

import pytest
from sqlalchemy import func, select

from costing.accounts import service as accounts
from costing.budgets import service
from costing.models import AuditEntry, Budget, BudgetShare, Roster, User, db
from costing.web import current_parameters

from . import world
from .test_rosters import person, roster_file, upload
from .world import form_fields, log_in, sample

ROUNDS = 10
pytestmark = pytest.mark.commits          # two requests on two connections at once: each must see the other's commit


def at_once(*calls) -> list[int]:
    """Run each call in its own thread, released together; their HTTP statuses."""
    start = threading.Barrier(len(calls))
    statuses = []

    def run(call):
        start.wait()
        statuses.append(call().status_code)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(statuses) == len(calls), "a request did not finish"
    return statuses


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def fresh_budget(round_: int, submitted: bool = False) -> int:
    budget = service.create_budget(user("a_prep"), sample(name=f"第 {round_} 轮"), current_parameters())
    if submitted:
        service.submit(budget, user("a_prep"), 1, confirmed=True)
    db.session.commit()
    return budget.id


def actions(budget_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target == f"budget:{budget_id}",
                                                                   AuditEntry.action != "create")))


def test_submit_and_save_at_once_leave_one_of_them(app):
    world.build()
    preparers = [log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "a_prep2")]
    for round_ in range(ROUNDS):
        budget_id = fresh_budget(round_)
        edit = form_fields(sample(name=f"第 {round_} 轮")) | {"base_revision": "1",
                                                             "personnel-0-monthly_pay": f"{6000 + round_}.00"}
        statuses = at_once(
            lambda: preparers[0].post(f"/budgets/{budget_id}/submit", data={"revision": "1", "confirm": "y"}),
            lambda: preparers[1].post(f"/budgets/{budget_id}/edit", data=edit))
        assert 500 not in statuses, statuses
        db.session.expire_all()
        budget = db.session.get(Budget, budget_id)
        done = actions(budget_id)
        assert sorted(done) in (["submit"], ["save"]), done
        if done == ["submit"]:
            assert budget.status == "submitted" and budget.revision_count == 1
            assert budget.latest.status == "submitted" and budget.latest.submitted_at is not None
        else:
            assert budget.status == "draft" and [r.number for r in budget.revisions] == [1, 2]
            assert all(r.submitted_at is None and r.status == "draft" for r in budget.revisions)


@pytest.mark.parametrize("second", ["approve", "return"])
def test_approve_and_another_decision_at_once_leave_one_of_them(app, second):
    world.build()
    approvers = [log_in(app.test_client(), "a_appr"), log_in(app.test_client(), "a_appr")]
    data = {"approve": {"revision": "1", "confirm": "y"}, "return": {"revision": "1", "reason": "人数不对"}}
    for round_ in range(ROUNDS):
        budget_id = fresh_budget(round_, submitted=True)
        statuses = at_once(lambda: approvers[0].post(f"/budgets/{budget_id}/approve", data=data["approve"]),
                           lambda: approvers[1].post(f"/budgets/{budget_id}/{second}", data=data[second]))
        assert statuses == [302, 302], statuses           # the one refused is told why on the page it returns to
        db.session.expire_all()
        budget = db.session.get(Budget, budget_id)
        done = [a for a in actions(budget_id) if a != "submit"]
        assert done in (["approve"], ["return"]), done
        revision = budget.latest
        if done == ["approve"]:
            assert (budget.status, revision.status) == ("approved", "approved")
            assert revision.approved_at is not None and revision.returned_at is None
        else:
            assert (budget.status, revision.status) == ("draft", "draft")
            assert revision.approved_at is None and revision.return_reason == "人数不对"


def test_two_shares_of_one_revision_at_once_make_one_share_and_no_error(app):
    world.build()
    preparers = [log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "a_prep")]
    contractor = str(world.org_id("同心社工中心"))
    for round_ in range(ROUNDS):
        budget_id = fresh_budget(round_)
        statuses = at_once(*(lambda c=c: c.post(f"/budgets/{budget_id}/share",
                                                data={"contractor": contractor, "revision": "1"}) for c in preparers))
        assert statuses == [302, 302], statuses
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(BudgetShare)
                                 .where(BudgetShare.budget_id == budget_id)) == 1
        assert actions(budget_id) == ["share"]


def test_two_withdrawals_of_one_share_at_once_withdraw_it_once_and_no_error(app):
    world.build()
    preparers = [log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "a_prep")]
    contractor = db.session.get(__import__("costing.models", fromlist=["Organisation"]).Organisation,
                                world.org_id("同心社工中心"))
    for round_ in range(ROUNDS):
        budget_id = fresh_budget(round_)
        service.share(db.session.get(Budget, budget_id), user("a_prep"), contractor, 1)
        db.session.commit()
        share_id = db.session.scalar(select(BudgetShare.id).where(BudgetShare.budget_id == budget_id))
        statuses = at_once(*(lambda c=c: c.post(f"/budgets/{budget_id}/unshare/{share_id}", data={"revision": "1"})
                             for c in preparers))
        assert statuses == [302, 302], statuses
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(BudgetShare)
                                 .where(BudgetShare.budget_id == budget_id)) == 0
        assert actions(budget_id) == ["share", "unshare"]


def test_sharing_a_new_version_and_withdrawing_a_roster_at_once_leave_a_state_one_of_them_made(app):
    w = world.build()
    owners = [log_in(app.test_client(), "c_user"), log_in(app.test_client(), "c_user")]
    for round_ in range(ROUNDS):
        response = upload(owners[0], f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
        roster_id = int(response.location.rstrip("/").split("/")[-1])
        assert owners[0].post(f"/rosters/{roster_id}/share", data={"revision": "1"}).status_code == 302
        upload(owners[0], f"/rosters/{roster_id}/import", roster_file([person(月应发工资="4500.00")]))
        db.session.expire_all()
        assert db.session.get(Roster, roster_id).version == 2
        statuses = at_once(lambda: owners[0].post(f"/rosters/{roster_id}/share", data={"revision": "2"}),
                           lambda: owners[1].post(f"/rosters/{roster_id}/withdraw"))
        assert 500 not in statuses, statuses
        db.session.expire_all()
        item = db.session.get(Roster, roster_id)
        done = list(db.session.execute(select(AuditEntry.action, AuditEntry.detail).where(
            AuditEntry.target == f"roster:{roster_id}", AuditEntry.action.in_(["roster_share", "roster_withdraw"]))
            .order_by(AuditEntry.id)))[1:]          # (after the first share)
        # one of them, or both one after the other (each from what was true when it was made); the state is
        # what the last one made, and a withdrawal names the version it took away
        assert 1 <= len(done) <= 2 and len({a for a, _ in done}) == len(done), done
        if done[-1].action == "roster_share":
            assert item.shared_number == 2 and item.shared.withdrawn_at is None
        else:
            assert item.shared_number is None
            assert all(v.withdrawn_at is not None for v in item.versions if v.shared_at is not None)
            assert done[-1].detail == f"撤回共享的版本 {2 if len(done) == 2 else 1}"


def over_appropriation(round_: int) -> tuple[int, str]:
    """A draft over its appropriation (one error, to be justified): its id and the finding's key."""
    data = sample(name=f"第 {round_} 轮", appropriation="300000.00")
    budget = service.create_budget(user("a_prep"), data, current_parameters())
    db.session.commit()
    (error,) = service.result_of(budget.latest).errors
    return budget.id, error.key


def test_two_justifications_of_one_error_at_once_keep_one_and_no_error(app):
    world.build()
    preparers = [log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "a_prep2")]
    for round_ in range(ROUNDS):
        budget_id, key = over_appropriation(round_)
        statuses = at_once(*(lambda c=c, i=i: c.post(f"/budgets/{budget_id}/exceptions",
                                                     data={"revision": "1", f"exception-{key}": f"理由 {i}"})
                             for i, c in enumerate(preparers)))
        assert statuses == [302, 302], statuses
        db.session.expire_all()
        budget = db.session.get(Budget, budget_id)
        # one, or both one after the other (each from what was true when it was made): one 例外说明, the last one's
        assert len(budget.latest.exceptions) == 1 and actions(budget_id) in (["justify"], ["justify", "justify"])


def test_clearing_a_justification_and_submitting_at_once_never_submit_an_unexplained_error(app):
    world.build()
    preparers = [log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "a_prep2")]
    for round_ in range(ROUNDS):
        budget_id, key = over_appropriation(round_)
        service.justify(db.session.get(Budget, budget_id), user("a_prep"), {key: "经区财政局同意"}, 1)
        db.session.commit()
        statuses = at_once(
            lambda: preparers[0].post(f"/budgets/{budget_id}/exceptions", data={"revision": "1", f"exception-{key}": ""}),
            lambda: preparers[1].post(f"/budgets/{budget_id}/submit", data={"revision": "1", "confirm": "y"}))
        assert 500 not in statuses, statuses
        db.session.expire_all()
        budget = db.session.get(Budget, budget_id)
        done = [a for a in actions(budget_id) if a != "justify"] + (
            ["cleared"] if not budget.latest.exceptions else [])
        assert done in (["submit"], ["cleared"]), done
        if budget.status == "submitted":
            assert len(budget.latest.exceptions) == 1          # submitted with its error explained


def test_two_administrators_deactivated_at_once_leave_two_who_can_sign_in(app):
    """Three administrators; one deactivates the third while the third deactivates the second. Each alone leaves
    two, both together would leave one: exactly one goes through (SQLite has no row locks to make them wait)."""
    world.build()
    for round_ in range(ROUNDS):
        third = accounts.create_user(f"admin.r{round_}", "第三位管理员", world.PASSWORD, user("admin").organisation,
                                     "approver", is_admin=True)
        db.session.commit()
        first, other = log_in(app.test_client(), "admin"), log_in(app.test_client(), third.username)
        third_id, second_id = third.id, user("admin2").id
        statuses = at_once(lambda: first.post(f"/admin/users/{third_id}/deactivate"),
                           lambda: other.post(f"/admin/users/{second_id}/deactivate"))
        assert 500 not in statuses and 503 not in statuses, statuses
        db.session.expire_all()
        left = db.session.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True),
                                                                              User.active.is_(True)))
        assert left == 2, (round_, left)
        if not user("admin2").active:                 # the second went: bring it back for the next round
            user("admin2").active = True
            db.session.get(User, third_id).active = False
            db.session.commit()
