"""What a blank field means is worded from the parameter set (costing/results/defaults.py): the figure in force
on the day that decides it, the posts the 职业津贴 standard covers as the data lists them, never a figure of its own."""
import copy
from datetime import date
from decimal import Decimal as D

from costing.engine.parameters import ParameterSet, Record, default_parameters
from costing.engine.pricing import ALLOWANCE_SOURCES
from costing.engine.result import to_json
from costing.results import defaults, labels
from costing.results.budget import BudgetResult

from .engine.helpers import budget_input, person, run, with_allowance_standard

TODAY = date(2026, 11, 29)


def with_hf_rate_min(value: str, start: date | None) -> ParameterSet:
    """The shipped set with a new lowest housing-fund rate from ``start`` (None: the only one, from the first)."""
    params = copy.deepcopy(default_parameters())
    family = params.families["hf.rate_min"]
    first = family.records["cq"][0]
    record = Record(family=family.key, label=family.label, unit=family.unit, region="cq", start=start, end=None,
                    value=D(value), source=first.source, confidence="verified_official")
    family.records["cq"] = [first, record] if start else [record]
    family.index()
    return params


def test_the_housing_fund_rate_is_the_one_in_force_at_the_start_of_the_service():
    shipped = default_parameters()
    assert defaults.housing_fund_blank(shipped, date(2025, 7, 1), TODAY) == "公积金比例留空按 5%（各月的单位缴存比例下限）"
    # a new budget has no start yet: the rule, with today's figure
    assert defaults.housing_fund_blank(shipped, None, TODAY) == "公积金比例留空按各月的单位缴存比例下限（今天为 5%）"
    changed = with_hf_rate_min("0.07", date(2026, 1, 1))
    assert defaults.housing_fund_blank(changed, date(2025, 7, 1), TODAY) == "公积金比例留空按 5%（各月的单位缴存比例下限）"
    assert defaults.housing_fund_blank(changed, date(2026, 1, 1), TODAY) == "公积金比例留空按 7%（各月的单位缴存比例下限）"
    assert defaults.housing_fund_blank(changed, None, TODAY).endswith("（今天为 7%）")
    assert defaults.housing_fund_rate(changed, date(2026, 3, 1)) == "7%"
    # a set whose lowest rate starts later says the rule without a figure before it
    late = with_hf_rate_min("0.06", date(2030, 1, 1))
    late.families["hf.rate_min"].records["cq"] = late.families["hf.rate_min"].records["cq"][1:]
    late.families["hf.rate_min"].index()
    assert defaults.housing_fund_blank(late, date(2025, 7, 1), TODAY) == "公积金比例留空按各月的单位缴存比例下限"
    assert defaults.housing_fund_blank(late, None, TODAY) == "公积金比例留空按各月的单位缴存比例下限"
    assert defaults.housing_fund_rate(late, TODAY) is None


def test_the_words_follow_the_rate_the_engine_used():
    result = run(budget_input(start="2026-01", end="2026-12"), with_hf_rate_min("0.07", date(2026, 1, 1)))
    assert result.housing_fund_default == D("0.07")
    assert defaults.housing_fund_said(result.housing_fund_default) == "公积金比例留空按 7%（各月的单位缴存比例下限）"
    assert defaults.housing_fund_column(D("0.07")) == "留空为按下限 7%"
    assert defaults.housing_fund_column(None) == "留空为按下限"


def test_the_work_injury_rate_is_the_policy_rate_on_the_day():
    assert defaults.work_injury_label(default_parameters(), date(2025, 7, 1)) == "工伤费率（留空按政策费率 0.3%）"
    assert defaults.work_injury_said(D("0.006")) == "工伤费率留空按政策费率 0.6%"
    assert defaults.work_injury_said(None) == "工伤费率留空按政策费率"
    assert defaults.work_injury_label(default_parameters(), date(2000, 1, 1)) == "工伤费率（留空按政策费率）"


def test_the_posts_that_get_the_allowance_are_the_standards_categories():
    assert defaults.allowance_blank(default_parameters()) == (
        "职业津贴留空按本区县的标准（只用于持证的社区类岗位；本区县标准未录入的为 0）")
    assert defaults.allowance_said(("community", "elderly")) == (
        "职业津贴留空按本区县的标准（只用于持证的社区、老年类岗位；本区县标准未录入的为 0）")
    assert defaults.allowance_said(()) == "职业津贴留空按本区县的标准（只用于持证的岗位；本区县标准未录入的为 0）"
    assert defaults.allowance_said(None) == "职业津贴留空为 0（未设区县职业津贴标准）"
    params = copy.deepcopy(default_parameters())
    params.families["allowance.certificate_monthly"].categories = ("children_youth",)
    assert "只用于持证的儿童和青少年事务类岗位" in defaults.allowance_blank(params)
    del params.families["allowance.certificate_monthly"]
    assert defaults.allowance_blank(params) == "职业津贴留空为 0（未设区县职业津贴标准）"


def test_each_line_shows_the_allowance_it_was_priced_with_and_why():
    lines = [person(certificate="social_worker"), person(certificate="social_worker", monthly_allowance="150.00"),
             person(certificate="none"), person(certificate="social_worker", category="elderly"),
             person(certificate="assistant_social_worker")]
    result = BudgetResult(to_json(run(budget_input(personnel=lines),
                                      with_allowance_standard("渝中区", {"social_worker": "300"}))))
    shown = [defaults.line_allowance(line) for line in result.personnel]
    assert shown[0] == defaults.InForce("300.00", "留空按本区县标准 300.00 元/月")
    assert shown[1] is None                                    # the line states its own
    assert [s.said for s in shown[2:]] == ["留空为 0（无证书）", "留空为 0（该类别不在职业津贴标准的适用范围）",
                                            "留空为 0（本区县标准未录入）"]
    assert {s.shown for s in shown[2:]} == {"0.00"}
    assert defaults.line_housing_fund_rate(result.housing_fund_default) == defaults.InForce(
        "5%", "留空按 5%（各月的单位缴存比例下限）")
    # a result stored before the engine said why: no figure is made up for it
    stored = to_json(run(budget_input()))
    for line in stored["personnel"]:
        del line["allowance_source"]
    del stored["defaults"]
    old = BudgetResult(stored)
    assert defaults.line_allowance(old.personnel[0]) is None and old.housing_fund_default is None
    assert defaults.line_housing_fund_rate(old.housing_fund_default) is None


def test_every_allowance_source_the_engine_gives_has_words():
    assert set(labels.ALLOWANCE_SOURCES) == set(ALLOWANCE_SOURCES)


def test_a_blank_rate_that_changes_during_the_service_is_said_with_each_months_rate():
    changes = (("2026-12", D("0.06")),)
    assert defaults.housing_fund_said(D("0.05"), changes) == \
        "公积金比例留空按各月的单位缴存比例下限（服务期开始时 5%，2026-12 起 6%）"
    shown = defaults.line_housing_fund_rate(D("0.05"), changes)
    assert (shown.shown, shown.said) == ("5%→6%", "留空按各月的单位缴存比例下限（服务期开始时 5%，2026-12 起 6%）")
