"""Administration: organisations, users (unlock), the audit log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from ..models import ORG_KINDS, ROLES, AuditEntry, Organisation, User, db
from . import audit
from .budgets.forms import choices

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


@bp.before_request
@login_required
def _admins_only():
    if not current_user.is_admin:
        abort(403)


class OrganisationForm(FlaskForm):
    name = StringField("单位名称", validators=[InputRequired("请填写单位名称"), Length(max=200, message="最多 200 个字符")])
    kind = SelectField("类型", choices=choices(ORG_KINDS))

    def validate_name(self, field):
        if db.session.scalar(select(Organisation).where(Organisation.name == field.data.strip())):
            raise ValidationError("已有同名单位")


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[
        InputRequired("请填写用户名"), Length(min=3, max=80, message="3–80 个字符"),
        Regexp(r"^[A-Za-z0-9._-]+$", message="只能包含字母、数字、点、下划线和连字符")])
    display_name = StringField("姓名", validators=[InputRequired("请填写姓名"), Length(max=100, message="最多 100 个字符")])
    password = PasswordField("初始密码", validators=[InputRequired("请设置初始密码"),
                                                  Length(min=8, max=200, message="至少 8 位")])
    organisation = SelectField("所属单位", coerce=int, choices=[])
    role = SelectField("角色", choices=choices(ROLES))
    is_admin = BooleanField("管理员")

    def validate_username(self, field):
        if db.session.scalar(select(User).where(User.username == field.data.strip())):
            raise ValidationError("用户名已被使用")


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit():
        org = Organisation(name=form.name.data.strip(), kind=form.kind.data)
        db.session.add(org)
        db.session.flush()
        audit.record("create_org", f"organisation:{org.id}", org.name)
        db.session.commit()
        flash(f"已新建单位「{org.name}」", "success")
        return redirect(url_for("admin.organisations"))
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)).all()
    return render_template("admin/organisations.html", form=form, orgs=orgs), (400 if form.errors else 200)


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    form.organisation.choices = [SelectChoice(o.id, f"{o.name}（{o.kind_label}）") for o in
                                 db.session.scalars(select(Organisation).order_by(Organisation.name))]
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation.data)
        user = User(username=form.username.data.strip(), display_name=form.display_name.data.strip(),
                    organisation=org, role=form.role.data, is_admin=form.is_admin.data)
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.flush()
        audit.record("create_user", f"user:{user.id}", f"{user.username}，{org.name}，{user.role_label}")
        db.session.commit()
        flash(f"已新建用户 {user.username}", "success")
        return redirect(url_for("admin.users"))
    people = db.session.scalars(select(User).order_by(User.organisation_id, User.username)).all()
    return render_template("admin/users.html", form=form, people=people,
                           action=FlaskForm()), (400 if form.errors else 200)


@bp.post("/users/<id:user_id>/unlock")
def unlock(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not FlaskForm().validate():
        abort(400)
    user.locked_until, user.failed_logins = None, 0
    audit.record("unlock", f"user:{user.id}", user.username)
    db.session.commit()
    flash(f"已解除 {user.username} 的锁定", "success")
    return redirect(url_for("admin.users"))


@bp.get("/audit")
def audit_log():
    page = min(max(1, request.args.get("page", 1, type=int)), 10**6)
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())
                                 .offset((page - 1) * PAGE).limit(PAGE)).all()
    return render_template("admin/audit.html", entries=entries, page=page, pages=max(1, -(-total // PAGE)),
                           actions=audit.ACTIONS)
