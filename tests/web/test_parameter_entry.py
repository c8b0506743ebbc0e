"""Entering figures: one notice's several figures with the source typed once; the entrant told of a rejection
and its reason; the correction form carrying the citation and keeping a changed district or certificate; the
confirmed figures that take effect later (即将生效)."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from costing.models import AuditEntry, ParamSource, ParamValue, db
from costing.web import current_parameters

from . import world
from .test_allowance import FAMILY, STANDARD
from .world import log_in

NOTICE = "/admin/parameters/notice"
SOURCE = {"doc_no": "渝人社发〔2026〕30号", "title": "关于做好2026年度社会保险缴费基数上下限核定有关工作的通知",
          "issuer": "重庆市人力资源和社会保障局", "doc_date": "2026-08-20", "url": "https://rlsbj.cq.gov.cn/x.html",
          "confidence": "verified_official", "start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = date(2026, 11, 29)
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


def _rows(*rows) -> dict:
    data = {}
    for i, (target, value) in enumerate(rows):
        data |= {f"rows-{i}-target": target, f"rows-{i}-value": value}
    return data


def test_one_notice_enters_the_floor_and_the_ceiling_with_its_source_typed_once(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    page = _text(admin.get(NOTICE))
    assert "按文件录入" in page and 'name="rows-5-value"' in page and "社会保险缴费基数上限（月） · 重庆市" in page
    response = admin.post(NOTICE, data=SOURCE | _rows(("si.base_floor|cq", "4,600"), ("si.base_ceiling|cq", "23,000")))
    assert response.status_code == 302, _text(response)[-3000:]
    rows = db.session.scalars(select(ParamValue).where(ParamValue.status == "pending").order_by(ParamValue.id)).all()
    assert [(r.family_key, r.value, r.start, r.end, r.created_by.username) for r in rows] == [
        ("si.base_floor", "4600", date(2026, 1, 1), date(2026, 12, 31), "admin"),
        ("si.base_ceiling", "23000", date(2026, 1, 1), date(2026, 12, 31), "admin")]
    assert rows[0].source_id == rows[1].source_id
    assert db.session.get(ParamSource, rows[0].source_id).doc_no == "渝人社发〔2026〕30号"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "param_add")) == 2
    # each is confirmed on its own, by another administrator
    reviewer = log_in(fixed.test_client(), "admin2")
    for row in rows:
        assert reviewer.post(f"/admin/parameters/values/{row.id}/confirm").status_code == 302
    params = current_parameters()
    assert params.at("si.base_floor", date(2026, 3, 1), "cq").value == Decimal("4600")
    assert params.at("si.base_ceiling", date(2026, 3, 1), "cq").value == Decimal("23000")


def test_a_notice_with_one_wrong_row_saves_nothing_and_says_which_row(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    response = admin.post(NOTICE, data=SOURCE | _rows(("si.base_floor|cq", "4,600"), ("si.base_ceiling|cq", "abc"),
                                                      ("", "")))
    assert response.status_code == 400
    page = _text(response)
    assert 'data-error-for="rows-1-value">请填写数字' in page
    assert 'value="渝人社发〔2026〕30号"' in page and 'value="4,600"' in page         # what was typed is kept
    assert db.session.scalar(select(ParamValue).where(ParamValue.status == "pending")) is None
    # no row at all, or no start for a row without its own
    assert "请至少填写一行数值" in _text(admin.post(NOTICE, data=SOURCE))
    response = admin.post(NOTICE, data=SOURCE | {"start": ""} | _rows(("si.base_floor|cq", "4,600")))
    assert 'data-error-for="start">请填写起始日期' in _text(response)


def test_a_notices_figures_are_weighed_beside_each_other(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    data = SOURCE | {"start": "2025-01-01", "end": "", "doc_no": "渝北民发〔2024〕88号", "rows-0-district": "渝北区",
                     "rows-1-district": "渝北区"} | _rows(("allowance.certificate_monthly|social_worker", "300"),
                                                          ("allowance.certificate_monthly|assistant_social_worker", "3,000"))
    response = admin.post(NOTICE, data=data)
    assert response.status_code == 400
    page = _text(response)
    assert "3,000.00 元 高于渝北区 社会工作师（待复核）的 300.00 元" in page and 'name="acknowledge"' in page
    assert db.session.scalar(select(ParamValue).where(ParamValue.status == "pending")) is None
    # each of the two disagrees with the other: each needs its reason
    data |= {"acknowledge": "y", "rows-1-note": "按区政府文件"}
    assert 'data-error-for="rows-0-note">数值有提示（300.00 元 低于渝北区 助理社会工作师（待复核）的 3,000.00 元' in _text(
        admin.post(NOTICE, data=data))
    assert admin.post(NOTICE, data=data | {"rows-0-note": "按区政府文件"}).status_code == 302
    assert [r.region for r in db.session.scalars(select(ParamValue).where(ParamValue.status == "pending")
                                                 .order_by(ParamValue.id))] == [
        "渝北区:social_worker", "渝北区:assistant_social_worker"]


def test_the_entrant_sees_a_rejection_and_its_reason(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    assert admin.post(FAMILY, data=STANDARD).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/reject",
                                               data={"reason": "文号有误，应为渝北民发〔2024〕89号"})
    page = _text(admin.get("/admin/parameters/"))
    assert "您的录入被驳回" in page and "文号有误，应为渝北民发〔2024〕89号" in page and "复核管理员 驳回" in page
    mine = _text(admin.get("/admin/parameters/mine"))
    assert "渝北区 社会工作师" in mine and "已驳回" in mine and "理由：文号有误，应为渝北民发〔2024〕89号" in mine
    # the reviewer is not told of the entrant's rejection as their own
    assert "您的录入被驳回" not in _text(log_in(fixed.test_client(), "admin2").get("/admin/parameters/"))


def test_the_correction_form_carries_the_citation_and_keeps_a_changed_certificate(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    reviewer = log_in(fixed.test_client(), "admin2")
    assert admin.post(FAMILY, data=STANDARD).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    reviewer.post(f"/admin/parameters/values/{row.id}/confirm")
    page = _text(admin.get(f"{FAMILY}?replaces={row.id}"))
    assert "更正数值" in page
    for shown in ('value="渝北民发〔2024〕88号"', 'value="重庆市渝北区民政局"', 'value="2024-12-20"',
                  'value="https://www.ybq.gov.cn/x.html"', '<option selected value="verified_official">',
                  '<option selected value="渝北区">', '<option selected value="social_worker">'):
        assert shown in page, shown
    # entered under the wrong certificate: the correction moves it, citing the same document
    data = {**STANDARD, "replaces": str(row.id), "region": "senior_social_worker", "note": "录入时选错了证书等级"}
    assert admin.post(FAMILY, data=data).status_code == 302
    correction = db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == row.id))
    assert correction.region == "渝北区:senior_social_worker" and correction.source_id == row.source_id
    reviewer.post(f"/admin/parameters/values/{correction.id}/confirm")
    db.session.expire_all()
    assert db.session.get(ParamValue, row.id).status == "superseded"
    params = current_parameters()
    assert params.at("allowance.certificate_monthly", date(2026, 3, 1), "渝北区:senior_social_worker").value == 300
    assert "渝北区:social_worker" not in params.families["allowance.certificate_monthly"].records


def test_confirmed_figures_that_start_later_are_listed_as_upcoming(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    page = _text(admin.get("/admin/parameters/"))
    # the shipped files end the small-scale taxpayers' reductions at 2027-12-31: 3% and the full surcharges from 2028
    upcoming = page[page.index('id="upcoming"'):]
    assert "即将生效（2）" in page and "增值税征收率（小规模纳税人）" in upcoming and "2028-01-01" in upcoming
    data = {"region": "tier1", "value": "2,500", "start": "2027-01-01", "end": "", "doc_no": "渝人社发〔2026〕40号",
            "title": "关于调整重庆市最低工资标准的通知", "issuer": "重庆市人力资源和社会保障局", "doc_date": "2026-11-20",
            "url": "", "confidence": "verified_mirror", "note": ""}
    assert admin.post("/admin/parameters/family/min_wage.monthly", data=data).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    page = _text(admin.get("/admin/parameters/"))
    assert "即将生效（2）" in page                              # pending is not upcoming: it is not confirmed yet
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm")
    page = _text(admin.get("/admin/parameters/"))
    upcoming = page[page.index('id="upcoming"'):]
    assert "即将生效（3）" in page and "最低工资标准（月）" in upcoming and "2027-01-01" in upcoming
    assert upcoming.index("2027-01-01") < upcoming.index("2028-01-01")          # soonest first
    assert "2,500.00 元" in upcoming and "2,330.00 元" in upcoming            # and what is in force until then
