"""The engine against a naive month-by-month reference (bench/naive.py), side by side, on 1,000 personnel lines over
36 months: as they come (each line one pay over its months), with the contract over time (every line filled from a
month, with two raises), and with every default overridden on every line. Both must agree to the 分.

Run: .venv/bin/python bench/over_time.py   Prints the median CPU time of each (time.process_time, so another
process on the machine counts less) and the ratio. Goal (issue #23): the engine ≥ 8× faster than the reference.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import make_input  # noqa: E402
from naive import naive_totals  # noqa: E402

from costing.engine.budget import compute  # noqa: E402
from costing.engine.parameters import default_parameters  # noqa: E402
from costing.engine.parse import parse_budget  # noqa: E402


def over_time(data: dict) -> dict:
    """The same budget as a contract over time: line i filled from month i % 6 + 1, raised in months 13 and 25."""
    start_year, start_month = 2025, 7
    for i, line in enumerate(data["personnel"]):
        first = i % 6
        index = start_year * 12 + start_month - 1 + first
        line.pop("months", None)
        line["start"] = f"{index // 12}-{index % 12 + 1:02d}"
        pay = float(line["monthly_pay"])
        line["pay_changes"] = [{"from": "2026-07", "monthly_pay": f"{pay * 1.03:.2f}"},
                               {"from": "2027-07", "monthly_pay": f"{pay * 1.06:.2f}"}]
    return data


def cpu_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    params = default_parameters()
    print("| 1,000 行 × 36 个月 | 引擎 ms（CPU） | 逐月参照 ms（CPU） | 倍数 |")
    print("|---|---:|---:|---:|")
    cases = [("逐行一个工资", make_input(1000, 36)), ("起止月份与两次调薪", over_time(make_input(1000, 36))),
             ("每行覆盖全部默认值", make_input(1000, 36, override_all=True))]
    for label, data in cases:
        budget = parse_budget(data, params)
        result = compute(budget, params)
        total, years = naive_totals(budget, params)
        assert total == result.totals.grand_total, (label, total, result.totals.grand_total)
        assert years == [(y.year, y.grand_total) for y in result.by_year], label
        engine = cpu_ms(lambda budget=budget: compute(budget, params), 7)
        naive = cpu_ms(lambda budget=budget: naive_totals(budget, params), 3)
        print(f"| {label} | {engine:.0f} | {naive:.0f} | {naive / engine:.1f}× |")


if __name__ == "__main__":
    main()
