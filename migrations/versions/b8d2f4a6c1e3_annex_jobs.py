"""annexes of every revision are rendered ahead by background jobs: status, attempts and what was printed

Revision ID: b8d2f4a6c1e3
Revises: a5c7e9f1b2d4
Create Date: 2026-11-29 23:00:00

Stored (approved) annexes stay; with no meta_key they are rendered again once, with the same figures.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b8d2f4a6c1e3'
down_revision = 'a5c7e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('annex_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meta_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='done'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=True)


def downgrade():
    op.execute("DELETE FROM annex_file WHERE status <> 'done' OR content IS NULL")
    with op.batch_alter_table('annex_file', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('updated_at')
        batch_op.drop_column('error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')
        batch_op.drop_column('meta_key')
