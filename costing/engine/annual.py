"""A budget's amounts by 年度 (calendar year) and its tax by period of constant rates.

The project's months are cut into slices: a slice is a run of months in one calendar year with one VAT rate and
one surcharge rate. Each amount is put in slices, every part rounded to the 分 and the parts adding up to the
whole exactly (``money.allocate``, cumulative rounding):

  * personnel: each month's pay and contributions as priced (already to the 分), and each line's annual bonus
    (rounded once for the line, ``pricing.price_line``) shared by the line's months in each slice;
  * direct costs: a line that names its ``year`` in that year's months, any other over all the months;
  * the management fee: rounded once on the whole (``pricing.price_totals``), shared by each slice's personnel and
    direct costs;
  * the price (the grand total): rounded once for each tax period, as ``price_totals`` does on a budget whose
    rates do not change (one period: the same figure to the 分), then shared by the period's slices by their
    pre-tax cost; tax = price − pre-tax cost, VAT = round(price × r ÷ (1 + r)) per period.

So the years add up to the totals to the 分, and a budget whose rates never change is priced as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import CostLine, Post
from .money import allocate, round_cents
from .periods import Month
from .pricing import ZERO, gross_up, price_totals
from .result import TaxBasis, TaxPeriod, YearTotal


@dataclass(frozen=True)
class Slice:
    year: int
    period: int            # index of its tax period
    first: int             # offset of its first month from the project start
    months: int


@dataclass(frozen=True)
class Split:
    """The totals of a budget priced by period: what ``Totals`` takes, and the years and periods."""
    management_fee: Decimal
    pre_tax: Decimal
    vat: Decimal
    grand_total: Decimal
    years: tuple[YearTotal, ...]
    periods: tuple[TaxPeriod, ...]


class Periods:
    """The slices of a project (see the module's note), from each month's tax basis."""

    def __init__(self, start: Month, bases: list[TaxBasis]):
        self.start = start
        self.bases: list[TaxBasis] = []            # one per tax period
        self.slices: list[Slice] = []
        for offset, basis in enumerate(bases):
            month = start.plus(offset)
            key = (basis.vat_rate, basis.surcharge_rate)
            if not self.bases or (self.bases[-1].vat_rate, self.bases[-1].surcharge_rate) != key:
                self.bases.append(basis)
                self.slices.append(Slice(month.year, len(self.bases) - 1, offset, 1))
            elif self.slices[-1].year != month.year:
                self.slices.append(Slice(month.year, len(self.bases) - 1, offset, 1))
            else:
                last = self.slices[-1]
                self.slices[-1] = Slice(last.year, last.period, last.first, last.months + 1)

    @property
    def single(self) -> bool:
        """One tax period: the price depends on the totals alone."""
        return len(self.bases) == 1

    def overlap(self, first: int, months: int) -> list[int]:
        """How many of the months first … first + months − 1 fall in each slice."""
        stop = first + months
        return [max(0, min(s.first + s.months, stop) - max(s.first, first)) for s in self.slices]

    def personnel(self, month_totals: list[Decimal], lines: list[tuple[Post, Decimal]]) -> list[Decimal]:
        """Personnel cost by slice: the months' totals, and each line's bonus shared by its months."""
        parts = [sum(month_totals[s.first:s.first + s.months], ZERO) for s in self.slices]
        if len(self.slices) == 1:                     # one year, one rate: every bonus is in it
            return [parts[0] + sum((bonus for _, bonus in lines), ZERO)]
        for post, bonus in lines:
            if bonus:
                for i, part in enumerate(allocate(bonus, self.overlap(post.first, post.months))):
                    parts[i] += part
        return parts

    def line_personnel(self, post: Post, used, bonus: Decimal) -> list[Decimal]:
        """One line's cost by slice, from what ``price_line`` returns (its runs with their per-person figures)."""
        parts = allocate(bonus, self.overlap(post.first, post.months)) if bonus else [ZERO] * len(self.slices)
        for run, count, pm in used:
            per_month = (pm.actual_pay + pm.contributions) * post.headcount
            for i, months in enumerate(self.overlap(run.first_index, count)):
                if months:
                    parts[i] += per_month * months
        return parts

    def direct(self, costs: list[tuple[CostLine, Decimal]]) -> list[Decimal]:
        """Direct costs by slice: a line naming its year in that year's months, any other over all months."""
        parts = [ZERO] * len(self.slices)
        spread = [s.months for s in self.slices]
        for cost, amount in costs:
            if not amount:
                continue
            weights = spread if cost.year is None else [s.months if s.year == cost.year else 0 for s in self.slices]
            for i, part in enumerate(allocate(amount, weights)):
                parts[i] += part
        return parts

    def years(self) -> list[int]:
        return list(dict.fromkeys(s.year for s in self.slices))

    def split(self, personnel: list[Decimal], direct: list[Decimal], fee_rate: Decimal) -> Split:
        """Fee, pre-tax cost and price by slice, then by year and by tax period (see the module's note)."""
        total_personnel, total_direct = sum(personnel, ZERO), sum(direct, ZERO)
        fee = price_totals(total_personnel, total_direct, fee_rate, self.bases[0])[0]
        fees = allocate(fee, [p + d for p, d in zip(personnel, direct)])
        pre_tax = [p + d + f for p, d, f in zip(personnel, direct, fees)]
        prices: list[Decimal] = [ZERO] * len(self.slices)
        periods = []
        for index, basis in enumerate(self.bases):
            members = [i for i, s in enumerate(self.slices) if s.period == index]
            base = sum((pre_tax[i] for i in members), ZERO)
            price = gross_up(base, basis)
            for i, part in zip(members, allocate(price, [pre_tax[i] for i in members])):
                prices[i] = part
            first, last = self.slices[members[0]], self.slices[members[-1]]
            vat = round_cents(price * basis.vat_rate / (1 + basis.vat_rate))
            periods.append(TaxPeriod(str(self.start.plus(first.first)), str(self.start.plus(last.first + last.months - 1)),
                                     basis.vat_rate, basis.surcharge_rate, base, vat, price - base, price))
        years = []
        for year in self.years():
            members = [i for i, s in enumerate(self.slices) if s.year == year]
            first, last = self.slices[members[0]], self.slices[members[-1]]

            def total(parts, members=members):
                return sum((parts[i] for i in members), ZERO)
            years.append(YearTotal(year, sum(self.slices[i].months for i in members),
                                   str(self.start.plus(first.first)), str(self.start.plus(last.first + last.months - 1)),
                                   total(personnel), total(direct), total(fees), total(pre_tax),
                                   total(prices) - total(pre_tax), total(prices)))
        grand = sum((p.grand_total for p in periods), ZERO)
        return Split(fee, total_personnel + total_direct + fee, sum((p.vat for p in periods), ZERO), grand,
                     tuple(years), tuple(periods))

# the rule above as a budget's reader reads it (the page, the annex and the workbook print it)
SPLIT_RULE = ("各年度金额逐项四舍五入到分，各年度之和等于合计：人员经费按各月计算（年终奖按各年度在岗月数分摊），"
              "直接费用注明年度的计入该年度、未注明的按月数分摊，管理费按各年度人员经费与直接费用分摊，"
              "含税价格按各税率时段分别计算后按税前成本分摊（累计舍入）。")
