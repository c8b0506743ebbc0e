"""The OpenAPI document (costing/web/openapi.yaml) says what the parser accepts and what the API answers.

The field names and required fields of every object the parser reads are collected from the parser itself
(each ``Reader.obj`` call, recorded while a budget and a roster with every object are read), and each must
be exactly an object of the document; the choices, decimal patterns and limits are the engine's; and the
API's answers to the example budget validate against the document's response schemas."""
from __future__ import annotations

import ast
import copy
import json
import re
import sys
from collections import Counter
from pathlib import Path

import jsonschema_rs
import pytest
import schemathesis

from costing import ROOT
from costing.engine import parse, roster
from costing.engine.model import (
    CATEGORIES,
    CERTIFICATES,
    CONTRIBUTIONS,
    COST_CATEGORIES,
    LEVELS,
    LOCATIONS,
    SITE_FIELDS,
    SITE_TYPES,
    TAXPAYERS,
)
from costing.engine.parameters import default_parameters
from costing.engine.parse import MAX_COUNT, MAX_HEADCOUNT, MAX_LINES, MAX_MONTHS, InputError, Reader
from costing.engine.result import CONFIDENCE_LABELS, SEVERITIES
from costing.engine.text import pattern_class
from costing.results.labels import FINDINGS
from costing.web import api_limits, ops
from costing.web.errors import API_CODES
from costing.web.openapi import document

from . import world
from .world import log_in

DOC = document()
SCHEMAS = DOC["components"]["schemas"]
EXAMPLE = json.loads((ROOT / "docs" / "example-budget.json").read_text(encoding="utf-8"))

# each object the parser reads — (the function reading it, its path with indexes as []) — and the schema
# of the document that describes it
SCHEMA_OF = {
    ("parse_budget", "input"): "BudgetInput",
    ("_project", "project"): "Project",
    ("_site", "project.site"): "Site",
    ("_contractor", "contractor"): "Contractor",
    ("_personnel", "personnel[]"): "Post",
    ("_pay_changes", "personnel[].pay_changes[]"): "PayChange",
    ("_costs", "costs[]"): "CostLine",
    ("_rules", "rules"): "Rules",
    ("_rules", "rules.pay_floor"): "PayFloor",
    ("validate_input", "input"): "CheckInput",
    ("parse_roster", "roster[]"): "Person",
    ("parse_roster", "roster[].employer_rates"): "EmployerRates",
}
# where each of those objects is in full_check() below
PLACE = {"BudgetInput": "budget", "Project": "budget.project", "Site": "budget.project.site",
         "Contractor": "budget.contractor", "Post": "budget.personnel[0]",
         "PayChange": "budget.personnel[0].pay_changes[0]", "CostLine": "budget.costs[0]",
         "Rules": "budget.rules", "PayFloor": "budget.rules.pay_floor", "CheckInput": "",
         "Person": "roster[0]", "EmployerRates": "roster[0].employer_rates"}


def full_budget() -> dict:
    """The example budget with every object the contract has, over the longest period (60 months)."""
    data = copy.deepcopy(EXAMPLE)
    data["project"]["end"] = "2030-06"
    data["contractor"] |= {"work_injury_rate": "0.004", "work_injury_rate_reason": "工伤保险费率核定通知"}
    data["rules"]["pay_floor"] = {"junior": "3000.00", "mid": "4000.00", "senior": "5000.00"}
    # the contract over time: a raise, a post filled from a month, a cost in its year, each year's appropriation
    data["personnel"][0]["pay_changes"] = [{"from": "2026-07", "monthly_pay": "6000.00"}]
    data["personnel"][1] |= {"start": "2025-10", "end": "2029-12"}
    data["costs"][0]["year"] = 2026
    data["project"]["appropriation_by_year"] = {"2025": "300000.00", "2026": "600000.00"}
    return data


def full_check() -> dict:
    person = {"id": "A001", "post": "社会工作者", "category": "elderly", "level": "junior",
              "certificate": "assistant_social_worker", "monthly_pay": "4500.00", "monthly_allowance": "0",
              "annual_bonus": "1000", "si_base": "4500.00", "housing_fund_rate": "0.05", "months": 60,
              "certificate_no": "S2024-0012",
              # each item's highest rate (si.employer_max.*): a rate above it is refused as a typing mistake
              "employer_rates": {"pension": "0.2", "medical": "0.12", "serious_illness": "0.02",
                                 "unemployment": "0.02", "work_injury": "0.033"}}
    return {"budget": full_budget(), "roster": [person]}


def objects_read(monkeypatch) -> dict[tuple[str, str], tuple[int, list[str], tuple[str, ...]]]:
    """Every object the parser read while checking full_check(): (function, path) → (line, allowed, required)."""
    seen = {}
    original = Reader.obj

    def recording(self, value, path, allowed, required=()):
        caller = sys._getframe(1)
        key = (caller.f_code.co_name, re.sub(r"\[[0-9]+\]", "[]", path))
        seen[key] = (caller.f_lineno, list(allowed), tuple(required))
        return original(self, value, path, allowed, required)

    monkeypatch.setattr(Reader, "obj", recording)
    roster.check_input(full_check(), default_parameters())
    parse.parse_budget(full_budget(), default_parameters())
    return seen


def obj_calls_in_source() -> Counter:
    """How many ``….obj(`` calls each function of the parser's modules makes, read from their source."""
    found = Counter()
    for module in (parse, roster):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "obj":
                        found[function.name] += 1
    found["obj"] = 0            # Reader.obj itself calls no other obj
    return +found


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def alternatives(schema: dict) -> list[dict]:
    """The schema, or each of its oneOf choices, with references followed."""
    schema = resolve(schema)
    return [resolve(s) for s in schema["oneOf"]] if "oneOf" in schema else [schema]


def input_objects() -> set[str]:
    """The names of every object schema a request body can contain."""
    names, todo = set(), ["BudgetInput", "CheckInput"]
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        text = json.dumps(SCHEMAS[name])
        todo += [ref for ref in re.findall(r'"#/components/schemas/(\w+)"', text)
                 if SCHEMAS[ref].get("type") == "object"]
    return names


def validator(name: str):
    """A JSON Schema (2020-12, as OpenAPI 3.1) validator of the document's schema ``name``."""
    return jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": DOC["components"]})


def test_the_document_is_served_and_linked_from_the_api_page(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == DOC and DOC["openapi"] == "3.1.0"
    page = client.get("/api").get_data(as_text=True)
    assert 'href="/api/v1/openapi.json"' in page


def test_the_document_is_valid_openapi_3_1():
    schemathesis.openapi.from_dict(copy.deepcopy(DOC)).validate()
    assert set(DOC["paths"]) == {"/compute", "/check", "/openapi.json"} and DOC["servers"] == [{"url": "/api/v1"}]
    assert DOC["security"] == []            # the API needs no login (and no CSRF token: it saves nothing)


def test_every_field_the_parser_reads_is_in_the_document_and_nothing_else(monkeypatch):
    seen = objects_read(monkeypatch)
    # every call of Reader.obj in the parser was made (so no object of the contract is left out below)
    assert Counter(function for function, _ in seen) == obj_calls_in_source()
    unknown = set(seen) - set(SCHEMA_OF)
    assert not unknown, f"objects the parser reads that tests/web/test_openapi.py does not map to a schema: {unknown}"
    for key, (_line, allowed, required) in seen.items():
        schema = SCHEMAS[SCHEMA_OF[key]]
        assert schema["type"] == "object" and schema["additionalProperties"] is False, key
        assert sorted(schema["properties"]) == sorted(allowed), key
        assert sorted(schema.get("required", [])) == sorted(required), key
    # and the document has no input object the parser does not read
    assert input_objects() == set(SCHEMA_OF.values())


def test_choices_patterns_and_limits_are_the_engines():
    assert SCHEMAS["Amount"]["pattern"] == parse._AMOUNT.pattern
    assert SCHEMAS["Quantity"]["pattern"] == parse._QUANTITY.pattern
    assert SCHEMAS["Rate"]["pattern"] == parse._RATE.pattern
    assert SCHEMAS["Category"]["enum"] == list(CATEGORIES)
    assert SCHEMAS["Level"]["enum"] == list(LEVELS)
    assert SCHEMAS["Certificate"]["enum"] == list(CERTIFICATES)
    assert SCHEMAS["Site"]["properties"]["type"]["enum"] == list(SITE_TYPES)
    assert SCHEMAS["Contractor"]["properties"]["taxpayer"]["enum"] == list(TAXPAYERS)
    assert SCHEMAS["Contractor"]["properties"]["location"]["enum"] == list(LOCATIONS)
    assert SCHEMAS["CostLine"]["properties"]["category"]["enum"] == list(COST_CATEGORIES)
    assert SCHEMAS["Contributions"]["required"] == list(CONTRIBUTIONS)
    assert SCHEMAS["Finding"]["properties"]["code"]["enum"] == list(FINDINGS)
    assert SCHEMAS["Finding"]["properties"]["severity"]["enum"] == list(SEVERITIES)
    assert SCHEMAS["ParameterUse"]["properties"]["confidence"]["enum"] == list(CONFIDENCE_LABELS)
    result = SCHEMAS["ComputeResult"]["properties"]
    assert result["assumptions"]["items"]["properties"]["field"]["enum"] == list(parse.OVERRIDES)
    assert SCHEMAS["CheckResult"]["properties"]["totals"]["properties"]["verdict"]["enum"] == list(roster.STATUS)
    assert set(SCHEMAS["Problem"]["properties"]["code"]["enum"]) == {
        "invalid", parse.NOT_A_CHOICE, parse.REASON_MISSING, roster.DUPLICATE_ID, parse.PERCENT_TYPED,
        parse.RATE_TOO_HIGH, API_CODES[400], API_CODES[413],
        ops.UNAVAILABLE_CODE, api_limits.ANONYMOUS_LIMIT, api_limits.UNSUPPORTED_MEDIA_TYPE, api_limits.TOO_MANY_REQUESTS}
    site = SCHEMAS["Site"]["properties"]
    assert {key: site[key]["minimum"] for key in SITE_FIELDS} == SITE_FIELDS
    assert {site[key]["maximum"] for key in SITE_FIELDS} == {MAX_COUNT}
    assert SCHEMAS["Post"]["properties"]["headcount"]["maximum"] == MAX_HEADCOUNT
    assert SCHEMAS["Post"]["properties"]["months"]["maximum"] == SCHEMAS["Person"]["properties"]["months"]["maximum"] \
        == MAX_MONTHS
    arrays = [SCHEMAS["BudgetInput"]["properties"]["personnel"], SCHEMAS["BudgetInput"]["properties"]["costs"],
              SCHEMAS["CheckInput"]["properties"]["roster"]]
    assert {a["maxItems"] for a in arrays} == {MAX_LINES}
    control = f"^[^{pattern_class()}]*$"     # text: no control, invisible or direction characters (costing.engine.text)
    texts = [p for name in input_objects() for p in SCHEMAS[name]["properties"].values()
             if "string" in resolve(p).get("type", "") and "maxLength" in resolve(p)]
    assert texts and {resolve(p)["pattern"] for p in texts} == {control}


def test_the_documented_limits_are_the_defaults(app):
    defaults = {key: default for key, (_variable, default) in api_limits.SETTINGS.items()}
    assert DOC["info"]["x-limits"] == {
        "anonymous": {"max_bytes": defaults["API_ANONYMOUS_MAX_BYTES"], "max_lines": defaults["API_ANONYMOUS_MAX_LINES"],
                      "max_months": defaults["API_ANONYMOUS_MAX_MONTHS"], "rate": defaults["API_ANONYMOUS_RATE_LIMIT"]},
        "signed_in": {"max_bytes": parse.MAX_INPUT_BYTES, "max_lines": MAX_LINES, "max_months": MAX_MONTHS,
                      "rate": defaults["API_RATE_LIMIT"], "work": defaults["WORK_RATE_LIMIT"],
                      "work_per_request": api_limits.WORK_PER_REQUEST}}
    assert app.config["MAX_CONTENT_LENGTH"] == 6 * 1024 * 1024          # "超过 6 MB 的请求在读取前即以 413 拒绝"
    for operation in ("/compute", "/check"):
        assert set(DOC["paths"][operation]["post"]["responses"]) == {"200", "400", "413", "415", "422", "429", "503"}


def _set(data: dict, place: str, key: str, value) -> dict:
    data = copy.deepcopy(data)
    target = data
    for part in filter(None, re.split(r"\.|\[([0-9]+)\]", place) if place else []):
        target = target[int(part)] if part.isdigit() else target[part]
    target[key] = value
    return data


def _problem_paths(data: dict) -> set[str]:
    try:
        roster.check_input(data, default_parameters())
    except InputError as exc:
        return {p.path for p in exc.problems}
    return set()


def _bounds(schema: dict):
    """(a value at the document's limit, one beyond it) for each limit of a text or an integer."""
    for s in alternatives(schema):
        if "maxLength" in s:
            yield "x" * s["maxLength"], "x" * (s["maxLength"] + 1)
        if s.get("type") in ("integer", ["integer", "null"]) and "minimum" in s:   # a year: the period bounds it
            yield s["minimum"], s["minimum"] - 1
            yield s["maximum"], s["maximum"] + 1


@pytest.mark.parametrize("name", sorted(set(SCHEMA_OF.values()) - {"BudgetInput", "CheckInput"}))
def test_the_parser_holds_the_documents_limits(name):
    """A text as long as the document allows, and an integer at either end of its range, are read; one more
    character, or one beyond the range, is a problem at that field."""
    base = full_check()
    assert _problem_paths(base) == set()
    place = PLACE[name]
    tested = 0
    for key, schema in SCHEMAS[name]["properties"].items():
        if name == "Project" and key == "district":
            continue                            # a district is one of the listed names, whatever its length
        path = f"{place}.{key}"
        for inside, outside in _bounds(schema):
            assert path not in _problem_paths(_set(base, place, key, inside)), (path, inside)
            assert path in _problem_paths(_set(base, place, key, outside)), (path, outside)
            tested += 1
    assert tested or name in ("Rules", "PayFloor", "EmployerRates", "Contractor", "PayChange")


@pytest.mark.parametrize("name, read", [
    ("Amount", lambda r, v: r.amount(v, "x")), ("Quantity", lambda r, v: r.quantity(v, "x")),
    ("Rate", lambda r, v: r.rate(v, "x")), ("Month", lambda r, v: r.month(v, "x"))])
def test_a_decimal_or_a_month_is_read_exactly_when_the_document_allows_it(name, read):
    check = validator(name)
    for text in ["0", "00", "01", "0.5", "0.05", "0.123456", "0.1234567", "1", "1.", ".5", "1.5", "1.25", "1.2345",
                 "1.23456", "24", "6000.00", "999999999", "-1", "+1", "1e3", "1E3", "1,000", "１２", "0x10", "",
                 "2025-07", "2025-7", "2025-00", "2025-13", "1899-12", "1900-01", "2200-12", "2201-01", "２０２５-０７"]:
        reader = Reader(default_parameters())
        read(reader, text)
        assert check.is_valid(text) == (not reader.problems), (name, text)
    for value in (5, 0.5, None, True, ["1"]):
        reader = Reader(default_parameters())
        read(reader, value)
        assert not check.is_valid(value) and reader.problems, (name, value)


@pytest.fixture
def signed_in(client):
    """A signed-in caller: the full limits (full_budget() runs 60 months, more than a caller who is not may ask)."""
    world.build()
    return log_in(client, "a_prep")


def test_the_example_budget_and_its_result_validate_against_the_document(client, signed_in):
    assert validator("BudgetInput").is_valid(EXAMPLE)
    assert validator("BudgetInput").is_valid(full_budget())
    assert validator("CheckInput").is_valid(full_check())
    response = client.post("/api/v1/compute", json=EXAMPLE)
    assert response.status_code == 200
    validator("ComputeResult").validate(response.get_json())
    response = client.post("/api/v1/compute", json=full_budget())
    assert response.status_code == 200 and response.get_json()["assumptions"]
    validator("ComputeResult").validate(response.get_json())


def test_the_other_answers_validate_against_the_document(client, signed_in):
    data = full_check()
    data["roster"].append(dict(data["roster"][0], id="B", post="站长", category="", employer_rates=None))
    response = client.post("/api/v1/check", json=data)
    assert response.status_code == 200
    body = response.get_json()
    assert None in body["comparison"][-1].values()          # a post only the roster has
    validator("CheckResult").validate(body)
    later = copy.deepcopy(EXAMPLE)
    del later["personnel"][1]["housing_fund_rate_reason"]
    later["personnel"][1]["housing_fund_rate"] = "0.07"
    response = client.post("/api/v1/compute?reasons=later", json=later)
    assert response.status_code == 200 and response.get_json()["pending"]
    validator("ComputeResult").validate(response.get_json())
    for url, body in (("/api/v1/compute", later), ("/api/v1/check", {"budget": later}), ("/api/v1/compute", [])):
        response = client.post(url, json=body)
        assert response.status_code == 400
        validator("Errors").validate(response.get_json())
    response = client.post("/api/v1/compute", data=b" " * (7 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    validator("Errors").validate(response.get_json())
    response = client.post("/api/v1/compute", data=b"{}", content_type="text/plain")
    assert response.status_code == 415
    validator("Errors").validate(response.get_json())
    anonymous = client.application.test_client()         # the caps of a caller who is not signed in
    for status, data in ((413, b" " * (300 * 1024)), (422, json.dumps(full_budget()).encode())):
        response = anonymous.post("/api/v1/compute", data=data, content_type="application/json")
        assert response.status_code == status
        validator("Errors").validate(response.get_json())


def test_the_documents_examples_are_answered_as_it_says(client):
    def example(path: str) -> dict:
        return DOC["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert example("/compute") == EXAMPLE                 # docs/example-budget.json, as the README shows it
    response = client.post("/api/v1/check", json=example("/check"))
    assert response.status_code == 200 and validator("CheckInput").is_valid(example("/check"))
    validator("CheckResult").validate(response.get_json())
    for answer in DOC["components"]["responses"].values():
        validator("Errors").validate(answer["content"]["application/json"]["example"])
