"""How fast this machine is, for the few tests that bound the CPU time of a piece of work (a hostile file refused,
a page of the biggest budget built): their bounds were set on the machines of 2026-11, and a slower machine scales
them by ``factor()`` rather than failing on its speed.

The measure is a fixed pure-Python workload. On the machine of 2026-11-29 the engine priced 1,000 lines × 36 months
in 42 ms (README, 性能); on the machine of 2026-12-08 the same code took 131 ms of CPU and this workload 1.40 s, so
it took about 0.45 s there: REFERENCE_SECONDS. A machine as fast or faster keeps the bounds as written."""
from __future__ import annotations

import time
from functools import lru_cache

REFERENCE_SECONDS = 0.45


def _workload() -> float:
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - started


@lru_cache(maxsize=1)
def factor() -> float:
    """This machine's CPU time for the workload over the reference's (the fastest of three runs), at least 1."""
    return max(1.0, min(_workload() for _ in range(3)) / REFERENCE_SECONDS)


def bound(seconds: float) -> float:
    """A CPU-time bound set on the reference machine, as it reads on this one."""
    return seconds * factor()
