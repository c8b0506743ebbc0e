"""Build compute-contract input in tests, and run it through the same path as the CLI."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

from costing.engine.budget import compute
from costing.engine.parameters import ParameterSet, Record, Source, default_parameters
from costing.engine.parse import parse_budget
from costing.engine.result import Result

D = Decimal


OVERRIDES = ("monthly_allowance", "si_base", "housing_fund_rate")


def person(**overrides) -> dict:
    """A personnel line with every default (so no 职业津贴 unless the district's standard is entered: see
    with_allowance_standard); each default a test overrides carries a reason unless the test gives one (or None)."""
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
        elif key.startswith("project_"):
            data["project"][key.removeprefix("project_")] = value
        else:
            data[key] = value
    return copy.deepcopy(data)


def run(data: dict, params: ParameterSet | None = None) -> Result:
    params = params or default_parameters()
    return compute(parse_budget(data, params), params)


# a district's 职业津贴 standard as an administrator would enter it (the shipped data has none)
STANDARD = {"assistant_social_worker": "200", "social_worker": "300"}


def with_allowance_standard(district: str, values: dict[str, str] | None = None, start: str | None = None,
                            confidence: str = "verified_official") -> ParameterSet:
    """The default parameters plus one district's 职业津贴 standard, per certificate, from ``start`` on."""
    params = copy.deepcopy(default_parameters())
    family = params.families["allowance.certificate_monthly"]
    begin = date.fromisoformat(start) if start else None
    source = Source(key="district-allowance", title=f"{district}社区工作者职业津贴标准", issuer=f"{district}民政局",
                    doc_no=f"{district[:2]}民发〔2025〕1号", date="2025-01-01")
    for certificate, value in (values or STANDARD).items():
        region = f"{district}:{certificate}"
        family.records.setdefault(region, []).append(
            Record(family=family.key, label=family.label, unit=family.unit, region=region, start=begin, end=None,
                   value=Decimal(value), source=source, confidence=confidence))
    family.index()
    return params


def contributions(line) -> dict[str, Decimal]:
    return dict(line.contributions)


def codes(result: Result) -> list[str]:
    return [f.code for f in result.findings]
