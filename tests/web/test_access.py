"""Who may see and do what: every role × every budget URL and action."""
import pytest

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
APPROVER_ONLY = {"POST /budgets/{id}/approve", "POST /budgets/{id}/return"}


def expected(role: str, action: str, budget: str) -> str | int:
    """The access rules, written out independently of the code under test."""
    if role == "admin":
        return ALLOWED if action in READ else 403
    owner = {"a": {"a_prep", "a_appr"}, "b": {"b_prep"}}[budget]
    if role in owner:
        if action in APPROVER_ONLY and role != "a_appr":
            return 403
        return ALLOWED
    if role == "c_user" and budget == "a":           # shared with C, read-only
        return ALLOWED if action in READ else 403
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
