"""Annexes rendered ahead by background jobs (the thread backend here; Celery with Redis is the same rows):
queued when a revision is saved, served as stored bytes, a waiting page while pending, and a failing render
tried three times and then said in Chinese."""
import os
import socket
import sqlite3
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import OperationalError

from costing import jobs
from costing.budgets import annexes
from costing.models import AnnexFile, Budget, db, utcnow

from . import world
from .world import form_fields, log_in, sample

pytestmark = pytest.mark.commits          # the jobs run on their own connections: they must see committed rows


def _saved_again(app, client, budget_id: int) -> dict[str, AnnexFile]:
    """Save the budget again (revision 2), wait for this process's jobs: the new revision's files by kind."""
    edited = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "4600.00"}
    assert client.post(f"/budgets/{budget_id}/edit", data=edited).status_code == 302
    jobs.wait_idle(app)
    db.session.remove()
    latest = db.session.get(Budget, budget_id).latest
    return {r.kind: r for r in db.session.scalars(select(AnnexFile).where(AnnexFile.revision_id == latest.id))}


def test_a_saved_revisions_annexes_are_queued_at_once_and_served_stored(app, client):
    app.config["JOBS"] = "thread"
    w = world.build()
    log_in(client, "a_prep")
    stored = _saved_again(app, client, w.budget_a)
    assert set(stored) == {"pdf", "xlsx"} and {r.status for r in stored.values()} == {"done"}
    answer = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert answer.status_code == 200 and answer.data == stored["pdf"].content and answer.data.startswith(b"%PDF")


def test_a_download_before_the_file_is_made_waits_on_a_page_then_gets_it(app, client, monkeypatch):
    app.config["JOBS"] = "thread"
    release = threading.Event()
    mimetype, render = annexes.KINDS["pdf"]

    def slow(result, meta):
        release.wait(30)
        return render(result, meta)
    monkeypatch.setitem(annexes.KINDS, "pdf", (mimetype, slow))
    w = world.build()
    log_in(client, "a_prep")
    waiting = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    page = waiting.get_data(as_text=True)
    assert waiting.status_code == 202 and "正在生成 PDF 附件（修订 1）" in page and "annex-wait.js" in page
    status = client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json
    assert status["status"] in ("queued", "running") and status["url"].endswith("/annex.pdf?revision=1")
    release.set()
    jobs.wait_idle(app)
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "done"
    done = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert done.status_code == 200 and done.mimetype == "application/pdf"


def test_a_draft_saved_again_before_its_job_starts_is_rendered_only_when_asked_for(app, client, monkeypatch):
    app.config["JOBS"] = "thread"
    queued, rendered = [], []
    monkeypatch.setattr(jobs, "dispatch", lambda name, row_id, countdown=0: queued.append(row_id))
    for kind, (mimetype, render) in list(annexes.KINDS.items()):
        monkeypatch.setitem(annexes.KINDS, kind, (mimetype, lambda result, meta, render=render, kind=kind:
                                                  rendered.append((kind, meta.revision)) or render(result, meta)))
    w = world.build()
    log_in(client, "a_prep")
    for base, pay in ((1, "4600.00"), (2, "4700.00")):      # saved twice before the worker gets to the first
        edited = form_fields(sample(name="A 项目")) | {"base_revision": str(base), "personnel-1-monthly_pay": pay}
        assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    assert len(queued) == 4
    for row_id in queued:
        jobs.run("annex", row_id)
    assert sorted(rendered) == [("pdf", 3), ("xlsx", 3)]           # revision 2's planned files were skipped
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 200
    waiting = client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=2")    # asked for: queued and rendered
    assert waiting.status_code == 202 and len(queued) == 5
    jobs.run("annex", queued[-1])
    assert rendered[-1] == ("pdf", 2)
    answer = client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=2")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")


def test_asking_for_a_planned_file_makes_its_job_render_it_even_once_replaced(app, client, monkeypatch):
    app.config["JOBS"] = "thread"
    queued = []
    monkeypatch.setattr(jobs, "dispatch", lambda name, row_id, countdown=0: queued.append(row_id))
    w = world.build()
    log_in(client, "a_prep")
    edited = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "4600.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 202      # waits on the planned job
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "queued"
    edited |= {"base_revision": "2", "personnel-1-monthly_pay": "4700.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    assert len(queued) == 4                             # the download queued nothing more: the job was on its way
    jobs.run("annex", queued[0])
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=2").status_code == 200


def test_a_failing_render_is_tried_three_times_then_says_why(app, client, monkeypatch):
    app.config["JOBS"] = "thread"
    monkeypatch.setattr(annexes, "RETRY_DELAY", 0)
    calls = []

    def broken(result, meta):
        calls.append(1)
        raise RuntimeError("no fonts")
    monkeypatch.setitem(annexes.KINDS, "xlsx", (annexes.KINDS["xlsx"][0], broken))
    w = world.build()
    log_in(client, "a_prep")
    client.get(f"/budgets/{w.budget_a}/annex.xlsx")
    for _ in range(3):
        jobs.wait_idle(app)
    failed = client.get(f"/budgets/{w.budget_a}/annex.xlsx")
    page = failed.get_data(as_text=True)
    assert len(calls) == 3 and failed.status_code == 500
    assert "Excel 附件生成失败" in page and "生成时出错（RuntimeError），详情见服务器日志（已尝试 3 次）" in page
    assert "重新生成" in page
    assert "Traceback" not in page and "no fonts" not in page
    status = client.get(f"/budgets/{w.budget_a}/annex-status.xlsx").json
    assert status["status"] == "failed"
    assert status["message"] == "生成失败：生成时出错（RuntimeError），详情见服务器日志（已尝试 3 次）"
    # asked again, it starts over (and succeeds once the cause is gone)
    monkeypatch.undo()
    app.config["JOBS"] = "thread"
    assert client.post(f"/budgets/{w.budget_a}/annex-retry.xlsx?revision=1").status_code == 302
    jobs.wait_idle(app)
    assert client.get(f"/budgets/{w.budget_a}/annex.xlsx").status_code == 200


@pytest.fixture
def celery_worker_for(app):
    """A Celery worker in this process on the machine's Redis (COSTING_TEST_REDIS_URL; .ci/run sets it)."""
    url = os.environ.get("COSTING_TEST_REDIS_URL")
    if not url:
        pytest.skip("COSTING_TEST_REDIS_URL is not set")
    from celery.contrib.testing.worker import start_worker  # noqa: PLC0415

    from costing.celery_jobs import celery_for  # noqa: PLC0415
    app.config.update(JOBS="celery", REDIS_URL=url)
    celery = celery_for(app)
    celery.conf.broker_url = url
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield celery


def test_on_celery_with_redis_a_saved_revisions_annexes_are_made_by_the_worker(app, client, celery_worker_for):
    w = world.build()
    log_in(client, "a_prep")
    edited = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "4700.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.remove()
        budget = db.session.get(Budget, w.budget_a)
        rows = db.session.scalars(select(AnnexFile).where(AnnexFile.revision_id == budget.latest.id)).all()
        if len(rows) == 2 and all(r.status == "done" for r in rows):
            break
        time.sleep(0.2)
    assert sorted((r.kind, r.status) for r in rows) == [("pdf", "done"), ("xlsx", "done")]
    answer = client.get(f"/budgets/{w.budget_a}/annex.xlsx")
    assert answer.status_code == 200 and answer.data.startswith(b"PK")


UNREACHABLE = "redis://127.0.0.1:6390/0"        # nothing listens there: Redis is down


def test_with_redis_unreachable_a_download_is_made_on_this_machine_instead_of_a_500(app, client):
    app.config.update(JOBS="celery", REDIS_URL=UNREACHABLE)
    w = world.build()
    log_in(client, "a_prep")
    waiting = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert waiting.status_code == 202 and "正在生成 PDF 附件" in waiting.get_data(as_text=True)
    jobs.wait_idle(app)
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "done"
    answer = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    jobs.stop(app)          # (the job process it made is this test's)


def test_with_redis_unreachable_a_saves_annexes_are_still_made_ahead(app, client):
    app.config.update(JOBS="celery", REDIS_URL=UNREACHABLE)
    w = world.build()
    log_in(client, "a_prep")
    stored = _saved_again(app, client, w.budget_a)
    assert {kind: row.status for kind, row in stored.items()} == {"pdf": "done", "xlsx": "done"}
    jobs.stop(app)


def _drop_the_jobs_connection() -> None:
    """What a database restart does to a job between two statements: its connection is gone."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        other = create_engine(db.engine.url)
        with other.begin() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")      # AdminShutdown, as in a restart
        other.dispose()
    else:                       # SQLite has no server to restart: the job's next statement fails as a lost one would
        job = threading.get_ident()     # (only the job's: a request running at the same moment is not hit)

        def fail_once(conn, cursor, statement, *args):
            if threading.get_ident() != job:
                return
            event.remove(db.engine, "before_cursor_execute", fail_once)
            raise OperationalError(statement, None, sqlite3.OperationalError("disk I/O error"))
        event.listen(db.engine, "before_cursor_execute", fail_once)


def test_a_job_whose_database_connection_is_lost_mid_job_is_retried(app, client, monkeypatch):
    app.config["JOBS"] = "thread"
    monkeypatch.setattr(jobs, "TRANSIENT_DELAYS", (0.1, 0.2, 0.4))
    mimetype, render = annexes.KINDS["xlsx"]
    calls = []

    def render_then_lose_the_database(result, meta):
        calls.append(1)
        if len(calls) == 1:
            _drop_the_jobs_connection()
        return render(result, meta)
    monkeypatch.setitem(annexes.KINDS, "xlsx", (mimetype, render_then_lose_the_database))
    w = world.build()
    log_in(client, "a_prep")
    assert client.get(f"/budgets/{w.budget_a}/annex.xlsx").status_code == 202
    jobs.wait_idle(app)
    db.session.remove()
    row = db.session.scalar(select(AnnexFile).where(AnnexFile.kind == "xlsx"))
    assert (row.status, row.attempts, row.error) == ("done", 0, None) and len(calls) == 2
    assert client.get(f"/budgets/{w.budget_a}/annex.xlsx").status_code == 200


def _row(kind: str = "pdf") -> AnnexFile:
    db.session.expire_all()
    return db.session.scalar(select(AnnexFile).where(AnnexFile.kind == kind))


@pytest.fixture
def sent(app, monkeypatch) -> list[int]:
    """The rows whose jobs were sent; none runs (the test plays the worker)."""
    app.config["JOBS"] = "thread"
    rows: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", lambda name, row_id, countdown=0, **options: rows.append(row_id))
    return rows


def test_a_job_whose_worker_died_is_sent_again_then_shown_failed_if_it_keeps_dying(app, client, sent):
    w = world.build()
    log_in(client, "a_prep")
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 202 and len(sent) == 1
    for died in (1, 2, 3):
        # a worker took the job, then its process was killed: its heartbeat stops
        row = _row()
        row.status, row.runner = "running", "elsewhere 4242 dead0run1"
        row.heartbeat_at = utcnow() - annexes.LOST - timedelta(seconds=1)
        db.session.commit()
        status = client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json
        if died < annexes.ATTEMPTS:
            assert status["status"] == "queued" and len(sent) == 1 + died         # sent again at once
            assert status["message"].startswith(f"排队等待重新生成…（已尝试 {died} 次，上次：生成附件的后台进程在生成时意外退出")
        else:
            assert status["status"] == "failed" and len(sent) == 1 + died - 1
            assert status["message"] == ("生成失败：生成附件的后台进程在生成时意外退出（可能内存不足或被重启），"
                                         "详情见服务器日志（已尝试 3 次）")
    page = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert "重新生成" in page.get_data(as_text=True)
    assert client.post(f"/budgets/{w.budget_a}/annex-retry.pdf?revision=1").status_code == 302 and len(sent) == 4


def test_a_queued_job_no_worker_takes_is_sent_again_then_shown_failed(app, client, sent):
    w = world.build()
    log_in(client, "a_prep")
    client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "queued" and len(sent) == 1
    row = _row()
    row.sent_at = row.updated_at = utcnow() - annexes.RESEND - timedelta(seconds=1)     # its message may be lost
    db.session.commit()
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "queued" and len(sent) == 2
    # a worker busy with another file shows it is alive: the job waits its turn
    other = AnnexFile(revision_id=row.revision_id, kind="xlsx", status="running", attempts=0, heartbeat_at=utcnow())
    db.session.add(other)
    db.session.commit()
    row = _row()
    row.updated_at = utcnow() - annexes.NO_WORKER - timedelta(seconds=1)
    row.sent_at = utcnow() - annexes.RESEND - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "queued" and len(sent) == 3
    # no job anywhere has shown life since it was queued: no worker is running
    db.session.delete(_row("xlsx"))
    row = _row()
    row.sent_at = utcnow() - annexes.RESEND - timedelta(seconds=1)
    db.session.commit()
    status = client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json
    assert status["status"] == "failed" and len(sent) == 3
    assert "没有后台进程接手" in status["message"] and "重新生成" in client.get(f"/budgets/{w.budget_a}/annex.pdf").get_data(as_text=True)


def test_a_job_given_out_again_takes_over_from_a_dead_process_of_its_machine_but_not_from_a_live_one(app, client,
                                                                                                    sent):
    w = world.build()
    log_in(client, "a_prep")
    client.get(f"/budgets/{w.budget_a}/annex.pdf")
    ended = subprocess.Popen(["true"])
    ended.wait()
    for runner, renders in ((f"{socket.gethostname()} {os.getpid()} another-run", False),     # alive: left to it
                            (f"{socket.gethostname()} {ended.pid} another-run", True)):       # killed: at once
        row = _row()
        row.status, row.runner, row.heartbeat_at = "running", runner, utcnow()
        db.session.commit()
        jobs.run("annex", row.id)          # (Celery gives a killed pool process's job out again)
        assert (_row().status, _row().attempts) == (("done", 1) if renders else ("running", 0))


def test_a_render_running_past_its_time_is_shown_failed_saying_so_and_can_be_made_again(app, client, sent):
    """A render stuck where its job's own time limit does not reach it (the thread backend; C code in a Celery solo
    worker; a pool process Celery ended at its time_limit) is said failed when next asked, and not sent again."""
    app.config["JOB_TIMEOUT_SECONDS"] = 60
    w = world.build()
    log_in(client, "a_prep")
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 202 and len(sent) == 1
    row = _row()
    row.status, row.runner, row.heartbeat_at = "running", f"{socket.gethostname()} {os.getpid()} run1", utcnow()
    row.updated_at = utcnow() - timedelta(seconds=60 + jobs.STOP_GRACE - 5)       # alive, and within its time
    db.session.commit()
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "running"
    row = _row()
    row.updated_at = utcnow() - timedelta(seconds=60 + jobs.STOP_GRACE + 1)       # still beating, past its time
    db.session.commit()
    status = client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json
    assert status == {"status": "failed", "message": "生成失败：生成超过时限（60 秒）仍未完成，已停止，详情见服务器日志（已尝试 1 次）",
                      "url": status["url"]} and len(sent) == 1
    page = client.get(f"/budgets/{w.budget_a}/annex.pdf").get_data(as_text=True)
    assert "重新生成" in page and "Traceback" not in page
    assert client.post(f"/budgets/{w.budget_a}/annex-retry.pdf?revision=1").status_code == 302 and len(sent) == 2


def test_a_render_stopped_past_its_time_writes_nothing_when_it_ends_after_all(app, client, sent, monkeypatch):
    """A render said failed past its time that fails later after all leaves the row as it was said."""
    monkeypatch.setitem(annexes.KINDS, "pdf", (annexes.KINDS["pdf"][0], lambda result, meta: _said_failed()))
    w = world.build()
    log_in(client, "a_prep")
    client.get(f"/budgets/{w.budget_a}/annex.pdf")
    jobs.run("annex", sent[0])
    assert (_row().status, _row().error, _row().attempts) == ("failed", "past its time", 0) and len(sent) == 1


def _said_failed():
    """(What the waiting page does meanwhile, from another connection.)"""
    with db.engine.begin() as connection:
        connection.execute(AnnexFile.__table__.update().values(status="failed", error="past its time"))
    raise RuntimeError("ended after all")


def test_a_timed_job_on_celery_has_its_pool_process_ended_a_little_past_its_time(app):
    app.config.update(REDIS_URL=UNREACHABLE, JOB_TIMEOUT_SECONDS=120)
    app.extensions.pop("celery", None)
    from costing.celery_jobs import celery_for  # noqa: PLC0415 — as the tests of Celery do

    try:
        celery = celery_for(app)
        assert celery.tasks["costing.annex"].time_limit == 120 + jobs.STOP_GRACE
        assert celery.tasks["costing.correction_prices"].time_limit is None
    finally:
        app.extensions.pop("celery", None)
