"""Contractors' pay proposals in the browser's HTTP: entry, import, report, sharing, export, privacy."""
import csv
import io
import json
import re

import openpyxl
from sqlalchemy import func, select

from costing.models import AuditEntry, BudgetShare, Revision, Roster, db
from costing.rosters.files import COLUMNS, EXAMPLE

from . import world
from .world import SAMPLE, form_fields, log_in, sample

HEADERS = [h for h, _, _ in COLUMNS]


def roster_file(rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    for r in rows:
        book.active.append([r.get(h, "") for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def person(**values):
    base = {"姓名或工号": "SG-001", "岗位": "社会工作者", "类别": "老年", "等级": "初级", "证书": "助理社会工作师",
            "月应发工资": "4300.00", "职业津贴": "200.00"}
    return base | values


def upload(client, url, data, name="花名册.xlsx", revision="1"):
    """A file posted as the import form posts it, naming the budget revision its page checks against (the world's
    budget A shares revision 1)."""
    return client.post(url, data={"file": (io.BytesIO(data), name), "revision": revision},
                       content_type="multipart/form-data")


def count():
    return db.session.scalar(select(func.count()).select_from(Roster))


def test_contractor_imports_a_roster_and_sees_the_report(app, client):
    w = world.build()
    log_in(client, "c_user")
    rows = [person(), person(**{"姓名或工号": "SG-002", "月应发工资": "2000.00"}),
            person(**{"姓名或工号": "SG-003", "岗位": "社工站站长", "等级": "中级", "证书": "社会工作师",
                      "月应发工资": "5800.00", "职业津贴": "300.00"})]
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file(rows))
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "SG-002" in page and "不合规" in page and "PAY_BELOW_MIN_WAGE" in page
    assert "HEADCOUNT_MISMATCH" in page
    actions = [e.action for e in db.session.scalars(select(AuditEntry))]
    assert "roster_import" in actions


def test_a_file_with_a_bad_row_imports_nothing(app, client):
    w = world.build()
    log_in(client, "c_user")
    rows = [person(), person(**{"月应发工资": "四千"}), person(), person(**{"证书": "博士"})]
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "未导入任何人员" in page
    assert "第 3 行 月应发工资：「四千」不是金额，请填写数字，如 4800 或 4800.00" in page
    assert "第 5 行 证书：「博士」不在下拉列表中，请从下拉列表中选择" in page
    assert "第 4 行 姓名或工号：「SG-001」与第 2 行重复" in page        # every row has SG-001
    assert count() == 0


def test_the_template_example_left_in_is_not_imported_and_the_page_says_so(app, client):
    w = world.build()
    log_in(client, "c_user")
    example = {h: EXAMPLE.get(h, "") for h in HEADERS}
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file([example, person()]))
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "已导入并核对：1 人（第 2 行是模板的示例行，未导入）" in page
    stored = json.loads(db.session.scalar(select(Roster)).latest.roster_json)
    assert [(p["id"], p["category"]) for p in stored] == [("SG-001", "elderly")]      # the person, not the example


def test_an_exe_named_xlsx_is_refused(app, client):
    w = world.build()
    log_in(client, "c_user")
    response = upload(client, f"/rosters/import?budget={w.budget_a}", b"MZ" + b"\x00" * 100, "staff.xlsx")
    assert response.status_code == 400 and "不是 Excel 工作簿" in response.get_data(as_text=True)


def test_roster_entry_in_the_page(app, client):
    w = world.build()
    log_in(client, "c_user")
    page = client.get(f"/rosters/new?budget={w.budget_a}").get_data(as_text=True)
    assert re.search(r'name="roster-4-post"[^>]*value="社会工作者（儿童）"', page)
    data = {"name": "2025 方案", "roster-0-id": "A1", "roster-0-post": "社会工作者", "roster-0-level": "junior",
            "roster-0-certificate": "none", "roster-0-monthly_pay": "4300.00",
            "roster-0-employer_rates-pension": "0.12", "revision": "1"}
    response = client.post(f"/rosters/new?budget={w.budget_a}", data=data)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "CERTIFICATE_BELOW_LEVEL" in page and "SI_RATE_BELOW_STATUTORY" in page
    bad = dict(data, **{"roster-0-monthly_pay": "-5"})
    response = client.post(f"/rosters/new?budget={w.budget_a}", data=bad)
    assert response.status_code == 400 and 'value="-5"' in response.get_data(as_text=True)
    assert count() == 1


def test_privacy_purchaser_sees_a_roster_only_once_shared(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    purchaser = log_in(app.test_client(), "a_prep")
    other_contractor = log_in(app.test_client(), "d_user")
    other_purchaser = log_in(app.test_client(), "b_prep")
    assert purchaser.get(f"/rosters/{roster_id}").status_code == 404
    assert "SG-001" not in purchaser.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    contractor.post(f"/rosters/{roster_id}/share")
    assert purchaser.get(f"/rosters/{roster_id}").status_code == 200
    assert purchaser.post(f"/rosters/{roster_id}/edit", data={}).status_code == 403
    assert other_contractor.get(f"/rosters/{roster_id}").status_code == 404
    assert other_purchaser.get(f"/rosters/{roster_id}").status_code == 404
    for guess in (roster_id + 1, 999):
        assert other_contractor.get(f"/rosters/{guess}").status_code == 404
    assert other_contractor.get(f"/rosters/new?budget={w.budget_a}").status_code == 404
    actions = [e.action for e in db.session.scalars(select(AuditEntry))]
    assert "roster_share" in actions


def test_export_is_a_workbook_whose_text_cannot_run(app, client):
    w = world.build()
    log_in(client, "c_user")
    evil = person(**{"姓名或工号": '=HYPERLINK("http://x","y")', "岗位": "@SUM(A1)"})
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    writer.writerow([evil.get(h, "") for h in HEADERS])
    response = upload(client, f"/rosters/import?budget={w.budget_a}", text.getvalue().encode(), "r.csv")
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    exported = client.get(f"/rosters/{roster_id}/export.xlsx")
    assert exported.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(exported.data))
    cell = book["人员核对"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert book["人员核对"]["B2"].data_type == "s"
    assert "export" in [e.action for e in db.session.scalars(select(AuditEntry))]


def test_check_api(client):
    body = {"budget": SAMPLE, "roster": [{"id": "A", "post": "社会工作者", "level": "junior",
                                         "certificate": "assistant_social_worker", "monthly_pay": "4300.00"}]}
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == 200 and response.json["totals"]["people"] == 1
    response = client.post("/api/v1/check", json={"budget": SAMPLE, "roster": [{"id": "A"}]})
    assert response.status_code == 400
    assert {e["path"] for e in response.json["errors"]} >= {"roster[0].post", "roster[0].monthly_pay"}
    response = client.post("/api/v1/check", json={"budget": SAMPLE, "roster": body["roster"] * 2})
    assert response.status_code == 400
    assert response.json["errors"] == [{"path": "roster[1].id", "message": "「A」与第 1 行重复", "code": "duplicate_id"}]


def test_after_an_unshare_the_contractor_cannot_recheck_against_the_budget(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    share = db.session.scalar(select(BudgetShare).where(BudgetShare.budget_id == w.budget_a))
    log_in(app.test_client(), "a_prep").post(f"/budgets/{w.budget_a}/unshare/{share.id}", data={"revision": "1"})
    assert contractor.get(f"/rosters/{roster_id}").status_code == 200          # their own report stays
    assert contractor.get(f"/rosters/{roster_id}/edit").status_code == 403
    assert contractor.post(f"/rosters/{roster_id}/recheck").status_code == 403
    assert upload(contractor, f"/rosters/{roster_id}/import", roster_file([person()])).status_code == 403


def test_rosters_are_checked_against_the_approved_revision(app, client):
    w = world.build()
    preparer = log_in(app.test_client(), "a_prep")
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"})
    log_in(app.test_client(), "a_appr").post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"})
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "personnel-1-monthly_pay": "8765.43"})
    log_in(client, "c_user")
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    page = client.get(response.location).get_data(as_text=True)
    assert "按预算修订 1 核对" in page and "8,765.43" not in page


def test_the_roster_preview_is_the_contractors_own_and_checks_as_saving_does(app, client):
    w = world.build()
    fields = {"name": "方案", "roster-0-id": "S1", "roster-0-post": "社会工作者", "roster-0-category": "community",
              "roster-0-level": "junior", "roster-0-certificate": "none", "roster-0-monthly_pay": "4,300"}
    contractor = log_in(client, "c_user")
    body = contractor.post(f"/rosters/preview?budget={w.budget_a}", data=fields).get_json()
    assert body["ok"] is True and body["totals"]["people"] == "1" and body["totals"]["fail"] == "1"
    assert [(f["code"], f["row"]) for f in body["findings"] if f["row"]] == [("CERTIFICATE_BELOW_LEVEL", ["roster", 0])]
    body = contractor.post(f"/rosters/preview?budget={w.budget_a}", data=fields | {"roster-0-monthly_pay": "abc"}).get_json()
    assert body["ok"] is False and body["errors"][0]["field"] == "roster-0-monthly_pay"
    # a budget not shared with this contractor, another contractor, a purchaser: nothing to see
    assert contractor.post(f"/rosters/preview?budget={w.budget_b}", data=fields).status_code == 404
    assert log_in(app.test_client(), "d_user").post(f"/rosters/preview?budget={w.budget_a}",
                                                    data=fields).status_code == 404
    assert log_in(app.test_client(), "a_prep").post(f"/rosters/preview?budget={w.budget_a}",
                                                    data=fields).status_code == 403


def test_a_roster_is_checked_against_the_shared_revision_not_a_later_draft(app, client):
    w = world.build()
    preparer = log_in(app.test_client(), "a_prep")
    draft = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "9000.00"}
    assert preparer.post(f"/budgets/{w.budget_a}/edit", data=draft).status_code == 302      # revision 2, not shared
    log_in(client, "c_user")
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    item = db.session.get(Roster, roster_id)
    assert item.latest.budget_revision == 1
    report = json.loads(item.latest.result_json)
    shared = json.loads(db.session.scalar(select(Revision.result_json).where(Revision.budget_id == w.budget_a,
                                                                             Revision.number == 1)))
    assert report["totals"]["budget_personnel"] == shared["totals"]["personnel"]


def test_a_blank_category_stays_the_budget_posts_through_an_edit(app, client):
    w = world.build()
    log_in(client, "c_user")
    # 类别 left blank: 社会工作者 is a 老年 post in the budget, and the report says so
    response = upload(client, f"/rosters/import?budget={w.budget_a}",
                      roster_file([person(**{"类别": "", "职业津贴": ""})]))
    assert response.status_code == 302
    item = db.session.scalar(select(Roster))
    assert "category" not in json.loads(item.latest.roster_json)[0]
    assert "老年 · 初级 · 助理社会工作师" in client.get(response.location).get_data(as_text=True)
    cost = json.loads(item.latest.result_json)["totals"]["roster_cost"]
    # the edit form keeps it blank (同预算岗位), so saving it unchanged is no change at all
    page = client.get(f"/rosters/{item.id}/edit").get_data(as_text=True)
    select_html = page[page.index('name="roster-0-category"'):]
    assert '<option selected value="">同预算岗位</option>' in select_html[:select_html.index("</select>")]
    form = {"name": item.name, "version": str(item.version), "revision": "1", "roster-0-id": "SG-001",
            "roster-0-post": "社会工作者", "roster-0-category": "", "roster-0-level": "junior", "roster-0-certificate": "assistant_social_worker",
            "roster-0-monthly_pay": "4300.00"}
    refused = client.post(f"/rosters/{item.id}/edit", data=form)
    assert refused.status_code == 409 and "没有修改：与当前的版本 1 相同" in refused.get_data(as_text=True)
    db.session.refresh(item)
    assert item.version == 1 and json.loads(item.latest.result_json)["totals"]["roster_cost"] == cost
    # a real change keeps the category blank too
    assert client.post(f"/rosters/{item.id}/edit", data=form | {"roster-0-monthly_pay": "4400.00"}).status_code == 302
    db.session.refresh(item)
    assert item.version == 2 and "category" not in json.loads(item.latest.roster_json)[0]


def oversized(client, url, name="花名册.csv", size=7 * 1024 * 1024):
    """Status and page of a large upload. The test client keeps a body this large in a temporary file,
    which it closes only after following redirects: closed here."""
    response = upload(client, url, b"a" * size, name)
    response.request.input_stream.close()
    return response.status_code, response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_gets_the_import_page_with_the_size_and_the_form(app, client):
    w = world.build()
    log_in(client, "c_user")
    status, page = oversized(client, f"/rosters/import?budget={w.budget_a}")
    assert status == 413 and "未导入任何人员" in page
    assert "文件：文件过大（7.0 MB），最多 5 MB；请删去多余的工作表和图片，或另存为 .csv 后再导入" in page
    assert f'action="/rosters/import?budget={w.budget_a}"' in page and 'type="file"' in page
    assert 'href="/rosters/">返回</a>' in page and "Traceback" not in page
    item = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file([person()])).location
    roster_id = int(item.rsplit("/", 1)[1])
    status, page = oversized(client, f"/rosters/{roster_id}/import", "花名册.xlsx")
    assert status == 413 and f'action="/rosters/{roster_id}/import"' in page
    assert f'href="/rosters/{roster_id}">返回</a>' in page and count() == 1
    # a file between the 5 MB limit and the request's 6 MB is refused by the reader, in the same words
    status, page = oversized(client, f"/rosters/import?budget={w.budget_a}", size=5 * 1024 * 1024 + 1)
    assert status == 400 and "文件：文件过大（5.0 MB），最多 5 MB；" in page


def test_an_oversized_upload_elsewhere_or_signed_out_gets_the_plain_error_page(app, client):
    w = world.build()
    status, page = oversized(client, f"/rosters/import?budget={w.budget_a}")
    assert status == 413 and "提交的内容过大" in page
    log_in(client, "c_user")
    status, page = oversized(client, f"/rosters/new?budget={w.budget_a}")
    assert status == 413 and "提交的内容过大" in page and "未导入任何人员" not in page
    status, page = oversized(log_in(app.test_client(), "a_prep"), f"/rosters/import?budget={w.budget_a}")
    assert status in (403, 404) and "未导入任何人员" not in page
