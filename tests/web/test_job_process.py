"""Without Redis, background jobs run in a process of their own per server process (issue #20: the annex of the
largest budget rendered inside a gunicorn worker for 89 s at 2.5 GB and left it 1.7 GB larger): never in the server
process, with its memory capped, at a lower priority; a job whose process is stopped is reported, and the next job
gets a new process; the process goes when idle, or after a job that took much memory; a timed job (a render) past
its time is stopped; a job sent with a delay lets the jobs due meanwhile run."""
import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from costing import jobs
from costing.budgets import annexes
from costing.models import AnnexFile, Budget, db

from . import job_probes, world
from .world import form_fields, log_in, sample

pytestmark = pytest.mark.commits          # the job process reads the rows from its own connection


@pytest.fixture
def probes(app, tmp_path, monkeypatch):
    """The process backend, with the probe jobs known to its process; yields what each probe wrote, by row id."""
    jobs.stop(app)          # a job process an earlier test left (e.g. Redis unreachable) knows no probes
    monkeypatch.setenv("COSTING_TEST_PROBES", str(tmp_path))
    app.config.update(JOBS="process", JOB_MODULES=["tests.web.job_probes"], JOB_MEMORY_MB=1024)
    yield lambda row_id: json.loads((tmp_path / f"{row_id}.json").read_text())
    jobs.stop(app)


def test_a_job_runs_in_a_process_of_its_own_with_its_memory_capped_and_a_lower_priority(app, probes):
    with app.test_request_context():
        jobs.dispatch("probe", 1)
    jobs.wait_idle(app, 60)
    found = probes(1)
    assert found["pid"] != os.getpid() and found["memory"] == 1024 * 1024 * 1024 and found["nice"] >= 10


def test_a_job_that_asks_for_more_memory_than_the_cap_is_refused_it_and_the_process_goes_on(app, probes):
    with app.test_request_context():
        jobs.dispatch("hungry", 1)
        jobs.dispatch("probe", 2)
    jobs.wait_idle(app, 60)
    assert probes(1)["refused"] == "MemoryError"
    assert probes(2)["pid"] != os.getpid()


def test_a_job_whose_process_is_stopped_is_reported_lost_and_the_next_job_gets_a_new_process(app, probes):
    with app.test_request_context():
        jobs.dispatch("probe", 1)
        jobs.dispatch("vanish", 2)
        jobs.dispatch("probe", 3)
    jobs.wait_idle(app, 60)
    lost = probes(2)
    assert lost["pid"] == os.getpid()          # reported by the server process
    assert "生成它的后台进程意外停止（退出码 -9；该进程的内存上限为 1,024 MB）" in lost["lost"]
    assert probes(1)["pid"] != probes(3)["pid"] and probes(3)["pid"] != os.getpid()


def test_the_process_goes_when_idle_and_after_a_job_that_took_much_memory(app, probes):
    app.config["JOB_IDLE_SECONDS"] = 1
    with app.test_request_context():
        jobs.dispatch("probe", 1)
    jobs.wait_idle(app, 60)
    runner = jobs._runners[id(app)]
    first, deadline = runner.pid, time.monotonic() + 10
    while Path(f"/proc/{first}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner.process is None and not Path(f"/proc/{first}").exists()      # gone once idle for a second
    app.config.update(JOB_IDLE_SECONDS=60, JOB_RECYCLE_MB=1)    # every job takes more than 1 MB
    with app.test_request_context():
        jobs.dispatch("probe", 2)
        jobs.dispatch("probe", 3)
    jobs.wait_idle(app, 60)
    assert len({probes(1)["pid"], probes(2)["pid"], probes(3)["pid"]}) == 3 and runner.process is None


def test_without_redis_a_saved_revisions_annexes_are_made_outside_the_server_process(app, client, probes, monkeypatch):
    def here(result, meta):
        raise AssertionError("rendered in the server process")
    for kind, (mimetype, _render) in list(annexes.KINDS.items()):
        monkeypatch.setitem(annexes.KINDS, kind, (mimetype, here))
    app.config["JOBS"] = None                          # the default without Redis
    assert jobs.backend(app) == "process"
    w = world.build()
    log_in(client, "a_prep")
    edited = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "4600.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    jobs.wait_idle(app, 120)
    db.session.remove()
    budget = db.session.get(Budget, w.budget_a)
    rows = db.session.scalars(select(AnnexFile).where(AnnexFile.revision_id == budget.latest.id)).all()
    assert sorted((r.kind, r.status) for r in rows) == [("pdf", "done"), ("xlsx", "done")]
    answer = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")


@pytest.mark.parametrize(("how", "said"), [
    ("COSTING_TEST_ANNEX_VANISHES", "生成它的后台进程意外停止（退出码 -9；该进程的内存上限为 1,024 MB），详情见服务器日志"),
    ("COSTING_TEST_ANNEX_HANGS", "生成超过时限（2 秒）仍未完成，已停止，详情见服务器日志")])
def test_an_annex_whose_process_is_stopped_or_whose_render_hangs_fails_saying_why_and_can_be_made_again(
        app, client, probes, monkeypatch, how, said):
    monkeypatch.setenv(how, "1")
    app.config["JOB_TIMEOUT_SECONDS"] = 2
    w = world.build()
    log_in(client, "a_prep")
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 202
    jobs.wait_idle(app, 120)
    failed = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    page = failed.get_data(as_text=True)
    assert failed.status_code == 500 and "PDF 附件生成失败" in page and "重新生成" in page
    assert f"{said}（已尝试 1 次）" in page and "Traceback" not in page
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["message"] == f"生成失败：{said}（已尝试 1 次）"
    jobs.stop(app)
    monkeypatch.delenv(how)
    app.config["JOB_TIMEOUT_SECONDS"] = None        # the default (a first render in a new process loads its fonts)
    assert client.post(f"/budgets/{w.budget_a}/annex-retry.pdf?revision=1").status_code == 302
    jobs.wait_idle(app, 120)
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 200
    assert job_probes.vanished            # (the module the job process imported)


STOPPED = "生成超过时限（1 秒）仍未完成，已停止，详情见服务器日志"


def test_a_timed_job_past_its_time_is_stopped_and_reported_and_the_next_job_runs(app, probes, monkeypatch):
    app.config["JOB_TIMEOUT_SECONDS"] = 1
    monkeypatch.setattr(jobs, "STOP_GRACE", 2)
    with app.test_request_context():
        jobs.dispatch("sleepy", 1)          # stops itself past its time, in its process
        jobs.dispatch("stuck", 2)           # where its own limit cannot reach it: its process is stopped
        jobs.dispatch("probe", 3)
    jobs.wait_idle(app, 60)                 # (not the hour they would take)
    assert probes(1)["stopped"] == STOPPED and probes(1)["pid"] != os.getpid()      # reported in its process
    assert probes(2) == {"stopped": STOPPED, "pid": os.getpid()}                    # reported by the server process
    assert probes(3)["pid"] not in (os.getpid(), probes(1)["pid"])      # in a new process: the other was stopped


def test_a_job_sent_with_a_delay_lets_the_jobs_due_meanwhile_run_first(app, probes):
    sent = time.time()
    with app.test_request_context():
        jobs.dispatch("probe", 1, countdown=3)          # a job tried again later
        jobs.dispatch("probe", 2)
    jobs.wait_idle(app, 60)
    assert probes(2)["at"] < probes(1)["at"] and probes(1)["at"] >= sent + 3


def test_on_the_thread_backend_a_job_sent_with_a_delay_holds_no_thread_meanwhile(app, tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_TEST_PROBES", str(tmp_path))
    app.config.update(JOBS="thread", JOB_THREADS=1)
    sent = time.time()
    with app.test_request_context():
        jobs.dispatch("probe", 1, countdown=2)
        jobs.dispatch("probe", 2)
    jobs.wait_idle(app, 30)
    first, second = (json.loads((tmp_path / f"{n}.json").read_text())["at"] for n in (1, 2))
    assert second < sent + 1.5 and first >= sent + 2
