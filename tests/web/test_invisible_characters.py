"""Names and ids holding characters that are invisible or turn the text around (U+202E, U+200B …) are refused
where they come in, saying which character; a name stored before the rule is cleaned in download file names."""
import io
import json
from urllib.parse import unquote

from sqlalchemy import func, select

from costing.models import Budget, Organisation, Revision, Roster, db

from . import world
from .test_rosters import person, roster_file
from .world import form_fields, log_in, sample

RLO, ZWSP = "\u202e", "\u200b"


def said(code):
    return f"含有不可见或改变文字方向的字符（{code}），请删除后重新输入"


def budgets():
    return db.session.scalar(select(func.count()).select_from(Budget))


def test_a_budget_name_with_a_direction_override_is_refused_at_its_field(app, client):
    world.build()
    log_in(client, "a_prep")
    before = budgets()
    response = client.post("/budgets/new", data=form_fields(sample(name=f"渝北{RLO}目项会社")))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and said("U+202E") in page
    # said at the name field, not only in the list at the top
    assert 'data-error-for="project-name"' in page
    slot = page.split('data-error-for="project-name"', 1)[1].split("</", 1)[0]
    assert said("U+202E") in slot
    assert budgets() == before


def test_a_roster_person_id_with_a_zero_width_space_is_refused_on_the_page_and_in_a_file(app, client):
    w = world.build()
    log_in(client, "c_user")
    data = {"name": "2025 方案", "roster-0-id": f"SG{ZWSP}-001", "roster-0-post": "社会工作者",
            "roster-0-level": "junior", "roster-0-certificate": "assistant_social_worker",
            "roster-0-monthly_pay": "4300.00"}
    response = client.post(f"/rosters/new?budget={w.budget_a}", data=data)
    assert response.status_code == 400 and said("U+200B") in response.get_data(as_text=True)
    response = client.post(f"/rosters/new?budget={w.budget_a}",
                           data=data | {"roster-0-id": "SG-001", "name": f"{RLO}方案"})
    assert response.status_code == 400 and said("U+202E") in response.get_data(as_text=True)
    # a file: the row and column named, the cell quoted without the character (it would turn the message around)
    upload = client.post(f"/rosters/import?budget={w.budget_a}", content_type="multipart/form-data", data={
        "file": (io.BytesIO(roster_file([person(**{"姓名或工号": f"SG-001{RLO}"})])), "花名册.xlsx")})
    page = upload.get_data(as_text=True)
    assert upload.status_code == 400 and f"第 2 行 姓名或工号：「SG-001」{said('U+202E')}" in page
    assert RLO not in page.split("<main", 1)[1]
    assert db.session.scalar(select(func.count()).select_from(Roster)) == 0


def test_contract_parties_and_organisation_and_user_names_follow_the_rule(app, client):
    w = world.build()
    log_in(client, "a_prep")
    response = client.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "YB-2025-01",
                                                                   "party_a": f"渝北区民政局{RLO}", "party_b": ""},
                           follow_redirects=True)
    assert f"甲方（采购人）：{said('U+202E')}" in response.get_data(as_text=True)
    assert db.session.get(Budget, w.budget_a).contract_no is None
    admin = log_in(app.test_client(), "admin")
    response = admin.post("/admin/organisations", data={"name": f"沙坪坝区{ZWSP}民政局", "kind": "purchaser"})
    assert response.status_code == 400 and said("U+200B") in response.get_data(as_text=True)
    assert db.session.scalar(select(Organisation).where(Organisation.name.like("沙坪坝%"))) is None
    org = db.session.scalar(select(Organisation).where(Organisation.name == "渝北区民政局"))
    response = admin.post("/admin/users", data={"username": "spb.zhang", "display_name": "张\u2067三",
                                                "password": "long-enough-1", "organisation": org.id,
                                                "role": "preparer"})
    assert response.status_code == 400 and said("U+2067") in response.get_data(as_text=True)


def test_a_download_file_name_never_carries_a_direction_override(app, client):
    """A name saved before the rule (here written straight into the stored result) is cleaned in the file name."""
    w = world.build()
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    result = json.loads(revision.result_json)
    result["project"]["name"] = f"A 项目{RLO}xslx.exe"
    revision.result_json = json.dumps(result, ensure_ascii=False)
    db.session.commit()
    log_in(client, "a_prep")
    response = client.get(f"/budgets/{w.budget_a}/annex.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "%E2%80%AE" not in disposition.upper() and RLO not in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "A 项目xslx.exe-预算明细表-修订1-草稿.xlsx"
