"""Accounts and the audit log, as the rest of the application uses them: who did what, when; making
users and organisations."""
from __future__ import annotations

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from ..models import AuditEntry, Organisation, User, db

ACTIONS = {"sign_in": "登录", "sign_in_failed": "登录失败", "locked": "账号锁定", "sign_out": "退出",
           "create": "新建预算", "save": "保存", "duplicate": "复制", "delete": "删除草稿", "submit": "提交",
           "approve": "审核通过", "return": "退回修改", "share": "共享", "unshare": "取消共享", "export": "导出",
           "roster_save": "保存薪酬方案", "roster_import": "导入花名册", "roster_share": "共享薪酬方案",
           "roster_withdraw": "撤回共享薪酬方案", "roster_delete": "删除薪酬方案", "roster_discard": "放弃未共享的修改",
           "params_seed": "导入政策参数", "param_add": "录入政策参数", "param_confirm": "复核通过政策参数",
           "param_reject": "驳回政策参数", "param_withdraw": "撤回政策参数", "budget_recompute": "按最新参数重新测算", "justify": "填写例外说明", "contract": "填写合同信息",
           "create_org": "新建单位", "create_user": "新建用户", "unlock": "解除锁定", "update_user": "修改用户"}
TARGETS = {"budget": "预算", "user": "用户", "organisation": "单位", "roster": "薪酬方案"}


def record(action: str, target: str = "", detail: str = "", user=None) -> None:
    """Add an entry to the audit log in the current transaction (committed with the change it records)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    db.session.add(AuditEntry(action=action, target=target[:80], detail=detail[:500],
                              user_id=user.id if user else None,
                              organisation_id=user.organisation_id if user else None))


def target_label(value: str) -> str:
    """budget:12 → 预算 #12 (how the audit log names what an entry is about)."""
    kind, _, number = (value or "").partition(":")
    return f"{TARGETS[kind]} #{number}" if kind in TARGETS and number else value


def organisation(name: str, kind: str) -> Organisation:
    """The organisation of that name, made if it does not exist yet."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def create_user(username, display_name, password, organisation, role="preparer", is_admin=False) -> User:
    user = User(username=username, display_name=display_name, organisation=organisation, role=role,
                is_admin=is_admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def username_taken(username: str) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username)) is not None
