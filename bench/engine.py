"""Engine speed: compute 10, 100 and 1,000 personnel lines over 12 and 36 months, in-process.

Run: .venv/bin/python bench/engine.py  (or `make bench`). Prints the median of repeated runs for
parsing (validation) and for computing, and the total. Goal: 1,000 lines × 36 months < 100 ms.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from costing.engine.budget import compute  # noqa: E402
from costing.engine.parameters import default_parameters  # noqa: E402
from costing.engine.parse import parse_budget  # noqa: E402

LEVELS = [("junior", "assistant_social_worker"), ("mid", "social_worker"), ("senior", "senior_social_worker"),
          ("none", "none")]


def make_input(lines: int, months: int, override_all: bool = False) -> dict:
    end_index = 2025 * 12 + 6 + months - 1            # start 2025-07: crosses 年度 boundaries
    personnel = []
    for i in range(lines):
        level, certificate = LEVELS[i % len(LEVELS)]
        personnel.append({
            "post": f"岗位{i}", "category": "community", "level": level, "certificate": certificate,
            "headcount": 1 + i % 3, "monthly_pay": f"{3000 + (i * 37) % 9000}.{i % 100:02d}",
            "months": months - (i % 5), "annual_bonus": "1200.00",
            **({"si_base": "6000.00", "si_base_reason": "按劳动合同约定的工资申报"} if i % 7 == 0 else {}),
        })
        if override_all:        # the worst case for the assumptions: every default overridden on every line
            personnel[-1].update({"monthly_allowance": f"{100 + i % 50}.00", "monthly_allowance_reason": "区级标准",
                                  "si_base": f"{5000 + i}.00", "si_base_reason": "按劳动合同约定的工资申报",
                                  "housing_fund_rate": "0.07", "housing_fund_rate_reason": "单位缴存比例"})
    return {"project": {"name": "基准", "district": "渝北区", "start": "2025-07",
                        "end": f"{end_index // 12}-{end_index % 12 + 1:02d}", "appropriation": "99999999.00"},
            "personnel": personnel,
            "costs": [{"category": "activities", "name": f"活动{i}", "quantity": "12", "unit": "场",
                       "unit_price": "800.00"} for i in range(20)],
            "management_fee_rate": "0.05",
            **({"contractor": {"work_injury_rate": "0.004", "work_injury_rate_reason": "经核定为二类行业"}}
               if override_all else {})}


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    params = default_parameters()
    print("| lines | months | parse ms | compute ms | total ms |")
    print("|---:|---:|---:|---:|---:|")
    cases = [(n, m, False) for n in (10, 100, 1000) for m in (12, 36)] + [(1000, 36, True)]
    for lines, months, override_all in cases:
        data = make_input(lines, months, override_all)
        budget = parse_budget(data, params)
        compute(budget, params)  # warm
        repeat = 50 if lines < 1000 else 15
        parse_ms = median_ms(lambda: parse_budget(data, params), repeat)
        compute_ms = median_ms(lambda: compute(budget, params), repeat)
        total_ms = median_ms(lambda: compute(parse_budget(data, params), params), repeat)
        note = "（每行覆盖全部默认值）" if override_all else ""
        print(f"| {lines:,}{note} | {months} | {parse_ms:.1f} | {compute_ms:.1f} | {total_ms:.1f} |")


if __name__ == "__main__":
    main()
