"""The process that runs background jobs for one server process when there is no queue (``costing.jobs``, the
``process`` backend): ``python -m costing.jobrunner``, started by the server process, which sends it one job a line
on its standard input and reads one answer a line back. It never serves a request, so a render's memory never
stays in a web worker.

Before importing anything else it caps its own memory (``RLIMIT_AS``, ``COSTING_JOB_MEMORY_MB`` via the
``memory_mb`` it is given): past it an allocation fails (MemoryError, which the job reports on its row) or the
process stops (the server process then reports the job as lost). It renders at a lower CPU priority, one job at a
time on the machine (a lock file beside the rate-limit counts: several server processes' jobs wait their turn
rather than each taking gigabytes at once), and exits after a job that took more than ``recycle_mb`` of memory, so
what a large render took is given back, or when its server process closes the pipe.

For each job it answers twice: when it has the lock and starts (a timed job's time counts from then: its own
deadline in ``jobs.run``, then the server process's, which stops this process) and when it is done.
"""
from __future__ import annotations

import fcntl
import json
import os
import resource
import sys


def _answer(out, **fields) -> None:
    out.write(json.dumps(fields) + "\n")
    out.flush()


def main() -> None:
    settings = json.loads(os.environ["COSTING_JOB_SETTINGS"])
    limit = settings["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(settings.get("nice", 10))
    # the answers go to the pipe the server reads; anything else written to standard output goes to the log
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    from costing import create_app, jobs  # noqa: PLC0415 — after the memory cap, which covers the imports too
    from costing.models import db  # noqa: PLC0415
    for module in settings.get("modules", ()):
        __import__(module)
    app = create_app(settings["config"] | {"JOBS": "child"})
    lock = open(settings["lock"], "a")       # noqa: SIM115 — held for the life of the process
    _answer(out, ready=True)
    for line in sys.stdin:
        job = json.loads(line)
        fcntl.flock(lock, fcntl.LOCK_EX)
        _answer(out, started=True)
        try:
            with app.app_context():
                jobs.run(job["name"], job["row_id"], **job.get("options", {}))
                db.engine.dispose()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        leaving = peak_mb > settings["recycle_mb"]
        _answer(out, done=True, then=jobs.take_followups(), peak_mb=peak_mb, leaving=leaving)
        if leaving:
            return


if __name__ == "__main__":
    main()
