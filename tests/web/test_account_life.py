"""An account's life: administrators made by two administrators, sessions that end everywhere at once
(sign-out, a new password, a reset, deactivation), passwords set by their owner, deactivation."""
import re

import pytest
from sqlalchemy import select

from costing.accounts import service
from costing.models import AuditEntry, Budget, ParamValue, User, db

from . import world
from .test_parameters import NEW_BASE
from .world import PASSWORD, log_in

NEW_PASSWORD = "another-horse-42"


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def reset(admin, name: str):
    """An administrator's 重置密码 as the users page posts it (with the user's session version it was shown)."""
    return admin.post(f"/admin/users/{user(name).id}/reset-password", data={"seen": str(user(name).session_version)})


def text(response) -> str:
    return response.get_data(as_text=True)


def flashed(client) -> str:
    """What the administrators' page says after an action."""
    return text(client.get("/admin/users"))


def copy_of(app, client):
    """A second browser holding a copy of this one's session cookie (as taken before some event)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def submitted(app, w) -> None:
    log_in(app.test_client(), "a_prep").post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"})
    assert db.session.get(Budget, w.budget_a).status == "submitted"


# ------------------------------------------------------------------ two administrators make an administrator

def test_one_administrator_cannot_make_an_administrator_alone(app, client):
    w = world.build()
    proposer = log_in(client, "admin")
    bureau = user("admin").organisation_id
    response = proposer.post("/admin/users", data={
        "username": "x.admin", "display_name": "新管理员", "password": "first-pass-2026", "organisation": bureau,
        "role": "approver", "is_admin": "y"})
    assert response.status_code == 302
    x = user("x.admin")
    assert not x.is_admin and x.admin_proposed_by_id == w.users["admin"]
    assert "须另一位管理员确认" in flashed(proposer)

    # the proposed administrator has no administrator's rights: no pages, no confirming the proposer's figures
    newcomer = app.test_client()
    newcomer.environ_base["REMOTE_ADDR"] = "10.20.0.8"           # the newcomer's own computer
    log_in(newcomer, "x.admin", "first-pass-2026")
    newcomer.post("/account/password", data={"current": "first-pass-2026", "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert newcomer.get("/budgets/").status_code == 200
    assert proposer.post("/admin/parameters/family/si.base_floor", data=NEW_BASE).status_code == 302
    figure = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin"))
    for path in ("/admin/users", "/admin/parameters/", "/admin/audit"):
        assert newcomer.get(path).status_code == 403, path
    assert newcomer.post(f"/admin/parameters/values/{figure.id}/confirm").status_code == 403
    assert newcomer.post(f"/admin/users/{x.id}/confirm-admin").status_code == 403
    db.session.refresh(figure)
    assert figure.status == "pending"

    # the proposer cannot confirm their own proposal
    proposer.post(f"/admin/users/{x.id}/confirm-admin")
    assert "提议人不能自己确认" in flashed(proposer)
    assert not user("x.admin").is_admin

    # a different administrator can
    other = log_in(app.test_client(), "admin2")
    page = text(other.get("/admin/users"))
    assert "待确认的管理员" in page and f'/admin/users/{x.id}/confirm-admin' in page
    assert "来自 10.20.0.8" in page and "设置，不能确认" not in page
    assert other.post(f"/admin/users/{x.id}/confirm-admin").status_code == 302
    assert user("x.admin").is_admin and user("x.admin").admin_proposed_by_id is None
    assert newcomer.get("/admin/users").status_code == 200

    entries = [(e.action, e.user.username, e.target) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("admin_%")).order_by(AuditEntry.id))]
    assert entries == [("admin_propose", "admin", f"user:{x.id}"), ("admin_confirm", "admin2", f"user:{x.id}")]
    audit = text(other.get("/admin/audit"))
    assert "提议设为管理员" in audit and "确认设为管理员" in audit and "提议人 admin" in audit


def test_raising_an_existing_user_waits_for_a_second_administrator_and_can_be_withdrawn_or_rejected(app, client):
    w = world.build()
    proposer = log_in(client, "admin")
    other = log_in(app.test_client(), "admin2")
    target = w.users["a_appr"]
    assert proposer.post(f"/admin/users/{target}/propose-admin").status_code == 302
    assert user("a_appr").admin_pending and not user("a_appr").is_admin
    approver = log_in(app.test_client(), "a_appr")
    assert approver.get("/admin/users").status_code == 403
    # proposed twice: refused
    proposer.post(f"/admin/users/{target}/propose-admin")
    assert "已在等待确认为管理员" in flashed(proposer)
    # withdrawn by the proposer
    proposer.post(f"/admin/users/{target}/cancel-admin")
    assert not user("a_appr").admin_pending
    # proposed again, rejected by the other administrator
    proposer.post(f"/admin/users/{target}/propose-admin")
    other.post(f"/admin/users/{target}/cancel-admin")
    assert not user("a_appr").admin_pending and not user("a_appr").is_admin
    other.post(f"/admin/users/{target}/confirm-admin")
    assert "没有待确认的管理员提议" in flashed(other)
    actions = [(e.action, e.user.username) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("admin_%")).order_by(AuditEntry.id))]
    assert actions == [("admin_propose", "admin"), ("admin_withdraw", "admin"), ("admin_propose", "admin"),
                       ("admin_reject", "admin2")]


def test_an_administrator_proposed_with_a_password_the_proposer_set_is_confirmed_only_after_setting_their_own(app, client):
    world.build()
    proposer = log_in(client, "admin")
    proposer.post("/admin/users", data={"username": "y.admin", "display_name": "Y", "password": "first-pass-2026",
                                        "organisation": user("admin").organisation_id, "role": "approver",
                                        "is_admin": "y"})
    other = log_in(app.test_client(), "admin2")
    other.post(f"/admin/users/{user('y.admin').id}/confirm-admin")
    assert "须等本人登录并设置自己的密码后再确认" in flashed(other)
    assert not user("y.admin").is_admin


def test_the_command_line_still_makes_the_first_administrator_at_once(app):
    result = app.test_cli_runner().invoke(args=["costing", "create-admin", "--username", "first",
                                                "--password", "opening-day-2026"])
    assert result.exit_code == 0, result.output
    assert user("first").is_admin and not user("first").must_change_password


# ------------------------------------------------------------------ a copied cookie is signed out with its user

def _sign_out(app, victim, w):
    victim.post("/logout")


def _change_password(app, victim, w):
    response = victim.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert response.status_code == 302
    assert victim.get(f"/budgets/{w.budget_a}").status_code == 200      # this browser goes on


def _reset(app, victim, w):
    admin = log_in(app.test_client(), "admin")
    assert reset(admin, "a_appr").status_code == 200


def _deactivate(app, victim, w):
    admin = log_in(app.test_client(), "admin")
    assert admin.post(f"/admin/users/{w.users['a_appr']}/deactivate").status_code == 302


@pytest.mark.parametrize("event", [_sign_out, _change_password, _reset, _deactivate],
                         ids=["sign-out", "password-change", "reset", "deactivation"])
def test_a_copied_session_cookie_is_signed_out_after(app, client, event):
    w = world.build()
    submitted(app, w)
    victim = log_in(client, "a_appr")
    thief = copy_of(app, victim)
    assert thief.get(f"/budgets/{w.budget_a}").status_code == 200        # the copy works until then
    event(app, victim, w)
    page = thief.get(f"/budgets/{w.budget_a}")
    assert page.status_code == 302 and "/login" in page.location
    refused = thief.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"})
    assert refused.status_code == 302 and "/login" in refused.location
    assert db.session.get(Budget, w.budget_a).status == "submitted"


def test_signing_out_ends_the_sessions_on_every_browser(app, client):
    world.build()
    office, home = log_in(client, "a_prep"), log_in(app.test_client(), "a_prep")
    office.post("/logout")
    assert home.get("/budgets/").status_code == 302
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))][-1] == "sign_out"


def test_a_session_from_before_session_versions_is_signed_out(app, client):
    w = world.build()
    with client.session_transaction() as session:
        session["_user_id"] = str(w.users["a_prep"])        # as sessions were kept before (no version)
        session["_fresh"] = True
    assert client.get("/budgets/").status_code == 302
    for token in ("", ".", "1.", ".1", "x.1", "1.x", "1.1.1", "².1", "99999999999.1"):
        assert service.session_user(token) is None, token


# ------------------------------------------------------------------ passwords

def test_changing_ones_password_needs_the_current_one_and_the_new_one_twice(app, client):
    w = world.build()
    log_in(client, "a_prep")
    assert "修改密码" in text(client.get("/budgets/"))
    cases = [({"current": "wrong-one-1", "new": NEW_PASSWORD, "again": NEW_PASSWORD}, "当前密码不正确"),
             ({"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD + "x"}, "两次输入的新密码不一致"),
             ({"current": PASSWORD, "new": "short-1", "again": "short-1"}, "10–128 个字符"),
             ({"current": PASSWORD, "new": "onlyletters-here", "again": "onlyletters-here"}, "至少含一个字母和一个数字"),
             ({"current": PASSWORD, "new": "my-a_prep-2026", "again": "my-a_prep-2026"}, "不能包含用户名")]
    for data, message in cases:
        response = client.post("/account/password", data=data)
        assert response.status_code == 400 and message in text(response), message
    assert client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                   "again": NEW_PASSWORD}).status_code == 302
    assert user("a_prep").check_password(NEW_PASSWORD) and user("a_prep").password_changed_at is not None
    client.post("/logout")
    assert app.test_client().post("/login", data={"username": "a_prep", "password": PASSWORD}).status_code == 401
    log_in(app.test_client(), "a_prep", NEW_PASSWORD)
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.user_id == w.users["a_prep"])
                                                    .order_by(AuditEntry.id)) if e.action in service.ACTIONS
               and e.action.startswith(("sign_", "password_"))]
    assert actions == ["sign_in", "sign_in_failed", "password_change", "sign_out", "sign_in_failed", "sign_in"]


def test_a_reset_password_must_be_replaced_at_the_next_sign_in_before_anything_else(app, client):
    w = world.build()
    submitted(app, w)
    admin = log_in(client, "admin")
    response = reset(admin, "a_appr")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'<code class="temp-password">([^<]+)</code>', text(response)).group(1)
    assert user("a_appr").must_change_password
    assert app.test_client().post("/login", data={"username": "a_appr", "password": PASSWORD}).status_code == 401

    approver = app.test_client()
    response = approver.post("/login?next=/budgets/", data={"username": "a_appr", "password": temporary})
    assert response.status_code == 302 and response.location.startswith("/account/password")
    for path in ("/budgets/", f"/budgets/{w.budget_a}", "/rosters/"):
        answer = approver.get(path)
        assert answer.status_code == 302 and answer.location == "/account/password", path
    refused = approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"})
    assert refused.status_code == 302 and refused.location == "/account/password"
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    assert "请先设置自己的新密码" in text(approver.get("/account/password"))

    assert approver.post("/account/password", data={"current": temporary, "new": NEW_PASSWORD,
                                                    "again": NEW_PASSWORD}).status_code == 302
    assert not user("a_appr").must_change_password
    assert approver.get(f"/budgets/{w.budget_a}").status_code == 200
    assert approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"}).status_code == 302
    assert db.session.get(Budget, w.budget_a).status == "approved"
    audit = text(admin.get("/admin/audit"))
    assert "重置密码" in audit and "修改密码" in audit


def test_a_user_made_on_the_page_sets_their_own_password_first(app, client):
    world.build()
    admin = log_in(client, "admin")
    org = user("a_prep").organisation_id
    response = admin.post("/admin/users", data={"username": "new.one", "display_name": "新人", "password": "short",
                                                "organisation": org, "role": "preparer"})
    assert response.status_code == 400 and "10–128 个字符" in text(response)
    admin.post("/admin/users", data={"username": "new.one", "display_name": "新人", "password": "first-pass-2026",
                                     "organisation": org, "role": "preparer"})
    newcomer = app.test_client()
    assert newcomer.post("/login", data={"username": "new.one", "password": "first-pass-2026"}).location \
        .startswith("/account/password")
    assert newcomer.get("/budgets/").location == "/account/password"


def test_an_administrators_password_is_not_reset_by_another_administrator(app, client):
    w = world.build()
    admin = log_in(client, "admin")
    reset(admin, "admin2")
    assert "管理员的密码不能由另一位管理员重置" in flashed(admin)
    assert user("admin2").check_password(PASSWORD) and not user("admin2").must_change_password
    admin.post(f"/admin/users/{w.users['a_prep']}/propose-admin")     # nor a proposed one's
    reset(admin, "a_prep")
    assert user("a_prep").check_password(PASSWORD)
    reset(admin, "admin")
    assert "自己的密码请在「修改密码」中修改" in flashed(admin)


def test_the_command_line_resets_any_password(app):
    w = world.build()
    result = app.test_cli_runner().invoke(args=["costing", "reset-password", "--username", "admin2",
                                                "--password", "operator-set-77"])
    assert result.exit_code == 0, result.output
    assert user("admin2").check_password("operator-set-77") and user("admin2").must_change_password
    assert user("admin2").session_version == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password_reset"))
    assert entry.target == f"user:{w.users['admin2']}" and "命令行" in entry.detail
    result = app.test_cli_runner().invoke(args=["costing", "reset-password", "--username", "admin2",
                                                "--password", "short"])
    assert result.exit_code != 0 and "10–128 个字符" in result.output


# ------------------------------------------------------------------ deactivation

def test_a_deactivated_user_cannot_sign_in_until_reactivated(app, client):
    w = world.build()
    admin = log_in(client, "admin")
    assert admin.post(f"/admin/users/{w.users['a_prep']}/deactivate").status_code == 302
    assert not user("a_prep").active
    response = app.test_client().post("/login", data={"username": "a_prep", "password": PASSWORD})
    assert response.status_code == 401 and "用户名或密码不正确" in text(response)
    assert "停用" in flashed(admin)
    admin.post(f"/admin/users/{w.users['a_prep']}/reactivate")
    log_in(app.test_client(), "a_prep")
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target == f"user:{w.users['a_prep']}")
                                                    .order_by(AuditEntry.id))]
    assert actions == ["deactivate", "sign_in_failed", "reactivate", "sign_in"]
    audit = text(admin.get("/admin/audit"))
    assert "停用用户" in audit and "启用用户" in audit


def test_nobody_deactivates_themselves_or_leaves_fewer_than_two_administrators(app, client):
    w = world.build()
    admin = log_in(client, "admin")
    admin.post(f"/admin/users/{w.users['admin']}/deactivate")
    assert "不能停用自己的账号" in flashed(admin) and user("admin").active
    # two administrators: neither may go, or the two-person rule could not run
    admin.post(f"/admin/users/{w.users['admin2']}/deactivate")
    assert "不能停用管理员 admin2：之后在用的管理员只剩admin（1 位）" in flashed(admin) and user("admin2").active
    # with a third, one may go; then no other
    service.create_user("admin3", "第三位管理员", PASSWORD, user("admin").organisation, "approver", is_admin=True)
    db.session.commit()
    assert admin.post(f"/admin/users/{w.users['admin2']}/deactivate").status_code == 302
    assert not user("admin2").active
    # a proposed administrator is no administrator: it does not count
    admin.post(f"/admin/users/{w.users['a_appr']}/propose-admin")
    admin.post(f"/admin/users/{user('admin3').id}/deactivate")
    assert "只剩admin（1 位）" in flashed(admin) and user("admin3").active
    # asked by someone whose own deactivation has just been committed (two administrators at once) it is refused too
    with pytest.raises(service.AccountError, match="之后在用的管理员只剩"):
        service.deactivate(user("admin2"), user("admin"))
    db.session.rollback()
    assert user("admin").active
    # reactivating asks first
    assert "启用 admin2（复核管理员）？" in text(admin.get("/admin/users"))


def test_the_users_page_offers_each_action_with_a_token(app, client):
    w = world.build()
    log_in(client, "admin")
    app.config["WTF_CSRF_ENABLED"] = True          # the test app turns it off; production never does
    for path in (f"/admin/users/{w.users['a_prep']}/deactivate", f"/admin/users/{w.users['a_prep']}/reset-password",
                 f"/admin/users/{w.users['a_prep']}/propose-admin", "/account/password"):
        assert client.post(path).status_code == 400, path
    assert user("a_prep").active and not user("a_prep").admin_pending
    page = text(client.get("/admin/users"))
    assert page.count('name="csrf_token"') >= 3 * 6
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0] and " style=" not in page


def test_a_reset_sent_again_by_reloading_its_page_gives_no_second_temporary_password(app, client):
    w = world.build()
    admin = log_in(client, "admin")
    seen = str(user("a_appr").session_version)
    first = admin.post(f"/admin/users/{w.users['a_appr']}/reset-password", data={"seen": seen})
    temporary = re.search(r'<code class="temp-password">([^<]+)</code>', text(first)).group(1)
    again = admin.post(f"/admin/users/{w.users['a_appr']}/reset-password", data={"seen": seen})     # the reload
    assert again.status_code == 302 and "临时密码只显示一次" in flashed(admin)
    resets = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "password_reset")).all()
    assert len(resets) == 1
    assert app.test_client().post("/login", data={"username": "a_appr", "password": temporary}).status_code == 302
    assert admin.post(f"/admin/users/{w.users['a_prep']}/reset-password").status_code == 302   # no version: refused
    assert not user("a_prep").must_change_password


def test_a_contractors_user_cannot_be_proposed_as_administrator(app, client):
    w = world.build()
    contractor = next(name for name in w.users if user(name).organisation.kind == "contractor")
    admin = log_in(client, "admin")
    assert f'/admin/users/{w.users[contractor]}/propose-admin"' not in text(admin.get("/admin/users"))
    admin.post(f"/admin/users/{w.users[contractor]}/propose-admin")
    assert "承接主体的用户不能设为管理员" in flashed(admin)
    assert not user(contractor).admin_pending
    created = admin.post("/admin/users", data={"username": "c_new", "display_name": "新同事", "password": "abcdefgh123",
                                                "organisation": str(user(contractor).organisation_id),
                                                "role": "preparer", "is_admin": "y"})
    assert created.status_code == 400 and "承接主体的用户不能设为管理员" in text(created)
    assert service.find_user("c_new") is None


def _proposed_newcomer(proposer) -> User:
    bureau = user("admin").organisation_id
    assert proposer.post("/admin/users", data={
        "username": "x.admin", "display_name": "新管理员", "password": "first-pass-2026", "organisation": bureau,
        "role": "approver", "is_admin": "y"}).status_code == 302
    return user("x.admin")


def test_a_password_set_where_the_proposal_was_made_cannot_be_confirmed(app, client):
    """One person holding two administrators: the proposer signs in as the proposed user and sets its password —
    from the proposal's address, or in the same browser from elsewhere. The second administrator sees where the
    password was set, and the confirmation is refused."""
    world.build()
    proposer = app.test_client()
    proposer.environ_base["REMOTE_ADDR"] = "10.20.0.5"
    log_in(proposer, "admin")
    x = _proposed_newcomer(proposer)
    # the same address, another browser
    same_address = app.test_client()
    same_address.environ_base["REMOTE_ADDR"] = "10.20.0.5"
    log_in(same_address, "x.admin", "first-pass-2026")
    same_address.post("/account/password", data={"current": "first-pass-2026", "new": NEW_PASSWORD,
                                                 "again": NEW_PASSWORD})
    other = log_in(app.test_client(), "admin2")
    page = text(other.get("/admin/users"))
    assert "来自 10.20.0.5" in page and "从提议人使用过的地址 10.20.0.5 设置，不能确认" in page
    other.post(f"/admin/users/{x.id}/confirm-admin")
    assert "不能确认：x.admin 的密码是从提议人使用过的地址 10.20.0.5 设置的" in flashed(other)
    assert not user("x.admin").is_admin

    # the same browser, signed out of the proposer's account and into the new one, from another address
    proposer.post("/logout")
    proposer.environ_base["REMOTE_ADDR"] = "172.16.3.9"
    log_in(proposer, "x.admin", NEW_PASSWORD)
    proposer.post("/account/password", data={"current": NEW_PASSWORD, "new": NEW_PASSWORD + "x",
                                             "again": NEW_PASSWORD + "x"})
    other.post(f"/admin/users/{x.id}/confirm-admin")
    assert "密码是在提议人提议时所用的同一浏览器中设置的" in flashed(other)
    assert not user("x.admin").is_admin

    # set again by the newcomer on their own computer: confirmed
    own = app.test_client()
    own.environ_base["REMOTE_ADDR"] = "10.20.0.8"
    log_in(own, "x.admin", NEW_PASSWORD + "x")
    own.post("/account/password", data={"current": NEW_PASSWORD + "x", "new": NEW_PASSWORD + "y",
                                        "again": NEW_PASSWORD + "y"})
    other.post(f"/admin/users/{x.id}/confirm-admin")
    assert user("x.admin").is_admin


def test_an_address_the_proposer_signed_in_from_counts_as_the_proposers(app, client):
    world.build()
    home = app.test_client()
    home.environ_base["REMOTE_ADDR"] = "192.168.1.20"
    log_in(home, "admin")                           # the proposer signed in from home the day before
    proposer = app.test_client()
    proposer.environ_base["REMOTE_ADDR"] = "10.20.0.5"
    log_in(proposer, "admin")
    x = _proposed_newcomer(proposer)
    newcomer = app.test_client()
    newcomer.environ_base["REMOTE_ADDR"] = "192.168.1.20"
    log_in(newcomer, "x.admin", "first-pass-2026")
    newcomer.post("/account/password", data={"current": "first-pass-2026", "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    other = log_in(app.test_client(), "admin2")
    other.post(f"/admin/users/{x.id}/confirm-admin")
    assert "从提议人使用过的地址 192.168.1.20 设置的" in flashed(other)
    assert not user("x.admin").is_admin
