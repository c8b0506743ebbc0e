"""Accounts and the audit log, as the rest of the application uses them: who did what, when; making
users and organisations; an account's life (passwords, deactivation, administrators confirmed by a second
administrator) and the sessions it may keep.

The functions that change an account take the acting user and the moment, check the rules, change the rows
and add the audit entries; the caller commits. A refusal is an ``AccountError`` saying why, in Chinese."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from ..clock import CHINA
from ..models import AuditEntry, Budget, DistrictTier, Organisation, ParamValue, Roster, User, db
from ..parameters import service as parameters
from ..results import labels
from ..results.format import figure
from . import passwords, throttle

ACTIONS = {"sign_in": "登录", "sign_in_failed": "登录失败", "locked": "账号锁定", "sign_out": "退出",
           "throttled": "登录受限",
           "create": "新建预算", "save": "保存", "duplicate": "复制", "delete": "删除草稿", "submit": "提交",
           "approve": "审核通过", "return": "退回修改", "share": "共享", "unshare": "撤回共享", "export": "导出",
           "roster_save": "保存薪酬方案", "roster_import": "导入花名册", "roster_share": "共享薪酬方案",
           "roster_withdraw": "撤回共享薪酬方案", "roster_delete": "删除薪酬方案", "roster_discard": "放弃未共享的修改",
           "params_seed": "导入政策参数", "param_add": "录入政策参数", "param_confirm": "复核通过政策参数",
           "param_reject": "驳回政策参数", "param_withdraw": "撤回政策参数",
           "source_check": "提出核实来源", "source_check_confirm": "复核通过核实来源", "source_check_reject": "驳回核实来源",
           "source_check_withdraw": "撤回核实来源", "budget_recompute": "按最新参数重新测算", "justify": "填写例外说明", "contract": "填写合同信息",
           "correction_keep": "参数更正后按原数值继续",
           "create_org": "新建单位", "create_user": "新建用户", "unlock": "解除锁定", "unlock_client": "解除地址限制",
           "update_user": "修改用户", "password_change": "修改密码", "password_reset": "重置密码",
           "deactivate": "停用用户", "reactivate": "启用用户",
           "update_org": "修改单位", "deactivate_org": "停用单位", "reactivate_org": "启用单位",
           "admin_propose": "提议设为管理员", "admin_confirm": "确认设为管理员", "admin_reject": "驳回管理员提议",
           "admin_withdraw": "撤回管理员提议"}
PASSWORD_RULES = passwords.RULES            # for the command line (the rules themselves: accounts.passwords)
password_problem = passwords.problem


class AccountError(Exception):
    """An account change the rules refuse; the message says why."""


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client's address and the browser (an id its session cookie keeps across
    sign-ins, so one browser signed in as two people is one browser)."""
    client: str | None = None
    browser: str | None = None


# the addresses a proposer signed in from within this time before the proposal (and any since) count as theirs
PROPOSER_ADDRESSES = timedelta(days=30)


def record(action: str, target: str = "", detail: str = "", user=None) -> None:
    """Add an entry to the audit log in the current transaction (committed with the change it records)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    db.session.add(AuditEntry(action=action, target=target[:80], detail=detail[:500],
                              user_id=user.id if user else None,
                              organisation_id=user.organisation_id if user else None))


@dataclass(frozen=True)
class Mention:
    """Words of an audit entry, and the page they lead to (an endpoint and its values) where there is one."""
    text: str
    endpoint: str | None = None
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AuditLine:
    """An audit entry as an administrator reads it: what it is about and what it says, in words and links."""
    entry: AuditEntry
    action: str
    target: Mention
    detail: tuple[Mention, ...]


# how entries name what they are about (``target``, and within ``detail``): budget:12, param:63 …
REFERENCE = re.compile(r"\b(budget|roster|user|organisation|param|tier):(\d+)\b")
# sets of policy parameters by their digests (a budget recomputed with new figures: 参数集 3946bcdf622c → b69cef92ceac)
SET_DIGEST = re.compile(r"参数集 ([0-9a-f]{12,64})\b(?: → ([0-9a-f]{12,64})\b)?")
MENTIONED = re.compile(f"{REFERENCE.pattern}|{SET_DIGEST.pattern}")
SEED_TARGETS = {"shipped": "随软件发布的数据文件", "file": "导入的数据文件"}


# Where the app itself writes a reference into an entry's detail (anything else there may be a person's text — a note,
# a reason, a file name — and is never read as a reference: 「经 user:7 同意」 typed in a note stays those words)
APP_REFERENCES = {
    "roster_save": re.compile(r"对应 (?P<ref>budget:\d+)$"),
    "duplicate": re.compile(r"^复制自 (?P<ref>budget:\d+)$"),                       # (entries before 2026-12)
    "budget_recompute": re.compile(r"^修订 \d+：(?P<ref>参数集 [0-9a-f]{12,64} → [0-9a-f]{12,64})$"),   # (likewise)
}


def _app_reference(entry: AuditEntry) -> re.Match | None:
    pattern = APP_REFERENCES.get(entry.action)
    return pattern.search(entry.detail or "") if pattern else None


def audit_lines(entries: list[AuditEntry], current_set: str) -> list[AuditLine]:
    """The audit log in words: 「预算《A 项目》」 with a link for budget:12, 「政策参数：… 2026-01-01 起」 for param:63,
    a set of policy parameters by its latest change; whatever no longer exists is said to be gone."""
    texts = [e.target or "" for e in entries] + [found["ref"] for e in entries if (found := _app_reference(e))]
    wanted: dict[str, set[int]] = {}
    for text in texts:
        for kind, number in REFERENCE.findall(text):
            wanted.setdefault(kind, set()).add(int(number))
    named = _mentions(wanted)
    sets = parameters.set_names(db.session, {d for t in texts for m in SET_DIGEST.findall(t) for d in m if d},
                                current_set)

    def mention(kind: str, number: str) -> Mention:
        return named[kind][int(number)]

    lines = []
    for e in entries:
        target = REFERENCE.fullmatch(e.target or "")
        if target:
            about = mention(*target.groups())
        elif e.action == "params_seed":
            about = Mention(SEED_TARGETS.get(e.target, "服务器上的数据文件"))
        else:
            about = Mention(e.target or "")
        text, detail = e.detail or "", []
        reference = _app_reference(e)
        if reference is None:
            detail.append(Mention(text))
        else:
            found = MENTIONED.fullmatch(reference["ref"])
            detail += [Mention(text[:reference.start("ref")]),
                       mention(found[1], found[2]) if found[1] else
                       Mention(" → ".join(sets[digest] for digest in found.groups()[2:] if digest)),
                       Mention(text[reference.end("ref"):])]
        lines.append(AuditLine(e, ACTIONS.get(e.action, e.action), about,
                               tuple(m for m in detail if m.text)))
    return lines


def _mentions(wanted: dict[str, set[int]]) -> dict[str, dict[int, Mention]]:
    """What each referenced row is called, read in one query a kind."""
    def rows(model, kind):
        ids = wanted.get(kind, set())
        found = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
        return ids, found

    named: dict[str, dict[int, Mention]] = {}
    ids, budgets = rows(Budget, "budget")
    gone = _deleted_budget_names(ids - set(budgets))
    named["budget"] = {i: Mention(f"预算《{budgets[i].name}》", "budgets.show", {"budget_id": i}) if i in budgets
                       else Mention(f"已删除的预算《{gone[i]}》" if i in gone else "已删除的预算") for i in ids}
    ids, rosters = rows(Roster, "roster")
    named["roster"] = {i: Mention(f"薪酬方案《{rosters[i].name}》", "rosters.show", {"roster_id": i}) if i in rosters
                       else Mention("已删除的薪酬方案") for i in ids}
    ids, users = rows(User, "user")
    named["user"] = {i: Mention(f"用户 {users[i].username}（{users[i].display_name}）", "admin.users")
                     if i in users else Mention("已删除的用户") for i in ids}
    ids, organisations = rows(Organisation, "organisation")
    named["organisation"] = {i: Mention(f"单位「{organisations[i].name}」", "admin.organisations")
                             if i in organisations else Mention("已删除的单位") for i in ids}
    ids, values = rows(ParamValue, "param")
    named["param"] = {i: Mention(f"政策参数：{values[i].family.label} {labels.region(values[i].region)} "
                                 f"{values[i].start or '日期不详'} 起 {figure(values[i].value, values[i].family.unit)}",
                                 "params.family",
                                 {"key": values[i].family_key}) if i in values else Mention("政策参数") for i in ids}
    ids, tiers = rows(DistrictTier, "tier")
    named["tier"] = {i: Mention(f"区县档次：{tiers[i].district} {tiers[i].start} 起", "params.districts")
                     if i in tiers else Mention("区县档次") for i in ids}
    return named


ABOUT = {"budget": "预算", "roster": "薪酬方案", "user": "用户", "organisation": "单位", "param": "政策参数",
         "tier": "区县档次"}
SEARCH_WORDS = 5            # words of a search, each of which an entry must match


@dataclass(frozen=True)
class AuditSearch:
    """What an administrator looks for in the audit log: who (a user name), what was done (an action's code), what it
    is about (a kind of object), words (each found in what the entry is about, as the log names it, in what was done
    or in what it says), and Beijing dates, both inclusive."""
    user: str = ""
    action: str = ""
    about: str = ""
    words: str = ""
    since: date | None = None
    until: date | None = None

    @property
    def terms(self) -> list[str]:
        return self.words.split()[:SEARCH_WORDS]


def _beijing_midnight(day: date) -> datetime:
    """The start of a Beijing day, in UTC as moments are stored (SQLite compares them as written)."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(timezone.utc)


def _named_targets(word: str) -> list[str]:
    """The audit targets (budget:12 …) whose name, as the log says it, holds ``word``."""
    targets = set(db.session.scalars(select(AuditEntry.target).distinct().where(
        or_(*(AuditEntry.target.startswith(f"{kind}:") for kind in ABOUT)))))
    wanted: dict[str, set[int]] = {}
    for target in targets:
        found = REFERENCE.fullmatch(target or "")
        if found:
            wanted.setdefault(found[1], set()).add(int(found[2]))
    named = _mentions(wanted)
    word = word.casefold()
    return [f"{kind}:{number}" for kind, by_id in named.items() for number, m in by_id.items()
            if word in m.text.casefold()]


def audit_query(search: AuditSearch):
    """The audit entries a search finds, newest first (a SELECT to page or to export)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if search.user:
        query = query.where(AuditEntry.user_id.in_(select(User.id).where(User.username == username_key(search.user))))
    if search.action:
        query = query.where(AuditEntry.action == search.action)
    if search.about:
        query = query.where(AuditEntry.target.startswith(f"{search.about}:"))
    if search.since:
        query = query.where(AuditEntry.at >= _beijing_midnight(search.since))
    if search.until:
        query = query.where(AuditEntry.at < _beijing_midnight(search.until + timedelta(days=1)))
    for word in search.terms:
        actions = [code for code, label in ACTIONS.items() if word in label]
        query = query.where(or_(AuditEntry.detail.contains(word, autoescape=True), AuditEntry.action.in_(actions),
                                AuditEntry.target.in_(_named_targets(word)),
                                AuditEntry.user_id.in_(select(User.id).where(or_(
                                    User.username.contains(word.lower(), autoescape=True),
                                    User.display_name.contains(word, autoescape=True))))))
    return query


def _deleted_budget_names(ids: set[int]) -> dict[int, str]:
    """A deleted budget's name, as its creation or deletion was recorded."""
    if not ids:
        return {}
    targets = {f"budget:{i}": i for i in ids}
    return {targets[e.target]: e.detail for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.target.in_(targets), AuditEntry.action.in_(("create", "delete")))
        .order_by(AuditEntry.id))}


def organisation(name: str, kind: str) -> Organisation:
    """The organisation of that name, made if it does not exist yet."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def username_key(username: str) -> str:
    """A user name as it is stored and matched: without the spaces around it, in lower case (people type
    「Jiangbei.Bianzhi」 and 「jiangbei.bianzhi」 for one account; names are ASCII letters, digits and . _ -)."""
    return (username or "").strip().lower()


def create_user(username, display_name, password, organisation, role="preparer", is_admin=False,
                must_change_password=False) -> User:
    """A user as given (the command line's first administrator, the demo, the tests). An administrator's page
    makes users through ``create_by_admin``, which never makes an administrator at once."""
    user = User(username=username_key(username), display_name=display_name, organisation=organisation, role=role,
                is_admin=is_admin, must_change_password=must_change_password)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def username_taken(username: str) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username_key(username))) is not None


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username_key(username)))


# Sessions ------------------------------------------------------------------------------------------------

def session_user(token: str | None) -> User | None:
    """The user a session names (``id.version``, see ``User.get_id``), if that session still stands: the account
    is active and its session version has not moved on (sign-out, a new password, deactivation)."""
    user_id, _, version = (token or "").partition(".")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()
            and len(user_id) <= 9 and len(version) <= 9):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """Every session of this user, on every browser, is signed out (a copied cookie too)."""
    user.session_version += 1


def authenticate(username: str, password: str) -> tuple[User | None, bool]:
    """(the account of that name if any, whether it may sign in with this password). The same work whether or
    not the name exists: one query and one password hash check."""
    user = db.session.scalar(select(User).options(joinedload(User.organisation))      # (is_active reads it)
                             .where(User.username == username_key(username)))
    matches = passwords.verify(user.password_hash if user else None, password)
    return user, bool(user and matches and user.is_active)


def signed_in(user: User, password: str) -> None:
    """A successful sign-in: a hash made the old way is made again the current way."""
    if passwords.outdated(user.password_hash):
        user.set_password(password)


def change_password(user: User, new: str, now: datetime, origin: Origin = Origin()) -> None:
    """The user's own new password (the caller checked the current one and the rules): other sessions end. Where
    it was set is kept (an administrator's confirmation reads it)."""
    user.set_password(new)
    user.must_change_password = False
    user.password_changed_at = now
    user.password_set_from, user.password_set_browser = origin.client, origin.browser
    end_sessions(user)
    record("password_change", f"user:{user.id}", user.username, user=user)


# Administration -------------------------------------------------------------------------------------------

def create_by_admin(actor: User, username: str, display_name: str, password: str, org: Organisation, role: str,
                    make_admin: bool, now: datetime, origin: Origin = Origin()) -> User:
    """A new user with the first password the administrator gave (to be replaced at the first sign-in); asked to be
    an administrator, the user is only proposed as one."""
    user = create_user(username, display_name, password, org, role, must_change_password=True)
    record("create_user", f"user:{user.id}", f"{user.username}，{org.name}，{user.role_label}", user=actor)
    if make_admin:
        propose_admin(actor, user, now, origin)
    return user


def propose_admin(actor: User, target: User, now: datetime, origin: Origin = Origin()) -> None:
    """Raising a user to administrator waits for a different administrator's confirmation."""
    if target.is_admin:
        raise AccountError(f"{target.username} 已是管理员")
    if target.admin_proposed_by_id is not None:
        raise AccountError(f"{target.username} 已在等待确认为管理员")
    if not target.active:
        raise AccountError(f"{target.username} 已停用，不能设为管理员")
    if target.organisation.kind == "contractor":
        # administrators keep the policy figures and the accounts; the party being priced must not
        raise AccountError(f"{target.username} 属于承接主体：承接主体的用户不能设为管理员")
    target.admin_proposed_by_id, target.admin_proposed_at = actor.id, now
    target.admin_proposed_from, target.admin_proposed_browser = origin.client, origin.browser
    record("admin_propose", f"user:{target.id}", f"提议 {target.username} 为管理员，须另一位管理员确认", user=actor)


def confirm_admin(actor: User, target: User) -> None:
    """A second administrator confirms the proposal; the proposer never can."""
    proposer = _pending(target)
    if proposer.id == actor.id:
        raise AccountError("提议人不能自己确认：须由另一位管理员确认")
    if not target.active:
        raise AccountError(f"{target.username} 已停用，不能确认为管理员")
    if target.must_change_password:
        raise AccountError(f"{target.username} 还在使用管理员设置的密码：须等本人登录并设置自己的密码后再确认")
    same = same_place(target, proposer)
    if same:
        raise AccountError(f"不能确认：{target.username} 的密码是{same}设置的，可能是提议人本人所为。请被提议人在自己的"
                           f"电脑上登录并重新设置密码后再确认；或撤回提议，由服务器管理人员用 flask --app wsgi costing "
                           f"create-admin 设置")
    target.is_admin = True
    target.admin_proposed_by_id, target.admin_proposed_at = None, None
    record("admin_confirm", f"user:{target.id}", f"确认 {target.username} 为管理员（提议人 {proposer.username}）",
           user=actor)


def proposer_addresses(proposer: User, since: datetime) -> set[str]:
    """The addresses the proposer signed in from since ``since`` (the audit log's sign-ins say 「来自 <address>」)."""
    details = db.session.scalars(select(AuditEntry.detail).where(
        AuditEntry.user_id == proposer.id, AuditEntry.action == "sign_in", AuditEntry.at >= since))
    return {detail.removeprefix("来自 ") for detail in details if detail.startswith("来自 ")}


def same_place(target: User, proposer: User) -> str | None:
    """Why the proposed user's own password looks set by the proposer (None if it does not): the rule is that it
    was set in the browser the proposal was made from, or from the proposal's address, or from an address the
    proposer signed in from in the 30 days before the proposal or since. A password whose place was not kept
    (set before this rule) is not refused; the page says so."""
    if target.password_set_browser and target.password_set_browser == target.admin_proposed_browser:
        return "在提议人提议时所用的同一浏览器中"
    where = target.password_set_from
    if where and (where == target.admin_proposed_from or
                  where in proposer_addresses(proposer, target.admin_proposed_at - PROPOSER_ADDRESSES)):
        return f"从提议人使用过的地址 {where} "
    return None


def cancel_admin(actor: User, target: User) -> str:
    """The proposer withdraws the proposal, or another administrator rejects it. Returns what was done."""
    proposer = _pending(target)
    action = "admin_withdraw" if proposer.id == actor.id else "admin_reject"
    target.admin_proposed_by_id, target.admin_proposed_at = None, None
    record(action, f"user:{target.id}", f"{target.username}（提议人 {proposer.username}）", user=actor)
    return ACTIONS[action]


def _pending(target: User) -> User:
    if target.is_admin or target.admin_proposed_by_id is None:
        raise AccountError(f"{target.username} 没有待确认的管理员提议")
    return db.session.get(User, target.admin_proposed_by_id)


def reset_password(actor: User, target: User, now: datetime) -> str:
    """A temporary password for a user who forgot theirs (said to them in person or by telephone): their
    sessions end and they must set a new one when they sign in. Returns the temporary password."""
    if target.id == actor.id:
        raise AccountError("自己的密码请在「修改密码」中修改")
    if target.is_admin or target.admin_proposed_by_id is not None:
        # whoever knows an administrator's password acts as that administrator: a reset by another one
        # would let one person hold two administrators' rights (and confirm their own figures)
        raise AccountError("管理员的密码不能由另一位管理员重置：请本人在「修改密码」中修改；忘记密码时由服务器管理人员"
                           "运行 flask --app wsgi costing reset-password")
    temporary = passwords.temporary()
    _set_temporary(target, temporary, now)
    record("password_reset", f"user:{target.id}", f"{target.username}：已设临时密码，登录后须设置新密码", user=actor)
    return temporary


def reset_by_operator(target: User, password: str, now: datetime) -> None:
    """The command line's reset (server access, any account, administrators too)."""
    _set_temporary(target, password, now)
    record("password_reset", f"user:{target.id}", f"{target.username}：在服务器上用命令行重置，登录后须设置新密码")


def _set_temporary(target: User, password: str, now: datetime) -> None:
    target.set_password(password)
    target.must_change_password = True
    target.password_changed_at = now
    end_sessions(target)
    throttle.clear_name(db.session, target.username)


MIN_ADMINS = 2          # the two-person rule needs two administrators who can sign in


def _admins_left(without: set[int] = frozenset(), without_organisation: int | None = None) -> list[User]:
    """The administrators who could still sign in without these users (or this organisation's), read afresh. The
    rows (administrators and the users asked about) are locked in one query in the order of their ids by every
    request that asks, so two deactivations on PostgreSQL wait in turn rather than deadlock."""
    rows = db.session.scalars(select(User).where(or_(User.is_admin.is_(True), User.id.in_(without or {0})))
                              .order_by(User.id).with_for_update().execution_options(populate_existing=True)).all()
    return [u for u in rows if u.is_admin and u.is_active and u.id not in without
            and u.organisation_id != without_organisation]


def _other_admins(without_user=None, without_organisation=None):
    """A count, inside an UPDATE, of the administrators who can sign in besides that user (or that organisation's):
    the write happens only while two remain, on SQLite (no row locks) as on PostgreSQL."""
    other = aliased(User)
    query = (select(func.count()).select_from(other).join(Organisation, Organisation.id == other.organisation_id)
             .where(other.is_admin.is_(True), other.active.is_(True), Organisation.active.is_(True)))
    if without_user is not None:
        query = query.where(other.id != without_user)
    if without_organisation is not None:
        query = query.where(other.organisation_id != without_organisation)
    return query.scalar_subquery()


def _keeps_two_admins(left: list[User], what: str) -> None:
    if len(left) < MIN_ADMINS:
        names = "、".join(u.username for u in left) or "没有"
        raise AccountError(f"不能{what}：之后在用的管理员只剩{names}（{len(left)} 位），政策参数与管理员的复核须两位管理员；"
                           f"请先提议并确认另一位管理员")


def deactivate(actor: User, target: User) -> None:
    """The user can no longer sign in, and their sessions end. Never oneself, never an administrator when fewer than
    two administrators would be left."""
    if target.id == actor.id:
        raise AccountError("不能停用自己的账号")
    left = _admins_left({target.id})
    if not target.active:
        raise AccountError(f"{target.username} 已停用")
    what = f"停用管理员 {target.username}"
    if target.is_admin:
        _keeps_two_admins(left, what)
    write = update(User).where(User.id == target.id, User.active.is_(True))
    if target.is_admin:
        write = write.where(_other_admins(without_user=target.id) >= MIN_ADMINS)
    if db.session.execute(write.values(active=False).execution_options(synchronize_session=False)).rowcount != 1:
        db.session.rollback()               # another administrator was deactivated a moment ago
        _keeps_two_admins(_admins_left({target.id}), what)
        raise AccountError(f"{target.username} 刚刚已被他人更改，请刷新页面后再操作")
    db.session.refresh(target)
    end_sessions(target)
    record("deactivate", f"user:{target.id}", target.username, user=actor)


def rename_organisation(actor: User, org: Organisation, name: str, district: str | None) -> None:
    """A new name (unique) and the district an organisation belongs to (budgets and annexes print the new name)."""
    name = name.strip()
    taken = db.session.scalar(select(Organisation.id).where(Organisation.name == name, Organisation.id != org.id))
    if taken is not None:
        raise AccountError("已有同名单位")
    before = (org.name, org.district)
    if before == (name, district or None):
        raise AccountError("没有修改")
    org.name, org.district = name, district or None
    record("update_org", f"organisation:{org.id}",
           f"{before[0]}（{before[1] or '未指定区县'}）→ {org.name}（{org.district or '未指定区县'}）", user=actor)


def deactivate_organisation(actor: User, org: Organisation) -> None:
    """Nobody of the organisation can sign in (their sessions end); its budgets, rosters and history stay. Never one's
    own, never one whose administrators would leave fewer than two."""
    if org.id == actor.organisation_id:
        raise AccountError("不能停用自己所在的单位")
    if not org.active:
        raise AccountError(f"{org.name} 已停用")
    what = f"停用{org.name}"
    _keeps_two_admins(_admins_left(without_organisation=org.id), what)
    moved = db.session.execute(update(Organisation).where(
        Organisation.id == org.id, Organisation.active.is_(True),
        _other_admins(without_organisation=org.id) >= MIN_ADMINS).values(active=False)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        _keeps_two_admins(_admins_left(without_organisation=org.id), what)
        raise AccountError(f"{org.name} 刚刚已被他人更改，请刷新页面后再操作")
    db.session.refresh(org)
    for person in db.session.scalars(select(User).where(User.organisation_id == org.id)):
        end_sessions(person)
    record("deactivate_org", f"organisation:{org.id}", org.name, user=actor)


def reactivate_organisation(actor: User, org: Organisation) -> None:
    if org.active:
        raise AccountError(f"{org.name} 没有停用")
    org.active = True
    record("reactivate_org", f"organisation:{org.id}", org.name, user=actor)


def reactivate(actor: User, target: User) -> None:
    if target.active:
        raise AccountError(f"{target.username} 没有停用")
    target.active = True
    record("reactivate", f"user:{target.id}", target.username, user=actor)
