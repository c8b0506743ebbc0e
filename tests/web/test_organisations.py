"""Organisations as administrators keep them: renamed, given their district, deactivated (their people cannot sign
in; their budgets stay) and reactivated, never leaving fewer than two administrators (issue #21)."""
import re

from sqlalchemy import select

from costing.models import AuditEntry, Budget, Organisation, User, db

from . import world
from .world import PASSWORD, log_in


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def org(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def test_an_organisation_is_renamed_and_given_its_district(app, client):
    world.build()
    admin = log_in(client, "admin")
    c = org("和光社工中心")
    assert "所在区县" in text(admin.get(f"/admin/organisations/{c.id}"))
    response = admin.post(f"/admin/organisations/{c.id}", data={"name": "渝北区和光社会工作服务中心", "district": "渝北区"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (org("渝北区和光社会工作服务中心").district, org("和光社工中心")) == ("渝北区", None)
    page = text(admin.get("/admin/organisations"))
    assert "渝北区和光社会工作服务中心 承接主体 渝北区" in page
    detail = db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "update_org"))
    assert detail == "和光社工中心（未指定区县）→ 渝北区和光社会工作服务中心（渝北区）"
    # a name another organisation has, or a district not on the list, is refused at its field
    assert "已有同名单位" in text(admin.post(f"/admin/organisations/{c.id}", data={"name": "同心社工中心",
                                                                               "district": ""}))
    assert "请从列表中选择区县" in text(admin.post(f"/admin/organisations/{c.id}", data={"name": "x", "district": "火星区"}))
    # a new one is made with its district, the municipal level too
    admin.post("/admin/organisations", data={"name": "重庆市民政局社工处", "kind": "bureau", "district": "重庆市"})
    assert org("重庆市民政局社工处").district == "重庆市"


def test_a_deactivated_organisations_people_cannot_sign_in_and_its_budgets_stay(app, client):
    w = world.build()
    contractor = log_in(app.test_client(), "c_user")
    admin = log_in(client, "admin")
    c = org("和光社工中心")
    assert admin.post(f"/admin/organisations/{c.id}/deactivate").status_code == 302
    # the session already open ends; signing in again is refused with the usual answer
    assert contractor.get("/budgets/").status_code == 302
    again = app.test_client().post("/login", data={"username": "c_user", "password": PASSWORD})
    assert again.status_code == 401
    assert db.session.get(Budget, w.budget_a) is not None
    assert "已停用" in text(admin.get("/admin/organisations"))
    assert "所在单位已停用" in db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "sign_in_failed"))
    admin.post(f"/admin/organisations/{c.id}/reactivate")
    assert app.test_client().post("/login", data={"username": "c_user", "password": PASSWORD}).status_code == 302


def test_ones_own_organisation_or_one_holding_the_second_administrator_stays(app, client):
    w = world.build()
    admin = log_in(client, "admin")
    own = db.session.get(User, w.users["admin"]).organisation
    admin.post(f"/admin/organisations/{own.id}/deactivate")
    assert org(own.name).active
    # the second administrator works for another bureau: deactivating it would leave one administrator
    other = Organisation(name="江北区民政局（主管）", kind="bureau")
    db.session.add(other)
    db.session.flush()
    db.session.get(User, w.users["admin2"]).organisation_id = other.id
    db.session.commit()
    response = admin.post(f"/admin/organisations/{other.id}/deactivate", follow_redirects=True)
    assert "不能停用江北区民政局（主管）：之后在用的管理员只剩admin（1 位）" in text(response)
    db.session.expire_all()
    assert org("江北区民政局（主管）").active
