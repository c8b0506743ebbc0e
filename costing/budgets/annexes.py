"""Annexes of a budget revision, rendered ahead by a background job and served as stored bytes.

Each revision's PDF and workbook are queued when it is saved (and again when what they print besides the
figures changes: status, contract details, approval, 例外说明 — ``meta_key``). A download serves the stored
file when it is ready; otherwise it answers a page that shows progress and fetches the file when done. No
request renders, so none waits on a render or reaches a worker's timeout, and a revision's file is rendered
once for what it prints. A failing render is tried three times, then says why.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app, jsonify, render_template, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..accounts import service as accounts
from ..annex.fetcher import RefusedURL
from ..annex.render import AnnexMeta, annex_pdf
from ..annex.workbook import annex_workbook
from ..clock import as_utc
from ..engine.text import without_invisible
from ..models import AnnexFile, Budget, Revision, db, utcnow
from ..results.format import localdate
from ..web import attachment
from .service import parties, result_of

KINDS = {"pdf": ("application/pdf", annex_pdf),
         "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", annex_workbook)}
LABELS = {"pdf": "PDF 附件", "xlsx": "Excel 附件"}
ATTEMPTS = 3
RETRY_DELAY = 2.0                     # seconds, times the attempts so far
STALE = timedelta(minutes=10)           # a job "running" this long died with its process: start it again
WAITING = ("planned", "queued", "running")    # planned: queued ahead by a save; queued: asked for


def meta_for(budget: Budget, revision: Revision) -> AnnexMeta:
    party_a, party_b = parties(budget)
    return AnnexMeta(
        code=revision.verify_code, status=revision.status, revision=revision.number, contract_no=budget.contract_no,
        purchaser=party_a, contractor=party_b,
        approved_by=revision.approved_by.display_name if revision.approved_by else None,
        approved_at=localdate(revision.approved_at) or None,
        verify_url=verify_url(revision.verify_code),
        exceptions=tuple((e.key, (e.justification, e.author.display_name, localdate(e.created_at)))
                         for e in revision.exceptions))


def meta_key(meta: AnnexMeta) -> str:
    return hashlib.sha256(repr(meta).encode("utf-8")).hexdigest()[:64]


def verify_url(code: str) -> str | None:
    """From the configured public address only: a request's Host header must not end up in a PDF."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/verify/{code}" if base else None


def _row(revision: Revision, kind: str, lock: bool = False) -> AnnexFile | None:
    query = select(AnnexFile).where(AnnexFile.revision_id == revision.id, AnnexFile.kind == kind)
    return db.session.scalar(query.with_for_update() if lock else query)


def request_file(budget: Budget, revision: Revision, kind: str, key: str | None = None,
                 ahead: bool = False) -> AnnexFile:
    """The revision's file of this kind as it should print now: queued (and committed) if it is not stored or
    not being made for what it prints now. The caller reads ``status``.

    ``ahead`` (a save queueing its annexes before anyone asks) queues it as ``planned``: the job skips a draft
    that a newer revision has replaced by the time the job starts (a form saved again and again renders only
    its last revision). Asking for a planned file (a download, the waiting page) makes it ``queued``, which
    every job renders."""
    key = key or meta_key(meta_for(budget, revision))
    now = utcnow()
    for lock in (False, True):          # the common case (stored, or on its way) takes no lock
        row = _row(revision, kind, lock=lock)
        stuck = row is not None and row.status in WAITING and row.updated_at is not None \
            and as_utc(row.updated_at) < now - STALE
        if row is not None and row.meta_key == key and not stuck:
            if row.status == "planned" and not ahead:
                if not lock:
                    continue            # take the lock to change it
                row.status = "queued"   # the job already on its way now renders it whatever comes after
                db.session.commit()
            return row
    if row is None:
        row = AnnexFile(revision_id=revision.id, kind=kind)
        db.session.add(row)
    row.meta_key, row.attempts, row.error, row.content, row.updated_at = key, 0, None, None, now
    row.status = "planned" if ahead else "queued"
    try:
        db.session.commit()
    except IntegrityError:          # another request queued it a moment ago
        db.session.rollback()
        return _row(revision, kind)
    jobs.dispatch("annex", row.id)
    if not ahead:
        db.session.refresh(row)     # the inline backend has already made it
    return row


def prepare(budget: Budget, revision: Revision) -> None:
    """Queue both files of a revision just saved or changed, ahead of any download (not with the inline
    backend: there a download renders on demand, and saving stays fast in tests and on the command line)."""
    if jobs.backend(current_app) == "inline":
        return
    key = meta_key(meta_for(budget, revision))
    for kind in KINDS:
        request_file(budget, revision, kind, key, ahead=True)


def plan_new(budget: Budget, revision: Revision) -> list[int]:
    """A revision being saved (flushed, not yet committed): its files as rows of the same transaction, planned,
    so the save commits once and no file is missing for a moment. No one can ask for a revision that is not
    committed, so no other request makes these rows. Returns the rows' ids for ``send`` after the commit."""
    if jobs.backend(current_app) == "inline":
        return []
    key, now = meta_key(meta_for(budget, revision)), utcnow()
    rows = [AnnexFile(revision_id=revision.id, kind=kind, meta_key=key, status="planned", attempts=0, updated_at=now)
            for kind in KINDS]
    db.session.add_all(rows)
    db.session.flush()
    return [row.id for row in rows]


def send(row_ids: list[int]) -> None:
    """Start the jobs of rows ``plan_new`` made, once their transaction is committed (a queue that cannot be
    reached leaves them planned: asked for later, or found stuck, they are queued again)."""
    try:
        for row_id in row_ids:
            jobs.dispatch("annex", row_id)
    except Exception:       # the change is saved; the annex is made when it is asked for
        current_app.logger.exception("could not queue annex rows %s", row_ids)


def retry(budget: Budget, revision: Revision, kind: str) -> None:
    row = _row(revision, kind, lock=True)
    if row is not None and row.status == "failed":
        row.meta_key = None             # asked for again below
        db.session.commit()
    request_file(budget, revision, kind)


def _replaced(revision: Revision) -> bool:
    """A draft that a newer revision of its budget has replaced (it is rendered only if someone asks)."""
    return revision.status == "draft" and revision.budget.latest.id != revision.id


@jobs.task("annex")
def render_job(row_id: int) -> None:
    """Render one annex file for what its row asks (skipped when it no longer asks, or is done)."""
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is None or row.status not in WAITING:
        db.session.rollback()
        return
    revision = db.session.get(Revision, row.revision_id)
    budget = revision.budget
    if row.status == "planned" and _replaced(revision):      # nobody asked, and a newer revision is being made
        db.session.delete(row)          # asked for later, it is queued again (and then rendered)
        db.session.commit()
        return
    meta = meta_for(budget, revision)
    if meta_key(meta) != row.meta_key:          # changed since it was queued: the newer request renders
        db.session.rollback()
        return
    wanted, kind = row.meta_key, row.kind
    row.status, row.updated_at = "running", utcnow()
    db.session.commit()
    try:
        content = KINDS[kind][1](result_of(revision), meta)
        error = None
    except RefusedURL as exc:
        content, error = None, f"附件引用了不允许的资源（{exc}）"
    except Exception as exc:        # a render that fails is reported on its row, in words, and retried
        current_app.logger.exception("annex render failed")
        content, error = None, f"生成时出错（{exc.__class__.__name__}），详情见服务器日志"
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is None or row.meta_key != wanted:
        db.session.rollback()
        return
    row.updated_at = utcnow()
    if content is not None:
        row.content, row.status, row.error = content, "done", None
    else:
        row.attempts += 1
        row.error = error
        row.status = "queued" if row.attempts < ATTEMPTS else "failed"
    db.session.commit()
    if row.status == "queued":
        jobs.dispatch("annex", row_id, countdown=RETRY_DELAY * row.attempts)


@jobs.lost("annex")
def render_lost(row_id: int, why: str) -> None:
    """The process rendering a row stopped before it answered (past its memory cap, or killed): the row says so and
    is not tried again by itself, as it would stop the same way; 重新生成 starts it over."""
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is None or row.status != "running":
        db.session.rollback()
        return
    row.status, row.error, row.attempts, row.updated_at = "failed", why, row.attempts + 1, utcnow()
    db.session.commit()


def filename(revision: Revision, kind: str) -> str:
    # the name in this revision, not a later draft's; without characters a name may no longer hold (one saved
    # before the rule could still carry a right-to-left override into the file name)
    project = without_invisible(result_of(revision).project_name)
    return f"{project}-预算明细表-修订{revision.number}{'' if revision.status == 'approved' else '-草稿'}.{kind}"


def download(budget: Budget, revision: Revision, kind: str):
    """The stored file, or the page that waits for it (202), or why it failed."""
    row = request_file(budget, revision, kind)
    if row.status == "done":
        content = db.session.scalar(select(AnnexFile.content).where(AnnexFile.id == row.id))
        name = filename(revision, kind)         # (read before the commit below expires what it reads)
        accounts.record("export", f"budget:{budget.id}", f"修订 {revision.number} 附件 {kind.upper()}")
        db.session.commit()
        fallback = f"budget-{budget.id}-revision-{revision.number}{'' if revision.status == 'approved' else '-draft'}.{kind}"
        return attachment(content, KINDS[kind][0], name, fallback)
    return render_template("budgets/annex_wait.html", budget=budget, revision=revision, kind=kind,
                           label=LABELS[kind], row=row), 202 if row.status != "failed" else 500


def status(budget: Budget, revision: Revision, kind: str):
    """What the waiting page polls: {status, message, url} (no render, no queueing but a stuck job's)."""
    row = request_file(budget, revision, kind)
    messages = {"planned": "排队等待生成…", "queued": "排队等待生成…", "running": "正在生成…", "done": "已生成，正在下载",
                "failed": f"生成失败：{row.error or '原因不明'}（已尝试 {row.attempts} 次）"}
    return jsonify(status=row.status, message=messages[row.status],
                   url=url_for("budgets.annex", budget_id=budget.id, kind=kind, revision=revision.number))
