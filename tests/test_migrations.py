"""Migrations upgrade and downgrade cleanly on SQLite and, when configured, PostgreSQL."""
import json
import os
from datetime import date
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from costing import ROOT, create_app, database_url
from costing.models import db

MIGRATIONS = str(ROOT / "migrations")
TABLES = {"organisation", "user_account", "budget", "revision", "budget_share", "audit_entry"}



def _database(kind: str, tmp_path) -> str:
    """An empty database of that kind (PostgreSQL: a fresh schema of the test database)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/migrations.sqlite"
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
    return uri


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_downgrade_upgrade(tmp_path, kind):
    uri = _database(kind, tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert TABLES <= set(inspect(db.engine).get_table_names())
        downgrade(directory=MIGRATIONS, revision="base")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade(directory=MIGRATIONS)
        assert TABLES <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_models_and_the_migrations_agree(tmp_path, kind):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database(kind, tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_a_return_recorded_in_the_audit_log_becomes_the_revisions_columns(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database("sqlite", tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="afc4103074b5")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, '甲', 'purchaser', "
                              "'2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO user_account (id, username, display_name, password_hash, organisation_id, "
                              "role, is_admin, active, failed_logins, created_at) VALUES "
                              "(1, 'a', '甲', 'x', 1, 'approver', 0, 1, 0, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO budget (id, organisation_id, name, district, start, \"end\", status, grand_total, "
                              "error_count, revision_count, created_by_id, created_at, updated_at) VALUES "
                              "(7, 1, 'B', '渝中区', '2026-01', '2026-12', 'draft', 0, 0, 2, 1, '2026-01-01 00:00:00', "
                              "'2026-01-01 00:00:00')"))
            for number, submitted in ((1, "2026-02-01 00:00:00"), (2, "2026-03-01 00:00:00")):
                conn.execute(text("INSERT INTO revision (budget_id, number, author_id, created_at, note, input_json, "
                                  "result_json, parameter_set, grand_total, personnel_total, error_count, status, "
                                  "submitted_by_id, submitted_at) VALUES (7, :n, 1, '2026-01-01 00:00:00', '', '{}', "
                                  "'{}', 'x', 0, 0, 0, 'draft', 1, :s)"), {"n": number, "s": submitted})
            conn.execute(text("INSERT INTO audit_entry (at, user_id, organisation_id, action, target, detail) VALUES "
                              "('2026-03-02 00:00:00', 1, 1, 'return', 'budget:7', '人数不对')"))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT number, returned_by_id, return_reason FROM revision ORDER BY number")).all()
        db.engine.dispose()
    # the return came after revision 2 was submitted: it is revision 2 that was sent back
    assert [tuple(r) for r in rows] == [(1, None, None), (2, 1, "人数不对")]


def test_the_unnamed_districts_allowance_figures_are_retired(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database("sqlite", tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="e92c7a4d15b3")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO param_document (name) VALUES ('allowance.yaml')"))
            conn.execute(text("INSERT INTO param_source (id, document, key, title) VALUES (1, 'allowance.yaml', 's', "
                              "'重庆某区社区专职工作者报酬政策')"))
            conn.execute(text("INSERT INTO param_family (key, document, position, label, unit, kind, regions) VALUES "
                              "('allowance.certificate_monthly', 'allowance.yaml', 0, '职业津贴（按证书，每人每月）', "
                              "'CNY/month', 'amount', '[\"social_worker\"]')"))
            conn.execute(text("INSERT INTO param_state (id, generation, version) VALUES (1, 4, 'abc')"))
            conn.execute(text("INSERT INTO param_value (family_key, region, value, source_id, confidence, status, origin, "
                              "created_at, review_note) VALUES ('allowance.certificate_monthly', 'social_worker', '300', 1, "
                              "'uncertain', 'confirmed', 'shipped', '2026-01-01 00:00:00', '')"))
            conn.execute(text("INSERT INTO param_value (family_key, region, value, source_id, confidence, status, origin, "
                              "created_at, review_note) VALUES ('allowance.certificate_monthly', 'senior_social_worker', "
                              "'600', 1, 'uncertain', 'pending', 'admin', '2026-01-01 00:00:00', '')"))
        upgrade(directory=MIGRATIONS, revision="f3b8d1c6a290")      # (later migrations bump the state again)
        with db.engine.connect() as conn:
            value, pending = conn.execute(text("SELECT status, review_note FROM param_value ORDER BY id")).all()
            family = conn.execute(text("SELECT label, by_district, categories FROM param_family")).one()
            state = conn.execute(text("SELECT generation, version FROM param_state")).one()
        db.engine.dispose()
    assert value.status == "retired" and "不能归属于任何区县" in value.review_note
    # one waiting for review is withdrawn, not confirmed on the way (nor by a downgrade)
    assert pending.status == "withdrawn"
    assert (family.label, bool(family.by_district), family.categories) == ("职业津贴（按区县与证书，每人每月）", True,
                                                                          '["community"]')
    # every process reloads the parameters
    assert tuple(state) == (5, "")


def test_a_roster_becomes_its_own_first_version_and_a_downgrade_puts_it_back(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database("sqlite", tmp_path), "SECRET_KEY": "x"})
    result = '{"totals": {"roster_cost": "1234.50"}, "findings": [{"severity": "warning"}]}'
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="f3b8d1c6a290")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, '甲', 'contractor', "
                              "'2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO user_account (id, username, display_name, password_hash, organisation_id, "
                              "role, is_admin, active, failed_logins, created_at) VALUES "
                              "(1, 'a', '甲', 'x', 1, 'preparer', 0, 1, 0, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO budget (id, organisation_id, name, district, start, \"end\", status, grand_total, "
                              "error_count, revision_count, created_by_id, created_at, updated_at) VALUES "
                              "(7, 1, 'B', '渝中区', '2026-01', '2026-12', 'draft', 0, 0, 2, 1, '2026-01-01 00:00:00', "
                              "'2026-01-01 00:00:00')"))
            for rid, shared in ((1, "2026-02-01 00:00:00"), (2, None)):
                conn.execute(text("INSERT INTO roster (id, organisation_id, budget_id, name, roster_json, result_json, "
                                  "budget_revision, people, failing, version, created_by_id, created_at, updated_at, "
                                  "shared_by_id, shared_at) VALUES (:id, 1, 7, 'R', '[]', :result, 2, 3, 1, 4, 1, "
                                  "'2026-01-01 00:00:00', '2026-01-05 00:00:00', :by, :at)"),
                             {"id": rid, "result": result, "by": 1 if shared else None, "at": shared})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            rosters = conn.execute(text("SELECT id, version, shared_number FROM roster ORDER BY id")).all()
            versions = conn.execute(text("SELECT roster_id, number, budget_revision, people, failing, verdict, "
                                         "roster_cost, shared_at IS NOT NULL FROM roster_version ORDER BY roster_id")).all()
        downgrade(directory=MIGRATIONS, revision="f3b8d1c6a290")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT id, people, budget_revision, shared_at IS NOT NULL FROM roster "
                                     "ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rosters] == [(1, 1, 1), (2, 1, None)]
    assert [tuple(v)[:6] for v in versions] == [(1, 1, 2, 3, 1, "attention"), (2, 1, 2, 3, 1, "attention")]
    assert [Decimal(str(v[6])) for v in versions] == [Decimal("1234.50")] * 2 and [bool(v[7]) for v in versions] == [True, False]
    assert [(r[0], r[1], r[2], bool(r[3])) for r in back] == [(1, 3, 2, True), (2, 3, 2, False)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_approved_revision_a_contractor_could_read_becomes_a_share_of_its_own(tmp_path, kind):
    """Before sharing was per revision, a contractor also read every approved revision newer than the one shared
    with it: each becomes a share, so nothing it could read (and may have signed) disappears."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database(kind, tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="eb74dea496ee")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, '甲', 'purchaser', "
                              "'2026-01-01 00:00:00'), (2, '乙', 'contractor', '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO user_account (id, username, display_name, password_hash, organisation_id, "
                              "role, is_admin, active, session_version, must_change_password, created_at) VALUES "
                              "(1, 'a', '甲', 'x', 1, 'approver', false, true, 1, false, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO budget (id, organisation_id, name, district, start, \"end\", status, grand_total, "
                              "error_count, revision_count, created_by_id, created_at, updated_at) VALUES "
                              "(7, 1, 'B', '渝中区', '2026-01', '2026-12', 'draft', 0, 0, 3, 1, '2026-01-01 00:00:00', "
                              "'2026-01-01 00:00:00')"))
            for number, approved in ((1, None), (2, "2026-03-01 00:00:00"), (3, None)):
                conn.execute(text("INSERT INTO revision (budget_id, number, author_id, created_at, note, input_json, "
                                  "result_json, parameter_set, grand_total, personnel_total, error_count, status, "
                                  "approved_by_id, approved_at) VALUES (7, :n, 1, '2026-01-01 00:00:00', '', '{}', '{}', "
                                  "'x', 0, 0, 0, :s, :by, :at)"),
                             {"n": number, "s": "approved" if approved else "draft", "by": 1 if approved else None,
                              "at": approved})
            conn.execute(text("INSERT INTO budget_share (budget_id, contractor_id, shared_by_id, shared_at, "
                              "revision_number) VALUES (7, 2, 1, '2026-02-01 00:00:00', 1)"))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            shares = conn.execute(text("SELECT contractor_id, revision_number FROM budget_share ORDER BY 2")).all()
        downgrade(directory=MIGRATIONS, revision="eb74dea496ee")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT contractor_id, revision_number FROM budget_share")).all()
        db.engine.dispose()
    assert [tuple(s) for s in shares] == [(2, 1), (2, 2)]          # not the draft, revision 3
    assert [tuple(s) for s in back] == [(2, 2)]                     # one share again: the newest


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_sources_remarks_and_mirror_addresses_become_the_administrators_note(tmp_path, kind):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database(kind, tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="eb74dea496ee")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO param_document (name) VALUES ('tax.yaml')"))
            conn.execute(text("INSERT INTO param_state (id, generation, version) VALUES (1, 7, 'abc')"))
            rows = [(1, "vat-2023-19", "公告", "http://cycms.chengan.gov.cn/x.jsp?id=1", "县政府网站转载"),
                    (2, "cq-work-injury", "重庆单位工伤保险缴费比例", "https://chongqing.tianqi.com/news/x.html",
                     "重庆说明页面"),
                    (3, "admin-3", "关于做好2026年度社会保险缴费基数上下限核定有关工作的通知",
                     "https://rlsbj.cq.gov.cn/x.html", "管理员录入"),
                    (4, "edu-fee", "征收教育费附加的暂行规定", None, None)]
            for row in rows:
                conn.execute(text("INSERT INTO param_source (id, document, key, title, url, via) VALUES "
                                  "(:id, 'tax.yaml', :key, :title, :url, :via)"),
                             dict(zip(("id", "key", "title", "url", "via"), row)))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            upgraded = conn.execute(text("SELECT key, url, note, effective, verified_by, verified_on FROM param_source "
                                         "ORDER BY id")).all()
            state = conn.execute(text("SELECT generation, version FROM param_state")).one()
            conn.execute(text("UPDATE param_source SET title = NULL, doc_no = '渝税〔2026〕1号' WHERE id = 4"))
            conn.commit()
        downgrade(directory=MIGRATIONS, revision="eb74dea496ee")
        with db.engine.connect() as conn:
            downgraded = conn.execute(text("SELECT key, title, url, via FROM param_source ORDER BY id")).all()
        db.engine.dispose()
    assert [tuple(r) for r in upgraded] == [
        # a government site's address stays; the remark is the note
        ("vat-2023-19", "http://cycms.chengan.gov.cn/x.jsp?id=1", "县政府网站转载", None, None, None),
        # a weather-news page is no document's address: it moves into the note, with the remark
        ("cq-work-injury", None, "重庆说明页面；所见文本：https://chongqing.tianqi.com/news/x.html", None, None, None),
        # "管理员录入" only said who entered it: the key says that
        ("admin-3", "https://rlsbj.cq.gov.cn/x.html", None, None, None, None),
        ("edu-fee", None, None, None, None, None)]
    assert tuple(state) == (8, "")                  # every process reloads the parameters
    assert [tuple(r) for r in downgraded] == [
        ("vat-2023-19", "公告", "http://cycms.chengan.gov.cn/x.jsp?id=1", "县政府网站转载"),
        ("cq-work-injury", "重庆单位工伤保险缴费比例", None, "重庆说明页面；所见文本：https://chongqing.tianqi.com/news/x.html"),
        ("admin-3", "关于做好2026年度社会保险缴费基数上下限核定有关工作的通知", "https://rlsbj.cq.gov.cn/x.html", "管理员录入"),
        # a source without a title gets one again (the column is required before)
        ("edu-fee", "渝税〔2026〕1号", None, None)]


def _accounts_upgraded_by_3a9d6c2b8e51(users: tuple[tuple[int, str], ...]) -> tuple[list[tuple], list[tuple]]:
    """User accounts (id, name) as they were before user names were matched in any case, upgraded to the newest
    schema: the accounts (id, name) and what the audit log says (target, detail)."""
    upgrade(directory=MIGRATIONS, revision="c2e8a4f71d90")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, '江北区民政局', 'purchaser', "
                          "'2026-01-01 00:00:00')"))
        for uid, name in users:
            conn.execute(text("INSERT INTO user_account (id, username, display_name, password_hash, "
                              "organisation_id, role, is_admin, active, session_version, must_change_password, "
                              "created_at) VALUES (:id, :name, '某', 'x', 1, 'preparer', false, true, 1, false, "
                              "'2026-01-01 00:00:00')"), {"id": uid, "name": name})
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as conn:
        names = [tuple(r) for r in conn.execute(text("SELECT id, username FROM user_account ORDER BY id"))]
        said = [tuple(r) for r in conn.execute(text("SELECT target, detail FROM audit_entry ORDER BY target"))]
    return names, said


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_user_names_become_lower_case_and_a_twin_in_other_letters_is_renamed_and_said(tmp_path, kind):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database(kind, tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        names, said = _accounts_upgraded_by_3a9d6c2b8e51(
            ((1, "Jiangbei.Bianzhi"), (2, "jiangbei.bianzhi"), (3, "Other")))
        with db.engine.connect() as conn:
            active = conn.execute(text("SELECT active, district FROM organisation")).one()
        downgrade(directory=MIGRATIONS, revision="c2e8a4f71d90")
        db.engine.dispose()
    assert names == [(1, "jiangbei.bianzhi"), (2, "jiangbei.bianzhi~2"), (3, "other")]
    assert said == [("user:2", "用户名 jiangbei.bianzhi 与另一账号只有大小写不同，升级时改为 jiangbei.bianzhi~2")]
    assert (bool(active[0]), active[1]) == (True, None)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_twin_with_a_name_near_the_limit_is_renamed_within_it_keeping_its_number(tmp_path, kind):
    long = "Jiangbei." + "Shequ" * 14                # 79 characters; user_account.username holds 80
    assert len(long) == 79
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database(kind, tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        names, said = _accounts_upgraded_by_3a9d6c2b8e51(((1, long), (100, long.lower()), (101, long.upper())))
        db.engine.dispose()
    # 79 + "~100" would be 83 characters (PostgreSQL refused the upgrade): the name gives up its last three letters,
    # the number stays whole
    cut = "jiangbei." + "shequ" * 13 + "sh"
    assert len(cut) == 76
    assert names == [(1, long.lower()), (100, f"{cut}~100"), (101, f"{cut}~101")]
    assert said == [("user:100", f"用户名 {long.lower()} 与另一账号只有大小写不同，升级时改为 {cut}~100"),
                    ("user:101", f"用户名 {long.upper()} 与另一账号只有大小写不同，升级时改为 {cut}~101")]

def test_the_figures_of_every_stored_revision_are_kept_beside_it(tmp_path):
    """Migration 531b5d273053 reads each stored result once for the figures it was priced with: exactly what a
    revision saved today records (budgets.corrections.figures_of), the budget's own figures left out."""
    import json  # noqa: PLC0415  (this test alone)

    from costing.budgets.corrections import figures_of  # noqa: PLC0415
    from costing.engine.budget import compute  # noqa: PLC0415
    from costing.engine.parameters import default_parameters  # noqa: PLC0415
    from costing.engine.parse import parse_budget  # noqa: PLC0415
    from costing.engine.result import to_json  # noqa: PLC0415

    data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    data["contractor"] |= {"work_injury_rate": "0.004", "work_injury_rate_reason": "工伤保险费率核定通知书"}
    result = to_json(compute(parse_budget(data, default_parameters()), default_parameters()))
    expected = {(f.family, f.region, f.start, f.value) for f in figures_of(result)}
    assert ("si.employer.work_injury", "cq", None, "0.004") not in expected      # the budget's own figure
    assert ("min_wage.monthly", "tier1", date(2025, 1, 1), "2330") in expected
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database("sqlite", tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="06a89ddef02d")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, '甲', 'purchaser', "
                              "'2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO user_account (id, username, display_name, password_hash, organisation_id, "
                              "role, is_admin, active, session_version, must_change_password, created_at) VALUES "
                              "(1, 'a', '甲', 'x', 1, 'preparer', 0, 1, 1, 0, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO budget (id, organisation_id, name, district, start, \"end\", status, grand_total, "
                              "error_count, revision_count, created_by_id, created_at, updated_at) VALUES "
                              "(7, 1, 'B', '渝北区', '2025-07', '2026-06', 'draft', 0, 0, 2, 1, '2026-01-01 00:00:00', "
                              "'2026-01-01 00:00:00')"))
            for number, stored in ((1, json.dumps(result, ensure_ascii=False)), (2, '{"parameters": []}')):
                conn.execute(text("INSERT INTO revision (budget_id, number, author_id, created_at, note, input_json, "
                                  "result_json, parameter_set, grand_total, personnel_total, error_count, status) "
                                  "VALUES (7, :n, 1, '2026-01-01 00:00:00', '', '{}', :r, 'x', 0, 0, 0, 'draft')"),
                             {"n": number, "r": stored})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT revision_id, family, region, start, value FROM revision_figure")).all()
        db.engine.dispose()
    assert {r.revision_id for r in rows} == {1} and len(rows) == len(expected)
    assert {(r.family, r.region, date.fromisoformat(r.start) if r.start else None, r.value) for r in rows} == expected


# the meta_key the code before 06a89ddef02d gave each file (the SHA-256 of its AnnexMeta's repr, worked out with
# that release's AnnexMeta): budget 7's printed YB-1, its purchaser, its one contractor and the verify address;
# budget 8's printed no 乙方, as it was then shared with two contractors (one withdrawn since)
PRINTED_7 = "41faa0ec9d48fbca4f125b5d20e827fdc1a214eaf6f5f18d561cb9be3410f653"
PRINTED_8 = "f46bd32996caf892077fa7003d645cba4b204a1696b094c9f6741ed9fdda7c3b"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_annex_issued_before_its_contract_details_were_stored_is_given_those_it_printed(tmp_path, kind):
    """06a89ddef02d left the files it counted as issued without what they printed (meta_json): saving the contract
    details unchanged then issued a 第 2 版, and the verify page took a later issue for the first. Each is given the
    contract details it printed: those of the last contract save before it (budget 7, saved again since), the
    budget's own (budget 8), its meta_key settling what a share withdrawn since leaves open; where no reading gives
its meta_key (budget 9: the approver renamed since), the budget's own details and its one contractor then."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database(kind, tmp_path), "SECRET_KEY": "x",
                      "PUBLIC_URL": "https://costing.example.gov.cn"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="3a9d6c2b8e51")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (id, name, kind, created_at) VALUES "
                              "(1, '渝北区民政局', 'purchaser', '2026-01-01 00:00:00'), "
                              "(2, '和光社工中心', 'contractor', '2026-01-01 00:00:00'), "
                              "(3, '另一家社工机构', 'contractor', '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO user_account (id, username, display_name, password_hash, organisation_id, "
                              "role, is_admin, active, session_version, must_change_password, created_at) VALUES "
                              "(1, 'a', 'A 审核', 'x', 1, 'approver', false, true, 1, false, '2026-01-01 00:00:00')"))
            for budget_id, contract_no in ((7, "YB-2"), (8, None), (9, "YB-9")):
                conn.execute(text("INSERT INTO budget (id, organisation_id, name, district, start, \"end\", status, "
                                  "grand_total, error_count, revision_count, created_by_id, created_at, updated_at, "
                                  "contract_no) VALUES (:b, 1, 'B', '渝北区', '2026-01', '2026-12', 'approved', 0, 0, "
                                  "1, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', :no)"),
                             {"b": budget_id, "no": contract_no})
                conn.execute(text("INSERT INTO revision (id, budget_id, number, author_id, created_at, note, "
                                  "input_json, result_json, parameter_set, grand_total, personnel_total, error_count, "
                                  "status, approved_by_id, approved_at, verify_code) VALUES (:b, :b, 1, 1, "
                                  "'2026-01-01 00:00:00', '', '{}', '{}', 'x', 0, 0, 0, 'approved', 1, "
                                  "'2026-02-15 02:00:00', :code)"), {"b": budget_id, "code": f"CODE{budget_id}"})
            # (budget 8 was also shared with 另一家社工机构 when its file was made: that share is withdrawn since)
            conn.execute(text("INSERT INTO budget_share (budget_id, contractor_id, shared_by_id, shared_at, "
                              "revision_number) VALUES (7, 2, 1, '2026-01-10 00:00:00', 1), "
                              "(8, 2, 1, '2026-01-10 00:00:00', 1), (9, 2, 1, '2026-01-10 00:00:00', 1), "
                              "(9, 3, 1, '2026-05-01 00:00:00', 1)"))
            conn.execute(text("INSERT INTO audit_entry (at, user_id, organisation_id, action, target, detail) VALUES "
                              "('2026-02-01 00:00:00', 1, 1, 'contract', 'budget:7', "
                              "'合同编号 YB-1；甲方 （默认）；乙方 （默认）')"))
            for budget_id, key in ((7, PRINTED_7), (8, PRINTED_8), (9, "0" * 64)):
                conn.execute(text("INSERT INTO annex_file (revision_id, kind, content, created_at, meta_key, status, "
                                  "attempts, updated_at) VALUES (:b, 'pdf', :pdf, '2026-03-01 00:00:00', :key, "
                                  "'done', 0, '2026-03-01 00:00:00')"), {"b": budget_id, "pdf": b"%PDF", "key": key})
        upgrade(directory=MIGRATIONS, revision="531b5d273053")
        with db.engine.begin() as conn:         # the release between: budget 7's contract saved again
            conn.execute(text("INSERT INTO audit_entry (at, user_id, organisation_id, action, target, detail) VALUES "
                              "('2026-04-01 00:00:00', 1, 1, 'contract', 'budget:7', "
                              "'合同编号 YB-2；甲方 （默认）；乙方 （默认）')"))
            conn.execute(text("INSERT INTO annex_file (revision_id, kind, issue, content, created_at, meta_key, "
                              "meta_json, status, attempts, updated_at, issued_at, note) VALUES (7, 'pdf', 2, :pdf, "
                              "'2026-04-01 00:00:00', 'k', '{\"code\": \"CODE7\", \"contract_no\": \"YB-2\"}', "
                              "'done', 0, '2026-04-01 00:00:00', '2026-04-01 00:00:00', '合同信息变更后重新出具')"),
                         {"pdf": b"%PDF"})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            printed = {(r.revision_id, r.issue): json.loads(r.meta_json) for r in conn.execute(text(
                "SELECT revision_id, issue, meta_json FROM annex_file"))}
        db.engine.dispose()
    first = printed[(7, 1)]
    assert (first["contract_no"], first["purchaser"], first["contractor"]) == ("YB-1", "渝北区民政局", "和光社工中心")
    assert first["verify_url"] == "https://costing.example.gov.cn/verify/CODE7"       # the meta_key confirms it all
    assert (first["issue"], first["status"], first["approved_by"], first["approved_at"]) == (1, "approved", "A 审核",
                                                                                             "2026-02-15")
    assert printed[(7, 2)]["contract_no"] == "YB-2"                 # a later issue is left as it was
    other = printed[(8, 1)]
    assert (other["contract_no"], other["purchaser"], other["contractor"], other["issue"]) == (None, "渝北区民政局",
                                                                                              None, 1)
    assert (printed[(9, 1)]["contract_no"], printed[(9, 1)]["contractor"]) == ("YB-9", "和光社工中心")
