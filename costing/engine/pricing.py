"""How a personnel line is priced, each rule once: the figures in force month by month (runs), the
defaults a line falls back to (allowance, housing-fund rate, declared base), the months a line is
filled in, and where a contribution is rounded. Every other engine module prices through here.

Rounding happens in exactly these places (ROUND_HALF_UP to 0.01):
  * each employer contribution item (and the housing fund) per person per month (``person_month``);
  * the prorated annual bonus of a line (``price_line``);
  * the management fee and the tax-inclusive price (``price_totals``).
Months with identical figures form a run and each line is computed once per run, not once per month.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from .model import CERTIFICATES, CONTRIBUTIONS, Budget, Post
from .money import round_cents
from .parameters import Lookup, ParameterMissing, ParameterSet
from .periods import Month
from .result import LineResult, Segment, TaxBasis

ZERO = Decimal("0")
SI_ITEMS = ("pension", "medical", "serious_illness", "unemployment", "work_injury")
_SI_FAMILIES = {item: f"si.employer.{item}" for item in SI_ITEMS}
_SI_HIGHEST = {item: f"si.employer_max.{item}" for item in SI_ITEMS}
ALLOWANCE_FAMILY = "allowance.certificate_monthly"
HF_RATE_MIN = "hf.rate_min"
# why a line has the 职业津贴 it has: its own figure, its district's standard, or why it has none
ALLOWANCE_SOURCES = ("given", "standard", "no_certificate", "not_covered", "not_entered", "not_yet")


@dataclass(frozen=True)
class Figures:
    """The figures in force in one month (a run of months shares one Figures)."""
    min_wage: Lookup
    si_floor: Lookup
    si_ceiling: Lookup
    rates: tuple[tuple[str, Lookup | None], ...]     # None: work injury rate given by the budget
    hf_floor: Lookup
    hf_ceiling: Lookup
    hf_rate_min: Lookup
    hf_rate_max: Lookup

    def lookups(self) -> list[Lookup]:
        found = [self.min_wage, self.si_floor, self.si_ceiling, self.hf_floor, self.hf_ceiling,
                 self.hf_rate_min, self.hf_rate_max]
        return found + [lookup for _, lookup in self.rates if lookup is not None]

    def key(self) -> tuple:
        return tuple((lookup.record.family, lookup.record.start, lookup.carried_forward) for lookup in self.lookups())


@dataclass(frozen=True)
class RunRates:
    """A run's figures as plain Decimals, resolved once for all lines."""
    si_floor: Decimal
    si_ceiling: Decimal
    rates: tuple[tuple[str, Decimal], ...]
    hf_floor: Decimal
    hf_ceiling: Decimal


@dataclass
class Run:
    first_index: int        # offset of the run's first month from the project start
    months: tuple[Month, ...]
    figures: Figures
    rates: RunRates | None = None
    labels: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.months)

    def resolve(self, work_injury_rate: Decimal | None) -> None:
        f = self.figures
        rates = tuple((item, work_injury_rate if lookup is None else lookup.value) for item, lookup in f.rates)
        self.rates = RunRates(f.si_floor.value, f.si_ceiling.value, rates, f.hf_floor.value, f.hf_ceiling.value)
        self.labels = tuple(str(month) for month in self.months)


def _year_lookup_date(month: Month, year_start_month: int) -> date:
    """The date whose record is the 年度 that contains ``month`` (年度 Y is labelled from Y-01-01)."""
    year = month.year if month.month >= year_start_month else month.year - 1
    return date(year, 1, 1)


def month_figures(params: ParameterSet, month: Month, tier: str, year_start_month: int,
                  work_injury_override: bool) -> Figures:
    day = month.first_day
    si_day = _year_lookup_date(month, year_start_month)
    rates = tuple(
        (item, None if item == "work_injury" and work_injury_override
         else statutory_rate(params, item, day))
        for item in SI_ITEMS)
    return Figures(
        min_wage=params.at("min_wage.monthly", day, tier),
        si_floor=params.at("si.base_floor", si_day, "cq"),
        si_ceiling=params.at("si.base_ceiling", si_day, "cq"),
        rates=rates,
        hf_floor=params.at("hf.base_floor", day, tier),
        hf_ceiling=params.at("hf.base_ceiling", day, "cq"),
        hf_rate_min=lowest_hf_rate(params, day),
        hf_rate_max=params.at("hf.rate_max", day, "cq"),
    )


def build_runs(params: ParameterSet, budget: Budget, tier: str) -> list[Run]:
    """Group the project's months into runs of months with identical figures (raises ParameterMissing
    for a month before the first known figure)."""
    year_start = int(params.setting("si.base_year_start_month").value)
    override = budget.contractor.work_injury_rate is not None
    runs: list[Run] = []
    for offset in range(budget.months):
        month = budget.project.start.plus(offset)
        figures = month_figures(params, month, tier, year_start, override)
        if runs and runs[-1].figures.key() == figures.key():
            last = runs[-1]
            runs[-1] = Run(last.first_index, last.months + (month,), last.figures)
        else:
            runs.append(Run(offset, (month,), figures))
    for run in runs:
        run.resolve(budget.contractor.work_injury_rate)
    return runs


def active_runs(runs: list[Run], months: int, first: int = 0) -> list[tuple[Run, int]]:
    """The runs of the ``months`` months from ``first`` months after the project start, each with its count of
    them: a run the months begin or end inside is cut to them (``window``)."""
    return [(run, run.count) for run in window(runs, first, months)]


def window(runs: list[Run], first: int, months: int) -> list[Run]:
    """The runs cut to the months ``first`` … ``first + months − 1`` (offsets from the project start). A run cut
    shares its figures and resolved rates with the whole one."""
    stop, found = first + months, []
    if first == 0 and runs and stop >= runs[-1].first_index + runs[-1].count:
        return runs                                   # the whole period: the runs as they are
    for run in runs:
        a, b = max(run.first_index, first), min(run.first_index + run.count, stop)
        if a >= b:
            continue
        if a == run.first_index and b == run.first_index + run.count:
            found.append(run)
        else:
            i, j = a - run.first_index, b - run.first_index
            found.append(Run(a, run.months[i:j], run.figures, run.rates, run.labels[i:j]))
    return found


# (offset from the project start, value from that month on), offsets ascending, the first 0
Steps = tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class Piece:
    """A run of a line's months with one monthly pay and one allowance."""
    first: int              # offset from the project start
    months: int
    monthly_pay: Decimal
    allowance: Decimal


def line_pieces(post: Post, allowance: Decimal | Steps, project_start: Month) -> list[Piece]:
    """The line's filled months cut where its pay changes (``pay_changes``) or its allowance does (a district
    standard that starts inside the period applies from its own month)."""
    steps = ((0, allowance),) if isinstance(allowance, Decimal) else allowance
    if not post.pay_changes and len(steps) == 1:         # most lines: one pay, one allowance
        return [Piece(post.first, post.months, post.monthly_pay, steps[0][1])]
    pays = post.pay_steps(project_start)
    stop = post.first + post.months
    cuts = sorted({offset for offset, _, _ in pays} | {offset for offset, _ in steps if post.first < offset < stop})
    pieces = []
    for i, offset in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else stop
        pay = next(p for o, _, p in reversed(pays) if o <= offset)
        given = next(a for o, a in reversed(steps) if o <= offset)
        pieces.append(Piece(offset, end - offset, pay, given))
    return pieces


def first_allowance(allowance: Decimal | Steps, post: Post) -> Decimal:
    """The allowance of a line's first filled month."""
    if isinstance(allowance, Decimal):
        return allowance
    return next(a for o, a in reversed(allowance) if o <= post.first)


# -- defaults a line falls back to -----------------------------------------------------------------

def allowance_categories(params: ParameterSet) -> tuple[str, ...] | None:
    """The staff categories the 职业津贴 standard covers (the data's ``categories``; empty: every category), or None
    where the parameter set has no such standard at all."""
    family = params.families.get(ALLOWANCE_FAMILY)
    return None if family is None else family.categories


def allowance_covers(params: ParameterSet, certificate: str, category: str) -> bool:
    """Whether a line is one the district's standard is for: certified, in a category the standard covers."""
    categories = allowance_categories(params)
    return certificate != "none" and categories is not None and (not categories or category in categories)


def default_allowance(params: ParameterSet, on: date, district: str, certificate: str, category: str) -> Lookup | None:
    """The 职业津贴 a line without one gets. Seed 三(一) grants it to certified 社区工作者 「按规定」, that is by the
    local rule: so only with a certificate, only in the categories the standard covers, and only where the
    district's standard is entered and confirmed. Otherwise None (nothing: the budget may state one)."""
    if not allowance_covers(params, certificate, category):
        return None
    return params.district_value(ALLOWANCE_FAMILY, on, district, certificate)


def allowance_steps(params: ParameterSet, start: Month, months: int, district: str, certificate: str,
                    category: str) -> tuple[Steps, list[tuple[int, Lookup | None]]]:
    """The 职业津贴 a line without one gets in each month of the period (``default_allowance`` on the month's first
    day: a standard that starts, or changes, inside the period applies from its own month), as Steps, and the
    standard behind each step (None: none)."""
    found: list[tuple[int, Lookup | None]] = []
    if not allowance_covers(params, certificate, category):
        return ((0, ZERO),), [(0, None)]
    for offset in range(months):
        lookup = default_allowance(params, start.plus(offset).first_day, district, certificate, category)
        key = None if lookup is None else (lookup.record.start, lookup.value)
        if not found or (None if found[-1][1] is None else (found[-1][1].record.start, found[-1][1].value)) != key:
            found.append((offset, lookup))
    return tuple((offset, ZERO if lookup is None else lookup.value) for offset, lookup in found), found


@dataclass(frozen=True)
class AllowanceGap:
    """Why a certified line in a covered category gets no 职业津贴 by default: its district's standard is not
    entered (``starts`` None), or it starts after the service does (``starts`` is when)."""
    district: str
    certificate: str
    starts: date | None

    @property
    def name(self) -> str:
        """渝北区「社会工作师」的职业津贴标准."""
        return f"{self.district}「{CERTIFICATES[self.certificate]}」的职业津贴标准"

    @property
    def text(self) -> str:
        """渝北区「社会工作师」的职业津贴标准未录入 (or …自 2026-01-01 起执行，在岗期间尚未执行)."""
        return f"{self.name}自 {self.starts.isoformat()} 起执行，在岗期间尚未执行" if self.starts else f"{self.name}未录入"


def allowance_gap(params: ParameterSet, on: date, district: str, certificate: str, category: str) -> AllowanceGap | None:
    """An AllowanceGap for a line the standard would cover but cannot (the budget may state the district's
    figure itself), else None: it has its standard, or it is not covered at all (no certificate, another
    category)."""
    if not allowance_covers(params, certificate, category):
        return None
    if default_allowance(params, on, district, certificate, category) is not None:
        return None
    first = params.family(ALLOWANCE_FAMILY).first_start(f"{district}:{certificate}")
    return AllowanceGap(district, certificate, first if first and first > on else None)


def allowance_source(params: ParameterSet, on: date, district: str, certificate: str, category: str) -> str:
    """Why a line without its own 职业津贴 gets what it gets (one of ALLOWANCE_SOURCES but "given"): its district's
    standard, or no certificate, a category the standard does not cover, a standard not entered or not yet in force."""
    if certificate == "none":
        return "no_certificate"
    if not allowance_covers(params, certificate, category):
        return "not_covered"
    if default_allowance(params, on, district, certificate, category) is not None:
        return "standard"
    gap = allowance_gap(params, on, district, certificate, category)
    return "not_yet" if gap is not None and gap.starts else "not_entered"


def allowance_for(given: Decimal | None, default: Lookup | None) -> Decimal:
    """The allowance a line uses: its own figure, else the district's standard (default_allowance), else nothing."""
    if given is not None:
        return given
    return default.value if default is not None else ZERO


def lowest_hf_rate(params: ParameterSet, on: date) -> Lookup:
    """The lowest housing-fund rate allowed on a date (《住房公积金管理条例》第十八条; the figure is in the data)."""
    return params.at(HF_RATE_MIN, on, "cq")


def default_hf_rate(runs: list[Run]) -> Decimal:
    """The housing-fund rate a line without one starts at: the lowest rate allowed at the project start
    (``lowest_hf_rate`` on its first day). Later months use their own (``default_hf_rates``)."""
    return runs[0].figures.hf_rate_min.value


def default_hf_rates(runs: list[Run]) -> tuple[tuple[str, Decimal], ...]:
    """The rate a line without one uses, from each month it changes: ((first month, rate), …) — the lowest rate
    allowed in force in each month, as the other figures are (a minimum raised mid-service applies from its
    month on)."""
    changes: list[tuple[str, Decimal]] = []
    for run in runs:
        rate = run.figures.hf_rate_min.value
        if not changes or changes[-1][1] != rate:
            changes.append((str(run.months[0]), rate))
    return tuple(changes)


def statutory_rate(params: ParameterSet, item: str, on: date) -> Lookup:
    """An employer's social-insurance rate in force on a date (SI_ITEMS; a budget may state its own work-injury rate)."""
    return params.at(_SI_FAMILIES[item], on, "cq")


def highest_rate(params: ParameterSet, item: str, on: date) -> Lookup | None:
    """The highest employer rate of an item that a declared rate can be (above it, it is a typing mistake): the
    data's ``si.employer_max.*``; None where the parameter set has no such figure for the date (a database seeded
    before the figure was shipped)."""
    key = _SI_HIGHEST[item]
    if key not in params.families:
        return None
    try:
        return params.at(key, on, "cq")
    except (KeyError, ParameterMissing):
        return None


def clamp_base(base: Decimal, floor: Decimal, ceiling: Decimal) -> Decimal:
    """A contribution base held within the year's floor and ceiling (社会保险法第十二条; the floors and
    ceilings are in the data files)."""
    return min(max(base, floor), ceiling)


def derived_si_base(actual: Decimal, rates: RunRates) -> Decimal:
    """The social-insurance base of a line that declares none: its pay with the allowance, clamped."""
    return clamp_base(actual, rates.si_floor, rates.si_ceiling)


# -- pricing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonMonth:
    """One person's figures for one month of a run."""
    actual_pay: Decimal
    si_base: Decimal
    hf_base: Decimal
    items: tuple[tuple[str, Decimal], ...]
    contributions: Decimal


def person_month(actual: Decimal, declared_base: Decimal | None, hf_rate: Decimal, rates: RunRates) -> PersonMonth:
    """Employer contributions for one person in one month: each item rounded to the 分 here."""
    declared = declared_base if declared_base is not None else actual
    si_base = clamp_base(declared, rates.si_floor, rates.si_ceiling)
    hf_base = clamp_base(actual, rates.hf_floor, rates.hf_ceiling)
    items, total = [], ZERO
    for item, rate in rates.rates + (("housing_fund", hf_rate),):
        amount = round_cents((hf_base if item == "housing_fund" else si_base) * rate)
        items.append((item, amount))
        total += amount
    return PersonMonth(actual, si_base, hf_base, tuple(items), total)


def price_line(post: Post, allowance: Decimal | Steps, hf_rate: Decimal | None, runs: list[Run],
               cache: dict[tuple, PersonMonth],
               declared_rates: tuple[tuple[str, Decimal], ...] = (),
               allowance_source: str = "given") -> tuple[LineResult, list[tuple[Run, int, PersonMonth]]]:
    """One personnel line with the allowance (one figure, or Steps where a standard starts inside the period; why
    it is that: ``allowance_source``) and housing-fund rate it uses (None: the lowest rate allowed in each run's
    months); also, for each run of its months with one pay, allowance and set of figures (cut to its months,
    ``window``), its number of months and the per-person figures. Each month is priced with its own pay,
    allowance and figures.

    ``declared_rates`` replace the statutory employer rates they name (a contractor's pay proposal).
    ``cache`` is shared by the lines priced on the same runs: lines with equal pay share their figures."""
    declared = dict(declared_rates)
    totals = dict.fromkeys(CONTRIBUTIONS, ZERO)
    segments, used = [], []
    pay = ZERO
    start = runs[0].months[0]
    for piece in line_pieces(post, allowance, start):
        actual = piece.monthly_pay + piece.allowance
        for run in window(runs, piece.first, piece.months):
            hf = hf_rate if hf_rate is not None else run.figures.hf_rate_min.value
            key = (id(run.rates), actual, post.si_base, hf, declared_rates)
            pm = cache.get(key)
            if pm is None:
                rates = run.rates
                if declared:
                    rates = replace(rates, rates=tuple((item, declared.get(item, rate)) for item, rate in rates.rates))
                pm = cache[key] = person_month(actual, post.si_base, hf, rates)
            persons_months = post.headcount * run.count
            for item, amount in pm.items:
                totals[item] += amount * persons_months
            pay += actual * persons_months
            segments.append(Segment(run.labels[0], run.labels[-1], run.count, pm.si_base, pm.hf_base, pm.items,
                                    piece.monthly_pay, piece.allowance))
            used.append((run, run.count, pm))
    bonus = round_cents(post.annual_bonus * post.headcount * post.months / 12)
    pay += bonus
    line = LineResult(
        post=post.post, category=post.category, level=post.level, certificate=post.certificate,
        headcount=post.headcount, months=post.months, monthly_pay=post.monthly_pay,
        monthly_allowance=first_allowance(allowance, post), pay=pay, bonus=bonus, contributions=tuple(totals.items()),
        total=pay + sum(totals.values(), ZERO), segments=tuple(segments), allowance_source=allowance_source,
        first=segments[0].first, last=segments[-1].last,
        pay_changes=tuple((str(c.start), c.monthly_pay) for c in post.pay_changes) if post.pay_changes else ())
    return line, used


def price_totals(personnel: Decimal, direct: Decimal, fee_rate: Decimal,
                 tax: TaxBasis) -> tuple[Decimal, Decimal, Decimal]:
    """Management fee, pre-tax cost and the tax-inclusive price (the grand total) of the summed lines:
    price = C × (1 + r) ÷ (1 − r·s), r the VAT rate and s the surcharge rate."""
    management_fee = round_cents((personnel + direct) * fee_rate)
    pre_tax = personnel + direct + management_fee
    return management_fee, pre_tax, gross_up(pre_tax, tax)


def gross_up(pre_tax: Decimal, tax: TaxBasis) -> Decimal:
    """The tax-inclusive price of a pre-tax cost at constant rates, rounded to the 分:
    C × (1 + r) ÷ (1 − r·s), r the VAT rate and s the surcharge rate."""
    return round_cents(pre_tax * (1 + tax.vat_rate) / (1 - tax.vat_rate * tax.surcharge_rate))
