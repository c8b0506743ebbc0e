"""Build compute-contract input in tests, and run it through the same path as the CLI."""
from __future__ import annotations

import copy
from decimal import Decimal

from costing.engine.budget import compute
from costing.engine.parameters import default_parameters
from costing.engine.parse import parse_budget
from costing.engine.result import Result

D = Decimal


OVERRIDES = ("monthly_allowance", "si_base", "housing_fund_rate")


def person(**overrides) -> dict:
    """A personnel line with every default (so the 职业津贴 is the certificate's: 200.00 for 助理社会工作师);
    each default a test overrides carries a reason unless the test gives one (or None)."""
    base = {"post": "社工", "category": "community", "level": "junior",
            "certificate": "assistant_social_worker", "headcount": 1, "monthly_pay": "5000.00"}
    base.update(overrides)
    for key in OVERRIDES:
        if base.get(key) is not None:
            base.setdefault(f"{key}_reason", "测试设定")
    return base


def budget_input(start="2025-01", end="2025-12", district="渝中区", personnel=None, costs=None,
                 **top) -> dict:
    data = {"project": {"name": "测试项目", "district": district, "start": start, "end": end},
            "personnel": [person()] if personnel is None else personnel,
            "costs": costs or []}
    for key, value in top.items():
        if key in ("appropriation", "site"):
            data["project"][key] = value
        else:
            data[key] = value
    return copy.deepcopy(data)


def run(data: dict) -> Result:
    params = default_parameters()
    return compute(parse_budget(data, params), params)


def contributions(line) -> dict[str, Decimal]:
    return dict(line.contributions)


def codes(result: Result) -> list[str]:
    return [f.code for f in result.findings]
