"""Rosters: checked against the budget's reference revision (the one the page saving them names), saved all or
nothing as numbered versions, shared one version at a time. Other features use this module (and only this module) of the rosters package."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from ..accounts import service as accounts
from ..budgets import service as budgets
from ..budgets.service import WorkflowError
from ..engine.parameters import ParameterSet
from ..engine.parse import InputError, Problem
from ..engine.roster import check_input, check_to_json, validate_input
from ..engine.text import invisible_problem
from ..models import Budget, Revision, Roster, RosterVersion, User, db, utcnow
from .access import visible_to

__all__ = ["InputError", "WorkflowError", "Problem", "NO_REFERENCE", "reference", "check", "problems", "budget_people", "default_name", "create", "update", "share", "withdraw",
           "delete", "discard_drafts", "visible_versions", "seen_version", "for_budget", "exists_for"]


def reference(budget: Budget, organisation_id: int) -> Revision:
    """The revision a contractor's rosters are checked against: the newest one the purchaser shared with it, never
    a revision it was not shown. WorkflowError once none is shared with it."""
    revision = budgets.shared_revision(budget, organisation_id)
    if revision is None:
        raise WorkflowError("采购人已取消共享这份预算，不能再按它核对")
    return revision


NO_REFERENCE = "页面没有说明按预算的哪一个修订核对，未做任何修改；请刷新页面后重试"


def named_reference(budget: Budget, organisation_id: int, named: int | None) -> Revision:
    """The reference revision, if it is the one the page saving or rechecking a roster named (``named``); else
    WorkflowError: the page named none, or another (the purchaser has shared a newer one since it was opened)."""
    revision = reference(budget, organisation_id)
    if named is None:
        raise WorkflowError(NO_REFERENCE)
    if named != revision.number:
        raise WorkflowError(f"采购人共享给本单位的修订已变为修订 {revision.number}（页面上是修订 {named}），"
                            f"未做任何修改；请查看按修订 {revision.number} 核对的页面后再操作")
    return revision


def check(budget: Budget, organisation_id: int, roster: list, params: ParameterSet,
          rows: list[int] | None = None) -> dict:
    """Validate and check roster entries against the reference revision (InputError if invalid). ``rows``: the
    file row of each entry, kept with the report so every place is said as the file has it."""
    data = {"budget": budgets.input_of(reference(budget, organisation_id)), "roster": roster}
    result = check_to_json(check_input(data, params))
    for person, row in zip(result["people"], rows or ()):
        person["row"] = row
    return result


def budget_people(budget: Budget, organisation_id: int) -> list[dict]:
    """The people of the reference revision as roster entries without their id and pay (theirs to state): one per
    budgeted person, with the post, its category, level, certificate, allowance, bonus and months (blank: the whole
    service). The page form for a new roster and the template offered with the budget start from these."""
    revision = reference(budget, organisation_id)
    result, lines = budgets.result_of(revision), budgets.input_of(revision).get("personnel", [])
    return [{"post": line.post, "category": line.category, "level": line.level,
             "certificate": line.certificate, "monthly_allowance": str(line.monthly_allowance),
             "annual_bonus": (lines[i].get("annual_bonus") or "") if i < len(lines) else "",
             "months": "" if line.months == result.months else str(line.months)}
            for i, line in enumerate(result.personnel) for _ in range(line.headcount)]


def problems(budget: Budget, organisation_id: int, roster: list, params: ParameterSet) -> list[Problem]:
    """What is wrong with roster entries' values, read as a save would read them against the reference revision;
    nothing is checked further or saved (a file with problems of its own is refused with these listed too)."""
    try:
        validate_input({"budget": budgets.input_of(reference(budget, organisation_id)), "roster": roster}, params)
    except InputError as exc:
        return exc.problems
    return []


def _name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f\x7f]", "", name or "").strip()
    if not name:
        raise InputError([Problem("name", "不能为空")])
    if len(name) > 200:
        raise InputError([Problem("name", "最多 200 个字符")])
    invisible = invisible_problem(name)
    if invisible:
        raise InputError([Problem("name", invisible)])
    return name


CHANGED_SINCE = "他人已修改了这份薪酬方案，请重新打开后再保存（您的输入未保存）"
CHANGED_STATE = "这份薪酬方案刚刚已被他人更改（保存、共享或撤回），未做任何修改；请刷新页面后再操作"


def _claim(item: Roster, seen: int) -> None:
    """Move the roster from version ``seen`` to the next one in one conditional UPDATE, so that of two saves
    made from the same version exactly one goes through (the row lock of ``access.load`` does not exist on
    SQLite, and a check made in Python before the write is not atomic with it)."""
    moved = db.session.execute(
        sql_update(Roster).where(Roster.id == item.id, Roster.version == seen)
        .values(version=seen + 1).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        raise WorkflowError(CHANGED_SINCE)
    db.session.refresh(item, ["version"])


def _move(item: Roster, *where, **values) -> None:
    """Change the roster's sharing state only if it still is what this request saw (``where``), in one conditional
    UPDATE whose row count is checked: of two requests from the same page (share and withdraw, two shares), one
    goes through and the other is told so, on every database."""
    moved = db.session.execute(sql_update(Roster).where(Roster.id == item.id, *where)
                               .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        raise WorkflowError(CHANGED_STATE)
    db.session.refresh(item, ["shared_number", "version", "updated_at"])


def _add_version(item: Roster, user: User, roster: list, params: ParameterSet, rows: list[int] | None,
                 source: str, named: int | None, seen: int | None = None) -> RosterVersion:
    """A new version under the roster's current name, checked against the reference revision the page named
    (``named``); refused when it would be the latest one again. ``seen``: the version the save was made from (an
    existing roster), claimed atomically before writing."""
    revision = named_reference(item.budget, item.organisation_id, named).number
    result = check(item.budget, item.organisation_id, roster, params, rows)
    text = json.dumps(roster, ensure_ascii=False)
    rows_text = json.dumps(rows) if rows else None
    if item.versions:
        latest = item.latest
        if (latest.roster_json, latest.budget_revision, latest.name) == (text, revision, item.name) \
                and json.loads(latest.result_json)["parameter_set"] == result["parameter_set"]:
            raise WorkflowError(f"没有修改：与当前的版本 {latest.number} 相同，未保存新版本")
    number = (item.latest.number + 1) if item.versions else 1
    if seen is not None:
        _claim(item, seen)
    totals = result["totals"]
    version = RosterVersion(
        number=number, name=item.name, source=source[:300],
        roster_json=text,
        rows_json=rows_text, result_json=json.dumps(result, ensure_ascii=False), budget_revision=revision,
        people=totals["people"], failing=totals["fail"], verdict=totals["verdict"],
        roster_cost=Decimal(totals["roster_cost"]), created_by_id=user.id)
    item.versions.append(version)
    item.version, item.updated_at = version.number, utcnow()
    return version


def default_name(user: User, budget: Budget, project: str) -> str:
    """「项目 薪酬方案」, numbered from the second one the organisation makes for the budget (第 2 份)."""
    made = db.session.scalar(select(func.count()).select_from(Roster).where(
        Roster.budget_id == budget.id, Roster.organisation_id == user.organisation_id))
    return f"{project} 薪酬方案" + (f"（第 {made + 1} 份）" if made else "")


def create(user: User, budget: Budget, name: str, roster: list, params: ParameterSet, how: str = "页面录入",
           rows: list[int] | None = None, *, revision: int | None) -> Roster:
    """A new roster, checked against the budget's reference revision, which the page must name (``revision``)."""
    item = Roster(organisation_id=user.organisation_id, budget=budget, name=_name(name), created_by_id=user.id)
    _add_version(item, user, roster, params, rows, how, revision)
    db.session.add(item)
    db.session.flush()
    accounts.record("roster_save", f"roster:{item.id}", f"新建，版本 1（{how}）：{len(roster)} 人，对应 budget:{budget.id}",
                    user=user)
    return item


def update(item: Roster, user: User, roster: list, params: ParameterSet, version: int, how: str = "页面录入",
           rows: list[int] | None = None, name: str | None = None, *, revision: int | None) -> RosterVersion:
    """A new version (the shared one, if any, stays what the purchaser sees until this one is shared), made from
    roster version ``version`` and checked against the reference revision, which the page must name
    (``revision``)."""
    if version != item.version:
        raise WorkflowError(CHANGED_SINCE)
    if name is not None:
        item.name = _name(name)
    added = _add_version(item, user, roster, params, rows, how, revision, seen=version)
    accounts.record("roster_import" if how.startswith("导入") else "roster_save", f"roster:{item.id}",
                    f"版本 {added.number}（{how}）：{len(roster)} 人", user=user)
    return added


def share(item: Roster, user: User, version: int | None = None) -> RosterVersion:
    """Show the purchaser the latest version, as it is now; later saves do not change what it sees.
    ``version``: the one the user was looking at (refused if another has been saved since)."""
    latest = item.latest
    if version is not None and version != latest.number:
        raise WorkflowError(f"您查看的是版本 {version}，此后已保存了版本 {latest.number}：请先查看该版本再共享")
    if item.shared_number == latest.number:
        raise WorkflowError(f"版本 {latest.number} 已共享给采购人")
    before = item.shared_number
    _move(item, Roster.version == latest.number,
          Roster.shared_number.is_(None) if before is None else Roster.shared_number == before,
          shared_number=latest.number)
    latest.shared_at, latest.shared_by_id, latest.withdrawn_at = utcnow(), user.id, None
    accounts.record("roster_share", f"roster:{item.id}",
                    f"版本 {latest.number} 共享给 {item.budget.organisation.name}"
                    + (f"（替换版本 {before}）" if before else ""), user=user)
    return latest


def withdraw(item: Roster, user: User) -> None:
    """The purchaser no longer sees the proposal (its versions stay the contractor's, with their history)."""
    shown = item.shared
    if shown is None:
        raise WorkflowError("这份薪酬方案没有共享给采购人")
    _move(item, Roster.shared_number == shown.number, shared_number=None)
    now = utcnow()
    for version in item.versions:           # every version shown before, not only the last: none comes back
        if version.shared_at is not None and version.withdrawn_at is None:
            version.withdrawn_at = now
    accounts.record("roster_withdraw", f"roster:{item.id}", f"撤回共享的版本 {shown.number}", user=user)


def delete(item: Roster, user: User) -> None:
    """A proposal never shown to the purchaser can be deleted with all its versions."""
    if item.ever_shared:
        raise WorkflowError("这份薪酬方案曾共享给采购人，不能删除（可以撤回共享）")
    _move(item, Roster.shared_number.is_(None), Roster.version == item.version)     # not shared meanwhile
    accounts.record("roster_delete", f"roster:{item.id}", f"删除「{item.name}」（{item.version} 个版本，未共享）",
                    user=user)
    db.session.delete(item)


def discard_drafts(item: Roster, user: User) -> int:
    """Drop the versions saved since the last one shown to the purchaser (the roster goes back to it)."""
    drafts = item.drafts
    if not drafts:
        raise WorkflowError("没有未共享的修改")
    if len(drafts) == len(item.versions):
        raise WorkflowError("这份方案从未共享，可以整份删除")
    _move(item, Roster.version == item.version, version=drafts[0].number - 1)
    for version in drafts:
        item.versions.remove(version)
    item.version, item.name, item.updated_at = item.latest.number, item.latest.name, utcnow()
    accounts.record("roster_discard", f"roster:{item.id}",
                    f"放弃未共享的版本 {'、'.join(str(v.number) for v in drafts)}，回到版本 {item.version}", user=user)
    return len(drafts)


def visible_versions(item: Roster, user: User) -> list[RosterVersion]:
    """The versions this user may read: all of them for the owner (and an administrator); for the purchaser,
    those shared with it and not withdrawn, up to the one it is shown now."""
    if user.organisation_id == item.organisation_id or user.is_admin:
        return list(item.versions)
    if item.shared_number is None:
        return []
    return [v for v in item.versions if v.shared_at is not None and v.withdrawn_at is None
            and v.number <= item.shared_number]


def seen_version(item: Roster, user: User) -> RosterVersion:
    """What this user reads by default: the owner the latest version, the purchaser the shared one."""
    versions = visible_versions(item, user)
    if user.organisation_id == item.organisation_id or user.is_admin:
        return versions[-1]
    return item.shared


def for_budget(user: User, budget: Budget) -> list[Roster]:
    """The rosters checked against this budget that this user may see, newest first."""
    return db.session.scalars(select(Roster).where(Roster.budget_id == budget.id, visible_to(user))
                              .order_by(Roster.updated_at.desc())).all()


def exists_for(budget_id: int) -> bool:
    """Whether any contractor has checked a pay proposal against this budget."""
    return db.session.scalar(select(Roster.id).where(Roster.budget_id == budget_id).limit(1)) is not None
