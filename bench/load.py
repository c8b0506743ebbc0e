"""Load on the production server: gunicorn (as `make run` serves) on PostgreSQL, many clients at once.

Run (as root, on this machine: PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 if a Celery worker is
wanted):
    .venv/bin/python bench/load.py                  # the mix at 16 and 64 clients, the all-download mix
    .venv/bin/python bench/load.py --fault          # 16 clients while PostgreSQL restarts once
    .venv/bin/python bench/load.py --clients 16 --seconds 20
    .venv/bin/python bench/load.py --large 5000     # a 5,000-line budget's annexes through the queue

The mix: 35% page of a 100-line budget, 40% live preview of it, 15% save of a 20-line budget (each client its
own, so saves do not conflict), 10% download of a 20-line draft's PDF annex (rendered ahead, in the
background). Each client is a thread with its own keep-alive connection and session, on 127.0.0.1 only; it
sends its next request when the last is answered. Prints throughput, p50/p95/p99 per kind and the errors by
status, and the CPU each request cost the server, the job worker (run at a lower priority: costing/worker.py)
and this driver. The fault run restarts PostgreSQL (pg_ctlcluster) mid-run, then checks that every save the server
acknowledged (a redirect) is in the database.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from costing import database_url  # noqa: E402
from tests.web.world import form_fields  # noqa: E402

BIN = Path(sys.executable).parent
PG = os.environ.get("COSTING_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/costing_load")
REDIS = os.environ.get("COSTING_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
MIX = (("page", 35), ("preview", 40), ("save", 15), ("pdf", 10))


def budget(lines: int, name: str) -> dict:
    data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    base = data["personnel"]
    data["personnel"] = [dict(base[i % len(base)], post=f"岗位{i}", monthly_pay=f"{4000 + i * 13}.00")
                         for i in range(lines)]
    data["project"].update(name=name, appropriation="99999999.00")
    return data


class Client:
    """One user: a keep-alive connection, a session cookie and the page's CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, dict]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body | {"csrf_token": self.token}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                answer = self.conn.getresponse()
                content = answer.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    return 0, b"", {}
        for value in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        found = re.search(rb'name="csrf-token" content="([^"]+)"', content)
        if found:
            self.token = found.group(1).decode()
        return answer.status, content, dict(answer.headers)

    def log_in(self, username: str) -> None:
        self.request("GET", "/login")
        status, _, _ = self.request("POST", "/login", {"username": username, "password": "demo-2025"})
        assert status == 302, status


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(clients: int, env: dict) -> dict:
    """A fresh database with the demo data, a 100-line budget, a 20-line draft and one 20-line budget per client."""
    base = database_url(PG, "")
    admin = create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = base.rsplit("/", 1)[1].split("?")[0]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    for command in (["db", "upgrade"], ["costing", "seed"], ["costing", "demo"]):
        subprocess.run([str(BIN / "python"), "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    script = (
        "import json,sys\n"
        "from costing import create_app\nfrom costing.budgets import service\nfrom costing.models import User, db\n"
        "from costing.web import current_parameters\n"
        "spec = json.loads(sys.stdin.read())\napp = create_app({'JOBS': 'inline'})\n"
        "with app.app_context():\n"
        "    user = db.session.query(User).filter_by(username='yubei.bianzhi').one()\n"
        "    ids = [service.create_budget(user, data, current_parameters()).id for data in spec]\n"
        "    db.session.commit()\n    print(json.dumps(ids))\n")
    spec = [budget(100, "页面基准"), budget(20, "附件基准")] + [budget(20, f"保存基准{i}") for i in range(clients)]
    done = subprocess.run([str(BIN / "python"), "-c", script], cwd=ROOT, env=env, input=json.dumps(spec),
                          capture_output=True, text=True, check=True)
    ids = json.loads(done.stdout.strip().splitlines()[-1])
    return {"page": ids[0], "pdf": ids[1], "save": ids[2:], "revisions": {}, "preview_form": form_fields(spec[0]),
            "save_form": [form_fields(data) for data in spec[2:]]}


def run(port: int, plan: dict, clients: int, seconds: float, mix, fault=None) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    acknowledged: list[tuple[int, str]] = []
    failures: list[float] = []                 # when each failed request was answered (time.monotonic)
    stop = time.monotonic() + seconds
    kinds = [k for k, weight in mix for _ in range(weight)]

    def user(index: int) -> None:
        rng = random.Random(index)
        client = signed_in[index]
        budget_id = plan["save"][index % len(plan["save"])]
        revision = plan["revisions"].get(budget_id, 1)          # a later run goes on from the last one
        form = dict(plan["save_form"][index % len(plan["save_form"])])
        sequence = 0
        client.request("GET", f"/budgets/{plan['page']}")          # a page for the CSRF token
        while time.monotonic() < stop:
            kind = rng.choice(kinds)
            start = time.perf_counter()
            if kind == "page":
                status, _, _ = client.request("GET", f"/budgets/{plan['page']}")
                ok = status == 200
            elif kind == "preview":
                status, content, _ = client.request("POST", "/budgets/preview", plan["preview_form"])
                ok = status == 200 and b'"ok"' in content
            elif kind == "save":
                sequence += 1
                note = f"load-{index}-{sequence}"
                form["personnel-0-monthly_pay"] = f"{4000 + sequence % 500}.00"
                status, _, _ = client.request("POST", f"/budgets/{budget_id}/edit",
                                              form | {"base_revision": str(revision), "note": note})
                ok = status == 302
                if ok:
                    revision += 1
                    acknowledged.append((budget_id, note))
                elif status == 409:                 # our view of the revision is old (a retried request): catch up
                    revision += 1
                plan["revisions"][budget_id] = revision
            else:
                status, content, headers = client.request("GET", f"/budgets/{plan['pdf']}/annex.pdf")
                ok = status == 200 and content.startswith(b"%PDF")
            elapsed = (time.perf_counter() - start) * 1000
            latencies[kind].append(elapsed)
            if not ok:
                errors[(kind, status)] += 1
                if status != 409:       # a 409 is this client's stale revision number after a 503'd save
                    failures.append(time.monotonic())

    # signed in one after another first: sign-in throttling counts an attempt until its password is checked, so
    # dozens of sign-ins of one name from one address at the same instant would look like guessing
    signed_in = []
    for _ in range(clients):
        signed_in.append(Client(port))
        signed_in[-1].log_in("yubei.bianzhi")
    threads = [threading.Thread(target=user, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    if fault:
        fault()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    return {"latencies": latencies, "errors": errors, "took": took, "acknowledged": acknowledged,
            "failures": failures}


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process, its running children and those it has reaped (Linux /proc)."""
    def one(p: int, ended_children: bool = False) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if ended_children else 0)
        return ticks / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(k) for k in children.read_text().split()] if children.exists() else []
    return one(pid, ended_children=True) + sum(one(k) for k in kids)      # (workers recycled: their time too)


def cpu_use(processes: list) -> dict:
    """Seconds of CPU so far: the web server (gunicorn and its workers), the job worker, this driver."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"server": _cpu_seconds(processes[0].pid),
            "worker": _cpu_seconds(processes[1].pid) if len(processes) > 1 else 0.0,
            "driver": usage.ru_utime + usage.ru_stime}


def report(label: str, outcome: dict) -> None:
    total = sum(len(v) for v in outcome["latencies"].values())
    cells = []
    for kind, _ in MIX:
        values = sorted(outcome["latencies"].get(kind, []))
        if not values:
            cells.append("—")
            continue
        q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
        cells.append(f"{q[49]:,.0f} / {q[94]:,.0f} / {q[98]:,.0f}")
    errors = ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(outcome["errors"].items())) or "0"
    cpu = outcome.get("cpu")
    spent = " / ".join(f"{cpu[k] / max(total, 1) * 1000:.1f}" for k in ("server", "worker", "driver")) if cpu else "—"
    print(f"| {label} | {total / outcome['took']:.1f} | " + " | ".join(cells) + f" | {errors} | {spent} |", flush=True)


def large(lines: int, env: dict, client: Client, processes: list) -> None:
    """One budget of ``lines`` lines saved as the web does (its annexes queued as it commits); the time until the
    worker has stored both files, the worker's peak memory, and the stored files' download times over HTTP."""
    script = (
        "import json,sys,time\n"
        "from costing import create_app\nfrom costing.budgets import annexes, service\n"
        "from costing.models import User, db\nfrom costing.web import current_parameters\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    user = db.session.query(User).filter_by(username='yubei.bianzhi').one()\n"
        "    budget = service.create_budget(user, json.loads(sys.stdin.read()), current_parameters())\n"
        "    planned = annexes.plan_new(budget, budget.latest)\n"
        "    db.session.commit()\n    annexes.send(planned)\n"
        "    print(json.dumps([budget.id, budget.latest.id, time.time()]))\n")
    if len(processes) < 2:
        sys.exit("--large needs the Celery worker (leave out --no-worker)")
    done = subprocess.run([str(BIN / "python"), "-c", script], cwd=ROOT, env=env, input=json.dumps(budget(lines, "大预算")),
                          capture_output=True, text=True, check=True)
    budget_id, revision_id, queued = json.loads(done.stdout.strip().splitlines()[-1])
    engine = create_engine(database_url(PG, ""))
    states: dict = {}
    while time.time() - queued < 1800:
        with engine.connect() as conn:
            states = {r.kind: (r.status, r.updated_at) for r in conn.execute(text(
                "SELECT kind, status, updated_at FROM annex_file WHERE revision_id = :r"), {"r": revision_id})}
        if len(states) == 2 and all(status in ("done", "failed") for status, _ in states.values()):
            break
        time.sleep(0.5)
    engine.dispose()
    took = max(at.timestamp() for _, at in states.values()) - queued
    peak = next((int(line.split()[1]) for line in Path(f"/proc/{processes[1].pid}/status").read_text().splitlines()
                 if line.startswith("VmHWM:")), 0)
    print(f"{lines}-line budget: both annexes {', '.join(f'{k} {v[0]}' for k, v in sorted(states.items()))} "
          f"{took:.1f} s after the save committed; the worker's peak memory {peak / 1024 / 1024:.2f} GB")
    for kind in ("pdf", "xlsx"):
        times, size = [], 0
        for _ in range(10):
            start = time.perf_counter()
            status, content, _ = client.request("GET", f"/budgets/{budget_id}/annex.{kind}")
            times.append((time.perf_counter() - start) * 1000)
            assert status == 200, status
            size = len(content)
        print(f"download of the stored {kind.upper()} ({size / 1024 / 1024:.1f} MB): median {statistics.median(times):.1f} ms, "
              f"slowest {max(times):.1f} ms of 10")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="*", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--fault", action="store_true", help="restart PostgreSQL once during a 16-client run")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker: each server process's job process")
    parser.add_argument("--large", type=int, metavar="LINES",
                        help="instead of the mix: save one budget of LINES lines, time its annexes made by the worker "
                             "in the background, then their downloads")
    args = parser.parse_args()
    port = _free_port()
    tmp = tempfile.mkdtemp()
    # every client is the same user: its allowance of lines priced is raised so that the figures are what the
    # server can do (still counted, so the counting is measured too)
    env = dict(os.environ, COSTING_DATABASE_URL=PG, COSTING_INSTANCE_PATH=tmp, COSTING_SECRET_KEY="load",
               COSTING_JSON_LOGS="0", COSTING_BIND=f"127.0.0.1:{port}", COSTING_WORK_RATE_LIMIT="1000000000 per minute")
    if not args.no_worker:
        env["COSTING_REDIS_URL"] = REDIS
    plan = setup(max(args.clients + [16]), env)
    server_log = Path(tmp) / "server.log"              # errors with their stacks (printed: its path)
    processes = [subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=server_log.open("w"))]
    if not args.no_worker:
        processes.append(subprocess.Popen([str(BIN / "celery"), "-A", "costing.worker", "worker", "--pool", "solo",
                                           "--loglevel", "warning"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        warm = Client(port)
        for _ in range(100):
            try:
                if warm.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        warm.log_in("yubei.bianzhi")
        while warm.request("GET", f"/budgets/{plan['pdf']}/annex.pdf")[0] != 200:    # rendered in the background
            time.sleep(0.5)
        workers = os.environ.get("COSTING_WORKERS") or "默认"
        print(f"server log: {server_log}")
        print(f"gunicorn on PostgreSQL, workers {workers}; {'Celery worker on Redis' if not args.no_worker else 'job processes'}")
        print("| run | req/s | page p50 / p95 / p99 ms | preview | save | PDF download | errors (kind status: n) "
              "| CPU ms per request: server / job worker / load driver |")
        print("|---|---:|---:|---:|---:|---:|---|---:|")

        def measured(clients, mix, fault=None):
            before = cpu_use(processes)
            outcome = run(port, plan, clients, args.seconds, mix, fault)
            after = cpu_use(processes)
            outcome["cpu"] = {k: after[k] - before[k] for k in after}
            return outcome
        if args.large:
            large(args.large, env, warm, processes)
            return
        if args.fault:
            back: list[float] = []

            def restart():
                time.sleep(args.seconds / 3)
                version = sorted(os.listdir("/etc/postgresql"))[0]
                subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
                back.append(time.monotonic())          # pg_ctlcluster returns once it accepts connections
                print(f"(PostgreSQL {version} restarted at {args.seconds / 3:.0f} s)", flush=True)
            outcome = measured(16, MIX, restart)
            report(f"16 × {args.seconds:.0f} s, PostgreSQL restarted once", outcome)
            engine = create_engine(database_url(PG, ""))
            with engine.connect() as conn:
                notes = {(r.budget_id, r.note) for r in conn.execute(text("SELECT budget_id, note FROM revision"))}
            engine.dispose()
            lost = [a for a in outcome["acknowledged"] if a not in notes]
            print(f"acknowledged saves: {len(outcome['acknowledged'])}, missing afterwards: {len(lost)}")
            late = [t - back[0] for t in outcome["failures"] if back and t > back[0]]
            print(f"last failed request {max(late):.2f} s after PostgreSQL accepted connections again" if late
                  else "no failed request after PostgreSQL accepted connections again")
            return
        for clients in args.clients:
            report(f"{clients} × {args.seconds:.0f} s", measured(clients, MIX))
        report(f"16 × {args.seconds:.0f} s, downloads only", measured(16, (("pdf", 1),)))
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
