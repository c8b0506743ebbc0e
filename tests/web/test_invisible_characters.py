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
            "roster-0-monthly_pay": "4300.00", "revision": "1"}
    response = client.post(f"/rosters/new?budget={w.budget_a}", data=data)
    assert response.status_code == 400 and said("U+200B") in response.get_data(as_text=True)
    response = client.post(f"/rosters/new?budget={w.budget_a}",
                           data=data | {"roster-0-id": "SG-001", "name": f"{RLO}方案"})
    assert response.status_code == 400 and said("U+202E") in response.get_data(as_text=True)
    # a file: the row and column named, the cell quoted without the character (it would turn the message around)
    upload = client.post(f"/rosters/import?budget={w.budget_a}", content_type="multipart/form-data", data={
        "file": (io.BytesIO(roster_file([person(**{"姓名或工号": f"SG-001{RLO}"})])), "花名册.xlsx"), "revision": "1"})
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


def _saved_before_the_rule(budget_id, **changes):
    """Budget ``budget_id``'s revision 1 as if saved before the text rule: ``changes`` written straight into its
    stored input (and its project name into its stored result too)."""
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == budget_id))
    data, result = json.loads(revision.input_json), json.loads(revision.result_json)
    if "name" in changes:
        data["project"]["name"] = result["project"]["name"] = changes.pop("name")
    if "post" in changes:
        data["personnel"][0]["post"] = changes.pop("post")
    revision.input_json = json.dumps(data, ensure_ascii=False)
    revision.result_json = json.dumps(result, ensure_ascii=False)
    db.session.commit()


def test_a_copy_of_a_budget_named_before_the_rule_is_named_without_its_invisible_characters(app, client):
    w = world.build()
    _saved_before_the_rule(w.budget_a, name=f"A{ZWSP} 项目{RLO}")
    log_in(client, "a_prep")
    response = client.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "1"})
    assert response.status_code == 302
    copy = db.session.get(Budget, int(response.location.rstrip("/").split("/")[-1]))
    assert copy.name == "A 项目（副本）" and copy.latest.note == "复制自《A 项目》修订 1"
    assert "已复制修订 1 为新的草稿" in client.get(response.location).get_data(as_text=True)


def test_a_copy_of_a_revision_the_rules_no_longer_accept_is_refused_with_where_not_an_error(app, client):
    w = world.build()
    _saved_before_the_rule(w.budget_a, post=f"社工站{RLO}站长")
    log_in(client, "a_prep")
    before = budgets()
    response = client.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "修订 1 中有今天的规则不再接受的内容，未复制" in page
    assert said("U+202E") in page
    assert budgets() == before
