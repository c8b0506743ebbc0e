"""sharing is per revision (a contractor reads exactly the revisions shared with it); a copy names its source

Revision ID: 5d1e7a3c9b20
Revises: eb74dea496ee
Create Date: 2026-12-07 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d1e7a3c9b20'
down_revision = 'eb74dea496ee'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.drop_constraint('uq_budget_share_budget_id', type_='unique')
    # Until now a contractor also read every approved revision newer than the one shared with it. Each such
    # revision becomes a share of its own (as shared by its approver when it was approved), so nothing a
    # contractor could read, and may have signed, disappears.
    op.execute("INSERT INTO budget_share (budget_id, contractor_id, shared_by_id, shared_at, revision_number) "
               "SELECT s.budget_id, s.contractor_id, r.approved_by_id, r.approved_at, r.number "
               "FROM budget_share s JOIN revision r ON r.budget_id = s.budget_id "
               "WHERE r.approved_at IS NOT NULL AND r.approved_by_id IS NOT NULL AND r.number > s.revision_number")
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_budget_share_revision', ['budget_id', 'contractor_id', 'revision_number'])
    with op.batch_alter_table('budget', schema=None) as batch_op:
        batch_op.add_column(sa.Column('copied_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('copied_from_revision', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_budget_copied_from_id_budget'), 'budget', ['copied_from_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('budget', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_budget_copied_from_id_budget'), type_='foreignkey')
        batch_op.drop_column('copied_from_revision')
        batch_op.drop_column('copied_from_id')
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.drop_constraint('uq_budget_share_revision', type_='unique')
    # one share per contractor again: the newest revision shared with it
    op.execute("DELETE FROM budget_share WHERE EXISTS (SELECT 1 FROM budget_share newer "
               "WHERE newer.budget_id = budget_share.budget_id AND newer.contractor_id = budget_share.contractor_id "
               "AND newer.revision_number > budget_share.revision_number)")
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_budget_share_budget_id', ['budget_id', 'contractor_id'])
