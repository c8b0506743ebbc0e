"""a revision keeps the policy figures it was priced with (revision_figure), and the revisions priced with a figure
later corrected are listed with the difference and the decision taken (revision_correction)

Revision ID: 531b5d273053
Revises: 4b7e2d9c1a58
Create Date: 2026-12-09 09:00:00

Every revision saved before gets its figures from its stored result, read once here, a batch at a time. The
corrections confirmed before this release list the revisions they affect when ``flask --app wsgi costing
corrections`` runs (the upgrade's seed step), or when such a revision's page is next opened.
"""
import json
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '531b5d273053'
down_revision = '4b7e2d9c1a58'
branch_labels = None
depends_on = None

BATCH = 200


def _figures(result_json: str) -> list[tuple]:
    """(family, region, start, value) of each policy figure a stored result cites (not the budget's own), once."""
    found = []
    for p in json.loads(result_json).get("parameters") or ():
        if p.get("confidence") == "input" or p.get("origin") == "input":
            continue
        start = date.fromisoformat(p["start"]) if p.get("start") else None
        key = (p["name"], p["region"], start, format(Decimal(str(p["value"])).normalize(), "f"))
        if key not in found:
            found.append(key)
    return found


def upgrade():
    op.create_table(
        'revision_figure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('family', sa.String(length=80), nullable=False),
        sa.Column('region', sa.String(length=40), nullable=False),
        sa.Column('start', sa.Date(), nullable=True),
        sa.Column('value', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_revision_figure_revision_id_revision'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_figure')),
    )
    with op.batch_alter_table('revision_figure', schema=None) as batch_op:
        batch_op.create_index('ix_revision_figure_figure', ['family', 'region', 'start'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_figure_revision_id'), ['revision_id'], unique=False)
    op.create_table(
        'revision_correction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('correction_id', sa.Integer(), nullable=False),
        sa.Column('wrong_start', sa.Date(), nullable=True),
        sa.Column('wrong_value', sa.String(length=40), nullable=False),
        sa.Column('status_then', sa.String(length=20), nullable=False),
        sa.Column('total_then', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('total_wrong', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('total_corrected', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('problem', sa.String(length=500), nullable=True),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('priced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['correction_id'], ['param_value.id'],
                                name=op.f('fk_revision_correction_correction_id_param_value')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name=op.f('fk_revision_correction_decided_by_id_user_account')),
        sa.ForeignKeyConstraint(['revision_id'], ['revision.id'],
                                name=op.f('fk_revision_correction_revision_id_revision'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_correction')),
        sa.UniqueConstraint('revision_id', 'correction_id', name=op.f('uq_revision_correction_revision_id')),
    )
    with op.batch_alter_table('revision_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_correction_correction_id'), ['correction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_correction_revision_id'), ['revision_id'], unique=False)

    connection = op.get_bind()
    revision_table = sa.table('revision', sa.column('id', sa.Integer), sa.column('result_json', sa.Text))
    figure = sa.table('revision_figure', sa.column('revision_id', sa.Integer), sa.column('family', sa.String),
                      sa.column('region', sa.String), sa.column('start', sa.Date), sa.column('value', sa.String))
    last = 0
    while True:            # by id, a batch at a time: a result can be megabytes
        rows = connection.execute(sa.select(revision_table.c.id, revision_table.c.result_json)
                                  .where(revision_table.c.id > last).order_by(revision_table.c.id).limit(BATCH)).all()
        if not rows:
            break
        values = [{"revision_id": row.id, "family": family, "region": region, "start": start, "value": value}
                  for row in rows for family, region, start, value in _figures(row.result_json)]
        if values:
            connection.execute(figure.insert(), values)
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('revision_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_correction_revision_id'))
        batch_op.drop_index(batch_op.f('ix_revision_correction_correction_id'))
    op.drop_table('revision_correction')
    with op.batch_alter_table('revision_figure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_figure_revision_id'))
        batch_op.drop_index('ix_revision_figure_figure')
    op.drop_table('revision_figure')
