"""Who may see and do what with a budget. Every budget query goes through ``visible_to``."""
from __future__ import annotations

from flask import abort
from sqlalchemy import exists, select

from ..models import Budget, BudgetShare, Revision, User, db


def visible_to(user: User):
    """A WHERE clause: the budgets this user may see."""
    if user.is_admin:
        return True
    kind = user.organisation.kind
    if kind == "purchaser":
        return Budget.organisation_id == user.organisation_id
    if kind == "contractor":
        return exists().where(BudgetShare.budget_id == Budget.id,
                              BudgetShare.contractor_id == user.organisation_id)
    return False


def load_budget(budget_id: int, user: User, for_update: bool = False) -> Budget:
    """The budget if this user may see it; 404 otherwise (no difference between absent and hidden).
    ``for_update`` locks the row until commit, so workflow steps on one budget happen one at a time."""
    query = select(Budget).where(Budget.id == budget_id, visible_to(user))
    if for_update:
        query = query.with_for_update(of=Budget)
    budget = db.session.scalar(query)
    if budget is None:
        abort(404)
    return budget


def can_see(user: User, budget: Budget) -> bool:
    """``visible_to`` for a budget already loaded (e.g. the one a roster belongs to)."""
    return db.session.scalar(select(Budget.id).where(Budget.id == budget.id, visible_to(user))) is not None


def is_contractor(user: User) -> bool:
    return user.organisation.kind == "contractor" and not user.is_admin


def shared_numbers(budget: Budget, organisation_id: int) -> list[int]:
    """The revisions of a budget shared with a contractor organisation, in order: exactly those it may read."""
    return sorted(s.revision_number for s in budget.shares if s.contractor_id == organisation_id)


def shared_revision(budget: Budget, organisation_id: int) -> Revision | None:
    """The newest revision of a budget shared with a contractor organisation (what it reads unless it asks for
    another shared one); None when none is shared with it. Approving or saving a revision never shares it."""
    numbers = shared_numbers(budget, organisation_id)
    return next((r for r in budget.revisions if r.number == numbers[-1]), None) if numbers else None


def _purchaser(user: User, budget: Budget | None = None) -> bool:
    return (user.organisation.kind == "purchaser" and not user.is_admin
            and (budget is None or budget.organisation_id == user.organisation_id))


def can_create(user: User) -> bool:
    """Preparers write budgets; approvers approve them and do not edit (so every revision has a second reader)."""
    return _purchaser(user) and user.role == "preparer"


def can_edit(user: User, budget: Budget) -> bool:
    return _purchaser(user, budget) and user.role == "preparer"


def can_approve(user: User, budget: Budget) -> bool:
    return _purchaser(user, budget) and user.role == "approver"


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)

