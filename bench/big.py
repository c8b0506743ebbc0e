"""The biggest budget allowed (issue #20): 5,000 staff lines and 5,000 cost lines over 60 months.

Run: .venv/bin/python bench/big.py                        # this tree
     .venv/bin/python bench/big.py --tree /some/checkout  # another version of the code, for comparison
     .venv/bin/python bench/big.py --skip-annex           # without the 5,000-line annex (about 2 minutes)
     .venv/bin/python bench/big.py --work                 # only what pricing costs by lines and months

1. In one process (the Flask test client: server time only, SQLite): the budget's edit page (size, CPU median of
   --repeat), and its budget page for comparison; its 明细表 downloaded, and uploaded with one pay changed (saved as
   revision 2: the file's size and the CPU); a signed-in /api/v1/compute of it (CPU, answer size), then 10 of
   them back to back with the default limits (how many are priced); the live preview of the most lines the edit
   page posts, and of 5,000 staff lines.
2. On gunicorn as `make run` serves it (5 processes on this machine), without Redis, behind one trusted proxy: 200
   anonymous API posts from one address in a row (how many are let through: the limit is 30 a minute).
3. The same server renders the budget's PDF annex when it is asked for (no Redis): how long it takes, the memory of
   the largest process doing it, and of each server process before, at its largest and after.

--work: a signed-in /api/v1/compute of so many staff and cost lines over so many months (CPU, median of 3, and the
answer's size): what the allowance of lines priced a minute (COSTING_WORK_RATE_LIMIT) is sized by.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

INSIDE = r"""
import json, statistics, sys, tempfile, time
from sqlalchemy import select
from costing import create_app
from costing.budgets import service
from costing.engine.parameters import load_documents
from costing.models import User, db
from costing.parameters.seed import seed
from costing.web import current_parameters
from tests.web import world
repeat = int(sys.argv[1])
folder = tempfile.mkdtemp()
app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/big.sqlite", "SECRET_KEY": "x", "JSON_LOGS": False,
                  "JOBS": "inline", "WTF_CSRF_ENABLED": False, "RATE_LIMIT_FILE": f"{folder}/ratelimits.sqlite"})
with app.app_context():
    db.create_all(); seed(db.session, load_documents()); db.session.commit()
    world.build()
    data = world.budget_with(5000, 60)
    data["costs"] = [dict(data["costs"][1], name=f"活动 {i + 1}") for i in range(5000)]
    data["project"]["appropriation"] = "999999999.00"
    user = db.session.scalar(select(User).where(User.username == "a_prep"))
    budget_id = service.create_budget(user, data, current_parameters(), "大预算").id
    db.session.commit()
client = app.test_client()
client.post("/login", data={"username": "a_prep", "password": world.PASSWORD})

def measure(method, url, times=repeat, **kwargs):
    cpus, answer = [], None
    for _ in range(times):
        cpu = time.process_time()
        answer = getattr(client, method)(url, **kwargs)
        cpus.append(time.process_time() - cpu)
    return {"status": answer.status_code, "bytes": len(answer.data), "cpu_ms": round(statistics.median(cpus) * 1000, 1)}

out = {}
client.get(f"/budgets/{budget_id}")                 # the first read of a revision in a process parses it
out["edit page"] = measure("get", f"/budgets/{budget_id}/edit")
out["budget page"] = measure("get", f"/budgets/{budget_id}")
cpu = time.process_time()
download = client.get(f"/budgets/{budget_id}/lines.xlsx?revision=1")
if download.status_code == 200:                     # (a tree without the 明细表 has no such page)
    out["明细表 download"] = {"status": 200, "bytes": len(download.data),
                              "cpu_ms": round((time.process_time() - cpu) * 1000, 1)}
    import io
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(download.data))
    book["人员"]["F2"] = 5100
    changed = io.BytesIO()
    book.save(changed)
    fields = world.page_form(client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True), "budget-form")
    cpu = time.process_time()
    saved = client.post(f"/budgets/{budget_id}/edit", content_type="multipart/form-data",
                        data=fields | {"lines_file": (io.BytesIO(changed.getvalue()), "明细表.xlsx")})
    out["明细表 upload and save"] = {"status": saved.status_code, "bytes": len(changed.getvalue()),
                                    "cpu_ms": round((time.process_time() - cpu) * 1000, 1)}
body = json.dumps(data, ensure_ascii=False).encode()
app.config["WORK_RATE_LIMIT"] = ""
out["API, one request"] = measure("post", "/api/v1/compute", 1, data=body, content_type="application/json")
app.config.pop("WORK_RATE_LIMIT")                   # the default from here on (a tree without it: no such limit)
defaults = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/big.sqlite", "SECRET_KEY": "x"}).config
for key in ("WORK_RATE_LIMIT", "API_RATE_LIMIT"):
    if key in defaults:
        app.config[key] = defaults[key]
app.extensions["costing_limiter"].reset()
started = time.perf_counter()
answers = [client.post("/api/v1/compute", data=body, content_type="application/json").status_code for _ in range(10)]
out["API, 10 in a row"] = {"priced": answers.count(200), "refused": answers.count(429),
                           "seconds": round(time.perf_counter() - started, 1)}
app.extensions["costing_limiter"].reset()
page_lines = world.sample()
page_lines["personnel"] = [dict(page_lines["personnel"][1], post=f"社工{i}") for i in range(147)]
out["preview, 150 lines"] = measure("post", "/budgets/preview", data=world.form_fields(page_lines))
app.extensions["costing_limiter"].reset()
staff = world.budget_with(5000, 60)
out["preview, 5,000 staff lines"] = measure("post", "/budgets/preview", 1, data=world.form_fields(staff))
print(json.dumps(out))
"""


WORK = r"""
import json, statistics, sys, tempfile, time
from costing import create_app
from costing.engine.parameters import load_documents
from costing.models import db
from costing.parameters.seed import seed
from tests.web import world
folder = tempfile.mkdtemp()
app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/work.sqlite", "SECRET_KEY": "x", "JSON_LOGS": False,
                  "WTF_CSRF_ENABLED": False, "API_RATE_LIMIT": "", "WORK_RATE_LIMIT": "",
                  "RATE_LIMIT_FILE": f"{folder}/ratelimits.sqlite"})
with app.app_context():
    db.create_all(); seed(db.session, load_documents()); db.session.commit()
    world.build()
client = app.test_client()
client.post("/login", data={"username": "a_prep", "password": world.PASSWORD})
for staff, costs, months in [(3, 3, 12), (1000, 0, 1), (1000, 0, 12), (1000, 0, 60), (5000, 0, 1), (5000, 0, 12),
                             (5000, 0, 60), (1, 5000, 60), (5000, 5000, 60)]:
    data = world.budget_with(staff, months)
    data["costs"] = [dict(data["costs"][1], name=f"活动 {i + 1}") for i in range(costs)]
    body = json.dumps(data, ensure_ascii=False).encode()
    cpus = []
    for _ in range(3):
        cpu = time.process_time()
        answer = client.post("/api/v1/compute", data=body, content_type="application/json")
        cpus.append(time.process_time() - cpu)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    print(f"  {staff:>5,} staff lines {costs:>5,} cost lines {months:>3} months: {statistics.median(cpus) * 1000:7.1f} ms CPU, "
          f"answer {len(answer.data) / 1024 / 1024:5.2f} MB")
"""


def in_process(tree: Path, repeat: int) -> dict:
    done = subprocess.run([str(BIN / "python"), "-c", INSIDE, str(repeat)], cwd=tree, env=_env(tree), text=True,
                          capture_output=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(tree: Path, **extra) -> dict:
    env = os.environ | {"PYTHONPATH": str(tree), "COSTING_JSON_LOGS": "0"} | extra
    for name in ("COSTING_DATABASE_URL", "COSTING_REDIS_URL"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its name."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            found[int(entry.name)] = (int(rest[1]), name)
    return found


def _memory_mb(pid: int) -> tuple[float, float, float]:
    """(resident now, resident at its largest, address space at its largest) of a process, in MB; zeros once it has
    gone. The job process's cap (COSTING_JOB_MEMORY_MB) is on its address space."""
    try:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    except OSError:
        return 0.0, 0.0, 0.0
    if "VmRSS" not in status:           # it has exited (a zombie until its parent reads its status)
        return 0.0, 0.0, 0.0
    return tuple(int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM", "VmPeak"))


def _descendants(root: int) -> dict[int, int]:
    """The processes below ``root``: pid → its depth (1: a server process; 2: a process a server process started)."""
    table, found, depth = _processes(), {}, {root: 0}
    changed = True
    while changed:
        changed = False
        for pid, (parent, _name) in table.items():
            if parent in depth and pid not in depth:
                depth[pid] = depth[parent] + 1
                found[pid] = depth[pid]
                changed = True
    return found


class Client:
    def __init__(self, port: int, address: str = "10.0.0.1"):
        self.port, self.address, self.cookie = port, address, ""

    def send(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"X-Forwarded-For": self.address, "Cookie": self.cookie} | (
            {"Content-Type": content_type} if content_type else {})
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        content = answer.read()
        for value in answer.headers.get_all("Set-Cookie") or []:
            self.cookie = value.split(";", 1)[0]
        conn.close()
        return answer.status, content

    def log_in(self) -> None:
        _, page = self.send("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"username": "yubei.bianzhi", "password": "demo-2025", "csrf_token": token})
        assert self.send("POST", "/login", form.encode(), "application/x-www-form-urlencoded")[0] == 302


CREATE = r"""
from sqlalchemy import select
from costing import create_app
from costing.budgets import service
from costing.models import User, db
from costing.web import current_parameters
from tests.web import world
app = create_app({"JOBS": "inline"})
with app.app_context():
    data = world.budget_with(5000, 60)
    data["costs"] = [dict(data["costs"][1], name=f"活动 {i + 1}") for i in range(5000)]
    data["project"]["appropriation"] = "999999999.00"
    user = db.session.scalar(select(User).where(User.username == "yubei.bianzhi"))
    budget = service.create_budget(user, data, current_parameters(), "大预算")
    db.session.commit()
    print(budget.id)
"""


def on_gunicorn(tree: Path, annex: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = _env(tree, COSTING_INSTANCE_PATH=folder, COSTING_SECRET_KEY="bench", COSTING_PROXY_HOPS="1")
        for command in (["db", "upgrade"], ["costing", "seed"], ["costing", "demo"]):
            subprocess.run([str(BIN / "python"), "-m", "flask", "--app", "wsgi", *command], cwd=tree, env=env,
                           check=True, capture_output=True)
        port = _free_port()
        log = open(Path(folder) / "server.log", "w")       # noqa: SIM115 — open while the server runs
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                                   "wsgi:app"], cwd=tree, env=env | {"COSTING_BIND": f"127.0.0.1:{port}"},
                                  stdout=log, stderr=log)
        try:
            for _ in range(150):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            time.sleep(2)                                   # every server process up
            workers = sorted(pid for pid, depth in _descendants(server.pid).items() if depth == 1)
            anonymous = Client(port, "203.0.113.9")
            answers = [anonymous.send("POST", "/api/v1/compute", b"{}", "text/plain")[0] for _ in range(200)]
            print(f"  200 anonymous posts from one address to {len(workers)} server processes: "
                  f"{sum(1 for a in answers if a != 429)} let through, {answers.count(429)} refused (limit: 30 a minute)")
            if not annex:
                return
            budget_id = int(subprocess.run([str(BIN / "python"), "-c", CREATE], cwd=tree, env=env, text=True,
                                           capture_output=True, check=True).stdout.split()[-1])
            client = Client(port)
            client.log_in()
            before = {pid: _memory_mb(pid)[0] for pid in workers}
            largest: dict[int, tuple[float, float]] = {}
            started = time.monotonic()
            status = client.send("GET", f"/budgets/{budget_id}/annex.pdf")[0]
            state = ""
            while time.monotonic() - started < 900:
                for pid in _descendants(server.pid):
                    _now, resident, space = _memory_mb(pid)
                    seen = largest.get(pid, (0.0, 0.0))
                    largest[pid] = (max(seen[0], resident), max(seen[1], space))
                answer = json.loads(client.send("GET", f"/budgets/{budget_id}/annex-status.pdf")[1])
                state = answer["status"]
                if state in ("done", "failed"):
                    break
                time.sleep(0.5)
            took = time.monotonic() - started
            pdf = client.send("GET", f"/budgets/{budget_id}/annex.pdf")
            time.sleep(3)
            after = {pid: _memory_mb(pid)[0] for pid in workers}
            print(f"  PDF annex of the budget (asked for: {status}): {state} after {took:.1f} s, "
                  f"{len(pdf[1]) / 1024 / 1024:.1f} MB")
            for pid in workers:
                print(f"    server process {pid}: {before[pid]:.0f} MB before, {largest.get(pid, (0, 0))[0]:.0f} MB at "
                      f"its largest, {after[pid]:.0f} MB after (resident)")
            for pid, (resident, space) in sorted(largest.items()):
                if pid not in workers and resident > 50:
                    print(f"    process {pid} started by a server process: {resident:.0f} MB resident, {space:.0f} MB "
                          f"address space at its largest")
        finally:
            server.terminate()
            server.wait(60)
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=ROOT, help="the code to run (default: this tree)")
    parser.add_argument("--repeat", type=int, default=5, help="requests of each page to take the median of")
    parser.add_argument("--skip-annex", action="store_true")
    parser.add_argument("--work", action="store_true", help="only what pricing costs by lines and months")
    args = parser.parse_args()
    tree = args.tree.resolve()
    print(f"code: {tree}")
    if args.work:
        print("a signed-in /api/v1/compute (test client, SQLite), CPU median of 3:")
        subprocess.run([str(BIN / "python"), "-c", WORK], cwd=tree, env=_env(tree), check=True)
        return
    print("in one process (test client, SQLite), the budget of 5,000 staff and 5,000 cost lines over 60 months:")
    for name, found in in_process(tree, args.repeat).items():
        if "bytes" in found:
            print(f"  {name:28} {found['status']}  {found['bytes'] / 1024 / 1024:8.2f} MB  {found['cpu_ms']:9.1f} ms CPU")
        else:
            print(f"  {name:28} {found}")
    print("gunicorn (gunicorn.conf.py), SQLite, no Redis:")
    on_gunicorn(tree, not args.skip_annex)


if __name__ == "__main__":
    main()
