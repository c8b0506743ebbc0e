"""Who may see and do what: every role × every budget URL and action."""
import pytest
from sqlalchemy import func, select

from costing.models import BudgetShare, db

from . import world
from .world import form_fields, log_in, sample

ALLOWED = "allowed"   # any answer but 403 / 404 (the action may still be refused by the budget's state)
ACTIONS = [  # method, path; delete last so it cannot hide the others
    ("GET", "/budgets/{id}"), ("GET", "/budgets/{id}?revision=1"), ("GET", "/budgets/{id}/history"),
    ("GET", "/budgets/{id}/edit"), ("POST", "/budgets/{id}/edit"), ("POST", "/budgets/{id}/submit"),
    ("POST", "/budgets/{id}/approve"), ("POST", "/budgets/{id}/return"), ("POST", "/budgets/{id}/share"),
    ("POST", "/budgets/{id}/duplicate"), ("POST", "/budgets/{id}/delete"),
]
READ = {"GET /budgets/{id}", "GET /budgets/{id}?revision=1", "GET /budgets/{id}/history"}
SHARED_READ = READ - {"GET /budgets/{id}/history"}      # the purchaser's revision history is its own
APPROVER_ONLY = {"POST /budgets/{id}/approve", "POST /budgets/{id}/return"}


def expected(role: str, action: str, budget: str) -> str | int:
    """The access rules, written out independently of the code under test."""
    if role == "admin":
        return ALLOWED if action in READ else 403
    owner = {"a": {"a_prep", "a_appr"}, "b": {"b_prep"}}[budget]
    if role in owner:
        if role == "a_appr":                         # approvers read, approve and return; they do not edit
            return ALLOWED if action in READ | APPROVER_ONLY else 403
        return 403 if action in APPROVER_ONLY else ALLOWED
    if role == "c_user" and budget == "a":           # shared with C, read-only
        return ALLOWED if action in SHARED_READ else 404 if action in READ else 403
    return 404                                       # another organisation's budget: no existence leak


def call(client, method, url, data=None):
    return client.get(url) if method == "GET" else client.post(url, data=data or {})


@pytest.mark.parametrize("role", ["a_prep", "a_appr", "b_prep", "c_user", "d_user", "admin"])
@pytest.mark.parametrize("budget", ["a", "b"])
def test_access_matrix(app, client, role, budget):
    w = world.build()
    budget_id = w.budget_a if budget == "a" else w.budget_b
    log_in(client, role)
    edit = form_fields(sample(name="改过的名称")) | {"base_revision": "1"}
    for method, path in ACTIONS:
        response = call(client, method, path.format(id=budget_id), edit if path.endswith("/edit") else None)
        want = expected(role, f"{method} {path}", budget)
        if want == ALLOWED:
            assert response.status_code not in (403, 404), (role, method, path, response.status_code)
        else:
            assert response.status_code == want, (role, method, path, response.status_code)


@pytest.mark.parametrize("method, path", ACTIONS)
def test_anonymous_users_are_sent_to_log_in(app, client, method, path):
    w = world.build()
    response = call(client, method, path.format(id=w.budget_a))
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ["a_prep", "c_user", "admin"])
def test_guessed_ids_are_404(app, client, role):
    world.build()
    log_in(client, role)
    for budget_id in (0, 3, 999, 2**31):
        assert client.get(f"/budgets/{budget_id}").status_code == 404


def test_each_role_lists_only_what_it_may_see(app, client):
    world.build()
    seen = {}
    for role in ("a_prep", "b_prep", "c_user", "d_user", "admin"):
        log_in(client, role)
        page = client.get("/budgets/").get_data(as_text=True)
        seen[role] = {name for name in ("A 项目", "B 项目") if name in page}
        client.post("/logout")
    assert seen == {"a_prep": {"A 项目"}, "b_prep": {"B 项目"}, "c_user": {"A 项目"}, "d_user": set(),
                    "admin": {"A 项目", "B 项目"}}


def test_contractors_and_admins_cannot_create_budgets(app, client):
    world.build()
    for role in ("c_user", "admin"):
        log_in(client, role)
        assert client.get("/budgets/new").status_code == 403
        assert client.post("/budgets/new", data=form_fields(sample())).status_code == 403
        client.post("/logout")


def test_admin_pages_are_for_admins_only(app, client):
    world.build()
    log_in(client, "a_appr")
    for path in ("/admin/users", "/admin/organisations", "/admin/audit"):
        assert client.get(path).status_code == 403


def test_a_contractor_reads_the_shared_revision_and_no_draft_after_it(app, client):
    w = world.build()                                       # budget A is shared with C at revision 1
    preparer = log_in(app.test_client(), "a_prep")
    draft = form_fields(sample(name="内部草稿")) | {"base_revision": "1", "project-appropriation": "999999.00",
                                                    "note": "内部说明：再压一压工资"}
    assert preparer.post(f"/budgets/{w.budget_a}/edit", data=draft).status_code == 302        # revision 2
    log_in(client, "c_user")
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "修订 1" in page and "A 项目" in page
    assert "内部草稿" not in page and "999,999.00" not in page and "修订历史" not in page and "/ 2" not in page
    listing = client.get("/budgets/").get_data(as_text=True)
    assert "A 项目" in listing and "内部草稿" not in listing
    for url in (f"/budgets/{w.budget_a}?revision=2", f"/budgets/{w.budget_a}/history",
                f"/budgets/{w.budget_a}/annex.pdf?revision=2", f"/budgets/{w.budget_a}/annex.xlsx?revision=2",
                f"/budgets/{w.budget_a}/history?a=1&b=2"):
        assert client.get(url).status_code == 404, url
    # the purchaser shares the new revision too: now C reads revision 2 by default, and revision 1 still
    assert preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("和光社工中心")),
                                                               "revision": "2"}).status_code == 302
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "内部草稿" in page and "内部说明" not in page and "显示的是采购人共享给本单位的修订 2" in page
    older = client.get(f"/budgets/{w.budget_a}?revision=1").get_data(as_text=True)
    assert "A 项目" in older and "采购人此后共享了修订 2" in older
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 200
    # withdrawing revision 1's share takes that revision, and only that, away
    share = db.session.scalar(select(BudgetShare).where(BudgetShare.budget_id == w.budget_a,
                                                        BudgetShare.revision_number == 1))
    assert preparer.post(f"/budgets/{w.budget_a}/unshare/{share.id}", data={"revision": "1"}).status_code == 302
    assert client.get(f"/budgets/{w.budget_a}?revision=1").status_code == 404
    assert client.get(f"/budgets/{w.budget_a}?revision=2").status_code == 200


def test_approving_a_later_revision_shares_it_only_when_asked(app, client):
    w = world.build()                                       # budget A is shared with C at revision 1
    preparer = log_in(app.test_client(), "a_prep")
    approver = log_in(app.test_client(), "a_appr")
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="审核版")) | {"base_revision": "1"})
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "2"})
    page = approver.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "同时把修订 2 共享给承接主体（和光社工中心）" in page and "不勾选则和光社工中心仍只能查看修订 1" in page
    approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "2"})     # not shared
    log_in(client, "c_user")
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "A 项目" in page and "审核版" not in page and "显示的是采购人共享给本单位的修订 1" in page
    assert client.get(f"/budgets/{w.budget_a}?revision=2").status_code == 404
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1").status_code == 200
    # the next one is approved with the box ticked: shared; the one shared before stays readable
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="又一稿")) | {"base_revision": "2"})
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "3"})
    response = approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "3", "share": "y"},
                             follow_redirects=True)
    assert "审核通过，本修订已锁定，并已共享给 和光社工中心（只读）" in response.get_data(as_text=True)
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "又一稿" in page and "修订 3" in page
    assert client.get(f"/budgets/{w.budget_a}?revision=1").status_code == 200
    assert client.get(f"/budgets/{w.budget_a}?revision=2").status_code == 404


def _approve(app, w, name):
    """Revision 2 of budget A (named ``name``) submitted; the approver's client."""
    preparer = log_in(app.test_client(), "a_prep")
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name=name)) | {"base_revision": "1"})
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "2"})
    return log_in(app.test_client(), "a_appr")


def test_approving_says_it_shared_with_no_one_when_there_was_no_one_to_share_with(app, client):
    """Found in review: the flash said 「并已共享给承接主体」 whenever the box was posted, shared or not."""
    w = world.build()
    approver = _approve(app, w, "审核版")
    log_in(app.test_client(), "a_prep").post(f"/budgets/{w.budget_a}/share", data={
        "contractor": str(world.org_id("和光社工中心")), "revision": "2"})       # C can read revision 2 already
    response = approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "2", "share": "y"},
                             follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "审核通过，本修订已锁定；没有共享给任何承接主体" in page and "并已共享" not in page
    assert db.session.scalar(select(func.count()).select_from(BudgetShare)) == 2


def test_a_deactivated_contractor_is_not_offered_as_a_share_and_is_refused_when_posted(app, client):
    w = world.build()                                       # budget A is shared with C at revision 1
    admin = log_in(app.test_client(), "admin")
    for name in ("和光社工中心", "同心社工中心"):
        assert admin.post(f"/admin/organisations/{world.org_id(name)}/deactivate").status_code == 302
    approver = _approve(app, w, "审核版")
    preparer = log_in(client, "a_prep")
    page = preparer.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    share = page.split('id="share"', 1)[1]
    assert "同心社工中心" not in share and "共享修订 2" not in share and "已停用，不能再共享" in share
    assert "同时把修订 2 共享给承接主体" not in approver.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    response = preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("同心社工中心")),
                                                                   "revision": "2"}, follow_redirects=True)
    assert "同心社工中心 已停用，不能共享给它" in response.get_data(as_text=True)
    # approving with the box posted shares nothing with the deactivated contractor it was shared with before
    response = approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "2", "share": "y"},
                             follow_redirects=True)
    assert "没有共享给任何承接主体" in response.get_data(as_text=True)
    assert db.session.scalars(select(BudgetShare.revision_number)).all() == [1]
