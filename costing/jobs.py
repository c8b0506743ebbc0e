"""Background jobs (rendering annexes ahead of their download), on one of three backends:

- ``celery``: a Celery worker with the Redis broker at ``COSTING_REDIS_URL`` (start workers with
  ``celery -A costing.worker worker``; the web nodes only send the job's name and its row id);
- ``thread`` (the default without Redis): a small pool of threads in each server process, so ``make run``
  needs no other service;
- ``inline``: run at once in the caller (tests, and the command line).

A job's state lives in the database row it works on (e.g. ``annex_file``), never in the queue, so any process
can tell how far it is, a job lost with its process is started again, and a job is idempotent: it first
checks that its row still asks for it.

A Redis that cannot be reached does not lose a job: it runs in this process instead (the ``thread`` backend),
and the broker is not asked again for half a minute. A job that loses the database (a restart, a dropped
connection) is tried again a few times, with the same run id (``current_run``), so it can tell its own earlier
try from another process at work on the same row.
"""
from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import exc as sa_exc

from .models import db

log = logging.getLogger("costing.jobs")
TASKS: dict[str, Callable[[int], None]] = {}
GIVE_UP: dict[str, Callable[[int, str], None]] = {}
TRANSIENT_DELAYS = (2, 4, 8, 15, 30)       # seconds before each new try of a job that lost the database
BROKER_PAUSE = 30.0                         # seconds the broker is not asked again after it could not be reached
_pools: dict[int, ThreadPoolExecutor] = {}
_futures: dict[int, list] = {}
_broker_down_until: dict[tuple[int, str | None], float] = {}
_run: ContextVar[str | None] = ContextVar("costing_job_run", default=None)


def task(name: str, give_up: Callable[[int, str], None] | None = None):
    """Register ``fn(row_id)`` as the job called ``name`` (it runs inside an application context).
    ``give_up(row_id, reason)`` says on the row that the job could not reach the database after its tries."""
    def register(fn):
        TASKS[name] = fn
        if give_up is not None:
            GIVE_UP[name] = give_up
        return fn
    return register


def current_run() -> str | None:
    """The id of the job run in progress, the same across its tries after a lost database (None outside jobs)."""
    return _run.get()


def transient(exc: BaseException) -> bool:
    """A database error that a later try may not meet: the server restarting, a dropped or timed-out connection."""
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                            sa_exc.PendingRollbackError)) \
        or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)


def backend(app: Flask) -> str:
    return app.config.get("JOBS") or ("celery" if app.config.get("REDIS_URL") else "thread")


def dispatch(name: str, row_id: int, countdown: float = 0, **options) -> None:
    """Start job ``name`` for a row already committed (a job reads it from its own connection). ``options``
    (``tries``, ``run_id``) go with it to ``run``."""
    app = current_app._get_current_object()
    kind = backend(app)
    if kind == "inline":
        run_inline(name, row_id, **options)
        return
    broker = (id(app), app.config.get("REDIS_URL"))
    if kind == "celery" and time.monotonic() >= _broker_down_until.get(broker, 0):
        from kombu.exceptions import OperationalError  # noqa: PLC0415 — Celery is loaded only where it is used

        from .celery_jobs import celery_for  # noqa: PLC0415
        try:
            celery_for(app).send_task(f"costing.{name}", args=[row_id], kwargs=options, countdown=countdown)
            return
        except (OperationalError, OSError) as exc:      # Redis down: the job runs here rather than nowhere
            _broker_down_until[broker] = time.monotonic() + BROKER_PAUSE
            log.warning("the job queue cannot be reached (%s): job %s(%s) runs in this process", exc, name, row_id)
    pool = _pools.get(id(app))
    if pool is None:
        pool = _pools[id(app)] = ThreadPoolExecutor(max_workers=int(app.config.get("JOB_THREADS") or 1),
                                                    thread_name_prefix="costing-job")
    futures = [f for f in _futures.get(id(app), []) if not f.done()]
    futures.append(pool.submit(_run_in_thread, app, name, row_id, countdown, options))
    _futures[id(app)] = futures


def _run_in_thread(app: Flask, name: str, row_id: int, countdown: float, options: dict) -> None:
    if countdown:
        time.sleep(countdown)
    with app.app_context():
        run(name, row_id, **options)


def run_inline(name: str, row_id: int, tries: int = 0, run_id: str | None = None) -> None:
    """Run a job in the caller (tests, the command line): its errors reach the caller."""
    token = _run.set(run_id or uuid.uuid4().hex[:12])
    try:
        TASKS[name](row_id)
    finally:
        _run.reset(token)


def run(name: str, row_id: int, tries: int = 0, run_id: str | None = None) -> None:
    """Run a job in the current application context (a worker calls this); its own failures are its row's. One
    that lost the database is sent again after a pause (``TRANSIENT_DELAYS``), then gives up on its row."""
    run_id = run_id or uuid.uuid4().hex[:12]
    token = _run.set(run_id)
    try:
        TASKS[name](row_id)
    except Exception as exc:        # a job reports into its row; anything escaping is logged, never lost silently
        db.session.remove()         # (its connection may be the one that was lost)
        if not transient(exc):
            log.exception("job %s(%s) failed", name, row_id)
        elif tries < len(TRANSIENT_DELAYS):
            log.warning("job %s(%s) lost the database (%s): trying again in %s s", name, row_id,
                        exc.__class__.__name__, TRANSIENT_DELAYS[tries])
            dispatch(name, row_id, countdown=TRANSIENT_DELAYS[tries], tries=tries + 1, run_id=run_id)
        else:
            log.exception("job %s(%s) lost the database %s times: giving up", name, row_id, tries + 1)
            _give_up(name, row_id, f"数据库连接中断，已重试 {tries} 次仍未恢复（{exc.__class__.__name__}），详情见服务器日志")
    finally:
        _run.reset(token)
        db.session.remove()


def _give_up(name: str, row_id: int, reason: str) -> None:
    if name not in GIVE_UP:
        return
    try:
        GIVE_UP[name](row_id, reason)
    except Exception:       # the database is still away: the row stays waiting, and its silence says it is lost
        log.exception("job %s(%s) could not record that it gave up", name, row_id)
        db.session.remove()


def wait_idle(app: Flask, timeout: float = 60) -> None:
    """Tests and benchmarks: wait until this app's thread pool has run what it was given."""
    deadline = time.monotonic() + timeout
    while pending := [f for f in _futures.get(id(app), []) if not f.done()]:
        pending[0].result(timeout=max(0.1, deadline - time.monotonic()))
