"""Budgets through the browser's HTTP: create, validate, save revisions, approve, share, history."""
import json
import re
import threading

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from werkzeug.datastructures import MultiDict

from costing.budgets import views
from costing.budgets.forms import BudgetForm
from costing.models import AuditEntry, Budget, BudgetShare, Revision, User, db
from costing.web import mapping

from . import world
from .world import form_fields, log_in, sample


def revisions(budget_id):
    return db.session.scalar(select(func.count()).select_from(Revision).where(Revision.budget_id == budget_id))


def audit_actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_create_budget_from_the_form(app, client):
    world.build()
    log_in(client, "a_prep")
    response = client.post("/budgets/new", data=form_fields(sample(name="新项目")) | {"note": "初稿"})
    assert response.status_code == 302
    budget = db.session.scalar(select(Budget).where(Budget.name == "新项目"))
    assert budget.status == "draft" and budget.revision_count == 1
    assert str(budget.grand_total) == json.loads(budget.latest.result_json)["totals"]["grand_total"]
    page = client.get(response.location).get_data(as_text=True)
    # docs/example-budget.json (渝北区, no 职业津贴 standard entered, so no allowance):
    # 站长 5,800.00 × 12 + bonus 3,000.00 = 72,600.00; 928.00 + 493.00 + 87.00 + 29.00 + 17.40 + 290.00 = 1,844.40 × 12
    #   = 22,132.80 → 94,732.80
    # 社会工作者 4,300.00 × 3 × 12 = 154,800.00; base floor 4,404: 704.64 + 374.34 + 66.06 + 22.02 + 13.21 = 1,180.27,
    #   housing fund 215.00 → 1,395.27 × 36 = 50,229.72 → 205,029.72
    # 儿童 4,000.00 × 6 = 24,000.00; (1,180.27 + 200.00) × 6 = 8,281.62 → 32,281.62
    # personnel 332,044.14 + direct 37,200.00; fee 5% 18,462.207 → 18,462.21; pre-tax 387,706.35
    # small-scale: × 1.01 / (1 − 0.01 × 0.06) = 391,583.4135 / 0.9994 = 391,818.5046 → 391,818.50
    assert "新项目" in page and "391,818.50" in page and "人民币叁拾玖万壹仟捌佰壹拾捌元伍角整" in page
    assert "create" in audit_actions()


def test_bad_input_keeps_what_was_typed_and_saves_nothing(app, client):
    world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="坏输入")) | {"personnel-1-monthly_pay": "4,300.5x", "personnel-0-headcount": "0"}
    response = client.post("/budgets/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="4,300.5x"' in page and 'value="坏输入"' in page
    assert "「4,300.5x」不是金额，请填写数字，如 4800 或 4800.00" in page
    assert "必须是 1 到 1000 之间的整数" in page
    assert db.session.scalar(select(Budget).where(Budget.name == "坏输入")) is None


def test_findings_appear_next_to_their_line_and_disappear_when_fixed(app, client):
    w = world.build()
    log_in(client, "a_prep")
    low = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "2000.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=low).status_code == 302
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    row = page[page.index("社会工作者</td>"):]
    row = row[:row.index("</tr>", row.index("finding-row"))]
    assert "PAY_BELOW_MIN_WAGE" in row and "2,330.00" in row and "渝人社发〔2024〕22号" in row
    fixed = low | {"base_revision": "2", "personnel-1-monthly_pay": "4300.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=fixed).status_code == 302
    assert "PAY_BELOW_MIN_WAGE" not in client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)


def test_second_save_of_the_same_draft_is_refused_and_keeps_input(app, client):
    w = world.build()
    other = app.test_client()
    log_in(client, "a_prep")
    log_in(other, "a_prep2")
    first = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6100.00",
                                                  "note": "第一位"}
    second = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6234.56",
                                                   "note": "第二位"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=first).status_code == 302
    response = other.post(f"/budgets/{w.budget_a}/edit", data=second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="6234.56"' in page and "修订 2" in page and "A 编制" in page
    assert 'name="base_revision" type="hidden" value="2"' in page
    assert revisions(w.budget_a) == 2
    # saving again after reading the conflict page is a deliberate overwrite
    assert other.post(f"/budgets/{w.budget_a}/edit", data=second | {"base_revision": "2"}).status_code == 302
    assert revisions(w.budget_a) == 3


def test_submit_approve_lock_and_edit_into_a_new_draft(app, client):
    w = world.build()
    approver = app.test_client()
    log_in(client, "a_prep")
    log_in(approver, "a_appr")
    # each step is confirmed, also without errors: the page asks, and nothing moves unchecked
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert 'name="confirm" value="y" required> 已核对合计与检查结论' in page
    client.post(f"/budgets/{w.budget_a}/submit", data={"revision": "1"})
    assert db.session.get(Budget, w.budget_a).status == "draft"
    assert "请核对本修订的合计与检查结论，勾选确认后再提交" in client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert client.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"}).status_code == 302
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    assert "已核对，同意审核通过（审核后本修订锁定）" in approver.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "1"})
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    # submitted budgets cannot be edited
    edit = form_fields(sample(name="A 项目")) | {"base_revision": "1"}
    client.post(f"/budgets/{w.budget_a}/edit", data=edit)
    assert revisions(w.budget_a) == 1
    # the preparer is not an approver; the approver is not the author
    assert client.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"}).status_code == 403
    approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"})
    budget = db.session.get(Budget, w.budget_a)
    db.session.refresh(budget)
    approved = budget.latest
    frozen = approved.result_json
    assert budget.status == "approved" and approved.approved_by_id == w.users["a_appr"]
    page = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "已审核" in page and "本修订已锁定" in page
    # editing an approved budget starts a new draft revision; the approved one stays as it was
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edit | {"personnel-0-monthly_pay": "7000.00"}).status_code == 302
    db.session.expire_all()
    budget = db.session.get(Budget, w.budget_a)
    assert budget.status == "draft" and budget.latest.number == 2
    first = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a, Revision.number == 1))
    assert first.status == "approved" and first.result_json == frozen
    assert {"submit", "approve", "save"} <= set(audit_actions())


def test_approvers_cannot_edit_and_cannot_approve_their_own_revision(app, client):
    w = world.build()
    approver = log_in(app.test_client(), "a_appr")
    edit = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6000.00"}
    assert approver.post(f"/budgets/{w.budget_a}/edit", data=edit).status_code == 403
    assert approver.get("/budgets/new").status_code == 403
    # one who wrote a revision and is then made an approver still cannot approve it
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/edit", data=edit)
    client.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "2"})
    db.session.scalar(select(User).where(User.username == "a_prep")).role = "approver"
    db.session.commit()
    response = client.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "2"}, follow_redirects=True)
    assert "不能审核自己编制的修订" in response.get_data(as_text=True)
    assert db.session.get(Budget, w.budget_a).status == "submitted"


def test_return_for_changes(app, client):
    w = world.build()
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"})
    approver = log_in(app.test_client(), "a_appr")
    approver.post(f"/budgets/{w.budget_a}/return", data={"reason": "督导费偏高", "revision": "1"})
    db.session.expire_all()
    assert db.session.get(Budget, w.budget_a).status == "draft"


def test_history_shows_what_changed(app, client):
    w = world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6000.00",
                                                 "costs-1-unit_price": "2500.00"}
    client.post(f"/budgets/{w.budget_a}/edit", data=data)
    page = client.get(f"/budgets/{w.budget_a}/history?a=1&b=2").get_data(as_text=True)
    assert "月应发工资 5,800.00 → 6,000.00" in page
    assert "单价 2,000.00 → 2,500.00" in page
    assert re.search(r"预算总额</td><td class=\"num\">391,818.50</td>", page)


def test_duplicate_and_delete_a_draft(app, client):
    w = world.build()
    log_in(client, "a_prep")
    response = client.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "1"})
    copy_id = int(response.location.rstrip("/").split("/")[-1])
    assert db.session.get(Budget, copy_id).name == "A 项目（副本）"
    client.post(f"/budgets/{copy_id}/delete", data={"revision": "1"})
    assert db.session.get(Budget, copy_id) is None
    assert "delete" in audit_actions()


def test_sharing_is_explicit_and_logged(app, client):
    w = world.build()
    log_in(client, "a_prep")
    d = next(o for o in db.session.scalars(select(__import__("costing.models", fromlist=["Organisation"]).Organisation))
             if o.name == "同心社工中心")
    client.post(f"/budgets/{w.budget_a}/share", data={"contractor": str(d.id), "revision": "1"})
    viewer = log_in(app.test_client(), "d_user")
    assert viewer.get(f"/budgets/{w.budget_a}").status_code == 200
    assert audit_actions().count("share") == 2


def test_user_text_is_escaped(app, client):
    world.build()
    log_in(client, "a_prep")
    name = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    response = client.post("/budgets/new", data=form_fields(sample(name=name)))
    page = client.get(response.location).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_oversized_post_is_413(app, client):
    world.build()
    log_in(client, "a_prep")
    response = client.post("/budgets/new", data={"note": "x" * (7 * 1024 * 1024)})
    assert response.status_code == 413


def test_an_approval_is_for_the_revision_on_screen(app, client):
    w = world.build()
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/submit", data={"revision": "1", "confirm": "y"})
    approver = log_in(app.test_client(), "a_appr")
    response = approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "7", "confirm": "y"}, follow_redirects=True)
    assert "最新的是修订 1" in response.get_data(as_text=True)
    assert db.session.get(Budget, w.budget_a).status == "submitted"
    approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "1", "confirm": "y"})
    assert db.session.get(Budget, w.budget_a).status == "approved"


def test_saving_a_budget_submitted_meanwhile_keeps_the_input(app, client):
    w = world.build()
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"})
    data = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6543.21"}
    response = client.post(f"/budgets/{w.budget_a}/edit", data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'value="6543.21"' in page and "已提交审核" in page
    assert revisions(w.budget_a) == 1


def test_rows_beyond_the_limit_are_reported_not_dropped(app, client):
    world.build()
    log_in(client, "a_prep")
    data = sample(name="很多行")
    data["costs"] = [{"category": "other", "name": f"费用{i}", "quantity": "1", "unit_price": "1.00"}
                     for i in range(5001)]
    response = client.post("/budgets/new", data=form_fields(data))
    assert response.status_code == 400 and "最多 5000 行，收到 5001 行" in response.get_data(as_text=True)


def test_friendly_input_full_width_separators_and_percentages(app, client):
    world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="友好输入")) | {"personnel-0-monthly_pay": "５,８００．００",
                                                  "personnel-1-housing_fund_rate": "7%", "management_fee_rate": "5 %"}
    response = client.post("/budgets/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    budget = db.session.scalar(select(Budget).where(Budget.name == "友好输入"))
    stored = json.loads(budget.latest.input_json)
    assert stored["personnel"][0]["monthly_pay"] == "5800.00"
    assert stored["personnel"][1]["housing_fund_rate"] == "0.07" and stored["management_fee_rate"] == "0.05"


def test_amounts_with_a_currency_sign_or_yuan_in_the_budget_form(app, client):
    world.build()
    log_in(client, "a_prep")
    data = form_fields(sample(name="带单位")) | {"personnel-0-monthly_pay": "4,800元", "personnel-1-monthly_pay": "￥4,800.00",
                                                "costs-0-unit_price": "¥300"}
    response = client.post("/budgets/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    stored = json.loads(db.session.scalar(select(Budget).where(Budget.name == "带单位")).latest.input_json)
    assert [p["monthly_pay"] for p in stored["personnel"][:2]] == ["4800.00", "4800.00"]
    assert stored["costs"][0]["unit_price"] == "300.00"


def test_the_conflict_page_lists_what_the_other_person_changed(app, client):
    w = world.build()
    other = log_in(app.test_client(), "a_prep2")
    log_in(client, "a_prep")
    theirs = form_fields(sample(name="A 项目")) | {"base_revision": "1", "costs-0-unit_price": "280.00"}
    mine = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": "6000.00"}
    assert other.post(f"/budgets/{w.budget_a}/edit", data=theirs).status_code == 302
    page = client.post(f"/budgets/{w.budget_a}/edit", data=mine).get_data(as_text=True)
    assert "对方所做的修改（修订 1 → 修订 2）" in page and "单价 300.00 → 280.00" in page


def test_unsharing(app, client):
    w = world.build()
    log_in(client, "a_prep")
    share = db.session.scalar(select(BudgetShare).where(BudgetShare.budget_id == w.budget_a))
    client.post(f"/budgets/{w.budget_a}/unshare/{share.id}", data={"revision": "1"})
    viewer = log_in(app.test_client(), "c_user")
    assert viewer.get(f"/budgets/{w.budget_a}").status_code == 404
    assert "unshare" in audit_actions()


def test_names_keep_their_full_width_punctuation(app, client):
    world.build()
    log_in(client, "a_prep")
    client.post("/budgets/new", data=form_fields(sample(name="渝北区乡镇（街道）项目")) | {"personnel-0-headcount": "１"})
    budget = db.session.scalar(select(Budget).where(Budget.name == "渝北区乡镇（街道）项目"))
    assert budget is not None and json.loads(budget.latest.input_json)["personnel"][0]["headcount"] == 1


@pytest.mark.commits          # two requests on two connections at once: each must see the other's commit
def test_two_saves_at_the_same_moment_make_one_revision_and_one_conflict(app):
    w = world.build()
    clients = [log_in(app.test_client(), "a_prep") for _ in range(2)]
    fields = [form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-0-monthly_pay": pay}
              for pay in ("6000.00", "7000.00")]
    start = threading.Barrier(2)
    statuses = []

    def save(client, data):
        start.wait()
        statuses.append(client.post(f"/budgets/{w.budget_a}/edit", data=data).status_code)

    threads = [threading.Thread(target=save, args=pair) for pair in zip(clients, fields)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [302, 409]
    db.session.expire_all()
    assert [r.number for r in db.session.get(Budget, w.budget_a).revisions] == [1, 2]


def test_the_budget_list_reads_no_revisions_figures(app, client):
    w = world.build()
    log_in(client, "a_prep")
    client.post(f"/budgets/{w.budget_a}/edit", data=form_fields(sample(name="A 项目")) | {"base_revision": "1"})
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        page = client.get("/budgets/").get_data(as_text=True)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert "A 项目" in page and "391,818.50" in page
    assert statements and not [s for s in statements if "result_json" in s or "input_json" in s]


@pytest.mark.parametrize("extra", [
    {},                                                                   # as the page posts it
    {"personnel-7-post": "跳号的行", "personnel-7-monthly_pay": "4000"},   # a gap in the row numbers
    {"personnel-²-post": "x", "personnel-x-post": "y", "unknown": "z"},   # not rows, not fields
])
def test_reading_a_posted_form_gives_what_wtforms_would(app, extra):
    fields = form_fields(sample(name="A 项目")) | extra
    del fields["contractor-taxpayer"], fields["personnel-1-category"]     # not posted: the field's default
    formdata = MultiDict(fields)
    with app.test_request_context("/", method="POST", data=fields):
        wtforms = BudgetForm(formdata=formdata).data
    wtforms.pop("csrf_token", None)
    assert mapping.read_form(formdata, BudgetForm) == wtforms


def test_saving_without_changes_makes_no_revision(app, client):
    w = world.build()
    log_in(client, "a_prep")
    same = form_fields(sample(name="A 项目")) | {"base_revision": "1", "note": "只改了说明"}
    response = client.post(f"/budgets/{w.budget_a}/edit", data=same)
    assert response.status_code == 409 and "没有修改：内容与修订 1 相同" in response.get_data(as_text=True)
    assert [r.number for r in db.session.get(Budget, w.budget_a).revisions] == [1]


def test_a_revisions_tables_are_rendered_once_and_a_new_revision_renders_its_own(app, client):
    views._FIGURES.clear()
    w = world.build()
    log_in(client, "a_prep")
    first = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert len(views._FIGURES) == 1
    assert client.get(f"/budgets/{w.budget_a}").get_data(as_text=True).count("4,300.00") == first.count("4,300.00")
    assert len(views._FIGURES) == 1
    edited = form_fields(sample(name="A 项目")) | {"base_revision": "1", "personnel-1-monthly_pay": "4567.00"}
    assert client.post(f"/budgets/{w.budget_a}/edit", data=edited).status_code == 302
    second = client.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert len(views._FIGURES) == 2 and "4,567.00" in second and "4,567.00" not in first


def test_a_post_name_is_escaped_in_the_kept_page_tables(app, client):
    views._FIGURES.clear()
    world.build()
    log_in(client, "a_prep")
    data = sample(name="转义")
    data["personnel"][0]["post"] = '<script>alert(1)</script>'
    response = client.post("/budgets/new", data=form_fields(data))
    for _ in range(2):                              # rendered, then served from what was kept
        page = client.get(response.location).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(views._FIGURES) == 1
