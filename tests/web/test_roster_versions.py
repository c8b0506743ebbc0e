"""Shares are snapshots: each save is a numbered version, the purchaser sees the version shared with it and
nothing later, both sides see the history they may see, a share can be withdrawn and an unshared roster deleted."""
import io
import re

import openpyxl
from sqlalchemy import select

from costing.models import AuditEntry, Roster, db

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
        "mode": "new", "file": (io.BytesIO(roster_file([person(**{"月应发工资": "4600.00"})])), "b.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    new_id = int(response.location.rstrip("/").split("/")[-1])
    assert new_id != roster_id and db.session.get(Roster, roster_id).version == 1
    # the same file again is no new version
    same = upload(contractor, f"/rosters/{new_id}/import", roster_file([person(**{"月应发工资": "4600.00"})]))
    assert same.status_code == 400 and "没有修改" in same.get_data(as_text=True)


def test_a_verdict_with_only_a_post_level_error_is_non_compliant_everywhere(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    # every person is lawful, but 社会工作者 is paid under what the budget funds for the post
    roster_id = _imported(contractor, w, [person(**{"月应发工资": "4000.00"})])
    page = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "总体结论：<span class=\"status status-fail\">不合规</span>" in page
    assert "岗位 1 项" in page and "参数集" not in page and "roster[" not in page and "comparison[" not in page
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
