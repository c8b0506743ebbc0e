"""The engine's output as frozen dataclasses, and its JSON form (amounts as decimal strings)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .money import canonical_figure, fmt_amount, fmt_rate
from .parameters import CONFIDENCE, Record

SEVERITIES = ("error", "warning", "info")
INPUT_CONFIDENCE = "input"
# what a figure used carries of its document (never its address or the administrators' note)
CITATION_FIELDS = ("doc_no", "title", "issuer", "date", "effective", "verified_by", "verified_on")
CONFIDENCE_LABELS = {**CONFIDENCE, INPUT_CONFIDENCE: "预算填写"}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    where: str
    message: str
    basis: str


@dataclass(frozen=True)
class Segment:
    """A run of months in which one personnel line's per-person monthly figures do not change."""
    first: str
    last: str
    months: int
    si_base: Decimal
    hf_base: Decimal
    per_person_month: tuple[tuple[str, Decimal], ...]
    # the monthly pay and allowance of these months (None in results stored before they were kept)
    monthly_pay: Decimal | None = None
    monthly_allowance: Decimal | None = None


@dataclass(frozen=True)
class LineResult:
    post: str
    category: str
    level: str
    certificate: str
    headcount: int
    months: int
    monthly_pay: Decimal
    monthly_allowance: Decimal
    pay: Decimal
    bonus: Decimal
    contributions: tuple[tuple[str, Decimal], ...]
    total: Decimal
    segments: tuple[Segment, ...]
    # why its allowance is what it is (pricing.ALLOWANCE_SOURCES); None in results stored before the engine said so
    allowance_source: str | None = None
    # the first and last month it is filled in, and its pay from a month on (empty in results stored before)
    first: str | None = None
    last: str | None = None
    pay_changes: tuple[tuple[str, Decimal], ...] = ()

    @property
    def employer_contributions(self) -> Decimal:
        return sum((amount for _, amount in self.contributions), Decimal("0"))


@dataclass(frozen=True)
class CostResult:
    category: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    year: int | None = None


@dataclass(frozen=True)
class MonthTotal:
    month: str
    headcount: int
    pay: Decimal
    contributions: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    pay: Decimal
    bonus: Decimal
    contributions: tuple[tuple[str, Decimal], ...]
    personnel: Decimal
    direct: Decimal
    direct_by_category: tuple[tuple[str, Decimal], ...]
    management_fee: Decimal
    pre_tax: Decimal
    vat: Decimal
    surcharges: Decimal
    tax: Decimal
    grand_total: Decimal
    personnel_share: Decimal


@dataclass(frozen=True)
class TaxBasis:
    taxpayer: str
    vat_rate: Decimal
    surcharge_rate: Decimal


@dataclass(frozen=True)
class YearTotal:
    """A 年度's share of the budget (engine/annual.py says how each part is put in its year)."""
    year: int
    months: int
    first: str
    last: str
    personnel: Decimal
    direct: Decimal
    management_fee: Decimal
    pre_tax: Decimal
    tax: Decimal
    grand_total: Decimal


@dataclass(frozen=True)
class TaxPeriod:
    """A run of months with one VAT rate and one surcharge rate, and the tax priced on it."""
    first: str
    last: str
    vat_rate: Decimal
    surcharge_rate: Decimal
    pre_tax: Decimal
    vat: Decimal
    tax: Decimal
    grand_total: Decimal


@dataclass(frozen=True)
class ParameterUse:
    """A figure the computation used, with the months it was used for."""
    record: Record | None
    name: str
    label: str
    value: Decimal
    unit: str
    region: str
    first: str
    last: str
    carried_forward: bool
    source: str
    confidence: str


@dataclass(frozen=True)
class Assumption:
    """A default the budget overrides: the value used, the default, why, and the effect on the total."""
    path: str                  # the override's input path, e.g. personnel[1].housing_fund_rate
    field: str                 # work_injury_rate, monthly_allowance, si_base or housing_fund_rate
    label: str                 # 第 2 行「社会工作者」住房公积金比例
    unit: str                  # "rate" or "CNY/month"
    value: Decimal
    default: Decimal | None    # None when there is no single default (it varies by month, or is unknown)
    default_note: str          # how the default is found, e.g. 按工资（含津贴）核定
    reason: str | None         # None only in budgets stored before reasons were required
    effect: Decimal | None     # grand total with the override − without it; None when the default is unknown


@dataclass(frozen=True)
class Result:
    project_name: str
    district: str
    tier: str
    start: str
    end: str
    months: int
    parameter_set: str
    personnel: tuple[LineResult, ...]
    costs: tuple[CostResult, ...]
    management_fee_rate: Decimal
    tax_basis: TaxBasis
    totals: Totals
    amount_in_words: str
    by_month: tuple[MonthTotal, ...]
    findings: tuple[Finding, ...]
    parameters: tuple[ParameterUse, ...]
    assumptions: tuple[Assumption, ...] = ()
    housing_fund_default: Decimal | None = None     # the rate of a line that states none (pricing.default_hf_rate)
    # …and from which month on it is which, where the lowest rate allowed changes (pricing.default_hf_rates)
    housing_fund_defaults: tuple[tuple[str, Decimal], ...] = ()
    by_year: tuple[YearTotal, ...] = ()             # empty in results stored before years were kept
    tax_periods: tuple[TaxPeriod, ...] = ()

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def composition(pay: Decimal, contributions: Mapping[str, Decimal], direct: Decimal, management_fee: Decimal,
                tax: Decimal) -> list[tuple[str, Decimal]]:
    """The parts of a grand total: pay (with allowances and bonuses), the employer's social insurance, the
    housing fund, direct costs, the management fee and tax. They add up to the grand total."""
    social_insurance = sum((amount for item, amount in contributions.items() if item != "housing_fund"), Decimal("0"))
    return [("pay", pay), ("social_insurance", social_insurance), ("housing_fund", contributions["housing_fund"]),
            ("direct", direct), ("management_fee", management_fee), ("tax", tax)]


def change(before: Decimal, after: Decimal) -> Decimal:
    """How far a figure moved from one computation to another (after − before): the one subtraction that
    comparisons of revisions use."""
    return after - before


def _amounts(pairs) -> dict[str, str]:
    return {key: fmt_amount(value) for key, value in pairs}


def _assumption_value(value: Decimal | None, unit: str) -> str | None:
    return None if value is None else canonical_figure(value, unit)


def _parameter(u: ParameterUse) -> dict:
    """A figure used, citing its one primary document (issuer, 文号, title, dates) and who verified that
    citation, if anyone has. Where the text was seen (mirrors, news) and administrators' notes stay out: this
    is what purchasers and contractors read."""
    source = u.record.source if u.record else None
    cite = {field: getattr(source, field) if source else None for field in CITATION_FIELDS}
    return {
        "name": u.name, "label": u.label, "value": canonical_figure(u.value, u.unit), "unit": u.unit,
        "region": u.region,
        "start": u.record.start.isoformat() if u.record and u.record.start else None,
        "end": u.record.end.isoformat() if u.record and u.record.end else None,
        "used_from": u.first, "used_to": u.last, "carried_forward": u.carried_forward,
        "source": u.source, **cite,
        "origin": u.record.origin if u.record else INPUT_CONFIDENCE,
        "confidence": u.confidence, "confidence_label": CONFIDENCE_LABELS[u.confidence],
    }


def to_json(result: Result) -> dict:
    """The public JSON contract of ``python -m costing compute`` and ``POST /api/v1/compute``."""
    t = result.totals
    return {
        "project": {"name": result.project_name, "district": result.district, "tier": result.tier,
                    "start": result.start, "end": result.end},
        "months": result.months,
        "parameter_set": result.parameter_set,
        "personnel": [{
            "post": line.post, "category": line.category, "level": line.level,
            "certificate": line.certificate, "headcount": line.headcount, "months": line.months,
            "monthly_pay": fmt_amount(line.monthly_pay),
            "monthly_allowance": fmt_amount(line.monthly_allowance), "allowance_source": line.allowance_source,
            "start": line.first, "end": line.last,
            "pay_changes": [{"from": month, "monthly_pay": fmt_amount(pay)} for month, pay in line.pay_changes],
            "pay": fmt_amount(line.pay), "bonus": fmt_amount(line.bonus),
            "employer_contributions": _amounts(line.contributions),
            "total": fmt_amount(line.total),
            "segments": [{
                "from": s.first, "to": s.last, "months": s.months,
                "monthly_pay": fmt_amount(s.monthly_pay), "monthly_allowance": fmt_amount(s.monthly_allowance),
                "si_base": fmt_amount(s.si_base), "housing_fund_base": fmt_amount(s.hf_base),
                "per_person_month": _amounts(s.per_person_month),
            } for s in line.segments],
        } for line in result.personnel],
        "costs": [{
            "category": c.category, "name": c.name, "quantity": fmt_rate(c.quantity), "unit": c.unit,
            "unit_price": fmt_amount(c.unit_price), "amount": fmt_amount(c.amount), "year": c.year,
        } for c in result.costs],
        "totals": {
            "pay": fmt_amount(t.pay), "bonus": fmt_amount(t.bonus),
            "employer_contributions": _amounts(t.contributions),
            "personnel": fmt_amount(t.personnel), "direct": fmt_amount(t.direct),
            "direct_by_category": _amounts(t.direct_by_category),
            "management_fee_rate": fmt_rate(result.management_fee_rate),
            "management_fee": fmt_amount(t.management_fee), "pre_tax": fmt_amount(t.pre_tax),
            "vat_rate": fmt_rate(result.tax_basis.vat_rate),
            "surcharge_rate": fmt_rate(result.tax_basis.surcharge_rate),
            "vat": fmt_amount(t.vat), "surcharges": fmt_amount(t.surcharges), "tax": fmt_amount(t.tax),
            "grand_total": fmt_amount(t.grand_total), "personnel_share": str(t.personnel_share),
        },
        "amount_in_words": result.amount_in_words,
        "by_year": [{
            "year": y.year, "months": y.months, "from": y.first, "to": y.last, "personnel": fmt_amount(y.personnel),
            "direct": fmt_amount(y.direct), "management_fee": fmt_amount(y.management_fee),
            "pre_tax": fmt_amount(y.pre_tax), "tax": fmt_amount(y.tax), "grand_total": fmt_amount(y.grand_total),
        } for y in result.by_year],
        "tax_periods": [{
            "from": p.first, "to": p.last, "vat_rate": fmt_rate(p.vat_rate), "surcharge_rate": fmt_rate(p.surcharge_rate),
            "pre_tax": fmt_amount(p.pre_tax), "vat": fmt_amount(p.vat), "tax": fmt_amount(p.tax),
            "grand_total": fmt_amount(p.grand_total),
        } for p in result.tax_periods],
        "by_month": [{
            "month": m.month, "headcount": m.headcount, "pay": fmt_amount(m.pay),
            "employer_contributions": fmt_amount(m.contributions), "total": fmt_amount(m.total),
        } for m in result.by_month],
        "findings": [{"code": f.code, "severity": f.severity, "where": f.where, "message": f.message,
                      "basis": f.basis} for f in result.findings],
        "parameters": [_parameter(u) for u in result.parameters],
        "assumptions": [{
            "path": a.path, "field": a.field, "label": a.label, "unit": a.unit,
            "value": _assumption_value(a.value, a.unit), "default": _assumption_value(a.default, a.unit),
            "default_note": a.default_note, "reason": a.reason,
            "effect": fmt_amount(a.effect) if a.effect is not None else None,
        } for a in result.assumptions],
        "defaults": {"housing_fund_rate": fmt_rate(result.housing_fund_default),
                     "housing_fund_rates": [{"from": month, "rate": fmt_rate(rate)}
                                            for month, rate in result.housing_fund_defaults]},
    }
