"""Plausibility from a figure's own family: a value outside its unit's range, or far from its neighbours (the
previous period, the grade above or below, other districts), is flagged at entry, shown highlighted to the
reviewer with each reason, and confirmed only with the reviewer's acknowledgement — a correction too."""
from datetime import date

import pytest
from sqlalchemy import select

from costing.models import AuditEntry, ParamValue, db

from . import world
from .test_allowance import FAMILY, STANDARD
from .world import log_in


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = date(2026, 11, 29)
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


def _pending():
    return db.session.scalar(select(ParamValue).where(ParamValue.status == "pending").order_by(ParamValue.id.desc()))


def test_30000_beside_300_for_the_grade_above_is_flagged_and_needs_the_reviewers_acknowledgement(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    reviewer = log_in(fixed.test_client(), "admin2")
    assert admin.post(FAMILY, data=STANDARD).status_code == 302                     # 渝北区 社会工作师 300
    reviewer.post(f"/admin/parameters/values/{_pending().id}/confirm")
    assert "合理范围 10.00 元–5,000.00 元" in _text(admin.get(FAMILY))           # the rule's range, shown from it
    typo = {**STANDARD, "region": "assistant_social_worker", "value": "30,000"}
    response = admin.post(FAMILY, data=typo)
    assert response.status_code == 400
    page = _text(response)
    assert "30,000.00 元 超出合理范围（10.00 元–5,000.00 元）" in page
    assert "30,000.00 元 高于渝北区 社会工作师的 300.00 元（等级或档次更高的数值）" in page
    assert _pending() is None
    # the entrant may insist: ticked, and said why
    response = admin.post(FAMILY, data={**typo, "acknowledge": "y", "note": "按区政府常务会议纪要"})
    assert response.status_code == 302
    row = _pending()
    # the reviewer sees it highlighted with the reasons, on the family page and the parameters page
    family_page = _text(reviewer.get(FAMILY))
    assert "row-flagged" in family_page and "高于渝北区 社会工作师的 300.00 元" in family_page
    assert 'name="acknowledge"' in family_page
    index = _text(reviewer.get("/admin/parameters/"))
    assert "有提示" in index and "30,000.00 元 超出合理范围" in index
    # a forged POST without the acknowledgement is refused
    reviewer.post(f"/admin/parameters/values/{row.id}/confirm")
    db.session.refresh(row)
    assert row.status == "pending"
    assert "该数值有提示" in _text(reviewer.get(FAMILY))
    # acknowledged: confirmed, and the log says the flags were seen
    reviewer.post(f"/admin/parameters/values/{row.id}/confirm", data={"acknowledge": "y"})
    db.session.refresh(row)
    assert row.status == "confirmed"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "param_confirm",
                                                       AuditEntry.target == f"param:{row.id}"))
    assert "复核时已核对提示：30,000.00 元 超出合理范围" in entry.detail


def test_a_plausible_figure_needs_no_acknowledgement(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    assert admin.post(FAMILY, data=STANDARD).status_code == 302
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{_pending().id}/confirm")
    assert admin.post(FAMILY, data={**STANDARD, "region": "assistant_social_worker", "value": "200"}).status_code == 302
    row = _pending()
    assert 'name="acknowledge"' not in _text(log_in(fixed.test_client(), "admin2").get(FAMILY))
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm")
    db.session.refresh(row)
    assert row.status == "confirmed"


def test_a_correction_is_weighed_too_beside_the_figures_around_it(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    pension = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.employer.pension",
                                                         ParamValue.start == date(2019, 5, 1)))
    data = {"replaces": str(pension.id), "region": "cq", "value": "60%", "start": "2019-05-01", "end": "",
            "doc_no": "国办发〔2019〕13号", "title": "国务院办公厅关于印发降低社会保险费率综合方案的通知",
            "issuer": "国务院办公厅", "doc_date": "2019-04-01", "url": "", "confidence": "secondary",
            "note": "原文为 60%"}
    response = admin.post("/admin/parameters/family/si.employer.pension", data=data)
    assert response.status_code == 400
    page = _text(response)
    # beside the range, and beside the figure before it (not the one it corrects)
    assert "60% 超出合理范围（0%–50%）" in page and "60% 与上一期（2018-05-01 起）的 19% 相差一倍以上" in page
    assert "与上一期（2019-05-01 起）" not in page
    assert admin.post("/admin/parameters/family/si.employer.pension",
                      data={**data, "acknowledge": "y"}).status_code == 302
    row = _pending()
    assert row.replaces_id == pension.id
    reviewer = log_in(fixed.test_client(), "admin2")
    reviewer.post(f"/admin/parameters/values/{row.id}/confirm")
    db.session.refresh(row)
    assert row.status == "pending"
