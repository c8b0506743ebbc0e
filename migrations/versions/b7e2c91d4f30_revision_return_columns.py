"""who returned a revision, when and why: columns on the revision (they were audit-log rows)

Revision ID: b7e2c91d4f30
Revises: afc4103074b5
Create Date: 2026-11-29 20:10:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e2c91d4f30'
down_revision = 'afc4103074b5'
branch_labels = None
depends_on = None


def _aware(moment):
    """A stored moment as an aware UTC datetime (SQLite hands back text, and naive values are UTC)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def upgrade():
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('return_reason', sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_revision_returned_by_id_user_account'), 'user_account',
                                    ['returned_by_id'], ['id'])
    # each "return" in the audit log belongs to the newest revision of its budget submitted before it
    conn = op.get_bind()
    entries = conn.execute(sa.text("SELECT user_id, at, target, detail FROM audit_entry WHERE action = 'return' "
                                   "ORDER BY id")).fetchall()
    for user_id, at, target, detail in entries:
        kind, _, number = (target or "").partition(":")
        if kind != "budget" or not number.isdigit():
            continue
        revisions = conn.execute(sa.text("SELECT id, submitted_at FROM revision WHERE budget_id = :b "
                                         "AND submitted_at IS NOT NULL ORDER BY number"), {"b": int(number)}).fetchall()
        before = [r for r in revisions if _aware(r.submitted_at) <= _aware(at)]
        if before:
            conn.execute(sa.text("UPDATE revision SET returned_by_id = :u, returned_at = :at, return_reason = :why "
                                 "WHERE id = :id"), {"u": user_id, "at": at, "why": (detail or "")[:500],
                                                      "id": before[-1].id})


def downgrade():
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_revision_returned_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('return_reason')
        batch_op.drop_column('returned_at')
        batch_op.drop_column('returned_by_id')
