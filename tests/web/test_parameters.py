"""Policy parameters in the database: seeding and export, administration under the two-person rule,
staleness on a fixed clock, and what a newly confirmed figure does to drafts and approved budgets."""
import copy
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from costing import cli
from costing.budgets import service
from costing.engine import plausible
from costing.engine.parameters import default_parameters, load_documents, parse_documents
from costing.models import (
    AuditEntry,
    Budget,
    DistrictTier,
    ParamSourceCheck,
    ParamState,
    ParamValue,
    Revision,
    User,
    db,
)
from costing.parameters import export, provider, review
from costing.parameters.seed import bump, seed
from costing.web import current_parameters

from . import world
from .test_rosters import person, roster_file, upload
from .world import log_in

TODAY = date(2026, 11, 29)


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = TODAY
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


NEW_BASE = {"region": "cq", "value": "4,600", "start": "2026-01-01", "end": "2026-12-31",
            "doc_no": "渝人社发〔2026〕30号", "title": "关于做好2026年度社会保险缴费基数上下限核定有关工作的通知",
            "issuer": "重庆市人力资源和社会保障局", "doc_date": "2026-08-20", "url": "https://rlsbj.cq.gov.cn/x.html",
            "confidence": "verified_official", "note": ""}


# ------------------------------------------------------------------ seeding and export

def test_seeded_database_exports_the_shipped_files_exactly(app, tmp_path):
    documents = export.export_documents(db.session)
    assert documents == load_documents()
    assert parse_documents(documents).version == default_parameters().version
    # export → files → import into an empty database → export: identical files
    export.write_documents(tmp_path / "a", documents)
    again = export.read_documents(tmp_path / "a")
    assert again == documents
    for model in (ParamValue, DistrictTier):
        db.session.query(model).delete()
    for table in ("district_alias", "param_setting", "param_family", "param_source", "param_document", "param_state"):
        db.session.execute(db.metadata.tables[table].delete())
    report = seed(db.session, again, origin="imported")
    assert (report.values, report.districts) == (74, 41)     # 2016–2024 rates split by document; each rate's highest (si.employer_max.*)
    export.write_documents(tmp_path / "b", export.export_documents(db.session))
    for path in sorted((tmp_path / "a").iterdir()):
        assert (tmp_path / "b" / path.name).read_bytes() == path.read_bytes()


def test_seeding_again_proposes_what_is_new_or_changed_and_changes_nothing_until_confirmed(fixed):
    world.build()
    before = provider.today_version(db.session)
    assert not seed(db.session, load_documents()).changed
    assert provider.today_version(db.session) == before
    documents = copy.deepcopy(load_documents())
    si = dict(documents)["social_insurance.yaml"]
    si["families"]["si.base_floor"]["values"].append(
        {"start": "2026-01-01", "end": "2026-12-31", "region": "cq", "value": "4600", "source": "si-2025",
         "confidence": "secondary"})
    pension = si["families"]["si.employer.pension"]["values"]
    pension.append({"start": "2027-01-01", "end": None, "region": "cq", "value": "0.15", "source": "gbf-2019-13",
                    "confidence": "secondary"})
    pension[0]["value"] = "0.20"          # a changed existing value: proposed as a correction of the 19%
    report = seed(db.session, documents, today=TODAY)
    assert report.values == report.districts == 0 and not report.refused
    assert [line.what for line in report.proposed] == [
        "社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元",
        "养老保险单位费率 重庆市 2016-05-01 起 20%（更正 19%，2016-05-01 至 2018-04-30；随软件新版本的数据文件）",
        "养老保险单位费率 重庆市 2027-01-01 起 15%"]
    assert all(line.row.status == "pending" and line.row.created_by_id is None for line in report.proposed)
    assert "未改动：最低工资标准（月） 第一档 2025-01-01 起 2,330.00 元" in report.lines
    # nothing counts before a second administrator confirms it
    assert provider.today_version(db.session) == before and not report.closed
    admin = log_in(fixed.test_client(), "admin")
    for line in report.proposed:
        assert admin.post(f"/admin/parameters/values/{line.row.id}/confirm").status_code == 302
    params = parse_documents(export.export_documents(db.session))
    assert params.at("si.base_floor", date(2026, 3, 1), "cq").value == Decimal("4600")
    assert params.at("si.employer.pension", date(2016, 7, 1), "cq").value == Decimal("0.20")
    assert params.at("si.employer.pension", date(2026, 3, 1), "cq").value == Decimal("0.16")
    assert params.at("si.employer.pension", date(2027, 3, 1), "cq").value == Decimal("0.15")
    assert provider.today_version(db.session) == params.version != before


def test_seeding_never_makes_confirmed_periods_overlap(fixed):
    world.build()
    documents = copy.deepcopy(load_documents())
    floor = dict(documents)["min_wage.yaml"]["families"]["min_wage.monthly"]["values"]
    floor.append({"start": "2027-01-01", "end": None, "region": "tier1", "value": "2500", "source": "hrss-2024-22",
                  "confidence": "secondary"})
    [line] = seed(db.session, documents, today=TODAY).proposed
    log_in(fixed.test_client(), "admin").post(f"/admin/parameters/values/{line.row.id}/confirm")   # ends 2330 at 2026-12-31
    floor.append({"start": "2026-07-01", "end": None, "region": "tier1", "value": "2400", "source": "hrss-2024-22",
                  "confidence": "secondary"})
    report = seed(db.session, documents, today=TODAY)
    assert report.values == 0 and not report.proposed
    assert [(line.what, line.why) for line in report.refused] == [(
        "最低工资标准（月） 第一档 2026-07-01 起 2,400.00 元",
        "与已生效的数值重叠：2025-01-01 至 2026-12-31，2,330.00 元（渝人社发〔2024〕22号）；同一适用范围的有效期不能重叠")]
    assert "未改动：最低工资标准（月） 第一档 2025-01-01 起 2,330.00 元（截止日期 2026-12-31 在其后的新数值复核通过时设定）" \
        not in report.lines                         # the files still have it open: the database ended it
    assert "未改动：最低工资标准（月） 第一档 2025-01-01 起 2,330.00 元（数据库中已由 2027-01-01 起的数值截止于 2026-12-31）" \
        in report.lines


def test_a_pending_value_does_not_change_the_set_or_its_version(fixed, client):
    world.build()
    version = provider.today_version(db.session)
    log_in(client, "admin")
    assert client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE).status_code == 302
    assert provider.today_version(db.session) == version
    assert parse_documents(export.export_documents(db.session)).version == version
    assert provider.Provider().get(db.session).version == version            # a freshly started process


def test_cli_exports_the_database(app, tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.commit()
    assert cli.main(["params", "--export", str(tmp_path)]) == 0
    assert export.read_documents(tmp_path) == load_documents()


@pytest.mark.commits          # the CLI reads the database on its own connection: it must see the change committed
def test_the_cli_says_which_figures_it_priced_with_and_warns_of_newer_ones_in_the_database(fixed, tmp_path,
                                                                                          monkeypatch, capsys):
    world.build()
    budget = tmp_path / "budget.json"
    data = world.sample(start="2026-01", end="2026-12")
    data["personnel"] = [{"post": "社工", "category": "community", "level": "junior", "certificate": "none",
                          "headcount": 1, "monthly_pay": "4000.00", "months": 12}]
    budget.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("COSTING_DATABASE_URL", fixed.config["SQLALCHEMY_DATABASE_URI"])
    capsys.readouterr()
    assert cli.main(["compute", str(budget)]) == 0
    said = capsys.readouterr().err
    assert "政策参数：随软件发布的数据文件（参数集 " in said and "注意" not in said and "无法判断" not in said
    _confirm_new_base(fixed)
    assert cli.main(["compute", str(budget)]) == 0
    out = capsys.readouterr()
    files_total = json.loads(out.out)["totals"]["grand_total"]
    assert ("注意：数据库中有 1 个数据文件没有的已生效数值（社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元），"
            "网页与接口按它们测算，结果可能与这里不同；加 --db 使用数据库中的参数") in out.err
    assert cli.main(["compute", str(budget), "--db"]) == 0
    out = capsys.readouterr()
    assert out.err.startswith("政策参数：数据库中已复核生效的参数（参数集 ") and "注意" not in out.err
    assert json.loads(out.out)["totals"]["grand_total"] != files_total
    # a database that cannot be read: the command still answers, and says it cannot tell
    monkeypatch.setenv("COSTING_DATABASE_URL", f"sqlite:///{tmp_path}")           # a folder, not a database
    assert cli.main(["params", "--on", "2026-07-01"]) == 0
    assert "无法判断数据库中是否有更新的参数：无法读取（" in capsys.readouterr().err


# ------------------------------------------------------------------ administration

def test_only_administrators_see_the_parameter_pages(app, client):
    world.build()
    log_in(client, "a_prep")
    assert client.get("/admin/parameters/").status_code == 403
    assert client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE).status_code == 403
    admin = log_in(app.test_client(), "admin")
    page = _text(admin.get("/admin/parameters/"))
    assert "社会保险缴费基数下限（月）" in page
    assert admin.get("/admin/parameters/family/no.such").status_code == 404


def test_index_lists_each_family_with_its_value_today_and_staleness(fixed, client):
    world.build()
    log_in(client, "admin")
    page = _text(client.get("/admin/parameters/"))
    assert "最低工资标准（月）" in page and "2,330.00" in page and "渝人社发〔2024〕22号" in page
    # the base was due for its 2026 renewal on 2026-01-01: ten months overdue on 2026-11-29
    assert "需要更新的参数" in page
    assert re.search(r"社会保险缴费基数下限（月）</a>：最新数值 2025-01-01 至 2025-12-31（.*）已到期，"
                     r"按「每个年度公布一次（通常 7–9 月）」应已公布新数值，已逾期 10 个月", page)
    assert "2025-12-31 之后的月份正在沿用该数值" in page
    assert "最低工资标准（月）" not in page.split("需要更新的参数")[1].split("</ul>")[0]   # due 2028-01-01


def test_the_administrators_landing_page_says_what_needs_attention(fixed, client):
    world.build()
    log_in(client, "admin")
    page = _text(client.get("/budgets/"))
    assert "政策参数：" in page and "社会保险缴费基数下限（月）" in page and "查看政策参数" in page
    client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE)
    assert "1 项待复核" in _text(client.get("/budgets/"))
    preparer = log_in(fixed.test_client(), "a_prep")
    assert "政策参数：" not in _text(preparer.get("/budgets/"))


def test_no_staleness_warning_before_the_renewal_is_due(fixed, client):
    fixed.config["TODAY"] = date(2024, 6, 1)
    world.build()
    log_in(client, "admin")
    page = _text(client.get("/admin/parameters/"))
    assert "需要更新的参数" not in page and "各参数均在更新周期内" in page


@pytest.mark.parametrize("field, value, message", [
    ("value", "abc", "请填写数字"),
    ("value", "-5", "不能是负数"),
    ("value", "99999999", "99,999,999.00 元 超出合理范围（100.00 元–100,000.00 元）"),
    ("value", "46", "46.00 元 超出合理范围（100.00 元–100,000.00 元）；46.00 元 与上一期（2025-01-01 起）的 4,404.00 元 相差一倍以上"),
    ("value", "4600.001", "金额最多两位小数（到分）"),
    ("value", "4e3", "请填写数字"),
    ("start", "2026-02-30", "日期 2026-02-30 不存在"),
    ("start", "20260101", "请按“年-月-日”填写"),
    ("start", "2026-13-01", "日期 2026-13-01 不存在"),
    ("start", "", "请填写起始日期"),
    ("start", "1999-12-01", "起始日期不能早于 2000-01-01"),
    ("start", "2028-01-01", "距今超过一年"),
    ("end", "2025-12-31", "截止日期 2025-12-31 早于起始日期 2026-01-01"),
    ("doc_no", "", "「已核实（官方网站原文）」须填写文号"),
    ("doc_no", "渝人社发[2026]30号", "文号中的年份用六角括号〔〕，如 渝人社发〔2024〕22号"),
    ("doc_no", "第30号", "文号应按原件写作如 渝人社发〔2024〕22号、财政部 税务总局公告2023年第19号、财政部令第102号 的形式"),
    ("url", "", "「已核实（官方网站原文）」须填写政府网站上原文的地址"),
    ("issuer", "", "请填写发文机关"),
    ("doc_date", "2026-12-01", "发文日期 2026-12-01 晚于今天"),
    ("url", "javascript:alert(1)", "链接须以 http:// 或 https:// 开头"),
    ("confidence", "very", "请选择可信度"),
])
def test_malformed_values_are_refused_at_the_field(fixed, client, field, value, message):
    world.build()
    log_in(client, "admin")
    response = client.post("/admin/parameters/family/si.base_floor", data={**NEW_BASE, field: value})
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 400
    page = _text(response)
    assert message in page
    assert 'value="渝人社发〔2026〕30号"' in page or field == "doc_no"          # what was typed is kept
    assert db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin")) is None


def test_without_a_document_number_a_secondary_source_is_cited_by_its_title(fixed, client):
    world.build()
    log_in(client, "admin")
    data = {**NEW_BASE, "doc_no": "", "url": "", "confidence": "secondary"}
    assert client.post("/admin/parameters/family/si.base_floor", data=data).status_code == 302


def test_rates_take_percent_or_fraction_and_must_be_plausible(fixed, client):
    world.build()
    log_in(client, "admin")
    data = {**NEW_BASE, "value": "16", "start": "2027-01-01", "end": ""}
    response = client.post("/admin/parameters/family/si.employer.pension", data=data)
    assert response.status_code == 400 and "1600% 超出合理范围（0%–50%）" in _text(response)
    assert db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin")) is None
    response = client.post("/admin/parameters/family/si.employer.pension", data={**data, "value": "15%"})
    assert response.status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin"))
    assert row.value == "0.15" and row.status == "pending"


def test_a_large_change_needs_an_acknowledgement_and_a_note(fixed, client):
    world.build()
    log_in(client, "admin")
    response = client.post("/admin/parameters/family/si.base_floor", data={**NEW_BASE, "value": "9,000"})
    assert response.status_code == 400 and "与上一期（2025-01-01 起）的 4,404.00 元 相差一倍以上" in _text(response)
    assert 'name="acknowledge"' in _text(response)          # the box to tick appears with the flag
    # a note alone no longer lets it through: the entrant acknowledges the flag, and says why
    data = {**NEW_BASE, "value": "9,000", "note": "基数口径改为全口径城镇单位就业人员平均工资的 100%"}
    assert client.post("/admin/parameters/family/si.base_floor", data=data).status_code == 400
    response = client.post("/admin/parameters/family/si.base_floor", data={**data, "note": "", "acknowledge": "y"})
    assert response.status_code == 400 and "数值有提示" in _text(response)
    assert client.post("/admin/parameters/family/si.base_floor", data={**data, "acknowledge": "y"}).status_code == 302


def test_every_shipped_value_is_a_figure_of_its_unit_within_its_plausible_range():
    for family in default_parameters().families.values():
        for records in family.records.values():
            for record in records:
                assert review.parse_value(str(record.value), family.unit) == record.value
                assert record.value in plausible.plausible_range(family.key, family.unit), (family.key, record.value)


def test_two_pending_successors_cannot_both_mean_to_end_the_same_value(fixed, client):
    world.build()
    log_in(client, "admin")
    data = {**NEW_BASE, "value": "0.4%", "start": "2027-01-01", "end": ""}
    assert client.post("/admin/parameters/family/si.employer.work_injury", data=data).status_code == 302
    response = client.post("/admin/parameters/family/si.employer.work_injury",
                           data={**data, "value": "0.35%", "start": "2026-01-01", "end": "2026-06-30"})
    assert response.status_code == 400
    assert "待复核的 2027-01-01 起的数值 0.4% 复核通过时将截止 2015-10-01 起的数值；请先复核或撤回它" in _text(response)


def test_overlapping_periods_are_refused(fixed, client):
    world.build()
    log_in(client, "admin")
    response = client.post("/admin/parameters/family/si.base_floor",
                           data={**NEW_BASE, "start": "2025-07-01", "end": "2026-06-30"})
    assert response.status_code == 400
    assert "与已生效的数值重叠：2025-01-01 至 2025-12-31，4,404.00" in _text(response)
    assert client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE).status_code == 302
    response = client.post("/admin/parameters/family/si.base_floor", data={**NEW_BASE, "start": "2026-06-01"})
    assert response.status_code == 400 and "与待复核的数值重叠：2026-01-01 至 2026-12-31" in _text(response)


def test_two_person_rule(fixed, client):
    world.build()
    log_in(client, "admin")
    assert client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin"))
    version = provider.today_version(db.session)
    page = _text(client.get("/admin/parameters/family/si.base_floor"))
    assert "待复核" in page and "待另一位管理员复核" in page
    # the one who entered it cannot confirm it
    client.post(f"/admin/parameters/values/{row.id}/confirm")
    db.session.refresh(row)
    assert row.status == "pending" and provider.today_version(db.session) == version
    assert "录入人不能复核自己录入的数值" in _text(client.get("/admin/parameters/family/si.base_floor"))
    # a second administrator can
    other = log_in(fixed.test_client(), "admin2")
    assert other.post(f"/admin/parameters/values/{row.id}/confirm").status_code == 302
    db.session.refresh(row)
    assert row.status == "confirmed" and row.reviewed_by.username == "admin2"
    assert provider.today_version(db.session) != version
    actions = [(e.action, e.user.username) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("param_%")).order_by(AuditEntry.id))]
    assert actions == [("param_add", "admin"), ("param_confirm", "admin2")]
    # confirmed once: a second confirmation is refused
    other.post(f"/admin/parameters/values/{row.id}/confirm")
    assert "该项目前为「已生效」，不能再处理" in _text(other.get("/admin/parameters/family/si.base_floor"))


def test_a_confirmed_value_is_corrected_under_the_same_rule(fixed, client):
    world.build()
    log_in(client, "admin")
    old = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.base_floor",
                                                     ParamValue.start == date(2025, 1, 1)))
    page = _text(client.get(f"/admin/parameters/family/si.base_floor?replaces={old.id}"))
    assert "更正数值" in page and 'value="4404"' in page and 'value="2025-01-01"' in page
    data = {**NEW_BASE, "value": "4,405", "start": "2025-01-01", "end": "2025-12-31", "replaces": str(old.id)}
    response = client.post("/admin/parameters/family/si.base_floor", data=data)
    assert response.status_code == 400 and "请在“说明”中写明更正原因" in _text(response)
    data["note"] = "原文为 4405 元"
    assert client.post("/admin/parameters/family/si.base_floor", data=data).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == old.id))
    assert row.status == "pending"
    params = fixed.extensions["costing_params"].get(db.session)
    assert params.at("si.base_floor", date(2025, 3, 1), "cq").value == Decimal("4404")
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm")
    db.session.refresh(old)
    assert old.status == "superseded" and "4,405.00" in old.review_note
    params = fixed.extensions["costing_params"].get(db.session)
    assert params.at("si.base_floor", date(2025, 3, 1), "cq").value == Decimal("4405")


def test_reject_needs_a_reason_and_withdraw_is_for_the_author(fixed, client):
    world.build()
    log_in(client, "admin")
    client.post("/admin/parameters/family/si.base_floor", data=NEW_BASE)
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin"))
    other = log_in(fixed.test_client(), "admin2")
    other.post(f"/admin/parameters/values/{row.id}/withdraw")
    db.session.refresh(row)
    assert row.status == "pending"
    other.post(f"/admin/parameters/values/{row.id}/reject", data={"reason": ""})
    db.session.refresh(row)
    assert row.status == "pending"
    other.post(f"/admin/parameters/values/{row.id}/reject", data={"reason": "数值与原文不符"})
    db.session.refresh(row)
    assert row.status == "rejected" and row.review_note == "数值与原文不符"
    assert "理由：数值与原文不符" in _text(client.get("/admin/parameters/family/si.base_floor"))


def test_confirming_a_successor_closes_the_open_value(fixed, client):
    world.build()
    log_in(client, "admin")
    data = {**NEW_BASE, "region": "tier1", "value": "2500", "start": "2026-12-01", "end": "",
            "doc_no": "渝人社发〔2026〕40号"}
    assert client.post("/admin/parameters/family/min_wage.monthly", data=data).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin"))
    assert "复核通过后，2025-01-01 起的数值 2,330.00 元 将截止于 2026-11-30" in _text(
        client.get("/admin/parameters/family/min_wage.monthly"))
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm")
    old = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "min_wage.monthly",
                                                     ParamValue.region == "tier1", ParamValue.value == "2330"))
    assert old.end == date(2026, 11, 30)
    params = fixed.extensions["costing_params"].get(db.session)
    assert params.at("min_wage.monthly", date(2026, 12, 1), "tier1").value == Decimal("2500")
    assert params.at("min_wage.monthly", date(2026, 11, 1), "tier1").value == Decimal("2330")


def test_a_tier_entered_under_a_short_name_applies_to_the_district(fixed, client):
    world.build()
    log_in(client, "admin")
    data = {"district": "石柱县", "region": "tier1", "start": "2026-12-01", "doc_no": "渝人社发〔2026〕40号",
            "title": "", "issuer": "重庆市人力资源和社会保障局", "doc_date": "2026-11-20", "url": "",
            "confidence": "verified_mirror"}
    assert client.post("/admin/parameters/districts", data=data).status_code == 302
    row = db.session.scalar(select(DistrictTier).where(DistrictTier.origin == "admin"))
    assert row.district == "石柱土家族自治县"
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/districts/{row.id}/confirm")
    assert fixed.extensions["costing_params"].get(db.session).district("石柱县", date(2027, 1, 1)).tier == "tier1"


def test_district_tiers_are_edited_under_the_same_rule(fixed, client):
    world.build()
    log_in(client, "admin")
    data = {"district": "城口县", "region": "tier1", "start": "2026-12-01", "doc_no": "渝人社发〔2026〕40号",
            "title": "", "issuer": "重庆市人力资源和社会保障局", "doc_date": "2026-11-20", "url": "",
            "confidence": "verified_mirror"}
    response = client.post("/admin/parameters/districts", data={**data, "district": "<b>x</b>"})
    assert response.status_code == 400 and "请填写区县全称" in _text(response)
    response = client.post("/admin/parameters/districts", data={**data, "district": "渝北县"})
    assert response.status_code == 400 and "「渝北县」不在区县名单中" in _text(response)
    response = client.post("/admin/parameters/districts", data={**data, "district": "渝北区"})
    assert response.status_code == 400 and "渝北区 在 2026-12-01 已是第一档（2019-01-01 起），无需录入" in _text(response)
    assert client.post("/admin/parameters/districts", data=data).status_code == 302
    row = db.session.scalar(select(DistrictTier).where(DistrictTier.origin == "admin"))
    assert row.status == "pending"
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/districts/{row.id}/confirm")
    params = fixed.extensions["costing_params"].get(db.session)
    assert params.district("城口县", date(2026, 11, 1)).tier == "tier2"
    assert params.district("城口县", date(2026, 12, 1)).tier == "tier1"
    assert export.export_documents(db.session) != load_documents()


# ------------------------------------------------------------------ budgets pin their set

def _confirm_new_base(app, value: str = "4,600") -> None:
    admin = log_in(app.test_client(), "admin")
    assert admin.post("/admin/parameters/family/si.base_floor", data={**NEW_BASE, "value": value}).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin", ParamValue.status == "pending"))
    log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm")


def _low_pay_budget(app, status: str) -> int:
    """A budget in 2026 whose pay is below the base floor, so the floor decides the contributions."""
    data = world.sample(name=f"{status} 项目", start="2026-01", end="2026-12")
    data["personnel"] = [{"post": "社会工作者", "category": "community", "level": "junior", "certificate": "none",
                          "headcount": 1, "monthly_pay": "4000.00", "months": 12}]
    preparer = db.session.scalar(select(User).where(User.username == "a_prep"))
    approver = db.session.scalar(select(User).where(User.username == "a_appr"))
    budget = service.create_budget(preparer, data, current_parameters())
    if status in ("submitted", "approved"):
        errors = service.result_of(budget.latest).errors       # each error needs its 例外说明 to go forward
        service.justify(budget, preparer, {f.key: "测试：经同意按此执行" for f in errors}, 1)
        service.submit(budget, preparer, 1, confirmed=True)
    if status == "approved":
        service.approve(budget, approver, 1, confirmed=True)
    db.session.commit()
    return budget.id


def test_a_confirmed_new_base_changes_a_draft_but_not_an_approved_revision(fixed, client):
    world.build()
    draft_id = _low_pay_budget(fixed, "draft")
    approved_id = _low_pay_budget(fixed, "approved")
    log_in(client, "a_prep")
    approved_pdf = client.get(f"/budgets/{approved_id}/annex.pdf").data          # stored at first render
    approved_before = db.session.get(Budget, approved_id).latest.result_json
    page = _text(client.get(f"/budgets/{draft_id}"))
    assert "按最新政策参数" not in page
    assert "参数已更新" not in _text(client.get("/budgets/"))
    _confirm_new_base(fixed)
    listing = _text(client.get("/budgets/"))
    assert listing.count("参数已更新</a>") == 2          # A's draft from world.build() and this draft, not the approved

    page = _text(client.get(f"/budgets/{draft_id}"))
    # 4,000 pay is below the floor: the base rises 4,404 → 4,600 (+196) each month of 2026.
    # Per month: pension 16% × 196 = 31.36; medical 8.5% × 196 = 16.66; serious illness 1.5% × 196 = 2.94;
    # unemployment 0.5% × 196 = 0.98; work injury 0.3% × 196 = 0.588 (0.5880 → the rounded items differ by
    # 4600 × 0.003 = 13.80 − 4404 × 0.003 = 13.21 → 0.59). Per month 31.36 + 16.66 + 2.94 + 0.98 + 0.59 = 52.53;
    # 12 months → 630.36 more personnel cost.
    draft = db.session.get(Budget, draft_id)
    change = _change(fixed, draft.latest)
    personnel = change.comparison.totals[0]
    assert personnel.label == "人员经费" and personnel.after - personnel.before == personnel.delta == Decimal("630.36")
    assert f"按最新政策参数，本预算将变化 +{change.delta:,.2f} 元" in page
    assert "社会工作者" in page and "新采用的依据：社会保险缴费基数下限（月）" in page

    # the approved revision and its stored annex keep their figures
    page = _text(client.get(f"/budgets/{approved_id}"))
    assert "按最新政策参数，本预算将变化" not in page and "本修订的数字保持不变" in page
    assert db.session.get(Budget, approved_id).latest.result_json == approved_before
    assert client.get(f"/budgets/{approved_id}/annex.pdf").data == approved_pdf

    # one click: a new draft revision computed with the new set
    number = draft.latest.number
    response = client.post(f"/budgets/{draft_id}/recompute", data={"revision": str(number)})
    assert response.status_code == 302
    db.session.expire_all()
    draft = db.session.get(Budget, draft_id)
    assert draft.latest.number == number + 1
    assert draft.latest.parameter_set == provider.today_version(db.session)
    assert draft.latest.grand_total == change.grand_total_now
    # the revision says why it exists: the same input, and which figure changed
    assert draft.latest.note == "按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-12：4,404.00 元 → 4,600.00 元"
    assert "按最新政策参数，本预算将变化" not in _text(client.get(f"/budgets/{draft_id}"))
    # a second click (a stale page) is refused, not a second revision
    client.post(f"/budgets/{draft_id}/recompute", data={"revision": str(number)})
    db.session.expire_all()
    assert db.session.get(Budget, draft_id).latest.number == number + 1


def test_saving_an_untouched_form_after_a_policy_change_says_why_the_revision_exists(fixed, client):
    world.build()
    draft_id, other_id = _low_pay_budget(fixed, "draft"), _low_pay_budget(fixed, "draft")
    log_in(client, "a_prep")
    # the form as the page has it, opened before the change and saved untouched after it
    data = world.page_form(client.get(f"/budgets/{draft_id}/edit").get_data(as_text=True), "budget-form")
    assert data["base_revision"] == "1" and data["personnel-0-monthly_pay"] == "4000.00"
    _confirm_new_base(fixed)
    assert client.post(f"/budgets/{draft_id}/edit", data=data).status_code == 302
    db.session.expire_all()
    latest = db.session.get(Budget, draft_id).latest
    assert latest.number == 2
    assert latest.note == "按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-12：4,404.00 元 → 4,600.00 元"
    history = _text(client.get(f"/budgets/{draft_id}/history"))
    assert "按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-12：4,404.00 元 → 4,600.00 元" in history
    # a note typed as well is kept after the reason
    typed = world.page_form(client.get(f"/budgets/{other_id}/edit").get_data(as_text=True), "budget-form")
    client.post(f"/budgets/{other_id}/edit", data=typed | {"note": "年度复核"})
    db.session.expire_all()
    assert db.session.get(Budget, other_id).latest.note == (
        "按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）2026-01 至 2026-12：4,404.00 元 → 4,600.00 元；年度复核")


def test_submitted_budgets_cannot_be_recomputed(fixed, client):
    world.build()
    submitted_id = _low_pay_budget(fixed, "submitted")
    _confirm_new_base(fixed)
    log_in(client, "a_prep")
    page = _text(client.get(f"/budgets/{submitted_id}"))
    assert "按最新政策参数，本预算将变化" not in page
    client.post(f"/budgets/{submitted_id}/recompute", data={"revision": "1"})
    assert db.session.get(Budget, submitted_id).revision_count == 1


def test_the_live_preview_and_the_api_use_the_confirmed_set(fixed, client):
    world.build()
    data = world.sample(start="2026-01", end="2026-12")
    data["personnel"] = [{"post": "社工", "category": "community", "level": "junior", "certificate": "none",
                          "headcount": 1, "monthly_pay": "4000.00", "months": 12}]
    preparer = log_in(fixed.test_client(), "a_prep")
    before = client.post("/api/v1/compute", json=data).get_json()
    preview_before = preparer.post("/budgets/preview", data=world.form_fields(data)).get_json()
    _confirm_new_base(fixed)
    after = client.post("/api/v1/compute", json=data).get_json()
    preview_after = preparer.post("/budgets/preview", data=world.form_fields(data)).get_json()
    assert Decimal(after["totals"]["personnel"]) - Decimal(before["totals"]["personnel"]) == Decimal("630.36")
    assert after["parameter_set"] == provider.today_version(db.session) != before["parameter_set"]
    # the page's preview reads the same totals as the API, formatted as the saved page formats them
    for api, page in ((before, preview_before), (after, preview_after)):
        assert page["totals"]["personnel"] == f"{Decimal(api['totals']['personnel']):,.2f} 元"


def _change(app, revision: Revision):
    return service.policy_change(revision, current_parameters())


def test_a_roster_checked_after_a_new_set_says_which_set_it_used(fixed, client):
    w = world.build()
    _confirm_new_base(fixed)
    log_in(client, "c_user")
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file([person()]))
    assert response.status_code == 302
    page = _text(client.get(response.location))
    revision = db.session.get(Budget, w.budget_a).latest
    assert revision.parameter_set != provider.today_version(db.session)
    assert "本报告按核对时有效的政策参数核对；预算修订 1 按更早的政策参数测算" in page


@pytest.mark.parametrize("floor", ["4600", "4700"])
def test_each_test_and_each_restored_database_gets_its_own_set(app, floor):
    """Two changes that each take the set to generation 2 (here: two tests, each rolled back) still give
    two sets: the app knows a set by its version too."""
    row = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.base_floor")
                            .order_by(ParamValue.start.desc()).limit(1))
    assert row.value == "4404"          # (the set is not read before the change: that would hide a stale one)
    row.value = floor
    bump(db.session)
    db.session.commit()
    assert db.session.get(ParamState, 1).generation == 2
    assert current_parameters().at("si.base_floor", date(2025, 7, 1), "cq").value == Decimal(floor)


def test_a_figure_checked_against_the_original_is_marked_so_after_a_second_administrator(fixed, client):
    """核实来源 is not a correction: the figure stays the one in force (never 已更正), its source takes the citation as
    the original prints it, who checked it and when, and keeps the link it had."""
    world.build()
    row = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.employer.unemployment",
                                                     ParamValue.start == date(2025, 1, 1)))
    link = row.source.url
    assert link and not row.source.verified
    admin = log_in(client, "admin")
    # the former 核对原文 link leads to the check of the source, not to a form headed 更正数值
    response = admin.get(f"/admin/parameters/family/si.employer.unemployment?replaces={row.id}&verify=1")
    assert response.status_code == 302 and f"/admin/parameters/sources/{row.source_id}/verify" in response.location
    page = _text(admin.get(response.location))
    assert "<h1>核实来源</h1>" in page and "更正数值" not in page and "核实来源不改变任何数值" in page
    data = {"doc_no": row.source.doc_no, "title": row.source.title, "issuer": row.source.issuer,
            "doc_date": "2024-04-30", "url": "",                     # left empty: the link it had stays
            "confidence": "verified_official", "verified_by": "重庆市人力资源和社会保障局", "verified_on": "2026-11-20",
            "note": "对照人力资源社会保障部网站原文核对了抬头与落款"}
    assert admin.post(f"/admin/parameters/sources/{row.source_id}/verify?value={row.id}", data=data).status_code == 302
    check = db.session.scalar(select(ParamSourceCheck).where(ParamSourceCheck.source_id == row.source_id))
    assert check.status == "pending" and check.url == link
    # the one who proposed it cannot confirm it
    admin.post(f"/admin/parameters/checks/{check.id}/confirm")
    db.session.refresh(check)
    assert check.status == "pending" and not db.session.get(ParamValue, row.id).source.verified
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/checks/{check.id}/confirm")
    db.session.expire_all()
    same = db.session.get(ParamValue, row.id)
    assert same.status == "confirmed" and same.value == "0.005" and same.confidence == "verified_official"
    assert not db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == row.id))
    source = same.source
    assert (source.url, source.verified_by, source.verified_on, source.date) == (
        link, "重庆市人力资源和社会保障局", "2026-11-20", "2024-04-30")
    assert source.note.endswith("2026-11-20 重庆市人力资源和社会保障局 核实：对照人力资源社会保障部网站原文核对了抬头与落款")
    unemployment = current_parameters().at("si.employer.unemployment", date(2025, 7, 1), "cq")
    assert unemployment.record.source.verified and unemployment.value == Decimal("0.005")
    history = _text(admin.get("/admin/parameters/family/si.employer.unemployment"))
    assert "已核实来源" in history and "已更正" not in history
    actions = [(e.action, e.user.username) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("source_check%")).order_by(AuditEntry.id))]
    assert actions == [("source_check", "admin"), ("source_check_confirm", "admin2")]


def test_a_copy_priced_with_newer_figures_says_which_changed(fixed, client):
    world.build()
    approved_id = _low_pay_budget(fixed, "approved")
    _confirm_new_base(fixed)
    log_in(client, "a_prep")
    response = client.post(f"/budgets/{approved_id}/duplicate", data={"revision": "1"})
    copy = db.session.get(Budget, int(response.location.rstrip("/").split("/")[-1]))
    assert copy.latest.note == ("复制自《approved 项目》修订 1；按新政策参数重新计算：社会保险缴费基数下限（月）（重庆市）"
                                "2026-01 至 2026-12：4,404.00 元 → 4,600.00 元")
    assert copy.grand_total != db.session.get(Budget, approved_id).grand_total
