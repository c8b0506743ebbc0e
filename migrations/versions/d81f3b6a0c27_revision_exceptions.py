"""例外说明: why a revision goes forward despite an error finding

Revision ID: d81f3b6a0c27
Revises: c4a9d2e71b85
Create Date: 2026-11-29 22:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd81f3b6a0c27'
down_revision = 'c4a9d2e71b85'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revision_exception',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('revision_id', sa.Integer(), nullable=False),
                    sa.Column('key', sa.String(length=40), nullable=False),
                    sa.Column('code', sa.String(length=40), nullable=False),
                    sa.Column('justification', sa.String(length=500), nullable=False),
                    sa.Column('author_id', sa.Integer(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'],
                                            name=op.f('fk_revision_exception_author_id_user_account')),
                    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'],
                                            name=op.f('fk_revision_exception_revision_id_revision')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_exception')),
                    sa.UniqueConstraint('revision_id', 'key', name=op.f('uq_revision_exception_revision_id')))
    with op.batch_alter_table('revision_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_exception_revision_id'), ['revision_id'], unique=False)


def downgrade():
    with op.batch_alter_table('revision_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_exception_revision_id'))
    op.drop_table('revision_exception')
