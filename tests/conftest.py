"""Database-backed fixtures. Every web test runs on SQLite, and on PostgreSQL too when
COSTING_TEST_DATABASE_URL is set (.ci/run sets it to the machine's local server)."""
from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from costing import create_app, database_url
from costing.models import db

PG_URL = os.environ.get("COSTING_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
FAST_HASH = "pbkdf2:sha256:1000"


@pytest.fixture(scope="session", params=DATABASES)
def database_uri(request, tmp_path_factory):
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path_factory.mktemp('db')}/test.sqlite"
    else:
        uri = database_url(PG_URL, "")
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "tests"})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    return uri


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class Client(FlaskClient):
    """Each request gets its own application context, as in a real server (its own ``g``, so the
    signed-in user is not cached across clients, and its own database session)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()   # the test's session then reads what the request committed
        return response


@pytest.fixture
def app(database_uri):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "tests", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": FAST_HASH})
    app.test_client_class = Client
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()
