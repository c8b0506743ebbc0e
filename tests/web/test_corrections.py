"""A figure corrected as wrong is followed into the budgets it priced (issue #21). 30,000 元 was confirmed as 渝北区's
职业津贴 for 助理社会工作师 (meant: 300); a draft, a submitted and an approved budget were priced with it; then the
correction to 300 was entered and confirmed. Confirming it lists all three with the difference each; the draft
and the submitted revision cannot go forward until recomputed or kept with a written reason; the approved one is
flagged to its purchaser with the amount; its page and the annexes issued after the correction say the figure
was later corrected, and the annex issued before stays byte for byte.

The difference, worked out by hand for the one post (社区 助理社会工作师, 4,500.00 a month, 2025-07 to 2026-06, no
bonus, small-scale taxpayer in a city, management fee 5%; figures of 2025 carried into 2026):

  with 30,000: pay 34,500.00; base at the ceiling 22,017: pension 16% 3,522.72, medical 8.5% 1,871.45 (1,871.445),
  serious illness 1.5% 330.26 (330.255), unemployment 0.5% 110.09 (110.085), work injury 0.3% 66.05 (66.051);
  housing fund 5% of 29,362 (its ceiling) 1,468.10 → 7,368.67 a month; 41,868.67 × 12 = 502,424.04;
  fee 25,121.20; pre-tax 527,545.24; price × 1.01 ÷ (1 − 1% × 6%) = 533,140.58.
  with 300: pay 4,800.00 = the base: 768.00 + 408.00 + 72.00 + 24.00 + 14.40 + housing fund 240.00 = 1,526.40;
  6,326.40 × 12 = 75,916.80; fee 3,795.84; pre-tax 79,712.64; price 80,558.10.
  difference: 80,558.10 − 533,140.58 = −452,582.48.
"""
from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from costing.budgets import service
from costing.models import (
    AuditEntry,
    Budget,
    ParamSource,
    ParamValue,
    Revision,
    RevisionCorrection,
    RevisionFigure,
    User,
    db,
)
from costing.parameters.seed import bump
from costing.web import current_parameters

from . import world
from .world import log_in

FAMILY_KEY = "allowance.certificate_monthly"
FAMILY = f"/admin/parameters/family/{FAMILY_KEY}"
REGION = "渝北区:assistant_social_worker"
WRONG, RIGHT = Decimal("533140.58"), Decimal("80558.10")
DELTA = Decimal("-452582.48")
REASON = "录入时多打了两个零：渝北民发〔2025〕12号原文为每人每月 300 元"
SOURCE = {"doc_no": "渝北民发〔2025〕12号", "title": "关于社区工作者职业津贴标准的通知", "issuer": "重庆市渝北区民政局",
          "doc_date": "2025-06-20", "url": "https://www.ybq.gov.cn/y.html", "confidence": "verified_official"}


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = date(2026, 11, 29)
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


def _flat(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def _wrong_figure_confirmed(value: str = "30000", district: str = "渝北区") -> ParamValue:
    """A confirmed figure that is wrong (however it got past entry): 助理社会工作师 from 2025-07-01."""
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    admin2 = db.session.scalar(select(User).where(User.username == "admin2"))
    source = ParamSource(document="allowance.yaml", key=f"test-{district}", doc_no=SOURCE["doc_no"], title=SOURCE["title"],
                         issuer=SOURCE["issuer"], date=SOURCE["doc_date"])
    db.session.add(source)
    db.session.flush()
    row = ParamValue(family_key=FAMILY_KEY, region=f"{district}:assistant_social_worker", start=date(2025, 7, 1),
                     value=value, source_id=source.id,
                     confidence="verified_official", status="confirmed", origin="admin", created_by_id=admin.id,
                     reviewed_by_id=admin2.id, reviewed_at=datetime(2025, 7, 2, tzinfo=timezone.utc))
    db.session.add(row)
    db.session.flush()
    bump(db.session)
    db.session.commit()
    return row


def _budget(name: str, status: str = "draft") -> int:
    """One 社区 post with an 助理社会工作师 certificate in 渝北区, its 职业津贴 left to the district's standard."""
    data = world.sample(name=name, start="2025-07", end="2026-06")
    data["personnel"] = [{"post": "社区社工", "category": "community", "level": "junior",
                          "certificate": "assistant_social_worker", "headcount": 1, "monthly_pay": "4500.00"}]
    data["costs"], data["rules"] = [], {}
    data["project"].pop("appropriation")
    preparer = db.session.scalar(select(User).where(User.username == "a_prep"))
    approver = db.session.scalar(select(User).where(User.username == "a_appr"))
    budget = service.create_budget(preparer, data, current_parameters())
    errors = service.result_of(budget.latest).errors
    if errors:
        service.justify(budget, preparer, {f.key: "测试：经同意按此执行" for f in errors}, 1)
    if status in ("submitted", "approved"):
        service.submit(budget, preparer, 1, confirmed=True)
    if status == "approved":
        service.approve(budget, approver, 1, confirmed=True)
    db.session.commit()
    return budget.id


def _correct(app, wrong: ParamValue, value: str = "300", note: str = REASON, acknowledge: bool = False):
    """The administrator enters the correction on the parameter's page; the second one confirms it."""
    admin = log_in(app.test_client(), "admin")
    page = _text(admin.get(f"{FAMILY}?replaces={wrong.id}"))
    assert "更正数值" in page and "请在“说明”中写明更正原因" in page
    data = {**SOURCE, "district": "渝北区", "region": "assistant_social_worker", "value": value,
            "start": "2025-07-01", "end": "", "note": note, "replaces": str(wrong.id)}
    if acknowledge:
        data["acknowledge"] = "y"
    response = admin.post(FAMILY, data=data)
    assert response.status_code == 302, _text(response)[:2000]
    return db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == wrong.id,
                                                      ParamValue.status == "pending"))


def _world_with_three(app):
    w = world.build()
    wrong = _wrong_figure_confirmed()
    ids = {status: _budget(f"{status} 项目", status) for status in ("draft", "submitted", "approved")}
    return w, wrong, ids


def _corrected_three(app) -> dict[str, int]:
    """The three budgets priced with 30,000, and the correction to 300 confirmed: the budgets' ids by state."""
    _, wrong, ids = _world_with_three(app)
    log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{_correct(app, wrong).id}/confirm")
    return ids


def _page(client, budget_id: int) -> tuple[str, str]:
    """A budget's page, as served and as its text without white space."""
    page = _text(client.get(f"/budgets/{budget_id}"))
    return page, _flat(page)


def test_a_correction_says_why_and_confirming_it_lists_every_revision_priced_with_the_wrong_figure(fixed, client):
    w, wrong, ids = _world_with_three(fixed)
    for budget_id in ids.values():
        assert db.session.get(Budget, budget_id).grand_total == WRONG
    # a correction needs its reason
    admin = log_in(fixed.test_client(), "admin")
    data = {**SOURCE, "district": "渝北区", "region": "assistant_social_worker", "value": "300",
            "start": "2025-07-01", "end": "", "note": "", "replaces": str(wrong.id)}
    response = admin.post(FAMILY, data=data)
    assert response.status_code == 400 and "请在“说明”中写明更正原因" in _text(response)
    pending = _correct(fixed, wrong)
    # the reviewer sees what confirming it will find, and which value it corrects
    reviewer = log_in(fixed.test_client(), "admin2")
    page = _text(reviewer.get(FAMILY))
    assert f'href="#value-{wrong.id}"' in page and "更正原因：" + REASON in page
    assert "复核通过后，将列出用到原数值的预算修订（已审核1个、草稿1个、已提交1个）" in _flat(page)

    response = reviewer.post(f"/admin/parameters/values/{pending.id}/confirm")
    assert response.status_code == 302
    assert response.location.endswith(f"/budgets/corrections?correction={pending.id}#correction-{pending.id}")
    rows = db.session.scalars(select(RevisionCorrection).order_by(RevisionCorrection.revision_id)).all()
    assert [(db.session.get(Revision, r.revision_id).budget_id, r.status_then) for r in rows] == [
        (ids["draft"], "draft"), (ids["submitted"], "submitted"), (ids["approved"], "approved")]
    for row in rows:
        assert (row.total_then, row.total_wrong, row.total_corrected, row.delta) == (WRONG, WRONG, RIGHT, DELTA)
        assert (row.wrong_start, row.wrong_value) == (date(2025, 7, 1), "30000")
    # the world's budgets have no 助理社会工作师 in a 社区 post: not priced with it, not listed
    assert {db.session.get(Revision, r.revision_id).budget_id for r in rows}.isdisjoint({w.budget_a, w.budget_b})

    listing = _text(reviewer.get(response.location))
    flat = _flat(listing)
    assert "职业津贴（按区县与证书，每人每月）渝北区助理社会工作师：更正为300.00元" in flat
    assert REASON in listing and "3个修订：已审核1个，草稿或已提交2个" in flat
    assert flat.count("-452,582.48") == 3 and flat.count("533,140.58") == 6 and flat.count("80,558.10") == 3
    assert "待编制人处理" in listing and "待审核人处理" in listing and "补充附件" in listing
    # the audit log says what was corrected, why, and what it found
    entered = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "param_add"))
    assert entered.detail.endswith(f"（待复核）；更正 职业津贴（按区县与证书，每人每月） 渝北区 助理社会工作师 2025-07-01 起 "
                                   f"30,000.00 元（原因：{REASON}）")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "param_confirm")
                              .order_by(AuditEntry.id.desc()))
    assert f"更正 职业津贴（按区县与证书，每人每月） 渝北区 助理社会工作师 2025-07-01 起 30,000.00 元（原因：{REASON}）" in entry.detail
    assert "用到原数值的预算修订 3 个（草稿 1、已提交 1、已审核 1）" in entry.detail
    # the family page links the confirmed correction to its list
    page = _text(reviewer.get(FAMILY))
    assert f'/budgets/corrections?correction={pending.id}#correction-{pending.id}">用到原数值的预算修订：3 个' in page


def test_the_draft_cannot_go_forward_until_recomputed(fixed, client):
    ids = _corrected_three(fixed)
    preparer = log_in(client, "a_prep")
    draft_id = ids["draft"]
    page, flat = _page(preparer, draft_id)
    assert "此后更正的政策参数" in page and "经主管部门复核更正为300.00元" in flat
    assert "本修订的预算总额将变化-452,582.48元" in flat and "写明理由，按原数值继续" in page
    response = preparer.post(f"/budgets/{draft_id}/submit", data={"revision": "1", "confirm": "y"})
    assert response.status_code == 302
    flashed = _flat(_text(preparer.get(f"/budgets/{draft_id}")))
    assert "本修订测算所用的政策参数此后已更正" in flashed and "请按最新参数重新测算" in flashed
    assert db.session.get(Budget, draft_id).status == "draft"
    # recomputed: a new revision priced with 300; it goes forward
    assert preparer.post(f"/budgets/{draft_id}/recompute", data={"revision": "1"}).status_code == 302
    db.session.expire_all()
    budget = db.session.get(Budget, draft_id)
    assert budget.latest.number == 2 and budget.latest.grand_total == RIGHT
    page = _text(preparer.get(f"/budgets/{draft_id}"))
    assert "此后更正的政策参数" not in page
    preparer.post(f"/budgets/{draft_id}/submit", data={"revision": "2", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, draft_id).status == "submitted"
    # revision 1 stays listed, as replaced
    listing = _text(preparer.get("/budgets/corrections"))
    assert "已由修订 2 取代" in listing


def test_the_draft_goes_forward_kept_as_it_is_only_with_a_written_reason(fixed, client):
    ids = _corrected_three(fixed)
    preparer = log_in(client, "a_prep")
    draft_id = ids["draft"]
    row = db.session.scalar(select(RevisionCorrection).join(Revision).where(Revision.budget_id == draft_id))
    url = f"/budgets/{draft_id}/corrections/{row.id}/keep"
    # no reason, a reason with a direction-changing character, an approver, another purchaser: nothing changes
    preparer.post(url, data={"revision": "1", "reason": "  "})
    assert "请写明为何按原数值继续" in _text(preparer.get(f"/budgets/{draft_id}"))
    preparer.post(url, data={"revision": "1", "reason": "按原\u202e数值"})
    approver = log_in(fixed.test_client(), "a_appr")
    approver.post(url, data={"revision": "1", "reason": "审核人代写"})
    assert log_in(fixed.test_client(), "b_prep").post(url, data={"revision": "1", "reason": "别人的"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(RevisionCorrection, row.id).decided_at is None
    # a stale page (revision 0) changes nothing
    preparer.post(url, data={"revision": "0", "reason": "合同已按原标准签订"})
    db.session.expire_all()
    assert db.session.get(RevisionCorrection, row.id).decided_at is None
    preparer.post(url, data={"revision": "1", "reason": "合同已按原标准签订，经区财政局同意按原数值执行"})
    db.session.expire_all()
    kept = db.session.get(RevisionCorrection, row.id)
    assert kept.reason == "合同已按原标准签订，经区财政局同意按原数值执行" and kept.decided_by.username == "a_prep"
    preparer.post(f"/budgets/{draft_id}/submit", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, draft_id).status == "submitted"
    # the approver sees the correction, the amount and the reason, and may approve
    page = _flat(_text(approver.get(f"/budgets/{draft_id}")))
    assert "本修订的预算总额将变化-452,582.48元" in page and "已说明按原数值继续：合同已按原标准签订" in page
    approver.post(f"/budgets/{draft_id}/approve", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, draft_id).status == "approved"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "correction_keep")) is not None


def test_a_submitted_revision_is_approved_only_after_the_approver_decides(fixed, client):
    ids = _corrected_three(fixed)
    approver = log_in(client, "a_appr")
    submitted_id = ids["submitted"]
    page, flat = _page(approver, submitted_id)
    # no longer only the neutral 「此后政策参数已更新」: the correction, its amount, and what to do
    assert "此后更正的政策参数" in page and "本修订的预算总额将变化-452,582.48元" in flat
    assert "请退回修改由编制人重新测算，或写明按原数值审核的理由" in flat and "写明理由，按原数值审核" in page
    approver.post(f"/budgets/{submitted_id}/approve", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, submitted_id).status == "submitted"
    assert "请退回修改由编制人重新测算" in _flat(_text(approver.get(f"/budgets/{submitted_id}")))
    # the preparer cannot decide for a submitted revision
    row = db.session.scalar(select(RevisionCorrection).join(Revision).where(Revision.budget_id == submitted_id))
    preparer = log_in(fixed.test_client(), "a_prep")
    preparer.post(f"/budgets/{submitted_id}/corrections/{row.id}/keep", data={"revision": "1", "reason": "编制人代写"})
    db.session.expire_all()
    assert db.session.get(RevisionCorrection, row.id).decided_at is None
    approver.post(f"/budgets/{submitted_id}/corrections/{row.id}/keep",
                  data={"revision": "1", "reason": "合同已签订，按原标准执行至期满"})
    approver.post(f"/budgets/{submitted_id}/approve", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, submitted_id).status == "approved"


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


def test_the_approved_budget_is_flagged_with_its_difference_and_its_issued_annex_stays(fixed, client):
    w, wrong, ids = _world_with_three(fixed)
    approved_id = ids["approved"]
    preparer = log_in(client, "a_prep")
    issued = preparer.get(f"/budgets/{approved_id}/annex.pdf").data       # issued at its first render
    assert "此后更正" not in pdf_text(issued) and "30,000.00" in pdf_text(issued)
    stored = db.session.get(Budget, approved_id).latest.result_json
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{_correct(fixed, wrong).id}/confirm")

    # the purchaser's list flags it with the amount, and says what to do
    listing = _text(preparer.get("/budgets/"))
    flat = _flat(listing)
    assert "3份预算用了此后经复核更正的数值，其中1份的已审核修订须按更正后的数值另行编制修订、出具补充附件" in flat
    assert "修订1参数更正-452,582.48" in flat and 'href="/budgets/corrections"' in listing
    # its page says the figure was later corrected, by how much, and the way to a supplementary annex
    page = _text(preparer.get(f"/budgets/{approved_id}"))
    flat = _flat(page)
    assert "经主管部门复核更正为300.00元" in flat and "预算总额将变化-452,582.48元" in flat
    assert "后经更正为300.00元" in flat and "补充附件" in flat
    assert "出具于更正之前，未载明此更正，保持不变" in flat
    assert "按更正后的数值编制修订2（草稿，本修订不变）" in flat
    # the stored revision and its issued annex never change
    assert db.session.get(Budget, approved_id).latest.result_json == stored
    assert preparer.get(f"/budgets/{approved_id}/annex.pdf").data == issued
    # an annex issued after the correction (new contract details: 第 2 版) says it, with the amount
    preparer.post(f"/budgets/{approved_id}/contract", data={"contract_no": "YB-2026-017", "party_a": "", "party_b": ""})
    second = pdf_text(preparer.get(f"/budgets/{approved_id}/annex.pdf").data)
    assert "第2版" in second and "后经更正※" in second
    assert "经主管部门复核更正为300.00元" in second and "预算总额将变化-452,582.48元" in second
    assert "须按更正后的数值另行编制修订并出具补充附件" in second and "533,140.58" in second
    assert preparer.get(f"/budgets/{approved_id}/annex.pdf?revision=1&issue=1").data == issued
    # the supplementary path: a new draft priced with the correction; the approved revision stays
    preparer.post(f"/budgets/{approved_id}/recompute", data={"revision": "1"})
    db.session.expire_all()
    budget = db.session.get(Budget, approved_id)
    assert [r.status for r in budget.revisions] == ["approved", "draft"] and budget.latest.grand_total == RIGHT
    assert budget.revisions[0].result_json == stored
    assert "修订1参数更正" in _flat(_text(preparer.get("/budgets/")))       # until the corrected one is approved
    preparer.post(f"/budgets/{approved_id}/submit", data={"revision": "2", "confirm": "y"})
    log_in(fixed.test_client(), "a_appr").post(f"/budgets/{approved_id}/approve", data={"revision": "2", "confirm": "y"})
    listing = _flat(_text(preparer.get("/budgets/")))
    assert "2份预算用了此后经复核更正的数值；2个草稿或已提交的修订待重新测算或说明理由" in listing
    assert "已审核修订须按更正后的数值" not in listing
    assert "已审核；此后修订2已审核" in _flat(_text(preparer.get("/budgets/corrections")))
    # another purchaser sees none of it; a contractor sees no list
    other = log_in(fixed.test_client(), "b_prep")
    assert "此后更正" not in _text(other.get("/budgets/")) and "项目" not in _flat(_text(other.get("/budgets/corrections")))
    assert log_in(fixed.test_client(), "c_user").get("/budgets/corrections").status_code == 404


def test_a_draft_annex_made_after_the_correction_says_so(fixed, client):
    ids = _corrected_three(fixed)
    preparer = log_in(client, "a_prep")
    text = pdf_text(preparer.get(f"/budgets/{ids['draft']}/annex.pdf").data)
    assert "此后更正的数值" in text and "本修订须按最新参数重新测算，或写明按原数值继续的理由，才能提交与审核" in text
    import io  # noqa: PLC0415

    from openpyxl import load_workbook  # noqa: PLC0415  (this test alone reads a workbook)
    book = load_workbook(io.BytesIO(preparer.get(f"/budgets/{ids['draft']}/annex.xlsx").data))
    said = [row[1] for row in book["汇总"].iter_rows(values_only=True) if row[0] == "此后更正的数值"]
    assert len(said) == 1 and "更正为 300.00 元" in said[0] and "-452,582.48" in said[0]


def test_a_correction_of_the_citation_alone_lists_nothing(fixed, client):
    _, wrong, ids = _world_with_three(fixed)
    # (30,000 is beyond the allowance's plausible range: the entrant and the reviewer each acknowledge it)
    pending = _correct(fixed, wrong, value="30000", note="核对原文：文号与标题按原件抬头改正", acknowledge=True)
    page = _flat(_text(log_in(fixed.test_client(), "admin2").get(FAMILY)))
    assert "只更正依据，数值与起始日期不变：预算无需重新测算" in page
    response = log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{pending.id}/confirm",
                                                          data={"acknowledge": "y"})
    assert response.location.endswith(FAMILY)
    assert db.session.scalar(select(RevisionCorrection)) is None
    page = _text(log_in(fixed.test_client(), "admin2").get(FAMILY))
    assert "用到原数值的预算修订" not in page and f'href="#value-{wrong.id}"' in page
    preparer = log_in(client, "a_prep")
    preparer.post(f"/budgets/{ids['draft']}/submit", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, ids["draft"]).status == "submitted"


def test_a_revision_records_the_figures_it_was_priced_with(fixed, client):
    world.build()
    _wrong_figure_confirmed()
    budget_id = _budget("津贴项目")
    budget = db.session.get(Budget, budget_id)
    revision_id = budget.latest.id
    figures = {(f.family, f.region, f.start, f.value) for f in db.session.scalars(
        select(RevisionFigure).where(RevisionFigure.revision_id == revision_id))}
    assert (FAMILY_KEY, REGION, date(2025, 7, 1), "30000") in figures
    assert ("si.base_ceiling", "cq", date(2025, 1, 1), "22017") in figures
    assert len(figures) == len(service.result_of(budget.latest).basis)
    # a draft deleted takes its figures with it
    preparer = log_in(client, "a_prep")
    preparer.post(f"/budgets/{budget_id}/delete", data={"revision": "1"})
    assert db.session.get(Budget, budget_id) is None
    assert db.session.scalar(select(RevisionFigure).where(RevisionFigure.revision_id == revision_id)) is None


def test_a_save_priced_before_a_correction_confirmed_meanwhile_is_refused(fixed, client):
    """The set a save priced with was read before a correction was confirmed, and the revision is written after:
    it would be missing from the correction's list, so it is refused and the form kept."""
    _, wrong, ids = _world_with_three(fixed)
    stale = current_parameters()
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{_correct(fixed, wrong).id}/confirm")
    db.session.commit()         # (the test's own session: the refusal below rolls back to here, not further)
    preparer = db.session.scalar(select(User).where(User.username == "a_prep"))
    budget = db.session.get(Budget, ids["draft"])
    data = service.input_of(budget.latest)
    data["project"]["name"] = "改名"
    with pytest.raises(service.WorkflowError, match="保存时政策参数刚刚更正"):
        service.save_revision(budget, preparer, data, stale, "", 1)
    assert db.session.get(Budget, ids["draft"]).revision_count == 1
    # with today's set it saves, priced with the correction
    revision = service.save_revision(budget, preparer, data, current_parameters(), "", 1)
    assert revision.grand_total == RIGHT


def _corrected_unfollowed(app) -> dict[str, int]:
    """The three budgets, and the correction confirmed as the release before confirmed one: nothing listed."""
    _, wrong, ids = _world_with_three(app)
    pending = _correct(app, wrong)
    admin2 = db.session.scalar(select(User).where(User.username == "admin2"))
    wrong.status, pending.status = "superseded", "confirmed"
    pending.reviewed_by_id, pending.reviewed_at = admin2.id, datetime(2026, 11, 29, 2, tzinfo=timezone.utc)
    bump(db.session)
    db.session.commit()
    return ids


def test_a_correction_confirmed_before_the_upgrade_is_listed_by_the_command_and_blocks(fixed, client):
    """Corrections confirmed before they were followed through (no list): a draft priced with the wrong figure is
    still refused, its page lists it, and ``flask costing corrections`` lists them all."""
    ids = _corrected_unfollowed(fixed)
    preparer = log_in(client, "a_prep")
    preparer.post(f"/budgets/{ids['submitted']}/submit", data={"revision": "1", "confirm": "y"})
    approver = log_in(fixed.test_client(), "a_appr")
    approver.post(f"/budgets/{ids['submitted']}/approve", data={"revision": "1", "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Budget, ids["submitted"]).status == "submitted"
    assert "请刷新预算页查看更正对本预算的影响" in _flat(_text(approver.get("/budgets/")))
    result = fixed.test_cli_runner().invoke(args=["costing", "corrections"])
    assert result.exit_code == 0, result.output
    assert "用到原数值的修订 3 个（本次新列出 3 个）" in result.output
    rows = db.session.scalars(select(RevisionCorrection)).all()
    assert len(rows) == 3 and {r.delta for r in rows} == {DELTA}
    again = fixed.test_cli_runner().invoke(args=["costing", "corrections"])
    assert "（本次新列出 0 个）" in again.output


def test_a_page_lists_a_revision_no_correction_listed_yet(fixed, client):
    ids = _corrected_unfollowed(fixed)
    page = _flat(_text(log_in(client, "a_prep").get(f"/budgets/{ids['draft']}")))
    assert "本修订的预算总额将变化-452,582.48元" in page
    assert [r.revision.budget_id for r in db.session.scalars(select(RevisionCorrection))] == [ids["draft"]]


def test_a_figure_corrected_twice_lists_revisions_priced_with_either(fixed, client):
    """30,000 corrected to 3,000, then 3,000 corrected to 300: a revision priced with 30,000 is listed again by
    the second correction, with its difference against 300."""
    _, wrong, ids = _world_with_three(fixed)
    first = _correct(fixed, wrong, value="3000", note="原文为 3000 元")
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{first.id}/confirm")
    three_thousand = _budget("三千项目")
    second = _correct(fixed, db.session.get(ParamValue, first.id), value="300", note=REASON)
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{second.id}/confirm")
    by_budget = {r.revision.budget_id: r for r in db.session.scalars(
        select(RevisionCorrection).where(RevisionCorrection.correction_id == second.id))}
    assert set(by_budget) == {*ids.values(), three_thousand}
    assert by_budget[ids["draft"]].wrong_value == "30000" and by_budget[ids["draft"]].delta == DELTA
    assert by_budget[three_thousand].wrong_value == "3000"
    assert by_budget[three_thousand].total_corrected == RIGHT
    # only the correction in force is shown on the page (the first is history)
    page = _flat(_text(log_in(client, "a_prep").get(f"/budgets/{ids['draft']}")))
    assert page.count("经主管部门复核更正为") == 1 and "更正为300.00元" in page


@pytest.mark.commits          # two requests on two connections at once: each must see the other's commit
def test_a_save_at_the_moment_a_correction_is_confirmed_is_listed_or_refused_never_missed(app):
    """A preparer saves a draft priced with the wrong figure while the second administrator confirms its correction:
    the new revision is priced with the correction, or listed under it, or refused (the form kept) — never a
    revision priced with the wrong figure that no list names. Ten rounds, each in another district."""
    from .test_workflow_races import ROUNDS, at_once  # noqa: PLC0415  (its helper for simultaneous requests)
    app.config["TODAY"] = date(2026, 11, 29)
    world.build()
    preparer, reviewer = log_in(app.test_client(), "a_prep"), log_in(app.test_client(), "admin2")
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    districts = [d for d in current_parameters().district_names() if d != "渝北区"][:ROUNDS]
    outcomes = []
    for round_, district in enumerate(districts):
        wrong = _wrong_figure_confirmed(district=district)
        data = world.sample(name=f"第 {round_} 轮", district=district, start="2025-07", end="2026-06")
        data["personnel"] = [{"post": "社区社工", "category": "community", "level": "junior",
                              "certificate": "assistant_social_worker", "headcount": 1, "monthly_pay": "4500.00"}]
        data["costs"], data["rules"] = [], {}
        data["project"].pop("appropriation")
        budget = service.create_budget(db.session.scalar(select(User).where(User.username == "a_prep")), data,
                                       current_parameters())
        pending = ParamValue(family_key=FAMILY_KEY, region=wrong.region, start=wrong.start, value="300",
                             source_id=wrong.source_id, confidence="verified_official", status="pending",
                             origin="admin", created_by_id=admin.id, replaces_id=wrong.id, note=REASON)
        db.session.add(pending)
        db.session.commit()
        budget_id, pending_id = budget.id, pending.id
        edit = world.form_fields(data | {"personnel": [dict(data["personnel"][0], monthly_pay="4600.00")]})
        saved = []

        def save(budget_id=budget_id, edit=edit, saved=saved):
            response = preparer.post(f"/budgets/{budget_id}/edit", data=edit | {"base_revision": "1"})
            saved.append(response.get_data(as_text=True))
            return response
        statuses = at_once(lambda pending_id=pending_id: reviewer.post(f"/admin/parameters/values/{pending_id}/confirm"),
                           save)
        assert 500 not in statuses, statuses
        db.session.expire_all()
        assert db.session.get(ParamValue, pending_id).status == "confirmed"
        budget = db.session.get(Budget, budget_id)
        listed = {r.revision_id for r in db.session.scalars(
            select(RevisionCorrection).where(RevisionCorrection.correction_id == pending_id))}
        if budget.revision_count == 1:          # refused (the form kept): the draft as it was is listed
            assert budget.revisions[0].id in listed
            assert "保存时政策参数刚刚更正" in saved[0] and 'value="4600.00"' in saved[0]
            outcomes.append("refused")
            continue
        second = budget.revisions[1]
        priced_wrong = db.session.scalar(select(RevisionFigure).where(
            RevisionFigure.revision_id == second.id, RevisionFigure.family == FAMILY_KEY,
            RevisionFigure.value == "30000")) is not None
        assert not priced_wrong or second.id in listed, "a revision priced with the wrong figure is missing from the list"
        outcomes.append("listed" if priced_wrong else "priced with the correction")
    assert set(outcomes) <= {"refused", "listed", "priced with the correction"}


def test_the_differences_are_priced_in_the_background_and_a_page_prices_its_own(fixed, client, monkeypatch):
    """Confirming lists the revisions at once; pricing each (a correction of the base reaches every budget) is a
    background job's. Until it has run, the list says how far it is; a budget's page prices its own row; a job that
    seems lost is sent again; ``flask costing corrections`` prices what is left."""
    from costing.budgets import corrections  # noqa: PLC0415  (its job is held back here)
    sent = []
    monkeypatch.setattr(corrections, "dispatch", lambda correction_id: sent.append(("correction_prices", correction_id)))
    _, wrong, ids = _world_with_three(fixed)
    pending = _correct(fixed, wrong)
    response = log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{pending.id}/confirm")
    assert sent == [("correction_prices", pending.id)]
    rows = db.session.scalars(select(RevisionCorrection)).all()
    assert len(rows) == 3 and all(r.priced_at is None and r.total_corrected is None for r in rows)
    preparer = log_in(client, "a_prep")
    page = _text(preparer.get(response.location))
    listing = _flat(page)
    assert "正在逐一测算差额：已测算0/3" in listing and listing.count("正在测算…") == 3
    assert f'<meta http-equiv="refresh" content="5; url=/budgets/corrections?correction={pending.id}">' in page
    # an annex issued now prints the amount, not that it is being worked out; the draft's page prices its own row
    issued = pdf_text(preparer.get(f"/budgets/{ids['approved']}/annex.pdf").data)
    assert "预算总额将变化-452,582.48元" in issued and "正在测算" not in issued
    assert "本修订的预算总额将变化-452,582.48元" in _page(preparer, ids["draft"])[1]
    assert "已测算2/3" in _flat(_text(preparer.get("/budgets/corrections")))
    assert len(sent) == 1                                   # not sent again while the job may be at work
    for row in db.session.scalars(select(RevisionCorrection)):          # a minute on, nothing priced since
        row.found_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
        row.priced_at = row.priced_at and datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    preparer.get("/budgets/corrections")
    assert sent[-1] == ("correction_prices", pending.id) and len(sent) == 2      # a lost job is sent again
    result = fixed.test_cli_runner().invoke(args=["costing", "corrections"])
    assert result.exit_code == 0 and "（本次新列出 0 个）" in result.output
    db.session.expire_all()
    assert {r.delta for r in db.session.scalars(select(RevisionCorrection))} == {DELTA}
    page = _text(preparer.get("/budgets/corrections"))
    assert "正在" not in _flat(page) and "refresh" not in page
