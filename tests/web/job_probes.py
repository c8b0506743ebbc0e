"""Jobs that report on the process running them, for tests/web/test_job_process.py: the job process imports this
module (config JOB_MODULES) and registers them as the app does its own; each writes what it found into the folder
named by COSTING_TEST_PROBES, in a file named by its row id."""
from __future__ import annotations

import json
import os
import resource
import signal
import time
from pathlib import Path

from costing import jobs
from costing.budgets import annexes


def _write(row_id: int, **found) -> None:
    (Path(os.environ["COSTING_TEST_PROBES"]) / f"{row_id}.json").write_text(json.dumps(found))


@jobs.task("probe")
def probe(row_id: int) -> None:
    _write(row_id, pid=os.getpid(), memory=resource.getrlimit(resource.RLIMIT_AS)[0], nice=os.nice(0), at=time.time())


@jobs.task("hungry")
def hungry(row_id: int) -> None:
    """More memory than the process may have."""
    try:
        taken = bytearray(resource.getrlimit(resource.RLIMIT_AS)[0])
    except MemoryError:
        _write(row_id, refused="MemoryError", pid=os.getpid())
        return
    _write(row_id, taken=len(taken))


@jobs.task("vanish")
def vanish(row_id: int) -> None:
    """Stopped from outside, as the kernel stops a process it has no memory for."""
    os.kill(os.getpid(), signal.SIGKILL)


@jobs.lost("vanish")
def vanished(row_id: int, why: str) -> None:
    _write(row_id, lost=why, pid=os.getpid())


@jobs.task("sleepy", timed=True)
def sleepy(row_id: int) -> None:
    """Never done: a render that hangs."""
    time.sleep(3600)


@jobs.task("stuck", timed=True)
def stuck(row_id: int) -> None:
    """Never done, where the job's own time limit cannot reach it (as in a library's C code)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(3600)


@jobs.lost("sleepy")
@jobs.lost("stuck")
def stopped(row_id: int, why: str) -> None:
    _write(row_id, stopped=why, pid=os.getpid())


if os.environ.get("COSTING_TEST_ANNEX_VANISHES"):       # in the job process: every PDF render is stopped from outside
    annexes.KINDS["pdf"] = (annexes.KINDS["pdf"][0], lambda result, meta: vanish(0))
if os.environ.get("COSTING_TEST_ANNEX_HANGS"):          # in the job process: every PDF render hangs
    annexes.KINDS["pdf"] = (annexes.KINDS["pdf"][0], lambda result, meta: sleepy(0))
