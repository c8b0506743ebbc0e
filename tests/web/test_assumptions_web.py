"""Overridden defaults on the budget form (reasons) and on the budget page (假设与覆盖)."""
import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from costing.models import Budget, Revision, db

from . import world
from .world import form_fields, log_in, sample


def overriding() -> dict:
    """The example budget with its second line's housing-fund rate at 7% (the example states the default 5%)."""
    data = sample()
    data["personnel"][1]["housing_fund_rate"] = "0.07"
    return data


def section(page: str) -> str:
    start = page.index('<section class="panel" id="assumptions">')
    return page[start:page.index("</section>", start)]


def error_at(page: str, name: str) -> str:
    match = re.search(rf'<span class="error" data-error-for="{re.escape(name)}">([^<]*)</span>', page)
    assert match, name
    return unescape(match.group(1))


def reason_wrapper(page: str, name: str) -> str:
    """The opening tag of the label that holds the reason input ``name``."""
    end = page.index(f'name="{name}"')
    return page[page.rindex("<label", 0, end):page.index(">", page.rindex("<label", 0, end)) + 1]


def test_an_override_without_its_reason_is_refused_at_the_reason_and_keeps_the_input(app, client):
    world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="缺理由")) | {
        "personnel-1-housing_fund_rate": "7%", "personnel-1-housing_fund_rate_reason": "  ",
        "personnel-0-si_base": "6,000", "personnel-0-si_base_reason": "按劳动合同约定工资申报",
        "contractor-work_injury_rate": "0.004"}
    response = client.post("/budgets/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_at(page, "personnel-1-housing_fund_rate_reason") == "填写了住房公积金比例（不用默认值），请说明理由"
    assert error_at(page, "contractor-work_injury_rate_reason") == "填写了工伤保险费率（不用默认值），请说明理由"
    assert error_at(page, "personnel-0-si_base_reason") == ""
    # what was typed stays, and the reasons that need filling are shown, not hidden
    assert 'value="7%"' in page and 'value="6,000"' in page and 'value="按劳动合同约定工资申报"' in page
    assert "hidden" not in reason_wrapper(page, "personnel-1-housing_fund_rate_reason")
    assert "has-error" in reason_wrapper(page, "personnel-1-housing_fund_rate_reason")
    assert "hidden" not in reason_wrapper(page, "contractor-work_injury_rate_reason")
    assert "hidden" in reason_wrapper(page, "personnel-2-housing_fund_rate_reason")   # no override on line 3
    assert db.session.scalar(select(Budget).where(Budget.name == "缺理由")) is None


def test_the_form_has_a_reason_beside_each_override(app, client):
    w = world.build()
    log_in(client, "a_prep")
    page = client.get(f"/budgets/{w.budget_a}/edit").get_data(as_text=True)
    for name in ("personnel-0-monthly_allowance_reason", "personnel-0-si_base_reason",
                 "personnel-0-housing_fund_rate_reason", "contractor-work_injury_rate_reason"):
        assert f'name="{name}"' in page
        assert "hidden" in reason_wrapper(page, name)         # line 1 overrides nothing
    assert "hidden" not in reason_wrapper(page, "personnel-1-housing_fund_rate_reason")
    assert 'value="按承接机构住房公积金缴存登记的比例列明"' in page
    assert '<span class="label">理由</span>' in page
    template = page[page.index('<template id="personnel-template">'):]
    assert 'name="personnel-0-si_base_reason"' in template


def test_the_budget_page_lists_each_override_with_its_reason_and_effect(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "personnel-1-housing_fund_rate": "0.07",
        "personnel-1-housing_fund_rate_reason": "承接机构缴存比例为 7%"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "395,103.78" in page
    part = section(page)
    assert "<h2>假设与覆盖</h2>" in part
    row = part[part.index('data-path="personnel[1].housing_fund_rate"'):]
    row = row[:row.index("</tr>")]
    assert "第 2 行「社会工作者」住房公积金比例" in row and "承接机构缴存比例为 7%" in row
    assert '<td class="n num">7%</td>' in row and "5%" in row
    # line 2's housing fund 4,300.00 × 7% = 301.00 instead of 215.00: 86.00 × 3 people × 12 months = 3,096.00 more;
    # personnel 335,140.14, fee 5% of 372,340.14 = 18,617.01, pre-tax 390,957.15 × 1.01 / 0.9994 = 395,103.78,
    # − 391,818.50 with the default 5% (the example budget's total)
    assert '<td class="n num">+3,285.28</td>' in row


def test_a_lowering_override_shows_a_negative_effect_and_an_amount_default(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "personnel-0-si_base": "5000.00", "personnel-0-si_base_reason": "按劳动合同约定工资申报"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    stored = json.loads(db.session.scalar(select(Revision.result_json).where(Revision.number == 2)))
    first = stored["assumptions"][0]
    assert first["path"] == "personnel[0].si_base" and first["default"] == "5800.00"      # the pay (渝北区 has no 职业津贴 standard entered)
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    row = section(page)[section(page).index('data-path="personnel[0].si_base"'):]
    row = row[:row.index("</tr>")]
    effect = re.search(r'<td class="n num">(-[0-9,]+\.[0-9]{2})</td>', row).group(1)
    assert effect == f"{float(first['effect']):,.2f}" and effect.startswith("-")
    assert "5,000.00 元/月" in row and "5,800.00 元/月" in row


def test_a_budget_page_without_overrides_says_so(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-housing_fund_rate": "",
                                                 "personnel-1-housing_fund_rate_reason": ""}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    assert "均采用默认值" in section(client.get(f"/budgets/{w.budget_a}").get_data(as_text=True))


def test_results_stored_before_assumptions_still_render(app, client):
    w = world.build()
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    result = json.loads(revision.result_json)
    del result["assumptions"]
    revision.result_json = json.dumps(result, ensure_ascii=False)
    stored_input = json.loads(revision.input_json)
    del stored_input["personnel"][1]["housing_fund_rate_reason"]     # saved before reasons were asked for
    stored_input["personnel"][1]["housing_fund_rate"] = "0.07"       # (a rate that differs from the default)
    revision.input_json = json.dumps(stored_input, ensure_ascii=False)
    db.session.commit()
    log_in(client, "a_prep")
    response = client.get(f"/budgets/{w.budget_a}")
    assert response.status_code == 200 and 'id="assumptions"' not in response.get_data(as_text=True)
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 200
    # copying it keeps the override as it was; saving the copy then asks for the reason
    response = client.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "1"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "（未填写）" in section(page)
    # …and it cannot be submitted until the reason is written
    copy_id = int(response.location.rstrip("/").split("/")[-1])
    client.post(f"/budgets/{copy_id}/submit", data={"revision": "1", "confirm": "y"})
    assert db.session.get(Budget, copy_id).status == "draft"
    page = client.get(f"/budgets/{copy_id}").get_data(as_text=True)
    assert "有 1 处不用默认值而未说明理由（第 2 行「社会工作者」住房公积金比例），请编辑预算写明理由后再提交" in page


def test_the_history_shows_a_changed_reason(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-housing_fund_rate_reason": "新理由"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=data).status_code == 302
    page = client.get(f"/budgets/{w.budget_a}/history?a=1&b=2").get_data(as_text=True)
    assert "公积金比例理由 按承接机构住房公积金缴存登记的比例列明 → 新理由" in page


def test_the_api_asks_for_reasons_and_returns_assumptions(app, client):
    stated = sample()                     # 5%, the default, written out: no override, no reason needed
    del stated["personnel"][1]["housing_fund_rate_reason"]
    response = client.post("/api/v1/compute", data=json.dumps(stated), content_type="application/json")
    assert response.status_code == 200 and response.get_json()["assumptions"] == []
    data = overriding()
    response = client.post("/api/v1/compute", data=json.dumps(data), content_type="application/json")
    assert response.status_code == 200
    assert [a["path"] for a in response.get_json()["assumptions"]] == ["personnel[1].housing_fund_rate"]
    del data["personnel"][1]["housing_fund_rate_reason"]
    response = client.post("/api/v1/compute", data=json.dumps(data), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"path": "personnel[1].housing_fund_rate_reason",
                                              "message": "填写了住房公积金比例（不用默认值），请说明理由",
                                              "code": "reason_missing"}]


def test_the_live_preview_counts_an_override_whose_reason_is_still_to_be_written(app, client):
    world.build()
    log_in(client, "a_prep")
    data = overriding()
    del data["personnel"][1]["housing_fund_rate_reason"]
    assert client.post("/api/v1/compute", json=data).status_code == 400          # the contract asks for it
    # the form's preview posts the form itself, and the server reads it exactly as saving would
    body = client.post("/budgets/preview", data=form_fields(data)).get_json()
    assert body["ok"] is True
    assert body["pending"] == [{"field": "personnel-1-housing_fund_rate_reason", "code": "reason_missing",
                                "message": "填写了住房公积金比例（不用默认值），请说明理由", "general": None}]
    # the totals count the override, and read as the saved page reads them
    assert body["totals"]["grand_total"] == "395,103.78 元"      # the example budget with 7%
    # the missing reason blocks saving, and the totals bar says so
    assert body["counts"]["blocking"] == 1 and "1 处理由待填，保存前必须填写" in body["counts"]["text"]
    # other problems still stop it, each at its field
    data["personnel"][0]["monthly_pay"] = "abc"
    body = client.post("/budgets/preview", data=form_fields(data)).get_json()
    assert body["ok"] is False
    assert {"field": "personnel-0-monthly_pay", "code": "invalid", "message": "「abc」不是金额，请填写数字，如 4800 或 4800.00",
            "general": None} in body["errors"]


def test_the_api_can_leave_reasons_for_later(app, client):
    data = overriding()
    del data["personnel"][1]["housing_fund_rate_reason"]
    response = client.post("/api/v1/compute?reasons=later", json=data)
    assert response.status_code == 200
    assert response.get_json()["pending"] == [{"path": "personnel[1].housing_fund_rate_reason",
                                               "message": "填写了住房公积金比例（不用默认值），请说明理由",
                                               "code": "reason_missing"}]
    data["personnel"][0]["monthly_pay"] = "abc"           # any other problem still stops it
    assert client.post("/api/v1/compute?reasons=later", json=data).status_code == 400


@pytest.mark.parametrize("query", ["reasons=Later", "reasons=", "reasons=later&reasons=later", "reasons=1"])
def test_the_api_refuses_a_reasons_parameter_other_than_later(app, client, query):
    """A misspelt ?reasons=later would otherwise silently ask for every reason."""
    wrong = {"path": "reasons", "message": "查询参数 reasons 只能是 later（理由稍后填写），且只写一次", "code": "not_a_choice"}
    response = client.post(f"/api/v1/compute?{query}", json=sample())
    assert response.status_code == 400 and response.get_json()["errors"] == [wrong]
    data = overriding()
    del data["personnel"][1]["housing_fund_rate_reason"]       # listed with the budget's own problems
    assert client.post(f"/api/v1/compute?{query}", json=data).get_json()["errors"][0] == wrong
