"""The rules a budget is checked against. Each finding says what is wrong, with the numbers, and
the document it rests on. Codes are stable (see README: 检查项代码)."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from .model import CERTIFICATES, LEVELS, Budget, Post, Rules
from .money import fmt_figure, fmt_percent
from .money import fmt_grouped as g
from .parameters import TIER_LABELS, UNKNOWN_DOCUMENT, UNVERIFIED, Lookup, ParameterSet
from .periods import Month, span_text
from .pricing import Run, active_runs, allowance_gap, clamp_base
from .result import Finding, LineResult, Result
from .staffing import SEED, staffing_norm

# Seed 二(四): 高级岗位需高级社会工作师；中级岗位需社会工作师；初级岗位需助理社会工作师或社会工作员。
# A higher certificate satisfies a lower post.
CERTIFICATE_RANK = {"none": 0, "social_work_worker": 1, "assistant_social_worker": 1,
                    "social_worker": 2, "senior_social_worker": 3}
LEVEL_NEEDS = {"none": 0, "junior": 1, "mid": 2, "senior": 3}
LEVEL_NEEDS_TEXT = {"junior": "助理社会工作师或社会工作员", "mid": "社会工作师", "senior": "高级社会工作师"}
BASIS_CERTIFICATE = f"{SEED}二(四)"
BASIS_SI_BASE = "《中华人民共和国社会保险法》第十二条（按职工工资总额缴费）"
BASIS_HF_RATE = "《住房公积金管理条例》第十八条；建金〔2016〕74号"


def run_all(budget: Budget, result: Result, runs: list[Run], params: ParameterSet) -> list[Finding]:
    findings: list[Finding] = []
    place = district_place(result.district, result.tier)
    for i, (post, line) in enumerate(zip(budget.personnel, result.personnel)):
        found: dict[tuple, Finding] = {}          # a line with pay steps is checked step by step, each finding once
        for first, months, pay, allowance in steps_of(line, budget.project.start, post.first):
            stepped = post if pay == post.monthly_pay else replace(post, monthly_pay=pay)
            for f in line_findings(stepped, allowance, active_runs(runs, months, first),
                                   f"personnel[{i}]", place, budget.rules):
                found.setdefault((f.code, f.message), f)
        findings += found.values()
    findings += _allowance_standards(budget, params)
    findings += _budget_rules(budget, result)
    findings += _staffing(budget, params)
    findings += _parameters(result)
    return findings


def steps_of(line: LineResult, start: Month, first: int | None = None) -> list[tuple[int, int, Decimal, Decimal]]:
    """(offset from the project start, months, monthly pay, allowance) of each run of a priced line's months with
    one pay and one allowance, read from its segments (``first``: the line's first offset, where the caller knows)."""
    if all(s.monthly_pay in (None, line.monthly_pay) and s.monthly_allowance in (None, line.monthly_allowance)
           for s in line.segments):                      # one pay, one allowance (most lines)
        if first is None:
            first = Month.parse(line.first or line.segments[0].first).index - start.index if line.segments else 0
        return [(first, line.months, line.monthly_pay, line.monthly_allowance)]
    steps: list[list] = []
    for s in line.segments:
        pay = line.monthly_pay if s.monthly_pay is None else s.monthly_pay
        allowance = line.monthly_allowance if s.monthly_allowance is None else s.monthly_allowance
        if steps and (steps[-1][2], steps[-1][3]) == (pay, allowance):
            steps[-1][1] += s.months
        else:
            steps.append([Month.parse(s.first).index - start.index, s.months, pay, allowance])
    return [tuple(step) for step in steps]


def district_place(district: str, tier: str) -> str:
    """How a finding names the place whose minimum wage applies: 城口县（第二档）."""
    return f"{district}（{TIER_LABELS[tier]}）"


def line_findings(post: Post, allowance: Decimal, active: list[tuple[Run, int]], where: str, place: str,
                  rules: Rules) -> list[Finding]:
    """The checks every personnel line (and every person of a pay proposal) is held to."""
    return (certificate(post, where) + min_wage(post, allowance, active, where, place)
            + pay_floor(post, allowance, rules, where) + si_base(post, allowance, active, where)
            + hf_rate(post, active, where))


def span(active: list[tuple[Run, int]]) -> str:
    """The months a list of (run, months) covers: 2025-01 至 2025-06."""
    first = active[0][0].months[0]
    last_run, count = active[-1]
    return span_text(first, last_run.months[count - 1])


def certificate(post: Post, where: str) -> list[Finding]:
    if CERTIFICATE_RANK[post.certificate] >= LEVEL_NEEDS[post.level]:
        return []
    return [Finding(
        "CERTIFICATE_BELOW_LEVEL", "error", where,
        f"{post.post}：{LEVELS[post.level]}岗位应具有{LEVEL_NEEDS_TEXT[post.level]}职业资格证书，"
        f"填写的证书为「{CERTIFICATES[post.certificate]}」",
        BASIS_CERTIFICATE)]


def pay_text(post: Post, allowance: Decimal) -> str:
    """A line's monthly pay as the rules count it: with its 职业津贴, said only where there is one."""
    if not allowance:
        return f"月应发工资 {g(post.monthly_pay)} 元"
    return f"月应发工资 {g(post.monthly_pay)} 元加职业津贴 {g(allowance)} 元，合计 {g(post.monthly_pay + allowance)} 元"


def min_wage(post: Post, allowance: Decimal, active, where: str, place: str) -> list[Finding]:
    pay = post.monthly_pay + allowance
    by_record: dict = {}
    for run, count in active:
        lookup = run.figures.min_wage
        if pay < lookup.value:
            by_record.setdefault(lookup.record, []).append((run, count))
    findings = []
    for record, spans in by_record.items():
        findings.append(Finding(
            "PAY_BELOW_MIN_WAGE", "error", where,
            f"{post.post}：{pay_text(post, allowance)}，低于{place}{span(spans)} 的月最低工资标准 {g(record.value)} 元，"
            f"每人每月差 {g(record.value - pay)} 元",
            record.source.citation))
    return findings


def pay_floor(post: Post, allowance: Decimal, rules: Rules, where: str) -> list[Finding]:
    floor = rules.floor_for(post.level)
    pay = post.monthly_pay + allowance
    if floor is None or pay >= floor:
        return []
    return [Finding(
        "PAY_BELOW_FLOOR", "error", where,
        f"{post.post}：{pay_text(post, allowance)}，低于项目规则设定的{LEVELS[post.level]}岗位"
        f"薪酬下限 {g(floor)} 元，每人每月差 {g(floor - pay)} 元",
        f"项目规则：{LEVELS[post.level]}岗位薪酬下限（采购方设定）")]


def _by_floor(runs: list[tuple[Run, int]]) -> list[tuple[Lookup, list[tuple[Run, int]]]]:
    """Runs grouped by the social-insurance floor in force in them (each year's figure, with its own notice)."""
    groups: dict = {}
    for run, count in runs:
        floor = run.figures.si_floor
        groups.setdefault((floor.record, floor.value), (floor, []))[1].append((run, count))
    return list(groups.values())


def si_base(post: Post, allowance: Decimal, active, where: str) -> list[Finding]:
    actual = post.monthly_pay + allowance
    if post.si_base is None:            # the base is the pay: say so on the line when a floor raises it
        raised = [(run, count) for run, count in active if actual < run.figures.si_floor.value]
        return [Finding(
            "SI_BASE_BELOW_FLOOR", "info", where,
            f"{post.post}：{pay_text(post, allowance)}，低于 {span(spans)} 的社会保险缴费基数下限 "
            f"{g(floor.value)} 元，单位缴费按下限计算",
            floor.record.source.citation) for floor, spans in _by_floor(raised)]
    below_pay, below_floor = [], []
    for run, count in active:
        floor, ceiling = run.figures.si_floor, run.figures.si_ceiling
        used = clamp_base(post.si_base, floor.value, ceiling.value)
        if used < min(actual, ceiling.value):
            below_pay.append((run, count))
        if post.si_base < floor.value:
            below_floor.append((run, count))
    findings = []
    if below_pay:
        ceiling = below_pay[0][0].figures.si_ceiling
        findings.append(Finding(
            "SI_BASE_BELOW_PAY", "error", where,
            f"{post.post}：申报的社会保险缴费基数 {g(post.si_base)} 元低于实际月工资 {g(actual)} 元"
            f"（{span(below_pay)} 的基数上限为 {g(ceiling.value)} 元，不能解释此差额）；"
            f"缴费基数应按实际工资核定",
            f"{BASIS_SI_BASE}；{ceiling.record.source.citation}"))
    findings += [Finding(
        "SI_BASE_BELOW_FLOOR", "info", where,
        f"{post.post}：申报的社会保险缴费基数 {g(post.si_base)} 元低于 {span(spans)} 的"
        f"基数下限 {g(floor.value)} 元，已按下限计算",
        floor.record.source.citation) for floor, spans in _by_floor(below_floor)]
    return findings


def hf_rate(post: Post, active, where: str) -> list[Finding]:
    if post.housing_fund_rate is None:
        return []
    rate = post.housing_fund_rate
    for run, _count in active:
        low, high = run.figures.hf_rate_min.value, run.figures.hf_rate_max.value
        if not low <= rate <= high:
            return [Finding(
                "HOUSING_FUND_RATE_OUT_OF_RANGE", "error", where,
                f"{post.post}：住房公积金单位缴存比例 {fmt_percent(rate)} 不在 "
                f"{fmt_percent(low)}–{fmt_percent(high)} 之间",
                BASIS_HF_RATE)]
    return []


def _allowance_standards(budget: Budget, params: ParameterSet) -> list[Finding]:
    """A certified line in a covered category, with no allowance given, where the district's standard is not
    entered, or starts after the line's first month: its allowance is 0 before the standard (or throughout), and
    the line says so (the district may have a rule the budget can follow)."""
    district, start = budget.project.district, budget.project.start
    findings = []
    for i, post in enumerate(budget.personnel):
        first = start.plus(post.first)
        gap = None if post.monthly_allowance is not None else allowance_gap(
            params, first.first_day, district, post.certificate, post.category)
        if gap is None:
            continue
        last = start.plus(post.first + post.months - 1)
        if gap.starts and gap.starts <= last.first_day:
            said = (f"{post.post}：{gap.name}自 {gap.starts.isoformat()} 起执行，{first} 至 "
                    f"{Month(gap.starts.year, gap.starts.month).plus(-1)} 职业津贴按 0 计，此后按标准计入")
        else:
            said = f"{post.post}：{gap.text}，职业津贴按 0 计；本区县有规定的，可在“职业津贴”栏按规定填写"
        findings.append(Finding(
            "ALLOWANCE_STANDARD_NOT_YET" if gap.starts else "ALLOWANCE_STANDARD_MISSING", "info", f"personnel[{i}]",
            said, f"{SEED}三(一)（对获得社会工作职业资格的社区工作者给予职业津贴，按规定执行）"))
    return findings


def _budget_rules(budget: Budget, result: Result) -> list[Finding]:
    findings = []
    rules, totals = budget.rules, result.totals
    if not budget.personnel:
        findings.append(Finding(
            "NO_PERSONNEL", "error", "personnel",
            "预算没有人员经费：请至少填写一个岗位（社会工作专业人才的人员经费是这类预算的核心）",
            f"{SEED}三(一)（编制预算时要将社会工作专业人才成本作为重要核算依据）"))
    cap = rules.max_management_fee_rate
    if cap is not None and budget.management_fee_rate > cap:
        findings.append(Finding(
            "MANAGEMENT_FEE_ABOVE_CAP", "error", "management_fee_rate",
            f"管理费费率 {fmt_percent(budget.management_fee_rate)}（{g(totals.management_fee)} 元）"
            f"高于项目规则设定的上限 {fmt_percent(cap)}",
            "项目规则：管理费费率上限（采购方设定）"))
    minimum = rules.min_personnel_share
    if minimum is not None and totals.personnel_share < minimum:
        findings.append(Finding(
            "PERSONNEL_SHARE_BELOW_MIN", "error", "totals.personnel_share",
            f"人员经费 {g(totals.personnel)} 元占预算总额 {g(totals.grand_total)} 元的 "
            f"{fmt_percent(totals.personnel_share)}，低于项目规则设定的 {fmt_percent(minimum)}",
            "项目规则：人员经费最低占比（采购方设定）；"
            f"{SEED}三(一)（编制预算时要将社会工作专业人才成本作为重要核算依据）"))
    appropriation = budget.project.appropriation
    if appropriation is not None and totals.grand_total > appropriation:
        findings.append(Finding(
            "OVER_APPROPRIATION", "error", "project.appropriation",
            f"预算总额 {g(totals.grand_total)} 元超过预算控制数 {g(appropriation)} 元，"
            f"超出 {g(totals.grand_total - appropriation)} 元",
            "财政部令第102号《政府购买服务管理办法》第三条（预算约束）"))
    by_year = {y.year: y for y in result.by_year}
    for year, amount in budget.project.appropriation_by_year:
        total = by_year[year].grand_total if year in by_year else Decimal("0")
        if total > amount:
            findings.append(Finding(
                "OVER_APPROPRIATION_YEAR", "error", f"project.appropriation_by_year.{year}",
                f"{year} 年度预算 {g(total)} 元超过该年度预算控制数 {g(amount)} 元，超出 {g(total - amount)} 元",
                "财政部令第102号《政府购买服务管理办法》第三条（预算约束）；《中华人民共和国预算法》第十八条（预算年度自公历 1 月 1 日起至 12 月 31 日止）"))
    return findings


def _staffing(budget: Budget, params: ParameterSet) -> list[Finding]:
    site = budget.project.site
    if site is None:
        return []
    norm = staffing_norm(site, params, budget.project.start.first_day)
    professional = sum(p.headcount for p in budget.personnel if p.level != "none")
    if professional >= norm.required:
        return []
    unit = "个社会工作专业岗位" if site.type == "social_work_org" else "名社会工作专业人才"
    return [Finding(
        "STAFFING_BELOW_NORM", norm.severity, "project.site",
        f"{norm.explanation}；本预算的社会工作专业岗位（等级为初级及以上）共 {professional} 人，"
        f"少 {norm.required - professional} {unit}",
        norm.basis)]


def tax_rates_change(periods, vat) -> Finding:
    """Where the VAT or surcharge rates change inside the period, the tax is priced period by period: say how."""
    parts = "；".join(f"{span_text(p.first, p.last)} 增值税 {fmt_percent(p.vat_rate)}、附加 {fmt_percent(p.surcharge_rate)}，"
                     f"税费 {g(p.tax)} 元" for p in periods)
    return Finding(
        "TAX_RATES_CHANGE_IN_PERIOD", "info", "contractor.taxpayer",
        f"服务期内税率变化，税费按各时段的税率分段计算：{parts}。请按实际开票时间核实", vat.record.source.citation)


def _parameters(result: Result) -> list[Finding]:
    findings, seen = [], set()
    for use in result.parameters:
        if use.record is None:
            continue
        r = use.record
        if use.carried_forward:
            findings.append(Finding(
                "PARAMETER_CARRIED_FORWARD", "warning", "parameters",
                f"{span_text(use.first, use.last)} 的「{r.label}」尚无已公布数值，沿用 "
                f"{r.period_text} 的 {fmt_figure(use.value, use.unit)}（{r.source.citation}）；新数值公布后请重新测算",
                r.source.citation))
        key = (r.family, r.region, r.start)
        if not r.verified and key not in seen:
            seen.add(key)
            findings.append(Finding(
                "PARAMETER_UNVERIFIED", "info", "parameters",
                (f"「{r.label}」{fmt_figure(use.value, use.unit)} 的依据文件尚未确定，{UNVERIFIED}，请以主管部门文件为准"
                 if r.source.citation == UNKNOWN_DOCUMENT else
                 f"「{r.label}」{fmt_figure(use.value, use.unit)} 的依据（{r.source.citation}）{UNVERIFIED}，"
                 f"请以主管部门文件为准"),
                r.source.citation))
    return findings
