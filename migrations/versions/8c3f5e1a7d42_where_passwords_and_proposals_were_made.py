"""where a user set their own password and where they were proposed as an administrator (one place: not confirmed)

Revision ID: 8c3f5e1a7d42
Revises: 5d1e7a3c9b20
Create Date: 2026-12-07 21:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c3f5e1a7d42'
down_revision = '5d1e7a3c9b20'
branch_labels = None
depends_on = None

COLUMNS = (('password_set_from', 64), ('password_set_browser', 32), ('admin_proposed_from', 64),
           ('admin_proposed_browser', 32))


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        for name, size in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=size), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
