"""Checking a 5,000-person roster against a budget, from file upload to report data.

Run: .venv/bin/python bench/check.py — for an .xlsx and a .csv roster of 5,000 people: reading the
file, checking (engine), and the whole upload through the web app (POST /rosters/import, which reads,
checks, stores the report and redirects). Median of repeated runs. Goal: under 2 s.
"""
from __future__ import annotations

import csv
import io
import json
import statistics
import sys
import tempfile
import time
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
        yield [f"SG-{i:05d}", post, category, level, certificate, "", f"{3800 + i % 2500}.00", "200.00",
               "" if i % 4 else "6000.00", "", "", "", "", "0.003" if i % 10 == 0 else "", "0.05", ""]


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


def main() -> None:
    files = {"xlsx": xlsx_file(), "csv": csv_file()}
    data = budget()
    print(f"roster of {PEOPLE:,} people; median of {REPEAT} runs (seconds)")
    print("| file | size | read file | check + report data | read + check | web upload (store, redirect) | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp, live_server(f"sqlite:///{tmp}/bench.sqlite") as (_base, app):
        with app.app_context():
            owner = db.session.query(User).filter_by(username="yubei.bianzhi").one()
            contractor = db.session.query(User).filter_by(username="shegong.caiwu").one()
            item = service.create_budget(owner, data, current_parameters(), "基准")
            service.share(item, owner, contractor.organisation)
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
                                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")
                assert response.status_code == 302, response.status_code
            web = median(upload)
            print(f"| {kind} | {len(content) / 1024:,.0f} KB | {read:.2f} | {check:.2f} | {both:.2f} | {web:.2f} | < 2 |")


if __name__ == "__main__":
    main()
