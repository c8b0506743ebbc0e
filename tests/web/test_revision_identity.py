"""Every page, download, copy and check names the revision it is about; nothing a person did not choose falls back
to the latest revision (issue #19)."""
import io
import re

import pytest
from sqlalchemy import func, select

from costing.models import AuditEntry, Budget, BudgetShare, Revision, Roster, db

from . import world
from .test_rosters import person, roster_file, upload
from .world import form_fields, log_in, sample


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def approved_then_renamed(app) -> tuple[world.World, object, object]:
    """Budget A: revision 1 approved as 「A 项目」, then revision 2, a draft renamed 「改名后的草稿」 with other pay."""
    w = world.build()
    preparer, approver = log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "a_appr")
    assert preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"}).status_code == 302
    assert approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"}).status_code == 302
    draft = form_fields(sample(name="改名后的草稿")) | {"base_revision": "1", "personnel-0-monthly_pay": "6543.21"}
    assert preparer.post(f"/budgets/{w.budget_a}/edit", data=draft).status_code == 302
    return w, preparer, approver


def test_the_verify_page_shows_what_the_verified_revision_printed_and_no_later_draft(app, client):
    w, preparer, _ = approved_then_renamed(app)
    first = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 1))
    page = text(client.get(f"/verify/{first.verify_code}"))            # anyone, not signed in
    assert "此核验码与以下预算修订相符" in page
    assert "项目名称 A 项目" in page and "改名后的草稿" not in page
    assert "修订 1" in page and "修订 2" not in page and "此后还有修订" not in page
    assert f"预算总额（元） {first.grand_total:,.2f}" in page
    assert "大写 人民币" in page and "服务期 2025-07 至 2026-06" in page
    assert "甲方 渝北区民政局" in page and "乙方 和光社工中心" in page
    assert "已审核：A 审核" in page
    # the draft's own code reads as the draft it is, with its own name
    second = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 2))
    page = text(client.get(f"/verify/{second.verify_code}"))
    assert "项目名称 改名后的草稿" in page and "未经审核，不应作为合同附件" in page


def test_copy_copies_the_revision_on_screen_and_the_copy_says_where_it_came_from(app, client):
    w, preparer, _ = approved_then_renamed(app)
    page = preparer.get(f"/budgets/{w.budget_a}?revision=1").get_data(as_text=True)
    assert "复制修订 1 为新预算" in page
    response = preparer.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "1"})
    copy_id = int(response.location.rstrip("/").split("/")[-1])
    assert "已复制修订 1 为新的草稿" in preparer.get(response.location).get_data(as_text=True)
    copy = db.session.get(Budget, copy_id)
    assert copy.name == "A 项目（副本）" and (copy.copied_from_id, copy.copied_from_revision) == (w.budget_a, 1)
    source = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 1))
    assert copy.grand_total == source.grand_total
    assert "6,543.21" not in text(preparer.get(f"/budgets/{copy_id}"))
    shown = preparer.get(f"/budgets/{copy_id}").get_data(as_text=True)
    assert f'复制自《<a href="/budgets/{w.budget_a}?revision=1">A 项目</a>》修订 1' in shown
    assert copy.latest.note == "复制自《A 项目》修订 1"
    # copying the draft on screen copies the draft
    response = preparer.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "2"})
    assert db.session.get(Budget, int(response.location.split("/")[-1])).name == "改名后的草稿（副本）"
    # a copy of a copy whose source is then deleted still says which revision it came from
    response = preparer.post(f"/budgets/{copy_id}/duplicate", data={"revision": "1"})
    grandchild = int(response.location.split("/")[-1])
    assert preparer.post(f"/budgets/{copy_id}/delete", data={"revision": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Budget, copy_id) is None
    assert db.session.get(Budget, grandchild).copied_from_id is None
    assert "复制自一份已删除的预算（其修订 1）" in text(preparer.get(f"/budgets/{grandchild}"))


def _submitted(app):
    w = world.build()
    log_in(app.test_client(), "a_prep").post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"})
    return w


ACTIONS = [("a_prep", "submit", {"confirm": "y"}, False), ("a_appr", "approve", {"confirm": "y"}, True),
           ("a_appr", "return", {"reason": "人数不对"}, True), ("a_prep", "recompute", {}, False),
           ("a_prep", "exceptions", {}, False), ("a_prep", "duplicate", {}, False), ("a_prep", "delete", {}, False),
           ("a_prep", "share", {"contractor": "D"}, False), ("a_prep", "unshare", {}, False)]


@pytest.mark.parametrize("user,action,data,submitted", ACTIONS, ids=[a[1] for a in ACTIONS])
@pytest.mark.parametrize("revision", [None, "abc"], ids=["missing", "malformed"])
def test_an_action_that_does_not_say_which_revision_is_refused_and_changes_nothing(app, user, action, data,
                                                                                   submitted, revision):
    w = _submitted(app) if submitted else world.build()
    client = log_in(app.test_client(), user)
    data = dict(data)
    if data.get("contractor"):
        data["contractor"] = str(world.org_id("同心社工中心"))
    if revision is not None:
        data["revision"] = revision
    url = f"/budgets/{w.budget_a}/{action}"
    if action == "unshare":
        url += f"/{db.session.scalar(select(BudgetShare.id).where(BudgetShare.budget_id == w.budget_a))}"
    counts = [db.session.scalar(select(func.count()).select_from(model)) for model in (Budget, Revision, BudgetShare,
                                                                                       AuditEntry)]
    status = db.session.get(Budget, w.budget_a).status
    response = client.post(url, data=data)
    assert response.status_code == 400
    said = text(response)
    assert ("页面没有说明操作的是哪一个修订" if revision is None else "页面提交的修订号无效") in said and "返回预算" in said
    db.session.expire_all()
    assert db.session.get(Budget, w.budget_a).status == status
    assert [db.session.scalar(select(func.count()).select_from(model))
            for model in (Budget, Revision, BudgetShare, AuditEntry)] == counts


def test_a_stale_revision_is_refused_for_every_action_that_acts_on_the_latest(app, client):
    w = world.build()
    preparer = log_in(client, "a_prep")
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "personnel-0-monthly_pay": "6000.00"})
    for action in ("submit", "delete"):
        response = preparer.post(f"/budgets/{w.budget_a}/{action}", data={"revision": "1", "confirm": "y"},
                                 follow_redirects=True)
        assert "您看到的是修订 1，最新的是修订 2" in text(response), action
    assert db.session.get(Budget, w.budget_a).status == "draft"


def test_the_history_shows_the_return_reason_on_the_revision_that_was_returned(app, client):
    w = _submitted(app)
    approver = log_in(app.test_client(), "a_appr")
    approver.post(f"/budgets/{w.budget_a}/return", data={"reason": "督导小时数偏多", "revision": "1"})
    preparer = log_in(client, "a_prep")
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "costs-0-quantity": "12"})
    preparer.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "2"})
    history = text(preparer.get(f"/budgets/{w.budget_a}/history"))
    row_1 = history[history.index("修订 1 A 编制"):]
    assert "A 审核 于" in row_1 and "退回，原因：督导小时数偏多" in row_1
    assert history.count("督导小时数偏多") == 1                 # on revision 1, not on revision 2
    # the returned revision's own page says so too, after the budget moved on
    assert "修订 1 曾被退回" in text(preparer.get(f"/budgets/{w.budget_a}?revision=1"))
    # the resubmitted revision says what it answers, for its approver
    page = text(log_in(app.test_client(), "a_appr").get(f"/budgets/{w.budget_a}?revision=2"))
    assert "此前修订 1 被退回：A 审核 于" in page and "原因：督导小时数偏多。本修订的说明：" in page


def test_a_contractor_lists_and_checks_rosters_against_the_newest_revision_shared_with_it(app, client):
    w, preparer, _ = approved_then_renamed(app)
    contractor = log_in(client, "c_user")
    assert "A 项目" in text(contractor.get("/budgets/")) and "改名后的草稿" not in text(contractor.get("/budgets/"))
    assert "A 项目" in text(contractor.get("/rosters/"))
    preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("和光社工中心")),
                                                        "revision": "2"})
    assert "改名后的草稿" in text(contractor.get("/budgets/"))
    page = text(contractor.get(f"/budgets/{w.budget_a}?revision=1"))
    assert "采购人此后共享了修订 2" in page and "共享给本单位的修订：修订 1、 修订 2" in page
    # the purchaser's page lists each revision shared, each with its own withdrawal
    page = text(preparer.get(f"/budgets/{w.budget_a}"))
    assert "和光社工中心 修订 1（" in page and "修订 2（" in page and page.count("撤回") >= 2


def test_sharing_the_same_revision_twice_is_refused_not_an_error(app, client):
    w = world.build()
    preparer = log_in(client, "a_prep")
    response = preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("和光社工中心")),
                                                                   "revision": "1"}, follow_redirects=True)
    assert response.status_code == 200 and "修订 1 已共享给 和光社工中心" in text(response)
    assert db.session.scalar(select(func.count()).select_from(BudgetShare)) == 1
    # a revision that does not exist is not shared
    response = preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("同心社工中心")),
                                                                   "revision": "9"}, follow_redirects=True)
    assert db.session.scalar(select(func.count()).select_from(BudgetShare)) == 1


def test_a_roster_is_rechecked_against_the_revision_its_page_names(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    preparer = log_in(app.test_client(), "a_prep")
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "personnel-0-monthly_pay": "6000.00"})
    # a draft the contractor was not shown changes nothing for it
    assert "重新核对" not in text(contractor.get(f"/rosters/{roster_id}"))
    preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("和光社工中心")),
                                                        "revision": "2"})
    page = text(contractor.get(f"/rosters/{roster_id}"))
    assert "采购人共享给本单位的预算修订现在是修订 2，本报告按修订 1 核对" in page and "按修订 2 重新核对" in page
    assert "保存时按采购人共享给本单位的修订 2 核对（上一版本按修订 1 核对）" in text(contractor.get(f"/rosters/{roster_id}/edit"))
    response = contractor.post(f"/rosters/{roster_id}/recheck", data={"revision": "1"}, follow_redirects=True)
    assert "采购人共享给本单位的修订已变为修订 2（页面上是修订 1）" in text(response)
    assert db.session.get(Roster, roster_id).latest.budget_revision == 1
    contractor.post(f"/rosters/{roster_id}/recheck", data={"revision": "2"})
    db.session.expire_all()
    assert db.session.get(Roster, roster_id).latest.budget_revision == 2


def _shared_again(app, w):
    """Budget A's revision 2 (other pay) shared with contractor C, which had revision 1."""
    preparer = log_in(app.test_client(), "a_prep")
    preparer.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="A 项目")) | {
        "base_revision": "1", "personnel-0-monthly_pay": "6000.00"})
    preparer.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(world.org_id("和光社工中心")),
                                                        "revision": "2"})


ROSTER_FIELDS = {"name": "2025 方案", "roster-0-id": "SG-001", "roster-0-post": "社会工作者",
                 "roster-0-level": "junior", "roster-0-certificate": "assistant_social_worker",
                 "roster-0-monthly_pay": "4321.00"}


def _hidden_revision(html: str, form_start: str) -> str | None:
    """The ``revision`` a page's form (the first from ``form_start`` on) posts."""
    form = html[html.index(form_start):]
    found = re.search(r'name="revision" value="(\d+)"', form[:form.index("</form>")])
    return found.group(1) if found else None


def test_every_page_that_saves_a_roster_names_the_revision_it_is_checked_against(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    assert _hidden_revision(contractor.get(f"/budgets/{w.budget_a}").get_data(as_text=True), '<form class="upload"') == "1"
    new = contractor.get(f"/rosters/new?budget={w.budget_a}").get_data(as_text=True)
    assert _hidden_revision(new, 'id="roster-form"') == "1" and _hidden_revision(new, '<form class="upload"') == "1"
    assert "按采购人共享给本单位的修订 1 核对" in text(contractor.get(f"/budgets/{w.budget_a}"))
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    _shared_again(app, w)
    assert _hidden_revision(contractor.get(f"/rosters/{roster_id}/edit").get_data(as_text=True),
                            'id="roster-form"') == "2"
    shown = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert _hidden_revision(shown, '<form class="upload"') == "2"
    assert _hidden_revision(shown, f'action="/rosters/{roster_id}/recheck"') == "2"


@pytest.mark.parametrize("revision", [None, "abc"], ids=["missing", "malformed"])
def test_a_roster_save_or_recheck_that_names_no_revision_is_refused_and_saves_nothing(app, client, revision):
    """Found in review: a recheck without ``revision`` checked against whatever was shared now, and a save named
    none at all."""
    w = world.build()
    contractor = log_in(client, "c_user")
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    _shared_again(app, w)
    named = {} if revision is None else {"revision": revision}
    said = "页面没有说明按预算的哪一个修订核对" if revision is None else "页面提交的修订号无效"
    answers = [
        contractor.post(f"/rosters/{roster_id}/recheck", data=named),
        contractor.post(f"/rosters/{roster_id}/edit", data=ROSTER_FIELDS | {"version": "1"} | named),
        contractor.post(f"/rosters/new?budget={w.budget_a}", data=ROSTER_FIELDS | named),
        contractor.post(f"/rosters/{roster_id}/import", data={
            "version": "1", "file": (io.BytesIO(roster_file([person(月应发工资="4321.00")])), "a.xlsx")} | named,
            content_type="multipart/form-data"),
        contractor.post(f"/rosters/import?budget={w.budget_a}", data={
            "file": (io.BytesIO(roster_file([person(月应发工资="4321.00")])), "b.xlsx")} | named,
            content_type="multipart/form-data")]
    for response in answers:
        assert response.status_code == 400 and said in text(response), response.request.path
    assert "返回薪酬方案" in text(answers[0])
    assert 'value="4321.00"' in answers[1].get_data(as_text=True)         # the form again, as typed
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Roster)) == 1
    assert db.session.get(Roster, roster_id).version == 1


def test_a_roster_saved_from_a_page_opened_before_a_newer_revision_was_shared_is_not_saved(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    _shared_again(app, w)                                    # the pages below were opened at revision 1
    stale = "采购人共享给本单位的修订已变为修订 2（页面上是修订 1），未做任何修改"
    response = contractor.post(f"/rosters/{roster_id}/edit", data=ROSTER_FIELDS | {"version": "1", "revision": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and stale in text(response) and 'value="4321.00"' in page
    assert _hidden_revision(page, 'id="roster-form"') == "2"            # the form again names what it now shows
    response = contractor.post(f"/rosters/new?budget={w.budget_a}", data=ROSTER_FIELDS | {"revision": "1"})
    assert response.status_code == 409 and stale in text(response)
    for url in (f"/rosters/{roster_id}/import", f"/rosters/import?budget={w.budget_a}"):
        response = upload(contractor, url, roster_file([person(月应发工资="4321.00")]))
        assert response.status_code == 400 and stale in text(response), url
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Roster)) == 1
    item = db.session.get(Roster, roster_id)
    assert (item.version, item.latest.budget_revision) == (1, 1)
    # saved again from the page as it now is: checked against revision 2
    response = contractor.post(f"/rosters/{roster_id}/edit", data=ROSTER_FIELDS | {"version": "1", "revision": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Roster, roster_id).latest.budget_revision == 2


def test_a_withdrawal_names_the_revision_whose_share_it_withdraws(app, client):
    w = world.build()                                       # revision 1 shared with C
    preparer = log_in(client, "a_prep")
    share_id = db.session.scalar(select(BudgetShare.id).where(BudgetShare.budget_id == w.budget_a))
    response = preparer.post(f"/budgets/{w.budget_a}/unshare/{share_id}", data={"revision": "2"},
                             follow_redirects=True)
    assert "这项共享是修订 1 的，页面说的是修订 2：未撤回" in text(response)
    assert db.session.scalar(select(func.count()).select_from(BudgetShare)) == 1
    page = preparer.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert f'/unshare/{share_id}"' in page and 'name="revision" value="1"><button class="link-button"' in page


def test_a_page_or_a_download_asked_for_a_revision_that_is_no_number_is_not_the_latest(app, client):
    w = world.build()
    log_in(client, "a_prep")
    for url in (f"/budgets/{w.budget_a}?revision=abc", f"/budgets/{w.budget_a}/annex.pdf?revision=1.0",
                f"/budgets/{w.budget_a}/annex-status.xlsx?revision=", f"/budgets/{w.budget_a}?revision=０"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/budgets/{w.budget_a}?revision=1").status_code == 200


def test_the_lines_an_issue_and_a_comparison_asked_for_by_no_number_are_404_not_a_default(app, client):
    """Found in review: ?revision= of the 明细表, ?issue= of an annex and ?a= ?b= of the history were read as Flask's
    type=int reads them, so 「abc」 or 「1x」 fell back to the latest revision, the latest issue, the last two."""
    w, preparer, _ = approved_then_renamed(app)
    assert preparer.get(f"/budgets/{w.budget_a}/lines.xlsx?revision=1").status_code == 200
    for url in (f"/budgets/{w.budget_a}/lines.xlsx?revision=abc", f"/budgets/{w.budget_a}/lines.xlsx?revision=2x",
                f"/budgets/{w.budget_a}/lines.xlsx?revision=9",
                f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=abc",
                f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=", f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=0",
                f"/budgets/{w.budget_a}/annex.xlsx?revision=1&issue=1.0",
                f"/budgets/{w.budget_a}/history?a=1x&b=2", f"/budgets/{w.budget_a}/history?a=abc",
                f"/budgets/{w.budget_a}/history?a=1&b=", f"/budgets/{w.budget_a}/history?a=1&b=9"):
        assert preparer.get(url).status_code == 404, url
    page = text(preparer.get(f"/budgets/{w.budget_a}/history?a=2&b=1"))
    assert "修订 2 → 修订 1 的变化" in page
    # none chosen: the last two, which the page says it compares
    assert "修订 1 → 修订 2 的变化" in text(preparer.get(f"/budgets/{w.budget_a}/history"))


def test_the_verify_page_keeps_what_the_issued_annex_printed_after_the_contract_or_sharing_changes(app, client):
    """Found trying #19: saving 合同信息 or withdrawing a share after approval changed an approved revision's verify
    page. It shows what the issued annex printed; a later issue (new contract details) is listed as such."""
    w, preparer, _ = approved_then_renamed(app)
    assert preparer.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1").status_code == 200      # issued: 乙方 C
    first = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 1))
    preparer.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "YB-2026-099", "party_a": "",
                                                           "party_b": "另一家社工机构（改后）"})
    share_id = db.session.scalar(select(BudgetShare.id).where(BudgetShare.budget_id == w.budget_a))
    preparer.post(f"/budgets/{w.budget_a}/unshare/{share_id}", data={"revision": "1"})
    assert preparer.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=2").status_code == 200
    page = text(client.get(f"/verify/{first.verify_code}"))
    before_later = page.split("其后出具的版本")[0]
    assert "乙方 和光社工中心" in before_later and "合同编号" not in before_later
    assert "第 2 版（" in page and "合同编号 YB-2026-099；甲方 渝北区民政局；乙方 另一家社工机构（改后）" in page


def test_the_verify_page_of_an_issued_annex_names_no_purchaser_renamed_since(app, client):
    """Found in review: the 采购人 row showed the organisation's name now. An issued annex prints the purchaser only
    as its 甲方, which the page shows as issued; a revision not issued yet still names its purchaser."""
    w, preparer, _ = approved_then_renamed(app)
    assert preparer.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1").status_code == 200      # issued
    admin = log_in(app.test_client(), "admin")
    assert admin.post(f"/admin/organisations/{world.org_id('渝北区民政局')}",
                      data={"name": "渝北区民政局（更名后）", "district": ""}).status_code == 302
    first, second = db.session.scalars(select(Revision).where(Revision.budget_id == w.budget_a)
                                       .order_by(Revision.number)).all()
    page = text(client.get(f"/verify/{first.verify_code}"))
    assert "甲方 渝北区民政局" in page and "更名后" not in page and "采购人" not in page
    page = text(client.get(f"/verify/{second.verify_code}"))              # a draft: as its annex would print now
    assert "采购人 渝北区民政局（更名后）" in page
