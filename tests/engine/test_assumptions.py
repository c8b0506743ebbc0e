"""Overrides of defaults: each listed with its default, its reason and its exact effect on the total.

Unless said otherwise: 渝中区 (tier 1), 2025-01 to 2025-12, general taxpayer (VAT 6%, surcharges
7% + 3% + 2% = 12% of the VAT, so price = pre-tax × 1.06 / (1 − 0.06 × 0.12) = pre-tax × 1.06 / 0.9928).
2025 employer rates on the SI base: pension 16%, medical 8.5%, 大额 1.5%, unemployment 0.5%,
work injury 0.3%; housing fund 5% by default on pay + allowance.
"""
import copy
import json
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costing.engine.budget import compute
from costing.engine.parameters import default_parameters, load_documents, parse_documents
from costing.engine.parse import parse_budget
from costing.engine.result import to_json

from .helpers import budget_input, run, with_allowance_standard
from .test_properties import amounts, budgets, rates


def line(**overrides) -> dict:
    """A post without certificate: its default allowance is 0 and it overrides nothing unless told."""
    base = {"post": "社工", "category": "community", "level": "none", "certificate": "none", "headcount": 1,
            "monthly_pay": "5000.00"}
    base.update(overrides)
    return base


def only(result):
    assert len(result.assumptions) == 1
    return result.assumptions[0]


def test_a_housing_fund_rate_above_the_default():
    result = run(budget_input(personnel=[line(housing_fund_rate="0.07", housing_fund_rate_reason="单位缴存比例为 7%")],
                              management_fee_rate="0.05"))
    # SI on 5000: 800.00 + 425.00 + 75.00 + 25.00 + 15.00 = 1340.00 a month
    # with 7%:    (5000 + 1340 + 350.00) × 12 = 80280.00; fee 4014.00; pre-tax 84294.00
    #             84294.00 × 1.06 / 0.9928 = 89999.6374 → 89999.64
    # with 5%:    (5000 + 1340 + 250.00) × 12 = 79080.00; fee 3954.00; pre-tax 83034.00
    #             83034.00 × 1.06 / 0.9928 = 88654.3513 → 88654.35
    assert result.totals.grand_total == D("89999.64")
    a = only(result)
    assert (a.path, a.field, a.label) == ("personnel[0].housing_fund_rate", "housing_fund_rate", "第 1 行「社工」住房公积金比例")
    assert (a.unit, a.value, a.default, a.reason) == ("rate", D("0.07"), D("0.05"), "单位缴存比例为 7%")
    assert a.effect == D("89999.64") - D("88654.35") == D("1345.29")


def test_the_effect_is_recomputed_not_estimated_from_the_line():
    result = run(budget_input(end="2025-01", management_fee_rate="0.05",
                              personnel=[line(monthly_pay="5000.14", housing_fund_rate="0.07",
                                              housing_fund_rate_reason="单位缴存比例为 7%")]))
    # SI on 5000.14: 800.0224 → 800.02, 425.0119 → 425.01, 75.0021 → 75.00, 25.0007 → 25.00,
    #   15.00042 → 15.00: 1340.03; housing fund 7% 350.0098 → 350.01, 5% 250.007 → 250.01
    # with 7%: line 5000.14 + 1340.03 + 350.01 = 6690.18; fee 334.509 → 334.51; pre-tax 7024.69
    #          × 1.06 / 0.9928 = 7500.1726 → 7500.17
    # with 5%: line 6590.18; fee 329.509 → 329.51; pre-tax 6919.69 × 1.06 / 0.9928 = 7388.0655 → 7388.07
    # effect 7500.17 − 7388.07 = 112.10, where 100.00 × 1.05 × 1.06 / 0.9928 = 112.1072 would say 112.11
    assert result.totals.grand_total == D("7500.17")
    assert only(result).effect == D("112.10")


def test_an_allowance_above_the_certificate_default():
    result = run(budget_input(management_fee_rate="0.05", personnel=[line(
        level="mid", certificate="social_worker", monthly_allowance="500.00", monthly_allowance_reason="区级标准 500 元")]),
        with_allowance_standard("渝中区"))
    # with 500: pay 5500; SI 880.00 + 467.50 + 82.50 + 27.50 + 16.50 = 1474.00; HF 275.00
    #           (5500 + 1474 + 275) × 12 = 86988.00; fee 4349.40; pre-tax 91337.40 × 1.06 / 0.9928 = 97519.7865 → 97519.79
    # with 300 (渝中区's standard for 社会工作师): pay 5300; SI 848.00 + 450.50 + 79.50 + 26.50 + 15.90 = 1420.40; HF 265.00
    #           (5300 + 1420.40 + 265) × 12 = 83824.80; fee 4191.24; pre-tax 88016.04 × 1.06 / 0.9928 = 93973.6124 → 93973.61
    a = only(result)
    assert (a.label, a.unit, a.value, a.default) == ("第 1 行「社工」职业津贴", "CNY/month", D("500.00"), D("300"))
    assert a.default_note == "按渝中区「社会工作师」的职业津贴标准"
    assert result.totals.grand_total == D("97519.79") and a.effect == D("3546.18")   # 97519.79 − 93973.61


def test_an_allowance_for_a_post_without_certificate_defaults_to_none():
    result = run(budget_input(personnel=[line(monthly_allowance="100.00", monthly_allowance_reason="岗位补贴")]))
    # with: (5100 + 816.00 + 433.50 + 76.50 + 25.50 + 15.30 + 255.00) × 12 = 6721.80 × 12 = 80661.60
    # without: 6590.00 × 12 = 79080.00
    # 80661.60 × 1.06 / 0.9928 = 86121.3699 → 86121.37; 79080.00 × 1.06 / 0.9928 = 84432.7156 → 84432.72
    a = only(result)
    assert (a.default, a.default_note) == (D("0"), "无证书，不发职业津贴")
    assert a.effect == D("86121.37") - D("84432.72") == D("1688.65")


def test_a_declared_si_base_below_pay_lowers_the_total():
    result = run(budget_input(management_fee_rate="0.05", personnel=[line(
        monthly_pay="6000.00", si_base="5000.00", si_base_reason="按劳动合同约定工资申报")]))
    # declared 5000: (6000 + 1340.00 + HF 300.00) × 12 = 91680.00; fee 4584.00; pre-tax 96264.00
    #                × 1.06 / 0.9928 = 102779.8550 → 102779.85
    # derived 6000: SI 960 + 510 + 90 + 30 + 18 = 1608; (6000 + 1608 + 300) × 12 = 94896.00; fee 4744.80;
    #                pre-tax 99640.80 × 1.06 / 0.9928 = 106385.2216 → 106385.22
    a = only(result)
    assert (a.label, a.value, a.default) == ("第 1 行「社工」申报缴费基数", D("5000.00"), D("6000.00"))
    assert a.default_note == "按工资（含津贴）核定，限于缴费基数上下限"
    assert a.effect == D("102779.85") - D("106385.22") == D("-3605.37")


def test_a_derived_base_that_changes_with_the_year_has_no_single_default():
    result = run(budget_input(start="2024-07", end="2025-06", personnel=[line(
        monthly_pay="4000.00", si_base="5000.00", si_base_reason="按劳动合同约定工资申报")]))
    # declared 5000: (4000 + 1340.00 + HF 200.00) × 12 = 66480.00 × 1.06 / 0.9928 = 70979.8550 → 70979.85
    # derived: 4000 is below the floors, 4359 (2024) then 4404 (2025)
    #   2024: 697.44 + 370.52 (370.515) + 65.39 (65.385) + 21.80 (21.795) + 13.08 (13.077) = 1168.23
    #   2025: 704.64 + 374.34 + 66.06 + 22.02 + 13.21 (13.212) = 1180.27
    #   (4000 + 1168.23 + 200) × 6 + (4000 + 1180.27 + 200) × 6 = 32209.38 + 32281.62 = 64491.00
    #   × 1.06 / 0.9928 = 68856.2228 → 68856.22
    a = only(result)
    assert a.default is None and a.default_note == "按工资（含津贴）核定，各年度缴费基数上下限不同"
    assert a.effect == D("70979.85") - D("68856.22") == D("2123.63")


def test_a_work_injury_rate_changes_every_line():
    result = run(budget_input(management_fee_rate="0.05", personnel=[line(), line(headcount=2, monthly_pay="4500.00")],
                              contractor={"work_injury_rate": "0.004", "work_injury_rate_reason": "经核定为二类行业"}))
    # 0.4%: line 1 (5000 + 1345.00 + 250.00) × 12 = 79140.00 (work injury 20.00)
    #       line 2 (4500 + 720.00 + 382.50 + 67.50 + 22.50 + 18.00 + 225.00) × 2 × 12 = 5935.50 × 24 = 142452.00
    #       221592.00; fee 11079.60; pre-tax 232671.60 × 1.06 / 0.9928 = 248420.5238 → 248420.52
    # 0.3%: 79080.00 + 5931.00 × 24 = 142344.00 → 221424.00; fee 11071.20; pre-tax 232495.20
    #       × 1.06 / 0.9928 = 248232.1837 → 248232.18
    a = only(result)
    assert (a.path, a.label, a.unit) == ("contractor.work_injury_rate", "承接主体工伤保险费率", "rate")
    assert (a.value, a.default, a.default_note, a.reason) == (D("0.004"), D("0.003"), "按政策费率", "经核定为二类行业")
    assert result.totals.grand_total == D("248420.52") and a.effect == D("188.34")


def test_small_scale_taxpayers_and_direct_costs_are_priced_alike():
    result = run(budget_input(end="2025-01", contractor={"taxpayer": "small_scale"}, management_fee_rate="0.08",
                              costs=[{"category": "activities", "name": "活动", "quantity": "1", "unit_price": "1000.00"}],
                              personnel=[line(housing_fund_rate="0.12", housing_fund_rate_reason="最高比例")]))
    # small scale 2025: VAT 1%, surcharges 12% × 50% = 6% of the VAT: price = pre-tax × 1.01 / 0.9994
    # 12%: line 5000 + 1340 + 600.00 = 6940.00; + 1000 direct = 7940.00; fee 635.20; pre-tax 8575.20
    #      × 1.01 / 0.9994 = 8666.1517 → 8666.15
    # 5%:  line 6590.00; 7590.00; fee 607.20; pre-tax 8197.20 × 1.01 / 0.9994 = 8284.1425 → 8284.14
    assert result.totals.grand_total == D("8666.15")
    assert only(result).effect == D("8666.15") - D("8284.14") == D("382.01")


def test_order_is_the_work_injury_rate_then_each_line_in_form_order():
    result = run(budget_input(contractor={"work_injury_rate": "0.004", "work_injury_rate_reason": "二类"},
                              personnel=[line(), line(post="督导", housing_fund_rate="0.06", housing_fund_rate_reason="a",
                                                      si_base="6000.00", si_base_reason="b",
                                                      monthly_allowance="50.00", monthly_allowance_reason="c")]))
    assert [a.path for a in result.assumptions] == [
        "contractor.work_injury_rate", "personnel[1].monthly_allowance", "personnel[1].si_base",
        "personnel[1].housing_fund_rate"]
    assert [a.reason for a in result.assumptions] == ["二类", "c", "b", "a"]
    # the default rate written out is no override: it is not listed, and no reason is asked for it
    stated = run(budget_input(contractor={"work_injury_rate": "0.003"}, personnel=[line()]))
    assert stated.assumptions == ()


def test_no_overrides_no_assumptions_and_the_json_contract():
    assert run(budget_input(personnel=[line()])).assumptions == ()
    result = run(budget_input(personnel=[line(si_base="6000.00", si_base_reason="按合同", housing_fund_rate="0.07",
                                              housing_fund_rate_reason="7%")]))
    out = json.loads(json.dumps(to_json(result), ensure_ascii=False))
    assert out["assumptions"][0] == {
        "path": "personnel[0].si_base", "field": "si_base", "label": "第 1 行「社工」申报缴费基数",
        "unit": "CNY/month", "value": "6000.00", "default": "5000.00",
        "default_note": "按工资（含津贴）核定，限于缴费基数上下限", "reason": "按合同",
        "effect": out["assumptions"][0]["effect"]}
    assert out["assumptions"][1]["value"] == "0.07" and out["assumptions"][1]["default"] == "0.05"
    assert D(out["assumptions"][0]["effect"]) > 0


def test_stored_budgets_without_reasons_list_their_overrides_with_no_reason():
    params = default_parameters()
    budget = parse_budget(budget_input(personnel=[line(si_base="6000.00")]), params, reasons_required=False)
    result = compute(budget, params)
    assert only(result).reason is None


# -- the fast path equals a full recompute -------------------------------------------------------

OVERRIDE_KEYS = ("monthly_allowance", "si_base", "housing_fund_rate")


@st.composite
def overriding_budgets(draw):
    """Any valid budget, with random overrides of every kind, each with its reason."""
    data = draw(budgets())
    for post in data["personnel"]:
        if draw(st.booleans()):
            post["monthly_allowance"], post["monthly_allowance_reason"] = draw(amounts), "津贴"
        if "si_base" in post and draw(st.booleans()):
            del post["si_base"]
        if draw(st.booleans()):
            post["housing_fund_rate"], post["housing_fund_rate_reason"] = draw(rates), "比例"
    if draw(st.booleans()):
        data["contractor"]["work_injury_rate"] = draw(rates)
        data["contractor"]["work_injury_rate_reason"] = "费率"
    return data


def without(data: dict, path: str) -> dict:
    data = copy.deepcopy(data)
    where, _, key = path.rpartition(".")
    node = data["contractor"] if where == "contractor" else data["personnel"][int(where[len("personnel["):-1])]
    del node[key]
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overriding_budgets())
def test_each_effect_equals_the_difference_of_two_full_computations(data):
    result = run(data)
    expected = [f"personnel[{i}].{key}" for i, post in enumerate(data["personnel"]) for key in OVERRIDE_KEYS
                if key in post]
    if "work_injury_rate" in data["contractor"]:
        expected.insert(0, "contractor.work_injury_rate")
    effects = {a.path: a.effect for a in result.assumptions}
    # listed in form order, and only those given
    assert [a.path for a in result.assumptions] == [path for path in expected if path in effects]
    for path in expected:
        difference = result.totals.grand_total - run(without(data, path)).totals.grand_total
        if path in effects:
            assert effects[path] == difference, path
        else:                        # not listed: it equalled its default, so taking it away changes nothing
            assert difference == 0, path


def test_effects_use_the_tier_in_force_at_the_start_when_a_district_changes_tier():
    # 城口县 (tier 2) moves to tier 1 from 2026-01-01; a 2025 budget there is still computed in tier 2,
    # where the housing-fund base floor is 2,200 (not 2,330), and so is the effect of its overrides.
    documents = [(name, copy.deepcopy(doc)) for name, doc in load_documents()]
    for _, doc in documents:
        if doc.get("district_tiers"):
            doc["district_tiers"]["tiers"].append({"region": "tier1", "start": "2026-01-01", "source": "hrss-2024-22",
                                                   "confidence": "verified_mirror", "districts": ["城口县"]})
    params = parse_documents(documents)
    data = {"project": {"name": "t", "district": "城口县", "start": "2025-01", "end": "2025-12"},
            "contractor": {"work_injury_rate": "0.006", "work_injury_rate_reason": "二类行业"},
            "personnel": [{"post": "社工", "category": "community", "level": "none", "certificate": "none",
                           "headcount": 1, "monthly_pay": "2250.00"}],
            "management_fee_rate": "0.05"}
    with_override = compute(parse_budget(data, params), params)
    without = copy.deepcopy(data)
    del without["contractor"]
    plain = compute(parse_budget(without, params), params)
    assert with_override.tier == "tier2"
    assert with_override.assumptions[0].effect == with_override.totals.grand_total - plain.totals.grand_total
