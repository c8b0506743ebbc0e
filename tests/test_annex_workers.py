"""Annex jobs on real Celery worker processes, on the machine's PostgreSQL and Redis (db of
COSTING_TEST_REDIS_URL): a worker configured with another public address renders what the web queued and never
rewrites an approved file; a worker killed in the middle of a render is replaced (as systemd restarts it) and the
annex is made within two minutes. The web side is this test's app, with the test client."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from costing import ROOT
from costing.budgets import annexes, service
from costing.models import AnnexFile, User, db
from costing.web import current_parameters

from .web import world
from .web.world import log_in

REDIS = os.environ.get("COSTING_TEST_REDIS_URL")
BIN = Path(sys.executable).parent
WEB_URL = "https://costing.example.gov.cn"
pytestmark = [pytest.mark.commits, pytest.mark.skipif(not REDIS, reason="needs COSTING_TEST_REDIS_URL")]


def _flush_queue() -> None:
    import redis  # noqa: PLC0415 — only these tests talk to Redis directly

    redis.Redis.from_url(REDIS).flushdb()       # this database of Redis is the tests' own


@pytest.fixture
def workers(app, tmp_path):
    """``start(name, public_url)`` starts a Celery worker process (solo pool, as one render at a time) on this
    test's database; all are stopped at the end."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("worker processes run against PostgreSQL (on SQLite the thread backend renders)")
    _flush_queue()
    app.config.update(JOBS="celery", REDIS_URL=REDIS, PUBLIC_URL=WEB_URL)
    started: list[subprocess.Popen] = []

    def start(name: str, public_url: str = "https://worker.example.gov.cn") -> subprocess.Popen:
        env = dict(os.environ, COSTING_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], COSTING_REDIS_URL=REDIS,
                   COSTING_PUBLIC_URL=public_url, COSTING_SECRET_KEY="tests", COSTING_INSTANCE_PATH=str(tmp_path),
                   COSTING_WORKER_NICE="0", COSTING_JSON_LOGS="0")
        with open(tmp_path / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                [str(BIN / "celery"), "-A", "costing.worker", "worker", "--pool", "solo", "--loglevel", "info",
                 "-n", f"{name}@%h", "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process
    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _flush_queue()


def approve(app, budget_id: int) -> None:
    log_in(app.test_client(), "a_prep").post(f"/budgets/{budget_id}/submit", data={"confirm": "y", "revision": "1"})
    log_in(app.test_client(), "a_appr").post(f"/budgets/{budget_id}/approve", data={"confirm": "y", "revision": "1"})


def downloaded(client, path: str, seconds: float) -> bytes:
    """What the waiting page does: ask until the file is there (202 meanwhile)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(path)
        if answer.status_code == 200:
            return answer.data
        assert answer.status_code == 202, answer.status_code
        assert time.monotonic() < deadline, client.get(path.replace("annex.", "annex-status.")).json
        time.sleep(0.5)


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", "", subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                             check=True).stdout.decode())


def test_a_worker_with_another_public_address_renders_what_was_queued_and_never_replaces_an_approved_file(
        app, client, workers):
    workers("other-address", public_url="https://worker.example.gov.cn")
    w = world.build()
    approve(app, w.budget_a)            # queues the approved revision's files ahead, for the worker
    log_in(client, "a_prep")
    signed = downloaded(client, f"/budgets/{w.budget_a}/annex.pdf", 90)
    text = text_of(signed)
    assert f"{WEB_URL}/verify/" in text and "worker.example" not in text      # what the web queued, not the worker's
    # a download through a node configured with yet another address serves the approved file as it is
    app.config["PUBLIC_URL"] = "https://other-node.example.gov.cn"
    again = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert again.status_code == 200 and again.data == signed
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "done"
    time.sleep(1)           # anything the worker were wrongly given would have landed by now
    db.session.remove()
    assert db.session.scalar(select(AnnexFile.content).where(AnnexFile.kind == "pdf")) == signed


def test_a_worker_killed_mid_render_is_replaced_and_the_annex_made_within_two_minutes(app, client, workers,
                                                                                     monkeypatch):
    # how long the web waits on a silent job before it calls it lost, shortened for the test (README gives the
    # figure with the default, measured by bench/annex_jobs.py)
    monkeypatch.setattr(annexes, "LOST", timedelta(seconds=10))
    first = workers("first", public_url=WEB_URL)
    w = world.build()
    preparer = db.session.get(User, w.users["a_prep"])
    big = service.create_budget(preparer, world.budget_with(lines=300), current_parameters()).id
    db.session.commit()
    log_in(client, "a_prep")
    assert client.get(f"/budgets/{big}/annex.pdf").status_code == 202
    deadline = time.monotonic() + 90
    while True:
        db.session.remove()
        if db.session.scalar(select(AnnexFile.status).where(AnnexFile.kind == "pdf")) == "running":
            break
        assert time.monotonic() < deadline, "the worker never started the render"
        time.sleep(0.1)
    os.kill(first.pid, signal.SIGKILL)          # mid-render, as the OOM killer or a power cut would
    killed = time.monotonic()
    first.wait()
    workers("restarted", public_url=WEB_URL)    # as systemd (Restart=always) starts it again
    while (status := client.get(f"/budgets/{big}/annex-status.pdf").json)["status"] not in ("done", "failed"):
        assert time.monotonic() - killed < 120, status
        time.sleep(1)                           # the waiting page asks every 1 to 5 seconds
    assert status["status"] == "done", status
    assert client.get(f"/budgets/{big}/annex.pdf").data.startswith(b"%PDF")
