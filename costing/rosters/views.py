"""Contractors check their pay proposals (rosters) against the standards and the purchaser's budget."""
from __future__ import annotations

import io
import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..accounts import service as accounts
from ..budgets import service as budgets
from ..engine.parse import InputError
from ..models import Budget, Roster, db
from ..results.roster import RosterReport
from ..web import current_parameters, mapping, preview, small_int
from ..web.errors import error_page
from ..web.extensions import csrf
from ..web.forms import STALE_FORM, ActionForm, csrf_ok
from . import access, export, service
from .files import MAX_BYTES, read_roster_file, row_problems, template_workbook, too_large
from .forms import RosterForm, UploadForm

bp = Blueprint("rosters", __name__, url_prefix="/rosters")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def _signed_in():
    return None


def _load(roster_id: int) -> Roster:
    return access.load(roster_id, current_user)


def _can_edit(item: Roster) -> bool:
    return access.can_edit(current_user, item)


@bp.get("/")
def index():
    items = db.session.scalars(select(Roster).where(access.visible_to(current_user))
                               .order_by(Roster.updated_at.desc())).all()
    shared = []
    if access.is_contractor(current_user):
        shared = db.session.scalars(select(Budget).where(budgets.visible_to(current_user))
                                    .order_by(Budget.updated_at.desc())).all()
    names = {r.id: _budget_name(r) for r in items}
    # each shared budget as the revision shared with this contractor has it
    offered = [(b, budgets.result_of(budgets.shared_revision(b, current_user.organisation_id))) for b in shared]
    return render_template("rosters/index.html", items=items, offered=offered, names=names)


def _budget_name(item: Roster) -> str:
    """The name of a roster's budget as the viewer knows it (a contractor: as in the revision checked against)."""
    return budgets.name_seen_by(current_user, item.budget, budgets.revision_of(item.budget, item.budget_revision))


@bp.get("/template.xlsx")
def template():
    return send_file(io.BytesIO(template_workbook()), mimetype=XLSX, as_attachment=True,
                     download_name="薪酬方案花名册模板.xlsx")


def _render_form(form, budget, item=None, general=(), status=200):
    blank = RosterForm(formdata=None, data={"roster": [{}]}).roster[0]
    return render_template("rosters/edit.html", form=form, budget=budget, item=item, general=general,
                           blank=blank, invalid=status == 400,
                           budget_name=budgets.name_seen_by(current_user, budget)), status


def _posted_roster(posted: dict | None = None) -> list:
    posted = posted if posted is not None else mapping.read_form(request.form, RosterForm)
    return mapping.contract_of(posted, lists=("roster",))["roster"]


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt          # the form checks its own token, so a refused token keeps the input
def new():
    budget = access.contractor_budget(current_user, request.args.get("budget", type=int))
    if request.method == "GET":
        # one row per budgeted person, with the post, its grading, allowance and months; the pay is theirs to state
        result = budgets.result_of(service.reference(budget, current_user.organisation_id))
        people = [{"post": line.post, "category": line.category, "level": line.level,
                   "certificate": line.certificate, "monthly_allowance": str(line.monthly_allowance),
                   "months": "" if line.months == result.months else str(line.months)}
                  for line in result.personnel for _ in range(line.headcount)][:200]
        data = {"name": f"{result.project_name} 薪酬方案", "roster": people or [{}]}
        return _render_form(RosterForm(formdata=None, data=data), budget)
    form = RosterForm()
    if not form.validate():
        return _render_form(form, budget, general=[STALE_FORM], status=400)
    try:
        item = service.create(current_user, budget, form.name.data, _posted_roster(), current_parameters())
    except service.InputError as exc:
        db.session.rollback()
        if any(p.path == "name" for p in exc.problems):
            form.name.errors = [p.message for p in exc.problems if p.path == "name"]
        return _render_form(form, budget, general=mapping.attach_problems(form, [p for p in exc.problems if p.path != "name"]),
                            status=400)
    db.session.commit()
    flash(f"已保存并核对：{item.people} 人", "success")
    return redirect(url_for("rosters.show", roster_id=item.id))


@bp.post("/preview")
@csrf.exempt          # checked by the form itself, so a stale page gets a message, not an error page
def live_preview():
    """The roster form's live preview: the posted rows checked against the budget, as saving would."""
    budget = access.contractor_budget(current_user, request.args.get("budget", type=int))
    if not csrf_ok():
        return jsonify(preview.stale(STALE_FORM))
    posted = mapping.read_form(request.form, RosterForm)
    try:
        result = service.check(budget, current_user.organisation_id, _posted_roster(posted), current_parameters())
    except InputError as exc:
        return jsonify(preview.invalid(posted, exc.problems))
    return jsonify(preview.roster(RosterReport(result)))


@bp.route("/<id:roster_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit(roster_id: int):
    item = _load(roster_id)
    if not _can_edit(item):
        abort(403)
    if request.method == "GET":
        data = {"name": item.name, "version": str(item.version),
                "roster": mapping.contract_to_form_data(json.loads(item.roster_json))}
        return _render_form(RosterForm(formdata=None, data=data), item.budget, item)
    form = RosterForm()
    if not form.validate():
        return _render_form(form, item.budget, item, [STALE_FORM], 400)
    version = small_int(form.version.data)
    version = -1 if version is None else version
    try:
        name = (form.name.data or "").strip()
        if not name or len(name) > 200:
            form.name.errors = ["不能为空，最多 200 个字符"]
            raise service.InputError([])
        item.name = name
        service.update(item, current_user, _posted_roster(), current_parameters(), version)
    except service.InputError as exc:
        db.session.rollback()
        return _render_form(form, item.budget, item, mapping.attach_problems(form, exc.problems), 400)
    except service.WorkflowError as exc:
        db.session.rollback()
        return _render_form(form, item.budget, item, [str(exc)], 409)
    db.session.commit()
    flash(f"已保存并重新核对：{item.people} 人", "success")
    return redirect(url_for("rosters.show", roster_id=item.id))


def _read_upload(form) -> list:
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        raise service.InputError([service.Problem("文件", "请选择要导入的 .xlsx 或 .csv 文件")])
    data = upload.stream.read(MAX_BYTES + 1)
    return read_roster_file(upload.filename, data)


@bp.post("/import")
@bp.post("/<id:roster_id>/import")
def import_file(roster_id: int | None = None):
    """All or nothing: a file with any bad row imports nothing and lists every problem."""
    item = _load(roster_id) if roster_id else None
    if item is not None and not _can_edit(item):
        abort(403)
    budget = item.budget if item else access.contractor_budget(current_user, request.args.get("budget", type=int))
    form = UploadForm()
    problems: list = []
    roster = None
    if not form.validate():
        problems = [service.Problem("文件", "页面已过期或来源无效，请刷新后重试")]
    else:
        params = current_parameters()
        try:
            roster = _read_upload(form)
            filename = form.file.data.filename
            if item is None:
                name = budgets.name_seen_by(current_user, budget)
                item = service.create(current_user, budget, f"{name} 薪酬方案（{filename[:80]}）", roster, params,
                                      "导入")
                accounts.record("roster_import", f"roster:{item.id}", f"{filename}：{len(roster)} 人")
            else:
                service.update(item, current_user, roster, params, item.version, "导入")
        except service.InputError as exc:
            db.session.rollback()
            problems = row_problems(exc.problems, getattr(roster, "row_numbers", None), getattr(roster, "cells", None))
        except service.WorkflowError as exc:
            db.session.rollback()
            problems = [service.Problem("文件", str(exc))]
    if problems:
        return render_template("rosters/import_failed.html", problems=problems, budget=budget, item=item), 400
    db.session.commit()
    skipped = "、".join(str(number) for number in roster.example_rows[:5])
    flash(f"已导入并核对：{item.people} 人" + (f"（第 {skipped} 行是模板的示例行，未导入）" if skipped else ""), "success")
    return redirect(url_for("rosters.show", roster_id=item.id))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc: RequestEntityTooLarge):
    """An upload over the app's request limit (refused before the view runs): the import page with the
    size message and the form to try again, not a bare error page."""
    if request.endpoint != "rosters.import_file" or not current_user.is_authenticated:
        return error_page(exc)
    db.session.rollback()
    try:
        roster_id = (request.view_args or {}).get("roster_id")
        item = _load(roster_id) if roster_id else None
        if item is not None and not _can_edit(item):
            abort(403)
        budget = item.budget if item else access.contractor_budget(current_user, request.args.get("budget", type=int))
    except HTTPException as refused:
        return error_page(refused)
    problems = [service.Problem("文件", too_large(request.content_length))]
    return render_template("rosters/import_failed.html", problems=problems, budget=budget, item=item), 413


@bp.get("/<id:roster_id>")
def show(roster_id: int):
    item = _load(roster_id)
    reference = budgets.shared_revision(item.budget, item.organisation_id)     # None once no longer shared
    return render_template("rosters/show.html", item=item, report=RosterReport(json.loads(item.result_json)),
                           can_edit=_can_edit(item), action=ActionForm(),
                           can_open_budget=budgets.can_see(current_user, item.budget), budget_name=_budget_name(item),
                           outdated=reference is not None and item.budget_revision != reference.number,
                           reference=reference)


def _owner_action(roster_id: int, act, done):
    """A POST by the owning contractor: check the right and the token, run it, commit, say what happened."""
    item = _load(roster_id)
    if not _can_edit(item):
        abort(403)
    if not ActionForm().validate():
        abort(400)
    here = url_for("rosters.show", roster_id=item.id)
    try:
        act(item)
    except service.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(here)
    except service.InputError as exc:      # only a recheck revalidates the stored roster
        db.session.rollback()
        flash("按最新预算核对失败：" + "；".join(str(p) for p in exc.problems[:5]), "error")
        return redirect(here)
    db.session.commit()
    flash(done(item), "success")
    return redirect(here)


@bp.post("/<id:roster_id>/share")
def share(roster_id: int):
    return _owner_action(roster_id, lambda item: service.share(item, current_user),
                         lambda item: f"已共享给 {item.budget.organisation.name}（只读）")


@bp.post("/<id:roster_id>/recheck")
def recheck(roster_id: int):
    return _owner_action(
        roster_id,
        lambda item: service.update(item, current_user, json.loads(item.roster_json), current_parameters(),
                                    item.version, "按最新预算重新核对"),
        lambda item: f"已按预算修订 {item.budget_revision} 重新核对")


@bp.get("/<id:roster_id>/export.xlsx")
def export_xlsx(roster_id: int):
    item = _load(roster_id)
    data = export.report_workbook(item.name, _budget_name(item), RosterReport(json.loads(item.result_json)))
    accounts.record("export", f"roster:{item.id}", "薪酬方案核对报告 XLSX")
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"薪酬方案核对-{item.id}.xlsx")
