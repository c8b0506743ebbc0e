"""Why a revision saved with unchanged input exists: the figures that changed, month by month, worded once
(results.compare.recalculation_note) for the revision's note, the history and the audit log."""
import copy
import json
from pathlib import Path

from costing.budgets.service import compute_contract
from costing.engine.parameters import load_documents, parse_documents
from costing.results.budget import BudgetResult
from costing.results.compare import recalculation_note

EXAMPLE = json.loads((Path(__file__).resolve().parents[1] / "docs" / "example-budget.json").read_text("utf-8"))


def _with_2026_floor(value: str):
    documents = copy.deepcopy(load_documents())
    family = dict(documents)["social_insurance.yaml"]["families"]["si.base_floor"]
    family["values"].append({"start": "2026-01-01", "end": "2026-12-31", "region": "cq", "value": value,
                             "source": "si-2025", "confidence": "verified_mirror"})
    return parse_documents(documents)


def _result(params) -> BudgetResult:
    return BudgetResult(compute_contract(copy.deepcopy(EXAMPLE), params, reasons_required=False).result)


def test_the_months_whose_figure_changed_are_named_with_the_values_before_and_after():
    # the example runs 2025-07 to 2026-06: the 2025 floor was carried into 2026 until 2026's is published
    then, now = _result(parse_documents(load_documents())), _result(_with_2026_floor("4600"))
    assert recalculation_note(then, now) == \
        "按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-06：4,404.00 元 → 4,600.00 元"
    # and back
    assert recalculation_note(now, then) == \
        "按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-06：4,600.00 元 → 4,404.00 元"


def test_a_new_set_with_the_same_figures_says_so():
    then = _result(parse_documents(load_documents()))
    assert recalculation_note(then, then) == "按新政策参数重新计算（所用数值未变）"


def test_a_new_set_that_only_verified_a_source_says_which():
    documents = copy.deepcopy(load_documents())
    sources = dict(documents)["min_wage.yaml"]["sources"]
    for source in sources.values():
        source["verified_by"], source["verified_on"] = "重庆市民政局社会工作处", "2026-12-01"
    then, now = _result(parse_documents(load_documents())), _result(parse_documents(documents))
    note = recalculation_note(then, now)
    assert note.startswith("按新政策参数重新计算（所用数值未变；依据有更新：最低工资标准（月）（第一档）经重庆市民政局社会工作处核实")
