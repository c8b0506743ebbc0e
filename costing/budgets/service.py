"""Budget workflow: saving revisions, submitting, approving, returning, sharing, recomputing with newer
parameters. Views call these; these call the engine; nothing here computes money itself. Services take
what they work with (the parameter set, the user) as arguments. Other features use this module (and
only this module) of the budgets package."""
from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts import service as accounts
from ..annex.render import AnnexMeta
from ..engine.budget import compute
from ..engine.parameters import ParameterSet
from ..engine.parse import InputError, Problem, parse_budget
from ..engine.result import change, to_json
from ..engine.text import free_text_problem, without_invisible
from ..models import AnnexFile, Budget, BudgetShare, Organisation, Revision, RevisionException, User, db, utcnow
from ..results import labels
from ..results.budget import Basis, BudgetResult
from ..results.compare import Comparison, basis_changes, compare, recalculation_note
from ..results.format import figure
from ..results.verification import verification_code
from . import corrections
from .access import (
    can_approve,
    can_create,
    can_edit,
    can_see,
    is_contractor,
    load_budget,
    shared_numbers,
    shared_revision,
    visible_to,
)

__all__ = ["InputError", "Conflict", "WorkflowError", "compute_contract", "create_budget", "save_revision",
           "duplicate", "delete_draft", "submit", "approve", "return_for_changes", "share", "unshare",
           "policy_change", "recompute", "revision_of", "result_of", "input_of",
           "compare_revisions", "find_by_code", "load_budget", "visible_to", "can_see", "can_create", "can_edit", "can_approve", "is_contractor",
           "shared_revision", "shared_numbers", "shared_with", "share_offer", "previous_return", "readable_revision",
           "name_seen_by", "justify",
           "unjustified_errors", "parties", "set_contract", "copied_from", "verification", "Verification",
           "follow_correction", "price_correction", "price_correction_now", "correction_progress", "correction_preview", "corrections_of", "correction_later", "later_corrections",
           "decide_correction",
           "corrected_budgets", "corrections_flagged", "correction_state", "corrections_in_force", "changes_figure",
           "corrections_listed"]


class WorkflowError(Exception):
    """An action that the budget's state does not allow; the message is shown to the user."""


@dataclass
class Conflict(Exception):
    """Someone saved a newer revision since this form was opened."""
    latest: Revision


@dataclass(frozen=True)
class Computed:
    input: dict
    result: dict
    parameter_set: str
    grand_total: Decimal
    personnel_total: Decimal
    error_count: int


def _note(note: str | None) -> str:
    """A revision's note, checked by the text rule (refused at its field, as the form does)."""
    problem = free_text_problem(note or "")
    if problem:
        raise InputError([Problem("note", problem)])
    return (note or "").strip()


def _problems_said(exc: InputError) -> str:
    """An InputError's problems in one line, each where it is (for a message shown at the top of a page)."""
    return "；".join(f"{labels.place(p.path)}：{p.message}" for p in exc.problems)


def compute_contract(data: dict, params: ParameterSet, reasons_required: bool = True) -> Computed:
    """Validate and compute contract input; raises InputError with field paths."""
    result = compute(parse_budget(data, params, reasons_required=reasons_required), params)
    return Computed(input=data, result=to_json(result), parameter_set=params.version,
                    grand_total=result.totals.grand_total, personnel_total=result.totals.personnel,
                    error_count=result.error_count)


# -- reading revisions -------------------------------------------------------------------------------

def revision_of(budget: Budget, number: int | None) -> Revision | None:
    """The numbered revision (the latest for None), or None if the budget has no such revision."""
    if number is None:
        return budget.latest
    return next((r for r in budget.revisions if r.number == number), None)


def readable_revision(user: User, budget: Budget, number: int | None) -> Revision | None:
    """The revision this user may read: any of their own organisation's (the latest for None); for a
    contractor only the revisions shared with it (the newest of them for None) — any other number is None (a 404)."""
    if is_contractor(user):
        if number is None:
            return shared_revision(budget, user.organisation_id)
        return revision_of(budget, number) if number in shared_numbers(budget, user.organisation_id) else None
    return revision_of(budget, number)


def shared_with(budget: Budget) -> list[tuple[Organisation, list[BudgetShare]]]:
    """Each contractor the budget is shared with (by name) and the shares of its revisions (by number)."""
    by_contractor: dict[int, list[BudgetShare]] = {}
    for item in budget.shares:
        by_contractor.setdefault(item.contractor_id, []).append(item)
    groups = [(items[0].contractor, sorted(items, key=lambda s: s.revision_number)) for items in by_contractor.values()]
    return sorted(groups, key=lambda group: group[0].name)


def share_offer(budget: Budget, number: int) -> list[Organisation]:
    """The contractors the budget is shared with that do not have revision ``number`` yet and are not deactivated
    (approving it offers to share it with them)."""
    return [contractor for contractor, items in shared_with(budget)
            if contractor.active and number not in {s.revision_number for s in items}]


def previous_return(budget: Budget, revision: Revision) -> Revision | None:
    """The latest revision before ``revision`` that an approver sent back (what a resubmission answers)."""
    returned = [r for r in budget.revisions if r.number < revision.number and r.returned_at is not None]
    return returned[-1] if returned else None


def name_seen_by(user: User, budget: Budget, revision: Revision | None = None) -> str:
    """The budget's name as this user may know it: its current name for the purchaser (and administrators);
    for a contractor, the name in the revision it reads, or in ``revision`` (the one a roster was checked
    against). A name given in a later draft is the purchaser's."""
    if not is_contractor(user):
        return budget.name
    shown = revision or shared_revision(budget, user.organisation_id)
    return result_of(shown).project_name if shown is not None else "（已取消共享的预算）"


class Kept:
    """What a process keeps of things that never change once made (a revision's read result, its page tables), the
    ``size`` most recently used, shared by the process's threads. A value is made outside the lock (two threads may
    both make it; either copy is right)."""

    def __init__(self, size: int):
        self.size, self._lock, self._items = size, threading.Lock(), OrderedDict()

    def get(self, key, make):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_RESULTS = Kept(64)


def result_key(revision: Revision) -> tuple[int, str]:
    """What names a revision's stored result in a process's memory: its id and its verification code, which is a
    digest of the stored result and of the budget and revision number (an id used again — SQLite, a deleted draft
    — for other figures has another code). Neither needs the stored text itself, which for a 5,000-line budget is
    megabytes. (A revision without a code, from before codes: a digest of the text.)"""
    if revision.verify_code:
        return revision.id, revision.verify_code
    return revision.id, hashlib.blake2b(revision.result_json.encode("utf-8"), digest_size=16).hexdigest()


def result_of(revision: Revision) -> BudgetResult:
    """The revision's stored result, read. A revision's result never changes, so each process keeps the last
    ones read (``result_key``); a kept result is shared between requests, and only read."""
    return _RESULTS.get(result_key(revision), lambda: BudgetResult(json.loads(revision.result_json)))


def input_of(revision: Revision) -> dict:
    return json.loads(revision.input_json)


def compare_revisions(old: Revision, new: Revision) -> Comparison:
    return compare(input_of(old), result_of(old), input_of(new), result_of(new))


def find_by_code(code: str) -> Revision | None:
    """The revision an annex's verification code belongs to (anyone may ask: /verify)."""
    return db.session.scalar(select(Revision).where(Revision.verify_code == code))


@dataclass(frozen=True)
class Issued:
    """One issued annex of a revision, as it printed its contract details."""
    issue: int
    contract_no: str | None
    party_a: str | None
    party_b: str | None
    issued_at: object


@dataclass(frozen=True)
class Verification:
    """What the public verify page shows of a revision: only what that revision's own annex prints (its name,
    parties, period and total; its status, approver and date), never anything of a later revision."""
    number: int
    project_name: str
    district: str
    period: str
    purchaser: str
    party_a: str
    party_b: str | None
    contract_no: str | None
    grand_total: Decimal
    amount_in_words: str
    status: str
    status_label: str
    approved_by: str | None
    approved_at: object
    created_at: object
    returned: bool = False
    # the issued annexes (an approved revision's file is issued once; new contract details are another issue):
    # what each printed; none when no annex of the revision has been issued yet
    issues: tuple[Issued, ...] = ()


def _issued(revision: Revision) -> tuple[Issued, ...]:
    """What each issued PDF annex of the revision printed (the contract details stored with it), by issue. A file
    issued before they were stored (06a89ddef02d) and not read since (migration 8ea0ef91b8b1, or a contract save:
    ``annexes.reissue``) printed the budget's contract details, which have not changed since it was issued."""
    rows = db.session.execute(select(AnnexFile.issue, AnnexFile.meta_json, AnnexFile.issued_at).where(
        AnnexFile.revision_id == revision.id, AnnexFile.kind == "pdf", AnnexFile.issued_at.is_not(None))
        .order_by(AnnexFile.issue)).all()
    issued = []
    for issue, meta_json, issued_at in rows:
        if meta_json is None:
            issued.append(Issued(issue, revision.budget.contract_no, *parties(revision.budget), issued_at))
            continue
        meta = AnnexMeta.from_json(meta_json)
        issued.append(Issued(issue, meta.contract_no, meta.purchaser, meta.contractor, issued_at))
    return tuple(issued)


def verification(revision: Revision) -> Verification:
    """What the verify page shows: the revision's own figures; for an approved revision whose annex was issued,
    the contract details as the issued annex printed them (later changes to the budget's contract details or its
    sharing do not change what a signed annex said)."""
    budget, result = revision.budget, result_of(revision)
    party_a, party_b = parties(budget)
    issues = _issued(revision) if revision.status == "approved" else ()
    contract_no = budget.contract_no
    if issues:
        party_a, party_b, contract_no = issues[0].party_a, issues[0].party_b, issues[0].contract_no
    return Verification(number=revision.number, project_name=result.project_name, district=result.district,
                        period=result.period, purchaser=budget.organisation.name, party_a=party_a, party_b=party_b,
                        contract_no=contract_no, grand_total=result.totals.grand_total,
                        amount_in_words=result.amount_in_words, status=revision.status,
                        status_label=revision.status_label,
                        approved_by=revision.approved_by.display_name if revision.approved_by else None,
                        approved_at=revision.approved_at, created_at=revision.created_at,
                        returned=revision.returned_at is not None and revision.status == "draft", issues=issues)


# -- saving --------------------------------------------------------------------------------------------

def _revision(budget: Budget, number: int, user: User, computed: Computed, note: str) -> Revision:
    if budget.id is None:
        db.session.add(budget)
        db.session.flush()          # the code includes the budget's id
    return Revision(budget=budget, number=number, author_id=user.id, note=(note or "").strip()[:500],
                    verify_code=verification_code(computed.result, f"budget:{budget.id}:revision:{number}"),
                    input_json=json.dumps(computed.input, ensure_ascii=False),
                    result_json=json.dumps(computed.result, ensure_ascii=False),
                    parameter_set=computed.parameter_set, grand_total=computed.grand_total,
                    personnel_total=computed.personnel_total, error_count=computed.error_count,
                    status="draft", figures=corrections.figures_of(computed.result))


def _not_stale(revision: Revision) -> None:
    """Refuse a revision priced with a figure that a correction confirmed while it was being saved (it would be
    missing from the correction's list): nothing is saved, and saving again prices it with the correction."""
    corrected = corrections.refuse_stale(revision)
    if corrected is not None:
        message = (f"保存时政策参数刚刚更正（{corrected.family.label} {labels.region(corrected.region)}），本次未保存；"
                   f"您填写的内容仍在，请再保存一次，将按更正后的数值测算")
        db.session.rollback()
        raise WorkflowError(message)


def _summarise(budget: Budget, computed: Computed) -> None:
    project = computed.input["project"]
    budget.name = project["name"].strip()
    budget.district = computed.result["project"]["district"]
    budget.start, budget.end = computed.result["project"]["start"], computed.result["project"]["end"]
    budget.grand_total = computed.grand_total
    budget.error_count = computed.error_count
    budget.updated_at = utcnow()


def create_budget(user: User, data: dict, params: ParameterSet, note: str = "",
                  reasons_required: bool = True) -> Budget:
    note = _note(note)
    computed = compute_contract(data, params, reasons_required)
    budget = Budget(organisation_id=user.organisation_id, created_by_id=user.id, status="draft",
                    revision_count=1)
    _summarise(budget, computed)
    db.session.add(budget)
    first = _revision(budget, 1, user, computed, note or "新建")
    db.session.add(first)
    db.session.flush()
    _not_stale(first)
    accounts.record("create", f"budget:{budget.id}", budget.name, user=user)
    return budget


def save_revision(budget: Budget, user: User, data: dict, params: ParameterSet, note: str, base_number: int,
                  reasons_required: bool = True) -> Revision:
    """A new immutable revision, unless someone saved since ``base_number`` (then Conflict)."""
    if budget.status == "submitted":
        raise WorkflowError("预算已提交审核，审核通过或退回后才能修改")
    note = _note(note)
    latest = budget.latest
    unchanged = latest.number == base_number and data == input_of(latest)
    if unchanged and params.version == latest.parameter_set:
        raise WorkflowError(f"没有修改：内容与修订 {latest.number} 相同，未生成新的修订")
    computed = compute_contract(data, params, reasons_required)
    if unchanged:           # the same input: the revision exists because the policy figures changed; it says which
        note = "；".join(part for part in (recalculation_note(result_of(latest), BudgetResult(computed.result)),
                                           (note or "").strip()) if part)
    # optimistic lock: only one writer can move the revision count from base_number
    moved = db.session.execute(
        update(Budget).where(Budget.id == budget.id, Budget.revision_count == base_number,
                             Budget.status != "submitted")          # submitted meanwhile: not saved over
        .values(revision_count=base_number + 1).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        db.session.refresh(budget)
        if budget.status == "submitted" and budget.revision_count == base_number:
            raise WorkflowError("预算已提交审核，审核通过或退回后才能修改")
        raise Conflict(budget.latest)
    db.session.refresh(budget, ["revision_count"])
    carried = list(latest.exceptions)            # read before the new revision joins the session
    revision = _revision(budget, base_number + 1, user, computed, note)
    db.session.add(revision)
    _carry_exceptions(carried, revision, computed.result)
    budget.status = "draft"
    _summarise(budget, computed)
    db.session.flush()
    _not_stale(revision)
    accounts.record("save", f"budget:{budget.id}", f"修订 {revision.number}：{revision.note}", user=user)
    return revision


def duplicate(budget: Budget, user: User, params: ParameterSet, number: int | None) -> Budget:
    """A new budget from the revision the user was looking at (``number``; never silently the latest)."""
    source = revision_of(budget, number) if number is not None else None
    if source is None:
        raise WorkflowError("请在预算页上选择要复制的修订后再复制（页面没有说明复制哪一个修订）")
    data = input_of(source)
    # a name saved before the text rule may hold invisible characters: the copy's name (and its note) go without
    name = without_invisible(result_of(source).project_name).strip()
    data["project"]["name"] = (without_invisible(data["project"]["name"]).strip() + "（副本）")[:200]
    try:
        # a budget saved before reasons were required copies as it is; its next save asks for them
        copy = create_budget(user, data, params, f"复制自《{name}》修订 {source.number}", reasons_required=False)
    except InputError as exc:           # what was saved before a rule came in: said, nothing copied
        raise WorkflowError(f"修订 {source.number} 中有今天的规则不再接受的内容，未复制；请编辑预算改正后保存，"
                            f"再复制新的修订：{_problems_said(exc)}") from None
    copy.copied_from_id, copy.copied_from_revision = budget.id, source.number
    if source.parameter_set != params.version:      # priced with today's figures: the copy says which changed
        first = copy.latest
        first.note = f"{first.note}；{recalculation_note(result_of(source), result_of(first))}"[:500]
    accounts.record("duplicate", f"budget:{copy.id}", f"复制自《{name}》修订 {source.number}", user=user)
    return copy


def copied_from(budget: Budget) -> tuple[Budget | None, Revision | None, str]:
    """Where a copy came from: the budget (None once deleted), its revision, and the source's name in that
    revision ("" when the budget is no copy)."""
    if budget.copied_from_revision is None:
        return None, None, ""
    source = budget.copied_from
    revision = revision_of(source, budget.copied_from_revision) if source is not None else None
    return source, revision, result_of(revision).project_name if revision is not None else ""


def delete_draft(budget: Budget, user: User, has_rosters: bool, seen: int | None) -> None:
    """``has_rosters``: a contractor has checked a pay proposal against this budget (then it stays). ``seen``: the
    revision the user was looking at (a budget saved again since is not deleted unseen)."""
    _expect(budget, seen)
    if budget.status != "draft" or any(r.approved_at for r in budget.revisions):
        raise WorkflowError("只能删除从未审核通过的草稿")
    if has_rosters:
        raise WorkflowError("已有承接主体按此预算核对薪酬方案，不能删除；可以复制后另行编制")
    _claim(budget, seen, ("draft",))
    accounts.record("delete", f"budget:{budget.id}", budget.name, user=user)
    # its copies keep the revision number they came from; the budget itself is gone (SQLite may not enforce
    # the foreign key's ON DELETE SET NULL)
    db.session.execute(update(Budget).where(Budget.copied_from_id == budget.id).values(copied_from_id=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(budget)


# -- workflow --------------------------------------------------------------------------------------------

NO_REVISION = "页面没有说明操作的是哪一个修订，未做任何修改；请刷新预算页后重试"


def _expect(budget: Budget, number: int | None) -> None:
    """The action is about the revision the user saw; refuse if the page did not say which, or if a newer one
    was saved since."""
    if number is None:
        raise WorkflowError(NO_REVISION)
    if number > budget.latest.number:
        raise WorkflowError(f"没有修订 {number}（最新的是修订 {budget.latest.number}），未做任何修改；请刷新预算页后重试")
    if number != budget.latest.number:
        raise WorkflowError(f"您看到的是修订 {number}，最新的是修订 {budget.latest.number}（有人刚刚保存），"
                            f"请查看最新修订后再操作")


CHANGED = "预算刚刚已被他人更改（保存、提交、审核或退回），未做任何修改；请刷新页面，查看最新状态后再操作"


def _claim(budget: Budget, seen: int, statuses: tuple[str, ...], status: str | None = None) -> None:
    """Take the budget from revision ``seen`` in one of ``statuses`` (to ``status``, if given) in one conditional
    UPDATE whose row count is checked, so that of two changes made from the same page exactly one goes through on
    every database (SQLite has no row locks, and a check made in Python before the write is not atomic with it).
    The loser changes nothing and is told so.

    The budget must also be as this request read it (``updated_at``, which every claim and save moves): a change
    that moves neither the revision nor the status (例外说明 written or cleared) still makes a submission, or another
    例外说明, made from the page before it refused — not both done, one over the other."""
    values = {"updated_at": utcnow()} | ({"status": status} if status else {})
    read = inspect(budget).attrs.updated_at.loaded_value
    moved = db.session.execute(
        update(Budget).where(Budget.id == budget.id, Budget.revision_count == seen, Budget.status.in_(statuses),
                             Budget.updated_at == read)
        .values(**values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        raise WorkflowError(CHANGED)
    db.session.refresh(budget, ["status", "updated_at"])


def unjustified_errors(revision: Revision) -> list:
    """The error findings of a revision that have no 例外说明 yet."""
    written = {e.key for e in revision.exceptions}
    return [f for f in result_of(revision).errors if f.key not in written]


def justify(budget: Budget, user: User, texts: dict[str, str], seen: int | None) -> int:
    """Write (or rewrite, or clear) the 例外说明 of the latest draft's error findings; ``texts`` maps a finding's
    key to its justification. Returns how many the draft now has."""
    _expect(budget, seen)
    latest = budget.latest
    if latest.status != "draft":
        raise WorkflowError("只有草稿可以填写例外说明；已提交或已审核的修订保持不变")
    errors = {f.key: f for f in result_of(latest).errors}
    unknown = set(texts) - set(errors)
    if unknown:
        raise WorkflowError("例外说明对应的错误已不存在（预算可能刚被修改），请刷新页面后重试")
    existing = {e.key: e for e in latest.exceptions}
    cleaned = {key: " ".join((text or "").split())[:500] for key, text in texts.items()}
    for key, text in cleaned.items():
        problem = free_text_problem(text)
        if problem:
            raise WorkflowError(f"「{errors[key].title}」的例外说明{problem}（例外说明未保存）")
    if all(cleaned[key] == (existing[key].justification if key in existing else "") for key in cleaned):
        raise WorkflowError("没有修改：例外说明与已保存的相同")
    _claim(budget, seen, ("draft",))
    for key, text in cleaned.items():
        if key in existing and not text:
            latest.exceptions.remove(existing[key])
        elif key in existing:
            existing[key].justification, existing[key].author_id = text, user.id
        elif text:
            latest.exceptions.append(RevisionException(key=key, code=errors[key].code, justification=text,
                                                       author_id=user.id))
    db.session.flush()
    accounts.record("justify", f"budget:{budget.id}", f"修订 {latest.number}：{len(latest.exceptions)} 项例外说明",
                    user=user)
    return len(latest.exceptions)


def _carry_exceptions(previous: list[RevisionException], revision: Revision, result: dict) -> None:
    """A new revision keeps the justifications of the error findings it still has, word for word."""
    still = {f.key for f in BudgetResult(result).errors}
    for e in previous:
        if e.key in still:
            revision.exceptions.append(RevisionException(key=e.key, code=e.code, justification=e.justification,
                                                         author_id=e.author_id, created_at=e.created_at))


def submit(budget: Budget, user: User, seen: int | None, confirmed: bool = False) -> None:
    _expect(budget, seen)
    if budget.status != "draft":
        raise WorkflowError("只有草稿可以提交")
    _corrections_decided(budget.latest, "submit")         # first: recomputing may change everything below
    unexplained = [a.label for a in result_of(budget.latest).assumptions or [] if not a.reason]
    if unexplained:            # drafts copied or recomputed from input saved before reasons were required
        raise WorkflowError(f"有 {len(unexplained)} 处不用默认值而未说明理由（{'、'.join(unexplained[:5])}"
                            f"{'等' if len(unexplained) > 5 else ''}），请编辑预算写明理由后再提交")
    missing = unjustified_errors(budget.latest)
    if missing:
        raise WorkflowError(f"有 {len(missing)} 项错误尚未写明例外说明（{'、'.join(f.title for f in missing[:5])}），"
                            f"请在“错误与例外说明”中逐项说明为何仍按此预算执行，或修改预算消除错误")
    if not confirmed:
        raise WorkflowError("请核对本修订的合计与检查结论，勾选确认后再提交"
                            if not budget.latest.exceptions else
                            "本修订有经说明的错误：请核对“错误与例外说明”，勾选确认后再提交")
    latest = budget.latest
    _claim(budget, seen, ("draft",), "submitted")
    latest.status, latest.submitted_by_id, latest.submitted_at = "submitted", user.id, utcnow()
    accounts.record("submit", f"budget:{budget.id}", f"修订 {latest.number}", user=user)


def approve(budget: Budget, user: User, seen: int | None, confirmed: bool = False,
            share_too: bool = False) -> list[str]:
    """Approve the submitted revision. It is shared with no one unless ``share_too``: then with each contractor the
    budget is shared with (each keeps reading what was shared with it before, too). Returns the names of those it
    was shared with now (none already had it)."""
    _expect(budget, seen)
    latest = budget.latest
    if budget.status != "submitted":
        raise WorkflowError("只有已提交的预算可以审核")
    if latest.author_id == user.id:
        raise WorkflowError("不能审核自己编制的修订，请由本单位其他审核人审核")
    _corrections_decided(latest, "approve")
    if unjustified_errors(latest):
        raise WorkflowError("本修订仍有未说明的错误，不能审核通过；请退回修改")
    if not confirmed:
        raise WorkflowError("审核通过后本修订锁定：请核对后勾选确认再审核通过" if not latest.exceptions else
                            f"本修订有 {len(latest.exceptions)} 项经说明的错误：请逐项核对例外说明，勾选确认后再审核通过")
    _claim(budget, seen, ("submitted",), "approved")
    latest.status, latest.approved_by_id, latest.approved_at = "approved", user.id, utcnow()
    accounts.record("approve", f"budget:{budget.id}", f"修订 {latest.number}", user=user)
    if not share_too:
        return []
    return [contractor.name for contractor in share_offer(budget, latest.number)
            if _share(budget, user, contractor, latest.number)]


def _corrections_decided(revision: Revision, step: str) -> None:
    """A revision priced with a figure later corrected goes forward only recomputed (a new revision) or with a
    written decision to keep its figures."""
    pending = corrections.undecided(revision)
    unlisted = corrections.unfollowed(revision)
    if not (pending or unlisted):
        return
    said = [f"{c.wrong} 已更正为 {c.corrected}，{c.change_text}" for c in map(corrections.later, pending)]
    said += [f"{c.family.label} {labels.region(c.region)} 已更正为 {figure(c.value, c.family.unit)}" for c in unlisted]
    what = f"本修订测算所用的政策参数此后已更正：{'；'.join(said)}。"
    if unlisted:
        raise WorkflowError(f"{what}请刷新预算页查看更正对本预算的影响后再操作")
    if step == "submit":
        raise WorkflowError(f"{what}请按最新参数重新测算，或在“此后更正的政策参数”中写明按原数值继续的理由后再提交")
    raise WorkflowError(f"{what}请退回修改由编制人重新测算，或在“此后更正的政策参数”中写明按原数值审核的理由后再审核通过")


def decide_correction(budget: Budget, user: User, row_id: int | None, reason: str, seen: int | None) -> None:
    """Keep the figures of the latest revision despite a correction, for the reason given: the preparer of a draft,
    the approver of a submitted revision (which cannot be recomputed without being returned)."""
    _expect(budget, seen)
    latest = budget.latest
    if latest.status == "draft":
        if not can_edit(user, budget):
            raise WorkflowError("草稿由编制人说明是否按原数值继续")
    elif latest.status == "submitted":
        if not can_approve(user, budget):
            raise WorkflowError("已提交的修订由审核人说明是否按原数值审核")
    else:
        raise WorkflowError("已审核的修订保持原有数字，不需说明；调整合同金额须按更正后的数值另行编制修订")
    _claim(budget, seen, (latest.status,))
    try:
        row = corrections.decide(latest, row_id, user, reason)
    except ValueError as exc:
        db.session.rollback()
        raise WorkflowError(str(exc)) from None
    said = corrections.later(row)
    accounts.record("correction_keep", f"budget:{budget.id}",
                    f"修订 {latest.number}：{said.label} {said.wrong} 已更正为 {said.corrected}；理由：{row.reason}",
                    user=user)


def return_for_changes(budget: Budget, user: User, reason: str, seen: int | None) -> None:
    _expect(budget, seen)
    if budget.status != "submitted":
        raise WorkflowError("只有已提交的预算可以退回")
    reason = (reason or "").strip()
    problem = free_text_problem(reason)
    if problem:
        raise WorkflowError(f"退回原因{problem}（未退回）")
    if not reason:
        raise WorkflowError("请填写退回原因，编制人将在预算页看到它")
    latest = budget.latest
    _claim(budget, seen, ("submitted",), "draft")
    latest.status = "draft"
    latest.returned_by_id, latest.returned_at, latest.return_reason = user.id, utcnow(), reason[:500]
    accounts.record("return", f"budget:{budget.id}", reason, user=user)


def parties(budget: Budget) -> tuple[str, str | None]:
    """甲方 and 乙方 as the annex prints them: as entered, else the purchaser and the one contractor shared with."""
    shared = sorted({s.contractor.name for s in budget.shares})
    return (budget.party_a or budget.organisation.name,
            budget.party_b or (shared[0] if len(shared) == 1 else None))


def set_contract(budget: Budget, user: User, contract_no: str, party_a: str, party_b: str) -> None:
    """The contract's number and parties. Annexes not issued yet are printed again with them (their figures, and
    so their verification code, do not change); an approved revision's issued files stay as they are (the caller
    issues them anew: ``annexes.reissue``)."""
    clean = [re.sub(r"[\x00-\x1f\x7f]", "", value or "").strip() for value in (contract_no, party_a, party_b)]
    budget.contract_no, budget.party_a, budget.party_b = (value or None for value in clean)
    db.session.execute(delete(AnnexFile).where(AnnexFile.issued_at.is_(None), AnnexFile.revision_id.in_(
        select(Revision.id).where(Revision.budget_id == budget.id))))
    accounts.record("contract", f"budget:{budget.id}",
                    f"合同编号 {budget.contract_no or '（空）'}；甲方 {budget.party_a or '（默认）'}；乙方 {budget.party_b or '（默认）'}",
                    user=user)


def _share(budget: Budget, user: User, contractor: Organisation, number: int) -> bool:
    """Share revision ``number`` with the contractor; False when it already is."""
    if number in shared_numbers(budget, contractor.id):
        return False
    try:
        with db.session.begin_nested():     # another request shared it a moment ago: the unique row says so
            db.session.add(BudgetShare(budget_id=budget.id, contractor_id=contractor.id, shared_by_id=user.id,
                                       revision_number=number))
    except IntegrityError:
        return False
    finally:
        db.session.expire(budget, ["shares"])
    accounts.record("share", f"budget:{budget.id}", f"{contractor.name}：修订 {number}", user=user)
    return True


def share(budget: Budget, user: User, contractor: Organisation, number: int | None) -> None:
    """Share the revision the user was looking at (``number``) with a contractor, which may then read it (and
    only the revisions shared with it) until the share is withdrawn."""
    if contractor.kind != "contractor":
        raise WorkflowError("只能共享给承接主体")
    if not contractor.active:
        raise WorkflowError(f"{contractor.name} 已停用，不能共享给它")
    revision = revision_of(budget, number) if number is not None else None
    if revision is None:
        raise WorkflowError(NO_REVISION)
    if not _share(budget, user, contractor, revision.number):
        raise WorkflowError(f"修订 {revision.number} 已共享给 {contractor.name}")


def unshare(budget: Budget, user: User, share_id: int, number: int | None) -> None:
    """Withdraw one revision's share: the contractor can no longer read that revision (the others shared with it
    stay readable). ``number``: the revision the page said the share is of (another one is not withdrawn)."""
    item = next((s for s in budget.shares if s.id == share_id), None)
    if item is None:
        raise WorkflowError("没有这项共享（可能刚刚已被撤回）")
    if item.revision_number != number:
        raise WorkflowError(f"这项共享是修订 {item.revision_number} 的，页面说的是修订 {number}：未撤回，请刷新页面后再操作")
    name, number = item.contractor.name, item.revision_number
    gone = db.session.execute(delete(BudgetShare).where(BudgetShare.id == item.id)
                              .execution_options(synchronize_session=False))
    db.session.expire(budget, ["shares"])
    if gone.rowcount != 1:                  # withdrawn by another request a moment ago
        db.session.rollback()
        raise WorkflowError("没有这项共享（可能刚刚已被撤回）")
    accounts.record("unshare", f"budget:{budget.id}", f"{name}：修订 {number}", user=user)


# -- newer parameters ----------------------------------------------------------------------------------

@dataclass
class PolicyChange:
    """What the latest confirmed parameters would do to a draft revision computed with an older set."""
    version_then: str
    version_now: str
    grand_total_then: Decimal
    grand_total_now: Decimal | None = None
    comparison: Comparison | None = None
    basis_added: list[Basis] = field(default_factory=list)
    basis_dropped: list[Basis] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def delta(self) -> Decimal | None:
        return None if self.grand_total_now is None else change(self.grand_total_then, self.grand_total_now)

    @property
    def lines(self) -> list[tuple[str, Decimal, Decimal, Decimal, bool]]:
        """(label, before, after, difference, is_total) for each line and total that changes."""
        return self.comparison.changed_lines if self.comparison is not None else []


def policy_change(revision: Revision, params: ParameterSet) -> PolicyChange | None:
    """None if the revision was computed with ``params``; else the recomputed difference."""
    if revision.parameter_set == params.version:
        return None
    change_ = PolicyChange(revision.parameter_set, params.version, revision.grand_total)
    data = input_of(revision)
    try:
        computed = compute_contract(data, params, reasons_required=False)
    except InputError as exc:
        change_.problems = [f"{labels.place(p.path)}：{p.message}" for p in exc.problems]
        return change_
    then, now = result_of(revision), BudgetResult(computed.result)
    change_.grand_total_now = computed.grand_total
    change_.comparison = compare(data, then, data, now)
    change_.basis_added, change_.basis_dropped = basis_changes(then, now)
    return change_


def recompute(budget: Budget, user: User, params: ParameterSet, seen: int | None) -> Revision:
    """The latest draft recomputed with ``params`` (today's confirmed set), as a new revision; or, for an approved
    revision priced with a figure later corrected, a new draft so priced (the approved one stays as it is)."""
    _expect(budget, seen)
    if budget.status == "submitted":
        raise WorkflowError("已提交的修订保持原有数字：审核通过或退回后才能按最新政策参数重新测算")
    if budget.status == "approved" and not corrections.rows_of(budget.latest):
        raise WorkflowError("已审核的修订保持原有数字；要按最新政策参数测算，请编辑预算生成新的草稿修订")
    version = params.version
    if budget.latest.parameter_set == version:
        raise WorkflowError("本预算已按最新政策参数测算")
    try:
        revision = save_revision(budget, user, input_of(budget.latest), params, "", budget.revision_count,
                                 reasons_required=False)     # the same input as saved: older drafts carry no reasons
    except InputError as exc:
        raise WorkflowError(f"按最新政策参数重新测算时发现问题，请编辑预算后保存：{_problems_said(exc)}") from None
    accounts.record("budget_recompute", f"budget:{budget.id}", f"修订 {revision.number}：{revision.note}", user=user)
    return revision


# -- corrections of figures a revision was priced with (budgets.corrections) ------------------------------------

def follow_correction(correction) -> corrections.Followed:
    """List the revisions priced with the figures a just-confirmed correction replaced (the caller commits with the
    confirmation, then has them priced: ``price_correction``)."""
    return corrections.follow(correction)


def price_correction(correction_id: int) -> None:
    """Price, in a background job, what confirming a correction listed (after its commit)."""
    corrections.dispatch(correction_id)


def price_correction_now(correction_id: int, params: ParameterSet) -> int:
    """Price what a correction listed here and now (the command line), committing by batches."""
    return corrections.price_pending(correction_id, params)


def correction_progress(correction_id: int) -> tuple[int, int]:
    """(priced, listed) of a correction's revisions; a pricing job that seems lost is sent again."""
    return corrections.progress(correction_id)


def correction_preview(row) -> dict[str, int] | None:
    """For a pending correction: how many revisions that can still matter are priced with the figure it replaces."""
    return corrections.preview(row)


def corrections_in_force():
    """Every confirmed correction that changes a figure (the list page names those that found no revision)."""
    return corrections.in_force()


def changes_figure(correction) -> bool:
    """Whether a correction changes the figure (its value or start), not only its citation."""
    return corrections.changes_figure(correction)


def corrections_listed(correction_ids) -> dict[int, int]:
    """How many revisions each of these corrections listed (all budgets: for administrators)."""
    return corrections.count_by_correction(True, set(correction_ids)) if correction_ids else {}


def corrections_of(revision: Revision, params: ParameterSet) -> tuple[list, bool]:
    """The corrections in force listed for a revision, newest first, and whether it was listed just now under one
    that had not listed it (a correction confirmed before they were followed through: the caller commits)."""
    listed_now = corrections.ensure(revision, params)
    return corrections.rows_of(revision), listed_now


def correction_later(row):
    """What the page and the annexes say of one listed correction (results.corrections.LaterCorrection)."""
    return corrections.later(row)


def later_corrections(revision: Revision, params: ParameterSet | None = None) -> list:
    """What the page and the annexes say of each figure of the revision later corrected (results.corrections);
    with ``params``, priced first where the background job has not reached it yet."""
    return corrections.later_corrections(revision, params)


def corrected_budgets(user: User, correction_id: int | None = None) -> list:
    """The listed revisions (of corrections in force) of the budgets this user may see."""
    return corrections.listed(visible_to(user), correction_id)


def corrections_flagged(budget_ids: list[int]) -> dict[int, list]:
    return corrections.flagged(budget_ids)


def correction_state(row) -> str:
    return corrections.state(row)
