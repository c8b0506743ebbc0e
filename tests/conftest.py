"""Database-backed fixtures. Every web test runs on SQLite, and on PostgreSQL too when
COSTING_TEST_DATABASE_URL is set (.ci/run sets it to the machine's local server)."""
from __future__ import annotations

import os

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from costing import create_app, database_url
from costing.engine.parameters import load_documents
from costing.models import DistrictTier, ParamState, ParamValue, db
from costing.parameters.seed import seed

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
        _seed_parameters()
        db.engine.dispose()
    return uri


PARAM_TABLES = {"param_document", "param_source", "param_family", "param_value", "param_setting", "district_tier",
                "district_alias", "param_state"}
ACCOUNT_TABLES = ("user_account", "organisation")     # referenced by the parameter tables' reviewer columns


def _seed_parameters() -> None:
    seed(db.session, load_documents())
    db.session.commit()


def _parameters_touched() -> bool:
    """True unless the parameter tables hold exactly the shipped data as seeded (generation 1)."""
    state = db.session.get(ParamState, 1)
    if state is None or state.generation != 1:
        return True
    return any(db.session.scalar(select(func.count()).select_from(model).where(model.origin != "shipped"))
               for model in (ParamValue, DistrictTier))


def _empty_tables() -> None:
    """Empty every table between tests; the parameter tables keep the shipped data (seeding them
    again costs more than most tests) unless the test changed them."""
    touched = _parameters_touched()
    tables = [t for t in reversed(db.metadata.sorted_tables) if touched or t.name not in PARAM_TABLES]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables if touched or t.name not in ACCOUNT_TABLES)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        if not touched:
            for name in ACCOUNT_TABLES:
                db.session.execute(text(f"DELETE FROM {name}"))
                db.session.execute(text(f"ALTER SEQUENCE {name}_id_seq RESTART"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()
    if touched:
        _seed_parameters()


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
