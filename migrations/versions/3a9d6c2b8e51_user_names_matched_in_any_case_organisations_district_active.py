"""user names stored in lower case (matched in any case); organisations have a district and can be deactivated

Revision ID: 3a9d6c2b8e51
Revises: c2e8a4f71d90
Create Date: 2026-12-07 21:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3a9d6c2b8e51'
down_revision = 'c2e8a4f71d90'
branch_labels = None
depends_on = None

# a name that differs from an older account's only in case: that account keeps it, this one gets "~<id>" (said in
# the audit log, where the administrators find it)
TWIN = ("EXISTS (SELECT 1 FROM user_account older WHERE lower(older.username) = lower(user_account.username) "
        "AND older.id < user_account.id)")
# its new name: the name in lower case, cut short where the whole would not fit user_account.username (VARCHAR(80)),
# then "~<id>", never the part cut (it is what makes the name unique)
SUFFIX = "'~' || CAST(id AS TEXT)"
RENAMED = f"substr(lower(username), 1, 80 - length({SUFFIX})) || {SUFFIX}"


def upgrade():
    op.execute("INSERT INTO audit_entry (at, action, target, detail) "
               "SELECT CURRENT_TIMESTAMP, 'update_user', 'user:' || CAST(id AS TEXT), "
               f"'用户名 ' || username || ' 与另一账号只有大小写不同，升级时改为 ' || {RENAMED} "
               f"FROM user_account WHERE {TWIN}")
    op.execute(f"UPDATE user_account SET username = {RENAMED} WHERE {TWIN}")
    op.execute("UPDATE user_account SET username = lower(username) WHERE username <> lower(username)")
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('active')
        batch_op.drop_column('district')
    # user names stay in lower case (they were matched exactly before, and each still is a valid name)
