"""How long an annex waits after the Celery worker rendering it dies (README: 合同附件 → 后台生成).

Run (PostgreSQL and Redis on this machine; a scratch schema of the database and the Redis database are used):
    COSTING_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_d \\
    COSTING_BENCH_REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python bench/annex_jobs.py [--lines 300] [--runs 3]

The schema is made by the migrations (flask db upgrade), seeded with the demo accounts. The web side is this
process (the app with the default settings, through Flask's test client); the workers are real
``celery -A costing.worker worker`` processes. For each case a budget of ``--lines`` personnel lines is saved, its
PDF asked for, and, once a worker is rendering it, the process rendering it is killed (SIGKILL, as the OOM killer
or a power cut would). Then the waiting page's polling is played (every 1 s, growing by 1.3× to 5 s, as
static/js/annex-wait.js does) until the annex is made or shown failed:

- ``worker``: a solo-pool worker is killed, and started again at once (systemd Restart=always);
- ``child``: the pool process of a prefork worker (-c 1) is killed; the worker stays;
- ``none``: a solo-pool worker is killed and no worker runs any more: the page must say so;
- ``unwatched`` (not by default: about 7 minutes): as ``worker``, but nobody waits on the page; Celery gives the
  killed worker's message out again after its visibility timeout.

Prints, per case, the seconds from the kill to the outcome (each run, the median) and the render time alone.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from costing import database_url  # noqa: E402
from tests.web.world import budget_with  # noqa: E402

BIN = Path(sys.executable).parent
PG = os.environ.get("COSTING_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/costing_load")
REDIS = os.environ.get("COSTING_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SCHEMA = "annex_jobs_bench"
USER, PASSWORD = "yubei.bianzhi", "demo-2025"


def scratch_schema() -> dict:
    """A fresh schema, migrated and seeded; the environment that points a process at it."""
    admin = create_engine(database_url(PG, ""))
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    joiner = "&" if "?" in PG else "?"
    env = dict(os.environ, COSTING_DATABASE_URL=f"{PG}{joiner}options=-csearch_path%3D{SCHEMA}",
               COSTING_REDIS_URL=REDIS, COSTING_SECRET_KEY="bench", COSTING_JSON_LOGS="0",
               COSTING_INSTANCE_PATH=tempfile.mkdtemp(prefix="annex-jobs-"),
               COSTING_PUBLIC_URL="https://costing.example.gov.cn", COSTING_WORKER_NICE="0")
    for command in (["db", "upgrade"], ["costing", "seed"], ["costing", "demo"]):
        subprocess.run([str(BIN / "python"), "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)
    return env


def start_worker(env: dict, name: str, pool: str, log_dir: Path) -> subprocess.Popen:
    with open(log_dir / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            [str(BIN / "celery"), "-A", "costing.worker", "worker", "--pool", pool, "--concurrency", "1",
             "--loglevel", "info", "-n", f"{name}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300, help="personnel lines of the budget (300: a render of a few s)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default="worker,child,none")
    args = parser.parse_args()
    import redis  # noqa: PLC0415

    env = scratch_schema()
    os.environ.update({k: env[k] for k in ("COSTING_DATABASE_URL", "COSTING_REDIS_URL", "COSTING_SECRET_KEY",
                                           "COSTING_JSON_LOGS", "COSTING_INSTANCE_PATH", "COSTING_PUBLIC_URL")})
    from costing import create_app  # noqa: PLC0415
    from costing.budgets import annexes, service  # noqa: PLC0415
    from costing.models import User, db  # noqa: PLC0415
    from costing.web import current_parameters  # noqa: PLC0415

    app = create_app()
    log_dir = Path(env["COSTING_INSTANCE_PATH"])
    print(f"defaults: heartbeat every {annexes.HEARTBEAT:g} s, lost after {annexes.LOST.seconds} s, "
          f"sent again after {annexes.RESEND.seconds} s, no worker after {annexes.NO_WORKER.seconds} s; "
          f"{args.lines} lines; logs in {log_dir}")

    def new_budget() -> int:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == USER))
            budget = service.create_budget(user, budget_with(lines=args.lines), current_parameters())
            db.session.commit()
            return budget.id

    def row_of(budget_id: int) -> tuple[str | None, str | None]:
        """The PDF's status and who runs it."""
        with app.app_context():
            found = db.session.execute(text(
                "SELECT a.status, a.runner FROM annex_file a JOIN revision r ON r.id = a.revision_id "
                "WHERE r.budget_id = :b AND a.kind = 'pdf' ORDER BY a.issue DESC"), {"b": budget_id}).first()
            db.session.remove()
            return (found[0], found[1]) if found else (None, None)

    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}).status_code == 302

    def render_alone(pool: str) -> float:
        worker = start_worker(env, "plain", pool, log_dir)
        try:
            budget_id = new_budget()
            client.get(f"/budgets/{budget_id}/annex.pdf")
            while row_of(budget_id)[0] != "running":
                time.sleep(0.05)
            began = time.monotonic()
            while row_of(budget_id)[0] != "done":
                time.sleep(0.05)
            return time.monotonic() - began
        finally:
            stop(worker)

    results: dict[str, list[tuple[float, str]]] = {}
    redis.Redis.from_url(REDIS).flushdb()
    alone = render_alone("solo")
    for case in args.cases.split(","):
        for _ in range(args.runs):
            redis.Redis.from_url(REDIS).flushdb()
            worker = start_worker(env, f"{case}-first", "prefork" if case == "child" else "solo", log_dir)
            others: list[subprocess.Popen] = []
            try:
                budget_id = new_budget()
                assert client.get(f"/budgets/{budget_id}/annex.pdf").status_code == 202
                while (found := row_of(budget_id))[0] != "running":
                    time.sleep(0.05)
                victim = int(found[1].split(" ")[1]) if case == "child" else worker.pid
                os.kill(victim, signal.SIGKILL)
                killed = time.monotonic()
                if case in ("worker", "unwatched"):
                    worker.wait()
                    others.append(start_worker(env, f"{case}-again", "solo", log_dir))
                delay = 1.0
                while True:
                    time.sleep(delay)
                    if case == "unwatched":
                        status = dict(zip(("status", "message"), row_of(budget_id)))
                    else:
                        delay = min(delay * 1.3, 5.0)
                        status = client.get(f"/budgets/{budget_id}/annex-status.pdf").json
                    if status["status"] in ("done", "failed") or time.monotonic() - killed > 900:
                        break
                waited = time.monotonic() - killed
                results.setdefault(case, []).append((waited, status["status"]))
                print(f"{case}: {status['status']} {waited:.1f} s after the kill ({status['message']})", flush=True)
            finally:
                for process in [worker, *others]:
                    stop(process)
    print()
    print(f"render of {args.lines} lines alone: {alone:.1f} s")
    print("| case | outcome | seconds from the kill (each run) | median |")
    print("|---|---|---|---:|")
    for case, runs in results.items():
        outcomes = "/".join(sorted({outcome for _, outcome in runs}))
        print(f"| {case} | {outcomes} | {', '.join(f'{w:.1f}' for w, _ in runs)} | "
              f"{statistics.median(w for w, _ in runs):.1f} |")


if __name__ == "__main__":
    main()
