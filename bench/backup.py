"""Backup and restore of a bureau's database: the demo data plus 50 budgets (every other one with a second
revision, ten approved with their stored PDF and Excel annexes).

Run: .venv/bin/python bench/backup.py [--postgresql postgresql://…/an_empty_database]
It builds the database in a temporary SQLite file, then runs the real commands (``flask --app wsgi costing
backup`` and ``restore``, each its own process, start-up included) and prints their time and the file's size;
with --postgresql it also restores into that database, which must be empty (the SQLite → PostgreSQL path).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from costing import create_app  # noqa: E402
from costing.budgets import service  # noqa: E402
from costing.commands import DEMO_PASSWORD, load_demo  # noqa: E402
from costing.models import Budget, User, db  # noqa: E402
from costing.web import current_parameters  # noqa: E402
from tests.conftest import Client  # noqa: E402  (each request its own application context, as in a server)

BUDGETS = 50
APPROVED = 10


def build(uri: str, budgets: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False})
    app.test_client_class = Client
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        logging.getLogger("alembic").setLevel(logging.WARNING)
        load_demo()
        preparer = db.session.scalar(db.select(User).where(User.username == "yubei.bianzhi"))
        sample = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
        ids = []
        for i in range(budgets):
            data = json.loads(json.dumps(sample))
            data["project"]["name"] = f"基准预算 {i + 1}"
            budget = service.create_budget(preparer, data, current_parameters(), f"基准预算 {i + 1}")
            if i % 2:
                data["personnel"][0]["monthly_pay"] = f"{4500 + i}.00"
                service.save_revision(budget, preparer, data, current_parameters(), "第二稿", 1)
            ids.append(budget.id)
        db.session.commit()
        clients = {}
        for username in ("yubei.bianzhi", "yubei.shenhe"):
            clients[username] = app.test_client()
            clients[username].post("/login", data={"username": username, "password": DEMO_PASSWORD})
        for budget_id in ids[:APPROVED]:
            number = db.session.get(Budget, budget_id).revision_count
            clients["yubei.bianzhi"].post(f"/budgets/{budget_id}/submit", data={"revision": number, "confirm": "y"})
            clients["yubei.shenhe"].post(f"/budgets/{budget_id}/approve", data={"revision": number, "confirm": "y"})
            for kind in ("pdf", "xlsx"):
                assert clients["yubei.shenhe"].get(f"/budgets/{budget_id}/annex.{kind}").status_code == 200
        db.session.remove()
        db.engine.dispose()


def flask(url: str, folder: Path, *args: str) -> str:
    """Run the command in its own process: its wall time and peak memory."""
    env = dict(os.environ, COSTING_DATABASE_URL=url, COSTING_INSTANCE_PATH=str(folder))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "costing", *args], cwd=ROOT,
                                   env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)      # (not process.wait(): wait4 gives the child's own peak)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            sys.exit(err.read())
        print("   ", out.read().strip())
    return f"{seconds:.2f} s, peak memory {usage.ru_maxrss / 1024:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", help="an empty PostgreSQL database to restore into as well")
    parser.add_argument("--budgets", type=int, default=BUDGETS, help=f"budgets besides the demo's (default {BUDGETS})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = f"sqlite:///{folder}/source.sqlite"
        start = time.perf_counter()
        build(source, args.budgets)
        print(f"built the demo database plus {args.budgets} budgets in {time.perf_counter() - start:.1f} s "
              f"(SQLite file {(folder / 'source.sqlite').stat().st_size / 1024 / 1024:.1f} MB)")
        file = folder / "backup.costing.gz"
        timing = flask(source, folder, "backup", str(file))
        print(f"backup:                  {timing}; file {file.stat().st_size / 1024 / 1024:.2f} MB")
        print(f"restore into SQLite:     {flask(f'sqlite:///{folder}/restored.sqlite', folder, 'restore', str(file))}")
        if args.postgresql:
            print(f"restore into PostgreSQL: {flask(args.postgresql, folder, 'restore', str(file))}")


if __name__ == "__main__":
    main()
