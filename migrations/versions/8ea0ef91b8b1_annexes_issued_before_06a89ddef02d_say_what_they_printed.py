"""annexes issued before 06a89ddef02d say what they printed (meta_json), so saving the contract details unchanged
issues no 第 2 版 and the verify page lists each issue with the contract details it printed

Revision ID: 8ea0ef91b8b1
Revises: 531b5d273053
Create Date: 2026-12-10 09:00:00

06a89ddef02d counted the files then stored for approved revisions as issued, but left them without ``meta_json``.
What they printed is known: before that release, saving the contract details deleted every stored file of the
budget, and a job stored a file only if it was made for what its budget printed at that moment. So such a file
printed the contract number and parties the budget held after its last contract save before the file was stored:
the budget's current ones when the audit log records no contract save since (almost every budget), else the ones
that last save recorded (「合同编号 …；甲方 …；乙方 …」; no save before it: none entered). An empty 甲方 printed the
purchaser's name, an empty 乙方 the one contractor the budget was then shared with. Its ``meta_key`` (a digest of
all it printed) confirms the reading, or, where a share or a later save muddles it, picks the one it printed.

The downgrade leaves them: the column is 06a89ddef02d's, and its downgrade drops it.
"""
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8ea0ef91b8b1'
down_revision = '531b5d273053'
branch_labels = None
depends_on = None

BEIJING = timezone(timedelta(hours=8))      # the day printed is Beijing's (no summer time since 1991)
# what a file printed before 06a89ddef02d, in the order of the repr its meta_key is the SHA-256 of
PRINTED = ("code", "status", "revision", "purchaser", "contractor", "contract_no", "approved_by", "approved_at",
           "verify_url", "exceptions")
SAVED = re.compile(r"合同编号 (.*)；甲方 (.*)；乙方 (.*)", re.S)      # a contract save in the audit log

annex = sa.table('annex_file', sa.column('id', sa.Integer), sa.column('revision_id', sa.Integer),
                 sa.column('issue', sa.Integer), sa.column('meta_key', sa.String), sa.column('meta_json', sa.Text),
                 sa.column('issued_at', sa.DateTime(timezone=True)))
revision_table = sa.table('revision', sa.column('id', sa.Integer), sa.column('budget_id', sa.Integer),
                          sa.column('number', sa.Integer), sa.column('verify_code', sa.String),
                          sa.column('approved_by_id', sa.Integer), sa.column('approved_at', sa.DateTime(timezone=True)))
budget = sa.table('budget', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer),
                  sa.column('contract_no', sa.String), sa.column('party_a', sa.String), sa.column('party_b', sa.String))
organisation = sa.table('organisation', sa.column('id', sa.Integer), sa.column('name', sa.String))
user = sa.table('user_account', sa.column('id', sa.Integer), sa.column('display_name', sa.String))
share = sa.table('budget_share', sa.column('budget_id', sa.Integer), sa.column('contractor_id', sa.Integer),
                 sa.column('shared_at', sa.DateTime(timezone=True)))
exception = sa.table('revision_exception', sa.column('id', sa.Integer), sa.column('revision_id', sa.Integer),
                     sa.column('key', sa.String), sa.column('justification', sa.String),
                     sa.column('author_id', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)))
audit = sa.table('audit_entry', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                 sa.column('action', sa.String), sa.column('target', sa.String), sa.column('detail', sa.String))


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _day(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).astimezone(BEIJING).strftime("%Y-%m-%d")


def _entered(detail: str) -> tuple | None:
    """(contract number, 甲方, 乙方) as a contract save entered them (None: left empty), from its audit entry."""
    found = SAVED.fullmatch(detail)
    if found is None:
        return None
    number, party_a, party_b = found.groups()
    return (None if number == "（空）" else number, None if party_a == "（默认）" else party_a,
            None if party_b == "（默认）" else party_b)


def _digest(printed: dict) -> str:
    text = "AnnexMeta(" + ", ".join(f"{name}={printed[name]!r}" for name in PRINTED) + ")"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _public_url() -> str | None:
    try:
        from flask import current_app  # noqa: PLC0415 — run by flask db upgrade: the app's configured address
        return current_app.config.get("PUBLIC_URL")
    except RuntimeError:                # (outside an application)
        return None


def _printed(connection, row, public_url: str | None) -> dict:
    """What the issued file ``row`` printed, as ``AnnexMeta.to_json`` stores it."""
    rev = connection.execute(sa.select(revision_table).where(revision_table.c.id == row.revision_id)).one()
    owner = connection.execute(sa.select(budget.c.contract_no, budget.c.party_a, budget.c.party_b, organisation.c.name)
                               .join(organisation, organisation.c.id == budget.c.organisation_id)
                               .where(budget.c.id == rev.budget_id)).one()
    approver = connection.scalar(sa.select(user.c.display_name).where(user.c.id == rev.approved_by_id))
    notes = connection.execute(sa.select(exception.c.key, exception.c.justification, user.c.display_name,
                                         exception.c.created_at)
                               .join(user, user.c.id == exception.c.author_id)
                               .where(exception.c.revision_id == rev.id).order_by(exception.c.id)).all()
    saves = connection.execute(sa.select(audit.c.at, audit.c.detail).where(
        audit.c.action == "contract", audit.c.target == f"budget:{rev.budget_id}").order_by(audit.c.at, audit.c.id)).all()
    shared = connection.execute(sa.select(organisation.c.name, share.c.shared_at)
                                .join(organisation, organisation.c.id == share.c.contractor_id)
                                .where(share.c.budget_id == rev.budget_id)).all()
    stored = _utc(row.issued_at)
    before = [s.detail for s in saves if _utc(s.at) <= stored]
    if all(_utc(s.at) <= stored for s in saves):
        entered = (owner.contract_no, owner.party_a, owner.party_b)
    else:                   # saved again since (a 第 2 版 was issued): as the last save before the file entered them
        entered = _entered(before[-1]) if before else (None, None, None)
    then = sorted({s.name for s in shared if _utc(s.shared_at) <= stored})
    printed = {"code": rev.verify_code, "status": "approved", "revision": rev.number, "approved_by": approver,
               "approved_at": _day(rev.approved_at), "verify_url": None,
               "exceptions": tuple((n.key, (n.justification, n.display_name, _day(n.created_at) or "")) for n in notes)}

    def reading(entered: tuple, default_b: str | None, url: str | None) -> dict:
        number, party_a, party_b = entered
        return printed | {"contract_no": number, "purchaser": party_a or owner.name,
                          "contractor": party_b or default_b, "verify_url": url}

    best = reading(entered or (None, None, None), then[0] if len(then) == 1 else None, None)
    states = [entered, (owner.contract_no, owner.party_a, owner.party_b), (None, None, None)]
    states += [_entered(detail) for detail in before]
    urls = [None] + ([f"{public_url.rstrip('/')}/verify/{rev.verify_code}"] if public_url else [])
    readings = (reading(state, default_b, url) for state in filter(None, states)
                for default_b in (best["contractor"], None, *sorted({s.name for s in shared})) for url in urls)
    confirmed = next((r for r in readings if _digest(r) == row.meta_key), None) if row.meta_key else None
    return (confirmed or best) | {"issue": row.issue, "issue_note": None, "corrections": []}


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(annex.c.id, annex.c.revision_id, annex.c.issue, annex.c.meta_key,
                                        annex.c.issued_at)
                              .where(annex.c.issued_at.is_not(None), annex.c.meta_json.is_(None))
                              .order_by(annex.c.id)).all()
    public_url = _public_url()
    for row in rows:
        printed = _printed(connection, row, public_url)
        connection.execute(sa.update(annex).where(annex.c.id == row.id)
                           .values(meta_json=json.dumps(printed, ensure_ascii=False, sort_keys=True)))


def downgrade():
    pass
