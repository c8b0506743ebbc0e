"""Administration: organisations, users (unlock), the audit log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectChoice

from ..models import AuditEntry, Organisation, User, db
from ..web import require_admin
from . import service
from .forms import OrganisationForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


@bp.before_request
@login_required
def _admins_only():
    require_admin()


@bp.app_template_filter("audit_target")
def _audit_target(value: str) -> str:
    return service.target_label(value)


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
        service.record("create_org", f"organisation:{org.id}", org.name)
        db.session.commit()
        flash(f"已新建单位「{org.name}」", "success")
        return redirect(url_for("admin.organisations"))
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)).all()
    return render_template("accounts/organisations.html", form=form, orgs=orgs), (400 if form.errors else 200)


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    form.organisation.choices = [SelectChoice(o.id, f"{o.name}（{o.kind_label}）") for o in
                                 db.session.scalars(select(Organisation).order_by(Organisation.name))]
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation.data)
        user = service.create_user(form.username.data.strip(), form.display_name.data.strip(), form.password.data,
                                   org, form.role.data, form.is_admin.data)
        service.record("create_user", f"user:{user.id}", f"{user.username}，{org.name}，{user.role_label}")
        db.session.commit()
        flash(f"已新建用户 {user.username}", "success")
        return redirect(url_for("admin.users"))
    people = db.session.scalars(select(User).order_by(User.organisation_id, User.username)).all()
    return render_template("accounts/users.html", form=form, people=people,
                           action=FlaskForm()), (400 if form.errors else 200)


@bp.post("/users/<id:user_id>/unlock")
def unlock(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not FlaskForm().validate():
        abort(400)
    user.locked_until, user.failed_logins = None, 0
    service.record("unlock", f"user:{user.id}", user.username)
    db.session.commit()
    flash(f"已解除 {user.username} 的锁定", "success")
    return redirect(url_for("admin.users"))


@bp.get("/audit")
def audit_log():
    page = min(max(1, request.args.get("page", 1, type=int)), 10**6)
    total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())
                                 .offset((page - 1) * PAGE).limit(PAGE)).all()
    return render_template("accounts/audit.html", entries=entries, page=page, pages=max(1, -(-total // PAGE)),
                           actions=service.ACTIONS)
