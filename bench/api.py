"""The JSON API against callers who post the worst they can (issue #14).

Run: .venv/bin/python bench/api.py                   # this tree
     .venv/bin/python bench/api.py --tree /some/checkout   # another version of the code, for comparison

First, in one process: what one anonymous request with the probe's worst case costs (5,000 lines over 60
months, about 2 MB: CPU time and the answer's size), and one with the most the anonymous caps let through.
Then on gunicorn (2 workers × 4 threads, as `make run` serves, on a fresh SQLite database with the demo data,
COSTING_PROXY_HOPS=1 so each attacker has an address of its own in X-Forwarded-For): CLIENTS signed-in
clients price the example budget (docs/example-budget.json) in a loop, first alone, then while ATTACKERS
anonymous clients post the worst case in a loop (at most one request each per --pace seconds: generating a
flood takes this machine's CPU too), then while they post the most the caps allow. The signed-in
clients' own rate limit and allowance of lines are raised (COSTING_API_RATE_LIMIT, COSTING_WORK_RATE_LIMIT) so that
their figure is what the server can do;
the anonymous limit is the default. Prints the clients' requests per second and p50/p95, and what the
attackers were answered.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.web.world import SAMPLE, budget_with  # noqa: E402  (the sized example budget the API tests use too)

WORST = json.dumps(budget_with(5000, 60), ensure_ascii=False).encode()        # the probe's worst case
CAPPED = json.dumps(budget_with(100, 36), ensure_ascii=False).encode()        # the most the anonymous caps allow
SMALL = json.dumps(SAMPLE, ensure_ascii=False).encode()


def one_request(tree: Path) -> None:
    """Each body once, anonymously, through the test client in a process of its own (the tree's code)."""
    script = r"""
import json, resource, sys, time, tempfile
from costing import create_app
from costing.engine.parameters import load_documents
from costing.models import db
from costing.parameters.seed import seed
bodies = json.loads(sys.stdin.read())
folder = tempfile.mkdtemp()
app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/one.sqlite", "SECRET_KEY": "x", "JSON_LOGS": False})
with app.app_context():
    db.create_all(); seed(db.session, load_documents()); db.session.commit()
client = app.test_client()
for name, body in bodies.items():
    body = body.encode()
    client.post("/api/v1/compute", data=b"{}", content_type="application/json")
    cpu, wall = time.process_time(), time.perf_counter()
    answer = client.post("/api/v1/compute", data=body, content_type="application/json")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"  {name:38} {len(body):>10,} B in → {answer.status_code}, {len(answer.data):>11,} B out, "
          f"{cpu * 1000:7.1f} ms CPU, {wall * 1000:7.1f} ms")
"""
    bodies = {"worst case (5,000 lines × 60 months)": WORST.decode(), "anonymous caps (100 lines × 36 months)":
              CAPPED.decode(), "example budget (3 lines × 12 months)": SMALL.decode()}
    subprocess.run([str(BIN / "python"), "-c", script], cwd=tree, env=_env(tree), input=json.dumps(bodies),
                   text=True, check=True)


def _env(tree: Path, **extra) -> dict:
    return os.environ | {"PYTHONPATH": str(tree), "COSTING_JSON_LOGS": "0"} | extra


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Connection:
    def __init__(self, port: int, address: str):
        self.port, self.address, self.cookie = port, address, ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def send(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple[int, bytes]:
        """The answer's status (0: the connection was closed on us) and body."""
        headers = {"X-Forwarded-For": self.address, "Cookie": self.cookie}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=body, headers=headers)
            answer = self.conn.getresponse()
            content = answer.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            return 0, b""
        if answer.will_close:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        for value in answer.headers.get_all("Set-Cookie") or []:
            self.cookie = value.split(";", 1)[0]
        return answer.status, content

    def post(self, path: str, body: bytes, content_type: str) -> int:
        return self.send("POST", path, body, content_type)[0]

    def log_in(self) -> None:
        _, page = self.send("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            rb'name="csrf-token" content="([^"]+)"', page)
        form = urllib.parse.urlencode({"username": "yubei.bianzhi", "password": "demo-2025",
                                       "csrf_token": token.group(1).decode()}).encode()
        assert self.post("/login", form, "application/x-www-form-urlencoded") == 302


def phase(port: int, clients: int, attackers: int, attack: bytes | None, seconds: float, number: int,
          pace: float) -> dict:
    latencies: list[float] = []
    answered: Counter = Counter()
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = Connection(port, f"10.0.0.{index + 1}")
        connection.log_in()
        while time.monotonic() < stop:
            start = time.perf_counter()
            status = connection.post("/api/v1/compute", SMALL, "application/json")
            if status == 200:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                answered[f"client {status}"] += 1

    def attacker(index: int) -> None:
        connection = Connection(port, f"203.0.{number}.{index + 1}")         # counted afresh in each phase
        while (now := time.monotonic()) < stop:
            answered[connection.post("/api/v1/compute", attack, "application/json")] += 1
            time.sleep(max(0.0, now + pace - time.monotonic()))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    if attack is not None:
        threads += [threading.Thread(target=attacker, args=(i,)) for i in range(attackers)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    values = sorted(latencies)
    return {"rate": len(values) / took, "p50": statistics.median(values) if values else 0,
            "p95": values[int(len(values) * 0.95)] if values else 0, "answered": dict(answered)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=ROOT, help="the code to run (default: this tree)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--pace", type=float, default=0.05,
                        help="an attacker sends at most one request per PACE seconds (its own CPU is this machine's)")
    args = parser.parse_args()
    tree = args.tree.resolve()
    print(f"code: {tree}")
    print("one anonymous request each, in process:")
    one_request(tree)

    with tempfile.TemporaryDirectory() as folder:
        env = _env(tree, COSTING_INSTANCE_PATH=folder, COSTING_SECRET_KEY="bench", COSTING_PROXY_HOPS="1",
                   COSTING_API_RATE_LIMIT="1000000 per minute", COSTING_WORK_RATE_LIMIT="1000000000 per minute",
                   COSTING_WORKERS="2", COSTING_THREADS="4")
        env.pop("COSTING_DATABASE_URL", None)
        env.pop("COSTING_REDIS_URL", None)
        for command in (["db", "upgrade"], ["costing", "seed"], ["costing", "demo"]):
            subprocess.run([str(BIN / "python"), "-m", "flask", "--app", "wsgi", *command], cwd=tree, env=env,
                           check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                                   "wsgi:app"], cwd=tree, env=env | {"COSTING_BIND": f"127.0.0.1:{port}"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            print(f"gunicorn, {args.clients} signed-in clients pricing the example budget for {args.seconds:.0f} s:")
            for number, (label, attack) in enumerate((
                    ("alone", None), (f"+ {args.attackers} anonymous posting the worst case", WORST),
                    (f"+ {args.attackers} anonymous posting the capped most", CAPPED))):
                outcome = phase(port, args.clients, args.attackers, attack, args.seconds, number, args.pace)
                print(f"  {label:45} {outcome['rate']:6.1f} req/s  p50 {outcome['p50']:6.1f} ms  "
                      f"p95 {outcome['p95']:7.1f} ms  answers to others: {outcome['answered']}")
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
