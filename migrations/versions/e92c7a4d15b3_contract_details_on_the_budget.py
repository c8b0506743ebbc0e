"""the contract an annex belongs to: 合同编号, 甲方, 乙方 on the budget

Revision ID: e92c7a4d15b3
Revises: d81f3b6a0c27
Create Date: 2026-11-29 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e92c7a4d15b3'
down_revision = 'd81f3b6a0c27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('budget', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_no', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('party_a', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('party_b', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('budget', schema=None) as batch_op:
        batch_op.drop_column('party_b')
        batch_op.drop_column('party_a')
        batch_op.drop_column('contract_no')
