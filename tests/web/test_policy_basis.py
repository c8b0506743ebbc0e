"""The basis of a budget as purchasers, approvers and contractors read it (page, PDF, workbook, API, CLI text):
each figure cites its one document and says whether it was verified; no address where a text was seen, no
mirror's name; figures the bureau's administrators confirmed stand apart from those shipped with the software.
And the citations' round trip through the database: export, seed, the upgrade of an older database."""
import copy
import io
import json
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from costing.engine.parameters import load_documents
from costing.models import DistrictTier, ParamSource, ParamValue, Revision, db
from costing.parameters import export
from costing.parameters.seed import seed
from costing.results import text as cli_text
from costing.results.budget import BudgetResult

from . import world
from .test_annex_web import approve, text_of
from .world import log_in

TODAY = date(2026, 11, 29)
VERIFIED_BASE = {"region": "cq", "value": "4,600", "start": "2026-01-01", "end": "2026-12-31",
                 "doc_no": "渝人社发〔2026〕30号", "title": "关于做好2026年度社会保险缴费基数上下限核定有关工作的通知",
                 "issuer": "重庆市人力资源和社会保障局、重庆市财政局", "doc_date": "2026-08-20",
                 "effective_date": "2026-01-01", "url": "https://rlsbj.cq.gov.cn/x.html", "confidence": "verified_official",
                 "verified_by": "重庆市人力资源和社会保障局", "verified_on": "2026-11-20",
                 "source_note": "另见 https://mirror.example.net/2026.html 的转载", "note": ""}


def shipped_hosts() -> set[str]:
    """Every host named in the shipped sources (addresses and notes): none may reach a reader."""
    hosts = set()
    for _name, doc in load_documents():
        for source in (doc.get("sources") or {}).values():
            for field in ("url", "note"):
                hosts |= set(re.findall(r"https?://([^/\s]+)", source.get(field) or ""))
    return hosts


HOSTS = shipped_hosts()


def no_address(text: str, words: bool = True) -> None:
    assert HOSTS and not [host for host in HOSTS if host in text]
    assert "tianqi" not in text and "mirror.example.net" not in text
    for word in ("转载", "说明页面", "新闻报道", "原文链接", "转载来源", "依据转载文本") if words else ():
        assert word not in text, word


def basis_section(page: str) -> str:
    start = page.index("计算所用参数")
    return page[start:page.index("</table>", start)]


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = TODAY
    return app


def confirmed_verified_base(app):
    """An administrator enters the 2026 base floor with its verified citation; a second one confirms it."""
    admin = log_in(app.test_client(), "admin")
    assert admin.post("/admin/parameters/family/si.base_floor", data=VERIFIED_BASE).status_code == 302
    pending = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{pending.id}/confirm")
    db.session.expire_all()
    return db.session.get(ParamValue, pending.id)


@pytest.mark.parametrize("role", ["a_prep", "a_appr", "c_user"])
def test_the_budget_page_cites_documents_and_shows_no_address(app, client, role):
    w = world.build()
    page = log_in(client, role).get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    no_address(page)
    basis = basis_section(page)
    assert "http" not in basis and "href" not in basis
    # the title names its issuer: not printed twice
    assert "<td>《重庆市人力资源和社会保障局关于发布重庆市最低工资标准的通知》（渝人社发〔2024〕22号）</td>" in basis
    # a joint notice whose title names no issuer is cited with its issuers
    assert ("重庆市人力资源和社会保障局、重庆市财政局、重庆市医疗保障局、国家税务总局重庆市税务局"
            "《关于做好2025年度社会保险缴费基数上下限核定有关工作的通知》（2025-09-17）") in basis
    assert "待主管部门核实" in basis and "随软件发布" in basis
    assert "已核对原文" not in page and "依据转载文本" not in page
    # a figure whose document is not known yet says so plainly, with its issuer where that much is known
    assert "<td>文件待主管部门核实</td>" in basis and "<td>重庆市住房公积金管理中心（文件待主管部门核实）</td>" in basis


def test_the_annex_and_the_workbook_show_no_address(app, client):
    w = world.build()
    approve(app, w.budget_a)
    log_in(client, "c_user")
    pdf = text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    no_address(pdf)
    assert "随软件发布的数值（依据公开文本整理）" in pdf and "待主管部门核实" in pdf
    assert "主管部门录入并复核" in pdf                  # the legend says what the groups mean
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/budgets/{w.budget_a}/annex.xlsx").data))
    cells = " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    no_address(cells)
    assert "http" not in cells
    rows = list(book["测算依据"].iter_rows(values_only=True))
    assert rows[0][5:] == ("依据", "发文机关", "发文日期", "文号", "文件标题", "数值来源", "核实情况")
    wage = next(r for r in rows if r[0] == "最低工资标准（月）")
    assert wage[6:] == ("重庆市人力资源和社会保障局", None, "渝人社发〔2024〕22号",
                        "重庆市人力资源和社会保障局关于发布重庆市最低工资标准的通知", "随软件发布", "待主管部门核实")


def test_the_api_and_the_cli_text_carry_no_address(app, client):
    answer = client.post("/api/v1/compute", json=world.sample())
    assert answer.status_code == 200
    figures = answer.get_json()["parameters"]
    assert figures and all(not {"url", "via", "note"} & set(f) for f in figures)
    wage = next(f for f in figures if f["name"] == "min_wage.monthly")
    assert (wage["issuer"], wage["doc_no"], wage["verified_by"], wage["origin"]) == (
        "重庆市人力资源和社会保障局", "渝人社发〔2024〕22号", None, "shipped")
    # (the API keeps the administrators' grading, confidence_label, for integrators; it names no page)
    no_address(json.dumps(answer.get_json(), ensure_ascii=False), words=False)
    no_address(cli_text.budget_text(BudgetResult(answer.get_json())))


def test_a_result_stored_with_mirror_addresses_is_read_without_them(app, client):
    """An approved revision prints the same forever, but what it stored of its sources' addresses and remarks
    (older results kept url and via) is not shown."""
    w = world.build()
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    stored = json.loads(revision.result_json)
    for figure in stored["parameters"]:
        for field in ("doc_no", "effective", "verified_by", "verified_on", "origin"):
            figure.pop(field)
        figure |= {"url": "https://chongqing.tianqi.com/news/l1bB1H6BBzN1uuiQ.html", "via": "重庆说明页面（转载）",
                   "note": "见 http://wnpump.cn/zuidi/10748.html"}
    stored["parameters"][0]["via"] = "管理员录入"
    revision.result_json = json.dumps(stored, ensure_ascii=False)
    db.session.commit()
    page = log_in(client, "a_prep").get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    basis = basis_section(page)
    assert "tianqi" not in page and "wnpump" not in page and "转载" not in basis and "http" not in basis
    assert "渝人社发〔2024〕22号" in basis and "待主管部门核实" in basis
    result = BudgetResult(stored)
    assert result.basis[0].origin == "admin" and result.basis[1].origin == "shipped"
    assert result.basis[1].doc_no == stored["parameters"][1]["source"] or result.basis[1].source.startswith("《")
    pdf = text_of(client.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    assert "tianqi" not in pdf and "wnpump" not in pdf and "转载" not in pdf


def test_a_verified_figure_confirmed_by_the_bureau_stands_apart(fixed, client):
    world.build()
    row = confirmed_verified_base(fixed)
    assert row.status == "confirmed" and row.source.verified and row.origin == "admin"
    preparer = log_in(fixed.test_client(), "a_prep")
    response = preparer.post("/budgets/new", data=world.form_fields(world.sample(name="核实项目")))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    budget_url = response.headers["Location"]
    page = preparer.get(budget_url).get_data(as_text=True)
    basis = basis_section(page)
    assert "主管部门录入并复核的数值" in basis and "随软件发布的数值" in basis
    assert "经重庆市人力资源和社会保障局核实（2026-11-20）" in basis
    assert ("重庆市人力资源和社会保障局、重庆市财政局《关于做好2026年度社会保险缴费基数上下限核定有关工作的通知》"
            "（渝人社发〔2026〕30号，2026-08-20）") in basis
    # the administrators' note and the address stay with the administrators
    assert "mirror.example.net" not in page and "rlsbj.cq.gov.cn" not in page
    confirmed, shipped = basis.index("主管部门录入并复核的数值"), basis.index("随软件发布的数值")
    assert basis.index("经重庆市人力资源和社会保障局核实") < shipped and confirmed < shipped
    pdf = text_of(preparer.get(budget_url + "/annex.pdf").data)
    assert "主管部门录入并复核的数值" in pdf and "经重庆市人力资源和社会保障局核实（2026-11-20）" in pdf
    assert "mirror.example.net" not in pdf
    # the administrators' page shows both, labelled
    admin_page = log_in(fixed.test_client(), "admin").get("/admin/parameters/family/si.base_floor").get_data(as_text=True)
    assert "管理员备注（含转载、新闻等二手来源）" in admin_page and "mirror.example.net" in admin_page
    assert "政府网站原文" in admin_page and "经重庆市人力资源和社会保障局核实（2026-11-20）" in admin_page


@pytest.mark.parametrize("change, field, message", [
    ({"verified_on": ""}, "verified_on", "请填写核实日期"),
    ({"verified_by": ""}, "verified_by", "请填写核实单位"),
    ({"verified_on": "2026-08-01"}, "verified_on", "早于发文日期"),
    ({"verified_on": "2026-12-01"}, "verified_on", "晚于今天"),
    ({"doc_no": ""}, "doc_no", "经核实的来源须写明文号与标题"),
    ({"url": "https://chongqing.tianqi.com/news/x.html"}, "url", "转载、新闻等页面请写在“管理员备注”中"),
])
def test_a_verification_names_who_and_when_for_a_whole_citation(fixed, client, change, field, message):
    world.build()
    page = log_in(client, "admin").post("/admin/parameters/family/si.base_floor", data=VERIFIED_BASE | change)
    assert page.status_code == 400
    assert re.search(rf'data-error-for="{field}">[^<]*{re.escape(message)}', page.get_data(as_text=True))


def test_export_and_seed_keep_the_citation_its_verification_and_who_confirmed_it(fixed, client, tmp_path):
    world.build()
    confirmed_verified_base(fixed)
    documents = export.export_documents(db.session)
    si = dict(documents)["social_insurance.yaml"]
    entered = next(v for v in si["families"]["si.base_floor"]["values"] if v["start"] == "2026-01-01")
    assert entered["origin"] == "admin"
    assert si["sources"][entered["source"]] == {
        "title": VERIFIED_BASE["title"], "issuer": VERIFIED_BASE["issuer"], "doc_no": VERIFIED_BASE["doc_no"],
        "date": "2026-08-20", "effective": "2026-01-01", "url": VERIFIED_BASE["url"],
        "note": VERIFIED_BASE["source_note"], "verified_by": "重庆市人力资源和社会保障局", "verified_on": "2026-11-20"}
    export.write_documents(tmp_path / "a", documents)
    for model in (ParamValue, DistrictTier):
        db.session.query(model).delete()
    for table in ("district_alias", "param_setting", "param_family", "param_source", "param_document", "param_state"):
        db.session.execute(db.metadata.tables[table].delete())
    seed(db.session, export.read_documents(tmp_path / "a"), origin="imported")
    assert db.session.scalar(select(ParamValue).where(ParamValue.start == date(2026, 1, 1),
                                                      ParamValue.family_key == "si.base_floor")).origin == "admin"
    export.write_documents(tmp_path / "b", export.export_documents(db.session))
    for path in sorted((tmp_path / "a").iterdir()):
        assert (tmp_path / "b" / path.name).read_bytes() == path.read_bytes()


def test_seeding_the_shipped_files_brings_an_older_databases_citations_up_to_date(app):
    """A database seeded by an older release kept compound citations (one source for two documents); the
    upgrade's seed gives its shipped sources the files' citations and points each shipped figure at the
    document the files cite, but never touches a citation someone verified."""
    hf = {s.key: s for s in db.session.scalars(select(ParamSource).where(ParamSource.document == "housing_fund.yaml"))}
    old = hf["hf-regulation"]
    old.issuer, old.doc_no, old.date = "国务院；住房城乡建设部、财政部、人民银行", "建金〔2016〕74号", "2016-04-28"
    ceiling = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "hf.rate_max"))
    ceiling.source_id = old.id
    verified = hf["hf-2019-87"]
    verified.verified_by, verified.verified_on, verified.issuer = "重庆市住房公积金管理中心", "2026-10-01", "（核实时写法）"
    # the older release had one unemployment rate from 2016-05 to 2024-12, cited to 渝人社发〔2016〕74号 alone
    unemployment = db.session.scalars(select(ParamValue).where(ParamValue.family_key == "si.employer.unemployment")
                                      .order_by(ParamValue.start)).all()
    first = unemployment[0]
    for later in unemployment[1:4]:
        db.session.delete(later)
    db.session.flush()
    first.end = date(2024, 12, 31)
    # and a source of its own for the rule that the housing-fund floor is the minimum wage
    rule = ParamSource(document="housing_fund.yaml", key="hf-floor-rule", title="住房公积金缴存基数下限为当地现行最低工资标准")
    db.session.add(rule)
    db.session.flush()
    floors = db.session.scalars(select(ParamValue).where(ParamValue.family_key == "hf.base_floor")).all()
    for floor in floors:
        floor.source_id = rule.id
    db.session.flush()
    report = seed(db.session, copy.deepcopy(load_documents()))
    # two citations rewritten or re-pointed above, six floors re-pointed, the retired rule's source removed
    assert report.cited == 2 + len(floors) + 1 and report.values == 3
    assert db.session.scalar(select(ParamSource).where(ParamSource.key == "hf-floor-rule")) is None
    assert report.closed == ["失业保险单位费率 重庆市 2016-05-01 起 0.5% 按文件拆分，截止于 2018-04-30"]
    assert not report.proposed and not report.refused         # a split changes no figure: nothing to confirm
    db.session.expire_all()
    assert (old.issuer, old.doc_no, old.date, old.title) == ("国务院", None, None, "住房公积金管理条例")
    assert db.session.get(ParamValue, ceiling.id).source.doc_no == "建金〔2016〕74号"
    assert db.session.get(ParamSource, verified.id).issuer == "（核实时写法）"
    cited = [(v.start.isoformat(), v.end.isoformat(), v.source.doc_no) for v in db.session.scalars(
        select(ParamValue).where(ParamValue.family_key == "si.employer.unemployment").order_by(ParamValue.start))]
    assert cited[:4] == [("2016-05-01", "2018-04-30", "渝人社发〔2016〕74号"), ("2018-05-01", "2019-04-30", "渝人社发〔2018〕116号"),
                         ("2019-05-01", "2023-04-30", None), ("2023-05-01", "2024-12-31", "人社部发〔2023〕19号")]
    assert not seed(db.session, load_documents()).changed


def test_a_database_seeded_by_the_release_before_ends_with_the_shipped_citations(app):
    """The data files as the release before this one shipped them (compound sources, mirror addresses, "via"):
    a database seeded from them, then seeded again from the shipped files (the upgrade), exports those files
    exactly."""
    for model in (ParamValue, DistrictTier):
        db.session.query(model).delete()
    for table in ("district_alias", "param_setting", "param_family", "param_source", "param_document", "param_state"):
        db.session.execute(db.metadata.tables[table].delete())
    before = load_documents(Path(__file__).parent / "data" / "params-before-i19")
    assert seed(db.session, before).values == 62
    report = seed(db.session, load_documents())
    # 7 values split by document, and the 5 highest rates a roster's declared rate may be (si.employer_max.*, a family
    # new to the database: taken as shipped)
    assert report.values == 12 and not report.refused and len(report.closed) == 3, report.lines
    assert not report.proposed
    assert export.export_documents(db.session) == load_documents()
