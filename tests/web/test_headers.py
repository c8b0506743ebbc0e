"""Security headers on every answer (pages, errors, the 503 without a database, the API, downloads, static
files), no-store on everything but static files, HSTS only over HTTPS, and no inline script or style anywhere
the Content-Security-Policy applies."""
import io
import re
from pathlib import Path

import pytest

from costing import create_app
from costing.paths import ROOT
from costing.web.security import CONTENT_SECURITY_POLICY, HEADERS, HSTS

from . import world
from .test_ops import REFUSED
from .test_rosters import person, roster_file
from .world import log_in

ALWAYS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
          "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


def assert_secured(response, static=False):
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "Strict-Transport-Security" not in response.headers          # plain HTTP here
    if static:
        assert "no-store" not in response.headers.get("Cache-Control", "")
    else:
        assert response.headers["Cache-Control"] == "no-store", response.status_code


def test_the_policy_allows_only_the_apps_own_files_and_no_framing():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


def _roster(client, w):
    response = client.post(f"/rosters/import?budget={w.budget_a}", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(roster_file([person()])), "花名册.xlsx"), "revision": "1"})
    assert response.status_code == 302
    return response.location


def test_signed_in_pages_downloads_and_the_api_carry_the_headers_and_no_store(app, client):
    w = world.build()
    preparer = log_in(client, "a_prep")
    contractor = log_in(app.test_client(), "c_user")
    admin = log_in(app.test_client(), "admin")
    roster = _roster(contractor, w)
    answers = [preparer.get(url) for url in ("/budgets/", f"/budgets/{w.budget_a}", f"/budgets/{w.budget_a}/edit",
                                             "/budgets/new", f"/budgets/{w.budget_a}/history",
                                             f"/budgets/{w.budget_a}/annex.xlsx", "/staffing", "/")]
    answers += [contractor.get(url) for url in ("/rosters/", roster, f"{roster}/history", f"{roster}/edit",
                                                f"{roster}/export.xlsx", f"/rosters/new?budget={w.budget_a}")]
    answers += [admin.get(url) for url in ("/admin/parameters/", "/admin/users", "/admin/audit")]
    answers += [preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"}),      # a redirect
                preparer.post("/budgets/preview", data={}), client.get("/api"),
                app.test_client().post("/api/v1/compute", json={}), app.test_client().get("/login")]
    assert {a.status_code for a in answers} <= {200, 302, 400}
    for answer in answers:
        assert_secured(answer)


def test_error_pages_carry_the_headers(app, client):
    w = world.build()
    log_in(client, "b_prep")
    errors = [client.get(f"/budgets/{w.budget_a}"),                       # another organisation's: 404
              client.get("/no-such-page"), client.put("/budgets/"),      # 404, 405
              client.get("/budgets/?q=%00"),                              # 400
              client.post("/budgets/new", data={"note": "x" * (7 * 1024 * 1024)}),     # 413
              client.get("/api/v1/nothing")]
    assert [e.status_code for e in errors] == [404, 404, 405, 400, 413, 404]
    for answer in errors:
        assert_secured(answer)


@pytest.fixture
def own_app(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))

    def make(**config):
        return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.sqlite", "SECRET_KEY": "x"} | config)
    return make


def test_a_server_error_page_carries_the_headers(own_app):
    app = own_app()

    def broken():
        raise RuntimeError("a bug")
    app.add_url_rule("/_broken", "broken", broken)
    app.logger.disabled = True
    try:
        answer = app.test_client().get("/_broken")
    finally:
        app.logger.disabled = False
    assert answer.status_code == 500 and "服务器内部错误" in answer.get_data(as_text=True)
    assert_secured(answer)


def test_the_503_without_a_database_and_its_stylesheet_carry_the_headers(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    client = create_app({"SQLALCHEMY_DATABASE_URI": REFUSED, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False}).test_client()
    page = client.post("/login", data={"username": "someone", "password": "x"})
    assert page.status_code == 503
    assert_secured(page)
    sheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', page.get_data(as_text=True)).group(1)
    with client.get(sheet) as style:            # served without the database too
        assert style.status_code == 200 and style.mimetype == "text/css"
        assert_secured(style, static=True)


def test_static_files_carry_the_headers_but_keep_their_caching(client):
    for url in ("/static/css/app.css", "/static/js/live-form.js", "/static/favicon.svg"):
        with client.get(url) as answer:
            assert answer.status_code == 200
            assert_secured(answer, static=True)


def test_hsts_only_over_https_as_the_proxy_says(own_app):
    app = own_app(PROXY_HOPS=1)
    plain = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers
    forwarded = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.headers["Strict-Transport-Security"] == "max-age=31536000"
    with app.test_client().get("/static/css/app.css", headers={"X-Forwarded-Proto": "https"}) as static:
        assert static.headers["Strict-Transport-Security"] == "max-age=31536000"
    # without a trusted proxy, a client's own X-Forwarded-Proto is not believed
    assert "Strict-Transport-Security" not in own_app().test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https"}).headers


def test_the_example_nginx_sends_the_same_headers_with_the_static_files_it_serves():
    conf = (ROOT / "docs" / "nginx.conf").read_text("utf-8")
    static = conf.split("location /static/", 1)[1].split("}", 1)[0]
    sent = dict(re.findall(r'add_header ([\w-]+) "([^"]*)" always;', static))
    assert sent == HEADERS | {"Strict-Transport-Security": HSTS}


# -- nothing inline for the policy to refuse ------------------------------------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "a <style> block"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]
SERVED = [p for p in sorted((ROOT / "templates").rglob("*.html")) if p.parent.name != "annex"] + \
         [ROOT / "static" / "errors" / "503.html"]


@pytest.mark.parametrize("path", SERVED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_served_template_has_inline_script_or_style(path: Path):
    text = path.read_text("utf-8")
    assert [what for pattern, what in INLINE if pattern.search(text)] == []


def test_rendered_pages_have_no_inline_script_or_style(app, client):
    w = world.build()
    preparer = log_in(client, "a_prep")
    contractor = log_in(app.test_client(), "c_user")
    roster = _roster(contractor, w)
    pages = [preparer.get(url) for url in ("/budgets/", f"/budgets/{w.budget_a}", f"/budgets/{w.budget_a}/edit")]
    pages += [contractor.get(url) for url in (roster, f"{roster}/edit", f"{roster}/history")]
    for page in pages:
        text = page.get_data(as_text=True)
        assert [what for pattern, what in INLINE if pattern.search(text)] == [], page.request.path
