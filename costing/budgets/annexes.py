"""Annexes of a budget revision, rendered ahead by a background job and served as stored bytes.

Each revision's PDF and workbook are queued when it is saved (and again when what they print besides the
figures changes: status, contract details, approval, 例外说明 — ``meta_key``). What a file prints is decided when
it is queued and stored with its job (``meta_json``): a worker renders exactly that, whatever its own settings.
A download serves the stored file when it is ready; otherwise it answers a page that shows progress and fetches
the file when done. No request renders, so none waits on a render or reaches a worker's timeout, and a
revision's file is rendered once for what it prints.

A file of an approved revision is issued when it is stored and never rewritten: not by another node's settings,
not by a renamed approver or a new share. New contract details entered after approval are a new issue of the
file (``reissue``: 第 2 版 …, a row of its own, printed and named as such); the issued ones stay downloadable.

A job never vanishes: a failing render is tried three times, then says why; a job whose process died (its
heartbeat stops) is sent again, and after three deaths says so; a job no process takes up is said to be failed
with the reason; a render past its time (JOB_TIMEOUT_SECONDS) is stopped and says so; each failure has a button
to try again. ``costing.jobs`` runs a job in this process when Redis cannot be reached, tries again one that lost
the database, and holds no worker while a job waits to be tried again.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from flask import abort, current_app, jsonify, render_template, url_for
from sqlalchemy import func, select, update
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
from ..web import attachment, current_parameters
from .service import later_corrections, parties, result_of

log = logging.getLogger("costing.annexes")
KINDS = {"pdf": ("application/pdf", annex_pdf),
         "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", annex_workbook)}
LABELS = {"pdf": "PDF 附件", "xlsx": "Excel 附件"}
ATTEMPTS = 3
RETRY_DELAY = 2.0                       # seconds, times the attempts so far
HEARTBEAT = 5.0                         # seconds between a running job's signs of life
LOST = timedelta(seconds=30)            # a running job silent this long died with its process: it is sent again
RESEND = timedelta(seconds=30)          # a queued job not started this long is sent again (its message may be lost)
NO_WORKER = timedelta(seconds=60)       # …and queued this long while no job anywhere showed life: no worker runs
WAITING = ("planned", "queued", "running")    # planned: queued ahead by a save; queued: asked for
LOST_ERROR = "生成附件的后台进程在生成时意外退出（可能内存不足或被重启），详情见服务器日志"
REISSUE_NOTE = "合同信息变更后重新出具"


def meta_for(budget: Budget, revision: Revision, issue: int = 1, issue_note: str | None = None) -> AnnexMeta:
    party_a, party_b = parties(budget)
    return AnnexMeta(
        code=revision.verify_code, status=revision.status, revision=revision.number, contract_no=budget.contract_no,
        purchaser=party_a, contractor=party_b,
        approved_by=revision.approved_by.display_name if revision.approved_by else None,
        approved_at=localdate(revision.approved_at) or None,
        verify_url=verify_url(revision.verify_code),
        exceptions=tuple((e.key, (e.justification, e.author.display_name, localdate(e.created_at)))
                         for e in revision.exceptions),
        issue=issue, issue_note=issue_note,
        # figures corrected since it was priced: an annex made now says so (one issued before stays as it is)
        corrections=tuple(later_corrections(revision, current_parameters())))


def meta_key(meta: AnnexMeta) -> str:
    """What a file prints, named: all of it but the verification address, which is the queuing node's setting
    (``COSTING_PUBLIC_URL``), not the budget's — nodes set differently must not take turns making a file again."""
    printed = asdict(meta)
    printed.pop("verify_url")
    if not printed["corrections"]:          # (as before corrections were printed: no file is made again for it)
        printed.pop("corrections")
    return hashlib.sha256(json.dumps(printed, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def verify_url(code: str) -> str | None:
    """From the configured public address only: a request's Host header must not end up in a PDF."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/verify/{code}" if base else None


def _row(revision: Revision, kind: str, lock: bool = False, issue: int | None = None) -> AnnexFile | None:
    """The revision's file of this kind as it is now (its latest issue), or the given issue."""
    query = select(AnnexFile).where(AnnexFile.revision_id == revision.id, AnnexFile.kind == kind)
    query = query.where(AnnexFile.issue == issue) if issue is not None else query.order_by(AnnexFile.issue.desc()).limit(1)
    return db.session.scalar(query.with_for_update() if lock else query)


def _meta(budget: Budget, revision: Revision, kind: str, issue: int = 1, note: str | None = None) -> AnnexMeta:
    """What issue ``issue`` of the file should print now (a re-issue says why, and when the first was issued)."""
    if issue == 1:
        return meta_for(budget, revision)
    first = db.session.scalar(select(AnnexFile.issued_at).where(
        AnnexFile.revision_id == revision.id, AnnexFile.kind == kind, AnnexFile.issue == 1))
    note = note or "重新出具"
    return meta_for(budget, revision, issue, f"{note}，第 1 版出具于 {localdate(first)}" if first else note)


def _queue(row: AnnexFile, meta: AnnexMeta, now: datetime, ahead: bool) -> None:
    """The row asks for ``meta`` from now on (its old content, attempts and job are forgotten)."""
    row.meta_key, row.meta_json = meta_key(meta), meta.to_json()
    row.attempts, row.error, row.content = 0, None, None
    row.updated_at = row.sent_at = now
    row.heartbeat_at = row.runner = None
    row.status = "planned" if ahead else "queued"


def _send(row_id: int) -> None:
    """Start the row's job (committed). ``jobs.dispatch`` runs it here when Redis is down; should even that fail,
    the row says so, with its retry button, rather than waiting for nothing."""
    try:
        jobs.dispatch("annex", row_id)
    except Exception as exc:
        current_app.logger.exception("could not start the annex job of row %s", row_id)
        db.session.rollback()
        row = db.session.get(AnnexFile, row_id, with_for_update=True)
        if row is not None and row.status in WAITING:
            row.status, row.updated_at = "failed", utcnow()
            row.error = f"无法启动生成任务（{exc.__class__.__name__}），详情见服务器日志"
            db.session.commit()


def request_file(budget: Budget, revision: Revision, kind: str, ahead: bool = False) -> AnnexFile:
    """The revision's file of this kind as it should print now: queued (and committed) if it is not stored or
    not being made for what it prints now. An issued file (an approved revision's) is returned as it is. The
    caller reads ``status``.

    ``ahead`` (a save queueing its annexes before anyone asks) queues it as ``planned``: the job skips a draft
    that a newer revision has replaced by the time the job starts (a form saved again and again renders only
    its last revision). Asking for a planned file (a download, the waiting page) makes it ``queued``, which
    every job renders. Asking also looks after a waiting job (``_due``): one whose process died is sent again,
    one no process takes up is sent again, then said to be failed."""
    now = utcnow()
    for lock in (False, True):          # the common case (stored, or on its way) takes no lock
        row = _row(revision, kind, lock=lock)
        if row is not None and row.issued_at is not None:
            return row                  # issued: never rendered again (new contract details are a new issue)
        meta = _meta(budget, revision, kind, row.issue if row else 1, row.note if row else None)
        if row is not None and row.meta_key == meta_key(meta):
            due = _due(row, now, ahead)
            if due is None:
                return row
            if lock:
                _look_after(row, due, now)
                return row
            continue                    # take the lock to change it
    if row is None:
        row = AnnexFile(revision_id=revision.id, kind=kind, issue=1)
        db.session.add(row)
    _queue(row, meta, now, ahead)
    try:
        db.session.commit()
    except IntegrityError:          # another request queued it a moment ago
        db.session.rollback()
        return _row(revision, kind)
    _send(row.id)
    if not ahead:
        db.session.refresh(row)     # the inline backend has already made it
    return row


def _due(row: AnnexFile, now: datetime, ahead: bool) -> str | None:
    """What a file waiting for what it should print needs: to be asked for (``ask``), its job sent again because
    its process died (``lost``) or it was not taken up (``resend``), or, running past its time and then some (a
    render stuck where its job's own limit did not reach it, or whose process was ended for it), to be said failed
    (``overdue``); None when it is fine as it is."""
    if row.status == "planned":
        return None if ahead else "ask"
    if row.status == "running":
        started = row.updated_at        # (set when its job started it)
        if started is not None and as_utc(started) < now - _overdue():
            return "overdue"
        beat = row.heartbeat_at or row.updated_at
        return "lost" if beat is None or as_utc(beat) < now - LOST else None
    if row.status == "queued":
        sent = row.sent_at or row.updated_at
        return "resend" if sent is None or as_utc(sent) < now - RESEND else None
    return None


def _look_after(row: AnnexFile, due: str, now: datetime) -> None:
    send = False
    if due == "ask":
        # the job already on its way renders it whatever comes after (unless its message was lost long ago)
        row.status, row.updated_at = "queued", now
        send = row.sent_at is None or as_utc(row.sent_at) < now - RESEND
    elif due == "lost":
        row.attempts += 1
        row.error, row.heartbeat_at, row.runner, row.updated_at = LOST_ERROR, None, None, now
        row.status = "queued" if row.attempts < ATTEMPTS else "failed"
        send = row.status == "queued"
    elif due == "overdue":              # not sent again by itself: it would stick the same way (重新生成 starts it over)
        row.attempts += 1
        row.error = jobs.timed_out(jobs.time_limit(current_app))
        row.status, row.heartbeat_at, row.runner, row.updated_at = "failed", None, None, now
    else:
        waited = now - as_utc(row.updated_at or now)
        if waited > NO_WORKER and not _alive_since(as_utc(row.updated_at)):
            row.status, row.updated_at = "failed", now
            row.error = (f"已排队 {int(waited.total_seconds())} 秒，没有后台进程接手：生成附件的后台进程可能没有运行。"
                         "请稍后点“重新生成”；仍是如此，请告知系统管理员")
        else:
            send = True
    if send:
        row.sent_at = now
    row_id = row.id
    db.session.commit()
    if send:
        _send(row_id)


def _overdue() -> timedelta:
    """How long a render may be running before it is said failed from outside: its time, and the time its job is
    given to stop past it (a job process or a Celery pool process is ended then)."""
    return timedelta(seconds=jobs.time_limit(current_app) + jobs.STOP_GRACE)


def _alive_since(moment: datetime) -> bool:
    """Whether any annex job, of any process, showed life since ``moment`` (a busy worker does, every few
    seconds; an idle one takes up what is sent again within seconds)."""
    last = db.session.scalar(select(func.max(AnnexFile.heartbeat_at)))
    return last is not None and as_utc(last) >= moment


def prepare(budget: Budget, revision: Revision) -> None:
    """Queue both files of a revision just saved or changed, ahead of any download (not with the inline
    backend: there a download renders on demand, and saving stays fast in tests and on the command line)."""
    if jobs.backend(current_app) == "inline":
        return
    for kind in KINDS:
        request_file(budget, revision, kind, ahead=True)


def plan_new(budget: Budget, revision: Revision) -> list[int]:
    """A revision being saved (flushed, not yet committed): its files as rows of the same transaction, planned,
    so the save commits once and no file is missing for a moment. No one can ask for a revision that is not
    committed, so no other request makes these rows. Returns the rows' ids for ``send`` after the commit."""
    if jobs.backend(current_app) == "inline":
        return []
    meta, now = meta_for(budget, revision), utcnow()
    rows = [AnnexFile(revision_id=revision.id, kind=kind, issue=1) for kind in KINDS]
    for row in rows:
        _queue(row, meta, now, ahead=True)
    db.session.add_all(rows)
    db.session.flush()
    return [row.id for row in rows]


def send(row_ids: list[int]) -> None:
    """Start the jobs of rows ``plan_new`` made, once their transaction is committed (Redis down: in this
    process; should even that fail, they stay planned and are sent again when asked for)."""
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


def reissue(budget: Budget, before: tuple, note: str = REISSUE_NOTE) -> list[tuple[int, int]]:
    """After the contract details change: each approved revision's issued file that prints other details than
    now gets a new issue (a row of its own, made ahead); the issued files stay as they are. A file not issued yet
    is simply made with the new details. ``before``: what a file printed of the contract before the change
    (``contract_printed``). Returns (revision number, newest issue) for each revision re-issued."""
    ahead = jobs.backend(current_app) != "inline"
    now, made, rows = utcnow(), {}, []
    for revision in budget.revisions:
        if revision.status != "approved":
            continue
        for kind in KINDS:
            issued = _row(revision, kind, lock=True)
            if issued is None or issued.issued_at is None:
                continue
            if issued.meta_json is None:
                issued.meta_json = _printed_before(budget, revision, issued.issue, before).to_json()
            meta = _meta(budget, revision, kind, issued.issue + 1, note)
            if _contract(AnnexMeta.from_json(issued.meta_json)) == _contract(meta):
                continue
            row = AnnexFile(revision_id=revision.id, kind=kind, issue=issued.issue + 1, note=note)
            _queue(row, meta, now, ahead)
            db.session.add(row)
            rows.append(row)
            made[revision.number] = max(made.get(revision.number, 0), row.issue)
    try:
        db.session.commit()
    except IntegrityError:          # another request re-issued them a moment ago
        db.session.rollback()
        return []
    for row_id in [row.id for row in rows]:
        _send(row_id)
    return sorted(made.items())


def contract_saved(reissued: list[tuple[int, int]]) -> str:
    """What the purchaser is told on saving contract details: which approved files were issued anew."""
    if not reissued:
        return "已保存合同信息，附件将按此打印"
    return "已保存合同信息。" + "；".join(
        f"已审核的修订 {number} 的附件另行出具第 {issue} 版（印新的合同信息），"
        f"已出具的第 {'1' if issue == 2 else f'1–{issue - 1}'} 版不变，仍可在预算页下载" for number, issue in reissued)


def _contract(meta: AnnexMeta) -> tuple:
    return meta.contract_no, meta.purchaser, meta.contractor


def contract_printed(budget: Budget) -> tuple:
    """What a file made now prints of the contract: its number, 甲方 and 乙方 (read before saving new ones)."""
    return (budget.contract_no, *parties(budget))


def _printed_before(budget: Budget, revision: Revision, issue: int, before: tuple) -> AnnexMeta:
    """What a file issued before what a file prints was stored with it (06a89ddef02d; migration 8ea0ef91b8b1 fills
    those it finds) printed: the contract details ``before`` this save. Until that release saving them made every
    file again, and since then each save that changed them issued it anew, so its details lasted until now."""
    contract_no, party_a, party_b = before
    return replace(meta_for(budget, revision, issue), contract_no=contract_no, purchaser=party_a, contractor=party_b,
                   verify_url=None, corrections=())


def issues(revision: Revision) -> list[AnnexFile]:
    """The issued files of an approved revision, by kind and issue, when there is more than the first ([] else)."""
    rows = db.session.scalars(select(AnnexFile).where(AnnexFile.revision_id == revision.id,
                                                      AnnexFile.issued_at.is_not(None))
                              .order_by(AnnexFile.kind, AnnexFile.issue)).all()
    return rows if any(row.issue > 1 for row in rows) else []


def issued(revision: Revision) -> list[AnnexFile]:
    """Every issued file of a revision (content not loaded), by kind and issue."""
    return list(db.session.scalars(select(AnnexFile).where(AnnexFile.revision_id == revision.id,
                                                           AnnexFile.issued_at.is_not(None))
                                   .order_by(AnnexFile.kind, AnnexFile.issue)))


def _replaced(revision: Revision) -> bool:
    """A draft that a newer revision of its budget has replaced (it is rendered only if someone asks)."""
    return revision.status == "draft" and revision.budget.latest.id != revision.id


def _runner() -> str:
    return f"{socket.gethostname()} {os.getpid()} {jobs.current_run()}"


def _gone(row: AnnexFile, now: datetime) -> bool:
    """Whether the job running ``row`` died: it is silent too long, or it ran in a process of this machine that
    is no more (a pool process killed under a Celery worker: its job is given out again at once)."""
    beat = row.heartbeat_at or row.updated_at
    if beat is None or as_utc(beat) < now - LOST:
        return True
    host, _, rest = (row.runner or "").partition(" ")
    pid = rest.partition(" ")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) <= 0:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:                 # (someone else's process: alive)
        return False
    return False


@contextmanager
def _heartbeat(row_id: int):
    """While a render runs, its row says every HEARTBEAT seconds that its job is alive, from a connection of its
    own (a job run inline, in the caller, has nobody to tell)."""
    if jobs.backend(current_app) == "inline":
        yield
        return
    engine, stop, table = db.engine, threading.Event(), AnnexFile.__table__

    def beat() -> None:
        while not stop.wait(HEARTBEAT):
            try:
                with engine.begin() as connection:
                    connection.execute(update(table).where(table.c.id == row_id, table.c.status == "running")
                                       .values(heartbeat_at=utcnow()))
            except Exception:       # the database is away: the render goes on, and the silence is judged later
                log.warning("annex row %s: heartbeat not recorded", row_id, exc_info=True)
    thread = threading.Thread(target=beat, name=f"costing-heartbeat-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)


def _gave_up(row_id: int, reason: str) -> None:
    """The job could not reach the database after its tries: the row says so (once the database is back)."""
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is not None and row.status in WAITING:
        row.status, row.error, row.updated_at = "failed", reason, utcnow()
        db.session.commit()


@jobs.task("annex", give_up=_gave_up, timed=True)
def render_job(row_id: int) -> None:
    """Render one annex file for what its row asks, as stored with it (skipped when it no longer asks, is done,
    or another live job is making it). A lost database reaches ``jobs.run``, which tries again."""
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is None or row.status not in WAITING or not row.meta_json:     # (no meta_json: queued before it was kept)
        db.session.rollback()
        return
    now = utcnow()
    if row.status == "running" and not (row.runner or "").endswith(f" {jobs.current_run()}"):    # not its own earlier try
        if not _gone(row, now):
            db.session.rollback()       # another process is making it
            return
        row.attempts += 1
        row.error = LOST_ERROR
        if row.attempts >= ATTEMPTS:
            row.status, row.updated_at = "failed", now
            db.session.commit()
            return
    revision = db.session.get(Revision, row.revision_id)
    if row.status == "planned" and _replaced(revision):      # nobody asked, and a newer revision is being made
        db.session.delete(row)          # asked for later, it is queued again (and then rendered)
        db.session.commit()
        return
    meta, wanted, kind = AnnexMeta.from_json(row.meta_json), row.meta_key, row.kind
    row.status, row.updated_at, row.heartbeat_at, row.runner = "running", now, now, _runner()
    db.session.commit()
    result = result_of(revision)
    db.session.commit()             # no transaction (nor connection) held through the render
    with _heartbeat(row_id):
        try:
            content = KINDS[kind][1](result, meta)
            error = None
        except RefusedURL as exc:
            content, error = None, f"附件引用了不允许的资源（{exc}）"
        except Exception as exc:        # a render that fails is reported on its row, in words, and retried
            current_app.logger.exception("annex render failed")
            content, error = None, f"生成时出错（{exc.__class__.__name__}），详情见服务器日志"
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is None or row.meta_key != wanted or row.status == "done" or (content is None and row.status == "failed"):
        db.session.rollback()           # (said failed meanwhile, past its time: it stays so unless this made it)
        return
    now = utcnow()
    row.updated_at = row.heartbeat_at = now
    if content is not None:
        row.content, row.status, row.error = content, "done", None
        if meta.status == "approved":
            row.issued_at = now         # issued: from now on served as it is, never rendered again
    else:
        row.attempts += 1
        row.error = error
        row.status = "queued" if row.attempts < ATTEMPTS else "failed"
        row.sent_at = now
    again = row.attempts if row.status == "queued" else 0
    db.session.commit()
    if again:
        jobs.dispatch("annex", row_id, countdown=RETRY_DELAY * again)


@jobs.lost("annex")
def render_lost(row_id: int, why: str) -> None:
    """The process rendering a row stopped before it answered (past its memory cap, or killed), or the render was
    stopped past its time (``why`` says which): the row says so and is not tried again by itself, as it would stop
    the same way; 重新生成 starts it over."""
    row = db.session.get(AnnexFile, row_id, with_for_update=True)
    if row is None or row.status != "running":
        db.session.rollback()
        return
    row.status, row.error, row.attempts, row.updated_at = "failed", why, row.attempts + 1, utcnow()
    db.session.commit()


def filename(revision: Revision, kind: str, issue: int = 1) -> str:
    # the name in this revision, not a later draft's; without characters a name may no longer hold (one saved
    # before the rule could still carry a right-to-left override into the file name)
    project = without_invisible(result_of(revision).project_name)
    state = "" if revision.status == "approved" else "-草稿"
    return f"{project}-预算明细表-修订{revision.number}{state}{f'-第{issue}版' if issue > 1 else ''}.{kind}"


def download(budget: Budget, revision: Revision, kind: str, issue: int | None = None):
    """The stored file (the latest issue, or the one asked for), or the page that waits for it (202), or why it
    failed."""
    row = None
    if issue is not None:
        row = _row(revision, kind, issue=issue)
        if row is None or (row.issued_at is None and row.id != _row(revision, kind).id):
            abort(404)
        if row.issued_at is None:
            row = None                  # not issued: the current file, made for what it should print now
    row = row or request_file(budget, revision, kind)
    if row.status == "done":
        content = db.session.scalar(select(AnnexFile.content).where(AnnexFile.id == row.id))
        number = row.issue
        name = filename(revision, kind, number)         # (read before the commit below expires what it reads)
        accounts.record("export", f"budget:{budget.id}",
                        f"修订 {revision.number} 附件 {kind.upper()}" + (f" 第 {number} 版" if number > 1 else ""))
        db.session.commit()
        fallback = (f"budget-{budget.id}-revision-{revision.number}{'' if revision.status == 'approved' else '-draft'}"
                    f"{f'-issue-{number}' if number > 1 else ''}.{kind}")
        return attachment(content, KINDS[kind][0], name, fallback)
    return render_template("budgets/annex_wait.html", budget=budget, revision=revision, kind=kind,
                           label=LABELS[kind], row=row), 202 if row.status != "failed" else 500


def tried(row: AnnexFile) -> str:
    return f"（已尝试 {row.attempts} 次）" if row.attempts else ""


def status(budget: Budget, revision: Revision, kind: str):
    """What the waiting page polls: {status, message, url} (no render; a waiting job is looked after)."""
    row = request_file(budget, revision, kind)
    queued = f"排队等待重新生成…（{tried(row)[1:-1]}，上次：{row.error}）" if row.attempts and row.error else "排队等待生成…"
    messages = {"planned": "排队等待生成…", "queued": queued, "running": "正在生成…", "done": "已生成，正在下载",
                "failed": f"生成失败：{row.error or '原因不明'}{tried(row)}"}
    return jsonify(status=row.status, message=messages[row.status],
                   url=url_for("budgets.annex", budget_id=budget.id, kind=kind, revision=revision.number))
