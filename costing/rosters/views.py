"""Contractors check their pay proposals (rosters) against the standards and the purchaser's budget."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..accounts import service as accounts
from ..budgets import service as budgets
from ..engine.parse import InputError
from ..engine.periods import Month
from ..models import Budget, Roster, RosterVersion, db
from ..results import defaults, labels
from ..results import format as formats
from ..results.compare import roster_changes
from ..results.roster import RosterReport
from ..web import XLSX, api_limits, attachment, current_parameters, limits, mapping, preview, small_int, today
from ..web.errors import error_page
from ..web.extensions import csrf
from ..web.forms import STALE_FORM, ActionForm, MalformedNumber, csrf_ok, seen_number
from . import access, export, service
from .files import MAX_BYTES, problems_of, read_roster, roster_workbook, row_problems, template_workbook, too_large
from .forms import RosterForm, UploadForm

bp = Blueprint("rosters", __name__, url_prefix="/rosters")
PAGE = 200          # people per page of a report, and the most the page editor takes at once


@bp.before_request
@login_required
def _signed_in():
    return None


def _load(roster_id: int) -> Roster:
    """For reading; a POST that changes the roster loads it locked (``access.load(…, for_update=True)``)."""
    return access.load(roster_id, current_user, for_update=request.method == "POST")


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
    seen = {r.id: service.seen_version(r, current_user) for r in items}
    # each shared budget as the revision shared with this contractor has it
    offered = [(b, budgets.result_of(budgets.shared_revision(b, current_user.organisation_id))) for b in shared]
    return render_template("rosters/index.html", items=items, offered=offered, names=names, seen=seen)


def _budget_name(item: Roster, version: RosterVersion | None = None) -> str:
    """The name of a roster's budget as the viewer knows it (a contractor: as in the revision checked against)."""
    version = version or service.seen_version(item, current_user)
    return budgets.name_seen_by(current_user, item.budget, budgets.revision_of(item.budget, version.budget_revision))


def _version(item: Roster) -> RosterVersion:
    """The version asked for (?version=N) if this user may read it, else what it reads by default; 404 for a
    version it may not read."""
    number = small_int(request.args.get("version"))
    if number is None:
        return service.seen_version(item, current_user)
    found = next((v for v in service.visible_versions(item, current_user) if v.number == number), None)
    if found is None:
        abort(404)
    return found


def _reference_named() -> tuple[int | None, str | None]:
    """The budget revision the page said a roster is checked against (``revision``): (its number, None), or (None,
    why the request is refused before anything is done) when the page named none or no number."""
    try:
        named = seen_number(request.form.get("revision"))
    except MalformedNumber as exc:
        return None, str(exc)
    return (named, None) if named is not None else (None, service.NO_REFERENCE)


@bp.get("/template.xlsx")
def template():
    """The template; with ?budget=N (a budget shared with the user's organisation), its rows are the budget's people,
    each with the post, its grading, allowance, bonus and months, as the page form offers them."""
    budget_id = request.args.get("budget")
    people = None
    if budget_id is not None:
        budget = access.contractor_budget(current_user, small_int(budget_id) or 0)
        people = service.budget_people(budget, current_user.organisation_id)
    return attachment(template_workbook(current_parameters(), today(), people), XLSX, "薪酬方案花名册模板.xlsx",
                      "roster-template.xlsx")


def _shared(budget: Budget):
    """The revision of the budget this contractor's rosters are checked against now (None once none is shared with
    it): the pages that save one name it, and the save is refused if it is no longer the one named."""
    return budgets.shared_revision(budget, current_user.organisation_id)


def _render_form(form, budget, item=None, general=(), status=200, notice=None):
    blank = RosterForm(formdata=None, data={"roster": [{}]}).roster[0]
    params, day = current_parameters(), today()
    # a blank rate is the budget's: the lowest at the start of the service of the revision it is checked against
    revision = _shared(budget)
    start = Month.parse(budgets.result_of(revision).start).first_day if revision is not None else None
    notes = {"allowance": defaults.allowance_blank(params), "housing_fund": defaults.housing_fund_blank(params, start, day)}
    return render_template("rosters/edit.html", form=form, budget=budget, item=item, general=general, notice=notice,
                           blank=blank, invalid=status == 400, notes=notes,
                           rate_in_force=defaults.housing_fund_rate(params, start or day),
                           budget_name=budgets.name_seen_by(current_user, budget), reference=revision), status


def _posted_roster(posted: dict | None = None) -> list:
    posted = posted if posted is not None else mapping.read_form(request.form, RosterForm)
    return mapping.contract_of(posted, lists=("roster",))["roster"]


def _too_many_rows(budget, item=None):
    """The form again without its rows when more were posted than a roster takes (counted from the field names,
    before any form is built): the name kept, the limit and the count said at the top. None when within."""
    refused = limits.too_many_rows(request.form, RosterForm)
    if not refused:
        return None
    form = RosterForm(formdata=limits.without_rows(request.form, RosterForm))
    return _render_form(form, budget, item, [*refused, limits.ROWS_NOT_KEPT], 400)


def _new_page(budget, general=(), status=200):
    """The new roster's form: one row per budgeted person, with the post, its grading, allowance and months; the
    pay is theirs to state."""
    people = service.budget_people(budget, current_user.organisation_id)
    project = budgets.result_of(service.reference(budget, current_user.organisation_id)).project_name
    data = {"name": service.default_name(current_user, budget, project), "roster": people[:PAGE] or [{}]}
    notice = (f"预算共 {len(people)} 人，页面最多录入 {PAGE} 人（下方为前 {PAGE} 人）；请下载花名册模板（已按预算列出每人的岗位）"
              f"填写全部人员后导入，"
              f"否则逐岗对比会按少填的人数给出“人数与预算不同”。") if len(people) > PAGE else None
    return _render_form(RosterForm(formdata=None, data=data), budget, general=general, status=status, notice=notice)


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt          # the form checks its own token, so a refused token keeps the input
def new():
    budget = access.contractor_budget(current_user, request.args.get("budget", type=int))
    if request.method == "GET":
        return _new_page(budget)
    refused = _too_many_rows(budget)
    if refused:
        return refused
    form = RosterForm()
    if not form.validate():
        return _render_form(form, budget, general=[STALE_FORM], status=400)
    named, refused = _reference_named()
    if refused:
        return _render_form(form, budget, general=[refused], status=400)
    try:
        item = service.create(current_user, budget, form.name.data, _posted_roster(), current_parameters(),
                              revision=named)
    except service.InputError as exc:
        db.session.rollback()
        if any(p.path == "name" for p in exc.problems):
            form.name.errors = [p.message for p in exc.problems if p.path == "name"]
        return _render_form(form, budget, general=mapping.attach_problems(form, [p for p in exc.problems if p.path != "name"]),
                            status=400)
    except service.WorkflowError as exc:
        db.session.rollback()
        return _render_form(form, budget, general=[str(exc)], status=409)
    db.session.commit()
    flash(f"已保存并核对：{item.latest.people} 人，保存为版本 1", "success")
    return redirect(url_for("rosters.show", roster_id=item.id))


@bp.post("/preview")
@csrf.exempt          # checked by the form itself, so a stale page gets a message, not an error page
def live_preview():
    """The roster form's live preview: the posted rows checked against the budget, as saving would."""
    budget = access.contractor_budget(current_user, request.args.get("budget", type=int))
    if not csrf_ok():
        return jsonify(preview.stale(STALE_FORM))
    # the rows posted count whatever becomes of them: a form of 5,000 rows takes 0.6 s to read, refused or not
    try:
        api_limits.spend(limits.posted_lines(request.form, RosterForm))
    except api_limits.Refused as exc:
        return jsonify(preview.busy(exc.problems[0].message, exc.retry_after)), 429, exc.headers
    refused = limits.too_many_rows(request.form, RosterForm)
    if refused:
        return jsonify(preview.refused(refused))
    posted = mapping.read_form(request.form, RosterForm)
    try:
        result = service.check(budget, current_user.organisation_id, _posted_roster(posted), current_parameters())
    except InputError as exc:
        return jsonify(preview.invalid(posted, exc.problems))
    return jsonify(preview.roster(RosterReport(result)))


def _edit_page(item: Roster, general=(), status=200):
    """The roster's people as saved, in the form (or, for more than a page, where to edit them instead)."""
    if item.latest.people > PAGE:        # a page of 5,000 rows of inputs is tens of megabytes: edit the file instead
        return render_template("rosters/edit_large.html", item=item, limit=PAGE, reference=_shared(item.budget),
                               budget_name=_budget_name(item, item.latest)), status
    data = {"name": item.name, "version": str(item.version),
            "roster": mapping.contract_to_form_data(json.loads(item.latest.roster_json))}
    return _render_form(RosterForm(formdata=None, data=data), item.budget, item, general, status)


@bp.route("/<id:roster_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit(roster_id: int):
    item = _load(roster_id)
    if not _can_edit(item):
        abort(403)
    if request.method == "GET":
        return _edit_page(item)
    refused = _too_many_rows(item.budget, item)
    if refused:
        return refused
    form = RosterForm()
    if not form.validate():
        return _render_form(form, item.budget, item, [STALE_FORM], 400)
    try:
        version = seen_number(request.form.get("version"), "版本号")
    except MalformedNumber as exc:
        return _render_form(form, item.budget, item, [str(exc)], 400)
    version = -1 if version is None else version
    named, refused = _reference_named()
    if refused:
        return _render_form(form, item.budget, item, [refused], 400)
    try:
        added = service.update(item, current_user, _posted_roster(), current_parameters(), version,
                               name=form.name.data or "", revision=named)
    except service.InputError as exc:
        db.session.rollback()
        if any(p.path == "name" for p in exc.problems):
            form.name.errors = [p.message for p in exc.problems if p.path == "name"]
        return _render_form(form, item.budget, item,
                            mapping.attach_problems(form, [p for p in exc.problems if p.path != "name"]), 400)
    except service.WorkflowError as exc:
        db.session.rollback()
        return _render_form(form, item.budget, item, [str(exc)], 409)
    db.session.commit()
    flash(f"已保存为版本 {added.number} 并重新核对：{added.people} 人"
          + ("（采购人看到的仍是共享的版本，确认无误后再共享）" if item.shared_number else ""), "success")
    return redirect(url_for("rosters.show", roster_id=item.id))


def _read_upload(form):
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        raise service.InputError([service.Problem("文件", "请选择要导入的 .xlsx 或 .csv 文件")])
    data = upload.stream.read(2 * MAX_BYTES)         # bounded by the request's limit; enough to say the size
    return read_roster(upload.filename, data)


@bp.post("/import")
@bp.post("/<id:roster_id>/import")
def import_file(roster_id: int | None = None):
    """All or nothing: a file with any bad row imports nothing and lists every problem. On a roster's page the
    file either replaces its people (a new version) or starts a new roster (mode=new)."""
    item = _load(roster_id) if roster_id else None
    if item is not None and not _can_edit(item):
        abort(403)
    budget = item.budget if item else access.contractor_budget(current_user, request.args.get("budget", type=int))
    form = UploadForm()
    problems: list = []
    roster, refused, seen, more = None, None, None, 0
    if item is not None and request.form.get("mode") == "new":
        item = None
    named, unnamed = _reference_named()
    try:
        seen = seen_number(request.form.get("version"), "版本号")
        if not form.validate():
            problems = [service.Problem("文件", "页面已过期或来源无效，请刷新后重试")]
        elif unnamed:
            problems = [service.Problem("文件", unnamed)]
    except MalformedNumber as exc:
        problems = [service.Problem("文件", str(exc))]
    if not problems:
        params = current_parameters()
        try:
            roster = _read_upload(form)
            filename = form.file.data.filename[:120]
            rows = getattr(roster, "row_numbers", None)
            if roster.problems:        # the file's own problems, listed with its values' in one round
                raise service.InputError(service.problems(budget, current_user.organisation_id, roster, params))
            if item is None:
                name = service.default_name(current_user, budget, budgets.name_seen_by(current_user, budget))
                item = service.create(current_user, budget, name, roster, params, f"导入 {filename}",
                                      rows=rows, revision=named)
                accounts.record("roster_import", f"roster:{item.id}", f"{filename}：{len(roster)} 人")
            else:
                # the version the user looked at when choosing the file (a colleague's later save is not overwritten)
                service.update(item, current_user, roster, params, item.version if seen is None else seen,
                               f"导入 {filename}", rows=rows, revision=named)
        except service.InputError as exc:
            db.session.rollback()
            if roster is None:
                problems = exc.problems
            else:
                problems, more = problems_of(roster, exc.problems), roster.more_problems
        except service.WorkflowError as exc:
            db.session.rollback()
            problems, refused = [service.Problem("文件", str(exc))], str(exc)
    if problems:
        item = _load(roster_id) if roster_id else None
        return render_template("rosters/import_failed.html", problems=problems, budget=budget, item=item,
                               refused=refused, count=len(problems) + more, reference=_shared(budget),
                               notices=roster.notices if roster is not None else []), 400
    db.session.commit()
    latest = item.latest
    skipped = "、".join(str(number) for number in roster.example_rows[:5])
    flash(f"已导入并核对：{latest.people} 人" + (f"（第 {skipped} 行是模板的示例行，未导入）" if skipped else "")
          + f"，保存为版本 {latest.number}"
          + ("；采购人看到的仍是共享的版本，确认无误后再共享" if item.shared_number else ""), "success")
    for notice in roster.notices:
        flash(notice, "info")
    return redirect(url_for("rosters.show", roster_id=item.id))


# the pages that, over the request's limits, are shown again with the limits said (each with what it then holds)
_FORMS_SHOWN_AGAIN = {"rosters.new": "按预算列出的人员", "rosters.edit": "已保存的版本", "rosters.live_preview": None}


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(exc: RequestEntityTooLarge):
    """A request over the app's limits (refused before the view runs): an upload gets the import page with the size
    message and the form to try again; a roster form is shown again, as first opened, with the limits said (its
    live preview says them in its answer); anything else, a bare error page."""
    endpoint = request.endpoint
    if (endpoint != "rosters.import_file" and endpoint not in _FORMS_SHOWN_AGAIN) or not current_user.is_authenticated:
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
    if endpoint in _FORMS_SHOWN_AGAIN:
        message = limits.too_large_message(_FORMS_SHOWN_AGAIN[endpoint])
        if endpoint == "rosters.live_preview":
            return jsonify(preview.refused([message]))
        return _edit_page(item, [message], 413) if item else _new_page(budget, [message], 413)
    problems = [service.Problem("文件", too_large(request.content_length))]
    return render_template("rosters/import_failed.html", problems=problems, budget=budget, item=item,
                           reference=_shared(budget)), 413


@bp.get("/<id:roster_id>")
def show(roster_id: int):
    item = _load(roster_id)
    version = _version(item)
    owner = item.organisation_id == current_user.organisation_id
    reference = budgets.shared_revision(item.budget, item.organisation_id)     # None once no longer shared
    report = RosterReport(json.loads(version.result_json))
    issues_only = request.args.get("show") == "issues"
    people = [p for p in report.people if p.status != "ok"] if issues_only else report.people
    pages = max(1, -(-len(people) // PAGE))
    page = min(max(small_int(request.args.get("page")) or 1, 1), pages)
    return render_template("rosters/show.html", item=item, version=version, report=report,
                           people=people[(page - 1) * PAGE:page * PAGE], page=page, pages=pages,
                           issues_only=issues_only, first=(page - 1) * PAGE + 1, shown_count=len(people),
                           can_edit=_can_edit(item) and version.number == item.version, owner=owner,
                           action=ActionForm(), can_open_budget=budgets.can_see(current_user, item.budget),
                           budget_name=_budget_name(item, version),
                           outdated=reference is not None and version.budget_revision != reference.number,
                           reference=reference, versions=service.visible_versions(item, current_user))


@bp.get("/<id:roster_id>/history")
def history(roster_id: int):
    """Each version the viewer may read, with what it changed of the one before it (that the viewer saw); with
    ?from=A&to=B, what version B changed of version A (any two the viewer may read; 404 for another)."""
    item = _load(roster_id)
    versions = service.visible_versions(item, current_user)
    rows, before = [], None
    for version in versions:
        entries = json.loads(version.roster_json)
        rows.append((version, roster_changes(before, entries) if before is not None else None))
        before = entries
    compared = None
    if request.args.get("from") is not None or request.args.get("to") is not None:
        by_number = {v.number: v for v in versions}
        first = by_number.get(small_int(request.args.get("from")) or 0)
        second = by_number.get(small_int(request.args.get("to")) or 0)
        if first is None or second is None:
            abort(404)
        compared = (first, second, roster_changes(json.loads(first.roster_json), json.loads(second.roster_json)))
    return render_template("rosters/history.html", item=item, rows=list(reversed(rows)), versions=versions,
                           compared=compared, budget_name=_budget_name(item))


def _owner_action(roster_id: int, act, done, then=None, allowed=access.can_edit, named=False):
    """A POST by the owning contractor: check the right and the token, run it, commit, say what happened. ``named``:
    the action checks the roster against the budget, and the page must name the revision it is checked against
    (``revision``); without it, or with no number, nothing is done (400, as for a budget's actions)."""
    item = _load(roster_id)
    if not allowed(current_user, item):
        abort(403)
    if not ActionForm().validate():
        abort(400)
    here = url_for("rosters.show", roster_id=item.id)
    refused = _reference_named()[1] if named else None
    if refused:
        db.session.rollback()
        return render_template("error.html", code=400, message=refused, back=(here, "返回薪酬方案")), 400
    try:
        act(item)
    except (service.WorkflowError, MalformedNumber) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(here)
    except service.InputError as exc:      # only a recheck revalidates the stored roster
        db.session.rollback()
        latest = access.load(roster_id, current_user).latest
        rows = json.loads(latest.rows_json) if latest.rows_json else None
        said = [f"{p.path}：{p.message}" for p in row_problems(exc.problems, rows)] if rows else \
            [f"{labels.place(p.path)}：{p.message}" for p in exc.problems]
        flash("按共享的预算修订核对失败，请编辑人员或导入改正后的文件：" + "；".join(said[:5]), "error")
        return redirect(here)
    db.session.commit()
    flash(done(item), "success")
    return redirect(then or here)


@bp.post("/<id:roster_id>/share")
def share(roster_id: int):
    return _owner_action(roster_id, lambda item: service.share(
                             item, current_user, seen_number(request.form.get("revision"), "版本号")),
                         lambda item: f"已把版本 {item.shared_number} 共享给 {item.budget.organisation.name}（只读）；"
                                      f"此后的修改在再次共享前采购人看不到")


@bp.post("/<id:roster_id>/withdraw")
def withdraw(roster_id: int):
    return _owner_action(roster_id, lambda item: service.withdraw(item, current_user),
                         lambda item: "已撤回共享：采购人不再能查看这份薪酬方案", allowed=access.owns)


@bp.post("/<id:roster_id>/delete")
def delete(roster_id: int):
    return _owner_action(roster_id, lambda item: service.delete(item, current_user),
                         lambda item: f"已删除「{item.name}」", then=url_for("rosters.index"), allowed=access.owns)


@bp.post("/<id:roster_id>/discard")
def discard(roster_id: int):
    return _owner_action(roster_id, lambda item: service.discard_drafts(item, current_user),
                         lambda item: f"已放弃未共享的修改，回到版本 {item.version}", allowed=access.owns)


@bp.post("/<id:roster_id>/recheck")
def recheck(roster_id: int):
    def act(item):
        latest, named = item.latest, _reference_named()[0]
        rows = json.loads(latest.rows_json) if latest.rows_json else None
        service.update(item, current_user, json.loads(latest.roster_json), current_parameters(), item.version,
                       f"按预算修订 {named} 重新核对", rows=rows, revision=named)
    return _owner_action(roster_id, act, lambda item: f"已按预算修订 {item.latest.budget_revision} 重新核对"
                                                      f"（版本 {item.latest.number}）", named=True)


@bp.get("/<id:roster_id>/roster.xlsx")
def roster_xlsx(roster_id: int):
    """A version's people in the template's layout, to change in a spreadsheet program and import again."""
    item = _load(roster_id)
    version = _version(item)
    data = roster_workbook(current_parameters(), today(), json.loads(version.roster_json))
    accounts.record("export", f"roster:{item.id}", f"花名册 XLSX（版本 {version.number}）")
    db.session.commit()
    return attachment(data, XLSX, f"花名册-{item.id}-版本{version.number}.xlsx", f"roster-{item.id}-v{version.number}.xlsx")


@bp.get("/<id:roster_id>/export.xlsx")
def export_xlsx(roster_id: int):
    item = _load(roster_id)
    version = _version(item)
    data = export.report_workbook(f"{version.name}（版本 {version.number}）", _budget_name(item, version),
                                  RosterReport(json.loads(version.result_json)), version.budget_revision,
                                  formats.localtime(version.created_at))
    accounts.record("export", f"roster:{item.id}", f"薪酬方案核对报告 XLSX（版本 {version.number}）")
    db.session.commit()
    return attachment(data, XLSX, f"薪酬方案核对-{item.id}-版本{version.number}.xlsx",
                      f"roster-check-{item.id}-v{version.number}.xlsx")
