"""Invariants that hold for any valid budget."""
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costing.engine.model import CERTIFICATES, CONTRIBUTIONS, COST_CATEGORIES, LEVELS

from .helpers import budget_input, run

amounts = st.integers(min_value=0, max_value=5_000_000).map(lambda cents: f"{D(cents) / 100:.2f}")
rates = st.integers(min_value=0, max_value=2000).map(lambda x: f"{D(x) / 10000}")
starts = st.sampled_from(["2022-01", "2023-06", "2024-11", "2024-12", "2025-01", "2025-09", "2027-12"])


@st.composite
def budgets(draw):
    taxpayer = draw(st.sampled_from(["general", "small_scale", "exempt"]))
    start = draw(starts.filter(lambda s: taxpayer == "general" or s >= "2023-01"))
    months = draw(st.integers(min_value=1, max_value=36))
    year, first_month = map(int, start.split("-"))

    def month(offset):
        index = year * 12 + first_month - 1 + offset
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    end = month(months - 1)
    personnel = []
    for i in range(draw(st.integers(min_value=0, max_value=5))):
        line = {
            "post": f"岗位{i}", "category": "community",
            "level": draw(st.sampled_from(list(LEVELS))),
            "certificate": draw(st.sampled_from(list(CERTIFICATES))),
            "headcount": draw(st.integers(min_value=1, max_value=5)),
            "monthly_pay": draw(amounts),
            "annual_bonus": draw(amounts),
            **({"si_base": draw(amounts), "si_base_reason": "按劳动合同约定"} if draw(st.booleans()) else {}),
            **({"housing_fund_rate": draw(rates), "housing_fund_rate_reason": "单位既定比例"}
               if draw(st.booleans()) else {}),
        }
        if draw(st.booleans()):            # the first N months, or filled from a month to a month with pay steps
            line["months"] = draw(st.integers(min_value=1, max_value=months))
        else:
            first = draw(st.integers(min_value=0, max_value=months - 1))
            last = draw(st.integers(min_value=first, max_value=months - 1))
            line["start"], line["end"] = month(first), month(last)
            steps = sorted(draw(st.sets(st.integers(min_value=first + 1, max_value=last), max_size=3))) \
                if last > first else []
            line["pay_changes"] = [{"from": month(o), "monthly_pay": draw(amounts)} for o in steps]
        personnel.append(line)
    years = list(range(year, int(end[:4]) + 1))
    costs = [{"category": draw(st.sampled_from(list(COST_CATEGORIES))), "name": f"费用{i}",
              "quantity": str(draw(st.integers(min_value=0, max_value=500))), "unit": "项",
              "unit_price": draw(amounts), **({"year": draw(st.sampled_from(years))} if draw(st.booleans()) else {})}
             for i in range(draw(st.integers(min_value=0, max_value=4)))]
    return budget_input(start=start, end=end, district=draw(st.sampled_from(["渝中区", "城口县", "两江新区"])),
                        personnel=personnel, costs=costs, management_fee_rate=draw(rates),
                        contractor={"taxpayer": taxpayer})


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(budgets())
def test_grand_total_is_the_sum_of_its_parts(data):
    result = run(data)
    t = result.totals
    assert t.personnel == sum((line.total for line in result.personnel), D(0))
    for line in result.personnel:
        assert line.total == line.pay + sum(dict(line.contributions).values(), D(0))
    assert t.personnel == t.pay + sum(dict(t.contributions).values(), D(0))
    assert t.direct == sum((c.amount for c in result.costs), D(0))
    assert t.grand_total == t.personnel + t.direct + t.management_fee + t.tax
    assert t.tax == t.vat + t.surcharges
    assert sum((m.total for m in result.by_month), D(0)) + t.bonus == t.personnel
    # the years, and the tax periods, add up to the totals to the 分
    for field in ("personnel", "direct", "management_fee", "pre_tax", "tax", "grand_total"):
        assert sum((getattr(y, field) for y in result.by_year), D(0)) == getattr(t, field), field
    assert sum(y.months for y in result.by_year) == result.months
    for field in ("pre_tax", "vat", "tax", "grand_total"):
        assert sum((getattr(p, field) for p in result.tax_periods), D(0)) == getattr(
            t, field if field != "tax" else "tax"), field
    for value in (t.grand_total, t.tax, t.management_fee):
        assert value == value.quantize(D("0.01"))


@fast
@given(budgets(), st.randoms())
def test_line_order_does_not_matter(data, random):
    before = run(data)
    random.shuffle(data["personnel"])
    random.shuffle(data["costs"])
    after = run(data)
    assert after.totals == before.totals
    assert sorted(line.total for line in after.personnel) == sorted(line.total for line in before.personnel)


@fast
@given(budgets(), st.integers(min_value=1, max_value=100_000), st.data())
def test_raising_any_pay_never_lowers_the_total(data, raise_cents, pick):
    if not data["personnel"]:
        return
    before = run(data).totals.grand_total
    line = data["personnel"][pick.draw(st.integers(min_value=0, max_value=len(data["personnel"]) - 1))]
    line["monthly_pay"] = f"{D(line['monthly_pay']) + D(raise_cents) / 100:.2f}"
    assert run(data).totals.grand_total >= before


@fast
@given(budgets())
def test_every_month_is_counted_exactly_once(data):
    result = run(data)
    assert len(result.by_month) == result.months
    assert len({m.month for m in result.by_month}) == result.months
    def filled(post) -> int:
        if "months" in post:
            return post["months"]
        (y1, m1), (y2, m2) = (map(int, post[k].split("-")) for k in ("start", "end"))
        return y2 * 12 + m2 - (y1 * 12 + m1) + 1

    for post, line in zip(data["personnel"], result.personnel):
        assert sum(s.months for s in line.segments) == filled(post) == line.months
        assert line.segments[0].first == post.get("start", result.start)
        # each month of a pay step is priced at that step's pay
        for change in post.get("pay_changes", []):
            assert any(s.first == change["from"] and s.monthly_pay == D(change["monthly_pay"]) for s in line.segments)
    expected = sum(p["headcount"] * filled(p) for p in data["personnel"])
    assert sum(m.headcount for m in result.by_month) == expected


def test_contribution_keys_are_the_contract():
    result = run(budget_input())
    assert tuple(dict(result.personnel[0].contributions)) == CONTRIBUTIONS
