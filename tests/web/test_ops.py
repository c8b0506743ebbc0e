"""Running as a service: health and readiness, one JSON line per request, a Chinese 503 without the database,
the proxy setting and secure cookies."""
import json
import logging
import os

import pytest
from flask import request

from costing import create_app
from costing.web.ops import UNAVAILABLE, JsonLines

from . import world
from .world import log_in

REFUSED = "postgresql+psycopg://postgres@127.0.0.1:1/test"       # nothing listens on port 1: refused at once


@pytest.fixture
def down(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    return create_app({"SQLALCHEMY_DATABASE_URI": REFUSED, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})


def test_health_needs_no_database_and_readiness_does(down):
    client = down.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"] == {"database": "unreachable"}


def test_ready_with_the_database(app, client):
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.json == {"status": "ready", "checks": {"database": "ok"}}


def test_without_the_database_pages_and_the_api_answer_a_chinese_503(down):
    client = down.test_client()
    page = client.post("/login", data={"username": "someone", "password": "x"})
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and UNAVAILABLE in text and page.headers["Retry-After"] == "5"
    assert "Internal Server Error" not in text and "Traceback" not in text and "<html lang=\"zh-CN\">" in text
    api = client.post("/api/v1/compute", json={})
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.json == {"errors": [{"path": "request", "message": UNAVAILABLE, "code": "database_unavailable"}]}


def test_each_request_is_one_json_line_with_its_id_user_and_duration(app, client):
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(JsonLines().format(record)))
    keep = Keep()
    logging.getLogger("costing.access").addHandler(keep)
    try:
        world.build()
        log_in(client, "a_prep")
        answer = client.get("/budgets/", headers={"X-Request-ID": "proxy-given-1234"})
        odd = client.get("/healthz", headers={"X-Request-ID": "不是<id>"})
    finally:
        logging.getLogger("costing.access").removeHandler(keep)
    assert answer.headers["X-Request-ID"] == "proxy-given-1234"
    assert odd.headers["X-Request-ID"] != "不是<id>" and len(odd.headers["X-Request-ID"]) == 16
    line = next(entry for entry in lines if entry["request_id"] == "proxy-given-1234")
    assert line["path"] == "/budgets/" and line["status"] == 200 and line["method"] == "GET"
    assert isinstance(line["user_id"], int) and line["duration_ms"] >= 0 and line["time"].endswith("+00:00")


def test_behind_one_proxy_its_forwarded_address_and_scheme_are_trusted_and_never_more(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    seen = []
    for hops in (0, 1):
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite", "SECRET_KEY": "x",
                          "PROXY_HOPS": hops})
        app.add_url_rule("/_where", "where", lambda: f"{request.scheme} {request.remote_addr}")
        # 203.0.113.9 is what a client claims; 198.51.100.7 is what our one proxy saw
        seen.append(app.test_client().get("/_where", headers={
            "X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"}).get_data(as_text=True))
    assert seen == ["http 127.0.0.1", "https 198.51.100.7"]


def test_secure_cookies_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTING_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COSTING_SECURE_COOKIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.sqlite", "SECRET_KEY": "x"})
    cookie = app.test_client().get("/login").headers.get("Set-Cookie", "")
    assert "session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_readiness_checks_the_queue_when_there_is_one(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"              # refused
    answer = client.get("/readyz")
    # the node still serves (annexes are made in its own process): degraded, not taken out of service
    assert answer.status_code == 200 and answer.json == {"status": "degraded",
                                                         "checks": {"database": "ok", "queue": "unreachable"}}
    url = os.environ.get("COSTING_TEST_REDIS_URL")
    if url:
        app.config["REDIS_URL"] = url
        assert client.get("/readyz").json == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}


def test_the_api_documents_its_503(down):
    import jsonschema_rs  # noqa: PLC0415 — the validator the API's document tests use

    from costing.web import openapi  # noqa: PLC0415
    document = openapi.document()
    answer = down.test_client().post("/api/v1/compute", json={})
    schema = document["components"]["schemas"]["Errors"]
    assert "503" in document["paths"]["/compute"]["post"]["responses"]
    jsonschema_rs.validator_for(schema | {"components": document["components"]}).validate(answer.json)
