"""Sources: 「已核实（官方网站原文）」 needs the original's address and a 文号 in a usual shape; the 核实清单 lists
every figure whose source nobody has checked, with why, by family and grading; 核实来源 checks a source under the
two-person rule without touching a figure."""
from datetime import date

import pytest
from sqlalchemy import select

from costing.engine.parameters import default_parameters
from costing.models import ParamSource, ParamSourceCheck, ParamValue, db
from costing.parameters import review

from . import world
from .world import log_in


@pytest.fixture
def fixed(app):
    app.config["TODAY"] = date(2026, 11, 29)
    return app


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("doc_no", ["渝人社发〔2024〕22号", "人社部发〔2024〕40号", "财税〔2016〕36号", "渝公积金发〔2019〕87号",
                                    "财政部 税务总局公告2023年第19号", "财政部令第102号", "中华人民共和国主席令第六十二号"])
def test_the_usual_shapes_of_a_document_number_are_accepted(doc_no):
    assert review.doc_no_problem(doc_no) is None


@pytest.mark.parametrize("doc_no, message", [
    ("渝人社发[2024]22号", "文号中的年份用六角括号〔〕"),
    ("渝人社发【2024】22号", "文号中的年份用六角括号〔〕"),
    ("渝人社发〔2024〕22", "文号应按原件写作如"),
    ("2024年22号文", "文号应按原件写作如"),
])
def test_other_shapes_are_refused_saying_the_usual_ones(doc_no, message):
    assert message in review.doc_no_problem(doc_no)


def test_every_shipped_document_number_has_a_usual_shape():
    params = default_parameters()
    cited = {r.source.doc_no for f in params.families.values() for rs in f.records.values() for r in rs}
    for doc_no in cited - {None}:
        assert review.doc_no_problem(doc_no) is None, doc_no


def test_the_worklist_lists_every_unchecked_figure_with_why_and_filters(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    page = _text(admin.get("/admin/parameters/worklist"))
    unchecked = db.session.scalars(select(ParamValue).where(ParamValue.status == "confirmed")).all()
    assert f"共 {len(unchecked)} 个" in page                    # nothing shipped is checked by the bureau
    # why: what the citation lacks and the administrators' note
    assert "缺文号、发文日期、政府网站上的原文地址" in page and "未见原件，文号未见" in page
    assert "未检索到原文" in page                                # the note on VAT 6%
    assert page.count("核实来源</a>") == len(unchecked)
    vat = _text(admin.get("/admin/parameters/worklist?family=tax.vat.general")).split("data-count")[1]
    assert "1 个数值" in vat and "增值税税率（一般纳税人" in vat and "社会保险缴费基数下限" not in vat
    uncertain = _text(admin.get("/admin/parameters/worklist?confidence=uncertain")).split("data-count")[1]
    assert "增值税税率（一般纳税人" in uncertain and "最低工资标准（月）" not in uncertain
    # a filter that is no family or grading is no filter
    assert f"共 {len(unchecked)} 个" in _text(admin.get("/admin/parameters/worklist?family=x&confidence=y"))
    assert "核实清单（" in _text(admin.get("/admin/parameters/"))


def test_a_checked_source_leaves_the_worklist_with_all_its_figures(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    source = db.session.scalar(select(ParamSource).where(ParamSource.key == "hrss-2024-22",
                                                        ParamSource.document == "min_wage.yaml"))
    figures = db.session.scalars(select(ParamValue).where(ParamValue.source_id == source.id)).all()
    data = {"doc_no": "渝人社发〔2024〕22号", "title": source.title, "issuer": source.issuer, "doc_date": "2024-12-10",
            "url": "https://rlsbj.cq.gov.cn/zwxx_182/tzgg/202412/t20241210_1.html", "confidence": "verified_official",
            "verified_by": "重庆市民政局社会工作处", "verified_on": "2026-11-20", "note": "对照人社局网站原文核对"}
    response = admin.post(f"/admin/parameters/sources/{source.id}/verify?value={figures[0].id}", data=data)
    assert response.status_code == 302
    page = _text(admin.get("/admin/parameters/worklist"))
    assert "核实待复核" in page
    assert "1 项待复核" in _text(admin.get("/budgets/"))                 # the administrators' landing page says so
    check = db.session.scalar(select(ParamSourceCheck))
    log_in(fixed.test_client(), "admin2").post(f"/admin/parameters/checks/{check.id}/confirm")
    assert ("复核通过「核实来源 渝人社发〔2024〕22号：经 重庆市民政局社会工作处 核实（2026-11-20）」后的政策参数"
            in _text(admin.get("/admin/parameters/")))                  # the set is named by it
    db.session.expire_all()
    assert all(v.confidence == "verified_official" for v in db.session.scalars(
        select(ParamValue).where(ParamValue.source_id == source.id)))
    page = _text(admin.get("/admin/parameters/worklist?family=min_wage.monthly"))
    assert "2,330.00" not in page and "2,100.00" in page                 # 〔2021〕52号 is still unchecked
    shown = _text(admin.get(f"/admin/parameters/sources/{source.id}/verify"))
    assert "已核实来源" in shown and "按原件填写" not in shown            # checked once: no second form


@pytest.mark.parametrize("change, field, message", [
    ({"url": ""}, "url", "「已核实（官方网站原文）」须填写政府网站上原文的地址"),
    ({"url": "https://mip.ruoyo.com/x.html"}, "url", "这里只填政府网站（.gov.cn）上该文件的地址"),
    ({"doc_no": "渝人社发[2023]48号"}, "doc_no", "文号中的年份用六角括号〔〕"),
    ({"verified_by": ""}, "verified_by", "请填写核实单位"),
    ({"verified_on": ""}, "verified_on", "请填写核实日期"),
    ({"note": ""}, "note", "请写明在何处、对照什么核对了原件"),
])
def test_a_check_is_refused_at_its_field(fixed, client, change, field, message):
    world.build()
    admin = log_in(client, "admin")
    source = db.session.scalar(select(ParamSource).where(ParamSource.key == "si-2023"))
    data = {"doc_no": "渝人社发〔2023〕48号", "title": source.title, "issuer": source.issuer, "doc_date": "2023-07-10",
            "url": "https://rlsbj.cq.gov.cn/x.html", "confidence": "verified_official",
            "verified_by": "重庆市民政局", "verified_on": "2026-11-20", "note": "网站原文"}
    response = admin.post(f"/admin/parameters/sources/{source.id}/verify", data={**data, **change})
    assert response.status_code == 400
    assert f'data-error-for="{field}">' in _text(response) and message in _text(response)
    assert db.session.scalar(select(ParamSourceCheck)) is None
    # graded 已核实（原文转载）, a check needs no address
    mirror = {**data, "url": "", "confidence": "verified_mirror"}
    assert admin.post(f"/admin/parameters/sources/{source.id}/verify", data=mirror).status_code == 302


def test_a_rejected_check_is_said_to_who_proposed_it_and_changes_nothing(fixed, client):
    world.build()
    admin = log_in(client, "admin")
    source = db.session.scalar(select(ParamSource).where(ParamSource.key == "si-2023"))
    before = (source.doc_no, source.note, source.verified_by)
    data = {"doc_no": "渝人社发〔2023〕48号", "title": source.title, "issuer": source.issuer, "doc_date": "2023-07-10",
            "confidence": "verified_mirror", "verified_by": "重庆市民政局", "verified_on": "2026-11-20", "note": "转载"}
    admin.post(f"/admin/parameters/sources/{source.id}/verify", data=data)
    check = db.session.scalar(select(ParamSourceCheck))
    reviewer = log_in(fixed.test_client(), "admin2")
    reviewer.post(f"/admin/parameters/checks/{check.id}/reject", data={"reason": "须对照原件，不能对照转载"})
    db.session.expire_all()
    source = db.session.get(ParamSource, source.id)
    assert (source.doc_no, source.note, source.verified_by) == before
    assert "须对照原件，不能对照转载" in _text(admin.get("/admin/parameters/"))
    mine = _text(admin.get("/admin/parameters/mine"))
    assert "核实来源" in mine and "已驳回" in mine and "须对照原件，不能对照转载" in mine
