"""Rosters: checked against the budget's reference revision, saved all or nothing, shared. Other features
use this module (and only this module) of the rosters package."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from ..accounts import service as accounts
from ..budgets import service as budgets
from ..budgets.service import WorkflowError
from ..engine.parameters import ParameterSet
from ..engine.parse import InputError, Problem
from ..engine.roster import check_input, check_to_json
from ..models import Budget, Revision, Roster, User, db, utcnow
from .access import visible_to

__all__ = ["InputError", "WorkflowError", "Problem", "reference", "check", "create", "update", "share", "for_budget",
           "exists_for"]


def reference(budget: Budget, organisation_id: int) -> Revision:
    """The revision a contractor's rosters are checked against: the one the purchaser shared with it (or an
    approved one newer than that), never a draft it was not shown. WorkflowError once it is no longer shared."""
    revision = budgets.shared_revision(budget, organisation_id)
    if revision is None:
        raise WorkflowError("采购人已取消共享这份预算，不能再按它核对")
    return revision


def check(budget: Budget, organisation_id: int, roster: list, params: ParameterSet) -> dict:
    """Validate and check roster entries against the reference revision (InputError if invalid)."""
    data = {"budget": budgets.input_of(reference(budget, organisation_id)), "roster": roster}
    return check_to_json(check_input(data, params))


def _store(item: Roster, roster: list, result: dict) -> None:
    item.roster_json = json.dumps(roster, ensure_ascii=False)
    item.result_json = json.dumps(result, ensure_ascii=False)
    item.budget_revision = reference(item.budget, item.organisation_id).number
    item.people = result["totals"]["people"]
    item.failing = result["totals"]["fail"]
    item.updated_at = utcnow()


def create(user: User, budget: Budget, name: str, roster: list, params: ParameterSet, how: str = "录入") -> Roster:
    name = re.sub(r"[\x00-\x1f\x7f]", "", name or "").strip()
    if not name:
        raise InputError([Problem("name", "不能为空")])
    if len(name) > 200:
        raise InputError([Problem("name", "最多 200 个字符")])
    result = check(budget, user.organisation_id, roster, params)
    item = Roster(organisation_id=user.organisation_id, budget=budget, name=name, created_by_id=user.id)
    _store(item, roster, result)
    db.session.add(item)
    db.session.flush()
    accounts.record("roster_save", f"roster:{item.id}", f"{how}：{len(roster)} 人，对应 budget:{budget.id}", user=user)
    return item


def update(item: Roster, user: User, roster: list, params: ParameterSet, version: int, how: str = "录入") -> None:
    if version != item.version:
        raise WorkflowError("他人已修改了这份薪酬方案，请重新打开后再保存（您的输入未保存）")
    result = check(item.budget, item.organisation_id, roster, params)
    _store(item, roster, result)
    item.version += 1
    accounts.record("roster_import" if how == "导入" else "roster_save", f"roster:{item.id}",
                    f"{how}：{len(roster)} 人", user=user)


def share(item: Roster, user: User) -> None:
    if item.shared_at is not None:
        raise WorkflowError("已共享给采购人")
    item.shared_at, item.shared_by_id = utcnow(), user.id
    accounts.record("roster_share", f"roster:{item.id}", f"共享给 {item.budget.organisation.name}", user=user)


def for_budget(user: User, budget: Budget) -> list[Roster]:
    """The rosters checked against this budget that this user may see, newest first."""
    return db.session.scalars(select(Roster).where(Roster.budget_id == budget.id, visible_to(user))
                              .order_by(Roster.updated_at.desc())).all()


def exists_for(budget_id: int) -> bool:
    """Whether any contractor has checked a pay proposal against this budget."""
    return db.session.scalar(select(Roster.id).where(Roster.budget_id == budget_id).limit(1)) is not None
