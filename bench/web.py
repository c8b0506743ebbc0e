"""Web speed for a budget with 100 personnel lines: the budget page, a save, one live-preview call.

Run: .venv/bin/python bench/web.py  — median of repeated requests, through the Flask test client
(server time only) and through a real threaded server on localhost (includes HTTP).
Goals: page < 100 ms, preview < 50 ms, save < 150 ms. Set COSTING_DATABASE_URL to measure PostgreSQL.
"""
from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costing import database_url  # noqa: E402
from costing.budgets import service  # noqa: E402
from costing.models import Budget, User, db  # noqa: E402
from costing.web import current_parameters  # noqa: E402
from tests.browser.live import live_server  # noqa: E402
from tests.web.world import form_fields  # noqa: E402

LINES = 100
REPEAT = 30


def budget_input() -> dict:
    data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    base = data["personnel"]
    data["personnel"] = [dict(base[i % len(base)], post=f"岗位{i}", monthly_pay=f"{4000 + i * 13}.00")
                         for i in range(LINES)]
    data["project"]["appropriation"] = "99999999.00"
    return data


def changed(fields: dict, revision: int) -> dict:
    """The form with one pay that differs from the last save's: a save without changes is refused (没有修改)."""
    return fields | {"personnel-0-monthly_pay": f"{4000 + revision % 2}.00", "base_revision": str(revision)}


def median_ms(fn) -> float:
    fn()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def create_budget(app) -> int:
    with app.app_context():
        user = db.session.query(User).filter_by(username="yubei.bianzhi").one()
        budget = service.create_budget(user, budget_input(), current_parameters(), "基准")
        db.session.commit()
        return budget.id


def through_test_client(app, budget_id: int) -> dict:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"username": "yubei.bianzhi", "password": "demo-2025"})
    fields = form_fields(budget_input())
    state = {"revision": 1}

    def save():
        response = client.post(f"/budgets/{budget_id}/edit", data=changed(fields, state["revision"]))
        assert response.status_code == 302, response.status_code
        state["revision"] += 1

    results = {
        "page": median_ms(lambda: client.get(f"/budgets/{budget_id}")),
        "preview": median_ms(lambda: client.post("/budgets/preview", data=fields)),   # the form, as the page posts it
        "save": median_ms(save),
    }
    # a draft computed with an older parameter set: the page recomputes it with today's set to show the change
    with app.app_context():
        db.session.get(Budget, budget_id).latest.parameter_set = "older-set"
        db.session.commit()
    results["page (older set)"] = median_ms(lambda: client.get(f"/budgets/{budget_id}"))
    app.config["WTF_CSRF_ENABLED"] = True
    return results


def through_http(base: str, budget_id: int) -> dict:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(path):
        page = opener.open(base + path).read().decode()
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    login = urllib.parse.urlencode({"username": "yubei.bianzhi", "password": "demo-2025",
                                    "csrf_token": token("/login")}).encode()
    opener.open(base + "/login", login).read()
    csrf = token(f"/budgets/{budget_id}/edit")
    revision = re.search(r'name="base_revision" type="hidden" value="(\d+)"',
                         opener.open(f"{base}/budgets/{budget_id}/edit").read().decode()).group(1)
    state = {"revision": int(revision)}
    fields = form_fields(budget_input())

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None          # time the save itself, not the page it redirects to

    poster = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def save():
        data = urllib.parse.urlencode(changed(fields, state["revision"]) | {"csrf_token": csrf}).encode()
        try:
            poster.open(f"{base}/budgets/{budget_id}/edit", data).read()
        except urllib.error.HTTPError as answer:
            assert answer.code == 302, answer.code
        state["revision"] += 1

    def preview():
        data = urllib.parse.urlencode(fields | {"csrf_token": csrf}).encode()
        opener.open(base + "/budgets/preview", data).read()

    return {"page": median_ms(lambda: opener.open(f"{base}/budgets/{budget_id}").read()),
            "preview": median_ms(preview), "save": median_ms(save)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        uri = os.environ.get("COSTING_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
        uri = database_url(uri, tmp)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        with live_server(uri) as (base, app):
            budget_id = create_budget(app)
            client = through_test_client(app, budget_id)
            real = through_http(base, budget_id)
    database = "PostgreSQL" if uri.startswith("postgresql") else "SQLite"
    print(f"budget with {LINES} personnel lines, {database}, median of {REPEAT} requests (ms)")
    print("| request | test client | real server | goal |")
    print("|---|---:|---:|---:|")
    for key, goal in (("page", 100), ("preview", 50), ("save", 150)):
        print(f"| {key} | {client[key]:.1f} | {real[key]:.1f} | < {goal} |")
    print(f"| page of a draft computed with an older parameter set | {client['page (older set)']:.1f} | — | < 100 |")


if __name__ == "__main__":
    main()
