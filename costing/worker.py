"""Entry point of the Celery workers: ``celery -A costing.worker worker --loglevel=info`` (with the same
``COSTING_DATABASE_URL`` and ``COSTING_REDIS_URL`` as the web nodes). Celery looks for ``app`` here.

A worker runs at a lower CPU priority than the web server (``COSTING_WORKER_NICE``, 10 by default; 0 keeps it
equal): on a machine that also serves pages, rendering annexes ahead uses the CPU the requests leave, so a
burst of saves never slows the pages down; on a node of its own it makes no difference."""
import os

from . import create_app
from .celery_jobs import celery_for

os.nice(int(os.environ.get("COSTING_WORKER_NICE") or 10))
flask_app = create_app()
app = celery = celery_for(flask_app)
