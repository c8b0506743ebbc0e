"""Migrations upgrade and downgrade cleanly on SQLite and, when configured, PostgreSQL."""
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from costing import ROOT, create_app, database_url
from costing.models import db

MIGRATIONS = str(ROOT / "migrations")
TABLES = {"organisation", "user_account", "budget", "revision", "budget_share", "audit_entry"}



@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_downgrade_upgrade(tmp_path, kind):
    if kind == "sqlite":
        uri = f"sqlite:///{tmp_path}/migrations.sqlite"
    else:
        if not os.environ.get("COSTING_TEST_DATABASE_URL"):
            pytest.skip("COSTING_TEST_DATABASE_URL is not set")
        base = database_url(os.environ["COSTING_TEST_DATABASE_URL"], "")
        setup = create_app({"SQLALCHEMY_DATABASE_URI": base, "SECRET_KEY": "x"})
        with setup.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
                conn.execute(text("CREATE SCHEMA migration_test"))
            db.engine.dispose()
        joiner = "&" if "?" in base else "?"
        uri = f"{base}{joiner}options=-csearch_path%3Dmigration_test"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert TABLES <= set(inspect(db.engine).get_table_names())
        downgrade(directory=MIGRATIONS, revision="base")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade(directory=MIGRATIONS)
        assert TABLES <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
