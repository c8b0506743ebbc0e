"""the 职业津贴 is each district's standard: param_family.by_district and .categories; the shipped
certificate-only figures (one unnamed district's rule) are retired

Revision ID: f3b8d1c6a290
Revises: e92c7a4d15b3
Create Date: 2026-11-30 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3b8d1c6a290'
down_revision = 'e92c7a4d15b3'
branch_labels = None
depends_on = None

FAMILY = "allowance.certificate_monthly"
RETIRED = ("职业津贴按各区县的规定（实施意见三(一)“按规定”），按区县录入；这一“重庆某区”标准区名与年份不详，"
           "不能归属于任何区县，停用")


def upgrade():
    with op.batch_alter_table('param_family', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_district', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('categories', sa.JSON(), nullable=True))
    family = sa.table('param_family', sa.column('key', sa.String), sa.column('label', sa.String),
                      sa.column('by_district', sa.Boolean), sa.column('categories', sa.JSON))
    op.execute(family.update().where(family.c.key == FAMILY)
               .values(label="职业津贴（按区县与证书，每人每月）", by_district=True, categories=["community"]))
    value = sa.table('param_value', sa.column('family_key', sa.String), sa.column('region', sa.String),
                     sa.column('status', sa.String), sa.column('review_note', sa.String))
    old = (value.c.family_key == FAMILY, ~value.c.region.contains(":"))
    # figures in force are retired; one still waiting for its review is withdrawn (never confirmed by the way)
    op.execute(value.update().where(*old, value.c.status == "confirmed").values(status="retired", review_note=RETIRED))
    op.execute(value.update().where(*old, value.c.status == "pending").values(status="withdrawn", review_note=RETIRED))
    # every process reloads the confirmed set (the version is worked out again on the next change)
    state = sa.table('param_state', sa.column('generation', sa.Integer), sa.column('version', sa.String))
    op.execute(state.update().values(generation=state.c.generation + 1, version=""))


def downgrade():
    value = sa.table('param_value', sa.column('family_key', sa.String), sa.column('region', sa.String),
                     sa.column('status', sa.String), sa.column('review_note', sa.String))
    op.execute(value.update().where(value.c.family_key == FAMILY, value.c.status == "retired")
               .values(status="confirmed", review_note=""))
    op.execute(value.update().where(value.c.family_key == FAMILY, value.c.status == "withdrawn",
                                    value.c.review_note == RETIRED).values(status="pending", review_note=""))
    family = sa.table('param_family', sa.column('key', sa.String), sa.column('label', sa.String))
    op.execute(family.update().where(family.c.key == FAMILY).values(label="职业津贴（按证书，每人每月）"))
    with op.batch_alter_table('param_family', schema=None) as batch_op:
        batch_op.drop_column('categories')
        batch_op.drop_column('by_district')
    state = sa.table('param_state', sa.column('generation', sa.Integer), sa.column('version', sa.String))
    op.execute(state.update().values(generation=state.c.generation + 1, version=""))
