"""accounts: administrators confirmed by a second administrator, session versions, passwords set by their owner,
sign-in failures counted per client instead of locking the account

Revision ID: eb74dea496ee
Revises: b8d2f4a6c1e3
Create Date: 2026-12-02 09:00:00

Existing administrators stay administrators. Every user starts at session version 1, so sessions made before
the upgrade (which name no version) are signed out once. The account lock (failed_logins, locked_until) gives
way to the login_failure table: a lock in force at the upgrade is lifted.
"""
import sqlalchemy as sa
from alembic import op

revision = 'eb74dea496ee'
down_revision = 'b8d2f4a6c1e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_username'), ['username'], unique=False)
        batch_op.create_index('ix_login_failure_client_at', ['client', 'at'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_proposed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('admin_proposed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_account_admin_proposed_by_id_user_account'), 'user_account',
                                    ['admin_proposed_by_id'], ['id'])
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_user_account_admin_proposed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_version')
        batch_op.drop_column('admin_proposed_at')
        batch_op.drop_column('admin_proposed_by_id')

    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_client_at')
        batch_op.drop_index(batch_op.f('ix_login_failure_username'))
        batch_op.drop_index(batch_op.f('ix_login_failure_at'))
    op.drop_table('login_failure')
