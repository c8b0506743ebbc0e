"""Running the app as a service: health and readiness checks, one JSON log line per request, a static
Chinese 503 page while the database is unreachable, and the proxy setting.

- ``/healthz`` answers while the process runs (no database); ``/readyz`` also checks the database (and the
  job queue's Redis when ``COSTING_REDIS_URL`` is set): a load balancer sends traffic only where it is ready.
- Each request is logged as one JSON line (request id, user id, method, path, status, duration); an error's
  stack goes to the server's log only. The request id comes from a proxy's ``X-Request-ID`` when it is a
  plain token, else is made here, and is sent back in the same header.
- While the database cannot be reached, pages answer ``static/errors/503.html`` (built without the database
  or the templates that read the signed-in user) and the API a JSON 503, both with ``Retry-After``.
- ``COSTING_PROXY_HOPS=N``: trust N proxies' ``X-Forwarded-For`` and ``X-Forwarded-Proto`` (Werkzeug's
  ProxyFix); never the Host header (annexes print ``COSTING_PUBLIC_URL``).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from ..models import db
from ..paths import ROOT

bp = Blueprint("ops", __name__)
UNAVAILABLE = "系统暂时无法连接数据库，请稍后重试"
UNAVAILABLE_CODE = "database_unavailable"           # the API's problem code for it (in the OpenAPI document)
RETRY_AFTER = "5"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("costing.access")


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, message and the fields passed as ``extra``."""
    FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms", "remote")

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["stack"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    return handler


def database_unreachable(exc: BaseException) -> bool:
    """A lost or refused database connection (as opposed to a bug in a query)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def unavailable_response():
    """The 503 answer while the database is down: it touches neither the database nor a template."""
    if request.path.startswith("/api/"):
        response = jsonify(errors=[{"path": "request", "message": UNAVAILABLE, "code": UNAVAILABLE_CODE}])
        response.status_code = 503
    else:
        response = Response(current_app.extensions["costing_503"], status=503, mimetype="text/html")
    response.headers["Retry-After"] = RETRY_AFTER
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except DBAPIError:
        db.session.rollback()
        checks["database"] = "unreachable"
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["queue"] = "ok" if _redis_ok(redis_url) else "unreachable"
    # without its database a node can do nothing; without the queue it makes annexes in its own process (jobs.py),
    # so it stays in service, said to be degraded
    if checks["database"] != "ok":
        return jsonify(status="not ready", checks=checks), 503
    return jsonify(status="ready" if all(v == "ok" for v in checks.values()) else "degraded", checks=checks), 200


def _redis_ok(url: str) -> bool:
    try:
        import redis  # noqa: PLC0415 — only where a queue is configured
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:       # any failure to reach it means: not ready
        return False


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.extensions["costing_503"] = (ROOT / "static" / "errors" / "503.html").read_text("utf-8")
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    if app.config.get("JSON_LOGS", True):
        if not any(isinstance(h.formatter, JsonLines) for h in access_log.handlers):     # once per process
            access_log.addHandler(_handler())
            access_log.setLevel(logging.INFO)
            access_log.propagate = False
        app.logger.handlers[:] = [_handler()]

    @app.teardown_appcontext
    def close_session(_exc):
        """Before Flask-SQLAlchemy's own teardown (registered earlier, so run later): a connection the database
        dropped (a restart) cannot even roll back; closing it would raise after the response was made and the
        server would answer a bare 500. It is invalidated instead (the pool makes a new one)."""
        try:
            db.session.remove()
        except DBAPIError:
            try:
                db.session().invalidate()          # the session itself (the scoped proxy has no invalidate)
            finally:
                db.session.registry.clear()

    @app.before_request
    def start():
        g.started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]

    @app.after_request
    def log(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.path.startswith("/static/"):
            return response
        user_id = None
        try:
            if current_user and current_user.is_authenticated:
                user_id = current_user.id
        except DBAPIError:          # the user could not be loaded: the database is down
            db.session.rollback()
        access_log.info("request", extra={
            "request_id": g.get("request_id"), "user_id": user_id, "method": request.method, "path": request.path,
            "status": response.status_code, "remote": request.remote_addr,
            "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)})
        return response
