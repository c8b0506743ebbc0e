"""``flask costing backup FILE`` / ``restore FILE``: a complete logical backup that restores, row for row and
byte for byte, into an empty SQLite or PostgreSQL database; and the files and databases a restore refuses
(saying why, with a non-zero exit code and nothing written)."""
import gzip
import hashlib
import json
import os
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import JSON, Integer, func, inspect, null, select, text, update

from costing import ROOT, create_app, database_url
from costing.backup import head_revision
from costing.budgets import service
from costing.engine.parameters import load_documents
from costing.models import (
    AnnexFile,
    ParamFamily,
    ParamSourceCheck,
    ParamValue,
    Revision,
    RevisionCorrection,
    RevisionException,
    RosterVersion,
    User,
    db,
)
from costing.parameters.seed import seed
from costing.web import current_parameters

from .conftest import FAST_HASH, Client
from .web import world
from .web.test_exceptions import JUSTIFICATION, over_budget
from .web.test_rosters import person, roster_file, upload
from .web.world import log_in

MIGRATIONS = str(ROOT / "migrations")
PG_URL = os.environ.get("COSTING_TEST_DATABASE_URL")
PG_SCHEMA = "backup_test"


def make_app(uri: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "tests", "TESTING": True, "JOBS": "inline",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": FAST_HASH})
    app.test_client_class = Client
    return app


def postgresql_uri() -> str:
    """A fresh, empty schema of the test database."""
    base = database_url(PG_URL, "")
    setup = make_app(base)
    with setup.app_context():
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        db.engine.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SCHEMA}"


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["costing", *args])


def rows_of(app) -> dict[str, list[tuple]]:
    """Every row of every table, by primary key, as Python values (moments in UTC; a JSON column as whether it
    is an SQL NULL and its value)."""
    out = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                json_columns = [c for c in table.columns if isinstance(c.type, JSON)]
                query = select(*table.columns, *[c.is_(None) for c in json_columns]).order_by(*table.primary_key.columns)
                out[table.name] = [tuple(_utc(v) for v in row) for row in conn.execute(query)]
        db.engine.dispose()
    return out


def _utc(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value


def build_world(app) -> dict:
    """The test world, and what a bureau's database holds besides: an approved revision with a justified
    error and its stored annexes, a contractor's roster in two versions (one shared), a locked user, a
    corrected policy value that names a later row, JSON columns holding an SQL NULL and a JSON null."""
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        seed(db.session, load_documents())
        db.session.commit()
        w = world.build()
        preparer, error = over_budget(app, w)
        assert preparer.post(f"/budgets/{w.budget_a}/exceptions",
                             data={"revision": "2", f"exception-{error.key}": JUSTIFICATION}).status_code == 302
        preparer.post(f"/budgets/{w.budget_a}/submit", data={"revision": "2", "confirm": "y"})
        approver = log_in(app.test_client(), "a_appr")
        approver.post(f"/budgets/{w.budget_a}/approve", data={"revision": "2", "confirm": "y"})
        pdf = approver.get(f"/budgets/{w.budget_a}/annex.pdf")
        xlsx = approver.get(f"/budgets/{w.budget_a}/annex.xlsx")
        assert pdf.status_code == 200 and xlsx.status_code == 200
        contractor = log_in(app.test_client(), "c_user")
        imported = upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()]), "第一稿.xlsx")
        roster_id = int(imported.location.rstrip("/").split("/")[-1])
        assert contractor.post(f"/rosters/{roster_id}/share").status_code == 302
        again = upload(contractor, f"/rosters/{roster_id}/import",
                       roster_file([person(**{"月应发工资": "4876.55"}), person(**{"姓名或工号": "SG-002"})]), "第二稿.xlsx")
        assert again.status_code == 302

        # a correction of a figure the approved revision was priced with: the revisions it lists, and a decision
        floor = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.base_floor",
                                                           ParamValue.start == date(2025, 1, 1)))
        correction = {"region": "cq", "value": "4405", "start": "2025-01-01", "end": "2025-12-31",
                      "doc_no": "渝人社发〔2025〕1号", "title": "关于2025年度社会保险缴费基数的通知",
                      "issuer": "重庆市人力资源和社会保障局", "doc_date": "2025-06-01", "confidence": "verified_official",
                      "url": "https://rlsbj.cq.gov.cn/2025/1.html",
                      "note": "原文为 4405 元", "replaces": str(floor.id)}
        admin = log_in(app.test_client(), "admin")
        assert admin.post("/admin/parameters/family/si.base_floor", data=correction).status_code == 302
        pending = db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == floor.id))
        assert log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{pending.id}/confirm").status_code == 302
        assert log_in(app.test_client(), "b_prep").post(f"/budgets/{w.budget_b}/corrections/{_listed(w.budget_b)}/keep",
                                                        data={"revision": "1", "reason": "按签订时的基数执行"}).status_code == 302
        assert db.session.scalar(select(RevisionCorrection.reason).where(RevisionCorrection.id == _listed(w.budget_b)))

        db.session.execute(update(User).where(User.id == w.users["d_user"]).values(
            active=False, session_version=5,
            password_changed_at=datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)))
        first = db.session.scalar(select(ParamValue).order_by(ParamValue.id))
        extra = [ParamValue(family_key=first.family_key, region=first.region, start=first.start, end=first.end,
                            value=value, source_id=first.source_id, confidence=first.confidence, status="withdrawn",
                            origin="admin", created_by_id=w.users["admin"], note=note, review_note="")
                 for value, note in (("4300.5", "换行\n引号\"与 \\ 与 \u2028 与 😀"), ("4300.25", None))]
        db.session.add_all(extra)
        db.session.flush()
        extra[0].replaces_id = extra[1].id           # refers to a row restored after it
        # a source checked against the original, proposed and rejected (the param_source_check table)
        db.session.add(ParamSourceCheck(source_id=first.source_id, value_id=first.id, doc_no="渝人社发〔2018〕229号",
                                        verified_by="重庆市民政局", verified_on="2026-11-20", confidence="verified_mirror",
                                        note="对照纸质原件", status="rejected", origin="admin",
                                        created_by_id=w.users["admin"], reviewed_by_id=w.users["admin2"],
                                        review_note="原件日期不符"))
        families = db.session.scalars(select(ParamFamily).order_by(ParamFamily.key)).all()
        db.session.execute(update(ParamFamily).where(ParamFamily.key == families[0].key).values(categories=null()))
        db.session.execute(update(ParamFamily).where(ParamFamily.key == families[1].key).values(categories=JSON.NULL))
        db.session.commit()
        # a failed sign-in (the login_failure table)
        assert app.test_client().post("/login", data={"username": "d_user", "password": "wrong"}).status_code == 401

        assert db.session.scalar(select(func.count()).select_from(AnnexFile)) == 2
        assert db.session.scalar(select(func.count()).select_from(RosterVersion)) == 2
        assert db.session.scalar(select(func.count()).select_from(RevisionException)) == 1
        codes = sorted(db.session.scalars(select(Revision.verify_code)))
        stored = {kind: content for kind, content in db.session.execute(select(AnnexFile.kind, AnnexFile.content))}
        assert stored == {"pdf": pdf.data, "xlsx": xlsx.data}
        db.session.remove()
        db.engine.dispose()
    return {"world": w, "codes": codes, "annexes": stored}


def _listed(budget_id: int) -> int:
    """The id of the row that lists the budget's latest revision under a correction."""
    return db.session.scalar(select(RevisionCorrection.id).join(Revision).where(Revision.budget_id == budget_id))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A migrated SQLite database holding the world, its rows, and a backup of it made through the CLI."""
    folder = tmp_path_factory.mktemp("backup")
    app = make_app(f"sqlite:///{folder}/source.sqlite")
    built = build_world(app)
    done = cli(app, "backup", str(folder / "source.costing.gz"))
    assert done.exit_code == 0, done.output
    assert "已备份到" in done.output and f"数据库结构版本 {head_revision()}" in done.output
    return {"app": app, "file": folder / "source.costing.gz", "rows": rows_of(app), **built}


def test_the_backup_holds_every_table_with_its_row_count(source):
    with gzip.open(source["file"], "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        records = [json.loads(line) for line in lines]
    assert (header["format"], header["version"], header["schema"], header["database"]) == (
        "costing-backup", 1, head_revision(), "sqlite")
    assert datetime.fromisoformat(header["created_at"]).tzinfo is not None
    assert {t["name"]: t["rows"] for t in header["tables"]} == {name: len(rows) for name, rows in source["rows"].items()}
    assert all(rows for name, rows in source["rows"].items()), "the world should fill every table"
    assert records[-1]["end"] is True and records[-1]["rows"] == sum(t["rows"] for t in header["tables"])
    # amounts as decimal strings, moments in UTC, binary as base64
    budget = header["tables"][[t["name"] for t in header["tables"]].index("budget")]["columns"]
    row = records[records.index({"table": "budget"}) + 1]
    assert isinstance(row[budget.index("grand_total")], str) and Decimal(row[budget.index("grand_total")]) > 0
    assert row[budget.index("created_at")].endswith("+00:00")


def test_sqlite_to_sqlite_is_identical_and_serves_the_same_annex(source, tmp_path):
    target = make_app(f"sqlite:///{tmp_path}/restored.sqlite")
    done = cli(target, "restore", str(source["file"]))
    assert done.exit_code == 0, done.output
    assert "已把" in done.output and f"{sum(map(len, source['rows'].values()))} 行" in done.output
    assert_same(rows_of(target), source["rows"])
    w = source["world"]
    with target.app_context():
        assert sorted(db.session.scalars(select(Revision.verify_code))) == source["codes"]
        approver = log_in(target.test_client(), "a_appr")
        assert approver.get(f"/budgets/{w.budget_a}/annex.pdf").data == source["annexes"]["pdf"]
        code = db.session.scalar(select(Revision.verify_code).where(Revision.status == "approved"))
        assert target.test_client().get(f"/verify/{code}").status_code == 200
        db.engine.dispose()


@pytest.fixture
def postgres():
    """An app on a fresh, empty schema of the PostgreSQL test database."""
    if not PG_URL:
        pytest.skip("COSTING_TEST_DATABASE_URL is not set")
    app = make_app(postgresql_uri())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_sqlite_to_postgresql_to_sqlite(source, postgres, tmp_path):
    done = cli(postgres, "restore", str(source["file"]))
    assert done.exit_code == 0, done.output
    assert_same(rows_of(postgres), source["rows"])
    with postgres.app_context():
        stored = dict(db.session.execute(select(AnnexFile.kind, AnnexFile.content)).all())
        assert stored == source["annexes"]
        assert sorted(db.session.scalars(select(Revision.verify_code))) == source["codes"]
        # each id sequence continues after the restored ids
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                if [c.name for c in table.primary_key.columns] == ["id"] and isinstance(table.c.id.type, Integer):
                    last = conn.scalar(text(f"SELECT last_value FROM {table.name}_id_seq"))
                    assert last == conn.scalar(select(func.max(table.c.id))), table.name
        db.session.remove()

    # and back again, from PostgreSQL, into a SQLite database whose tables were made beforehand
    done = cli(postgres, "backup", str(tmp_path / "from-postgresql.gz"))
    assert done.exit_code == 0, done.output
    again = make_app(f"sqlite:///{tmp_path}/again.sqlite")
    with again.app_context():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    done = cli(again, "restore", str(tmp_path / "from-postgresql.gz"))
    assert done.exit_code == 0, done.output
    assert_same(rows_of(again), source["rows"])

    # the app works on it: the password hashes came along, the stored annex is served, and a budget created
    # after the restore gets a new id
    approver = log_in(postgres.test_client(), "a_appr")
    assert approver.get(f"/budgets/{source['world'].budget_a}/annex.xlsx").data == source["annexes"]["xlsx"]
    with postgres.app_context():
        user = db.session.get(User, source["world"].users["a_prep"])
        budget = service.create_budget(user, world.sample(name="恢复后新建"), current_parameters())
        db.session.commit()
        assert budget.id == max(row[0] for row in source["rows"]["budget"]) + 1
        assert budget.latest.id == max(row[0] for row in source["rows"]["revision"]) + 1


def assert_same(found: dict, expected: dict) -> None:
    assert list(found) == list(expected)
    for name in expected:
        assert found[name] == expected[name], name
        for row_found, row_expected in zip(found[name], expected[name]):    # and of the same types
            assert [type(v) for v in row_found] == [type(v) for v in row_expected], name


# -- refusals -------------------------------------------------------------------------------------------------

def lines_of(path) -> list[bytes]:
    with gzip.open(path, "rb") as handle:
        return handle.readlines()


def write(path, lines: list[bytes], fix_checksum: bool = True):
    if fix_checksum:
        body = lines[:-1]
        end = json.loads(lines[-1])
        end["sha256"] = hashlib.sha256(b"".join(body)).hexdigest()
        end["rows"] = sum(1 for line in body if line.startswith(b"["))
        lines = body + [json.dumps(end).encode() + b"\n"]
    with gzip.open(path, "wb") as handle:
        handle.writelines(lines)
    return path


def refused(source, path, tmp_path, *words):
    """A restore of ``path`` into a new SQLite file fails, says ``words`` and writes nothing."""
    target = make_app(f"sqlite:///{tmp_path}/target.sqlite")
    done = cli(target, "restore", str(path))
    assert done.exit_code == 1, done.output
    assert done.output.startswith("恢复失败："), done.output
    for word in words:
        assert word in done.output, done.output
    with target.app_context():
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()
    return done.output


def test_a_database_that_is_not_empty_is_refused(source):
    done = cli(source["app"], "restore", str(source["file"]))
    organisations = len(source["rows"]["organisation"])
    failures = len(source["rows"]["login_failure"])
    assert done.exit_code == 1 and (f"目标数据库不是空的：district_alias（5 行）、login_failure（{failures} 行）、"
                                    f"organisation（{organisations} 行）") in done.output
    assert rows_of(source["app"]) == source["rows"]


def test_a_backup_of_another_schema_revision_says_which_to_upgrade(source, tmp_path):
    lines = lines_of(source["file"])
    header = json.loads(lines[0])
    header["schema"] = "f3b8d1c6a290"                              # an earlier migration
    older = write(tmp_path / "older.gz", [json.dumps(header).encode() + b"\n", *lines[1:]])
    refused(source, older, tmp_path, "f3b8d1c6a290", "较早的软件版本", head_revision(), "flask --app wsgi db upgrade")
    header["schema"] = "0123456789ab"                              # one this code does not know
    newer = write(tmp_path / "newer.gz", [json.dumps(header).encode() + b"\n", *lines[1:]])
    refused(source, newer, tmp_path, "0123456789ab", "请先把本软件升级")


def test_files_that_are_not_backups_are_refused(source, tmp_path):
    (tmp_path / "notes.txt").write_text("不是备份")
    refused(source, tmp_path / "notes.txt", tmp_path, "不是 costing 的备份文件")
    other = write(tmp_path / "other.gz", [b'{"hello": "world"}\n'], fix_checksum=False)
    refused(source, other, tmp_path, "不是 costing 的备份文件")
    refused(source, tmp_path / "missing.gz", tmp_path, "找不到备份文件")


def test_corrupted_backups_are_refused(source, tmp_path):
    data = source["file"].read_bytes()
    (tmp_path / "truncated.gz").write_bytes(data[: len(data) // 2])
    refused(source, tmp_path / "truncated.gz", tmp_path, "已损坏或不完整")

    lines = lines_of(source["file"])
    budget_row = lines.index(b'{"table":"budget"}\n') + 1
    row = json.loads(lines[budget_row])
    row[2] = "改过的名称"
    changed = lines[:budget_row] + [json.dumps(row, ensure_ascii=False).encode() + b"\n"] + lines[budget_row + 1:]
    refused(source, write(tmp_path / "changed.gz", changed, fix_checksum=False), tmp_path, "校验和")

    dropped = lines[:budget_row] + lines[budget_row + 1:]
    refused(source, write(tmp_path / "dropped.gz", dropped), tmp_path, "表 budget 有 1 行，文件头记的是 2 行")

    row = json.loads(lines[budget_row])
    row[7] = "3 万元"                                                  # grand_total
    bad_value = lines[:budget_row] + [json.dumps(row, ensure_ascii=False).encode() + b"\n"] + lines[budget_row + 1:]
    refused(source, write(tmp_path / "bad-value.gz", bad_value), tmp_path, "budget", "grand_total", "不是数")

    refused(source, write(tmp_path / "no-end.gz", lines[:-1], fix_checksum=False), tmp_path, "没有结束标记")


def test_backup_refuses_to_overwrite_a_file_or_to_guess_a_schema(source, tmp_path):
    done = cli(source["app"], "backup", str(source["file"]))
    assert done.exit_code == 1 and "已存在" in done.output and "--force" in done.output
    empty = make_app(f"sqlite:///{tmp_path}/empty.sqlite")
    done = cli(empty, "backup", str(tmp_path / "empty.gz"))
    assert done.exit_code == 1 and "alembic_version" in done.output
    assert not (tmp_path / "empty.gz").exists() and not (tmp_path / "empty.gz.part").exists()

