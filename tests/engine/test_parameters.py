"""The shipped policy data: every value sourced, dated in order, written as a string."""
import copy
import re
from datetime import date
from decimal import Decimal as D
from importlib import resources

import pytest
import yaml

from costing.engine.parameters import (
    CONFIDENCE,
    KINDS,
    SOURCE_FIELDS,
    UNITS,
    ParameterMissing,
    default_parameters,
    load_documents,
    parse_documents,
    read_source,
)

from .helpers import with_allowance_standard


def raw_documents():
    folder = resources.files("costing.engine") / "data"
    return {e.name: yaml.safe_load(e.read_text("utf-8")) for e in folder.iterdir() if e.name.endswith(".yaml")}


def all_values():
    for name, doc in raw_documents().items():
        for key, family in (doc.get("families") or {}).items():
            for value in family["values"]:
                yield name, key, family, value


def shipped_sources():
    for name, doc in raw_documents().items():
        for key, source in (doc.get("sources") or {}).items():
            yield name, key, source


def test_every_shipped_source_cites_one_document_or_awaits_the_bureau():
    for name, key, raw in shipped_sources():
        assert set(raw) <= set(SOURCE_FIELDS), (name, key)              # no "via": where it was seen is a note
        source = read_source(key, raw)
        # one document: one title, one 文号, one issuer string (joint issuers joined with 、 as printed)
        for field in ("title", "doc_no", "issuer"):
            text = getattr(source, field) or ""
            assert not re.search(r"[；;]|说明页面|转载|据新闻|未核实|据报道", text), (name, key, field, text)
        for field in ("date", "effective", "verified_on"):
            value = getattr(source, field)
            assert value is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), (name, key, field, value)
            if value:
                date.fromisoformat(value)
        # the software's reading of a reproduction is not a verification: only a bureau can say 经 XX 核实
        assert source.verified_by is None and source.verified_on is None and not source.verified, (name, key)
        # either the citation is complete, or it plainly awaits the bureau — and the note says what is missing
        complete = all((source.issuer, source.doc_no, source.title, source.date))
        assert complete or source.note, (name, key)
        assert source.title or source.doc_no or source.note, (name, key)
        # an address kept with the source is the document's own on a government site; any other is in the note
        assert source.url is None or re.match(r"https?://[^/]+\.gov\.cn/", source.url), (name, key, source.url)


def test_every_value_has_a_known_source_and_confidence():
    documents = raw_documents()
    for name, key, family, value in all_values():
        doc = documents[name]
        assert value["source"] in doc["sources"], (key, value)
        assert value["confidence"] in CONFIDENCE, (key, value)
        assert family["unit"] in UNITS and family["kind"] in KINDS, key
        assert value["region"] in family["regions"], (key, value)


def test_values_and_dates_are_strings():
    for _name, key, _family, value in all_values():
        assert isinstance(value["value"], str), (key, value)
        D(value["value"])
        for field in ("start", "end"):
            assert value.get(field) is None or isinstance(value[field], str), (key, value)


def test_dates_ascend_without_overlap_within_each_region():
    params = default_parameters()
    for family in params.families.values():
        for region, records in family.records.items():
            for record in records:
                if record.start and record.end:
                    assert record.start <= record.end, (family.key, record)
            for before, after in zip(records, records[1:]):
                assert after.start is not None, (family.key, region)
                assert before.start is None or before.start < after.start, (family.key, region)
                assert before.end is not None and before.end < after.start, (family.key, region)


def test_district_map_covers_the_two_tiers():
    params = default_parameters()
    tiers = [entry.tier for entry in params.districts.values()]
    assert tiers.count("tier1") == 29 and tiers.count("tier2") == 12
    assert params.district("石柱县").name == "石柱土家族自治县"
    assert params.district("城口县").tier == "tier2"


def test_lookup_returns_the_value_in_force_with_its_document():
    params = default_parameters()
    found = params.at("min_wage.monthly", date(2025, 7, 1), "tier1")
    assert found.value == D("2330") and not found.carried_forward
    assert found.record.source.doc_no == "渝人社发〔2024〕22号"
    assert params.at("min_wage.monthly", date(2024, 12, 31), "tier2").value == D("2000")


def test_lookup_after_the_last_value_is_carried_forward():
    params = default_parameters()
    found = params.at("si.base_floor", date(2026, 1, 1), "cq")
    assert found.value == D("4404") and found.carried_forward


def test_lookup_in_a_gap_carries_the_previous_value():
    params = default_parameters()
    found = params.at("hf.base_ceiling", date(2023, 5, 1), "cq")
    assert found.value == D("26742") and found.carried_forward


def test_lookup_before_the_first_value_is_an_error():
    params = default_parameters()
    with pytest.raises(ParameterMissing) as caught:
        params.at("si.base_floor", date(2021, 12, 1), "cq")
    assert "2022-01-01" in str(caught.value)


def test_a_districts_own_standard_is_listed_for_that_district_only():
    params = with_allowance_standard("江北区")
    params.families["allowance.certificate_monthly"].records.update(
        with_allowance_standard("渝北区").families["allowance.certificate_monthly"].records)
    params.families["allowance.certificate_monthly"].index()
    on = date(2025, 7, 1)
    listed = {row.region for row in params.in_force(on, district="渝北区") if row.family.by_district}
    assert listed == {"渝北区:assistant_social_worker", "渝北区:social_worker"}
    everyone = {row.region for row in params.in_force(on) if row.family.by_district}
    assert everyone == listed | {"江北区:assistant_social_worker", "江北区:social_worker"}


def test_a_set_with_one_figure_put_back_prices_that_figure_and_leaves_the_set_alone():
    """What a revision priced with a figure later corrected is priced with today: the set holding the correction,
    with the wrong figure in its place (from its own start, if the correction moved it)."""
    params = with_allowance_standard("渝北区", {"assistant_social_worker": "300"}, start="2025-07-01")
    key, region = "allowance.certificate_monthly", "渝北区:assistant_social_worker"
    wrong = params.with_figure(key, region, date(2025, 7, 1), D("30000"))
    assert wrong.at(key, date(2025, 9, 1), region).value == D("30000")
    assert params.at(key, date(2025, 9, 1), region).value == D("300")            # the set itself is unchanged
    assert wrong.version != params.version
    assert wrong.families["si.base_floor"] is params.families["si.base_floor"]  # the other families are shared
    # a correction that moved the start: the wrong figure from its own start, nothing before it
    moved = params.with_figure(key, region, date(2025, 7, 1), D("30000"), date(2025, 10, 1))
    assert moved.at(key, date(2025, 10, 1), region).value == D("30000")
    with pytest.raises(ParameterMissing):
        moved.at(key, date(2025, 9, 1), region)
    # a figure of the shipped data, with its successors kept
    floor = default_parameters().with_figure("si.base_floor", "cq", date(2024, 1, 1), D("4000"))
    assert floor.at("si.base_floor", date(2024, 6, 1), "cq").value == D("4000")
    assert floor.at("si.base_floor", date(2025, 6, 1), "cq").value == D("4404")
    with pytest.raises(KeyError):
        params.with_figure(key, "江北区:assistant_social_worker", date(2025, 7, 1), D("1"))


def test_a_district_family_keeps_values_only_by_district():
    documents = load_documents()
    name, doc = next((n, d) for n, d in documents if n == "allowance.yaml")
    bad = copy.deepcopy(doc)
    bad["sources"] = {"s": {"title": "某区标准", "issuer": None, "doc_no": None, "date": None, "url": None, "note": None}}
    bad["families"]["allowance.certificate_monthly"]["values"] = [
        {"start": None, "end": None, "region": "social_worker", "value": "300", "source": "s", "confidence": "uncertain"}]
    with pytest.raises(ValueError, match="by district"):
        parse_documents([(n, bad if n == name else d) for n, d in documents])
    bad["families"]["allowance.certificate_monthly"]["values"][0]["region"] = "渝北区:social_worker"
    assert parse_documents([(n, bad if n == name else d) for n, d in documents]).district_value(
        "allowance.certificate_monthly", date(2025, 1, 1), "渝北区", "social_worker").value == 300


def test_a_file_written_before_the_note_keeps_its_remark_and_mirror_there():
    old = {"title": "重庆单位工伤保险缴费比例", "issuer": "说明页面", "doc_no": None, "date": None,
           "url": "https://chongqing.tianqi.com/news/l1bB1H6BBzN1uuiQ.html", "via": "重庆说明页面"}
    source = read_source("cq-work-injury", old)
    assert source.url is None and source.note == "重庆说明页面；所见文本：https://chongqing.tianqi.com/news/l1bB1H6BBzN1uuiQ.html"
    official = read_source("vat", {"title": "公告", "url": "http://cycms.chengan.gov.cn/x.jsp", "via": "县政府网站转载"})
    assert official.url == "http://cycms.chengan.gov.cn/x.jsp" and official.note == "县政府网站转载"
