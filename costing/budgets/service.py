"""Budget workflow: saving revisions, submitting, approving, sharing. Views call these; these call
the engine; nothing here computes money itself."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update

from ...engine.budget import compute
from ...engine.parse import InputError, parse_budget
from ...engine.result import to_json
from ...models import Budget, BudgetShare, Organisation, Revision, Roster, User, db, utcnow
from .. import audit
from . import diff
from ..parameters import current_parameters


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


def compute_contract(data: dict, reasons_required: bool = True) -> Computed:
    """Validate and compute contract input; raises InputError with field paths."""
    params = current_parameters()
    result = compute(parse_budget(data, params, reasons_required=reasons_required), params)
    return Computed(input=data, result=to_json(result), parameter_set=params.version,
                    grand_total=result.totals.grand_total, personnel_total=result.totals.personnel,
                    error_count=result.error_count)


def _revision(budget: Budget, number: int, user: User, computed: Computed, note: str) -> Revision:
    from ...annex.render import verification_code
    if budget.id is None:
        db.session.add(budget)
        db.session.flush()          # the code includes the budget's id
    return Revision(budget=budget, number=number, author_id=user.id, note=(note or "").strip()[:500],
                    verify_code=verification_code(computed.result, f"budget:{budget.id}:revision:{number}"),
                    input_json=json.dumps(computed.input, ensure_ascii=False),
                    result_json=json.dumps(computed.result, ensure_ascii=False),
                    parameter_set=computed.parameter_set, grand_total=computed.grand_total,
                    personnel_total=computed.personnel_total, error_count=computed.error_count,
                    status="draft")


def _summarise(budget: Budget, computed: Computed) -> None:
    project = computed.input["project"]
    budget.name = project["name"].strip()
    budget.district = computed.result["project"]["district"]
    budget.start, budget.end = computed.result["project"]["start"], computed.result["project"]["end"]
    budget.grand_total = computed.grand_total
    budget.error_count = computed.error_count
    budget.updated_at = utcnow()


def create_budget(user: User, data: dict, note: str = "", reasons_required: bool = True) -> Budget:
    computed = compute_contract(data, reasons_required)
    budget = Budget(organisation_id=user.organisation_id, created_by_id=user.id, status="draft",
                    revision_count=1)
    _summarise(budget, computed)
    db.session.add(budget)
    db.session.add(_revision(budget, 1, user, computed, note or "新建"))
    db.session.flush()
    audit.record("create", f"budget:{budget.id}", budget.name, user=user)
    return budget


def save_revision(budget: Budget, user: User, data: dict, note: str, base_number: int,
                  reasons_required: bool = True) -> Revision:
    """A new immutable revision, unless someone saved since ``base_number`` (then Conflict)."""
    if budget.status == "submitted":
        raise WorkflowError("预算已提交审核，审核通过或退回后才能修改")
    computed = compute_contract(data, reasons_required)
    # optimistic lock: only one writer can move the revision count from base_number
    moved = db.session.execute(
        update(Budget).where(Budget.id == budget.id, Budget.revision_count == base_number)
        .values(revision_count=base_number + 1).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        db.session.refresh(budget)
        raise Conflict(budget.latest)
    db.session.refresh(budget, ["revision_count"])
    revision = _revision(budget, base_number + 1, user, computed, note)
    db.session.add(revision)
    budget.status = "draft"
    _summarise(budget, computed)
    db.session.flush()
    audit.record("save", f"budget:{budget.id}", f"修订 {revision.number}：{revision.note}", user=user)
    return revision


def duplicate(budget: Budget, user: User) -> Budget:
    data = json.loads(budget.latest.input_json)
    data["project"]["name"] = (data["project"]["name"] + "（副本）")[:200]
    # a budget saved before reasons were required copies as it is; its next save asks for them
    copy = create_budget(user, data, f"复制自预算 {budget.id} 修订 {budget.latest.number}", reasons_required=False)
    audit.record("duplicate", f"budget:{copy.id}", f"复制自 budget:{budget.id}", user=user)
    return copy


def delete_draft(budget: Budget, user: User) -> None:
    if budget.status != "draft" or any(r.approved_at for r in budget.revisions):
        raise WorkflowError("只能删除从未审核通过的草稿")
    if db.session.scalar(select(Roster.id).where(Roster.budget_id == budget.id).limit(1)):
        raise WorkflowError("已有承接主体按此预算核对薪酬方案，不能删除；可以复制后另行编制")
    audit.record("delete", f"budget:{budget.id}", budget.name, user=user)
    db.session.delete(budget)


def _expect(budget: Budget, number: int | None) -> None:
    """The action is about the revision the user saw; refuse if a newer one was saved since."""
    if number is not None and number != budget.latest.number:
        raise WorkflowError(f"您看到的是修订 {number}，最新的是修订 {budget.latest.number}（有人刚刚保存），"
                            f"请查看最新修订后再操作")


def submit(budget: Budget, user: User, seen: int | None = None) -> None:
    _expect(budget, seen)
    if budget.status != "draft":
        raise WorkflowError("只有草稿可以提交")
    unexplained = [a["label"] for a in json.loads(budget.latest.result_json).get("assumptions", []) if not a.get("reason")]
    if unexplained:            # drafts copied or recomputed from input saved before reasons were required
        raise WorkflowError(f"有 {len(unexplained)} 处不用默认值而未说明理由（{'、'.join(unexplained[:5])}"
                            f"{'等' if len(unexplained) > 5 else ''}），请编辑预算写明理由后再提交")
    latest = budget.latest
    latest.status, latest.submitted_by_id, latest.submitted_at = "submitted", user.id, utcnow()
    budget.status, budget.updated_at = "submitted", utcnow()
    audit.record("submit", f"budget:{budget.id}", f"修订 {latest.number}", user=user)


def approve(budget: Budget, user: User, seen: int | None = None) -> None:
    _expect(budget, seen)
    latest = budget.latest
    if budget.status != "submitted":
        raise WorkflowError("只有已提交的预算可以审核")
    if latest.author_id == user.id:
        raise WorkflowError("不能审核自己编制的修订，请由本单位其他审核人审核")
    latest.status, latest.approved_by_id, latest.approved_at = "approved", user.id, utcnow()
    budget.status, budget.updated_at = "approved", utcnow()
    audit.record("approve", f"budget:{budget.id}", f"修订 {latest.number}", user=user)


def return_for_changes(budget: Budget, user: User, reason: str, seen: int | None = None) -> None:
    _expect(budget, seen)
    if budget.status != "submitted":
        raise WorkflowError("只有已提交的预算可以退回")
    if not (reason or "").strip():
        raise WorkflowError("请填写退回原因，编制人将在预算页看到它")
    budget.latest.status = "draft"
    budget.status, budget.updated_at = "draft", utcnow()
    audit.record("return", f"budget:{budget.id}", (reason or "").strip(), user=user)


def share(budget: Budget, user: User, contractor: Organisation) -> None:
    if contractor.kind != "contractor":
        raise WorkflowError("只能共享给承接主体")
    if any(s.contractor_id == contractor.id for s in budget.shares):
        raise WorkflowError(f"已共享给 {contractor.name}")
    db.session.add(BudgetShare(budget=budget, contractor_id=contractor.id, shared_by_id=user.id))
    audit.record("share", f"budget:{budget.id}", contractor.name, user=user)


def unshare(budget: Budget, user: User, share_id: int) -> None:
    for item in budget.shares:
        if item.id == share_id:
            audit.record("unshare", f"budget:{budget.id}", item.contractor.name, user=user)
            db.session.delete(item)
            return
    raise WorkflowError("没有这项共享")


@dataclass
class PolicyChange:
    """What the latest confirmed parameters would do to a draft revision computed with an older set."""
    version_then: str
    version_now: str
    grand_total_then: Decimal
    grand_total_now: Decimal | None = None
    comparison: dict | None = None
    basis_added: list = field(default_factory=list)
    basis_dropped: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def delta(self) -> Decimal | None:
        return None if self.grand_total_now is None else self.grand_total_now - self.grand_total_then

    @property
    def lines(self) -> list[tuple[str, Decimal, Decimal, Decimal, bool]]:
        """(label, before, after, difference, is_total) for each line and total that changes."""
        if self.comparison is None:
            return []
        c = self.comparison
        rows = [(ch.label, Decimal(ch.total_before), Decimal(ch.total_after), False)
                for ch in c["personnel"] + c["costs"] if ch.kind == "changed"]
        rows += [(label, Decimal(before), Decimal(after), True) for label, before, after, *_ in c["totals"]
                 if before != after]
        return [(label, before, after, after - before, total) for label, before, after, total in rows]


def policy_change(revision: Revision) -> PolicyChange | None:
    """None if the revision was computed with today's confirmed set; else the recomputed difference."""
    from types import SimpleNamespace

    from ...annex.render import basis_rows
    version = current_parameters().version
    if revision.parameter_set == version:
        return None
    change = PolicyChange(revision.parameter_set, version, revision.grand_total)
    try:
        computed = compute_contract(json.loads(revision.input_json), reasons_required=False)
    except InputError as exc:
        change.problems = [f"{p.path}: {p.message}" for p in exc.problems]
        return change
    change.grand_total_now = computed.grand_total
    change.comparison = diff.compare(revision, SimpleNamespace(input_json=revision.input_json,
                                                               result_json=json.dumps(computed.result)))

    def keyed(rows):
        return {(r["name"], r["region"], r["start"], r["value"], r["used_from"], r["used_to"]): r for r in rows}
    then = keyed(basis_rows(json.loads(revision.result_json)["parameters"]))
    now = keyed(basis_rows(computed.result["parameters"]))
    change.basis_added = [row for key, row in now.items() if key not in then]
    change.basis_dropped = [row for key, row in then.items() if key not in now]
    return change


def recompute(budget: Budget, user: User, seen: int | None = None) -> Revision:
    """The latest draft recomputed with today's confirmed parameters, as a new revision."""
    _expect(budget, seen)
    if budget.status != "draft":
        raise WorkflowError("只有草稿可以按最新政策参数重新测算；已提交或已审核的修订保持原有数字")
    version = current_parameters().version
    if budget.latest.parameter_set == version:
        raise WorkflowError("本预算已按最新政策参数测算")
    then = budget.latest.parameter_set
    try:
        revision = save_revision(budget, user, json.loads(budget.latest.input_json),
                                 f"按最新政策参数重新测算（参数集 {then} → {version}）", budget.revision_count,
                                 reasons_required=False)     # the same input as saved: older drafts carry no reasons
    except InputError as exc:
        raise WorkflowError("按最新政策参数重新测算时发现问题，请编辑预算后保存：" +
                            "；".join(f"{p.path}: {p.message}" for p in exc.problems)) from None
    audit.record("budget_recompute", f"budget:{budget.id}", f"修订 {revision.number}：参数集 {then} → {version}",
                 user=user)
    return revision


__all__ = ["InputError", "Conflict", "WorkflowError", "compute_contract", "create_budget",
           "save_revision", "duplicate", "delete_draft", "submit", "approve", "return_for_changes",
           "share", "unshare", "policy_change", "recompute"]
