"""The Celery side of ``costing.jobs``: one Celery app per Flask app, with the Redis broker at
``COSTING_REDIS_URL``; each registered job becomes the task ``costing.<name>`` run inside the Flask app's
context. Workers: ``celery -A costing.worker worker`` (``costing/worker.py`` makes the Flask app)."""
from __future__ import annotations

from celery import Celery
from flask import Flask

from . import jobs


def celery_for(app: Flask) -> Celery:
    found = app.extensions.get("celery")
    if found is not None:
        return found
    celery = Celery(f"costing-{id(app):x}", broker=app.config["REDIS_URL"], set_as_current=False)
    celery.conf.update(
        task_ignore_result=True,               # a job's outcome is its database row
        task_acks_late=True,                   # a job is taken off the queue when done: a lost worker's is redone
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,          # renders are long: one at a time per worker process
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
    )
    for name in jobs.TASKS:
        def run(row_id: int, _name: str = name) -> None:
            with app.app_context():
                jobs.run(_name, row_id)
        celery.task(name=f"costing.{name}", shared=False)(run)      # this app's only (tests make several)
    app.extensions["celery"] = celery
    return celery
