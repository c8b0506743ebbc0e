"""A stored pay-proposal check (the engine's ``check_to_json``) as people read it: each person with
their findings and status, the post-by-post comparison with its findings, the overall findings. The
report page and the report workbook both read a check through ``RosterReport``."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from . import labels
from .budget import Finding, by_severity

_PERSON = re.compile(r"^roster\[(\d+)\]")


def _amount(value) -> Decimal | None:
    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class Person:
    index: int
    id: str
    post: str
    level: str
    certificate: str
    months: int
    monthly_pay: Decimal
    monthly_allowance: Decimal
    contributions: dict[str, Decimal]
    contributions_total: Decimal
    employer_cost: Decimal
    status: str
    findings: list[Finding] = field(default_factory=list)
    category: str | None = None         # reports stored before it was listed have none

    @property
    def category_label(self) -> str:
        return labels.CATEGORIES.get(self.category, "") if self.category else ""

    @property
    def level_label(self) -> str:
        return labels.LEVELS.get(self.level, self.level)

    @property
    def certificate_label(self) -> str:
        return labels.CERTIFICATES.get(self.certificate, self.certificate)

    @property
    def status_label(self) -> str:
        return labels.PERSON_STATUS[self.status]

    @property
    def status_style(self) -> str:
        return labels.PERSON_STATUS_STYLE[self.status]


@dataclass(frozen=True)
class PostRow:
    post: str
    budget_headcount: int
    roster_headcount: int
    budget_monthly_pay: Decimal | None
    roster_monthly_pay: Decimal | None
    budget_monthly_cost: Decimal | None
    roster_monthly_cost: Decimal | None
    findings: list[Finding] = field(default_factory=list)


class RosterReport:
    def __init__(self, stored: dict):
        self.stored = stored
        self.findings = by_severity(Finding.read(f) for f in stored["findings"])
        per_person: dict[int, list[Finding]] = {}
        per_post: dict[str, list[Finding]] = {}
        for finding in self.findings:
            match = _PERSON.match(finding.where)
            if match:
                per_person.setdefault(int(match.group(1)), []).append(finding)
            elif finding.where.startswith("comparison["):
                per_post.setdefault(finding.where[len("comparison["):-1], []).append(finding)
        self.people = [Person(
            index=i, id=p["id"], post=p["post"], level=p["level"], certificate=p["certificate"], months=p["months"],
            monthly_pay=Decimal(p["monthly_pay"]), monthly_allowance=Decimal(p["monthly_allowance"]),
            contributions={k: Decimal(v) for k, v in p["employer_contributions"].items()},
            contributions_total=Decimal(p["employer_contributions_total"]), employer_cost=Decimal(p["employer_cost"]),
            status=p["status"], findings=per_person.get(i, []), category=p.get("category"))
            for i, p in enumerate(stored["people"])]
        self.comparison = [PostRow(
            c["post"], c["budget_headcount"], c["roster_headcount"], _amount(c["budget_monthly_pay"]),
            _amount(c["roster_monthly_pay"]), _amount(c["budget_monthly_cost"]), _amount(c["roster_monthly_cost"]),
            per_post.get(c["post"], [])) for c in stored["comparison"]]
        t = stored["totals"]
        self.people_count: int = t["people"]
        self.fail: int = t["fail"]
        self.attention: int = t["attention"]
        self.ok: int = t["ok"]
        self.roster_cost = Decimal(t["roster_cost"])
        self.budget_personnel = Decimal(t["budget_personnel"])
        self.parameter_set: str = stored["parameter_set"]

    @property
    def overall_findings(self) -> list[Finding]:
        """The findings about the proposal as a whole (its total against the budget)."""
        return [f for f in self.findings if f.where == "totals"]
