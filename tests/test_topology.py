"""Beyond one machine, on this one: two app processes (gunicorn, as `make run` serves) and one Celery worker
sharing PostgreSQL and Redis. A parameter confirmed through one process is used by the other at once; an
annex queued by a save on one is rendered by the worker and served by the other."""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from costing import ROOT, database_url

PG = os.environ.get("COSTING_TEST_DATABASE_URL")
REDIS = os.environ.get("COSTING_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not (PG and REDIS), reason="needs COSTING_TEST_DATABASE_URL and COSTING_TEST_REDIS_URL")
BIN = Path(sys.executable).parent
NEW_BASE = {"region": "cq", "value": "4,600", "start": "2026-01-01", "end": "2026-12-31",
            "doc_no": "渝人社发〔2026〕30号", "title": "关于做好2026年度社会保险缴费基数上下限核定有关工作的通知",
            "issuer": "重庆市人力资源和社会保障局", "doc_date": "2026-08-20", "url": "https://rlsbj.cq.gov.cn/x.html",
            "confidence": "verified_official", "note": ""}


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them, over plain HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as answer:
                return answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("Content-Type", "")

    def post(self, path: str, fields: dict, token_from: str | None = None) -> int:
        _, page, _ = self.get(token_from or path)
        token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode(fields | {"csrf_token": token}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    def log_in(self, username: str) -> None:
        assert self.post("/login", {"username": username, "password": "demo-2025"}) == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def topology(tmp_path):
    base = database_url(PG, "")
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS topology_test CASCADE"))
        conn.execute(text("CREATE SCHEMA topology_test"))
    joiner = "&" if "?" in PG else "?"
    env = dict(os.environ, COSTING_DATABASE_URL=f"{PG}{joiner}options=-csearch_path%3Dtopology_test",
               COSTING_REDIS_URL=REDIS, COSTING_INSTANCE_PATH=str(tmp_path), COSTING_SECRET_KEY="topology",
               COSTING_JSON_LOGS="0", COSTING_WORKERS="1", COSTING_THREADS="4")
    for command in (["db", "upgrade"], ["costing", "seed"], ["costing", "demo"]):
        subprocess.run([str(BIN / "python"), "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=120)
    processes, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            processes.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                env=env | {"COSTING_BIND": f"127.0.0.1:{port}"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        processes.append(subprocess.Popen(
            [str(BIN / "celery"), "-A", "costing.worker", "worker", "--pool", "solo", "--loglevel", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for url in bases:
            _wait(url + "/healthz")
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS topology_test CASCADE"))
        admin.dispose()


def _base_floor_used(browser: Browser) -> str:
    budget = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    budget["project"].update(start="2026-01", end="2026-12")
    request = urllib.request.Request(browser.base + "/api/v1/compute", data=json.dumps(budget).encode(),
                                     headers={"Content-Type": "application/json"})
    with browser.opener.open(request, timeout=30) as answer:
        result = json.loads(answer.read())
    return next(p["value"] for p in result["parameters"] if p["name"] == "si.base_floor")


def test_two_app_processes_and_a_worker_share_the_database_and_the_queue(topology):
    a, b = topology
    # a figure entered through A and confirmed through B is what both use at once
    entering, confirming = Browser(a), Browser(b)
    entering.log_in("admin")
    confirming.log_in("admin.fuhe")
    before = _base_floor_used(Browser(a))
    assert entering.post("/admin/parameters/family/si.base_floor", NEW_BASE) == 200
    _, page, _ = confirming.get("/admin/parameters/family/si.base_floor")
    row = re.search(rb"/admin/parameters/values/(\d+)/confirm", page).group(1).decode()
    assert confirming.post(f"/admin/parameters/values/{row}/confirm", {},
                           token_from="/admin/parameters/family/si.base_floor") == 200
    assert _base_floor_used(Browser(a)) == _base_floor_used(Browser(b)) == "4600.00" != before

    # a budget saved through A: its annex is rendered by the worker and served by B
    preparer = Browser(a)
    preparer.log_in("yubei.bianzhi")
    assert preparer.post("/budgets/1/submit", {"confirm": "y", "revision": "1"}, token_from="/budgets/1") == 200
    reader = Browser(b)
    reader.log_in("yubei.bianzhi")
    deadline = time.monotonic() + 90
    while True:
        status, body, kind = reader.get("/budgets/1/annex.pdf")
        if status == 200 or time.monotonic() > deadline:
            break
        assert status == 202, status
        time.sleep(0.5)
    assert status == 200 and kind == "application/pdf" and body.startswith(b"%PDF")
