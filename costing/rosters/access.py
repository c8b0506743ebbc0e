"""Who may see and change a pay proposal. It belongs to the contractor organisation; the purchaser sees it
only once the contractor shares it. Every roster query goes through ``visible_to``."""
from __future__ import annotations

from flask import abort
from sqlalchemy import and_, select

from ..budgets import service as budgets
from ..models import Budget, Roster, User, db


def visible_to(user: User):
    """A WHERE clause: the rosters this user may see."""
    if user.is_admin:
        return True
    if user.organisation.kind == "contractor":
        return Roster.organisation_id == user.organisation_id
    if user.organisation.kind == "purchaser":
        return and_(Roster.shared_number.is_not(None), Roster.budget_id.in_(
            select(Budget.id).where(Budget.organisation_id == user.organisation_id)))
    return False


def load(roster_id: int, user: User, for_update: bool = False) -> Roster:
    """The roster if this user may see it; 404 otherwise. ``for_update``: locked until the transaction ends,
    so two saves of one roster run one after the other (the second sees the first's version)."""
    query = select(Roster).where(Roster.id == roster_id, visible_to(user))
    item = db.session.scalar(query.with_for_update(of=Roster) if for_update else query)
    if item is None:
        abort(404)
    return item


def is_contractor(user: User) -> bool:
    return user.organisation.kind == "contractor" and not user.is_admin


def can_edit(user: User, item: Roster) -> bool:
    """The owning contractor, while the budget is still shared with it (after an unshare the roster
    stays readable to its owner, but nothing may be rechecked against the budget)."""
    return (is_contractor(user) and item.organisation_id == user.organisation_id
            and any(share.contractor_id == user.organisation_id for share in item.budget.shares))


def owns(user: User, item: Roster) -> bool:
    """The owning contractor: it may withdraw a share, discard drafts or delete an unshared roster even after
    the purchaser has stopped sharing the budget."""
    return is_contractor(user) and item.organisation_id == user.organisation_id


def contractor_budget(user: User, budget_id: int | None) -> Budget:
    """The budget a contractor starts a roster for: shared with it, else 404 (403 for anyone else)."""
    if not is_contractor(user):
        abort(403)
    if budget_id is None:
        abort(404)
    return budgets.load_budget(budget_id, user)
