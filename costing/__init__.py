"""costing: budgets for government purchase of social-work services in Chongqing."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from .paths import ROOT

if TYPE_CHECKING:            # Flask is imported by create_app: the command line's compute does not load it
    from flask import Flask

__all__ = ["ROOT", "create_app", "database_url"]



def database_url(url: str | None, instance_path: str) -> str:
    """COSTING_DATABASE_URL, with postgres URLs pointed at psycopg 3; else SQLite under instance/."""
    if not url:
        return f"sqlite:///{Path(instance_path) / 'costing.sqlite'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(instance_path: str) -> str:
    """COSTING_SECRET_KEY, else a random key kept in instance/secret_key (made on first start)."""
    if os.environ.get("COSTING_SECRET_KEY"):
        return os.environ["COSTING_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _engine_settings(app: Flask) -> None:
    """SQLite (the embedded default) in WAL mode, waiting for a writer instead of failing at once, so several
    server processes share it; PostgreSQL connections give up after 5 s instead of hanging a request."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if uri.startswith("postgresql"):
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")        # readers do not wait for a writer (a file database only)
    cursor.execute("PRAGMA busy_timeout=5000")       # a writer waits up to 5 s for another instead of failing
    cursor.close()


def create_app(config: dict | None = None) -> Flask:
    # The features are imported here, not at the top: ``python -m costing compute`` runs this package's
    # __init__ and should not pay for Flask extensions, the database layer and WeasyPrint.
    from flask import Flask  # noqa: PLC0415

    from .accounts import admin, auth  # noqa: PLC0415
    from .budgets import views as budgets  # noqa: PLC0415
    from .commands import register_commands  # noqa: PLC0415
    from .models import db  # noqa: PLC0415
    from .parameters import views as parameters  # noqa: PLC0415
    from .parameters.service import Provider  # noqa: PLC0415
    from .results.format import register as register_formats  # noqa: PLC0415
    from .rosters import views as rosters  # noqa: PLC0415
    from .web import api_limits, errors, extensions, limits, ops, security, views  # noqa: PLC0415

    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=os.environ.get("COSTING_INSTANCE_PATH", str(ROOT / "instance")))
    config = config or {}
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=config.get("SECRET_KEY") or _secret_key(app.instance_path),
        SQLALCHEMY_DATABASE_URI=database_url(os.environ.get("COSTING_DATABASE_URL"), app.instance_path),
        # a connection is checked before use, so the first request after a database restart succeeds
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
        # fields in a form (urlencoded too) and bytes in a multipart text field: costing.web.limits
        MAX_FORM_PARTS=limits.MAX_FORM_FIELDS,
        MAX_FORM_MEMORY_SIZE=limits.MAX_FIELD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("COSTING_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # sign-in failures within LOGIN_THROTTLE_MINUTES after which a client waits: of one name from that
        # client, or of any names from it (accounts.throttle); the account stays open to others
        LOGIN_MAX_FAILURES=5,
        LOGIN_CLIENT_MAX_FAILURES=20,
        LOGIN_THROTTLE_MINUTES=15,
        # the public address printed in annexes for /verify (never taken from a request's Host header)
        PUBLIC_URL=os.environ.get("COSTING_PUBLIC_URL"),
        # behind N reverse proxies (nginx: 1): trust their X-Forwarded-For and X-Forwarded-Proto
        PROXY_HOPS=int(os.environ.get("COSTING_PROXY_HOPS") or 0),
        REDIS_URL=os.environ.get("COSTING_REDIS_URL"),
        JSON_LOGS=os.environ.get("COSTING_JSON_LOGS", "1") != "0",
    )
    app.config.update(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    app.url_map.converters["id"] = extensions.RowId
    _engine_settings(app)
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event  # noqa: PLC0415
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
    extensions.init_app(app)
    limits.init_app(app)
    app.extensions["costing_params"] = Provider()
    register_formats(app.jinja_env)
    for blueprint in (views.bp, auth.bp, budgets.bp, rosters.bp, admin.bp, parameters.bp):
        app.register_blueprint(blueprint)
    errors.register_errors(app)
    ops.init_app(app)
    security.init_app(app)
    api_limits.init_app(app)
    register_commands(app)
    return app
