"""an approved revision's annex is issued once and never rewritten (new contract details are a new issue); what
a file prints is stored with its job; a job shows it is alive

Revision ID: 06a89ddef02d
Revises: 3a9d6c2b8e51
Create Date: 2026-12-08 09:00:00

Files already stored for an approved revision count as issued when they were stored. Files still waiting or
failed were queued without what they print: they are removed, and queued again (with it) when asked for.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '06a89ddef02d'
down_revision = '3a9d6c2b8e51'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('annex_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issue', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('meta_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('runner', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_annex_file_revision_id', type_='unique')
        batch_op.create_unique_constraint('uq_annex_file_issue', ['revision_id', 'kind', 'issue'])
    op.execute("DELETE FROM annex_file WHERE status <> 'done' OR content IS NULL")
    op.execute("UPDATE annex_file SET issued_at = COALESCE(updated_at, created_at) "
               "WHERE revision_id IN (SELECT id FROM revision WHERE status = 'approved')")


def downgrade():
    # one file per revision and kind again: the first issue (the one approved) stays, later issues go
    op.execute("DELETE FROM annex_file WHERE issue > 1")
    with op.batch_alter_table('annex_file', schema=None) as batch_op:
        batch_op.drop_constraint('uq_annex_file_issue', type_='unique')
        batch_op.create_unique_constraint('uq_annex_file_revision_id', ['revision_id', 'kind'])
        batch_op.drop_column('issued_at')
        batch_op.drop_column('runner')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('note')
        batch_op.drop_column('meta_json')
        batch_op.drop_column('issue')
