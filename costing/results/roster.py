"""A stored pay-proposal check (the engine's ``check_to_json``) as people read it: each person with
their findings and status, the post-by-post comparison with its findings, the overall findings. The
report page and the report workbook both read a check through ``RosterReport``."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..engine.periods import Month
from ..engine.pricing import SI_ITEMS
from ..engine.roster import post_key, verdict_of
from . import defaults, labels
from .budget import Basis, Finding, basis_rows, by_severity, housing_fund_changes

RATE_ITEMS = (*SI_ITEMS, "housing_fund")        # the employer's rates a person is priced at, in this order

_PERSON = re.compile(r"^roster\[(\d+)\]\.?(.*)$")


def position(index: int, row: int | None) -> str:
    """Where a person is: 第 5 行 of the file it came from, or 第 3 人 when entered on the page."""
    return f"第 {row} 行" if row else f"第 {index + 1} 人"


@dataclass(frozen=True)
class RosterFinding(Finding):
    """A finding placed as the roster's reader knows it: the person and their file row (张三（第 5 行））,
    or the post by its name; never an index or a path."""
    said_where: str = ""

    @property
    def place(self) -> str:
        return self.said_where or super().place


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
    annual_bonus: Decimal = Decimal("0")
    si_base: Decimal | None = None      # as declared (None: the pay, within the floor and the ceiling)
    housing_fund_rate: Decimal | None = None
    row: int | None = None              # the file row it was imported from (None: entered on the page)
    certificate_no: str | None = None
    rates: dict[str, Decimal] = field(default_factory=dict)     # item → the rate of the first month (RATE_ITEMS)
    declared: frozenset[str] = frozenset()      # the items whose rate the contractor stated
    rate_changes: str = ""              # rates that change within the person's months, in words

    @property
    def position(self) -> str:
        return position(self.index, self.row)

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

    @property
    def rates_shown(self) -> list[tuple[str, str, bool]]:
        """(short label, the rate as a percentage, whether declared) for each rate known, in RATE_ITEMS' order."""
        return [(labels.CONTRIBUTIONS_SHORT[item], _percent(self.rates[item]), item in self.declared)
                for item in RATE_ITEMS if item in self.rates]


def _percent(rate: Decimal) -> str:
    return format((rate * 100).normalize(), "f") + "%"


@dataclass(frozen=True)
class PostRow:
    """A post, both sides as exact sums (each None in a report stored before they were kept: ``legacy``), with the
    findings that concern it: its headcount, and each of its people paid below the budget's place for them."""
    post: str
    budget_headcount: int
    roster_headcount: int
    budget_monthly_pay: Decimal | None
    roster_monthly_pay: Decimal | None
    budget_monthly_cost: Decimal | None
    roster_monthly_cost: Decimal | None
    findings: list[Finding] = field(default_factory=list)
    budget_annual_bonus: Decimal | None = None
    roster_annual_bonus: Decimal | None = None
    budget_monthly_total: Decimal | None = None
    roster_monthly_total: Decimal | None = None
    budget_annual_total: Decimal | None = None
    roster_annual_total: Decimal | None = None
    budget_cost: Decimal | None = None
    roster_cost: Decimal | None = None
    short_people: int = 0
    shortfall: Decimal = Decimal("0")

    @property
    def own_findings(self) -> list[Finding]:
        """The findings about the post itself (its headcount), not those of its people."""
        return [f for f in self.findings if f.where.startswith("comparison[")]

    @property
    def monthly_difference(self) -> Decimal | None:
        return _difference(self.budget_monthly_total, self.roster_monthly_total)

    @property
    def annual_difference(self) -> Decimal | None:
        return _difference(self.budget_annual_total, self.roster_annual_total)

    @property
    def cost_difference(self) -> Decimal | None:
        return _difference(self.budget_cost, self.roster_cost)


def _difference(budget: Decimal | None, roster: Decimal | None) -> Decimal | None:
    """方案 − 预算 (negative: the proposal pays less)."""
    return None if budget is None or roster is None else roster - budget


@dataclass(frozen=True)
class PostTotals:
    """The post rows added up: the whole proposal against the whole budget."""
    budget_headcount: int
    roster_headcount: int
    budget_monthly_total: Decimal
    roster_monthly_total: Decimal
    budget_annual_total: Decimal
    roster_annual_total: Decimal
    budget_cost: Decimal
    roster_cost: Decimal
    short_people: int
    shortfall: Decimal

    monthly_difference = PostRow.monthly_difference
    annual_difference = PostRow.annual_difference
    cost_difference = PostRow.cost_difference


class RosterReport:
    def __init__(self, stored: dict):
        self.stored = stored
        raw = stored["people"]
        findings = by_severity(Finding.read(f) for f in stored["findings"])
        self.findings: list[Finding] = []
        per_person: dict[int, list[Finding]] = {}
        per_post: dict[str, list[Finding]] = {}
        post_of = {post_key(c["post"]): c["post"] for c in stored["comparison"]}
        for finding in findings:
            match = _PERSON.match(finding.where)
            if match and int(match.group(1)) < len(raw):
                index = int(match.group(1))
                person = raw[index]
                row = person.get("row")
                said = f"{person['id']}（{position(index, row)}）"
                rest = labels.place(match.group(2)) if match.group(2) else ""
                finding = RosterFinding(*_fields(finding), said_where=f"{said} {rest}".strip())
                per_person.setdefault(index, []).append(finding)
                if finding.code == "PAY_BELOW_BUDGET":      # also the post's: its people paid below the budget
                    per_post.setdefault(post_of.get(post_key(person["post"]), person["post"]), []).append(finding)
            elif finding.where.startswith("comparison["):
                per_post.setdefault(finding.where[len("comparison["):-1], []).append(finding)
            self.findings.append(finding)
        # the statutory rates of a report stored before they were kept are not known: only the declared ones are shown
        self.rates_known = stored.get("rates") is not None
        schedules = _schedules(stored)
        self.people = [Person(
            index=i, id=p["id"], post=p["post"], level=p["level"], certificate=p["certificate"], months=p["months"],
            monthly_pay=Decimal(p["monthly_pay"]), monthly_allowance=Decimal(p["monthly_allowance"]),
            contributions={k: Decimal(v) for k, v in p["employer_contributions"].items()},
            contributions_total=Decimal(p["employer_contributions_total"]), employer_cost=Decimal(p["employer_cost"]),
            status=p["status"], findings=per_person.get(i, []), category=p.get("category"),
            annual_bonus=Decimal(p.get("annual_bonus") or "0"), si_base=_amount(p.get("si_base")),
            housing_fund_rate=_amount(p.get("housing_fund_rate")), row=p.get("row"),
            certificate_no=p.get("certificate_no"), **_rates_of(p, schedules))
            for i, p in enumerate(raw)]
        self.comparison = [PostRow(
            c["post"], c["budget_headcount"], c["roster_headcount"], _amount(c["budget_monthly_pay"]),
            _amount(c["roster_monthly_pay"]), _amount(c["budget_monthly_cost"]), _amount(c["roster_monthly_cost"]),
            per_post.get(c["post"], []), _amount(c.get("budget_annual_bonus")), _amount(c.get("roster_annual_bonus")),
            _amount(c.get("budget_monthly_total")), _amount(c.get("roster_monthly_total")),
            _amount(c.get("budget_annual_total")), _amount(c.get("roster_annual_total")),
            _amount(c.get("budget_cost")), _amount(c.get("roster_cost")), c.get("short_people", 0),
            Decimal(c.get("shortfall") or "0"))
            for c in stored["comparison"]]
        # a report stored before the comparison was made person by person has only rounded averages per post
        self.legacy = any(c.budget_monthly_total is None for c in self.comparison)
        t = stored["totals"]
        self.people_count: int = t["people"]
        self.fail: int = t["fail"]
        self.attention: int = t["attention"]
        self.ok: int = t["ok"]
        self.roster_cost = Decimal(t["roster_cost"])
        self.budget_personnel = Decimal(t["budget_personnel"])
        self.parameter_set: str = stored["parameter_set"]
        # reports stored before the verdict was kept: worked out from their findings, the same way
        self.verdict: str = t.get("verdict") or verdict_of(f.severity for f in self.findings)

    @property
    def verdict_label(self) -> str:
        return labels.PERSON_STATUS[self.verdict]

    @property
    def verdict_style(self) -> str:
        return labels.PERSON_STATUS_STYLE[self.verdict]

    @property
    def verdict_reasons(self) -> str:
        """Why the verdict is what it is, in counts: 2 项错误（人员 1 项，岗位 1 项），1 项提示."""
        parts = []
        for severity, word in (("error", "错误"), ("warning", "提示")):
            found = [f for f in self.findings if f.severity == severity]
            if not found:
                continue
            where = {"人员": sum(isinstance(f, RosterFinding) for f in found),
                     "岗位": sum(f.where.startswith("comparison[") for f in found),
                     "总额对比": sum(f.where == "totals" for f in found)}
            parts.append(f"{len(found)} 项{word}（" + "，".join(f"{k} {v} 项" for k, v in where.items() if v) + "）")
        return "，".join(parts)

    @property
    def post_totals(self) -> PostTotals | None:
        """The post rows added up (None for a report stored before they were exact sums)."""
        if self.legacy:
            return None
        rows = self.comparison

        def total(name):
            return sum((getattr(c, name) for c in rows), Decimal("0"))
        return PostTotals(sum(c.budget_headcount for c in rows), sum(c.roster_headcount for c in rows),
                          total("budget_monthly_total"), total("roster_monthly_total"), total("budget_annual_total"),
                          total("roster_annual_total"), total("budget_cost"), total("roster_cost"),
                          sum(c.short_people for c in rows), total("shortfall"))

    @property
    def has_bonus(self) -> bool:
        return any(p.annual_bonus for p in self.people) or any(c.budget_annual_bonus for c in self.comparison)

    @property
    def basis(self) -> list[Basis]:
        """The figures the check used, as the budget page lists them (by document, not by a hash)."""
        return basis_rows(self.stored.get("parameters") or [])

    @property
    def housing_fund_default(self) -> Decimal | None:
        """The 公积金比例 of a person who gives none, as the engine priced it; None for a report stored before the
        engine said so."""
        return _amount((self.stored.get("defaults") or {}).get("housing_fund_rate"))

    @property
    def housing_fund_note(self) -> str | None:
        """What a blank 公积金比例 was priced at in this check, in words (None for a report stored before it was kept)."""
        rate = self.housing_fund_default
        return None if rate is None else defaults.housing_fund_said(rate, housing_fund_changes(self.stored))

    @property
    def overall_findings(self) -> list[Finding]:
        """The findings about the proposal as a whole (its total against the budget)."""
        return [f for f in self.findings if f.where == "totals"]


def _schedules(stored: dict) -> dict[str, list[tuple[int, Decimal, str]]]:
    """The rate a person who states none pays, item by item: (months from the service's start, rate, from month) —
    the statutory rates (``rates`` of the check) and the lowest housing-fund rate."""
    found = dict(stored.get("rates") or {})
    found["housing_fund"] = (stored.get("defaults") or {}).get("housing_fund_rates") or []
    firsts = [changes[0]["from"] for changes in found.values() if changes]
    if not firsts:
        return {}
    start = Month.parse(min(firsts)).index
    return {item: [(Month.parse(c["from"]).index - start, Decimal(c["rate"]), c["from"]) for c in changes]
            for item, changes in found.items()}


def _rates_of(person: dict, schedules: dict[str, list[tuple[int, Decimal, str]]]) -> dict:
    """A person's rates of the first month, which they declared, and those that change within their months, in
    words: 失业 0.5%→1%（2026-01 起）."""
    declared = person.get("employer_rates") or {}
    stated = set(declared)
    rates = {item: Decimal(rate) for item, rate in declared.items()}
    if person.get("housing_fund_rate") is not None:
        rates["housing_fund"] = Decimal(person["housing_fund_rate"])
        stated.add("housing_fund")
    changes = []
    for item in RATE_ITEMS:
        if item in rates:
            continue
        within = [c for c in schedules.get(item) or () if c[0] < person["months"]]
        if within:
            rates[item] = within[0][1]
            changes += [f"{labels.CONTRIBUTIONS_SHORT[item]} {_percent(before[1])}→{_percent(after[1])}（{after[2]} 起）"
                        for before, after in zip(within, within[1:])]
    return {"rates": rates, "declared": frozenset(stated), "rate_changes": "；".join(changes)}


def _fields(finding: Finding) -> tuple:
    return finding.code, finding.severity, finding.where, finding.message, finding.basis
