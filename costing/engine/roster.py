"""Check a contractor's pay proposal (薪酬方案: a staff roster) against the rules and the budget.

Each person is priced like a budget line of one person (``pricing.price_line``, on the runs the budget
was computed on), with the employer rates the contractor declares (statutory when blank) and, like a
budget line, the district's allowance standard when none is given. Each person is held to the same
checks as a budget line (``checks.line_findings``) and a few of a proposal's own; the comparison says,
post by post, whether the proposal pays at least what the budget funds.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from . import checks
from .budget import compute_priced
from .model import CATEGORIES, CERTIFICATES, CONTRIBUTION_LABELS, LEVELS, Budget, Post
from .money import fmt_amount, fmt_percent, fmt_rate, round_cents
from .money import fmt_grouped as g
from .parameters import ParameterSet, default_parameters
from .parse import MAX_LINES, InputError, Reader, parse_budget
from .pricing import SI_ITEMS, ZERO, active_runs, allowance_for, default_allowance, price_line
from .result import Finding, Result, to_json

STATUS = {"ok": "合规", "attention": "需关注", "fail": "不合规"}


@dataclass(frozen=True)
class Person:
    id: str
    post: str
    category: str | None                    # None: the budget post's of the same name (else 其他)
    level: str
    certificate: str
    monthly_pay: Decimal
    monthly_allowance: Decimal | None       # None: the district's standard, as in a budget
    si_base: Decimal | None
    employer_rates: tuple[tuple[str, Decimal], ...]
    housing_fund_rate: Decimal | None
    months: int
    annual_bonus: Decimal = ZERO            # per year, prorated over the months as a budget line's


_PERSON = ["id", "post", "category", "level", "certificate", "monthly_pay", "monthly_allowance", "annual_bonus",
           "si_base", "employer_rates", "housing_fund_rate", "months"]
DUPLICATE_ID = "duplicate_id"           # Problem.code of an id an earlier entry already has


def duplicate_id(ident: str, row: int) -> str:
    """The problem of an id already used: the earlier entry named by its row (``roster[3]`` is 第 4 行,
    as the form numbers its rows; a file names its own rows instead)."""
    return f"「{ident}」与第 {row} 行重复"


def parse_roster(data: Any, params: ParameterSet, period: int) -> list[Person]:
    """Validate roster rows (``roster[i].field`` paths); raise InputError listing every problem."""
    r = Reader(params)
    rows = r.items(data, "roster")
    if rows is not None and not rows:
        r.fail("roster", "至少需要一名人员")
    people = []
    first_of: dict[str, int] = {}
    for i, item in enumerate(rows or []):
        path = f"roster[{i}]"
        p = r.obj(item, path, _PERSON, ("id", "post", "level", "certificate", "monthly_pay"))
        if p is None:
            continue
        before = len(r.problems)
        ident = r.text(p["id"], f"{path}.id", 50) if "id" in p else None
        if ident is not None and ident in first_of:
            r.fail(f"{path}.id", duplicate_id(ident, first_of[ident] + 1), DUPLICATE_ID)
        elif ident is not None:
            first_of[ident] = i
        post = r.text(p["post"], f"{path}.post", 100) if "post" in p else None
        # blank (null or "") is the budget post's category; any other value is read as a choice (0 and [] are no blank)
        category = r.choice(p["category"], f"{path}.category", CATEGORIES) if p.get("category") not in (None, "") else None
        level = r.choice(p["level"], f"{path}.level", LEVELS) if "level" in p else None
        certificate = r.choice(p["certificate"], f"{path}.certificate", CERTIFICATES) if "certificate" in p else None
        pay = r.amount(p["monthly_pay"], f"{path}.monthly_pay") if "monthly_pay" in p else None
        allowance = r.optional(p, "monthly_allowance", path, r.amount)
        bonus = r.optional(p, "annual_bonus", path, r.amount)
        si_base = r.optional(p, "si_base", path, r.amount)
        hf_rate = r.optional(p, "housing_fund_rate", path, r.rate)
        months = r.optional(p, "months", path, r.integer, 1, period)
        rates = []
        if p.get("employer_rates") is not None:
            declared = r.obj(p["employer_rates"], f"{path}.employer_rates", list(SI_ITEMS))
            for item in SI_ITEMS:
                if declared is not None and declared.get(item) is not None:
                    rate = r.rate(declared[item], f"{path}.employer_rates.{item}")
                    if rate is not None:
                        rates.append((item, rate))
        if len(r.problems) == before:
            people.append(Person(ident, post, category, level, certificate, pay, allowance, si_base,
                                 tuple(rates), hf_rate, months or period, bonus or ZERO))
    if r.problems:
        raise InputError(r.problems)
    return people


@dataclass(frozen=True)
class PersonResult:
    person: Person
    months: int
    pay: Decimal
    contributions: tuple[tuple[str, Decimal], ...]
    employer_cost: Decimal          # pay + employer contributions over the months
    monthly_cost: Decimal           # first month: pay + allowance + contributions
    status: str


@dataclass(frozen=True)
class PostComparison:
    post: str                                # as the budget names it (the roster's name where the budget has none)
    budget_headcount: int
    roster_headcount: int
    budget_monthly_pay: Decimal | None       # per person, pay + allowance (headcount-weighted)
    roster_monthly_pay: Decimal | None
    budget_monthly_cost: Decimal | None      # per person, first month incl. employer contributions
    roster_monthly_cost: Decimal | None
    budget_annual_bonus: Decimal | None = None   # per person per year
    roster_annual_bonus: Decimal | None = None


@dataclass(frozen=True)
class CheckResult:
    budget: Result
    people: tuple[PersonResult, ...]
    comparison: tuple[PostComparison, ...]
    findings: tuple[Finding, ...]
    roster_cost: Decimal

    @property
    def verdict(self) -> str:
        """The proposal as a whole: 不合规 if any finding (a person's, a post's or the total's) is an error,
        需关注 if any is a warning, else 合规."""
        return verdict_of(f.severity for f in self.findings)


def verdict_of(severities) -> str:
    """fail (any error), attention (any warning), else ok: for a person's findings or a whole proposal's."""
    found = set(severities)
    return "fail" if "error" in found else "attention" if "warning" in found else "ok"


def _average(total: Decimal, count: int) -> Decimal:
    return round_cents(total / count)


_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "〈": "(", "〉": ")",
                           "<": "(", ">": ")", "「": "(", "」": ")"})


def post_key(name: str) -> str:
    """A post's name for matching: full- and half-width alike (NFKC), without spaces, brackets of any kind
    as round ones — 社会工作者（儿童） and 社会工作者 (儿童) are one post."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).translate(_BRACKETS)


def check_roster(budget: Budget, people: list[Person], params: ParameterSet | None = None) -> CheckResult:
    params = params or default_parameters()
    priced = compute_priced(budget, params)
    budget_result, runs = priced.result, priced.runs
    place = checks.district_place(budget_result.district, budget_result.tier)
    start = budget.project.start.first_day
    findings: list[Finding] = []
    results = []
    cache: dict = {}
    categories: dict[str, str] = {}
    for line in budget.personnel:
        categories.setdefault(post_key(line.post), line.category)
    for i, person in enumerate(people):
        where = f"roster[{i}]"
        label = f"{person.id}（{person.post}）"
        if person.category is None:
            person = replace(person, category=categories.get(post_key(person.post), "other"))
        default = None if person.monthly_allowance is not None else default_allowance(
            params, start, budget.project.district, person.certificate, person.category)
        allowance = allowance_for(person.monthly_allowance, default)
        person = replace(person, monthly_allowance=allowance)
        post = Post(post=label, category=person.category, level=person.level, certificate=person.certificate,
                    headcount=1, monthly_pay=person.monthly_pay, months=person.months,
                    monthly_allowance=allowance, annual_bonus=person.annual_bonus, si_base=person.si_base,
                    housing_fund_rate=person.housing_fund_rate)
        active = active_runs(runs, post.months)
        own = checks.line_findings(post, allowance, active, where, place, budget.rules)
        own += _si_ceiling(post, active, where)
        own += _declared_rates(person, label, active, where)
        findings += own
        line, used = price_line(post, allowance, person.housing_fund_rate, runs, cache,
                                declared_rates=person.employer_rates)
        status = verdict_of(f.severity for f in own)
        first_month = line.monthly_pay + line.monthly_allowance + used[0][2].contributions
        results.append(PersonResult(person, person.months, line.pay, line.contributions, line.total, first_month,
                                    status))
    comparison, compare_findings = _compare(budget, budget_result, results)
    roster_cost = sum((r.employer_cost for r in results), ZERO)
    findings += compare_findings
    findings += _against_total(roster_cost, budget_result.totals.personnel)
    return CheckResult(budget_result, tuple(results), tuple(comparison), tuple(findings), roster_cost)


def _against_total(roster_cost: Decimal, personnel: Decimal) -> list[Finding]:
    """The proposal's cost against the budget's personnel line: below it, pay is held back; above it, the
    contract does not fund the proposal — the contractor must see that before signing."""
    basis = f"{checks.SEED}三(一)（承接政府购买服务项目的单位应合理确定社会工作专业人才的薪酬标准）"
    if roster_cost < personnel:
        return [Finding(
            "PAY_BELOW_BUDGET", "warning", "totals",
            f"薪酬方案的人员成本合计 {g(roster_cost)} 元（工资、津贴、年终奖与单位缴费），低于预算人员经费 "
            f"{g(personnel)} 元，差 {g(personnel - roster_cost)} 元", basis)]
    if roster_cost > personnel:
        return [Finding(
            "ROSTER_ABOVE_BUDGET", "warning", "totals",
            f"薪酬方案的人员成本合计 {g(roster_cost)} 元（工资、津贴、年终奖与单位缴费），比预算人员经费"
            f"（{g(personnel)} 元）多 {g(roster_cost - personnel)} 元：按此预算签约，人员经费不足以支付这份方案",
            f"采购人预算（人员经费）；{basis}")]
    return []


def _si_ceiling(post: Post, active, where: str) -> list[Finding]:
    if post.si_base is None:
        return []
    over = [(run, count) for run, count in active if post.si_base > run.figures.si_ceiling.value]
    if not over:
        return []
    ceiling = over[0][0].figures.si_ceiling
    return [Finding(
        "SI_BASE_ABOVE_CEILING", "warning", where,
        f"{post.post}：申报的社会保险缴费基数 {g(post.si_base)} 元高于 {checks.span(over)} 的基数上限 "
        f"{g(ceiling.value)} 元，按上限计算",
        ceiling.record.source.citation)]


def _declared_rates(person: Person, label: str, active, where: str) -> list[Finding]:
    findings = []
    for item, rate in person.employer_rates:
        for run, _count in active:
            lookup = dict(run.figures.rates).get(item)
            if lookup is not None and rate < lookup.value:
                findings.append(Finding(
                    "SI_RATE_BELOW_STATUTORY", "error", f"{where}.employer_rates.{item}",
                    f"{label}：{CONTRIBUTION_LABELS[item]}单位费率 {fmt_percent(rate)} 低于法定费率 "
                    f"{fmt_percent(lookup.value)}",
                    lookup.record.source.citation))
                break
    return findings


def _entry(name: str) -> dict:
    return {"name": name, "heads": 0, "pay": ZERO, "cost": ZERO, "bonus": ZERO,
            "r_heads": 0, "r_pay": ZERO, "r_cost": ZERO, "r_bonus": ZERO, "names": []}


def _compare(budget: Budget, result: Result, people: list[PersonResult]):
    """Post by post, like with like: per person and month, pay with allowance, the annual bonus spread over
    twelve months, and the first month's cost with the employer's contributions."""
    posts: dict[str, dict] = {}
    for post, line in zip(budget.personnel, result.personnel):
        entry = posts.setdefault(post_key(post.post), _entry(post.post))
        first = line.segments[0] if line.segments else None
        monthly_cost = line.monthly_pay + line.monthly_allowance + (
            sum((a for _, a in first.per_person_month), ZERO) if first else ZERO)
        entry["heads"] += post.headcount
        entry["pay"] += (line.monthly_pay + line.monthly_allowance) * post.headcount
        entry["bonus"] += post.annual_bonus * post.headcount
        entry["cost"] += monthly_cost * post.headcount
    budgeted = {key: e["name"] for key, e in posts.items()}
    for person in people:
        entry = posts.setdefault(post_key(person.person.post), _entry(person.person.post))
        entry["r_heads"] += 1
        entry["r_pay"] += person.person.monthly_pay + person.person.monthly_allowance
        entry["r_bonus"] += person.person.annual_bonus
        entry["r_cost"] += person.monthly_cost or ZERO
        if person.person.post != entry["name"] and person.person.post not in entry["names"]:
            entry["names"].append(person.person.post)
    rows, findings = [], []
    for key, e in posts.items():
        name = e["name"]
        row = PostComparison(
            name, e["heads"], e["r_heads"],
            _average(e["pay"], e["heads"]) if e["heads"] else None,
            _average(e["r_pay"], e["r_heads"]) if e["r_heads"] else None,
            _average(e["cost"], e["heads"]) if e["heads"] else None,
            _average(e["r_cost"], e["r_heads"]) if e["r_heads"] else None,
            _average(e["bonus"], e["heads"]) if e["heads"] else None,
            _average(e["r_bonus"], e["r_heads"]) if e["r_heads"] else None)
        rows.append(row)
        where = f"comparison[{name}]"
        if row.budget_headcount != row.roster_headcount:
            text = f"岗位「{name}」：预算 {row.budget_headcount} 人，薪酬方案 {row.roster_headcount} 人"
            if not row.budget_headcount:
                near = difflib.get_close_matches(key, [k for k in budgeted if posts[k]["r_heads"] < posts[k]["heads"]],
                                                 n=1, cutoff=0.5)
                text += f"。预算中没有这个岗位，是否指「{budgeted[near[0]]}」？" if near else "。预算中没有这个岗位"
            findings.append(Finding("HEADCOUNT_MISMATCH", "warning", where, text, "采购人预算（人员经费明细）"))
        if row.budget_monthly_pay is None or row.roster_monthly_pay is None:
            continue
        # a year's pay of one person, bonus included: exact, so a shortfall is never a rounded 0.00
        budget_year = row.budget_monthly_pay * 12 + row.budget_annual_bonus
        roster_year = row.roster_monthly_pay * 12 + row.roster_annual_bonus
        if roster_year >= budget_year:
            continue
        with_bonus = bool(row.budget_annual_bonus or row.roster_annual_bonus)
        bonus = (lambda amount: f"、年终奖每年 {g(amount)} 元") if with_bonus else (lambda amount: "")
        short = (f"每人每年少 {g(budget_year - roster_year)} 元（工资、津贴与年终奖合计）" if with_bonus
                 else f"每人每月少 {g(row.budget_monthly_pay - row.roster_monthly_pay)} 元")
        findings.append(Finding(
            "PAY_BELOW_BUDGET", "error", where,
            f"岗位「{name}」：预算按每人每月应发工资与津贴 {g(row.budget_monthly_pay)} 元{bonus(row.budget_annual_bonus)}"
            f"（含单位缴费每月 {g(row.budget_monthly_cost)} 元）安排，薪酬方案平均只有 "
            f"{g(row.roster_monthly_pay)} 元{bonus(row.roster_annual_bonus)}（含单位缴费每月 {g(row.roster_monthly_cost)} 元），"
            f"{short}",
            f"采购人预算；{checks.SEED}三(一)"))
    return rows, findings


def check_input(data: Any, params: ParameterSet | None = None) -> CheckResult:
    """The ``check`` contract: {"budget": <compute input>, "roster": [...]}."""
    params = params or default_parameters()
    r = Reader(params)
    root = r.obj(data, "input", ["budget", "roster"], ("budget", "roster"))
    if root is None or r.problems:
        raise InputError([replace(p, path=p.path.removeprefix("input.")) for p in r.problems])
    try:
        # the reasons for overriding defaults are the purchaser's documentation, not the roster's concern
        budget = parse_budget(root["budget"], params, reasons_required=False)
    except InputError as exc:
        raise InputError([replace(p, path=f"budget.{p.path}") for p in exc.problems]) from None
    people = parse_roster(root["roster"], params, budget.months)
    return check_roster(budget, people, params)


def check_to_json(result: CheckResult) -> dict:
    by_person: dict[int, list] = {}
    for f in result.findings:
        if f.where.startswith("roster["):
            by_person.setdefault(int(f.where[7:f.where.index("]")]), []).append(f.code)
    errors = sum(1 for r in result.people if r.status == "fail")
    budget = to_json(result.budget)
    return {
        "people": [{
            "id": r.person.id, "post": r.person.post, "category": r.person.category, "level": r.person.level,
            "certificate": r.person.certificate, "months": r.months,
            "monthly_pay": fmt_amount(r.person.monthly_pay),
            "monthly_allowance": fmt_amount(r.person.monthly_allowance),
            "annual_bonus": fmt_amount(r.person.annual_bonus),
            "si_base": fmt_amount(r.person.si_base) if r.person.si_base is not None else None,
            "housing_fund_rate": fmt_rate(r.person.housing_fund_rate) if r.person.housing_fund_rate is not None else None,
            "employer_rates": {k: fmt_rate(v) for k, v in r.person.employer_rates},
            "pay": fmt_amount(r.pay), "employer_contributions": {k: fmt_amount(v) for k, v in r.contributions},
            "employer_contributions_total": fmt_amount(r.employer_cost - r.pay),
            "employer_cost": fmt_amount(r.employer_cost), "monthly_cost": fmt_amount(r.monthly_cost),
            "status": r.status, "status_label": STATUS[r.status], "findings": by_person.get(i, []),
        } for i, r in enumerate(result.people)],
        "comparison": [{
            "post": c.post, "budget_headcount": c.budget_headcount, "roster_headcount": c.roster_headcount,
            "budget_monthly_pay": fmt_amount(c.budget_monthly_pay) if c.budget_monthly_pay is not None else None,
            "roster_monthly_pay": fmt_amount(c.roster_monthly_pay) if c.roster_monthly_pay is not None else None,
            "budget_monthly_cost": fmt_amount(c.budget_monthly_cost) if c.budget_monthly_cost is not None else None,
            "roster_monthly_cost": fmt_amount(c.roster_monthly_cost) if c.roster_monthly_cost is not None else None,
            "budget_annual_bonus": fmt_amount(c.budget_annual_bonus) if c.budget_annual_bonus is not None else None,
            "roster_annual_bonus": fmt_amount(c.roster_annual_bonus) if c.roster_annual_bonus is not None else None,
        } for c in result.comparison],
        "totals": {"people": len(result.people), "fail": errors,
                   "attention": sum(1 for r in result.people if r.status == "attention"),
                   "ok": sum(1 for r in result.people if r.status == "ok"),
                   "roster_cost": fmt_amount(result.roster_cost),
                   "budget_personnel": budget["totals"]["personnel"],
                   "verdict": result.verdict, "verdict_label": STATUS[result.verdict]},
        "findings": [{"code": f.code, "severity": f.severity, "where": f.where, "message": f.message,
                      "basis": f.basis} for f in result.findings],
        "defaults": budget["defaults"],
        "parameters": budget["parameters"],
        "parameter_set": budget["parameter_set"],
    }


__all__ = ["Person", "parse_roster", "DUPLICATE_ID", "duplicate_id", "check_roster", "check_input", "check_to_json", "MAX_LINES"]
