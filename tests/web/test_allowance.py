"""The 职业津贴 is each district's own standard (seed 三(一): 「按规定」): none by default until an administrator
enters a district's standard and a second one confirms it; then it applies to that district's certified
社区 posts only, and the budget shows where it comes from."""
from datetime import date

import pytest
from sqlalchemy import select

from costing.budgets import service
from costing.models import DistrictTier, ParamValue, User, db
from costing.parameters.seed import seed
from costing.web import current_parameters

from . import world
from .world import log_in

FAMILY = "/admin/parameters/family/allowance.certificate_monthly"
HINT = "本区县职业津贴标准未录入，可按本区规定填写"
STANDARD = {"district": "渝北区", "region": "social_worker", "value": "300", "start": "2025-01-01", "end": "",
            "doc_no": "渝北民发〔2024〕88号", "title": "关于调整社区工作者职业津贴标准的通知", "issuer": "重庆市渝北区民政局",
            "doc_date": "2024-12-20", "url": "https://www.ybq.gov.cn/x.html", "confidence": "verified_official",
            "note": ""}


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = date(2026, 11, 29)
    return app


def _enter_and_confirm(app, **changes) -> None:
    admin = log_in(app.test_client(), "admin")
    assert admin.post(FAMILY, data={**STANDARD, **changes}).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin", ParamValue.status == "pending"))
    assert log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm").status_code == 302


def test_no_district_standard_means_no_allowance_and_the_form_says_so(fixed, client):
    w = world.build()
    preparer = log_in(client, "a_prep")
    body = preparer.post("/budgets/preview", data=world.form_fields(world.sample())).get_json()
    # the example budget (渝北区): 站长 is a certified 社区 post; the other lines are 老年 and 儿童 posts
    assert body["hints"] == [{"field": "personnel-0-monthly_allowance", "message": HINT}]
    assert body["totals"]["grand_total"] == "391,818.50 元"          # worked out in tests/web/test_budgets.py
    page = preparer.get("/budgets/new").get_data(as_text=True)
    assert 'data-hint-for="personnel-0-monthly_allowance"' in page
    # the saved budget says it among its notes, with the document it rests on
    shown = preparer.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "渝北区「社会工作师」的职业津贴标准未录入，职业津贴按 0 计" in shown and "三(一)" in shown
    # an allowance the budget states is used, with its reason, and the hint goes
    data = world.sample()
    data["personnel"][0] |= {"monthly_allowance": "300.00", "monthly_allowance_reason": "按渝北民发〔2024〕88号"}
    body = preparer.post("/budgets/preview", data=world.form_fields(data)).get_json()
    assert body["hints"] == [] and body["totals"]["grand_total"] == "396,853.39 元"


def test_the_administrator_enters_a_districts_standard_by_district_and_certificate(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    index = admin.get("/admin/parameters/").get_data(as_text=True)
    assert "职业津贴（按区县与证书，每人每月）" in index and "尚无区县录入标准（预算中默认为 0）" in index
    page = admin.get(FAMILY).get_data(as_text=True)
    assert "按区县与证书等级录入" in page and "只用于社区类岗位" in page
    assert '<option value="渝北区">渝北区</option>' in page and "证书等级" in page
    # the district is asked for, at its field; nothing is saved
    response = admin.post(FAMILY, data={**STANDARD, "district": ""})
    assert response.status_code == 400 and "请选择区县" in response.get_data(as_text=True)
    response = admin.post(FAMILY, data={**STANDARD, "district": "火星区"})
    assert response.status_code == 400 and "请选择区县" in response.get_data(as_text=True)
    assert db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin")) is None
    _enter_and_confirm(fixed)
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin"))
    assert (row.region, row.value, row.status) == ("渝北区:social_worker", "300", "confirmed")
    index = admin.get("/admin/parameters/").get_data(as_text=True)
    assert "渝北区 社会工作师" in index and "300.00" in index
    # a correction keeps the district and the certificate
    page = admin.get(f"{FAMILY}?replaces={row.id}").get_data(as_text=True)
    assert '<option selected value="渝北区">' in page and '<option selected value="social_worker">' in page


def test_a_confirmed_standard_applies_to_its_districts_certified_community_posts(fixed, client):
    world.build()
    preparer = log_in(client, "a_prep")
    before = preparer.post("/budgets/preview", data=world.form_fields(world.sample())).get_json()
    # one pending value changes nothing
    admin = log_in(fixed.test_client(), "admin")
    assert admin.post(FAMILY, data=STANDARD).status_code == 302
    assert preparer.post("/budgets/preview", data=world.form_fields(world.sample())).get_json() == before
    row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm")
    # 社会工作者 (老年) holds an 助理社会工作师 certificate: a standard for it does not reach a 老年 post
    _enter_and_confirm(fixed, region="assistant_social_worker", value="200")
    body = preparer.post("/budgets/preview", data=world.form_fields(world.sample())).get_json()
    assert body["hints"] == []
    # 站长 6,100.00 a month: 976.00 + 518.50 + 91.50 + 30.50 + 18.30 + housing fund 305.00 = 1,939.80;
    # 6,100.00 × 12 + 3,000.00 + 1,939.80 × 12 = 99,477.60 (94,732.80 without); personnel 336,788.94,
    # fee 5% of 373,988.94 = 18,699.45, pre-tax 392,688.39 × 1.01 / 0.9994 = 396,853.39
    assert body["totals"]["grand_total"] == "396,853.39 元"
    # a budget saved now uses it, says which standard, and cites the district's document
    preparer_user = db.session.scalar(select(User).where(User.username == "a_prep"))
    budget = service.create_budget(preparer_user, world.sample(name="津贴项目"), current_parameters())
    db.session.commit()
    page = preparer.get(f"/budgets/{budget.id}").get_data(as_text=True)
    assert "396,853.39" in page and "渝北民发〔2024〕88号" in page and "渝北区 社会工作师" in page
    assert "职业津贴标准未录入" not in page
    # another district's budget is not covered by 渝北区's standard
    other = world.sample(district="江北区")
    body = preparer.post("/budgets/preview", data=world.form_fields(other)).get_json()
    assert body["hints"] == [{"field": "personnel-0-monthly_allowance", "message": HINT}]


def test_an_old_export_does_not_bring_back_figures_that_name_no_district(app):
    # an export written before the 职业津贴 became each district's own: certificate-only figures
    doc = {"sources": {"old": {"title": "重庆某区社区专职工作者报酬政策", "issuer": None, "doc_no": None, "date": None,
                               "url": None, "via": None}},
           "families": {"allowance.certificate_monthly": {
               "label": "职业津贴（按证书，每人每月）", "unit": "CNY/month", "kind": "amount",
               "regions": ["social_worker"],
               "values": [{"start": None, "end": None, "region": "social_worker", "value": "300", "source": "old",
                           "confidence": "uncertain"}]}}}
    report = seed(db.session, [("allowance.yaml", doc)], origin="imported")
    assert report.values == 0
    assert report.lines == ["未导入：职业津贴（按区县与证书，每人每月） 社会工作师 日期不详 起 300.00 元：适用范围不是本参数的“区县:证书”"]
    assert db.session.scalar(select(ParamValue).where(ParamValue.family_key == "allowance.certificate_monthly")) is None


def test_a_district_name_too_long_for_the_region_is_refused_at_its_field(fixed, client):
    world.build()
    some = db.session.scalar(select(DistrictTier).where(DistrictTier.status == "confirmed"))
    long_name = "某某某某某某某某某某某某某某某某某某新区"           # 19 汉字: "<name>:assistant_social_worker" is 43
    db.session.add(DistrictTier(document=some.document, district=long_name, region="tier1", start=some.start,
                                source_id=some.source_id, confidence=some.confidence, status="confirmed", origin="admin"))
    db.session.commit()
    admin = log_in(client, "admin")
    response = admin.post(FAMILY, data={**STANDARD, "district": long_name, "region": "assistant_social_worker"})
    assert response.status_code == 400 and "区县名称过长" in response.get_data(as_text=True)
    assert db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin")) is None


def test_a_standard_that_starts_after_the_service_is_said_so_at_the_field(fixed, client):
    world.build()
    _enter_and_confirm(fixed, start="2026-01-01")
    preparer = log_in(client, "a_prep")
    body = preparer.post("/budgets/preview", data=world.form_fields(world.sample())).get_json()   # from 2025-07
    assert body["hints"] == [{"field": "personnel-0-monthly_allowance",
                              "message": "本区县职业津贴标准在服务期开始后才执行，此前月份按 0 计；可按本区规定填写"}]
    # the standard applies from its own month (issue #23): 2026-01..06 of 2025-07..2026-06, the same figures each
    # month, so half of what it adds over the whole period (396,853.39 − 391,818.50 = 5,034.89 → 2,517.45, the fee
    # and tax rounded once on the total)
    assert body["totals"]["grand_total"] == "394,335.95 元"
    later = world.sample(start="2026-01", end="2026-12")
    assert preparer.post("/budgets/preview", data=world.form_fields(later)).get_json()["hints"] == []
