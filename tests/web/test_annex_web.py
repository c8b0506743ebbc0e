"""Annex downloads from the budget page, stored annexes of approved revisions, and /verify."""
import json
import re
import subprocess
from decimal import Decimal
from urllib.parse import unquote

from sqlalchemy import func, select

from costing.budgets import annexes, service
from costing.budgets.annexes import verify_url
from costing.models import AnnexFile, AuditEntry, Budget, ParamValue, Revision, User, db
from costing.parameters.seed import bump
from costing.web import current_parameters

from . import world
from .world import log_in


def approve(app, budget_id):
    preparer = log_in(app.test_client(), "a_prep")
    preparer.post(f"/budgets/{budget_id}/submit", data={"confirm": "y", "revision": "1"})
    log_in(app.test_client(), "a_appr").post(f"/budgets/{budget_id}/approve", data={"confirm": "y", "revision": "1"})


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", "", subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                             check=True).stdout.decode())


def test_a_draft_annex_is_marked_draft_and_stored_for_its_revision(app, client):
    w = world.build()
    log_in(client, "a_prep")
    response = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data)
    assert "草稿·未经审核" in text and "A项目预算明细表" in text and "渝北区民政局" in text
    # stored by revision (drafts too, #13): the next download serves the same bytes, rendered once
    stored = db.session.scalar(select(AnnexFile))
    assert db.session.scalar(select(func.count()).select_from(AnnexFile)) == 1 and stored.status == "done"
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").data == response.data
    assert "export" in [e.action for e in db.session.scalars(select(AuditEntry))]


def test_an_approved_annex_is_rendered_once_and_stored(app, client):
    w = world.build()
    approve(app, w.budget_a)
    log_in(client, "a_prep")
    first = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert "草稿" not in text_of(first.data) and "已审核" in text_of(first.data)
    stored = db.session.scalar(select(AnnexFile))
    assert stored.kind == "pdf" and stored.content == first.data
    second = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert second.data == first.data
    xlsx = client.get(f"/budgets/{w.budget_a}/annex.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert db.session.scalar(select(func.count()).select_from(AnnexFile)) == 2


def test_an_approved_annex_reads_the_same_after_the_policy_data_changes(app, client):
    w = world.build()
    approve(app, w.budget_a)
    log_in(client, "a_prep")
    before = text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    db.session.execute(AnnexFile.__table__.delete())      # force a fresh render from the stored figures
    # the database's confirmed pension rate changes (the set the web app computes with)
    rate = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.employer.pension")
                             .order_by(ParamValue.start.desc()).limit(1))
    rate.value = str(Decimal(rate.value) + Decimal("0.01"))
    bump(db.session)
    db.session.commit()
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    # computed again with today's figures, the budget would now read differently…
    recomputed = service.compute_contract(json.loads(revision.input_json), current_parameters())
    assert recomputed.grand_total != revision.grand_total
    # …but its approved annex is rendered from the stored figures
    after = text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    assert after == before and f"{revision.grand_total:,.2f}" in after


def test_contractors_may_download_what_is_shared_with_them(app, client):
    w = world.build()
    log_in(client, "c_user")
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 200
    other = log_in(app.test_client(), "d_user")
    assert other.get(f"/budgets/{w.budget_a}/annex.pdf").status_code == 404
    assert other.get(f"/budgets/{w.budget_a}/annex.xlsx").status_code == 404


def test_verify_tells_which_revision_a_code_belongs_to(app, client):
    w = world.build()
    approve(app, w.budget_a)
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    page = client.get(f"/verify/{revision.verify_code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "A 项目" in text and "已审核" in text and "391,818.50" in text
    assert client.get(f"/verify/{revision.verify_code.lower().replace('-', '')}").status_code == 200
    missing = client.get("/verify/AAAA-BBBB-CCCC")
    assert missing.status_code == 404 and "不匹配" in missing.get_data(as_text=True)
    assert client.get("/verify/%3Cscript%3E").status_code == 404


def test_the_printed_code_is_the_revisions_code(app, client):
    w = world.build()
    log_in(client, "a_prep")
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    assert revision.verify_code in text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    assert db.session.get(Budget, w.budget_a) is not None


def test_the_verify_link_never_comes_from_the_request_host(app, client):
    w = world.build()
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert verify_url("AAAA-BBBB-CCCC") is None
        app.config["PUBLIC_URL"] = "https://costing.example.gov.cn"
        assert verify_url("AAAA-BBBB-CCCC") == "https://costing.example.gov.cn/verify/AAAA-BBBB-CCCC"
    log_in(client, "a_prep")
    assert "https://costing.example.gov.cn/verify/" in text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)


def test_the_contract_number_and_parties_are_entered_on_the_budget_and_printed(app, client):
    w = world.build()
    approve(app, w.budget_a)
    log_in(client, "a_prep")
    first = text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    assert "和光社工中心" in first and "YB-2026-018" not in first        # 乙方: the one contractor shared with
    response = client.post(f"/budgets/{w.budget_a}/contract",
                           data={"contract_no": "YB-2026-018", "party_a": "重庆市渝北区民政局", "party_b": ""})
    assert response.status_code == 302
    again = text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)      # printed again with them
    assert "YB-2026-018" in again and "重庆市渝北区民政局" in again and "和光社工中心" in again
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    assert revision.verify_code in again.replace("-", "") or revision.verify_code.replace("-", "") in again.replace("-", "")
    # only the preparer of the purchaser enters it
    for user in ("a_appr", "c_user", "b_prep"):
        other = log_in(app.test_client(), user)
        assert other.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "X"}).status_code in (403, 404)
    assert db.session.get(Budget, w.budget_a).contract_no == "YB-2026-018"


def test_a_download_is_named_in_chinese_with_an_ascii_name_for_tools_that_read_no_other(app, client):
    w = world.build()
    log_in(client, "a_prep")
    response = client.get(f"/budgets/{w.budget_a}/annex.xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f"filename=budget-{w.budget_a}-revision-1-draft.xlsx;" in disposition
    assert "filename*=UTF-8''" in disposition and "()" not in disposition


def test_an_approved_annex_is_never_rendered_again_for_another_public_address_or_a_renamed_approver(app, client,
                                                                                                   monkeypatch):
    w = world.build()
    approve(app, w.budget_a)
    app.config["PUBLIC_URL"] = "https://a.example.gov.cn"
    log_in(client, "a_prep")
    first = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert first.status_code == 200 and "https://a.example.gov.cn/verify/" in text_of(first.data)
    rendered = []
    for kind, (mimetype, render) in list(annexes.KINDS.items()):
        monkeypatch.setitem(annexes.KINDS, kind, (mimetype, lambda result, meta, render=render:
                                                  rendered.append(meta) or render(result, meta)))
    app.config["PUBLIC_URL"] = "https://b.example.gov.cn"       # a node configured with another address
    db.session.get(User, w.users["a_appr"]).display_name = "A 审核（已调岗）"
    db.session.commit()
    again = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert again.status_code == 200 and again.data == first.data and rendered == []
    assert db.session.scalar(select(AnnexFile.content).where(AnnexFile.kind == "pdf")) == first.data
    assert client.get(f"/budgets/{w.budget_a}/annex-status.pdf").json["status"] == "done"


def test_contract_details_entered_after_approval_are_issued_anew_and_the_approved_file_stays(app, client):
    w = world.build()
    approve(app, w.budget_a)
    log_in(client, "a_prep")
    signed = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    assert "YB-2026-018" not in text_of(signed.data)
    before = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "已审核修订的附件出具后不再改动" in before
    saved = client.post(f"/budgets/{w.budget_a}/contract",
                        data={"contract_no": "YB-2026-018", "party_a": "", "party_b": ""}, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "修订 1 的附件另行出具第 2 版" in page and "第 1 版不变" in page
    reissued = client.get(f"/budgets/{w.budget_a}/annex.pdf")
    text = text_of(reissued.data)
    assert reissued.status_code == 200 and "YB-2026-018" in text and "第2版" in text and "合同信息变更后重新出具" in text
    assert "修订1-第2版.pdf" in unquote(reissued.headers["Content-Disposition"])
    assert "revision-1-issue-2.pdf" in reissued.headers["Content-Disposition"]
    kept = client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=1")
    assert kept.status_code == 200 and kept.data == signed.data           # the file people signed, byte for byte
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=3").status_code == 404
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "annex.pdf?revision=1&amp;issue=1" in page and "annex.pdf?revision=1&amp;issue=2" in page
    # the same details again are no new issue; other details are a third, and the first two stay
    client.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "YB-2026-018", "party_a": "", "party_b": ""})
    assert db.session.scalar(select(func.max(AnnexFile.issue)).where(AnnexFile.kind == "pdf")) == 2
    client.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "YB-2026-019", "party_a": "", "party_b": ""})
    assert "YB-2026-019" in text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    assert client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=1").data == signed.data
    assert "YB-2026-018" in text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf?revision=1&issue=2").data)


def test_a_file_issued_before_what_it_printed_was_stored_is_issued_anew_only_for_other_details(app, client):
    """A file issued before 06a89ddef02d has no meta_json (migration 8ea0ef91b8b1 gives it one; one it left is read
    at the next contract save): saving the same contract details again issues no 第 2 版, and the verify page
    lists it as the first issue, with the details it printed, and a later issue after it."""
    w = world.build()
    approve(app, w.budget_a)
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "YB-2026-017", "party_a": "", "party_b": ""})
    signed = {kind: client.get(f"/budgets/{w.budget_a}/annex.{kind}").data for kind in ("pdf", "xlsx")}
    for row in db.session.scalars(select(AnnexFile)):
        assert row.issued_at is not None
        row.meta_json = None                    # as 06a89ddef02d left a file stored before it
    db.session.commit()
    saved = client.post(f"/budgets/{w.budget_a}/contract", follow_redirects=True,
                        data={"contract_no": "YB-2026-017", "party_a": "", "party_b": ""})
    assert "已保存合同信息，附件将按此打印" in saved.get_data(as_text=True)
    db.session.expire_all()
    rows = db.session.scalars(select(AnnexFile)).all()
    assert sorted((r.kind, r.issue) for r in rows) == [("pdf", 1), ("xlsx", 1)]
    assert {json.loads(r.meta_json)["contract_no"] for r in rows} == {"YB-2026-017"}
    code = db.session.scalar(select(Revision.verify_code).where(Revision.budget_id == w.budget_a))
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/verify/{code}").get_data(as_text=True)))
    assert "附件第 1 版" in page and "合同编号 YB-2026-017" in page and "其后出具的版本" not in page
    client.post(f"/budgets/{w.budget_a}/contract", data={"contract_no": "YB-2026-018", "party_a": "", "party_b": ""})
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/verify/{code}").get_data(as_text=True)))
    first, later = page.split("其后出具的版本")
    assert "附件第 1 版" in first and "合同编号 YB-2026-017" in first and "YB-2026-018" not in first
    assert "第 2 版（" in later and "合同编号 YB-2026-018；甲方 渝北区民政局" in later
    for kind in ("pdf", "xlsx"):
        assert client.get(f"/budgets/{w.budget_a}/annex.{kind}?revision=1&issue=1").data == signed[kind]
