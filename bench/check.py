"""Checking a 5,000-person roster against a budget, from file upload to report data, and the pages of it.

Run: .venv/bin/python bench/check.py — for an .xlsx and a .csv roster of 5,000 people: reading the
file, checking (engine), and the whole upload through the web app (POST /rosters/import, which reads,
checks, stores the report and redirects). Then, for one stored 5,000-person roster, each request a
contractor makes, through the Flask test client (server time only) and through a real threaded server
on localhost (with HTTP, signed in with a session cookie): the import, the report page, the report
workbook and the edit page, plain and with ?page=2 (a page that answers 400 or 404 is shown as —).
Median of repeated runs, in seconds, and the size of the answer; for the test client also the server's CPU
seconds (process time: the request runs in this process, nothing else does meanwhile). Goal: under 2 s each,
and the report workbook under 1 s of server CPU.
"""
from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import logging
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from costing.budgets import service  # noqa: E402
from costing.engine.roster import check_input, check_to_json  # noqa: E402
from costing.models import User, db  # noqa: E402
from costing.rosters.files import COLUMNS, read_roster_file  # noqa: E402
from costing.web import current_parameters  # noqa: E402
from tests.browser.live import live_server  # noqa: E402

PEOPLE = 5000
REPEAT = 5
HEADERS = [h for h, _, _ in COLUMNS]
POSTS = [("社工站站长", "社区", "中级", "社会工作师"), ("社会工作者", "老年", "初级", "助理社会工作师"),
         ("社会工作者（儿童）", "儿童和青少年事务", "初级", "社会工作员")]


def rows():
    for i in range(PEOPLE):
        post, category, level, certificate = POSTS[i % 3]
        # the template's 17 columns: 证书编号 for every other person; a declared work-injury rate for one in ten
        yield [f"SG-{i:05d}", post, category, level, certificate, f"S{2020 + i % 5}-{i:05d}" if i % 2 else "",
               f"{3800 + i % 2500}.00", "200.00", "" if i % 4 else "6000.00", "", "", "", "", "",
               "0.003" if i % 10 == 0 else "", "0.05", ""]


def xlsx_file() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    for row in rows():
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows())
    return out.getvalue().encode("utf-8")


def budget() -> dict:
    data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    for line in data["personnel"]:
        line["headcount"] = 1000
    return data


def median(fn) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


REQUESTS = [   # (what, path under /rosters/<id>)
    ("report page", ""), ("report page, page 2", "?page=2"), ("report page, page 2 of the issues", "?page=2&show=issues"),
    ("report workbook", "/export.xlsx"), ("edit page", "/edit"), ("edit page, page 2", "/edit?page=2"),
]
MISSING = (400, 404)


def timed(fn) -> tuple[float | None, int, float | None]:
    """Median seconds, the answer's size in bytes and median CPU seconds of this process for fn() → (status, body);
    (None, 0, None) when the URL is not there (400 or 404)."""
    times, size, cpu = [], 0, []
    for _ in range(REPEAT):
        start, started = time.perf_counter(), time.process_time()
        status, body = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - started)
        if status in MISSING:
            return None, 0, None
        assert status in (200, 302), status
        size = len(body)
    return statistics.median(times), size, statistics.median(cpu)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None          # time the import itself, not the report page it redirects to


def http_session(base: str):
    """A signed-in opener for the real server (the form token is switched off for the benchmark)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    data = urllib.parse.urlencode({"username": "shegong.caiwu", "password": "demo-2025"}).encode()
    try:
        opener.open(base + "/login", data).read()
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.code
    return opener


def http_call(opener, url: str, data: bytes | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type} if content_type else {})
    try:
        with opener.open(request) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()


# the budget revision an upload names as the one it is checked against (the bench's budget has one, shared)
SHARED = "1"


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="revision"\r\n\r\n{SHARED}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def pages(base: str, client, budget_id: int, files: dict) -> list[tuple[str, tuple, tuple]]:
    """(what, (test client seconds, bytes), (real server seconds, bytes)) for each request of the roster pages."""
    opener = http_session(base)
    rows = []
    roster_id = None
    for kind, content in files.items():
        name = f"roster.{kind}"

        def by_client():
            response = client.post(f"/rosters/import?budget={budget_id}",
                                   data={"file": (io.BytesIO(content), name), "revision": SHARED},
                                   content_type="multipart/form-data")
            return response.status_code, content

        def by_http():
            body, content_type = multipart(name, content)
            status, _ = http_call(opener, f"{base}/rosters/import?budget={budget_id}", body, content_type)
            return status, content
        rows.append((f"import ({kind}; size: the file uploaded)", timed(by_client), timed(by_http)))
        response = client.post(f"/rosters/import?budget={budget_id}",
                               data={"file": (io.BytesIO(content), name), "revision": SHARED},
                               content_type="multipart/form-data")
        roster_id = int(response.location.rstrip("/").split("/")[-1])
    for what, path in REQUESTS:
        url = f"/rosters/{roster_id}{path}"
        rows.append((f"{what}: GET /rosters/<id>{path}",
                     timed(lambda: (lambda r: (r.status_code, r.data))(client.get(url))),
                     timed(lambda: http_call(opener, base + url))))
    return rows


def cell(measured: tuple) -> tuple[str, str, str]:
    seconds, size, cpu = measured
    return ("—", "—", "—") if seconds is None else (f"{seconds:.2f}", f"{size / 1024:,.0f}", f"{cpu:.2f}")


def main() -> None:
    files = {"xlsx": xlsx_file(), "csv": csv_file()}
    data = budget()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"roster of {PEOPLE:,} people; median of {REPEAT} runs (seconds)")
    print("| file | size | read file | check + report data | read + check | web upload (store, redirect) | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp, live_server(f"sqlite:///{tmp}/bench.sqlite") as (base, app):
        with app.app_context():
            owner = db.session.query(User).filter_by(username="yubei.bianzhi").one()
            contractor = db.session.query(User).filter_by(username="shegong.caiwu").one()
            item = service.create_budget(owner, data, current_parameters(), "基准")
            service.share(item, owner, contractor.organisation, item.latest.number)
            db.session.commit()
            budget_id = item.id
        app.config["WTF_CSRF_ENABLED"] = False
        client = app.test_client()
        client.post("/login", data={"username": "shegong.caiwu", "password": "demo-2025"})
        for kind, content in files.items():
            name = f"roster.{kind}"
            roster = read_roster_file(name, content)
            read = median(lambda: read_roster_file(name, content))
            check = median(lambda: check_to_json(check_input({"budget": data, "roster": roster})))
            both = median(lambda: check_to_json(check_input({"budget": data,
                                                              "roster": read_roster_file(name, content)})))

            def upload():
                response = client.post(f"/rosters/import?budget={budget_id}",
                                       data={"file": (io.BytesIO(content), name), "revision": SHARED},
                                       content_type="multipart/form-data")
                assert response.status_code == 302, response.status_code
            web = median(upload)
            print(f"| {kind} | {len(content) / 1024:,.0f} KB | {read:.2f} | {check:.2f} | {both:.2f} | {web:.2f} | < 2 |")
        measured = pages(base, client, budget_id, files)
    print()
    print(f"a stored roster of {PEOPLE:,} people (SQLite); median of {REPEAT} requests (seconds) and answer size (KB);"
          " — : not there (400/404)")
    print("| request | test client | server CPU | real server | size (KB) | goal |")
    print("|---|---:|---:|---:|---:|---:|")
    for what, by_client, by_http in measured:
        (client_s, client_kb, client_cpu), (http_s, http_kb, _) = cell(by_client), cell(by_http)
        goal = "< 1 s CPU" if "workbook" in what else "< 2"
        print(f"| {what} | {client_s} | {client_cpu} | {http_s} | {http_kb if http_kb != '—' else client_kb} | {goal} |")


if __name__ == "__main__":
    main()
