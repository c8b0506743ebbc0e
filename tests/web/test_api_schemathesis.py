"""Property-based tests of the JSON API against its OpenAPI document, with schemathesis (in-process, over WSGI,
against the test fixtures' app on each test database).

The first test lets schemathesis build requests from the document alone — its examples, the boundaries and
deliberately broken variants of each field (the coverage phase), and random valid and invalid requests —
and checks that none gets a 500, that every answer's status, content type, headers and body are what the
document lists, that a request the document calls invalid is refused with a 4xx, and that other methods
get a 405 with Allow. Requests the document allows may still be refused with a 400: which names are
districts, a line's months within the project's period and the reasons for overrides are the parser's to
say, not a schema's. So the second test makes generated budgets priceable (a listed district, a period that
holds the lines, distinct roster ids, reasons given in some of them) to run the engine itself on them, with
the caps of callers who are not signed in raised to the full limits (the caps are tested in test_api_limits.py).

A run is bounded (EXAMPLES random requests per operation and kind, and the coverage phase's fixed cases)
and derandomized: the same requests every run. Run just these with
``.venv/bin/python -m pytest tests/web/test_api_schemathesis.py``; set ``COSTING_API_EXAMPLES`` for a
longer search (e.g. 2000) when changing the parser or the document."""
from __future__ import annotations

import copy
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from costing.engine.parameters import default_parameters
from costing.engine.parse import MAX_INPUT_BYTES, MAX_LINES, MAX_MONTHS, OVERRIDES
from costing.engine.periods import Month
from costing.web.openapi import document

EXAMPLES = int(os.environ.get("COSTING_API_EXAMPLES", "25"))
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
BOUNDED = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                   # the app fixture is the test's transaction, shared by its examples (the API writes nothing)
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.filter_too_much, HealthCheck.data_too_large])

# the document the app serves (tests/web/test_openapi.py checks that it is this one)
from_document = schemathesis.openapi.from_dict(copy.deepcopy(document()))
from_document.config.generation.update(modes=list(GenerationMode))
# a request the document calls invalid may be refused before it is read: too large for a caller who is not signed in
rejection = from_document.config.checks.negative_data_rejection
rejection.expected_statuses = [*rejection.expected_statuses, "413"]


@from_document.parametrize()
@BOUNDED
def test_the_api_answers_every_request_as_its_document_says(case, app):
    case.call_and_validate(app=app, checks=[*CONFORMANCE, negative_data_rejection, unsupported_method,
                                            allow_header_conformance])


priceable = schemathesis.openapi.from_dict(copy.deepcopy(document()))
priceable.config.generation.update(modes=[GenerationMode.POSITIVE])
priceable.config.phases.update(phases=["fuzzing"])
DISTRICTS = sorted(default_parameters().district_names())
START = Month(2025, 7)


def _priceable_budget(budget: dict, district: str, months: int, reasons: bool) -> None:
    budget["project"] |= {"district": district, "start": str(START), "end": str(START.plus(months - 1))}
    for line in budget.get("personnel", []):
        if line.get("months") is not None:
            line["months"] = min(line["months"], months)
        for key in OVERRIDES:
            if reasons and line.get(key) is not None and not (line.get(f"{key}_reason") or "").strip():
                line[f"{key}_reason"] = "按承接机构的实际情况"
    contractor = budget.get("contractor", {})
    if reasons and contractor.get("work_injury_rate") is not None \
            and not (contractor.get("work_injury_rate_reason") or "").strip():
        contractor["work_injury_rate_reason"] = "工伤保险费率核定通知"


@priceable.hook
def flatmap_body(context, body):
    """A generated budget (or check) made one the engine can price: its district, period, ids and reasons."""
    def make(choice):
        district, months, reasons = choice
        made = copy.deepcopy(body)
        _priceable_budget(made.get("budget", made), district, months, reasons)
        for i, person in enumerate(made.get("roster", [])):
            person["id"] = f"P{i + 1}"
            if person.get("months") is not None:
                person["months"] = min(person["months"], months)
        return made
    return st.tuples(st.sampled_from(DISTRICTS), st.integers(1, 60), st.booleans()).map(make)


@pytest.fixture
def full_limits(app):
    """The caps of a caller who is not signed in raised to a signed-in caller's limits, so that the whole range the
    document allows is priced (the caps have their own tests: tests/web/test_api_limits.py)."""
    app.config |= {"API_ANONYMOUS_MAX_BYTES": MAX_INPUT_BYTES, "API_ANONYMOUS_MAX_LINES": MAX_LINES,
                   "API_ANONYMOUS_MAX_MONTHS": MAX_MONTHS}


@priceable.include(method="POST").parametrize()
@BOUNDED
def test_generated_budgets_and_rosters_are_priced_as_the_document_says(case, app, full_limits):
    case.call_and_validate(app=app, checks=CONFORMANCE)
