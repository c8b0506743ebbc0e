"""Database-backed fixtures. Every web test runs on SQLite, and on PostgreSQL too when
COSTING_TEST_DATABASE_URL is set (.ci/run sets it to the machine's local server).

One app per database for the whole session (so the confirmed parameter set is built once, not once a
test), and each test inside a transaction that is rolled back: every session the app opens, in the test
and in each request, shares that transaction's connection, and their commits only release savepoints.
Tests whose data another connection must see (``@pytest.mark.commits``) commit for real instead, and
the tables are emptied after them."""
from __future__ import annotations

import os

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text

from costing import create_app, database_url
from costing.budgets import service
from costing.budgets import views as budget_views
from costing.engine.parameters import load_documents
from costing.models import DistrictTier, ParamState, ParamValue, db
from costing.parameters.seed import seed

PG_URL = os.environ.get("COSTING_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
FAST_HASH = "pbkdf2:sha256:1000"
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
    """Empty every table; the parameter tables keep the shipped data (seeding them again costs more than
    most tests) unless a test changed them."""
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
        if has_app_context():         # (a request from a thread of the test has none around it)
            db.session.expire_all()   # the test's session then reads what the request committed
        return response


@pytest.fixture(scope="session", params=DATABASES)
def database_uri(request, tmp_path_factory):
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path_factory.mktemp('db')}/test.sqlite"
    else:
        uri = database_url(PG_URL, "")
    return uri


def _savepoint_engine(engine):
    """The engine the rolled-back tests run on. pysqlite begins transactions on its own and knows nothing
    of SAVEPOINT, so for SQLite a second engine lets SQLAlchemy do both (its documented recipe); the
    app's own engine keeps pysqlite's behaviour for the tests that commit."""
    if engine.dialect.name != "sqlite":
        return engine
    engine = create_engine(engine.url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")
    return engine


@pytest.fixture(scope="session")
def shared_app(database_uri, tmp_path_factory):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "tests", "TESTING": True, "JOBS": "inline",
                      "RATE_LIMIT_FILE": str(tmp_path_factory.mktemp("limits") / "ratelimits.sqlite"),
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": FAST_HASH,
                      # the API's rate limits off (tests/web/test_api_limits.py switches them on)
                      "API_RATE_LIMIT": "", "API_ANONYMOUS_RATE_LIMIT": "", "WORK_RATE_LIMIT": ""})
    app.test_client_class = Client
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        _seed_parameters()
        db.session.remove()
        app.extensions["savepoint_engine"] = _savepoint_engine(db.engine)
    yield app
    with app.app_context():
        app.extensions["savepoint_engine"].dispose()
        db.engine.dispose()


@pytest.fixture
def app(shared_app, request):
    config = dict(shared_app.config)
    # a rolled-back test gives the next one the same ids, and a test may rewrite a stored result in place (as no
    # saved revision ever is): each test starts without the results and page tables the process kept
    service._RESULTS.clear()
    budget_views._FIGURES.clear()
    with shared_app.app_context():
        if request.node.get_closest_marker("commits"):
            yield shared_app
            db.session.remove()
            _empty_tables()
        else:
            engine = db.engine
            connection = shared_app.extensions["savepoint_engine"].connect()
            outer = connection.begin()
            db.engines[None] = connection        # every session of this app now joins the test's transaction
            db.session.session_factory.configure(join_transaction_mode="create_savepoint")
            try:
                yield shared_app
            finally:
                db.session.remove()
                db.session.session_factory.configure(join_transaction_mode="conditional_savepoint")
                db.engines[None] = engine
                outer.rollback()
                connection.close()
        db.session.remove()
    shared_app.config.clear()
    shared_app.config.update(config)


@pytest.fixture
def client(app):
    return app.test_client()
