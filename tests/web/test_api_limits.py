"""What the JSON API takes from one caller (issue #14): a JSON content type on every POST; for callers who are not
signed in, a smaller body, fewer lines and a shorter period than for signed-in ones, refused before anything is
parsed or priced; a rate limit per client address (as ProxyFix leaves it), stricter without a sign-in, answered
429 with Retry-After; and JSON the contract cannot hold (a 4,300-digit integer, a lone surrogate, an exponent no
Decimal holds) refused with the field's path, never a 500."""
from __future__ import annotations

import io
import json
import os
import threading
import time

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import EnvironBuilder, run_wsgi_app

from costing import create_app
from costing.engine.parse import MAX_LINES, MAX_MONTHS
from costing.web import api_limits, ratestore
from costing.web import views as web_views

from . import world
from .world import SAMPLE, budget_with, form_fields, log_in

APIS = ["/api/v1/compute", "/api/v1/check"]
REDIS_URL = os.environ.get("COSTING_TEST_REDIS_URL")
ROSTER = [{"id": "A001", "post": "社会工作者", "level": "junior", "certificate": "assistant_social_worker",
           "monthly_pay": "4300.00"}]


def body_for(url: str, budget: dict) -> dict:
    return budget if url.endswith("/compute") else {"budget": budget, "roster": ROSTER}


def post_json(client, url: str, data, **headers):
    raw = data if isinstance(data, (bytes, str)) else json.dumps(data, ensure_ascii=False)
    return client.post(url, data=raw, content_type="application/json", headers=headers)


def errors(response) -> list[dict]:
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    return response.get_json()["errors"]


@pytest.fixture
def limited(app):
    """The API's rate limits switched on for one test (the test configuration leaves them off), counted from 0."""
    app.config |= {"API_ANONYMOUS_RATE_LIMIT": "3 per minute", "API_RATE_LIMIT": "5 per minute"}
    for limiter in app.extensions["limiter"]:
        limiter.reset()
    yield app
    for limiter in app.extensions["limiter"]:
        limiter.reset()


# -- the content type ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", APIS)
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                                          "application/jsonp", "text/json"])
def test_a_body_not_sent_as_json_is_refused_with_415(client, url, content_type):
    """A page on another site can make a visitor's browser post text/plain or a form anywhere without asking;
    application/json it cannot (the browser asks first, and the API answers no other origin)."""
    raw = json.dumps(body_for(url, SAMPLE), ensure_ascii=False).encode()
    response = client.post(url, data=raw, content_type=content_type)
    assert response.status_code == 415
    [error] = errors(response)
    assert error["path"] == "request" and error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"] and "Content-Type" in error["message"]


@pytest.mark.parametrize("url", APIS)
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON;charset=UTF-8", 'application/json; charset="utf-8"'])
def test_json_with_or_without_its_utf8_charset_is_read(client, url, content_type):
    raw = json.dumps(body_for(url, SAMPLE), ensure_ascii=False).encode()
    assert client.post(url, data=raw, content_type=content_type).status_code == 200


# -- the caps for callers who are not signed in ------------------------------------------------------------

def test_the_anonymous_caps_are_well_below_the_signed_in_limits(app):
    assert app.config["API_ANONYMOUS_MAX_BYTES"] * 10 <= app.config["MAX_CONTENT_LENGTH"]
    assert app.config["API_ANONYMOUS_MAX_LINES"] * 10 <= MAX_LINES
    assert app.config["API_ANONYMOUS_MAX_MONTHS"] < MAX_MONTHS


@pytest.mark.parametrize("url", APIS)
def test_an_anonymous_oversized_body_is_refused_at_once_without_being_read(client, url, monkeypatch):
    """The probe's worst case: 5,000 lines over 60 months, about 2 MB, cost 2 s of CPU and a 10.9 MB answer."""
    from costing.web import views  # noqa: PLC0415 — to see that nothing is parsed

    worst = json.dumps(body_for(url, budget_with(lines=MAX_LINES, months=MAX_MONTHS)), ensure_ascii=False).encode()
    assert len(worst) > 2_000_000
    monkeypatch.setattr(views, "read_json", lambda data: pytest.fail("an oversized anonymous body was parsed"))
    started = time.perf_counter()
    response = client.post(url, data=worst, content_type="application/json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 413 and elapsed < 0.1, elapsed
    [error] = errors(response)
    cap = client.application.config["API_ANONYMOUS_MAX_BYTES"]
    assert error["path"] == "request" and error["code"] == "too_large"
    assert f"{len(worst):,}" in error["message"] and f"{cap:,}" in error["message"] and "未登录" in error["message"]


def test_an_anonymous_body_without_a_length_is_read_only_up_to_the_cap(app):
    """Sent in chunks (no Content-Length), the body is read up to the cap and refused there."""
    class Chunks(io.RawIOBase):
        """A body whose length is not known beforehand (it cannot seek), counting what is read of it."""

        def __init__(self, data: bytes):
            self.data, self.given = io.BytesIO(data), 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            count = self.data.readinto(buffer)
            self.given += count
            return count

    cap = app.config["API_ANONYMOUS_MAX_BYTES"]
    stream = Chunks(b"[" + b"0," * cap + b"0]")
    # as a server that reads chunked bodies (gunicorn) hands one on: no CONTENT_LENGTH, the stream terminated
    environ = EnvironBuilder(path="/api/v1/compute", method="POST", content_type="application/json").get_environ()
    assert "CONTENT_LENGTH" not in environ
    environ |= {"wsgi.input": stream, "wsgi.input_terminated": True}
    answer, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status == "413 REQUEST ENTITY TOO LARGE"
    [error] = json.loads(b"".join(answer))["errors"]
    assert error["message"] == f"请求体超过上限；未登录时最多 {cap:,} 字节（256 KB），登录后最多 5 MB"
    assert stream.given == cap + 1                  # what was read: the cap and one byte more


@pytest.mark.parametrize("url, prefix", [("/api/v1/compute", ""), ("/api/v1/check", "budget.")])
def test_an_anonymous_caller_gets_at_most_the_anonymous_lines_and_months(app, client, url, prefix):
    lines, months = app.config["API_ANONYMOUS_MAX_LINES"], app.config["API_ANONYMOUS_MAX_MONTHS"]
    assert post_json(client, url, body_for(url, budget_with(lines=lines, months=months))).status_code == 200
    response = post_json(client, url, body_for(url, budget_with(lines=lines + 1, months=months + 1)))
    assert response.status_code == 422
    found = {e["path"]: e for e in errors(response)}
    assert set(found) == {f"{prefix}personnel", f"{prefix}project.end"}
    assert {e["code"] for e in found.values()} == {"anonymous_limit"}
    assert f"{lines + 1} 行" in found[f"{prefix}personnel"]["message"]
    assert f"最多 {lines} 行" in found[f"{prefix}personnel"]["message"]
    assert f"{months + 1} 个月" in found[f"{prefix}project.end"]["message"]
    assert f"最多 {months} 个月" in found[f"{prefix}project.end"]["message"]


def test_an_anonymous_roster_is_capped_too(app, client):
    lines = app.config["API_ANONYMOUS_MAX_LINES"]
    roster = [dict(ROSTER[0], id=f"P{i}") for i in range(lines + 1)]
    response = post_json(client, "/api/v1/check", {"budget": SAMPLE, "roster": roster})
    assert response.status_code == 422 and [e["path"] for e in errors(response)] == ["roster"]


def test_signed_in_callers_keep_the_full_limits(app, client):
    world.build()
    log_in(client, "a_prep")
    lines = 1000
    big = budget_with(lines=lines, months=MAX_MONTHS)
    raw = json.dumps(big, ensure_ascii=False).encode()
    assert len(raw) > app.config["API_ANONYMOUS_MAX_BYTES"] and lines > app.config["API_ANONYMOUS_MAX_LINES"]
    response = post_json(client, "/api/v1/compute", raw)
    assert response.status_code == 200 and len(response.get_json()["personnel"]) == lines
    response = post_json(client, "/api/v1/check", {"budget": big, "roster": ROSTER})
    assert response.status_code == 200
    # and the signed-in limits are where they were
    response = post_json(client, "/api/v1/compute", budget_with(lines=MAX_LINES + 1, months=MAX_MONTHS + 1))
    assert response.status_code == 400
    assert {e["path"] for e in errors(response)} == {"personnel", "project.end"}
    response = client.post("/api/v1/compute", data=b" " * (7 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413 and errors(response)[0]["code"] == "too_large"


# -- the rate limit ---------------------------------------------------------------------------------------

def test_an_anonymous_client_is_rate_limited_across_both_apis_with_retry_after(limited, client):
    answers = [post_json(client, url, body_for(url, SAMPLE)).status_code for url in APIS + APIS[:1]]
    assert answers == [200, 200, 200]
    for url in APIS:
        response = post_json(client, url, body_for(url, SAMPLE))
        assert response.status_code == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 60 and response.headers["X-Request-ID"]
        [error] = errors(response)
        assert error["path"] == "request" and error["code"] == "too_many_requests"
        assert "每分钟最多 3 次" in error["message"] and "未登录" in error["message"]
    # the pages and the API's document are not limited
    assert client.get("/api/v1/openapi.json").status_code == 200 and client.get("/").status_code == 200


def test_a_signed_in_caller_has_a_higher_limit_of_its_own(limited, client):
    world.build()
    anonymous = limited.test_client()
    for _ in range(3):
        assert post_json(anonymous, "/api/v1/compute", SAMPLE).status_code == 200
    assert post_json(anonymous, "/api/v1/compute", SAMPLE).status_code == 429
    log_in(client, "a_prep")
    answers = [post_json(client, "/api/v1/compute", SAMPLE).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert "每分钟最多 5 次" in errors(client.post("/api/v1/compute", json=SAMPLE))[0]["message"]


def test_the_limit_counts_the_client_address_as_the_trusted_proxy_gives_it(limited, client, monkeypatch):
    """Behind one proxy (COSTING_PROXY_HOPS=1): the address that proxy saw, not what a client claims before it."""
    monkeypatch.setattr(limited, "wsgi_app", ProxyFix(limited.wsgi_app, x_for=1))

    def from_address(seen: str, claimed: str = "") -> int:
        forwarded = f"{claimed}, {seen}" if claimed else seen
        return post_json(client, "/api/v1/compute", SAMPLE, **{"X-Forwarded-For": forwarded}).status_code

    assert [from_address("198.51.100.7", claimed=f"203.0.113.{i}") for i in range(4)] == [200, 200, 200, 429]
    assert from_address("198.51.100.8") == 200          # another client has its own count
    assert post_json(client, "/api/v1/compute", SAMPLE).status_code == 200     # and the proxy itself too


def test_an_empty_limit_is_none_and_the_test_configuration_leaves_them_empty(app, client):
    assert app.config["API_ANONYMOUS_RATE_LIMIT"] == "" and app.config["API_RATE_LIMIT"] == ""
    answers = {client.post("/api/v1/compute", data="{}", content_type="text/plain").status_code for _ in range(40)}
    assert answers == {415}


# -- the pricing a signed-in user may ask for -------------------------------------------------------------

@pytest.fixture
def work_limited(app):
    """The allowance of lines priced per user switched on for one test, counted from 0."""
    app.config["WORK_RATE_LIMIT"] = "2500 per minute"
    app.extensions["costing_limiter"].reset()
    yield app
    app.extensions["costing_limiter"].reset()


def lines_of(data: dict) -> int:
    return len(data["personnel"]) + len(data["costs"])


def test_a_signed_in_user_may_ask_for_so_many_lines_priced_a_minute_then_waits(work_limited, client, monkeypatch):
    """Issue #20: a signed-in caller could post 5,000 lines 300 times a minute (1.3 s of CPU each). The lines are
    counted before anything is priced; what is refused is not priced."""
    priced = []
    monkeypatch.setattr(web_views, "compute", lambda *args, _c=web_views.compute: priced.append(1) or _c(*args))
    world.build()
    log_in(client, "a_prep")
    big = budget_with(1000, 60)
    cost = lines_of(big) + api_limits.WORK_PER_REQUEST
    answers = [post_json(client, "/api/v1/compute", big).status_code for _ in range(3)]
    assert answers == [200, 200, 429] and len(priced) == 2
    refused = post_json(client, "/api/v1/compute", big)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    [error] = errors(refused)
    assert error["path"] == "request" and error["code"] == "too_many_requests"
    assert f"每分钟最多测算 2,500 行（每次请求另计 {api_limits.WORK_PER_REQUEST} 行），本次 {lines_of(big):,} 行，" \
           f"已用 {2 * cost:,} 行" in error["message"]
    # what is left is still there for smaller work, on either API
    small = lines_of(SAMPLE) + api_limits.WORK_PER_REQUEST
    left = (2500 - 2 * cost) // small
    answers = [post_json(client, url, body_for(url, SAMPLE)).status_code for url in APIS * left][:left + 1]
    assert answers[:left] == [200] * left
    assert post_json(client, "/api/v1/compute", SAMPLE).status_code == 429
    # another user has an allowance of their own
    assert post_json(log_in(work_limited.test_client(), "b_prep"), "/api/v1/compute", big).status_code == 200


def test_a_request_larger_than_the_whole_allowance_is_taken_as_the_first_of_a_minute(work_limited, client):
    work_limited.config["WORK_RATE_LIMIT"] = "500 per minute"
    world.build()
    log_in(client, "a_prep")
    big = budget_with(1000, 12)
    assert [post_json(client, "/api/v1/compute", big).status_code for _ in range(2)] == [200, 429]


def test_the_live_previews_count_against_the_same_allowance(work_limited, client):
    w = world.build()
    log_in(client, "a_prep")
    form = form_fields(SAMPLE) | {"base_revision": "1"}
    each = lines_of(SAMPLE) + api_limits.WORK_PER_REQUEST
    work_limited.config["WORK_RATE_LIMIT"] = f"{3 * each} per minute"
    answers = [client.post("/budgets/preview", data=form) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429] and answers[0].get_json()["ok"]
    busy = answers[-1]
    body = busy.get_json()
    assert body["ok"] is False and body["retry_after"] == int(busy.headers["Retry-After"]) and body["retry_after"] >= 1
    assert body["errors"][0]["code"] == "too_many_requests" and "测算过于频繁" in body["errors"][0]["message"]
    assert post_json(client, "/api/v1/compute", SAMPLE).status_code == 429         # the API too: one allowance
    # rows posted beyond what the page holds are counted too (reading them is the work), though none is priced
    work_limited.extensions["costing_limiter"].reset()
    work_limited.config["WORK_RATE_LIMIT"] = "500 per minute"
    many = form_fields(budget_with(300, 12))
    answers = [client.post("/budgets/preview", data=many) for _ in range(2)]
    assert answers[0].get_json()["errors"][0]["code"] == "too_large" and answers[1].status_code == 429
    contractor = log_in(work_limited.test_client(), "c_user")
    roster = {"name": "方案", "roster-0-id": "S1", "roster-0-post": "社会工作者", "roster-0-level": "junior",
              "roster-0-certificate": "none", "roster-0-monthly_pay": "4300.00"}
    work_limited.config["WORK_RATE_LIMIT"] = f"{2 * (1 + api_limits.WORK_PER_REQUEST)} per minute"
    answers = [contractor.post(f"/rosters/preview?budget={w.budget_a}", data=roster).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_the_api_page_states_the_allowance(work_limited, client):
    page = client.get("/api").get_data(as_text=True)
    assert "每分钟最多测算 2,500 行" in page and f"每次请求另计 {api_limits.WORK_PER_REQUEST} 行" in page


# -- JSON the contract cannot hold ------------------------------------------------------------------------

HOSTILE = {
    # what, the budget as JSON text (before it is put into each API's body), the path and words of the answer
    "a 4,301-digit integer": ('{"project": {"name": "x", "site": {"type": "school", "people": ' + "9" * 4301 + "}}}",
                              "project.site.people", "整数"),
    "a 4,301-digit integer in an unknown key": ('{"extra": ' + "1" * 4301 + "}", "extra", "整数"),
    "a lone surrogate in a value": ('{"project": {"name": "\\ud800"}}', "project.name", "代理"),
    "a lone surrogate in an unknown key": ('{"\\ud800": 1}', "\\ud800", "代理"),
    "a lone surrogate in a list": ('{"personnel": ["\\udfff"]}', "personnel[0]", "代理"),
    "a lone surrogate repeated as a key": ('{"\\udc00": 1, "\\udc00": 2}', "input", "重复"),
    "an exponent no Decimal holds": ('{"management_fee_rate": 1e999999999999999999999}', "management_fee_rate", "数字"),
    "a negative exponent no Decimal holds": ('{"x": -1e-999999999999999999999}', "x", "数字"),
}


@pytest.mark.parametrize("url", APIS)
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_json_the_contract_cannot_hold_is_refused_at_its_path(client, url, case):
    text, path, words = HOSTILE[case]
    raw = text if url.endswith("/compute") else '{"roster": [], "budget": ' + text + "}"
    response = post_json(client, url, raw.encode())
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    found = {e["path"]: e["message"] for e in errors(response)}
    where = path if url.endswith("/compute") or path == "input" else f"budget.{path}"
    assert where in found and words in found[where], found


@pytest.mark.parametrize("url", APIS)
def test_a_lone_surrogate_in_an_otherwise_valid_budget_is_refused(client, url):
    """Nothing else is wrong, so it would be priced and the answer (which repeats the name) could not be encoded."""
    raw = json.dumps(body_for(url, SAMPLE), ensure_ascii=False).replace(SAMPLE["project"]["name"], "项目\\ud83d")
    response = post_json(client, url, raw.encode())
    assert response.status_code == 400
    prefix = "" if url.endswith("/compute") else "budget."
    assert [e["path"] for e in errors(response)] == [f"{prefix}project.name"]


@pytest.mark.parametrize("url", APIS)
@pytest.mark.parametrize("raw, words", [
    ('{"project": NaN}', "NaN"), ('{"project": -Infinity}', "Infinity"),
    ('{"management_fee_rate": 1e999999}', "字符串"), ('{"management_fee_rate": 0.05}', "字符串"),
    ("[" * 100_000 + "]" * 100_000, "嵌套"), ('{"project": 1, "project": 2}', "重复"),
    ('"\\ud83d\\ude00"', "JSON 对象"),        # a valid surrogate pair is a character like any other
])
def test_other_json_oddities_are_refused_cleanly(client, url, raw, words):
    if url.endswith("/check") and raw.startswith("{"):
        raw = '{"roster": [], "budget": ' + raw + "}"
    response = post_json(client, url, raw.encode())
    assert response.status_code == 400 and any(words in e["message"] for e in errors(response)), errors(response)


# -- where the counts are kept ----------------------------------------------------------------------------

def _server(tmp_path, **config):
    """Another server process's app (on a database of its own, which a refused request never reaches)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/limits.sqlite", "SECRET_KEY": "x",
                       "API_ANONYMOUS_RATE_LIMIT": "2 per 7 minutes"} | config)


@pytest.mark.skipif(not REDIS_URL, reason="needs COSTING_TEST_REDIS_URL")
def test_with_redis_every_process_shares_one_count(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    one, two = _server(tmp_path, REDIS_URL=REDIS_URL), _server(tmp_path, REDIS_URL=REDIS_URL)
    one.extensions["costing_limiter"].reset()
    try:
        # text/plain is refused after it is counted, without reaching the database
        answers = [app.test_client().post("/api/v1/compute", data="{}", content_type="text/plain").status_code
                   for app in (one, two, one, two)]
        assert answers == [415, 415, 429, 429]
    finally:
        one.extensions["costing_limiter"].reset()


def test_without_redis_every_process_on_the_machine_shares_one_count(tmp_path, monkeypatch):
    """The default install (issue #20: counted in each process, 123 of 200 anonymous requests were accepted on
    five server processes where 30 should have been)."""
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    one, two = _server(tmp_path), _server(tmp_path)
    answers = [app.test_client().post("/api/v1/compute", data="{}", content_type="text/plain").status_code
               for app in (one, two, one, two)]
    assert answers == [415, 415, 429, 429]
    assert (tmp_path / "ratelimits.sqlite").exists()


def test_the_shared_count_file_counts_every_increment_once_whoever_writes_at_the_same_time(tmp_path):
    storage = ratestore.FileStorage(ratestore.uri_for(str(tmp_path / "counts.sqlite")))
    seen: list[int] = []

    def count():
        seen.extend(storage.incr("k", 60) for _ in range(200))       # each thread its own connection, as a process
    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(seen) == list(range(1, 801)) and storage.get("k") == 800
    assert storage.incr("k", 60, amount=5) == 805 and storage.get_expiry("k") > time.time()
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.incr("gone", 0) == 1 and storage.get("gone") == 0 and storage.incr("gone", 60) == 1   # a new window


def test_an_unreachable_redis_falls_back_to_counting_in_memory(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    app = _server(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")          # refused
    client = app.test_client()
    answers = [client.post("/api/v1/compute", data="{}", content_type="text/plain").status_code for _ in range(3)]
    assert answers == [415, 415, 429]
