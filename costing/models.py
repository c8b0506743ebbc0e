"""Database models (SQLAlchemy 2.0 typed). Amounts are Numeric(14, 2); a revision's figures are stored
as the engine's JSON so an approved revision reads the same after the policy data changes."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock
from .engine.parameters import UNKNOWN_DOCUMENT
from .engine.result import change
from .results.labels import PERSON_STATUS, PERSON_STATUS_STYLE, REVISION_STATUS, standing

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

ORG_KINDS = {"purchaser": "采购人", "contractor": "承接主体", "bureau": "主管部门"}
ROLES = {"preparer": "编制", "approver": "审核"}
STATUSES = REVISION_STATUS
Money = Numeric(14, 2)


def utcnow() -> datetime:
    """A moment to store (UTC), from the one clock."""
    return clock.now()


def password_method() -> str:
    """How passwords are hashed: Werkzeug's scrypt (N=2^15, r=8, p=1, 16-character salt) unless the app sets
    PASSWORD_HASH_METHOD (the tests use a fast one)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


class Organisation(db.Model):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # the district (or 重庆市 for the municipal level) the organisation belongs to; None: not given
    district: Mapped[str | None] = mapped_column(String(60))
    # a deactivated organisation's people cannot sign in; its budgets, rosters and history stay
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def kind_label(self) -> str:
        return ORG_KINDS[self.kind]


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[str] = mapped_column(String(20), default="preparer")
    # a confirmed administrator; one proposed by an administrator is not one until another confirms it
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    admin_proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    admin_proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # raised to end every session of the user at once (sign-out, password change or reset, deactivation):
    # a session names the version it was made under, and an older one is signed out
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # set by an administrator (a new account's first password, a reset): the user sets their own first
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # where the user last set their own password (address, and the browser's id kept in its session), and where an
    # administrator proposed them as one: a proposal is not confirmed when both happened in one place
    password_set_from: Mapped[str | None] = mapped_column(String(64))
    password_set_browser: Mapped[str | None] = mapped_column(String(32))
    admin_proposed_from: Mapped[str | None] = mapped_column(String(64))
    admin_proposed_browser: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    organisation: Mapped[Organisation] = relationship()
    admin_proposed_by: Mapped[User | None] = relationship(remote_side="User.id", foreign_keys=[admin_proposed_by_id])

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What the session stores: the id and the session version (``7.3``); see ``accounts.service``."""
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:
        """The account may sign in: it is active, and so is its organisation."""
        return self.active and self.organisation.active

    @property
    def admin_pending(self) -> bool:
        return not self.is_admin and self.admin_proposed_by_id is not None

    @property
    def role_label(self) -> str:
        if self.is_admin:
            return "管理员"
        if self.organisation.kind == "contractor":
            return "承接主体"
        return ROLES[self.role]


class LoginFailure(db.Model):
    """A failed sign-in: the name typed (whether or not such an account exists) and the client's address.
    Counted over a sliding window to make a client that keeps failing wait; the account stays open to its
    owner from elsewhere. Rows older than the window are deleted as new attempts come."""
    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_client_at", "client", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(80), index=True)


class Budget(db.Model):
    """A project's budget: a chain of revisions; the list shows the latest one's figures."""
    __tablename__ = "budget"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(40))
    start: Mapped[str] = mapped_column(String(7))
    end: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    grand_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)   # optimistic lock: the latest number
    # the contract the annex belongs to (printed on it; blank lines are left for pen when empty)
    contract_no: Mapped[str | None] = mapped_column(String(100))
    party_a: Mapped[str | None] = mapped_column(String(200))          # 甲方 (else the purchaser's name)
    party_b: Mapped[str | None] = mapped_column(String(200))          # 乙方 (else the one contractor shared with)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # a copy: the budget and the revision it was copied from (the budget's id is cleared if it is deleted)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("budget.id", ondelete="SET NULL"))
    copied_from_revision: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[Organisation] = relationship()
    copied_from: Mapped[Budget | None] = relationship(remote_side="Budget.id", foreign_keys=[copied_from_id])
    revisions: Mapped[list[Revision]] = relationship(back_populates="budget", order_by="Revision.number",
                                                     cascade="all, delete-orphan")
    shares: Mapped[list[BudgetShare]] = relationship(back_populates="budget", cascade="all, delete-orphan",
                                                     order_by="BudgetShare.revision_number")

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def approved_number(self) -> int | None:
        """The newest revision that was approved (it stays approved when a new draft follows)."""
        approved = [r.number for r in self.revisions if r.approved_at is not None]
        return max(approved) if approved else None

    @property
    def returned(self) -> Revision | None:
        """The revision an approver sent back, while the budget is a draft that has not been submitted since."""
        if self.status != "draft":
            return None
        returned = [r for r in self.revisions if r.returned_at is not None]
        if not returned:
            return None
        last = max(returned, key=lambda r: clock.as_utc(r.returned_at))
        submitted_since = any(r.submitted_at is not None and clock.as_utc(r.submitted_at) > clock.as_utc(last.returned_at)
                              for r in self.revisions)
        return None if submitted_since else last


class Revision(db.Model):
    """One saved state of a budget. Its input and computed figures never change once written;
    only its workflow stamps move forward (submitted, approved)."""
    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("budget_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")
    # the heavy part: loaded only when a page or an export reads it (lists never do)
    input_json: Mapped[str] = mapped_column(Text, deferred=True)
    result_json: Mapped[str] = mapped_column(Text, deferred=True)
    parameter_set: Mapped[str] = mapped_column(String(40))
    grand_total: Mapped[Decimal] = mapped_column(Money)
    personnel_total: Mapped[Decimal] = mapped_column(Money)
    error_count: Mapped[int] = mapped_column(Integer)
    verify_code: Mapped[str | None] = mapped_column(String(20), index=True)   # derived from result_json
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # an approver sent the submitted revision back for changes (it is a draft again)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str | None] = mapped_column(String(500))
    budget: Mapped[Budget] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    exceptions: Mapped[list[RevisionException]] = relationship(back_populates="revision", order_by="RevisionException.id",
                                                              cascade="all, delete-orphan")
    # the policy figures it was priced with, and the corrections of any of them (budgets.corrections); found by
    # queries, loaded here only when a draft is deleted with them
    figures: Mapped[list[RevisionFigure]] = relationship(cascade="all, delete-orphan")
    corrections: Mapped[list[RevisionCorrection]] = relationship(back_populates="revision", cascade="all, delete-orphan",
                                                                foreign_keys="RevisionCorrection.revision_id")

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


class RevisionException(db.Model):
    """Why a revision goes forward despite an error finding (例外说明): written by the preparer, read by the
    approver, printed in the annex as an approved exception. ``key`` names the finding (its code, place and
    figures), so a justification never carries over to a finding whose numbers changed."""
    __tablename__ = "revision_exception"
    __table_args__ = (UniqueConstraint("revision_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    justification: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revision: Mapped[Revision] = relationship(back_populates="exceptions")
    author: Mapped[User] = relationship()


class RevisionFigure(db.Model):
    """A policy figure a revision was priced with, as its stored result cites it (family, region, start, value as
    ``fmt_rate`` writes it), kept when the revision is saved: the revisions priced with a figure later corrected
    are found by one query, without reading any stored result. Figures the budget states itself are not kept."""
    __tablename__ = "revision_figure"
    __table_args__ = (Index("ix_revision_figure_figure", "family", "region", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(40))
    start: Mapped[date | None] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(40))


class RevisionCorrection(db.Model):
    """A revision priced with a policy figure that a confirmed correction replaced (or with an earlier figure the
    same chain of corrections replaced), listed when the correction is confirmed; then priced (a background job):
    the revision's grand total priced today with the wrong figure and with the corrected one (their difference is
    the correction's alone), or why it could not be priced again; and, for a draft or a submitted revision, the
    written decision to go forward with the figures as they are (a recomputed draft is a new revision)."""
    __tablename__ = "revision_correction"
    __table_args__ = (UniqueConstraint("revision_id", "correction_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"), index=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("param_value.id"), index=True)
    # the figure the revision was priced with (the corrected value's, or an earlier one of its chain)
    wrong_start: Mapped[date | None] = mapped_column(Date)
    wrong_value: Mapped[str] = mapped_column(String(40))
    status_then: Mapped[str] = mapped_column(String(20))          # the revision's state when it was listed
    total_then: Mapped[Decimal] = mapped_column(Money)            # its grand total as stored
    total_wrong: Mapped[Decimal | None] = mapped_column(Money)    # priced today with the wrong figure
    total_corrected: Mapped[Decimal | None] = mapped_column(Money)   # …and with the corrected one
    problem: Mapped[str | None] = mapped_column(String(500))     # why it could not be priced again
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # when it was priced (a background job prices what a confirmation listed; None: not yet)
    priced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 按原数值继续: who decided it, when, why (a draft's preparer, or a submitted revision's approver)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(500))
    revision: Mapped[Revision] = relationship(back_populates="corrections", foreign_keys=[revision_id])
    correction: Mapped[ParamValue] = relationship(foreign_keys=[correction_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def delta(self) -> Decimal | None:
        """What the correction changes in the grand total (corrected − wrong, both priced today)."""
        if self.total_wrong is None or self.total_corrected is None:
            return None
        return change(self.total_wrong, self.total_corrected)


class BudgetShare(db.Model):
    """One revision of a budget shared with one contractor organisation, which may read it (and no other revision)
    until the purchaser withdraws this share. Approving, saving or sharing another revision never changes it."""
    __tablename__ = "budget_share"
    __table_args__ = (UniqueConstraint("budget_id", "contractor_id", "revision_number", name="uq_budget_share_revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    shared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revision_number: Mapped[int] = mapped_column(Integer)
    budget: Mapped[Budget] = relationship(back_populates="shares")
    contractor: Mapped[Organisation] = relationship()


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    user: Mapped[User | None] = relationship()


class Roster(db.Model):
    """A contractor's pay proposal (花名册 with pay) checked against one budget. It belongs to the
    contractor organisation. Each save is a numbered version that never changes; sharing shows the purchaser
    one version (``shared_number``), and later versions stay the contractor's until shared again."""
    __tablename__ = "roster"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))                   # the latest version's (the owner's working name)
    version: Mapped[int] = mapped_column(Integer, default=1)          # the latest version's number
    shared_number: Mapped[int | None] = mapped_column(Integer)      # the version the purchaser sees (None: none)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    organisation: Mapped[Organisation] = relationship()
    budget: Mapped[Budget] = relationship()
    versions: Mapped[list[RosterVersion]] = relationship(back_populates="roster", order_by="RosterVersion.number",
                                                         cascade="all, delete-orphan", lazy="selectin")

    @property
    def latest(self) -> RosterVersion:
        return self.versions[-1]

    @property
    def shared(self) -> RosterVersion | None:
        """The version the purchaser sees, if any."""
        return next((v for v in self.versions if v.number == self.shared_number), None)

    @property
    def ever_shared(self) -> bool:
        return any(v.shared_at is not None for v in self.versions)

    @property
    def drafts(self) -> list[RosterVersion]:
        """The versions saved after the last one ever shared (all of them if none was)."""
        last = max((v.number for v in self.versions if v.shared_at is not None), default=0)
        return [v for v in self.versions if v.number > last]


class RosterVersion(db.Model):
    """One saved state of a pay proposal: its rows, the check against the budget revision it was checked
    against, and whether (and when) it was shown to the purchaser. Never changed once written, but for its
    sharing stamps."""
    __tablename__ = "roster_version"
    __table_args__ = (UniqueConstraint("roster_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("roster.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))                   # as the version was saved (shared: as shown)
    source: Mapped[str] = mapped_column(String(300), default="")     # 页面录入 / 导入 名单.xlsx / 按预算修订 3 重新核对
    roster_json: Mapped[str] = mapped_column(Text, deferred=True)
    rows_json: Mapped[str | None] = mapped_column(Text, deferred=True)   # file row of each person (imported)
    result_json: Mapped[str] = mapped_column(Text, deferred=True)
    budget_revision: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer, default=0)
    failing: Mapped[int] = mapped_column(Integer, default=0)
    verdict: Mapped[str] = mapped_column(String(20), default="ok")
    roster_cost: Mapped[Decimal] = mapped_column(Money)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    shared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    roster: Mapped[Roster] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def verdict_label(self) -> str:
        return PERSON_STATUS[self.verdict]

    @property
    def verdict_style(self) -> str:
        return PERSON_STATUS_STYLE[self.verdict]


class AnnexFile(db.Model):
    """A revision's annex (draft or approved), rendered by a background job and served from here.

    ``meta_json`` is what the file prints besides the revision's figures (status, contract details, approval,
    例外说明, the verification address), decided when the job is queued: the worker renders exactly that.
    ``meta_key`` names it (without the address, which is the queuing node's setting, not the budget's): when it
    changes, a file not yet issued is rendered again; a download never renders. A file of an approved revision is
    issued when it is stored (``issued_at``) and never rewritten: new contract details are a new issue (a row of
    its own, ``issue`` 2, 3 …, with ``note`` saying why). A job shows it is alive in ``heartbeat_at`` (and who runs
    it in ``runner``), so one whose process died is sent again; ``sent_at`` is when its job was last sent."""
    __tablename__ = "annex_file"
    __table_args__ = (UniqueConstraint("revision_id", "kind", "issue", name="uq_annex_file_issue"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))          # pdf / xlsx
    issue: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    meta_key: Mapped[str | None] = mapped_column(String(64))
    meta_json: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="done")     # planned / queued / running / done / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runner: Mapped[str | None] = mapped_column(String(200))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Policy parameters. The shipped data files (costing/engine/data/*.yaml) seed these tables; the
# administrators add dated values, which count only once a second administrator confirms them.
# `document` is the data file a row belongs to, so the tables export back to the same files.
PARAM_STATUSES = {"pending": "待复核", "confirmed": "已生效", "rejected": "已驳回", "withdrawn": "已撤回",
                  "superseded": "已更正", "retired": "已停用"}
PARAM_ORIGINS = {"shipped": "随软件发布", "imported": "从数据文件导入", "admin": "管理员录入"}


class ParamSource(db.Model):
    __tablename__ = "param_source"
    __table_args__ = (UniqueConstraint("document", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(80))
    # one primary document, as its header prints it (None: not known yet)
    title: Mapped[str | None] = mapped_column(String(500))
    issuer: Mapped[str | None] = mapped_column(String(200))
    doc_no: Mapped[str | None] = mapped_column(String(200))
    date: Mapped[str | None] = mapped_column(String(20))              # date of issue
    effective: Mapped[str | None] = mapped_column(String(20))         # the date the document says it applies from
    url: Mapped[str | None] = mapped_column(String(500))              # its own address on a government site
    # for administrators only (never on a page, PDF or workbook that purchasers or contractors read): where the
    # text was seen (mirrors, news), what is uncertain
    note: Mapped[str | None] = mapped_column(Text)
    # who checked the citation against the primary text, and when
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verified_on: Mapped[str | None] = mapped_column(String(20))

    @property
    def verified(self) -> bool:
        return bool(self.verified_by and self.verified_on)

    @property
    def citation(self) -> str:
        return self.doc_no or (f"《{self.title}》" if self.title else UNKNOWN_DOCUMENT)

    @property
    def standing(self) -> str:
        """经 XX 核实（日期） or 待主管部门核实, as a budget prints it."""
        return standing(self.verified_by, self.verified_on)


class ParamFamily(db.Model):
    __tablename__ = "param_family"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    document: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    regions: Mapped[list] = mapped_column(JSON)
    renewal: Mapped[str | None] = mapped_column(String(200))
    renewal_months: Mapped[int | None] = mapped_column(Integer)
    # a standard each district sets for itself: values kept by "<district>:<region>" (渝北区:social_worker)
    by_district: Mapped[bool] = mapped_column(Boolean, default=False)
    # the staff categories the figure applies to (empty: all)
    categories: Mapped[list | None] = mapped_column(JSON, default=list)


class _Reviewed:
    """Who entered a row and who confirmed it (two-person rule)."""
    status: Mapped[str] = mapped_column(String(20), default="confirmed", index=True)
    origin: Mapped[str] = mapped_column(String(20), default="shipped")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_note: Mapped[str] = mapped_column(String(500), default="")

    @declared_attr
    def created_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=[cls.created_by_id])

    @declared_attr
    def reviewed_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=[cls.reviewed_by_id])

    @property
    def status_label(self) -> str:
        return PARAM_STATUSES[self.status]

    @property
    def origin_label(self) -> str:
        return PARAM_ORIGINS[self.origin]


class ParamValue(_Reviewed, db.Model):
    __tablename__ = "param_value"
    id: Mapped[int] = mapped_column(primary_key=True)
    family_key: Mapped[str] = mapped_column(ForeignKey("param_family.key"), index=True)
    region: Mapped[str] = mapped_column(String(40))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column(ForeignKey("param_source.id"))
    confidence: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(500))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("param_value.id"))   # a correction of that value
    family: Mapped[ParamFamily] = relationship()
    source: Mapped[ParamSource] = relationship()
    replaces: Mapped[ParamValue | None] = relationship(remote_side="ParamValue.id", foreign_keys=[replaces_id])


class ParamSourceCheck(_Reviewed, db.Model):
    """An administrator's verification of a source against the primary document (核实来源): the citation as the
    original prints it, who checked it (``verified_by``, an organisation) and when, and the grading its figures
    then get. It counts only once a second administrator confirms it; it never changes a figure."""
    __tablename__ = "param_source_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("param_source.id"), index=True)
    value_id: Mapped[int | None] = mapped_column(ForeignKey("param_value.id"))    # the figure it was started from
    title: Mapped[str | None] = mapped_column(String(500))
    issuer: Mapped[str | None] = mapped_column(String(200))
    doc_no: Mapped[str | None] = mapped_column(String(200))
    date: Mapped[str | None] = mapped_column(String(20))
    effective: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(500))
    verified_by: Mapped[str] = mapped_column(String(200))
    verified_on: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(2000))                   # where and against what it was checked
    before_json: Mapped[str | None] = mapped_column(Text)             # the citation as it was, once confirmed
    source: Mapped[ParamSource] = relationship()
    value: Mapped[ParamValue | None] = relationship()


class ParamSetting(db.Model):
    __tablename__ = "param_setting"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    document: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column(ForeignKey("param_source.id"))
    confidence: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[ParamSource] = relationship()


class DistrictTier(_Reviewed, db.Model):
    """From `start`, `district` belongs to minimum-wage tier `region`."""
    __tablename__ = "district_tier"
    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(60))
    district: Mapped[str] = mapped_column(String(60), index=True)
    region: Mapped[str] = mapped_column(String(20))
    start: Mapped[date] = mapped_column(Date)
    source_id: Mapped[int] = mapped_column(ForeignKey("param_source.id"))
    confidence: Mapped[str] = mapped_column(String(30))
    source: Mapped[ParamSource] = relationship()


class DistrictAlias(db.Model):
    __tablename__ = "district_alias"
    alias: Mapped[str] = mapped_column(String(60), primary_key=True)
    document: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    district: Mapped[str] = mapped_column(String(60))


class ParamState(db.Model):
    """One row: bumped whenever the confirmed set changes, so every process knows to reload it."""
    __tablename__ = "param_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str] = mapped_column(String(40), default="")


class ParamDocument(db.Model):
    """A data file the parameters came from (and are exported to)."""
    __tablename__ = "param_document"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    tiers_label: Mapped[str | None] = mapped_column(String(200))     # the district_tiers heading, if any
