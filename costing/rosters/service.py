"""Rosters: check against the budget's latest revision, save all or nothing, share, export."""
from __future__ import annotations

import json
import re

from ..parameters import current_parameters
from ...engine.parse import InputError, Problem
from ...engine.roster import check_input, check_to_json
from ...models import Budget, Revision, Roster, User, db, utcnow
from .. import audit
from ..budgets.service import WorkflowError

__all__ = ["InputError", "WorkflowError", "check", "create", "update", "share"]


def reference(budget: Budget) -> Revision:
    """The revision a roster is checked against: the approved one if there is one (what the contractor
    reads on the budget page), else the latest."""
    number = budget.approved_number
    return next((r for r in budget.revisions if r.number == number), budget.latest) if number else budget.latest


def check(budget: Budget, roster: list) -> dict:
    """Validate and check roster entries against the reference revision (InputError if invalid)."""
    data = {"budget": json.loads(reference(budget).input_json), "roster": roster}
    return check_to_json(check_input(data, current_parameters()))


def _store(item: Roster, roster: list, result: dict) -> None:
    item.roster_json = json.dumps(roster, ensure_ascii=False)
    item.result_json = json.dumps(result, ensure_ascii=False)
    item.budget_revision = reference(item.budget).number
    item.people = result["totals"]["people"]
    item.failing = result["totals"]["fail"]
    item.updated_at = utcnow()


def create(user: User, budget: Budget, name: str, roster: list, how: str = "录入") -> Roster:
    name = re.sub(r"[\x00-\x1f\x7f]", "", name or "").strip()
    if not name:
        raise InputError([Problem("name", "不能为空")])
    if len(name) > 200:
        raise InputError([Problem("name", "最多 200 个字符")])
    result = check(budget, roster)
    item = Roster(organisation_id=user.organisation_id, budget=budget, name=name, created_by_id=user.id)
    _store(item, roster, result)
    db.session.add(item)
    db.session.flush()
    audit.record("roster_save", f"roster:{item.id}", f"{how}：{len(roster)} 人，对应 budget:{budget.id}", user=user)
    return item


def update(item: Roster, user: User, roster: list, version: int, how: str = "录入") -> None:
    if version != item.version:
        raise WorkflowError("他人已修改了这份薪酬方案，请重新打开后再保存（您的输入未保存）")
    result = check(item.budget, roster)
    _store(item, roster, result)
    item.version += 1
    audit.record("roster_import" if how == "导入" else "roster_save", f"roster:{item.id}",
                 f"{how}：{len(roster)} 人", user=user)


def share(item: Roster, user: User) -> None:
    if item.shared_at is not None:
        raise WorkflowError("已共享给采购人")
    item.shared_at, item.shared_by_id = utcnow(), user.id
    audit.record("roster_share", f"roster:{item.id}", f"共享给 {item.budget.organisation.name}", user=user)
