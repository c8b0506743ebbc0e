"""Entry point of the Celery workers: ``celery -A costing.worker worker --loglevel=info`` (with the same
``COSTING_DATABASE_URL`` and ``COSTING_REDIS_URL`` as the web nodes). Celery looks for ``app`` here."""
from . import create_app
from .celery_jobs import celery_for

flask_app = create_app()
app = celery = celery_for(flask_app)
