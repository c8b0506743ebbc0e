"""a share names the revision shared: contractors read that one (or a newer approved one), not drafts

Revision ID: c4a9d2e71b85
Revises: b7e2c91d4f30
Create Date: 2026-11-29 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4a9d2e71b85'
down_revision = 'b7e2c91d4f30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision_number', sa.Integer(), nullable=True))
    # shares were live until now: what each contractor last read was the budget's latest revision
    op.execute("UPDATE budget_share SET revision_number = (SELECT revision_count FROM budget "
               "WHERE budget.id = budget_share.budget_id)")
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.alter_column('revision_number', existing_type=sa.Integer(), nullable=False)


def downgrade():
    with op.batch_alter_table('budget_share', schema=None) as batch_op:
        batch_op.drop_column('revision_number')
