"""Budgets in the browser: list, create, edit (with live preview), revisions, approval, sharing."""
from __future__ import annotations

import json
from datetime import timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import SelectChoice

from ...engine.model import (CATEGORIES, CERTIFICATES, CONTRIBUTION_LABELS, COST_CATEGORIES, LEVELS,
                             TAXPAYERS)
from ...engine.parse import InputError
from ...models import AuditEntry, Budget, Organisation, Revision, Roster, db
from ..extensions import csrf
from ..parameters import current_parameters, today
from . import access, chart, diff, mapping, service
from .forms import ActionForm, BudgetForm, ShareForm

bp = Blueprint("budgets", __name__, url_prefix="/budgets")
CONTRIBUTIONS_SHORT = {"pension": "养老", "medical": "医疗", "serious_illness": "大额医疗", "unemployment": "失业",
                       "work_injury": "工伤", "housing_fund": "公积金"}
LABELS = {"contributions_short": CONTRIBUTIONS_SHORT, "categories": CATEGORIES, "levels": LEVELS, "certificates": CERTIFICATES,
          "cost_categories": COST_CATEGORIES, "contributions": CONTRIBUTION_LABELS, "taxpayers": TAXPAYERS}


@bp.before_request
@login_required
def _signed_in():
    return None


def _revision(budget: Budget, number: int | None) -> Revision:
    if number is None:
        return budget.latest
    for revision in budget.revisions:
        if revision.number == number:
            return revision
    abort(404)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@bp.get("/")
def index():
    budgets = db.session.scalars(select(Budget).where(access.visible_to(current_user))
                                 .order_by(Budget.updated_at.desc())).all()
    params = current_parameters()
    # drafts computed with an older parameter set than today's confirmed one
    outdated = set(db.session.scalars(
        select(Revision.budget_id).join(Budget, Budget.id == Revision.budget_id)
        .where(access.visible_to(current_user), Budget.status == "draft", Revision.number == Budget.revision_count,
               Revision.parameter_set != params.version)))
    notice = None
    if current_user.is_admin:
        from ...engine.staleness import stale_families
        from ...models import DistrictTier, ParamValue
        pending = sum(db.session.scalar(select(func.count()).select_from(model).where(model.status == "pending"))
                      for model in (ParamValue, DistrictTier))
        notice = {"stale": stale_families(params, today()), "pending": pending}
    return render_template("budgets/index.html", budgets=budgets, can_create=access.can_create(current_user),
                           outdated=outdated, notice=notice)


def _new_form_data() -> dict:
    return {"project": {"start": "", "end": ""}, "contractor": {"taxpayer": "general", "location": "urban"},
            "personnel": [{"headcount": "1"}], "costs": []}


def _render_form(form, budget=None, general=(), conflict=None, status=200):
    invalid = status == 400
    return render_template("budgets/edit.html", form=form, budget=budget, general=general, conflict=conflict,
                           invalid=invalid,
                           labels=LABELS, blank_post=BudgetForm(formdata=None, data={"personnel": [{}]}).personnel[0],
                           blank_cost=BudgetForm(formdata=None, data={"costs": [{}]}).costs[0]), status


def _invalid_csrf(form) -> list[str]:
    return ["页面已过期或来源无效，请刷新后重新提交（已保留您填写的内容）"] if "csrf_token" in form.errors else []


# The budget form checks its own CSRF token (FlaskForm) so that a refused token re-renders the
# form with everything the user typed, instead of the global CSRF error page.
@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt
def new():
    access.require(access.can_create(current_user))
    if request.method == "GET":
        return _render_form(BudgetForm(formdata=None, data=_new_form_data()))
    form = BudgetForm()
    if not form.validate():
        return _render_form(form, general=_invalid_csrf(form), status=400)
    try:
        budget = service.create_budget(current_user, mapping.form_to_contract(form), form.note.data)
    except InputError as exc:
        db.session.rollback()
        return _render_form(form, general=mapping.attach_problems(form, exc.problems), status=400)
    db.session.commit()
    flash("已保存为修订 1（草稿）", "success")
    return redirect(url_for("budgets.show", budget_id=budget.id))


@bp.get("/<id:budget_id>")
def show(budget_id: int):
    budget = access.load_budget(budget_id, current_user)
    number = request.args.get("revision", type=int)
    if number is None and current_user.organisation.kind == "contractor" and budget.approved_number:
        number = budget.approved_number      # contractors read the approved figures, not a draft in progress
    revision = _revision(budget, number)
    result = json.loads(revision.result_json)
    findings_by_where = {}
    for finding in result["findings"]:
        findings_by_where.setdefault(finding["where"], []).append(finding)
    contractors = []
    if access.can_edit(current_user, budget):
        shared = {s.contractor_id for s in budget.shares}
        contractors = [o for o in db.session.scalars(select(Organisation).where(Organisation.kind == "contractor")
                                                     .order_by(Organisation.name)) if o.id not in shared]
    share_form = ShareForm()
    share_form.contractor.choices = [SelectChoice(str(o.id), o.name) for o in contractors]
    from ..rosters import visible_to as rosters_visible   # rosters build on budgets
    from ..rosters.forms import UploadForm
    rosters = db.session.scalars(select(Roster).where(Roster.budget_id == budget.id, rosters_visible(current_user))
                                 .order_by(Roster.updated_at.desc())).all()
    returned = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "return",
                                                          AuditEntry.target == f"budget:{budget.id}")
                                 .order_by(AuditEntry.id.desc()).limit(1))
    if returned is not None and budget.latest.submitted_at and _aware(returned.at) < _aware(budget.latest.submitted_at):
        returned = None
    from ...annex.render import basis_rows
    change = None
    if revision.number == budget.latest.number and revision.status == "draft":
        change = service.policy_change(revision)
    return render_template(
        "budgets/show.html", budget=budget, revision=revision, result=result, rosters=rosters, returned=returned,
        basis=basis_rows(result["parameters"]), change=change, version_now=current_parameters().version,
        is_contractor=current_user.organisation.kind == "contractor" and not current_user.is_admin,
        upload_form=UploadForm(),
        input=json.loads(revision.input_json), findings=findings_by_where, labels=LABELS,
        slices=chart.composition(result["totals"]), action=ActionForm(), share_form=share_form,
        can_edit=access.can_edit(current_user, budget), can_approve=access.can_approve(current_user, budget))


@bp.route("/<id:budget_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit(budget_id: int):
    budget = access.load_budget(budget_id, current_user, for_update=request.method == "POST")
    access.require(access.can_edit(current_user, budget))
    if request.method == "GET" and budget.status == "submitted":
        flash("预算已提交审核，审核通过或退回后才能修改", "error")
        return redirect(url_for("budgets.show", budget_id=budget.id))
    if request.method == "GET":
        data = mapping.contract_to_form_data(json.loads(budget.latest.input_json))
        data["base_revision"] = str(budget.revision_count)
        return _render_form(BudgetForm(formdata=None, data=data), budget)
    form = BudgetForm()
    if not form.validate():
        return _render_form(form, budget, general=_invalid_csrf(form), status=400)
    base = mapping.small_int(form.base_revision.data)
    base = -1 if base is None else base
    try:
        revision = service.save_revision(budget, current_user, mapping.form_to_contract(form),
                                         form.note.data, base)
    except InputError as exc:
        db.session.rollback()
        return _render_form(form, budget, general=mapping.attach_problems(form, exc.problems), status=400)
    except service.Conflict as exc:
        other = json.loads(exc.latest.result_json)
        numbers = [r.number for r in budget.revisions]
        comparison = diff.compare(_revision(budget, base), exc.latest) if base in numbers and base != exc.latest.number else None
        form.base_revision.data = str(exc.latest.number)
        return _render_form(form, budget, conflict={"revision": exc.latest, "result": other, "base": base,
                                                    "comparison": comparison}, status=409)
    except service.WorkflowError as exc:
        db.session.rollback()
        return _render_form(form, budget, general=[str(exc)], status=409)
    db.session.commit()
    was_approved = any(r.approved_at for r in budget.revisions[:-1])
    flash(f"已保存为修订 {revision.number}（草稿）" + ("；已审核的修订保持不变" if was_approved else ""), "success")
    return redirect(url_for("budgets.show", budget_id=budget.id))


def _action(budget_id: int, check, act, done: str, after=None):
    """A POST-only workflow action: check the right, run it, commit, say what happened."""
    budget = access.load_budget(budget_id, current_user, for_update=True)
    access.require(check(current_user, budget))
    here = url_for("budgets.show", budget_id=budget.id)
    form = ActionForm()
    if not form.validate():
        flash("页面已过期，请刷新后重试", "error")
        return redirect(here)
    try:
        outcome = act(budget, form)
    except service.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(here)
    db.session.commit()
    flash(done, "success")
    return redirect(after(outcome) if after else here)


@bp.post("/<id:budget_id>/submit")
def submit(budget_id: int):
    return _action(budget_id, access.can_edit, lambda b, f: service.submit(b, current_user, mapping.small_int(f.revision.data)), "已提交审核")


@bp.post("/<id:budget_id>/approve")
def approve(budget_id: int):
    return _action(budget_id, access.can_approve, lambda b, f: service.approve(b, current_user, mapping.small_int(f.revision.data)),
                   "审核通过，本修订已锁定")


@bp.post("/<id:budget_id>/return")
def return_for_changes(budget_id: int):
    return _action(budget_id, access.can_approve,
                   lambda b, f: service.return_for_changes(b, current_user, f.reason.data,
                                                          mapping.small_int(f.revision.data)), "已退回修改")


@bp.post("/<id:budget_id>/recompute")
def recompute(budget_id: int):
    return _action(budget_id, access.can_edit,
                   lambda b, f: service.recompute(b, current_user, mapping.small_int(f.revision.data)),
                   "已按最新政策参数重新测算，生成新的草稿修订")


@bp.post("/<id:budget_id>/duplicate")
def duplicate(budget_id: int):
    return _action(budget_id, access.can_edit, lambda b, f: service.duplicate(b, current_user),
                   "已复制为新的草稿", after=lambda copy: url_for("budgets.show", budget_id=copy.id))


@bp.post("/<id:budget_id>/delete")
def delete(budget_id: int):
    return _action(budget_id, access.can_edit, lambda b, f: service.delete_draft(b, current_user), "草稿已删除",
                   after=lambda _: url_for("budgets.index"))


@bp.post("/<id:budget_id>/share")
def share(budget_id: int):
    budget = access.load_budget(budget_id, current_user, for_update=True)
    access.require(access.can_edit(current_user, budget))
    form = ShareForm()
    contractor = None
    number = mapping.small_int(form.contractor.data)
    if form.validate() and number is not None:
        contractor = db.session.get(Organisation, number)
    if contractor is None or contractor.kind != "contractor":
        flash("请选择要共享的承接主体", "error")
        return redirect(url_for("budgets.show", budget_id=budget.id))
    try:
        service.share(budget, current_user, contractor)
    except service.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("budgets.show", budget_id=budget.id))
    db.session.commit()
    flash(f"已共享给 {contractor.name}（只读）", "success")
    return redirect(url_for("budgets.show", budget_id=budget.id))


@bp.get("/<id:budget_id>/annex.<any(pdf, xlsx):kind>")
def annex(budget_id: int, kind: str):
    from . import annexes
    budget = access.load_budget(budget_id, current_user)
    return annexes.download(budget, _revision(budget, request.args.get("revision", type=int)), kind)


@bp.post("/<id:budget_id>/unshare/<id:share_id>")
def unshare(budget_id: int, share_id: int):
    return _action(budget_id, access.can_edit, lambda b, f: service.unshare(b, current_user, share_id), "已取消共享")


@bp.get("/<id:budget_id>/history")
def history(budget_id: int):
    budget = access.load_budget(budget_id, current_user)
    numbers = [r.number for r in budget.revisions]
    a = request.args.get("a", type=int)
    b = request.args.get("b", type=int)
    comparison = None
    if a in numbers and b in numbers and a != b:
        comparison = diff.compare(_revision(budget, a), _revision(budget, b))
    elif len(numbers) >= 2 and a is None and b is None:
        a, b = numbers[-2], numbers[-1]
        comparison = diff.compare(_revision(budget, a), _revision(budget, b))
    return render_template("budgets/history.html", budget=budget, comparison=comparison, a=a, b=b)
