"""Background jobs (rendering annexes ahead of their download), on one of three backends:

- ``celery``: a Celery worker with the Redis broker at ``COSTING_REDIS_URL`` (start workers with
  ``celery -A costing.worker worker``; the web nodes only send the job's name and its row id);
- ``thread`` (the default without Redis): a small pool of threads in each server process, so ``make run``
  needs no other service;
- ``inline``: run at once in the caller (tests, and the command line).

A job's state lives in the database row it works on (e.g. ``annex_file``), never in the queue, so any process
can tell how far it is, a job lost with its process is started again, and a job is idempotent: it first
checks that its row still asks for it.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from flask import Flask, current_app

from .models import db

log = logging.getLogger("costing.jobs")
TASKS: dict[str, Callable[[int], None]] = {}
_pools: dict[int, ThreadPoolExecutor] = {}
_futures: dict[int, list] = {}


def task(name: str):
    """Register ``fn(row_id)`` as the job called ``name`` (it runs inside an application context)."""
    def register(fn):
        TASKS[name] = fn
        return fn
    return register


def backend(app: Flask) -> str:
    return app.config.get("JOBS") or ("celery" if app.config.get("REDIS_URL") else "thread")


def dispatch(name: str, row_id: int, countdown: float = 0) -> None:
    """Start job ``name`` for a row already committed (a job reads it from its own connection)."""
    app = current_app._get_current_object()
    kind = backend(app)
    if kind == "inline":
        TASKS[name](row_id)
    elif kind == "celery":
        from .celery_jobs import celery_for  # noqa: PLC0415 — Celery is loaded only where it is used
        celery_for(app).send_task(f"costing.{name}", args=[row_id], countdown=countdown)
    else:
        pool = _pools.get(id(app))
        if pool is None:
            pool = _pools[id(app)] = ThreadPoolExecutor(max_workers=int(app.config.get("JOB_THREADS") or 1),
                                                        thread_name_prefix="costing-job")
        futures = [f for f in _futures.get(id(app), []) if not f.done()]
        futures.append(pool.submit(_run_in_thread, app, name, row_id, countdown))
        _futures[id(app)] = futures


def _run_in_thread(app: Flask, name: str, row_id: int, countdown: float) -> None:
    if countdown:
        time.sleep(countdown)
    with app.app_context():
        run(name, row_id)


def run(name: str, row_id: int) -> None:
    """Run a job in the current application context (a worker calls this); its own failures are its row's."""
    try:
        TASKS[name](row_id)
    except Exception:        # a job reports into its row; anything escaping is logged, never lost silently
        log.exception("job %s(%s) failed", name, row_id)
    finally:
        db.session.remove()


def wait_idle(app: Flask, timeout: float = 60) -> None:
    """Tests and benchmarks: wait until this app's thread pool has run what it was given."""
    deadline = time.monotonic() + timeout
    while pending := [f for f in _futures.get(id(app), []) if not f.done()]:
        pending[0].result(timeout=max(0.1, deadline - time.monotonic()))
