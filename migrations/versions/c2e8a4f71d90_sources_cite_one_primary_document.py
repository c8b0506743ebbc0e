"""a policy parameter's source cites one primary document: its effective date, who verified the citation
against the primary text and when; where the text was seen (mirrors, news: "via" and a mirror's address) is
an administrators' note, and the link kept is only a government site's

Revision ID: c2e8a4f71d90
Revises: 8c3f5e1a7d42
Create Date: 2026-12-07 20:30:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2e8a4f71d90'
down_revision = '8c3f5e1a7d42'
branch_labels = None
depends_on = None

ADMIN_MARK = "管理员录入"          # what "via" said of every source an administrator entered
OFFICIAL = re.compile(r"https?://[^/\s]+\.gov\.cn(/|$)", re.IGNORECASE)


def _source_table(*extra):
    return sa.table('param_source', sa.column('id', sa.Integer), sa.column('key', sa.String),
                    sa.column('title', sa.String), sa.column('doc_no', sa.String), sa.column('url', sa.String),
                    *extra)


def _bump():
    """Every process reloads the confirmed set (the version is worked out again on the next change)."""
    state = sa.table('param_state', sa.column('generation', sa.Integer), sa.column('version', sa.String))
    op.execute(state.update().values(generation=state.c.generation + 1, version=""))


def upgrade():
    with op.batch_alter_table('param_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('verified_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('verified_on', sa.String(length=20), nullable=True))
        batch_op.alter_column('title', existing_type=sa.String(length=500), nullable=True)
    source = _source_table(sa.column('via', sa.String), sa.column('note', sa.Text))
    connection = op.get_bind()
    for row in connection.execute(sa.select(source.c.id, source.c.url, source.c.via)).all():
        # "via" and any address that is not a government site's become the administrators' note
        parts = [row.via] if row.via and row.via != ADMIN_MARK else []
        url = row.url
        if url and not OFFICIAL.match(url):
            parts.append(f"所见文本：{url}")
            url = None
        connection.execute(source.update().where(source.c.id == row.id)
                           .values(note="；".join(parts) or None, url=url))
    with op.batch_alter_table('param_source', schema=None) as batch_op:
        batch_op.drop_column('via')
    _bump()


def downgrade():
    with op.batch_alter_table('param_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=500), nullable=True))
    source = _source_table(sa.column('via', sa.String), sa.column('note', sa.Text))
    connection = op.get_bind()
    for row in connection.execute(sa.select(source.c.id, source.c.key, source.c.title, source.c.doc_no,
                                            source.c.note)).all():
        via = ADMIN_MARK if row.key.startswith("admin-") else (row.note or None)
        connection.execute(source.update().where(source.c.id == row.id).values(
            via=via[:500] if via else None, title=row.title or row.doc_no or "（文件待核实）"))
    with op.batch_alter_table('param_source', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column('verified_on')
        batch_op.drop_column('verified_by')
        batch_op.drop_column('note')
        batch_op.drop_column('effective')
    _bump()
