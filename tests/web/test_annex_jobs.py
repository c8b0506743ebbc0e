"""Annexes rendered ahead by background jobs (the thread backend here; Celery with Redis is the same rows):
queued when a revision is saved, served as stored bytes, a waiting page while pending, and a failing render
tried three times and then said in Chinese."""
import os
import threading
import time

import pytest
from sqlalchemy import select

from costing import jobs
from costing.budgets import annexes
from costing.models import AnnexFile, Budget, db

from . import world
from .world import form_fields, log_in, sample

pytestmark = pytest.mark.commits          # the jobs run on their own connections: they must see committed rows


def test_a_saved_revisions_annexes_are_queued_at_once_and_served_stored(app, client):
    app.config["JOBS"] = "thread"
    w = world.build()
    log_in(client, "a_prep")
    edited = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "4600.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    jobs.wait_idle(app)
    db.session.remove()
    budget = db.session.get(Budget, w.budget_a)
    stored = {r.kind: r for r in db.session.scalars(select(AnnexFile).where(AnnexFile.revision_id == budget.latest.id))}
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
