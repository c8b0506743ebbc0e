"""A stored budget result (the engine's JSON, as a revision keeps it) as people read it: typed figures
(Decimals, read once here), labels, findings ordered by severity and placed where they belong, the basis
rows, the assumptions an annex lists, the parts of the total. The budget page, the PDF, the workbook
and the CLI's text all read a budget through ``BudgetResult``, so they cannot tell it differently.

Results stored before a field existed are read with that field empty (``assumptions`` is None for
results computed before overrides were listed)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..engine import result as engine
from ..engine.money import round_share
from ..engine.parameters import UNKNOWN_DOCUMENT
from ..engine.periods import validity
from ..engine.result import INPUT_CONFIDENCE, MonthTotal, TaxPeriod, YearTotal, composition
from . import labels
from .format import figure, months, schedule

ZERO = Decimal("0")
_ROW = re.compile(r"^(personnel|costs|roster)\[(\d+)\]")

__all__ = ["BudgetResult", "Finding", "Line", "Cost", "Segment", "Totals", "MonthTotal", "Basis", "Assumption",
           "Slice", "basis_rows", "by_severity"]


def _d(value) -> Decimal:
    return Decimal(value)


def _optional(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _amounts(pairs: dict) -> tuple[tuple[str, Decimal], ...]:
    return tuple((key, Decimal(value)) for key, value in pairs.items())


# The engine's own result types, read back from the stored JSON, with what people read added.

@dataclass(frozen=True)
class Finding(engine.Finding):
    @property
    def severity_label(self) -> str:
        return labels.SEVERITY[self.severity]

    @property
    def key(self) -> str:
        """Names this finding with its figures: a justification written for it applies to it alone, never to
        a finding whose numbers changed."""
        return hashlib.sha256(f"{self.code}|{self.where}|{self.message}".encode("utf-8")).hexdigest()[:32]

    @property
    def title(self) -> str:
        """What the check is called (低于最低工资); the code is for the API and the CLI."""
        return labels.finding(self.code)

    @property
    def place(self) -> str:
        """Where it applies, in words (人员第 2 行, 项目 预算控制数)."""
        return labels.place(self.where)

    @property
    def row(self) -> tuple[str, int] | None:
        """("personnel", 2) for a finding about the third personnel line, else None."""
        match = _ROW.match(self.where)
        return (match.group(1), int(match.group(2))) if match else None

    @classmethod
    def read(cls, raw: dict) -> Finding:
        return cls(raw["code"], raw["severity"], raw["where"], raw["message"], raw["basis"])


def by_severity(findings) -> list[Finding]:
    """Errors first, then warnings, then notes; the engine's order within each."""
    return sorted(findings, key=lambda f: labels.SEVERITY_ORDER[f.severity])


@dataclass(frozen=True)
class Segment(engine.Segment):
    @property
    def span(self) -> str:
        return months(self.first, self.last)

    def per_person(self, item: str) -> Decimal:
        return dict(self.per_person_month)[item]


@dataclass(frozen=True)
class Line(engine.LineResult):
    index: int = 0
    findings: tuple[Finding, ...] = ()

    def contribution(self, item: str) -> Decimal:
        return dict(self.contributions)[item]

    @property
    def category_label(self) -> str:
        return labels.CATEGORIES[self.category]

    @property
    def level_label(self) -> str:
        return labels.LEVELS[self.level]

    @property
    def level_short(self) -> str:
        return labels.LEVELS_SHORT[self.level]

    @property
    def certificate_label(self) -> str:
        return labels.CERTIFICATES[self.certificate]


@dataclass(frozen=True)
class Cost(engine.CostResult):
    index: int = 0
    findings: tuple[Finding, ...] = ()

    @property
    def category_label(self) -> str:
        return labels.COST_CATEGORIES[self.category]

    @property
    def quantity_text(self) -> str:
        return format(self.quantity, "f")


@dataclass(frozen=True)
class Totals(engine.Totals):
    management_fee_rate: Decimal = ZERO
    vat_rate: Decimal = ZERO
    surcharge_rate: Decimal = ZERO
    headcount: int = 0

    def contribution(self, item: str) -> Decimal:
        return dict(self.contributions)[item]

    def amount(self, key: str) -> Decimal:
        return getattr(self, key)


@dataclass(frozen=True)
class Basis:
    """One figure the budget rests on: a value used in its own period and carried past its end date is
    one row that says from which month it is carried. It cites one primary document (issuer, 《title》, 文号,
    date) and says whether an organisation verified that citation; where the text was seen (a mirror, a news
    page) is never part of it, not even from results stored before that was left out."""
    name: str
    label: str
    region: str
    value: Decimal
    unit: str
    start: str | None
    end: str | None
    used_from: str
    used_to: str
    carried_from: str | None
    source: str                      # the short basis: 文号, else 《title》
    title: str | None
    issuer: str | None
    confidence: str
    confidence_label: str
    date: str | None = None          # the document's date of issue
    doc_no: str | None = None
    effective: str | None = None
    verified_by: str | None = None
    verified_on: str | None = None
    origin: str = "shipped"          # admin: confirmed by the bureau's administrators; shipped; imported; input

    @property
    def region_label(self) -> str:
        return labels.region(self.region)

    @property
    def value_text(self) -> str:
        return figure(self.value, self.unit)

    @property
    def period(self) -> str:
        return validity(self.start, self.end)

    @property
    def used(self) -> str:
        return months(self.used_from, self.used_to)

    @property
    def is_input(self) -> bool:
        return self.confidence == INPUT_CONFIDENCE

    @property
    def citation(self) -> str:
        """The document as a sealed annex cites it: issuer《title》（文号，date）, the parts known; the issuer is
        not repeated where the title already opens with it (《重庆市人力资源和社会保障局关于…》)."""
        if self.is_input:
            return self.source
        details = "，".join(part for part in (self.doc_no, self.date) if part)
        if self.title:
            named = self.issuer and all(name in self.title.split("关于")[0] for name in self.issuer.split("、"))
            document = f"{'' if named else self.issuer or ''}《{self.title}》"
        elif not self.doc_no:                       # an issuer at most: the document itself is still to be named
            return f"{self.issuer}（{UNKNOWN_DOCUMENT}）" if self.issuer else UNKNOWN_DOCUMENT
        else:
            document = self.issuer or ""
        return f"{document}（{details}）" if document and details else document or details

    @property
    def verified(self) -> bool:
        return bool(self.verified_by and self.verified_on)

    @property
    def standing(self) -> str:
        """「经 XX 核实（日期）」, 「待主管部门核实」, or 预算填写 for a figure the budget itself states."""
        return labels.INPUT_STANDING if self.is_input else labels.standing(self.verified_by, self.verified_on)

    @property
    def bureau_confirmed(self) -> bool:
        """Entered and confirmed by the bureau's administrators in the app (two-person rule)."""
        return self.origin == "admin"

    @property
    def origin_label(self) -> str:
        return labels.ORIGINS.get(self.origin, "")

    @property
    def key(self) -> tuple:
        return (self.name, self.region, self.start, self.value, self.used_from, self.used_to)


def _origin(row: dict) -> str:
    """Where a stored figure came from; results stored before it was recorded name it by their source's
    remark (administrators' entries said 管理员录入)."""
    if row.get("origin"):
        return row["origin"]
    if row["confidence"] == INPUT_CONFIDENCE:
        return INPUT_CONFIDENCE
    return "admin" if row.get("via") == "管理员录入" else "shipped"


def _doc_no(row: dict) -> str | None:
    """The 文号: stored since citations were split into their parts; before, the short basis was the 文号
    unless it was a 《title》."""
    if "doc_no" in row:
        return row["doc_no"]
    source = row["source"]
    return None if row["confidence"] == INPUT_CONFIDENCE or source.startswith("《") else source


def housing_fund_changes(stored: dict) -> tuple[tuple[str, Decimal], ...]:
    """The months after the first in which a blank 公积金比例 changes, and its rate from then (a stored result's
    ``defaults.housing_fund_rates`` less its first entry)."""
    rates = (stored.get("defaults") or {}).get("housing_fund_rates") or []
    return tuple((r["from"], _d(r["rate"])) for r in rates[1:])


def basis_rows(parameters: list[dict]) -> list[Basis]:
    rows: dict[tuple, dict] = {}
    for p in parameters:
        key = (p["name"], p["region"], p["start"], p["value"], p["source"])
        row = rows.get(key)
        if row is None:
            rows[key] = {**p, "carried_from": p["used_from"] if p["carried_forward"] else None}
            continue
        row["used_from"], row["used_to"] = min(row["used_from"], p["used_from"]), max(row["used_to"], p["used_to"])
        if p["carried_forward"]:
            row["carried_from"] = min(filter(None, (row["carried_from"], p["used_from"])))
    # the stored addresses (url) and remarks (via, note) of older results are not read: nobody is shown them
    return [Basis(name=r["name"], label=r["label"], region=r["region"], value=Decimal(r["value"]), unit=r["unit"],
                  start=r.get("start"), end=r.get("end"), used_from=r["used_from"], used_to=r["used_to"],
                  carried_from=r["carried_from"], source=r["source"], title=r.get("title"), issuer=r.get("issuer"),
                  confidence=r["confidence"],
                  confidence_label=labels.CONFIDENCE_LABELS.get(r["confidence"], r.get("confidence_label", "")),
                  date=r.get("date"), doc_no=_doc_no(r), effective=r.get("effective"),
                  verified_by=r.get("verified_by"), verified_on=r.get("verified_on"), origin=_origin(r))
            for r in rows.values()]


@dataclass(frozen=True)
class Assumption(engine.Assumption):
    @property
    def same_as_default(self) -> bool:
        return self.default is not None and self.default == self.value


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    colour: str
    amount: Decimal
    share: Decimal
    x: Decimal           # drawing: position and width on a 0–1000 scale
    width: Decimal


class BudgetResult:
    """A stored result, read once."""

    def __init__(self, stored: dict):
        self.stored = stored
        project = stored["project"]
        self.project_name: str = project["name"]
        self.district: str = project["district"]
        self.tier: str = project["tier"]
        self.start: str = project["start"]
        self.end: str = project["end"]
        self.months: int = stored["months"]
        self.parameter_set: str = stored["parameter_set"]
        self.amount_in_words: str = stored["amount_in_words"]
        self.findings = by_severity(Finding.read(f) for f in stored["findings"])
        rows: dict[tuple[str, int], list[Finding]] = {}
        for finding in self.findings:
            if finding.row is not None:
                rows.setdefault(finding.row, []).append(finding)
        self.personnel = [Line(
            post=p["post"], category=p["category"], level=p["level"], certificate=p["certificate"],
            headcount=p["headcount"], months=p["months"], monthly_pay=_d(p["monthly_pay"]),
            monthly_allowance=_d(p["monthly_allowance"]), pay=_d(p["pay"]), bonus=_d(p["bonus"]),
            contributions=_amounts(p["employer_contributions"]), total=_d(p["total"]),
            segments=tuple(Segment(s["from"], s["to"], s["months"], _d(s["si_base"]), _d(s["housing_fund_base"]),
                                   _amounts(s["per_person_month"]), _optional(s.get("monthly_pay")),
                                   _optional(s.get("monthly_allowance"))) for s in p["segments"]),
            allowance_source=p.get("allowance_source"), first=p.get("start"), last=p.get("end"),
            pay_changes=tuple((c["from"], _d(c["monthly_pay"])) for c in p.get("pay_changes", ())),
            index=i, findings=tuple(rows.get(("personnel", i), ()))) for i, p in enumerate(stored["personnel"])]
        self.costs = [Cost(c["category"], c["name"], _d(c["quantity"]), c["unit"], _d(c["unit_price"]), _d(c["amount"]),
                           c.get("year"), index=i, findings=tuple(rows.get(("costs", i), ()))) for i, c in enumerate(stored["costs"])]
        t = stored["totals"]
        self.totals = Totals(
            pay=_d(t["pay"]), bonus=_d(t["bonus"]), contributions=_amounts(t["employer_contributions"]),
            personnel=_d(t["personnel"]), direct=_d(t["direct"]), direct_by_category=_amounts(t["direct_by_category"]),
            management_fee=_d(t["management_fee"]), pre_tax=_d(t["pre_tax"]), vat=_d(t["vat"]),
            surcharges=_d(t["surcharges"]), tax=_d(t["tax"]), grand_total=_d(t["grand_total"]),
            personnel_share=_d(t["personnel_share"]), management_fee_rate=_d(t["management_fee_rate"]),
            vat_rate=_d(t["vat_rate"]), surcharge_rate=_d(t["surcharge_rate"]),
            headcount=sum(line.headcount for line in self.personnel))
        self.by_month = [MonthTotal(m["month"], m["headcount"], _d(m["pay"]), _d(m["employer_contributions"]),
                                    _d(m["total"])) for m in stored["by_month"]]
        # by 年度 and by tax period (results stored before the engine priced them: none)
        self.by_year = [YearTotal(y["year"], y["months"], y["from"], y["to"], _d(y["personnel"]), _d(y["direct"]),
                                  _d(y["management_fee"]), _d(y["pre_tax"]), _d(y["tax"]), _d(y["grand_total"]))
                        for y in stored.get("by_year", ())]
        self.tax_periods = [TaxPeriod(p["from"], p["to"], _d(p["vat_rate"]), _d(p["surcharge_rate"]), _d(p["pre_tax"]),
                                      _d(p["vat"]), _d(p["tax"]), _d(p["grand_total"]))
                            for p in stored.get("tax_periods", ())]
        self.basis = basis_rows(stored["parameters"])
        # the rate of a line that states none, as the engine priced it (None: stored before the engine said so)
        self.housing_fund_default = _optional((stored.get("defaults") or {}).get("housing_fund_rate"))
        # where that rate changes during the service: the later months and their rates (stored before: none)
        self.housing_fund_changes = housing_fund_changes(stored)
        raw = stored.get("assumptions")
        self.assumptions: list[Assumption] | None = None if raw is None else [Assumption(
            path=a["path"], field=a["field"], label=a["label"], unit=a["unit"], value=_d(a["value"]),
            default=None if a["default"] is None else _d(a["default"]), default_note=a["default_note"],
            reason=a["reason"], effect=None if a["effect"] is None else _d(a["effect"])) for a in raw]

    # -- findings where they belong -------------------------------------------------------------------
    @property
    def error_count(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def budget_findings(self) -> list[Finding]:
        """The findings about the budget as a whole (not about one line), figures carried forward included;
        only the notes on unverified sources are left to ``parameter_notes``."""
        return [f for f in self.findings if f.row is None and not (f.where == "parameters" and f.severity == "info")]

    @property
    def parameter_notes(self) -> list[Finding]:
        """Notes on the figures' sources (information only)."""
        return [f for f in self.findings if f.where == "parameters" and f.severity == "info"]

    @property
    def errors(self) -> list[Finding]:
        """The error findings: each needs a written justification (例外说明) before the revision goes forward."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def listed_findings(self) -> list[Finding]:
        """What an annex prints: every finding the page shows, but the notes on sources (those are the basis
        table's 来源 column)."""
        return [f for f in self.findings if not (f.where == "parameters" and f.severity == "info")]

    # -- assumptions ----------------------------------------------------------------------------------
    @property
    def listed_assumptions(self) -> list[Assumption]:
        """The overrides every output lists: those that differ from their default (or whose default is
        unknown), and any still without a reason (it blocks submission, so it must be findable). The
        rest, equal to their default, are only counted (``same_as_default``)."""
        return [a for a in self.assumptions or [] if not a.same_as_default or not a.reason]

    def assumptions_of_lines(self, first: int, last: int) -> list[Assumption]:
        """The listed overrides of staff lines ``first`` to ``last`` (from 0, exclusive end), and those of no line
        (the work-injury rate): what a page of a long budget's lines shows of them."""
        def shown(a: Assumption) -> bool:
            line = re.match(r"personnel\[(\d+)\]", a.path)
            return line is None or first <= int(line.group(1)) < last
        return [a for a in self.listed_assumptions if shown(a)]

    @property
    def same_as_default(self) -> int:
        return len(self.assumptions or []) - len(self.listed_assumptions)

    # -- the parts of the total -------------------------------------------------------------------------
    def composition(self) -> list[Slice]:
        t = self.totals
        slices, x = [], ZERO
        for key, amount in composition(t.pay, dict(t.contributions), t.direct, t.management_fee, t.tax):
            ratio = amount / t.grand_total if t.grand_total else ZERO
            width = (ratio * 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)     # drawing units, not money
            label, colour = labels.COMPOSITION[key]
            slices.append(Slice(key, label, colour, amount, round_share(ratio), x, width))
            x += width
        return slices

    # -- the basis by where its figures come from ----------------------------------------------------------
    @property
    def bureau_confirmed(self) -> list[Basis]:
        """Figures the bureau's administrators entered and confirmed in the app (two-person rule)."""
        return [b for b in self.basis if b.bureau_confirmed]

    def basis_groups(self) -> list[tuple[str, list[Basis]]]:
        """The basis by where its figures come from, each group headed: confirmed by the bureau's administrators,
        shipped with the software (or imported from data files), entered in the budget."""
        groups = [(labels.BASIS_GROUPS["admin"], self.bureau_confirmed),
                  (labels.BASIS_GROUPS["shipped"], [b for b in self.basis if not b.bureau_confirmed and not b.is_input]),
                  (labels.BASIS_GROUPS["input"], [b for b in self.basis if b.is_input])]
        return [(heading, rows) for heading, rows in groups if rows]

    @property
    def tier_label(self) -> str:
        return labels.tier(self.tier)

    @property
    def period(self) -> str:
        return f"{self.start} 至 {self.end}（{self.months} 个月）"

    def schedule(self, line: Line) -> str:
        """A line's months and pay steps (``format.schedule``): empty for a line over the whole period at one pay."""
        return schedule(line, self.start, self.end)

    @property
    def has_schedules(self) -> bool:
        return any(self.schedule(line) for line in self.personnel)

    @property
    def yearly(self) -> bool:
        """Whether the budget has amounts by 年度 worth a table: more than one year, or tax in more than one period."""
        return len(self.by_year) > 1 or len(self.tax_periods) > 1
