"""Administration: organisations; users (new users, administrators proposed and confirmed by two different
administrators, password resets, deactivation, lifting sign-in waits); the audit log."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from openpyxl import Workbook
from sqlalchemy import func, select
from wtforms import SelectChoice

from ..annex.sheets import csv_text, table
from ..models import Organisation, User, db, utcnow
from ..results.format import localtime
from ..web import attachment, current_parameters, require_admin, small_int
from . import service, throttle
from .auth import origin
from .forms import ClientForm, OrganisationEditForm, OrganisationForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50


@bp.before_request
@login_required
def _admins_only():
    require_admin()


@bp.get("/")
def index():
    return redirect(url_for("admin.users"))


def _districts() -> list[str]:
    return current_parameters().district_names()


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    form = OrganisationForm()
    form.set_districts(_districts())
    if form.validate_on_submit():
        org = Organisation(name=form.name.data.strip(), kind=form.kind.data, district=form.district.data or None)
        db.session.add(org)
        db.session.flush()
        service.record("create_org", f"organisation:{org.id}", f"{org.name}（{org.district or '未指定区县'}）")
        db.session.commit()
        flash(f"已新建单位「{org.name}」", "success")
        return redirect(url_for("admin.organisations"))
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)).all()
    people = dict(db.session.execute(select(User.organisation_id, func.count()).group_by(User.organisation_id)).all())
    return render_template("accounts/organisations.html", form=form, orgs=orgs, people=people, action=FlaskForm(),
                           me=current_user), (400 if form.errors else 200)


@bp.route("/organisations/<id:org_id>", methods=["GET", "POST"])
def organisation(org_id: int):
    """Rename an organisation or set its district."""
    org = db.session.get(Organisation, org_id) or abort(404)
    form = OrganisationEditForm(data={"name": org.name, "district": org.district or ""} if request.method == "GET"
                                else None)
    form.set_districts(_districts())
    if form.validate_on_submit():
        try:
            service.rename_organisation(_me(), org, form.name.data, form.district.data)
        except service.AccountError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"已保存单位「{org.name}」", "success")
            return redirect(url_for("admin.organisations"))
    return render_template("accounts/organisation.html", form=form, org=org), (400 if form.errors else 200)


@bp.post("/organisations/<id:org_id>/<any(deactivate, reactivate):verb>")
def organisation_state(org_id: int, verb: str):
    if not FlaskForm().validate():
        abort(400)
    org = db.session.scalar(select(Organisation).where(Organisation.id == org_id).with_for_update()) or abort(404)
    act = service.deactivate_organisation if verb == "deactivate" else service.reactivate_organisation
    try:
        act(_me(), org)
    except service.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.organisations"))
    db.session.commit()
    flash(f"已停用单位「{org.name}」，其用户的登录均已退出" if verb == "deactivate" else f"已启用单位「{org.name}」",
          "success")
    return redirect(url_for("admin.organisations"))


def _limits() -> throttle.Limits:
    return throttle.Limits.from_config(current_app.config)


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    form.organisation.choices = [SelectChoice(o.id, f"{o.name}（{o.kind_label}）") for o in
                                 db.session.scalars(select(Organisation).order_by(Organisation.name))]
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation.data) or abort(400)
        try:
            user = service.create_by_admin(_me(), form.username.data.strip(), form.display_name.data.strip(),
                                           form.password.data, org, form.role.data, form.is_admin.data, utcnow(),
                                           origin())
        except service.AccountError as exc:      # (asked to propose one who cannot be an administrator)
            db.session.rollback()
            form.is_admin.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"已新建用户 {user.username}" + ("；设为管理员须另一位管理员确认" if form.is_admin.data else ""), "success")
            return redirect(url_for("admin.users"))
    people = db.session.scalars(select(User).order_by(User.organisation_id, User.username)).all()
    now = utcnow()
    return render_template("accounts/users.html", form=form, people=people, action=FlaskForm(), me=current_user,
                           pending=[(u, service.same_place(u, u.admin_proposed_by)) for u in people if u.admin_pending],
                           throttled=throttle.throttled_names(db.session, now, _limits()),
                           clients=throttle.throttled_clients(db.session, now, _limits()),
                           limits=_limits()), (400 if form.errors else 200)


def _me() -> User:
    return current_user._get_current_object()


def _user_action(user_id: int, act, done, lock: bool = True):
    """A POST on one user: check the form's token, lock the row (unless the rule locks what it reads itself),
    apply the rule, commit, say what happened."""
    if not FlaskForm().validate():
        abort(400)
    query = select(User).where(User.id == user_id)
    user = db.session.scalar(query.with_for_update() if lock else query) or abort(404)
    try:
        outcome = act(user)
    except service.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    flash(done(user, outcome), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<id:user_id>/propose-admin")
def propose_admin(user_id: int):
    return _user_action(user_id, lambda u: service.propose_admin(_me(), u, utcnow(), origin()),
                        lambda u, _: f"已提议 {u.username} 为管理员，须另一位管理员确认后生效")


@bp.post("/users/<id:user_id>/confirm-admin")
def confirm_admin(user_id: int):
    return _user_action(user_id, lambda u: service.confirm_admin(_me(), u),
                        lambda u, _: f"已确认 {u.username} 为管理员")


@bp.post("/users/<id:user_id>/cancel-admin")
def cancel_admin(user_id: int):
    return _user_action(user_id, lambda u: service.cancel_admin(_me(), u),
                        lambda u, done: f"已{done}：{u.username}")


@bp.post("/users/<id:user_id>/deactivate")
def deactivate(user_id: int):
    return _user_action(user_id, lambda u: service.deactivate(_me(), u),
                        lambda u, _: f"已停用 {u.username}，其所有登录均已退出", lock=False)


@bp.post("/users/<id:user_id>/reactivate")
def reactivate(user_id: int):
    return _user_action(user_id, lambda u: service.reactivate(_me(), u), lambda u, _: f"已启用 {u.username}")


@bp.post("/users/<id:user_id>/reset-password")
def reset_password(user_id: int):
    """The temporary password is shown once, on this answer (never in a flash message: those travel in the
    session cookie)."""
    if not FlaskForm().validate():
        abort(400)
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update()) or abort(404)
    if small_int(request.form.get("seen")) != user.session_version:
        # the page was sent again (reloaded) after a reset, or the user changed since the list was shown:
        # a second temporary password would void the one just given out
        flash(f"{user.username} 的密码刚刚已重置过或已有变化，临时密码只显示一次；如需再次重置，请在本页重新操作", "error")
        return redirect(url_for("admin.users"))
    try:
        temporary = service.reset_password(_me(), user, utcnow())
    except service.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    response = current_app.make_response(render_template("accounts/reset_done.html", person=user,
                                                          temporary=temporary))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/users/<id:user_id>/unlock")
def unlock(user_id: int):
    def act(user):
        cleared = throttle.clear_name(db.session, user.username)
        service.record("unlock", f"user:{user.id}", f"{user.username}：清除 {cleared} 次失败记录")
    return _user_action(user_id, act, lambda u, _: f"已解除 {u.username} 的锁定：各地址都可以再次用它登录")


@bp.post("/clients/unlock")
def unlock_client():
    form = ClientForm()
    if not form.validate():
        abort(400)
    client = form.client.data.strip()
    cleared = throttle.clear_client(db.session, client)
    service.record("unlock_client", "", f"{client}：清除 {cleared} 次失败记录")
    db.session.commit()
    flash(f"已解除地址 {client} 的登录限制", "success")
    return redirect(url_for("admin.users"))


EXPORT_ROWS = 100_000          # the most an export holds (the search says how many it found)
EXPORT_HEADERS = ("时间（北京时间）", "用户", "姓名", "操作", "对象", "说明")


def _search() -> tuple[service.AuditSearch, dict[str, str]]:
    """The audit search the query string asks for, and what is wrong with it (by field)."""
    problems, dates = {}, {}
    for name in ("since", "until"):
        text = (request.args.get(name) or "").strip()
        dates[name] = None
        if text:
            try:
                dates[name] = date.fromisoformat(text)
            except ValueError:
                problems[name] = "请按“年-月-日”填写，如 2026-01-01"
    action = request.args.get("action") or ""
    about = request.args.get("about") or ""
    search = service.AuditSearch(user=(request.args.get("user") or "").strip()[:80],
                                 action=action if action in service.ACTIONS else "",
                                 about=about if about in service.ABOUT else "",
                                 words=(request.args.get("q") or "").strip()[:100], **dates)
    return search, problems


def _filters(search: service.AuditSearch) -> dict[str, str]:
    """The search as query-string values (for the next page and the exports)."""
    values = {"user": search.user, "action": search.action, "about": search.about, "q": search.words,
              "since": search.since.isoformat() if search.since else "",
              "until": search.until.isoformat() if search.until else ""}
    return {k: v for k, v in values.items() if v}


@bp.get("/audit")
def audit_log():
    search, problems = _search()
    query = service.audit_query(search)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    entries = db.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE)).all()
    users = db.session.scalars(select(User.username).order_by(User.username)).all()
    return render_template("accounts/audit.html", page=page, pages=pages, total=total, search=search,
                           problems=problems, filters=_filters(search), users=users, actions=service.ACTIONS,
                           abouts=service.ABOUT, export_rows=EXPORT_ROWS,
                           lines=service.audit_lines(entries, current_parameters().version))


def _export_rows(search: service.AuditSearch) -> list[list[str]]:
    """The entries a search finds, in words, newest first, as many as an export holds: read in one query, then put
    in words a thousand at a time (each thousand's objects looked up in one query a kind, so no list of ids grows
    with the export)."""
    rows, version = [], current_parameters().version
    entries = db.session.scalars(service.audit_query(search).limit(EXPORT_ROWS)).all()
    for start in range(0, len(entries), 1000):
        for line in service.audit_lines(entries[start:start + 1000], version):
            e = line.entry
            rows.append([localtime(e.at), e.user.username if e.user else "", e.user.display_name if e.user else "",
                         line.action, line.target.text, "".join(m.text for m in line.detail)])
    return rows


@bp.get("/audit.<any(csv, xlsx):kind>")
def audit_export(kind: str):
    """The audit log as the search finds it, to keep or to hand over: CSV (UTF-8 with its mark, as Excel opens it)
    or a workbook; text that starts like a formula stays text in both."""
    search, problems = _search()
    if problems:
        abort(400)
    rows = _export_rows(search)
    stamp = localtime(utcnow()).replace(" ", "-").replace(":", "")
    service.record("export", "", f"审计日志 {kind.upper()}：{len(rows)} 条")
    db.session.commit()
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_HEADERS)
        writer.writerows([[csv_text(cell) for cell in row] for row in rows])
        return attachment(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8",
                          f"审计日志-{stamp}.csv", f"audit-{stamp}.csv")
    book = Workbook(write_only=True)
    table(book, "审计日志", EXPORT_HEADERS, rows, wrap=(6,), cap=60)
    out = io.BytesIO()
    book.save(out)
    return attachment(out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      f"审计日志-{stamp}.xlsx", f"audit-{stamp}.xlsx")
