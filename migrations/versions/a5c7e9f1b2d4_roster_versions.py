"""rosters keep numbered versions: sharing shows the purchaser one version, later saves are drafts

Revision ID: a5c7e9f1b2d4
Revises: f3b8d1c6a290
Create Date: 2026-11-29 22:00:00

Each existing roster becomes version 1 of itself (shared if it was shared); the per-roster copies of its
rows and report move to roster_version. The downgrade puts the latest version back on the roster.
"""
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = 'a5c7e9f1b2d4'
down_revision = 'f3b8d1c6a290'
branch_labels = None
depends_on = None

MOVED = ("roster_json", "result_json", "budget_revision", "people", "failing", "shared_by_id", "shared_at")


def _verdict(result: dict) -> str:
    severities = {f.get("severity") for f in result.get("findings", [])}
    return "fail" if "error" in severities else "attention" if "warning" in severities else "ok"


def upgrade():
    op.create_table(
        'roster_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('roster_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('roster_json', sa.Text(), nullable=False),
        sa.Column('rows_json', sa.Text(), nullable=True),
        sa.Column('result_json', sa.Text(), nullable=False),
        sa.Column('budget_revision', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('failing', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.String(length=20), nullable=False),
        sa.Column('roster_cost', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shared_by_id', sa.Integer(), nullable=True),
        sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['roster_id'], ['roster.id'], name=op.f('fk_roster_version_roster_id_roster')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_roster_version_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['shared_by_id'], ['user_account.id'],
                                name=op.f('fk_roster_version_shared_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_version')),
        sa.UniqueConstraint('roster_id', 'number', name=op.f('uq_roster_version_roster_id')),
    )
    with op.batch_alter_table('roster_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_version_roster_id'), ['roster_id'], unique=False)
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_number', sa.Integer(), nullable=True))

    bind = op.get_bind()
    version = sa.table('roster_version', *(sa.column(c) for c in (
        'roster_id', 'number', 'name', 'source', 'roster_json', 'rows_json', 'result_json', 'budget_revision', 'people',
        'failing', 'verdict', 'created_by_id', 'created_at', 'shared_by_id', 'shared_at')),
        sa.column('roster_cost', sa.Numeric(14, 2)))
    rows = bind.execute(sa.text(
        "SELECT id, name, roster_json, result_json, budget_revision, people, failing, created_by_id, updated_at, "
        "shared_by_id, shared_at FROM roster")).mappings().all()
    for r in rows:
        result = json.loads(r["result_json"])
        bind.execute(version.insert().values(
            roster_id=r["id"], number=1, name=r["name"], source="升级前保存", roster_json=r["roster_json"], rows_json=None,
            result_json=r["result_json"], budget_revision=r["budget_revision"], people=r["people"],
            failing=r["failing"], verdict=_verdict(result),
            roster_cost=Decimal(result.get("totals", {}).get("roster_cost", "0")), created_by_id=r["created_by_id"],
            created_at=r["updated_at"], shared_by_id=r["shared_by_id"], shared_at=r["shared_at"]))
    bind.execute(sa.text("UPDATE roster SET version = 1, shared_number = CASE WHEN shared_at IS NULL THEN NULL ELSE 1 END"))
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.drop_constraint('fk_roster_shared_by_id_user_account', type_='foreignkey')
        for column in MOVED:
            batch_op.drop_column(column)


def downgrade():
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roster_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('result_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('budget_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('people', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('failing', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shared_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True))
    # the latest version back on its roster; shared only if the purchaser was shown that version
    for column in ("roster_json", "result_json", "budget_revision", "people", "failing"):
        op.execute(f"UPDATE roster SET {column} = (SELECT v.{column} FROM roster_version v "
                   f"WHERE v.roster_id = roster.id AND v.number = roster.version)")
    for column in ("shared_by_id", "shared_at"):
        op.execute(f"UPDATE roster SET {column} = (SELECT v.{column} FROM roster_version v "
                   f"WHERE v.roster_id = roster.id AND v.number = roster.version AND roster.shared_number = v.number)")
    with op.batch_alter_table('roster', schema=None) as batch_op:
        for column, kind in (("roster_json", sa.Text()), ("result_json", sa.Text()), ("budget_revision", sa.Integer()),
                             ("people", sa.Integer()), ("failing", sa.Integer())):
            batch_op.alter_column(column, existing_type=kind, nullable=False)
        batch_op.create_foreign_key('fk_roster_shared_by_id_user_account', 'user_account', ['shared_by_id'], ['id'])
        batch_op.drop_column('shared_number')
    with op.batch_alter_table('roster_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_version_roster_id'))
    op.drop_table('roster_version')
