"""The audit log says in words what each entry is about, with a link where the administrator can follow it: a
budget by its name, a policy figure by what it is, a set of policy parameters by its latest change."""
from sqlalchemy import select

from costing.accounts import service as accounts
from costing.models import ParamValue, Roster, db
from costing.results.format import localdate

from . import world
from .test_parameters import NEW_BASE
from .test_rosters import person, roster_file, upload
from .world import log_in

BASE = "社会保险缴费基数下限（月） 重庆市 2026-01-01 起"


def test_the_audit_log_names_what_each_entry_is_about(app):
    w = world.build()
    admin, preparer = log_in(app.test_client(), "admin"), log_in(app.test_client(), "a_prep")
    admin.post("/admin/parameters/family/si.base_floor", data=NEW_BASE)
    figure = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{figure.id}/confirm")
    preparer.post(f"/budgets/{w.budget_a}/recompute", data={"revision": "1"})
    copy_id = int(preparer.post(f"/budgets/{w.budget_a}/duplicate", data={"revision": "2"})
                  .location.rstrip("/").split("/")[-1])
    preparer.post(f"/budgets/{copy_id}/delete", data={"revision": "1"})
    upload(log_in(app.test_client(), "c_user"), f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    accounts.record("params_seed", "shipped", "新增 0 个数值")
    accounts.record("budget_recompute", f"budget:{w.budget_b}", "修订 2：参数集 0123456789ab → 0123456789ab")
    db.session.commit()

    page = admin.get("/admin/audit").get_data(as_text=True)
    budget_a = f'<a href="/budgets/{w.budget_a}">预算《A 项目》</a>'
    assert f"<td>{budget_a}</td>" in page and "<td>复制自《A 项目》修订 2</td>" in page
    assert "<td>已删除的预算《A 项目（副本）》</td>" in page
    roster = db.session.scalar(select(Roster))
    assert f'<td><a href="/rosters/{roster.id}">薪酬方案《{roster.name}》</a></td>' in page
    assert f"：1 人，对应 {budget_a}</td>" in page
    assert f'<td><a href="/admin/parameters/family/si.base_floor">政策参数：{BASE} 4,600.00 元</a></td>' in page
    assert "<td>随软件发布的数据文件</td>" in page
    # the recompute says which figure changed, as the revision's note does
    assert ("<td>修订 2：按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-06：4,404.00 元 → "
            "4,600.00 元</td>") in page
    # an entry written before that named the sets by their digests: a set no budget was ever computed with, and
    # that is not today's, is no longer on record
    assert "<td>修订 2：此前的政策参数 → 此前的政策参数</td>" in page
    assert "budget:" not in page and "param:" not in page and "0123456789ab" not in page


def test_the_parameters_page_names_the_set_in_use_by_its_latest_change(app, client):
    world.build()
    log_in(client, "admin")
    assert "预算按当前的政策参数测算：随软件发布的政策参数（" in client.get("/admin/parameters/").get_data(as_text=True)
    client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE)
    figure = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{figure.id}/confirm")
    db.session.refresh(figure)
    said = f"{localdate(figure.reviewed_at)} 复核通过「{BASE} 4,600.00 元」后的政策参数"
    assert f"预算按当前的政策参数测算：{said}。" in client.get("/admin/parameters/").get_data(as_text=True)
    assert f"网页与接口当前使用的是{said}" in client.get("/api").get_data(as_text=True)


def test_a_reference_typed_in_a_note_stays_the_words_typed(app, client):
    """Only where the app itself writes a reference is it read as one: a preparer's note 「经 user:7 同意」 is not
    turned into 「经 用户 …（…）同意」 with a link."""
    w = world.build()
    accounts.record("save", f"budget:{w.budget_a}", f"修订 2：经 user:{w.users['admin']} 同意，见 budget:{w.budget_b}")
    accounts.record("roster_save", "", f"新建，版本 1（导入 budget:{w.budget_b}.xlsx）：1 人，对应 budget:{w.budget_a}")
    db.session.commit()
    page = log_in(app.test_client(), "admin").get("/admin/audit").get_data(as_text=True)
    assert f"修订 2：经 user:{w.users['admin']} 同意，见 budget:{w.budget_b}</td>" in page
    assert f"（导入 budget:{w.budget_b}.xlsx）：1 人，对应 <a href=\"/budgets/{w.budget_a}\">预算《A 项目》</a>" in page
