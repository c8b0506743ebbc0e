"""gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Each setting can be changed by the environment variable named beside it. The app is CPU-bound (a page, a live
preview or a save is 10–30 ms of Python), so the default is one request at a time per process, 2 × CPUs + 1
processes, each accepting a connection only when it is free and closing it after the answer: waiting requests
queue in the kernel in arrival order and go to whichever process frees first. (With threads, or with keep-alive
connections held by a busy process, a request could wait behind another process's queue while one stood idle:
the same throughput, but p95 nearly twice as long in bench/load.py.) Rendering an annex never runs in a request,
so no request comes near the timeout.
"""
import multiprocessing
import os

bind = os.environ.get("COSTING_BIND", "127.0.0.1:5000")                       # behind nginx: keep it local
workers = int(os.environ.get("COSTING_WORKERS") or min(8, 2 * multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("COSTING_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("COSTING_THREADS") or 1)
timeout = int(os.environ.get("COSTING_TIMEOUT") or 60)        # a request taking longer is a bug: the worker restarts
graceful_timeout = 30
keepalive = int(os.environ.get("COSTING_KEEPALIVE") or 0)                 # seconds; 0: close after each answer
worker_connections = int(os.environ.get("COSTING_WORKER_CONNECTIONS") or threads)     # accept only when free
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


def post_worker_init(worker):
    """Python's cycle collector, tuned for a server: what the worker loaded at start (the app, its templates and
    data) is moved out of the collector's way (gc.freeze), and the youngest generation is collected after
    50,000 new objects instead of 700 (``COSTING_GC_THRESHOLD``): a page or a preview allocates tens of
    thousands of short-lived objects, and the default made the collector take about a tenth of the CPU."""
    import gc  # noqa: PLC0415

    gc.freeze()
    gc.set_threshold(int(os.environ.get("COSTING_GC_THRESHOLD") or 50_000), 10, 10)
