"""Check a contractor's pay proposal (薪酬方案: a staff roster) against the rules and the budget.

Each person is priced like a budget line of one person (``pricing.price_line``, on the runs the budget
was computed on), with the employer rates the contractor declares (statutory when blank) and, like a
budget line, the district's allowance standard when none is given. Each person is held to the same
checks as a budget line (``checks.line_findings``) and a few of a proposal's own. The comparison with the
budget is made person by person, exactly (``_compare``): a person paid below what the budget allows for their post
is a finding on that person, with the amount, whatever the size of the post; the post and total rows are exact sums.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from . import checks
from .budget import compute_priced
from .model import CATEGORIES, CERTIFICATES, CONTRIBUTION_LABELS, LEVELS, Budget, Post
from .money import fmt_amount, fmt_percent, fmt_rate, round_cents
from .money import fmt_grouped as g
from .parameters import ParameterSet, default_parameters
from .parse import MAX_LINES, InputError, RateRange, Reader, parse_budget, rate_problem
from .pricing import (
    SI_ITEMS,
    ZERO,
    active_runs,
    allowance_for,
    default_allowance,
    highest_rate,
    price_line,
    statutory_rate,
)
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
    certificate_no: str | None = None       # 证书编号, kept and shown, not checked


_PERSON = ["id", "post", "category", "level", "certificate", "certificate_no", "monthly_pay", "monthly_allowance",
           "annual_bonus", "si_base", "employer_rates", "housing_fund_rate", "months"]
DUPLICATE_ID = "duplicate_id"           # Problem.code of an id an earlier entry already has
MAX_CERTIFICATE_NO = 50


def id_key(ident: str) -> str:
    """An id as ids are compared wherever a duplicate is looked for: full- and half-width alike (NFKC), trimmed —
    ＨＧ－００２ is HG-002."""
    return unicodedata.normalize("NFKC", ident).strip()


def duplicate_id(ident: str, row: int) -> str:
    """The problem of an id already used: the earlier entry named by its row (``roster[3]`` is 第 4 行,
    as the form numbers its rows; a file names its own rows instead)."""
    return f"「{ident}」与第 {row} 行重复"


def rate_ranges(params: ParameterSet, budget: Budget) -> dict[str, RateRange]:
    """What each declared employer rate may be over the budget's service: the statutory rates of its months (and
    the budget's own work-injury rate, if it states one) and the item's highest rate, from the parameter set."""
    days = [budget.project.start.plus(offset).first_day for offset in range(budget.months)]
    ranges = {}
    for item in SI_ITEMS:
        figures = {statutory_rate(params, item, day).value for day in days}
        if item == "work_injury" and budget.contractor.work_injury_rate is not None:
            figures.add(budget.contractor.work_injury_rate)
        highs = [found.value for found in (highest_rate(params, item, day) for day in days) if found is not None]
        ranges[item] = RateRange(f"{CONTRIBUTION_LABELS[item]}单位费率", tuple(sorted(figures)),
                                 max(highs) if len(highs) == len(days) else None)
    return ranges


def parse_roster(data: Any, params: ParameterSet, period: int,
                 ranges: dict[str, RateRange] | None = None) -> list[Person]:
    """Validate roster rows (``roster[i].field`` paths); raise InputError listing every problem. With ``ranges``
    (``rate_ranges``), a declared rate that cannot be what was meant is refused at its field."""
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
        key = id_key(ident) if ident is not None else None
        if key is not None and key in first_of:
            r.fail(f"{path}.id", duplicate_id(ident, first_of[key] + 1), DUPLICATE_ID)
        elif key is not None:
            first_of[key] = i
        post = r.text(p["post"], f"{path}.post", 100) if "post" in p else None
        # blank (null or "") is the budget post's category; any other value is read as a choice (0 and [] are no blank)
        category = r.choice(p["category"], f"{path}.category", CATEGORIES) if p.get("category") not in (None, "") else None
        level = r.choice(p["level"], f"{path}.level", LEVELS) if "level" in p else None
        certificate = r.choice(p["certificate"], f"{path}.certificate", CERTIFICATES) if "certificate" in p else None
        certificate_no = r.optional(p, "certificate_no", path, r.text, MAX_CERTIFICATE_NO, False) or None
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
                    refused = rate_problem(rate, ranges[item]) if rate is not None and ranges else None
                    if refused:
                        r.fail(f"{path}.employer_rates.{item}", refused[1], refused[0])
                    elif rate is not None:
                        rates.append((item, rate))
        if len(r.problems) == before:
            people.append(Person(ident, post, category, level, certificate, pay, allowance, si_base,
                                 tuple(rates), hf_rate, months or period, bonus or ZERO, certificate_no))
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
    """A post of the budget (or of the proposal only), both sides as exact sums over their people; the per-person
    averages (rounded to the 分) are for information only: nothing is compared by them."""
    post: str                                # as the budget names it (the roster's name where the budget has none)
    budget_headcount: int
    roster_headcount: int
    budget_monthly_pay: Decimal | None       # per person, pay + allowance (headcount-weighted)
    roster_monthly_pay: Decimal | None
    budget_monthly_cost: Decimal | None      # per person, first month incl. employer contributions
    roster_monthly_cost: Decimal | None
    budget_annual_bonus: Decimal | None = None   # per person per year
    roster_annual_bonus: Decimal | None = None
    budget_monthly_total: Decimal = ZERO     # everyone's pay + allowance in a month
    roster_monthly_total: Decimal = ZERO
    budget_annual_total: Decimal = ZERO      # everyone's pay + allowance for twelve months, with their year's bonus
    roster_annual_total: Decimal = ZERO
    budget_cost: Decimal = ZERO              # over the service, with the employer's contributions (the budget's lines)
    roster_cost: Decimal = ZERO
    short_people: int = 0                    # people paid below what the budget allows for this post
    shortfall: Decimal = ZERO                # what they lack in a year, together


@dataclass(frozen=True)
class CheckResult:
    budget: Result
    people: tuple[PersonResult, ...]
    comparison: tuple[PostComparison, ...]
    findings: tuple[Finding, ...]
    roster_cost: Decimal
    rates: tuple[tuple[str, tuple[tuple[str, Decimal], ...]], ...] = ()    # item → ((from month, rate), …)

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


@lru_cache(maxsize=4096)             # a roster names a few posts thousands of times
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
    comparison, short = _compare(budget, budget_result, results)
    for index in sorted(short):         # a person short of the budget fails, like any other error of theirs
        findings.append(short[index])
        results[index] = replace(results[index], status="fail")
    findings += _headcounts(comparison)
    roster_cost = sum((r.employer_cost for r in results), ZERO)
    findings += _against_total(roster_cost, budget_result.totals.personnel)
    return CheckResult(budget_result, tuple(results), tuple(comparison), tuple(findings), roster_cost,
                       _rates_used(runs))


def _rates_used(runs) -> tuple[tuple[str, tuple[tuple[str, Decimal], ...]], ...]:
    """The employer rate of each item a person who declares none pays, from the month it applies: the statutory
    rate (or the budget's own work-injury rate), month by month as the budget is priced."""
    changes: dict[str, list[tuple[str, Decimal]]] = {item: [] for item in SI_ITEMS}
    for run in runs:
        for item, rate in run.rates.rates:
            if not changes[item] or changes[item][-1][1] != rate:
                changes[item].append((run.labels[0], rate))
    return tuple((item, tuple(found)) for item, found in changes.items())


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


@dataclass(frozen=True)
class _Pay:
    """What one person is paid (or one budgeted person is allowed) in the terms the comparison uses."""
    monthly_pay: Decimal
    monthly_allowance: Decimal
    annual_bonus: Decimal

    @property
    def monthly(self) -> Decimal:
        return self.monthly_pay + self.monthly_allowance

    @property
    def annual(self) -> Decimal:
        return self.monthly * 12 + self.annual_bonus


@dataclass
class _Post:
    name: str
    slots: list[_Pay]                       # one per budgeted person
    people: list[tuple[int, _Pay]]          # (index in the roster, pay)
    cost: Decimal = ZERO                    # the budget's lines over the service
    first_cost: Decimal = ZERO              # their first months with contributions, all people
    names: list[str] | None = None


def _compare(budget: Budget, result: Result, people: list[PersonResult]):
    """Post by post, like with like: per person, pay with allowance for twelve months and the year's bonus, exactly.

    Each post's budgeted people (its slots) and its people are both ranked by that figure, highest first, and the
    highest-paid person is held to the highest slot, the next to the next: a person is short only where no way of
    giving the people the slots pays each at least their slot. With fewer people than slots the lowest slots are the
    ones compared (the rest are vacancies); people beyond the slots are held to the post's lowest. Returns the post
    rows (exact sums) and, by person, the finding of each person paid below their slot."""
    posts: dict[str, _Post] = {}
    for line, priced in zip(budget.personnel, result.personnel):
        entry = posts.setdefault(post_key(line.post), _Post(line.post, [], []))
        pay = _Pay(priced.monthly_pay, priced.monthly_allowance, line.annual_bonus)
        entry.slots += [pay] * line.headcount
        entry.cost += priced.total
        first = priced.segments[0] if priced.segments else None
        entry.first_cost += (priced.monthly_pay + priced.monthly_allowance + (
            sum((a for _, a in first.per_person_month), ZERO) if first else ZERO)) * line.headcount
    for index, person in enumerate(people):
        entry = posts.setdefault(post_key(person.person.post), _Post(person.person.post, [], []))
        p = person.person
        entry.people.append((index, _Pay(p.monthly_pay, p.monthly_allowance, p.annual_bonus)))
    short: dict[int, Finding] = {}
    rows = []
    for key, e in posts.items():
        ranked_slots = sorted(e.slots, key=lambda pay: (pay.annual, pay.monthly), reverse=True)
        ranked = sorted(e.people, key=lambda item: (item[1].annual, item[1].monthly), reverse=True)
        levels = len({(s.annual, s.monthly) for s in ranked_slots}) > 1
        if len(ranked) <= len(ranked_slots):
            held = ranked_slots[len(ranked_slots) - len(ranked):]
        else:
            held = ranked_slots + ranked_slots[-1:] * (len(ranked) - len(ranked_slots)) if ranked_slots else []
        shortfall = ZERO
        for (index, pay), slot in zip(ranked, held):
            if pay.annual < slot.annual:
                short[index] = _short(people[index], pay, slot, e.name, index, levels)
                shortfall += slot.annual - pay.annual
        r_people = [people[index] for index, _ in e.people]
        heads, r_heads = len(e.slots), len(e.people)
        rows.append(PostComparison(
            e.name, heads, r_heads,
            _average(sum((s.monthly for s in e.slots), ZERO), heads) if heads else None,
            _average(sum((p.monthly for _, p in e.people), ZERO), r_heads) if r_heads else None,
            _average(e.first_cost, heads) if heads else None,
            _average(sum((r.monthly_cost for r in r_people), ZERO), r_heads) if r_heads else None,
            _average(sum((s.annual_bonus for s in e.slots), ZERO), heads) if heads else None,
            _average(sum((p.annual_bonus for _, p in e.people), ZERO), r_heads) if r_heads else None,
            budget_monthly_total=sum((s.monthly for s in e.slots), ZERO),
            roster_monthly_total=sum((p.monthly for _, p in e.people), ZERO),
            budget_annual_total=sum((s.annual for s in e.slots), ZERO),
            roster_annual_total=sum((p.annual for _, p in e.people), ZERO),
            budget_cost=e.cost, roster_cost=sum((r.employer_cost for r in r_people), ZERO),
            short_people=sum(1 for index, _ in e.people if index in short), shortfall=shortfall))
    return rows, short


def _short(person: PersonResult, pay: _Pay, slot: _Pay, post: str, index: int, levels: bool) -> Finding:
    """The finding on a person paid below what the budget allows for their post: the amounts, a month's and a
    year's, and over their months when these are not twelve; at the field that falls short."""
    p = person.person
    with_bonus = bool(pay.annual_bonus or slot.annual_bonus)
    if pay.monthly_pay < slot.monthly_pay:
        field = ".monthly_pay"
    elif pay.monthly < slot.monthly:
        field = ".monthly_allowance"
    elif pay.annual_bonus < slot.annual_bonus:
        field = ".annual_bonus"
    else:
        field = ""
    year = slot.annual - pay.annual
    held = "（与预算同岗人员按工资从高到低逐人对应）" if levels else ""
    if with_bonus:
        said = (f"每年工资、津贴与年终奖 {g(pay.annual)} 元（每月 {g(pay.monthly)} 元，年终奖 {g(pay.annual_bonus)} 元），"
                f"低于预算为岗位「{post}」每人每年安排的 {g(slot.annual)} 元（每月 {g(slot.monthly)} 元，"
                f"年终奖 {g(slot.annual_bonus)} 元）{held}，每年少 {g(year)} 元")
    else:
        said = (f"每月工资与津贴 {g(pay.monthly)} 元，低于预算为岗位「{post}」每人每月安排的 {g(slot.monthly)} 元{held}，"
                f"每月少 {g(slot.monthly - pay.monthly)} 元，每年少 {g(year)} 元")
    if p.months != 12:
        total = (slot.monthly - pay.monthly) * p.months + (slot.annual_bonus - pay.annual_bonus) * p.months / 12
        said += f"，在岗 {p.months} 个月共少 {g(total)} 元"
    return Finding("PAY_BELOW_BUDGET", "error", f"roster[{index}]{field}", f"{p.id}（{p.post}）：{said}",
                   f"采购人预算（岗位「{post}」）；{checks.SEED}三(一)")


def _near(key: str, posts: dict[str, int]) -> str | None:
    """The budget's post a name the budget lacks may have meant: one with fewer people than budgeted."""
    found = difflib.get_close_matches(key, list(posts), n=1, cutoff=0.5)
    return posts[found[0]] if found else None


def _headcounts(comparison: list[PostComparison]) -> list[Finding]:
    """A post whose people are not as many as the budget's, and for a post the budget lacks, the one it may mean."""
    open_posts = {post_key(c.post): c.post for c in comparison if c.roster_headcount < c.budget_headcount}
    findings = []
    for row in comparison:
        if row.budget_headcount == row.roster_headcount:
            continue
        text = f"岗位「{row.post}」：预算 {row.budget_headcount} 人，薪酬方案 {row.roster_headcount} 人"
        if not row.budget_headcount:
            near = _near(post_key(row.post), open_posts)
            text += f"。预算中没有这个岗位，是否指「{near}」？" if near else "。预算中没有这个岗位"
        findings.append(Finding("HEADCOUNT_MISMATCH", "warning", f"comparison[{row.post}]", text,
                                "采购人预算（人员经费明细）"))
    return findings


def validate_input(data: Any, params: ParameterSet | None = None) -> tuple[Budget, list[Person]]:
    """The ``check`` contract read: {"budget": <compute input>, "roster": [...]} → the budget and the people, or
    InputError with every problem (the budget's prefixed ``budget.``)."""
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
    return budget, parse_roster(root["roster"], params, budget.months, rate_ranges(params, budget))


def check_input(data: Any, params: ParameterSet | None = None) -> CheckResult:
    """The ``check`` contract: {"budget": <compute input>, "roster": [...]}."""
    params = params or default_parameters()
    budget, people = validate_input(data, params)
    return check_roster(budget, people, params)


def _optional_amount(value: Decimal | None) -> str | None:
    return fmt_amount(value) if value is not None else None


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
            "certificate": r.person.certificate, "certificate_no": r.person.certificate_no, "months": r.months,
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
            "budget_monthly_pay": _optional_amount(c.budget_monthly_pay),
            "roster_monthly_pay": _optional_amount(c.roster_monthly_pay),
            "budget_monthly_cost": _optional_amount(c.budget_monthly_cost),
            "roster_monthly_cost": _optional_amount(c.roster_monthly_cost),
            "budget_annual_bonus": _optional_amount(c.budget_annual_bonus),
            "roster_annual_bonus": _optional_amount(c.roster_annual_bonus),
            "budget_monthly_total": fmt_amount(c.budget_monthly_total),
            "roster_monthly_total": fmt_amount(c.roster_monthly_total),
            "budget_annual_total": fmt_amount(c.budget_annual_total),
            "roster_annual_total": fmt_amount(c.roster_annual_total),
            "budget_cost": fmt_amount(c.budget_cost), "roster_cost": fmt_amount(c.roster_cost),
            "short_people": c.short_people, "shortfall": fmt_amount(c.shortfall),
        } for c in result.comparison],
        "totals": {"people": len(result.people), "fail": errors,
                   "attention": sum(1 for r in result.people if r.status == "attention"),
                   "ok": sum(1 for r in result.people if r.status == "ok"),
                   "roster_cost": fmt_amount(result.roster_cost),
                   "budget_personnel": budget["totals"]["personnel"],
                   "verdict": result.verdict, "verdict_label": STATUS[result.verdict]},
        "findings": [{"code": f.code, "severity": f.severity, "where": f.where, "message": f.message,
                      "basis": f.basis} for f in result.findings],
        "rates": {item: [{"from": month, "rate": fmt_rate(rate)} for month, rate in changes]
                  for item, changes in result.rates},
        "defaults": budget["defaults"],
        "parameters": budget["parameters"],
        "parameter_set": budget["parameter_set"],
    }


__all__ = ["Person", "parse_roster", "rate_ranges", "DUPLICATE_ID", "duplicate_id", "id_key", "check_roster",
           "validate_input", "check_input", "check_to_json", "post_key", "MAX_LINES"]
