"""One door for figures: data files (exported with ``params --export`` and edited, or shipped with an upgrade)
come in as proposals that a second administrator confirms, under the checks of the page; the import says, line
by line, what it proposed, left unchanged and refused, and why. An empty database takes the shipped files."""
import copy
from datetime import date
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select

from costing import cli
from costing.engine.parameters import load_documents
from costing.models import AuditEntry, DistrictTier, ParamState, ParamValue, db
from costing.parameters import provider
from costing.web import current_parameters

from . import world
from .world import log_in

TODAY = date(2026, 11, 29)


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = TODAY
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


def _export(tmp_path):
    folder = tmp_path / "导出"
    assert cli.main(["params", "--export", str(folder)]) == 0
    return folder


def _edit(folder, name: str, change) -> None:
    path = folder / name
    doc = yaml.safe_load(path.read_text("utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")


def _seed(app, *args):
    return app.test_cli_runner().invoke(args=["costing", "seed", *args])


@pytest.fixture
def exported(fixed, tmp_path, monkeypatch, capsys):
    """The shipped set exported by the CLI, as an administrator would edit it: a 2027 pension rate typed as 6
    (600%), the 2025 base ceiling changed with the reason in its note, the 2024 floor changed without one."""
    monkeypatch.setenv("COSTING_DATABASE_URL", fixed.config["SQLALCHEMY_DATABASE_URI"])
    folder = _export(tmp_path)
    capsys.readouterr()

    def edit(doc):
        families = doc["families"]
        families["si.employer.pension"]["values"].append(
            {"start": "2027-01-01", "end": None, "region": "cq", "value": "6", "source": "gbf-2019-13",
             "confidence": "secondary"})
        ceiling = next(v for v in families["si.base_ceiling"]["values"] if v["start"] == "2025-01-01")
        ceiling["value"], ceiling["note"] = "2300000", "按新口径"
        floor = next(v for v in families["si.base_floor"]["values"] if v["start"] == "2024-01-01")
        floor["value"] = "4400"
    _edit(folder, "social_insurance.yaml", edit)
    return folder


def test_an_imported_600_percent_rate_is_a_proposal_the_second_administrator_sees_flagged_and_rejects(
        fixed, exported):
    world.build()
    version = provider.today_version(db.session)
    done = _seed(fixed, "--from", str(exported), "--by", "ADMIN")          # user names in any case
    assert done.exit_code == 0, done.output
    out = done.output
    assert ("提出待复核：养老保险单位费率 重庆市 2027-01-01 起 600%【提示：600% 超出合理范围（0%–50%）；"
            "600% 与上一期（2019-05-01 起）的 16% 相差一倍以上】") in out
    assert ("提出待复核：社会保险缴费基数上限（月） 重庆市 2025-01-01 起 2,300,000.00 元（更正 22,017.00 元，"
            "2025-01-01 至 2025-12-31；理由：按新口径）【提示：2,300,000.00 元 超出合理范围（100.00 元–100,000.00 元）") in out
    assert ("未导入：社会保险缴费基数下限（月） 重庆市 2024-01-01 起 4,400.00 元：与已生效的 4,359.00 元（2024-01-01 至 "
            "2024-12-31）不同；更正已生效的数值须写明原因：在文件中该数值的 note 写明更正原因后再导入，或在网页上“更正”") in out
    assert "未改动：最低工资标准（月） 第一档 2025-01-01 起 2,330.00 元" in out
    assert "未改动：区县档次 渝北区 2019-01-01 起 第一档" in out
    assert str(exported) not in out and "导出" not in out
    # nothing counts yet: the pension page still says 16%, the set is the one before
    assert provider.today_version(db.session) == version
    assert current_parameters().at("si.employer.pension", date(2027, 3, 1), "cq").value == Decimal("0.16")
    rate = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.employer.pension",
                                                      ParamValue.start == date(2027, 1, 1)))
    assert (rate.status, rate.origin, rate.created_by.username) == ("pending", "imported", "admin")
    # the audit log names who imported, never where the files were
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("params_seed", "param_add")))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.user.username) for e in entries] == [("params_seed", "admin")] + [("param_add", "admin")] * 2
    assert entries[0].target == "file" and all(str(exported) not in e.detail for e in entries)
    assert entries[0].detail == "提出 2 个数值待复核，未改动 113 项，未导入 1 项"
    admin = log_in(fixed.test_client(), "admin")
    log = _text(admin.get("/admin/audit"))
    assert "导入的数据文件" in log and str(exported) not in log
    # who proposed it cannot confirm it
    admin.post(f"/admin/parameters/values/{rate.id}/confirm", data={"acknowledge": "y"})
    db.session.refresh(rate)
    assert rate.status == "pending"
    # the second administrator sees it flagged and rejects it
    reviewer = log_in(fixed.test_client(), "admin2")
    page = _text(reviewer.get("/admin/parameters/family/si.employer.pension"))
    assert "row-flagged" in page and "600% 超出合理范围（0%–50%）" in page
    reviewer.post(f"/admin/parameters/values/{rate.id}/confirm")                  # no acknowledgement: refused
    db.session.refresh(rate)
    assert rate.status == "pending"
    reviewer.post(f"/admin/parameters/values/{rate.id}/reject", data={"reason": "600% 显系 6% 之误，原文为 16%"})
    db.session.refresh(rate)
    assert rate.status == "rejected"
    # and the one who imported it is told, with the reason
    page = _text(admin.get("/admin/parameters/"))
    assert "您的录入被驳回" in page and "600% 显系 6% 之误，原文为 16%" in page
    assert "600% 显系 6% 之误，原文为 16%" in _text(admin.get("/admin/parameters/mine"))
    assert current_parameters().at("si.employer.pension", date(2027, 3, 1), "cq").value == Decimal("0.16")


def test_an_import_is_proposed_by_an_administrator_named_on_the_command_line(fixed, exported):
    world.build()
    done = _seed(fixed, "--from", str(exported))
    assert done.exit_code != 0 and "从目录导入时须用 --by 写明提出这些数值的管理员" in done.output
    done = _seed(fixed, "--from", str(exported), "--by", "a_prep")
    assert done.exit_code != 0 and "a_prep 不是在用的管理员" in done.output
    assert db.session.scalar(select(ParamValue).where(ParamValue.status == "pending")) is None


def test_importing_the_same_files_again_proposes_nothing_new(fixed, exported):
    world.build()
    assert _seed(fixed, "--from", str(exported), "--by", "admin").exit_code == 0
    again = _seed(fixed, "--from", str(exported), "--by", "admin")
    assert "提出 0 个数值待复核" in again.output
    assert again.output.count("与待复核的数值起始日期相同；复核或撤回后再导入") == 1          # the 2027 rate
    assert "这个数值已有待复核的更正" in again.output                                    # the ceiling


def test_an_imported_figure_cited_as_official_needs_its_link_and_document_number(fixed, tmp_path, monkeypatch):
    world.build()
    monkeypatch.setenv("COSTING_DATABASE_URL", fixed.config["SQLALCHEMY_DATABASE_URI"])
    folder = _export(tmp_path)

    def edit(doc):
        doc["sources"]["si-2026"] = {"issuer": "重庆市人力资源和社会保障局", "title": "关于2026年度缴费基数的通知"}
        doc["families"]["si.base_floor"]["values"].append(
            {"start": "2026-01-01", "end": "2026-12-31", "region": "cq", "value": "4600", "source": "si-2026",
             "confidence": "verified_official"})
    _edit(folder, "social_insurance.yaml", edit)
    done = _seed(fixed, "--from", str(folder), "--by", "admin")
    assert ("未导入：社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元：「已核实（官方网站原文）」须填写政府网站上原文的地址；"
            "「已核实（官方网站原文）」须填写文号") in done.output


def test_an_upgrade_proposes_the_new_shipped_figures_and_the_release_is_their_proposer(fixed, monkeypatch):
    world.build()
    documents = copy.deepcopy(load_documents())
    wage = dict(documents)["min_wage.yaml"]["families"]["min_wage.monthly"]["values"]
    wage.append({"start": "2027-01-01", "end": None, "region": "tier2", "value": "2300", "source": "hrss-2024-22",
                 "confidence": "secondary"})
    tiers = dict(documents)["districts.yaml"]["district_tiers"]["tiers"]
    tiers.append({"region": "tier1", "start": "2027-01-01", "source": tiers[-1]["source"],
                  "confidence": "secondary", "districts": ["城口县"]})
    monkeypatch.setattr("costing.parameters.service.load_documents", lambda: documents)
    done = _seed(fixed)
    assert done.exit_code == 0, done.output
    assert "提出待复核：最低工资标准（月） 第二档 2027-01-01 起 2,300.00 元" in done.output
    assert "提出待复核：区县档次 城口县 2027-01-01 起 第一档" in done.output
    assert "待复核的数值由管理员在网页“政策参数”中复核通过后生效" in done.output
    assert "未改动 115 项" in done.output and "未改动：" not in done.output        # an upgrade lists what it changes
    wage_row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    tier_row = db.session.scalar(select(DistrictTier).where(DistrictTier.status == "pending"))
    assert wage_row.origin == "shipped" and wage_row.created_by_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "params_seed"))
    assert entry.user_id is None and entry.target == "shipped"
    # any administrator may confirm what the release proposes
    admin = log_in(fixed.test_client(), "admin")
    assert "随软件发布" in _text(admin.get("/admin/parameters/"))
    admin.post(f"/admin/parameters/values/{wage_row.id}/confirm")
    admin.post(f"/admin/parameters/districts/{tier_row.id}/confirm")
    assert "复核通过「城口县 2027-01-01 起 第一档」后的政策参数" in _text(admin.get("/admin/parameters/"))  # the set's name
    params = current_parameters()
    assert params.at("min_wage.monthly", date(2027, 3, 1), "tier2").value == Decimal("2300")
    assert params.district("城口县", date(2027, 3, 1)).tier == "tier1"


def test_a_first_install_takes_the_shipped_files_as_they_are(app):
    for model in (ParamValue, DistrictTier):
        db.session.query(model).delete()
    for table in ("district_alias", "param_setting", "param_family", "param_source", "param_document", "param_state"):
        db.session.execute(db.metadata.tables[table].delete())
    done = _seed(app)
    assert done.exit_code == 0, done.output
    assert done.output.startswith("政策参数（空数据库，直接载入）：直接加入 74 个数值、41 条区县档次，提出 0 个数值待复核")
    assert db.session.get(ParamState, 1) is not None
    assert db.session.scalar(select(ParamValue).where(ParamValue.status != "confirmed")) is None
