"""Background jobs (rendering annexes ahead of their download), on one of four backends:

- ``celery``: a Celery worker with the Redis broker at ``COSTING_REDIS_URL`` (start workers with
  ``celery -A costing.worker worker``; the web nodes only send the job's name and its row id);
- ``process`` (the default without Redis, so ``make run`` needs no other service): each server process hands its
  jobs, one at a time, to a process of its own (``costing.jobrunner``) that it starts when there is a job and that
  stops after JOB_IDLE_SECONDS without one, with its memory capped (``COSTING_JOB_MEMORY_MB``); a render never runs
  in a web worker, so it neither holds one nor leaves it gigabytes larger. A job whose process stops before it
  answers (past the memory cap, or killed) is reported to the job's ``lost`` handler;
- ``thread``: a small pool of threads in this process (the tests that replace a render in this process);
- ``inline``: run at once in the caller (tests, and the command line).

A job's state lives in the database row it works on (e.g. ``annex_file``), never in the queue, so any process
can tell how far it is, a job lost with its process is started again, and a job is idempotent: it first
checks that its row still asks for it.

A Redis that cannot be reached does not lose a job: it runs on this machine instead (the ``process`` backend), and
the broker is not asked again for half a minute. A job that loses the database (a restart, a dropped connection)
is tried again a few times, with the same run id (``current_run``), so it can tell its own earlier try from
another process at work on the same row. A job sent with a delay (such a try, or a render tried again) waits
without holding anything: Celery keeps it until its time, and the other backends run the jobs due meanwhile.

A job registered ``timed`` (an annex render) has JOB_TIMEOUT_SECONDS: past them it is stopped where it runs (in a
job process or a Celery worker: ``TimedOut`` is raised in it) and reported to its ``lost`` handler; one stuck
where that cannot reach it (in a library's C code) is stopped STOP_GRACE seconds later with its process (the job
process is killed; a Celery pool process reaches its ``time_limit``), and its row says so when next asked.
"""
from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import queue
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import exc as sa_exc

from .models import db
from .paths import ROOT

log = logging.getLogger("costing.jobs")
TASKS: dict[str, Callable[[int], None]] = {}
GIVE_UP: dict[str, Callable[[int, str], None]] = {}
LOST: dict[str, Callable[[int, str], None]] = {}
TIMED: set[str] = set()                     # the jobs stopped past JOB_TIMEOUT_SECONDS
TRANSIENT_DELAYS = (2, 4, 8, 15, 30)       # seconds before each new try of a job that lost the database
BROKER_PAUSE = 30.0                         # seconds the broker is not asked again after it could not be reached
STOP_GRACE = 30                             # seconds past its time a timed job is given before its process is stopped
_pools: dict[int, ThreadPoolExecutor] = {}
_futures: dict[int, list] = {}
_timers: dict[int, list[threading.Timer]] = {}     # the thread backend's jobs sent with a delay, not yet in its pool
_pool_lock = threading.Lock()
_runners: dict[int, _Runner] = {}
_followups: list[tuple[str, int, float, dict]] = []    # what a job dispatched in a job process, for its server
_broker_down_until: dict[tuple[int, str | None], float] = {}
_run: ContextVar[str | None] = ContextVar("costing_job_run", default=None)

# the job settings: config key (environment variable, default)
SETTINGS = {
    # a timed job (an annex render) running longer is stopped and says so on its row; the PDF of the largest budget
    # allowed takes about 121 s (README: 合同附件), so this leaves it five times that
    "JOB_TIMEOUT_SECONDS": ("COSTING_JOB_TIMEOUT_SECONDS", 600),
    # the job process's address space, in MB: the PDF of the largest budget allowed (5,000 staff and 5,000 cost lines)
    # is made in 3.5 GB of it (3.3 GB resident; README: 合同附件)
    "JOB_MEMORY_MB": ("COSTING_JOB_MEMORY_MB", 4096),
    # a job process that took more than this at its peak stops after the job, giving the memory back
    "JOB_RECYCLE_MB": ("COSTING_JOB_RECYCLE_MB", 512),
    "JOB_IDLE_SECONDS": ("COSTING_JOB_IDLE_SECONDS", 60),
}
# what a job process needs of its server's configuration (it makes its own app from them and its environment)
PASSED_ON = ("SQLALCHEMY_DATABASE_URI", "PUBLIC_URL", "JSON_LOGS", "RATE_LIMIT_FILE", "JOB_TIMEOUT_SECONDS")


class TimedOut(BaseException):
    """Raised in a timed job past its time. Not an Exception: a library's ``except Exception`` does not keep it."""


def task(name: str, give_up: Callable[[int, str], None] | None = None, timed: bool = False):
    """Register ``fn(row_id)`` as the job called ``name`` (it runs inside an application context).
    ``give_up(row_id, reason)`` says on the row that the job could not reach the database after its tries;
    ``timed``: the job is stopped past JOB_TIMEOUT_SECONDS and reported to its ``lost`` handler."""
    def register(fn):
        TASKS[name] = fn
        if give_up is not None:
            GIVE_UP[name] = give_up
        if timed:
            TIMED.add(name)
        return fn
    return register


def time_limit(app: Flask) -> int:
    """The seconds a timed job may run (JOB_TIMEOUT_SECONDS)."""
    return setting(app, "JOB_TIMEOUT_SECONDS")


def timed_out(limit: int) -> str:
    """What a timed job's row says once it was stopped past its time."""
    return f"生成超过时限（{limit:,} 秒）仍未完成，已停止，详情见服务器日志"


def current_run() -> str | None:
    """The id of the job run in progress, the same across its tries after a lost database (None outside jobs)."""
    return _run.get()


def transient(exc: BaseException) -> bool:
    """A database error that a later try may not meet: the server restarting, a dropped or timed-out connection."""
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                            sa_exc.PendingRollbackError)) \
        or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)


def lost(name: str):
    """Register ``fn(row_id, why)``, called in the server process when the process running job ``name`` for that
    row stopped before it answered (``why`` says so in Chinese)."""
    def register(fn):
        LOST[name] = fn
        return fn
    return register


def backend(app: Flask) -> str:
    return app.config.get("JOBS") or ("celery" if app.config.get("REDIS_URL") else "process")


def setting(app: Flask, key: str) -> int:
    """A job setting: the app's config, else the environment, else the default."""
    variable, default = SETTINGS[key]
    return int(app.config.get(key) or os.environ.get(variable) or default)


def dispatch(name: str, row_id: int, countdown: float = 0, **options) -> None:
    """Start job ``name`` for a row already committed (a job reads it from its own connection). ``options``
    (``tries``, ``run_id``) go with it to ``run``."""
    app = current_app._get_current_object()
    kind = backend(app)
    if kind == "inline":
        run_inline(name, row_id, **options)
        return
    if kind == "child":               # a job dispatched by a job in a job process: its server process runs it
        _followups.append((name, row_id, countdown, options))
        return
    if kind == "celery":
        broker = (id(app), app.config.get("REDIS_URL"))
        if time.monotonic() >= _broker_down_until.get(broker, 0):
            from kombu.exceptions import OperationalError  # noqa: PLC0415 — Celery is loaded only where it is used

            from .celery_jobs import celery_for  # noqa: PLC0415
            try:
                celery_for(app).send_task(f"costing.{name}", args=[row_id], kwargs=options, countdown=countdown)
                return
            except (OperationalError, OSError) as exc:      # Redis down: the job runs on this machine, not nowhere
                _broker_down_until[broker] = time.monotonic() + BROKER_PAUSE
                log.warning("the job queue cannot be reached (%s): job %s(%s) runs on this machine", exc, name,
                            row_id)
        kind = "process"
    if kind == "process":
        runner = _runners.get(id(app))
        if runner is None:
            runner = _runners[id(app)] = _Runner(app)
        runner.put(name, row_id, countdown, options)
        return
    if countdown > 0:           # a timer hands it to the pool when due: no thread of the pool waits for it
        timer = threading.Timer(countdown, _submit, (app, name, row_id, options))
        timer.daemon = True
        with _pool_lock:
            _timers[id(app)] = [t for t in _timers.get(id(app), []) if t.is_alive()] + [timer]
            timer.start()
        return
    _submit(app, name, row_id, options)


def _submit(app: Flask, name: str, row_id: int, options: dict) -> None:
    with _pool_lock:
        pool = _pools.get(id(app))
        if pool is None:
            pool = _pools[id(app)] = ThreadPoolExecutor(max_workers=int(app.config.get("JOB_THREADS") or 1),
                                                        thread_name_prefix="costing-job")
        futures = [f for f in _futures.get(id(app), []) if not f.done()]
        futures.append(pool.submit(_run_in_thread, app, name, row_id, options))
        _futures[id(app)] = futures


def _run_in_thread(app: Flask, name: str, row_id: int, options: dict) -> None:
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
    limit = time_limit(current_app) if name in TIMED else None
    try:
        with _deadline(limit):
            TASKS[name](row_id)
    except TimedOut:
        _disarm()
        db.session.remove()
        log.error("job %s(%s) ran past its time limit (%s s): stopped", name, row_id, limit)
        _report(LOST, name, row_id, timed_out(limit))
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
            _report(GIVE_UP, name, row_id,
                    f"数据库连接中断，已重试 {tries} 次仍未恢复（{exc.__class__.__name__}），详情见服务器日志")
    finally:
        _run.reset(token)
        db.session.remove()


_alarms: list = []          # the SIGALRM handler a deadline replaced, while one is set


@contextmanager
def _deadline(seconds: int | None):
    """Raise TimedOut in the job past ``seconds``, and again every second (a render may keep it: WeasyPrint keeps any
    exception raised drawing an SVG), where a signal reaches it: in a process's main thread (a job process, a Celery
    worker). A job in the thread backend is judged from outside (``annexes._due``)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    _alarms.append(signal.signal(signal.SIGALRM, _stop))
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        _disarm()


def _stop(signum, frame) -> None:
    raise TimedOut


def _disarm() -> None:
    """End a deadline; again in ``run`` should TimedOut have come as it was ending (then the first did not finish)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    if _alarms:
        signal.signal(signal.SIGALRM, _alarms.pop())


def _report(handlers: dict, name: str, row_id: int, why: str) -> None:
    """Tell the job's ``give_up`` or ``lost`` handler what became of it (in words for its row)."""
    if name not in handlers:
        return
    try:
        handlers[name](row_id, why)
    except Exception:       # the database is still away: the row stays waiting, and its silence says it is lost
        log.exception("job %s(%s) could not record what became of it", name, row_id)
    finally:
        db.session.remove()


def take_followups() -> list[tuple[str, int, float, dict]]:
    """In a job process: the jobs its last job dispatched, for the server process to run (then forgotten here)."""
    taken = list(_followups)
    _followups.clear()
    return taken


def wait_idle(app: Flask, timeout: float = 60) -> None:
    """Tests and benchmarks: wait until this app's thread pool or job process has run what it was given."""
    deadline = time.monotonic() + timeout
    while True:                 # (a job may send another, or the same again later)
        with _pool_lock:
            timers = [t for t in _timers.get(id(app), []) if t.is_alive()]
            pending = [f for f in _futures.get(id(app), []) if not f.done()]
        if not (timers or pending):
            break
        for timer in timers:
            timer.join(max(0.1, deadline - time.monotonic()))
            if timer.is_alive():
                raise TimeoutError(f"jobs still waiting after {timeout} s")
        for future in pending:
            future.result(timeout=max(0.1, deadline - time.monotonic()))
    runner = _runners.get(id(app))
    if runner is not None and not runner.idle.wait(max(0.1, deadline - time.monotonic())):
        raise TimeoutError(f"jobs still running after {timeout} s")


def stop(app: Flask) -> None:
    """Stop this app's job process, if it has one (its jobs still queued are left to their rows: asked for, or found
    stuck, they are queued again)."""
    runner = _runners.pop(id(app), None)
    if runner is not None:
        runner.stop()


class _Runner:
    """The process backend in one server process: a thread that takes the app's jobs as they fall due and hands each
    to the job process (``costing.jobrunner``), starting one when there is none. A job sent with a delay waits in
    a heap by its time, so the jobs due meanwhile run first. The process is this runner's alone, so nothing else
    writes to it or reads from it."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: queue.Queue = queue.Queue()
        self.pending = 0
        self.lock = threading.Lock()
        self.idle = threading.Event()
        self.idle.set()
        self.process: subprocess.Popen | None = None
        self.pid: int | None = None             # of the last job process (tests)
        self.read = b""                         # what the job process wrote after its last whole line
        self.thread = threading.Thread(target=self._loop, name="costing-jobs", daemon=True)
        self.thread.start()

    def put(self, name: str, row_id: int, countdown: float = 0, options: dict | None = None) -> None:
        with self.lock:
            self.pending += 1
            self.idle.clear()
        self.jobs.put((name, row_id, time.monotonic() + countdown, options or {}))

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(30)

    def _loop(self) -> None:
        waiting: list = []              # (due, order, name, row_id, options), soonest first
        order = itertools.count()
        while True:
            if waiting and waiting[0][0] <= time.monotonic():
                _, _, name, row_id, options = heapq.heappop(waiting)
                self._one(name, row_id, options)
                continue
            try:
                item = self.jobs.get(timeout=max(0.0, waiting[0][0] - time.monotonic()) if waiting
                                     else setting(self.app, "JOB_IDLE_SECONDS"))
            except queue.Empty:
                if not waiting:
                    self._close()       # idle: the process goes, its memory with it
                continue
            if item is None:
                self._close()
                return
            name, row_id, due, options = item
            heapq.heappush(waiting, (due, next(order), name, row_id, options))

    def _one(self, name: str, row_id: int, options: dict) -> None:
        try:
            self._run(name, row_id, options)
        except Exception:       # the runner goes on with the next job whatever happened to this one
            log.exception("job %s(%s) could not be run", name, row_id)
        finally:
            with self.lock:
                self.pending -= 1
                if not self.pending:
                    self.idle.set()

    def _run(self, name: str, row_id: int, options: dict) -> None:
        process = self.process if self.process is not None and self.process.poll() is None else self._start()
        limit = time_limit(self.app) if name in TIMED else None
        try:
            process.stdin.write(json.dumps({"name": name, "row_id": row_id, "options": options}) + "\n")
            process.stdin.flush()
            # it says when it starts (it may first wait for another server process's job), then when it is done
            answer = self._line(process) and self._line(process, limit + STOP_GRACE if limit else None)
        except OSError:
            answer = ""
        if answer is None:              # stuck past its time where the job's own limit does not reach: stopped
            process.kill()
            self._close()
            log.error("job process %s stopped: %s(%s) ran past its time limit (%s s)", process.pid, name, row_id,
                      limit)
            self._lost(name, row_id, timed_out(limit))
            return
        if not answer:
            code = self._close()
            memory = setting(self.app, "JOB_MEMORY_MB")
            log.error("job process %s stopped (exit %s) running %s(%s)", process.pid, code, name, row_id)
            self._lost(name, row_id, f"生成它的后台进程意外停止（退出码 {code}；该进程的内存上限为 {memory:,} MB），"
                                     "详情见服务器日志")
            return
        done = json.loads(answer)
        log.info("job %s(%s) done in job process %s (peak %s MB%s)", name, row_id, process.pid, done.get("peak_mb"),
                 ", which then stops" if done.get("leaving") else "")
        if done.get("leaving"):
            self._close()
        for followup in done.get("then", ()):        # a retry the job asked for, with its delay
            self.put(*followup)

    def _lost(self, name: str, row_id: int, why: str) -> None:
        with self.app.app_context():
            _report(LOST, name, row_id, why)

    def _line(self, process: subprocess.Popen, seconds: float | None = None) -> str | None:
        """The job process's next line: "" once it has stopped, None when none came within ``seconds``."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while b"\n" not in self.read:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([process.stdout], [], [], wait)[0]:
                return None
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                return ""
            self.read += chunk
        line, _, self.read = self.read.partition(b"\n")
        return line.decode("utf-8")

    def _start(self) -> subprocess.Popen:
        app = self.app
        lock = Path(app.config.get("RATE_LIMIT_FILE") or Path(app.instance_path) / "ratelimits.sqlite").with_name("jobs.lock")
        settings = {"memory_mb": setting(app, "JOB_MEMORY_MB"), "recycle_mb": setting(app, "JOB_RECYCLE_MB"),
                    "nice": int(os.environ.get("COSTING_WORKER_NICE") or 10), "lock": str(lock),
                    "modules": list(app.config.get("JOB_MODULES") or ()),
                    # the job process signs nothing: a key of its own, never the server's
                    "config": {key: app.config.get(key) for key in PASSED_ON} | {"SECRET_KEY": secrets.token_hex(16)}}
        process = subprocess.Popen(
            [sys.executable, "-m", "costing.jobrunner"], cwd=str(ROOT), text=True, encoding="utf-8", bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=os.environ | {"COSTING_JOB_SETTINGS": json.dumps(settings),
                              "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        self.process, self.pid, self.read = process, process.pid, b""
        if not self._line(process):
            raise RuntimeError(f"the job process did not start (exit {self._close()})")
        return process

    def _close(self) -> int | None:
        """End the job process (at the end of its input it stops): its exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        try:
            process.stdin.close()
        except OSError:         # it has gone already
            pass
        try:
            code = process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        process.stdout.close()
        return code
