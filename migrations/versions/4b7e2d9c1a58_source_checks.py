"""verifying a source (核实来源) is a change of its own, under the two-person rule, not a correction of its figures

Revision ID: 4b7e2d9c1a58
Revises: 06a89ddef02d
Create Date: 2026-12-09 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4b7e2d9c1a58'
down_revision = '06a89ddef02d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('param_source_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('value_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('issuer', sa.String(length=200), nullable=True),
    sa.Column('doc_no', sa.String(length=200), nullable=True),
    sa.Column('date', sa.String(length=20), nullable=True),
    sa.Column('effective', sa.String(length=20), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('verified_by', sa.String(length=200), nullable=False),
    sa.Column('verified_on', sa.String(length=20), nullable=False),
    sa.Column('confidence', sa.String(length=30), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('before_json', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                            name=op.f('fk_param_source_check_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'],
                            name=op.f('fk_param_source_check_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['source_id'], ['param_source.id'],
                            name=op.f('fk_param_source_check_source_id_param_source')),
    sa.ForeignKeyConstraint(['value_id'], ['param_value.id'], name=op.f('fk_param_source_check_value_id_param_value')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_param_source_check'))
    )
    with op.batch_alter_table('param_source_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_param_source_check_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_param_source_check_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('param_source_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_param_source_check_status'))
        batch_op.drop_index(batch_op.f('ix_param_source_check_source_id'))
    op.drop_table('param_source_check')
