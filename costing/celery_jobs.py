"""The Celery side of ``costing.jobs``: one Celery app per Flask app (and broker URL), with the Redis broker at
``COSTING_REDIS_URL``; each registered job becomes the task ``costing.<name>`` run inside the Flask app's
context. Workers: ``celery -A costing.worker worker`` (``costing/worker.py`` makes the Flask app); a worker needs
only the database and Redis addresses: what a job does is decided when it is queued and stored on its row."""
from __future__ import annotations

from celery import Celery
from flask import Flask

from . import jobs


def celery_for(app: Flask) -> Celery:
    url = app.config["REDIS_URL"]
    found = app.extensions.get("celery")
    if found is not None and found.conf.broker_url == url:
        return found
    celery = Celery(f"costing-{id(app):x}", broker=url, set_as_current=False)
    celery.conf.update(
        task_ignore_result=True,               # a job's outcome is its database row
        task_acks_late=True,                   # a job is taken off the queue when done: a lost worker's is redone
        task_reject_on_worker_lost=True,       # (a killed pool process's job at once; a killed worker's below)
        worker_prefetch_multiplier=1,          # renders are long: one at a time per worker process
        broker_connection_retry_on_startup=True,
        # a message taken by a worker that died is given out again after this long (its row is sent again sooner,
        # when someone waits for it: costing.budgets.annexes.LOST); a job given twice renders once
        broker_transport_options={"visibility_timeout": 300, "socket_connect_timeout": 2},
        # Redis down: say so quickly, and the job runs in the sending process instead (costing.jobs.dispatch)
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5},
    )
    for name in jobs.TASKS:
        def run(row_id: int, _name: str = name, **options) -> None:
            with app.app_context():
                jobs.run(_name, row_id, **options)
        # a timed job stops itself past its time (jobs.run); one stuck where that cannot reach it has its pool
        # process ended a little later (prefork pools; its row then says so when next asked)
        limit = jobs.time_limit(app) + jobs.STOP_GRACE if name in jobs.TIMED else None
        celery.task(name=f"costing.{name}", shared=False, time_limit=limit)(run)    # this app's only (tests make several)
    app.extensions["celery"] = celery
    return celery
