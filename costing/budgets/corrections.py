"""Corrections followed into the budgets they priced. A confirmed figure that a second administrator later
corrects as wrong stays in every revision priced with it: each such revision that can still matter is listed with
the difference the correction makes, a draft or a submitted one goes forward only recomputed (a new revision) or
with a written decision to keep its figures, and an approved one is flagged to its purchaser.

Which figures a revision was priced with is kept beside it when it is saved (``revision_figure``: the family,
region, start and value of each figure its result cites), so the revisions priced with a figure are found by one
query, never by reading stored results. Confirming a correction (``follow``) lists, from that table, every approved
revision and every budget's latest revision that is a draft or submitted, priced with the figure the correction
replaces or with an earlier figure of the same chain of corrections. Each is priced again with today's confirmed
set and with that set holding the wrong figure instead: the difference is the correction's alone, whatever else
changed since the revision was saved. A figure corrected only in its citation (the same value from the same day)
is no correction of the figure: nothing is listed.

Stored annexes never change: the page, and annexes issued after the correction, say that the figure was later
corrected (``later_corrections``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from .. import jobs
from ..clock import as_utc
from ..engine.budget import compute
from ..engine.money import fmt_rate
from ..engine.parameters import ParameterSet
from ..engine.parse import InputError, parse_budget
from ..engine.text import free_text_problem
from ..models import Budget, ParamState, ParamValue, Revision, RevisionCorrection, RevisionFigure, db, utcnow
from ..results import labels
from ..results.corrections import LaterCorrection
from ..results.format import localdate

__all__ = ["figures_of", "changes_figure", "wrong_keys", "priced_with", "preview", "follow", "Followed", "in_force",
           "priced", "price", "price_pending", "dispatch", "progress",
           "rows_of", "undecided", "unfollowed", "ensure", "refuse_stale", "later_corrections", "later", "decide",
           "listed", "flagged", "state", "count_by_correction"]

Key = tuple[str, str, date | None, str]          # family, region, start, value (as fmt_rate writes it)


def _value(text) -> str:
    """A figure's value as matched: "30000.00", "30000" and "3E+4" are one value."""
    return fmt_rate(Decimal(str(text)))


def figures_of(result: dict) -> list[RevisionFigure]:
    """The policy figures a stored result cites (not those the budget states itself), once each."""
    seen: dict[Key, RevisionFigure] = {}
    for p in result.get("parameters") or ():
        if p.get("confidence") == "input" or p.get("origin") == "input":
            continue
        start = date.fromisoformat(p["start"]) if p.get("start") else None
        key = (p["name"], p["region"], start, _value(p["value"]))
        seen.setdefault(key, RevisionFigure(family=key[0], region=key[1], start=key[2], value=key[3]))
    return list(seen.values())


def _key(row: ParamValue) -> Key:
    return row.family_key, row.region, row.start, _value(row.value)


def changes_figure(correction: ParamValue) -> bool:
    """Whether a correction changes the figure itself (its value or the day it applies from), not only its citation
    or its end (which never changes a price: a figure past its end is carried forward)."""
    replaced = correction.replaces
    return replaced is not None and (_key(replaced) != _key(correction))


def _confirmed_keys(keys: set[Key]) -> set[Key]:
    """Those of ``keys`` that a value in force has too (a chain of corrections that came back to a figure)."""
    if not keys:
        return set()
    rows = db.session.scalars(select(ParamValue).where(ParamValue.status == "confirmed", or_(*(
        and_(ParamValue.family_key == f, ParamValue.region == r,
             ParamValue.start.is_(None) if s is None else ParamValue.start == s) for f, r, s, _ in keys))))
    return {_key(row) for row in rows} & keys


def _chain(row: ParamValue | None) -> list[Key]:
    """The figures of ``row`` and of the superseded values it corrected, and they in turn, nearest first."""
    keys, seen = [], set()
    while row is not None and row.id not in seen:
        seen.add(row.id)
        keys.append(_key(row))
        row = row.replaces if row.replaces is not None and row.replaces.status == "superseded" else None
    return keys


def wrong_keys(correction: ParamValue) -> list[Key]:
    """The figures a confirmed correction says were wrong: the one it replaces and the earlier ones of its chain
    (a value corrected twice), each superseded and none in force again; nearest first."""
    replaced = correction.replaces
    if replaced is None or replaced.status != "superseded":
        return []
    keys = [k for k in dict.fromkeys(_chain(replaced)) if k != _key(correction)]
    live = _confirmed_keys(set(keys))
    return [k for k in keys if k not in live]


def _matching(keys: list[Key]):
    return or_(*(and_(RevisionFigure.family == f, RevisionFigure.region == r, RevisionFigure.value == v,
                      RevisionFigure.start.is_(None) if s is None else RevisionFigure.start == s)
                 for f, r, s, v in keys))


def _current():
    """The revisions that can still matter: every approved one, and each budget's latest (a draft or submitted)."""
    return or_(Revision.approved_at.is_not(None), Revision.number == Budget.revision_count)


def priced_with(keys: list[Key]) -> list[tuple[Revision, Key]]:
    """The revisions that can still matter priced with any of ``keys``, each with the first it was priced with."""
    if not keys:
        return []
    rows = db.session.execute(
        select(Revision, RevisionFigure.family, RevisionFigure.region, RevisionFigure.start, RevisionFigure.value)
        .join(RevisionFigure, RevisionFigure.revision_id == Revision.id).join(Budget, Budget.id == Revision.budget_id)
        .where(_matching(keys), _current()).order_by(Revision.id)).all()
    order = {k: i for i, k in enumerate(keys)}
    found: dict[int, tuple[Revision, Key]] = {}
    for revision, *key in rows:
        key = tuple(key)
        if revision.id not in found or order[key] < order[found[revision.id][1]]:
            found[revision.id] = (revision, key)
    return list(found.values())


def preview(row: ParamValue) -> dict[str, int] | None:
    """For a pending correction: how many revisions that can still matter are priced with the figure it would
    replace (or an earlier one of its chain), by state; None when it changes no figure (only its citation)."""
    if row.replaces is None or _key(row.replaces) == _key(row):
        return None
    keys = [k for k in dict.fromkeys(_chain(row.replaces)) if k != _key(row)]
    counts: dict[str, int] = {}
    for revision, _ in priced_with(keys):
        counts[revision.status] = counts.get(revision.status, 0) + 1
    return counts


def _price(data: dict, params: ParameterSet):
    return compute(parse_budget(data, params, reasons_required=False), params).totals.grand_total


@dataclass
class Followed:
    """What confirming a correction found: the rows listed now and those listed before (by an earlier run)."""
    correction: ParamValue
    rows: list[RevisionCorrection]
    new: int

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status_then == status)


def follow(correction: ParamValue, params: ParameterSet | None = None, only: int | None = None) -> Followed:
    """List every revision that can still matter priced with a figure the confirmed ``correction`` replaced (its
    chain included); revisions listed before are kept as they are. The caller commits (with the confirmation, so a
    revision saved meanwhile is either listed or refused: ``refuse_stale``). Listing is one query and an insert a
    revision; pricing them is not (a correction of the social-insurance base can reach every budget), so it is
    ``price``'s, in a background job (``dispatch``) — or at once, with ``params``, for the one revision ``only``."""
    if correction.status != "confirmed" or not changes_figure(correction):
        return Followed(correction, [], 0)
    listed = {r.revision_id: r for r in db.session.scalars(
        select(RevisionCorrection).where(RevisionCorrection.correction_id == correction.id))}
    new = []
    for revision, key in priced_with(wrong_keys(correction)):
        if revision.id in listed or only is not None and revision.id != only:
            continue
        row = RevisionCorrection(revision_id=revision.id, correction_id=correction.id, wrong_start=key[2],
                                 wrong_value=key[3], status_then=revision.status, total_then=revision.grand_total)
        db.session.add(row)
        listed[revision.id] = row
        new.append(row)
    db.session.flush()
    if params is not None and new:
        price(new, params)
    return Followed(correction, sorted(listed.values(), key=lambda r: r.revision_id), len(new))


def priced(row: RevisionCorrection) -> bool:
    return row.priced_at is not None


def price(rows: list[RevisionCorrection], params: ParameterSet) -> int:
    """Price listed rows not yet priced: each revision's input with today's confirmed set ``params`` (which holds
    the correction) and with that set holding the wrong figure instead. A row is written only if it is still
    unpriced (a conditional UPDATE: two jobs on one correction price each row once). Returns how many it priced."""
    wrong_sets: dict[tuple, ParameterSet] = {}
    done = 0
    for row in rows:
        correction = row.correction
        if priced(row) or correction.status != "confirmed":
            continue            # (a correction corrected again: its own correction is followed through instead)
        key = (row.wrong_start, row.wrong_value)
        if key not in wrong_sets:
            wrong_sets[key] = params.with_figure(correction.family_key, correction.region, correction.start,
                                                 Decimal(row.wrong_value), row.wrong_start)
        values = {"priced_at": utcnow()}
        data = _input(row.revision)
        try:
            values["total_corrected"] = _price(data, params)
            values["total_wrong"] = _price(data, wrong_sets[key])
        except InputError as exc:
            values["problem"] = "；".join(f"{labels.place(p.path)}：{p.message}" for p in exc.problems)[:500]
        moved = db.session.execute(update(RevisionCorrection).where(
            RevisionCorrection.id == row.id, RevisionCorrection.priced_at.is_(None)).values(**values)
            .execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            done += 1
        db.session.refresh(row)
    return done


BATCH = 25          # rows priced between two commits of the job


def price_pending(correction_id: int, params: ParameterSet) -> int:
    """Price every listed row of a correction not yet priced, committing a batch at a time (the job's work)."""
    done = 0
    while True:
        rows = list(db.session.scalars(select(RevisionCorrection).where(
            RevisionCorrection.correction_id == correction_id, RevisionCorrection.priced_at.is_(None))
            .order_by(RevisionCorrection.id).limit(BATCH)))
        if not rows or rows[0].correction.status != "confirmed":
            return done
        done += price(rows, params)
        db.session.commit()


@jobs.task("correction_prices")
def price_job(correction_id: int) -> None:
    """The background job that prices what confirming a correction listed (with the confirmed set of now)."""
    price_pending(correction_id, current_app.extensions["costing_params"].get(db.session))


STALLED = timedelta(seconds=60)     # no row of a correction priced for this long while some wait: send the job again


def dispatch(correction_id: int) -> None:
    """Start pricing a correction's listed rows (after the listing is committed)."""
    jobs.dispatch("correction_prices", correction_id)


def progress(correction_id: int) -> tuple[int, int]:
    """(priced, listed) of a correction's rows; a job that seems to have stopped is sent again (one lost with its
    process: its work is idempotent, and a row is priced once)."""
    listed, done, last, first = db.session.execute(
        select(func.count(), func.count(RevisionCorrection.priced_at), func.max(RevisionCorrection.priced_at),
               func.min(RevisionCorrection.found_at)).where(RevisionCorrection.correction_id == correction_id)).one()
    if done < listed:
        now = utcnow()
        if as_utc(max(filter(None, (last, first)))) < now - STALLED:
            dispatch(correction_id)
    return done, listed


def _input(revision: Revision) -> dict:
    return json.loads(revision.input_json)


def in_force() -> list[ParamValue]:
    """Every confirmed correction that changes a figure (those still in force: one corrected again is followed
    through by its own correction)."""
    rows = db.session.scalars(select(ParamValue).where(ParamValue.status == "confirmed",
                                                       ParamValue.replaces_id.is_not(None)).order_by(ParamValue.id))
    return [row for row in rows if changes_figure(row)]


# -- a revision's corrections --------------------------------------------------------------------------------

def rows_of(revision: Revision) -> list[RevisionCorrection]:
    """The corrections in force listed for a revision (newest first)."""
    return list(db.session.scalars(
        select(RevisionCorrection).join(ParamValue, ParamValue.id == RevisionCorrection.correction_id)
        .where(RevisionCorrection.revision_id == revision.id, ParamValue.status == "confirmed")
        .order_by(RevisionCorrection.id.desc())))


def undecided(revision: Revision) -> list[RevisionCorrection]:
    """The corrections listed for a revision that nobody has decided about (it goes forward only recomputed, or
    with a written decision to keep its figures)."""
    return [r for r in rows_of(revision) if r.decided_at is None]


def unfollowed(revision: Revision) -> list[ParamValue]:
    """Corrections in force of a figure the revision was priced with that have not listed it: one confirmed while
    the revision was being saved, or before corrections were followed through (``flask costing corrections`` lists
    those). One query when the revision was priced with no figure since superseded, as nearly every one is."""
    suspects = db.session.scalars(select(ParamValue).join(RevisionFigure, and_(
        RevisionFigure.family == ParamValue.family_key, RevisionFigure.region == ParamValue.region,
        or_(RevisionFigure.start == ParamValue.start, and_(RevisionFigure.start.is_(None), ParamValue.start.is_(None)))))
        .where(RevisionFigure.revision_id == revision.id, ParamValue.status == "superseded")).all()
    if not suspects:
        return []
    figures = {(f.family, f.region, f.start, f.value) for f in db.session.scalars(
        select(RevisionFigure).where(RevisionFigure.revision_id == revision.id))}
    if not figures & {_key(row) for row in suspects}:
        return []
    listed = {r.correction_id for r in db.session.scalars(
        select(RevisionCorrection).where(RevisionCorrection.revision_id == revision.id))}
    return [c for c in in_force() if c.id not in listed and figures & set(wrong_keys(c))]


def ensure(revision: Revision, params: ParameterSet) -> bool:
    """List the revision under each correction in force that has not listed it yet (see ``unfollowed``), and price
    what is listed of it and not yet priced, with today's confirmed set ``params`` (a page shows its own
    difference at once, whatever the job has reached). True when it changed anything (the caller commits)."""
    found = unfollowed(revision)
    for correction in found:
        follow(correction, params, only=revision.id)
    waiting = [row for row in rows_of(revision) if not priced(row)]
    return bool(found) | bool(waiting and price(waiting, params))


def refuse_stale(revision: Revision) -> ParamValue | None:
    """A revision just written (flushed) priced with a figure a correction in force replaced: it was priced with
    the set before a correction that was confirmed while it was being saved. Returns that correction (the caller
    refuses the save), else None. On PostgreSQL this waits for a correction being confirmed to commit (the lock
    every parameter change takes; a share lock, so saves do not wait for one another); on SQLite the write just
    made already waits for it."""
    db.session.execute(select(ParamState.id).where(ParamState.id == 1).with_for_update(read=True))
    found = unfollowed(revision)
    return found[0] if found else None


def later_corrections(revision: Revision, params: ParameterSet | None = None) -> list[LaterCorrection]:
    """What the page and the annexes issued after a correction say of each figure of the revision later corrected;
    with ``params`` (today's confirmed set), a row the background job has not priced yet is priced first (an annex
    issued now must print the amount, not that it is being worked out)."""
    rows = rows_of(revision)
    waiting = [row for row in rows if not priced(row)]
    if params is not None and waiting:
        price(waiting, params)
    return [later(row) for row in rows]


def later(row: RevisionCorrection) -> LaterCorrection:
    c = row.correction
    delta = row.delta
    return LaterCorrection(
        family=c.family_key, label=c.family.label, unit=c.family.unit, region=c.region,
        wrong_start=row.wrong_start.isoformat() if row.wrong_start else None, wrong_value=row.wrong_value,
        corrected_start=c.start.isoformat() if c.start else None, corrected_value=c.value,
        confirmed_on=localdate(c.reviewed_at), reason=c.note or "",
        delta=None if delta is None else str(delta), pending=not priced(row),
        kept=f"{row.reason}（{row.decided_by.display_name}，{localdate(row.decided_at)}）" if row.decided_at else None)


def decide(revision: Revision, row_id: int, user, reason: str) -> RevisionCorrection:
    """Keep the revision's figures despite a correction, for the reason given (the caller has claimed the budget)."""
    row = next((r for r in undecided(revision) if r.id == row_id), None)
    if row is None:
        raise ValueError("这项参数更正已处理或不属于本修订，请刷新页面")
    reason = " ".join((reason or "").split())
    problem = free_text_problem(reason)
    if problem:
        raise ValueError(f"理由{problem}（未保存）")
    if not reason:
        raise ValueError("请写明为何按原数值继续（如：已与承接主体约定按签订时的标准执行），审核人与采购人将看到它")
    row.reason, row.decided_by_id, row.decided_at = reason[:500], user.id, utcnow()
    return row


# -- lists ------------------------------------------------------------------------------------------------------

def listed(visible, correction_id: int | None = None) -> list[RevisionCorrection]:
    """The listed rows of corrections in force, of the budgets ``visible`` (a WHERE clause) lets the user see."""
    query = (select(RevisionCorrection).join(Revision, Revision.id == RevisionCorrection.revision_id)
             .join(Budget, Budget.id == Revision.budget_id)
             .join(ParamValue, ParamValue.id == RevisionCorrection.correction_id)
             .where(visible, ParamValue.status == "confirmed")
             .options(joinedload(RevisionCorrection.decided_by),          # what each row shows, in a few queries
                      joinedload(RevisionCorrection.revision).joinedload(Revision.budget)
                      .options(joinedload(Budget.organisation), selectinload(Budget.revisions)))
             .order_by(RevisionCorrection.correction_id.desc(), Budget.name, Revision.number))
    if correction_id is not None:
        query = query.where(RevisionCorrection.correction_id == correction_id)
    return list(db.session.scalars(query))


def flagged(budget_ids: list[int]) -> dict[int, list[RevisionCorrection]]:
    """For a list of budgets: the rows of corrections in force that still ask something of the purchaser, by
    budget: the newest approved revision priced with a corrected figure (until a later revision is approved), or
    the latest draft or submitted revision not yet decided about."""
    if not budget_ids:
        return {}
    later = aliased(Revision)
    rows = db.session.execute(
        select(RevisionCorrection, Revision.budget_id).join(Revision, Revision.id == RevisionCorrection.revision_id)
        .join(Budget, Budget.id == Revision.budget_id)
        .join(ParamValue, ParamValue.id == RevisionCorrection.correction_id)
        .where(Revision.budget_id.in_(budget_ids), ParamValue.status == "confirmed", or_(
            and_(Revision.approved_at.is_not(None), ~exists().where(
                later.budget_id == Revision.budget_id, later.number > Revision.number, later.approved_at.is_not(None))),
            and_(Revision.number == Budget.revision_count, RevisionCorrection.decided_at.is_(None))))).all()
    found: dict[int, list[RevisionCorrection]] = {}
    for row, budget_id in rows:
        found.setdefault(budget_id, []).append(row)
    return found


def state(row: RevisionCorrection) -> str:
    """Where a listed revision stands, in words."""
    revision = row.revision
    latest = revision.budget.revision_count
    if revision.approved_at is not None:
        newer = max((r.number for r in revision.budget.revisions if r.approved_at and r.number > revision.number),
                    default=None)
        if newer:
            return f"已审核；此后修订 {newer} 已审核"
        return "已审核：数字与已出具的附件不变；调整合同金额须按更正后的数值另行编制修订，出具补充附件"
    if revision.number != latest:
        return f"已由修订 {latest} 取代（重新测算或修改后保存）"
    if row.decided_at is not None:
        return f"已说明按原数值继续：{row.reason}（{row.decided_by.display_name}，{localdate(row.decided_at)}）"
    if revision.status == "submitted":
        return "待审核人处理：退回由编制人重新测算，或写明按原数值审核的理由"
    return "待编制人处理：按最新参数重新测算，或写明按原数值继续的理由"


def count_by_correction(visible, correction_ids: set[int]) -> dict[int, int]:
    """How many revisions each of these corrections listed, of those ``visible`` lets the user see."""
    rows = db.session.execute(
        select(RevisionCorrection.correction_id, func.count()).join(Revision, Revision.id == RevisionCorrection.revision_id)
        .join(Budget, Budget.id == Revision.budget_id)
        .where(visible, RevisionCorrection.correction_id.in_(correction_ids))
        .group_by(RevisionCorrection.correction_id)).all()
    return dict(rows)


