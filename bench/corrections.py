"""How long confirming a correction takes when many budget revisions were priced with the figure it replaces
(README: 政策参数从哪里来 → 更正已生效的数值), and a save and a budget page with a correction in force.

Run: .venv/bin/python bench/corrections.py [--budgets 200] [--lines 3 100] [--runs 3]

In a scratch SQLite database (migrated, demo accounts): 渝北区's 职业津贴 for 社会工作师 30,000 is confirmed, then
``--budgets`` drafts of ``--lines`` community posts each (the allowance applies to every line) are saved; a
correction to 300 is entered and the second administrator's confirmation is timed: the request (through Flask's
test client: the correction confirmed, every revision listed, the audit entry, the commit), and until the
background job (a thread, as ``make run`` has it) has priced every listed revision twice. Then the list of them
(/budgets/corrections), a save and a budget page with a correction in force.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, select  # noqa: E402

from costing import create_app, jobs  # noqa: E402
from costing.budgets import service  # noqa: E402
from costing.commands import load_demo  # noqa: E402
from costing.models import ParamSource, ParamValue, RevisionCorrection, User, db  # noqa: E402
from costing.parameters.seed import bump  # noqa: E402
from costing.web import current_parameters  # noqa: E402
from tests.conftest import Client  # noqa: E402
from tests.web.world import budget_with  # noqa: E402

REGION = "渝北区:social_worker"


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _log_in(app, username: str):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "demo-2025"})
    return client


def _budget(lines: int) -> dict:
    data = budget_with(lines)
    for line in data["personnel"]:
        line |= {"category": "community", "certificate": "social_worker", "level": "mid"}
    data["project"].pop("appropriation", None)
    data["rules"] = {}
    return data


def run(budgets: int, lines: int, runs: int) -> dict:
    times = {"confirm": [], "price": [], "list": [], "save": [], "page": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite", "SECRET_KEY": "bench",
                              "WTF_CSRF_ENABLED": False, "JOBS": "thread", "TODAY": date(2026, 11, 29)})
            app.test_client_class = Client          # each request in its own application context, as served
            with app.app_context():
                upgrade(directory=str(ROOT / "migrations"))
                load_demo()
                source = ParamSource(document="allowance.yaml", key="bench", doc_no="渝北民发〔2025〕12号",
                                     title="职业津贴标准", issuer="重庆市渝北区民政局", date="2025-06-20")
                db.session.add(source)
                db.session.flush()
                wrong = ParamValue(family_key="allowance.certificate_monthly", region=REGION, start=date(2025, 7, 1),
                                   value="30000", source_id=source.id, confidence="verified_official",
                                   status="confirmed", origin="admin", created_by_id=_user("admin").id,
                                   reviewed_by_id=_user("admin.fuhe").id,
                                   reviewed_at=datetime(2025, 7, 2, tzinfo=timezone.utc))
                db.session.add(wrong)
                bump(db.session)
                db.session.commit()
                params, preparer = current_parameters(), _user("yubei.bianzhi")
                for i in range(budgets):
                    data = _budget(lines)
                    data["project"]["name"] = f"项目 {i}"
                    service.create_budget(preparer, data, params)
                db.session.commit()
                admin = _log_in(app, "admin")
                admin.post("/admin/parameters/family/allowance.certificate_monthly", data={
                    "district": "渝北区", "region": "social_worker", "value": "300", "start": "2025-07-01",
                    "note": "原文为 300 元", "replaces": str(wrong.id), "doc_no": "渝北民发〔2025〕12号",
                    "issuer": "重庆市渝北区民政局", "doc_date": "2025-06-20", "confidence": "verified_official"})
                pending = db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == wrong.id))
                reviewer = _log_in(app, "admin.fuhe")
                started = time.perf_counter()
                response = reviewer.post(f"/admin/parameters/values/{pending.id}/confirm")
                times["confirm"].append(time.perf_counter() - started)
                assert response.status_code == 302, response.status_code
                jobs.wait_idle(app, timeout=3600)            # the background job that prices every listed revision
                times["price"].append(time.perf_counter() - started)
                db.session.expire_all()
                priced = db.session.scalars(select(RevisionCorrection.priced_at)).all()
                assert len(priced) == budgets and all(priced), (len(priced), budgets)
                started = time.perf_counter()
                assert reviewer.get("/budgets/corrections").status_code == 200
                times["list"].append(time.perf_counter() - started)
                # a save, and a budget page, with a correction in force that lists them
                page_client = _log_in(app, "yubei.bianzhi")
                started = time.perf_counter()
                page_client.get("/budgets/2")
                times["page"].append(time.perf_counter() - started)
                data = _budget(lines)
                data["project"]["name"] = "再存一次"
                started = time.perf_counter()
                service.create_budget(preparer, data, current_parameters())
                db.session.commit()
                times["save"].append(time.perf_counter() - started)
                db.session.execute(delete(RevisionCorrection))
                db.session.commit()
                db.engine.dispose()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budgets", type=int, default=200)
    parser.add_argument("--lines", type=int, nargs="+", default=[3, 100])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| 预算数 | 每份人员行数 | 复核通过的请求（列出） | 后台测算完全部差额 | 每份 | 清单页 | 保存一份预算 | 预算页 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lines in args.lines:
        found = run(args.budgets, lines, args.runs)
        print(f"| {args.budgets} | {lines} | {found['confirm']:.2f} s | {found['price']:.1f} s "
              f"| {found['price'] / args.budgets * 1000:.0f} ms | {found['list'] * 1000:.0f} ms "
              f"| {found['save'] * 1000:.0f} ms "
              f"| {found['page'] * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
