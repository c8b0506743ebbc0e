"""Shares are snapshots: each save is a numbered version, the purchaser sees the version shared with it and
nothing later, both sides see the history they may see, a share can be withdrawn and an unshared roster deleted."""
import io
import re

import openpyxl
from sqlalchemy import select

from costing.models import AuditEntry, BudgetShare, Roster, db

from . import world
from .test_rosters import HEADERS, person, roster_file, upload
from .world import log_in


def _imported(client, w, rows, name="花名册.xlsx"):
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file(rows), name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").split("/")[-1])


def _share(client, roster_id):
    assert client.post(f"/rosters/{roster_id}/share").status_code == 302


def test_a_reimport_after_sharing_is_a_draft_the_purchaser_does_not_see(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()], "第一稿.xlsx")
    _share(contractor, roster_id)
    again = upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"月应发工资": "4876.00"})]),
                   "第二稿.xlsx")
    assert again.status_code == 302
    item = db.session.get(Roster, roster_id)
    assert (item.version, item.shared_number) == (2, 1)
    # the title does not name a file; each version says where it came from
    assert "第一稿" not in item.name and [v.source for v in item.versions] == ["导入 第一稿.xlsx", "导入 第二稿.xlsx"]
    mine = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "共享后已修改：采购人看到的是版本 1" in mine and "4,876.00" in mine and "共享版本 2（替换采购人看到的版本 1）" in mine

    purchaser = log_in(app.test_client(), "a_prep")
    theirs = purchaser.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "4,300.00" in theirs and "4,876.00" not in theirs and "采购人看到的版本" in theirs
    assert purchaser.get(f"/rosters/{roster_id}?version=2").status_code == 404
    assert purchaser.get(f"/rosters/{roster_id}/export.xlsx?version=2").status_code == 404
    history = purchaser.get(f"/rosters/{roster_id}/history").get_data(as_text=True)
    assert "版本 1" in history and "版本 2" not in history and "第二稿" not in history
    budget_page = purchaser.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert re.search(r"版本 1</td>", budget_page) and "版本 2" not in budget_page

    # shared again: the purchaser sees version 2, and both histories say what changed
    _share(contractor, roster_id)
    theirs = purchaser.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "4,876.00" in theirs
    history = purchaser.get(f"/rosters/{roster_id}/history").get_data(as_text=True)
    assert "修改「SG-001」：月应发工资 4,300.00 → 4,876.00" in history
    assert contractor.post(f"/rosters/{roster_id}/share").status_code == 302       # refused: already shared
    actions = [(e.action, e.detail) for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.target == f"roster:{roster_id}"))]
    assert any(a == "roster_share" and d.startswith("版本 2 共享给") and d.endswith("（替换版本 1）") for a, d in actions)


def test_a_withdrawn_share_is_gone_for_the_purchaser_and_kept_for_the_contractor(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    _share(contractor, roster_id)
    purchaser = log_in(app.test_client(), "a_prep")
    assert purchaser.get(f"/rosters/{roster_id}").status_code == 200
    assert contractor.post(f"/rosters/{roster_id}/withdraw").status_code == 302
    assert purchaser.get(f"/rosters/{roster_id}").status_code == 404
    assert purchaser.get(f"/rosters/{roster_id}/history").status_code == 404
    assert f"/rosters/{roster_id}" not in purchaser.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    history = contractor.get(f"/rosters/{roster_id}/history").get_data(as_text=True)
    assert "曾共享" in history and "撤回" in history
    # shown once, it cannot be deleted, only withdrawn
    contractor.post(f"/rosters/{roster_id}/delete")
    assert db.session.get(Roster, roster_id) is not None
    assert "roster_withdraw" in [e.action for e in db.session.scalars(select(AuditEntry))]


def test_an_unshared_roster_can_be_deleted_with_its_versions(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"月应发工资": "4500.00"})]))
    response = contractor.post(f"/rosters/{roster_id}/delete")
    assert response.status_code == 302 and response.location.endswith("/rosters/")
    assert db.session.get(Roster, roster_id) is None
    assert "roster_delete" in [e.action for e in db.session.scalars(select(AuditEntry))]
    # nobody else may
    other = _imported(contractor, w, [person()])
    assert log_in(app.test_client(), "a_prep").post(f"/rosters/{other}/delete").status_code == 404


def test_a_file_on_a_rosters_page_replaces_it_or_starts_a_new_one(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    response = contractor.post(f"/rosters/{roster_id}/import", data={
        "mode": "new", "revision": "1", "file": (io.BytesIO(roster_file([person(**{"月应发工资": "4600.00"})])), "b.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    new_id = int(response.location.rstrip("/").split("/")[-1])
    assert new_id != roster_id and db.session.get(Roster, roster_id).version == 1
    # the same file again is no new version
    same = upload(contractor, f"/rosters/{new_id}/import", roster_file([person(**{"月应发工资": "4600.00"})]))
    assert same.status_code == 400 and "没有修改" in same.get_data(as_text=True)


def test_a_person_paid_under_the_budget_for_the_post_is_non_compliant_everywhere_and_named(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    # the person is lawful (above every floor), but paid under what the budget funds for 社会工作者
    roster_id = _imported(contractor, w, [person(**{"月应发工资": "4000.00"})])
    page = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "总体结论：<span class=\"status status-fail\">不合规</span>" in page
    assert "人员 1 项" in page and "参数集" not in page and "roster[" not in page and "comparison[" not in page
    # the filter points at the person responsible
    issues = contractor.get(f"/rosters/{roster_id}?show=issues").get_data(as_text=True)
    assert "只看不合规与需关注（1 人）" in issues and "<td>SG-001</td>" in issues
    _share(contractor, roster_id)
    listing = log_in(app.test_client(), "a_prep").get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "status-fail\">不合规" in listing


def test_findings_name_the_file_row(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    book.active.append([])                      # row 2 left empty
    book.active.append([person(**{"月应发工资": "2000.00"}).get(h, "") for h in HEADERS])   # row 3
    out = io.BytesIO()
    book.save(out)
    roster_id = _imported_bytes(contractor, w, out.getvalue())
    page = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "第 3 行" in page and "第 1 人" not in page


def _imported_bytes(client, w, data):
    response = upload(client, f"/rosters/import?budget={w.budget_a}", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").split("/")[-1])


def test_a_withdrawn_version_never_comes_back_when_a_later_one_is_shared(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person(**{"姓名或工号": "旧人"})])
    _share(contractor, roster_id)
    assert contractor.post(f"/rosters/{roster_id}/withdraw").status_code == 302
    upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"姓名或工号": "新人"})]))
    _share(contractor, roster_id)
    purchaser = log_in(app.test_client(), "a_prep")
    assert "新人" in purchaser.get(f"/rosters/{roster_id}").get_data(as_text=True)
    for url in (f"/rosters/{roster_id}?version=1", f"/rosters/{roster_id}/roster.xlsx?version=1",
                f"/rosters/{roster_id}/export.xlsx?version=1"):
        assert purchaser.get(url).status_code == 404
    assert "旧人" not in purchaser.get(f"/rosters/{roster_id}/history").get_data(as_text=True)


def test_a_name_is_part_of_the_version_the_purchaser_sees(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    _share(contractor, roster_id)
    item = db.session.get(Roster, roster_id)
    form = {"name": "草稿名：拟降薪", "version": "1", "revision": "1", "roster-0-id": "SG-001", "roster-0-post": "社会工作者",
            "roster-0-category": "elderly", "roster-0-level": "junior", "roster-0-certificate": "assistant_social_worker",
            "roster-0-monthly_pay": "4300.00", "roster-0-monthly_allowance": "200.00"}
    # a new name alone is a change: version 2, which the purchaser does not see
    assert contractor.post(f"/rosters/{roster_id}/edit", data=form).status_code == 302
    db.session.refresh(item)
    assert item.version == 2 and item.latest.name == "草稿名：拟降薪"
    purchaser = log_in(app.test_client(), "a_prep")
    for url in (f"/rosters/{roster_id}", f"/budgets/{w.budget_a}", "/rosters/"):
        assert "拟降薪" not in purchaser.get(url).get_data(as_text=True), url
    assert "拟降薪" in contractor.get(f"/rosters/{roster_id}/history").get_data(as_text=True)


def test_a_stale_import_or_share_does_not_pass_over_a_colleagues_save(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"月应发工资": "4500.00"})]))  # version 2
    # a page opened at version 1: its file and its share are refused
    stale = contractor.post(f"/rosters/{roster_id}/import", data={
        "version": "1", "revision": "1", "file": (io.BytesIO(roster_file([person(**{"月应发工资": "4700.00"})])), "a.xlsx")},
        content_type="multipart/form-data")
    assert stale.status_code == 400 and "他人已修改了这份薪酬方案" in stale.get_data(as_text=True)
    contractor.post(f"/rosters/{roster_id}/share", data={"revision": "1"})
    item = db.session.get(Roster, roster_id)
    assert (item.version, item.shared_number) == (2, None)
    assert contractor.post(f"/rosters/{roster_id}/share", data={"revision": "2"}).status_code == 302
    db.session.refresh(item)
    assert item.shared_number == 2


def test_drafts_after_a_share_can_be_discarded(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    _share(contractor, roster_id)
    for pay in ("4500.00", "4600.00"):
        upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"月应发工资": pay})]))
    assert contractor.post(f"/rosters/{roster_id}/discard").status_code == 302
    item = db.session.get(Roster, roster_id)
    assert [v.number for v in item.versions] == [1] and item.version == 1 and item.shared_number == 1
    assert "放弃未共享的版本 2、3，回到版本 1" in [e.detail for e in db.session.scalars(select(AuditEntry))]
    # the next save is version 2 again
    upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"月应发工资": "4700.00"})]))
    db.session.refresh(item)
    assert item.version == 2


def test_the_owner_can_withdraw_after_the_purchaser_stops_sharing_the_budget(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = _imported(contractor, w, [person()])
    _share(contractor, roster_id)
    purchaser = log_in(app.test_client(), "a_prep")
    share_id = db.session.scalar(select(BudgetShare.id).where(BudgetShare.budget_id == w.budget_a))
    assert purchaser.post(f"/budgets/{w.budget_a}/unshare/{share_id}", data={"revision": "1"}).status_code == 302
    assert "撤回共享" in contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert contractor.post(f"/rosters/{roster_id}/withdraw").status_code == 302
    assert purchaser.get(f"/rosters/{roster_id}").status_code == 404
    assert "撤回共享薪酬方案" in log_in(app.test_client(), "admin").get("/admin/audit").get_data(as_text=True)


def test_each_new_roster_of_a_budget_has_its_own_name_and_an_unchanged_file_is_said_so(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    first = _imported(contractor, w, [person()])
    second = _imported(contractor, w, [person(**{"月应发工资": "4500.00"})])
    names = [db.session.get(Roster, i).name for i in (first, second)]
    assert names[0].endswith("薪酬方案") and names[1] == names[0] + "（第 2 份）"
    same = upload(contractor, f"/rosters/{second}/import", roster_file([person(**{"月应发工资": "4500.00"})]))
    page = same.get_data(as_text=True)
    assert same.status_code == 400 and "未导入：没有修改：与当前的版本 1 相同" in page and "处问题" not in page
