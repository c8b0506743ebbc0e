"""gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Each setting can be changed by the environment variable named beside it. Threads serve the many short
requests (pages, previews, saves) while one of them waits on the database; rendering an annex never runs
in a request, so no request comes near the timeout.
"""
import multiprocessing
import os

bind = os.environ.get("COSTING_BIND", "127.0.0.1:5000")                       # behind nginx: keep it local
workers = int(os.environ.get("COSTING_WORKERS") or min(4, multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("COSTING_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("COSTING_THREADS") or 4)
timeout = int(os.environ.get("COSTING_TIMEOUT") or 60)        # a request taking longer is a bug: the worker restarts
graceful_timeout = 30
keepalive = 5
max_requests = 2000                                          # recycle workers now and then (memory)
max_requests_jitter = 200
limit_request_line = 8190
# the app writes one JSON line per request (request id, user, duration) to stderr; gunicorn's own access log
# is off unless asked for (COSTING_ACCESS_LOG=- or a file)
accesslog = os.environ.get("COSTING_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("COSTING_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("COSTING_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "costing"
