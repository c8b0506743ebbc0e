"""How fast this machine is right now, for the few tests that bound the CPU time of a piece of work (a hostile file
refused, a page of the biggest budget built): their bounds were set on the machines of 2026-11, and a slower
machine — or this one while its host is busy: its speed changes from minute to minute — scales them by ``factor()``
rather than failing on its speed. A test measures the factor beside the work it bounds (``around``).

The measure is a fixed pure-Python workload. On the machine of 2026-11-29 the engine priced 1,000 lines × 36 months
in 42 ms (README, 性能); on the machine of 2026-12-08 the same code took 131 ms of CPU and this workload, ten times
over, 1.40 s, so it took about 0.045 s there: REFERENCE_SECONDS. A machine as fast or faster keeps the bounds as
written."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

REFERENCE_SECONDS = 0.045
T = TypeVar("T")


def _workload() -> float:
    started = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i
    return time.process_time() - started


def factor() -> float:
    """This machine's CPU time for the workload now over the reference's (the faster of two runs), at least 1."""
    return max(1.0, min(_workload(), _workload()) / REFERENCE_SECONDS)


def around(work: Callable[[], T]) -> tuple[T, float]:
    """``work()``'s result, and the factor measured just before and just after it (the larger: the machine was at
    least that slow while it ran)."""
    before = factor()
    result = work()
    return result, max(before, factor())


def bound(seconds: float, factor_now: float | None = None) -> float:
    """A CPU-time bound set on the reference machine, as it reads on this one now."""
    return seconds * (factor() if factor_now is None else factor_now)
