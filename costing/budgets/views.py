"""Budgets in the browser: list, create, edit (with a live preview the server computes), revisions,
approval, sharing, annex downloads. Views validate, map, call the service, redirect."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from wtforms import SelectChoice

from ..accounts import service as accounts
from ..clock import as_utc
from ..engine.parse import REASON_MISSING, InputError
from ..engine.periods import Month
from ..engine.text import without_invisible
from ..models import Budget, Organisation, Revision, db
from ..parameters import service as parameters
from ..results import defaults
from ..results.budget import BudgetResult
from ..rosters import service as rosters
from ..web import XLSX, api_limits, attachment, current_parameters, limits, mapping, preview, small_int, today
from ..web.errors import error_page
from ..web.extensions import csrf
from ..web.forms import STALE_FORM, ActionForm, MalformedNumber, csrf_ok, seen_number
from . import access, annexes, lines, service
from .forms import BudgetForm, ContractForm, ShareForm

bp = Blueprint("budgets", __name__, url_prefix="/budgets")
# staff and cost lines together that the edit page holds: 150 staff lines are 0.86 MB of inputs and about 0.1 s to
# render; a budget with more is edited as a file (lines.py), as a roster of more than 200 people is
PAGE_LINES = 150
# the budget page shows this many staff lines and cost lines at a time (a budget of 5,000 of each would be a page of
# about 9 MB); the tables go on from page to page, the totals and the annexes hold them all
SHOWN_LINES = 200


@bp.before_request
@login_required
def _signed_in():
    return None


def _asked(name: str = "revision") -> int | None:
    """The revision a page or download names (?revision=N; or another number it names: ?issue=N, ?a=N): None when it
    names none; a 404 for anything but a number (「abc」 names no revision; it is not the latest one)."""
    text = request.args.get(name)
    if text is None:
        return None
    number = small_int(text)
    if number is None:
        abort(404)
    return number


def _revision(budget: Budget, number: int | None) -> Revision:
    """The numbered revision (the latest for None) if this user may read it; 404 otherwise."""
    revision = service.readable_revision(current_user, budget, number)
    if revision is None:
        abort(404)
    return revision


@bp.get("/")
def index():
    budgets = db.session.scalars(select(Budget).where(access.visible_to(current_user))
                                 .options(selectinload(Budget.revisions), selectinload(Budget.organisation))
                                 .order_by(Budget.updated_at.desc())).all()
    params = current_parameters()
    contractor = access.is_contractor(current_user)
    rows = [_row(b, contractor) for b in budgets]
    # drafts computed with an older parameter set than today's confirmed one
    outdated = set() if contractor else {
        b.id for b in budgets if b.status == "draft" and b.latest.parameter_set != params.version}
    notice = parameters.attention(db.session, params, today()) if current_user.is_admin else None
    # revisions priced with a figure later corrected that still ask something of the purchaser
    flagged = {} if contractor else service.corrections_flagged([b.id for b in budgets])
    return render_template("budgets/index.html", rows=rows, can_create=access.can_create(current_user),
                           outdated=outdated, notice=notice, flagged=flagged)


def _row(budget: Budget, contractor: bool) -> dict:
    """A line of the list: the budget as its latest revision has it; for a contractor, as the revision shared
    with it has it (name and figures of later drafts are the purchaser's)."""
    if not contractor:
        return {"budget": budget, "name": budget.name, "district": budget.district,
                "period": f"{budget.start} 至 {budget.end}", "status": budget.status, "status_label": budget.status_label,
                "approved_number": budget.approved_number if budget.status != "approved" else None,
                "grand_total": budget.grand_total, "error_count": budget.error_count, "updated": budget.updated_at}
    revision = service.readable_revision(current_user, budget, None)
    result = service.result_of(revision)
    return {"budget": budget, "name": result.project_name, "district": result.district,
            "period": f"{result.start} 至 {result.end}", "status": revision.status,
            "status_label": revision.status_label, "approved_number": None, "grand_total": revision.grand_total,
            "error_count": revision.error_count, "updated": revision.approved_at or revision.created_at}


def _new_form_data() -> dict:
    return {"project": {"start": "", "end": ""}, "contractor": {"taxpayer": "general", "location": "urban"},
            "personnel": [{"headcount": "1"}], "costs": []}


def _render_form(form, budget=None, general=(), conflict=None, status=200, priced: BudgetResult | None = None):
    """The form; ``priced`` is its content as the engine prices it now (each line's blank allowance and housing-fund
    rate are shown as the figures they stand for; without it, the live preview shows them)."""
    params, day = current_parameters(), today()
    start = _start_day(form.project.form.start.data)
    form.contractor.form.work_injury_rate.label.text = defaults.work_injury_label(params, start or day)
    notes = {"allowance": defaults.allowance_blank(params), "housing_fund": defaults.housing_fund_blank(params, start, day)}
    if priced is not None:          # the priced budget knows its months: the rate changes within them are said too
        notes.update(preview.budget_notes(priced))
    return render_template("budgets/edit.html", form=form, budget=budget, general=general, conflict=conflict,
                           invalid=status == 400, notes=notes, page_lines=PAGE_LINES,
                           in_force=preview.in_force(priced) if priced is not None else {},
                           rate_in_force=defaults.housing_fund_rate(params, start or day),
                           blank_post=BudgetForm(formdata=None, data={"personnel": [{}]}).personnel[0],
                           blank_cost=BudgetForm(formdata=None, data={"costs": [{}]}).costs[0]), status


def _start_day(text: str | None) -> date | None:
    """The first day of the service as the form has it (None while it is not a month yet)."""
    try:
        return Month.parse((text or "").strip()).first_day
    except ValueError:
        return None


def _priced_now(budget: Budget) -> BudgetResult | None:
    """The latest revision as the engine prices it with today's parameters: its stored result when it was computed
    with them (and says how each blank field was priced), else computed again; None when it no longer computes."""
    revision, params = budget.latest, current_parameters()
    if revision.parameter_set == params.version:
        stored = service.result_of(revision)
        if stored.housing_fund_default is not None and all(line.allowance_source for line in stored.personnel):
            return stored
    try:
        return BudgetResult(service.compute_contract(service.input_of(revision), params, reasons_required=False).result)
    except InputError:
        return None


def _invalid_csrf(form) -> list[str]:
    return [STALE_FORM] if "csrf_token" in form.errors else []


def _over_the_page(formdata) -> list[str]:
    """More rows posted than the edit page holds (PAGE_LINES; the page's own script adds no more): said with where
    to edit them instead. Empty when within."""
    count = limits.posted_lines(formdata, BudgetForm)
    if count <= PAGE_LINES:
        return []
    return [f"页面最多编辑 {PAGE_LINES} 行（人员与直接费用合计），收到 {count} 行；更多的行请用明细表：下载后在 Excel 或 "
            f"WPS 中填写，在“用明细表编辑”中选择文件后保存"]


def _too_many_rows(budget=None):
    """The form again without its rows when more were posted than a budget takes, or than the page holds (counted
    from the field names, before any form is built): the other fields kept, the limit and the count said at the
    top. None when within."""
    refused = limits.too_many_rows(request.form, BudgetForm) or _over_the_page(request.form)
    if not refused:
        return None
    form = BudgetForm(formdata=limits.without_rows(request.form, BudgetForm))
    return _render_form(form, budget, general=[*refused, limits.ROWS_NOT_KEPT], status=400)


def _stored_form_data(budget: Budget, data: dict | None = None) -> dict:
    data = mapping.contract_to_form_data(service.input_of(budget.latest) if data is None else data)
    data["base_revision"] = str(budget.revision_count)
    return data


def _edit_page(budget: Budget, general=(), status: int = 200):
    """The latest revision in the form to change it; for more lines than the page holds, its other fields, with its
    lines to download and upload as a file."""
    stored = service.input_of(budget.latest)
    counts = {kind: len(stored.get(kind) or ()) for kind in ("personnel", "costs")}
    if sum(counts.values()) <= PAGE_LINES:
        return _render_form(BudgetForm(formdata=None, data=_stored_form_data(budget, stored)), budget, general,
                            priced=_priced_now(budget) if status == 200 else None, status=status)
    others = _stored_form_data(budget, stored | {"personnel": [], "costs": []})
    return _render_large(BudgetForm(formdata=None, data=others), budget, budget.latest, general, status=status,
                         counts=counts)


def _render_large(form, budget: Budget, base: Revision, general=(), conflict=None, status: int = 200,
                  counts: dict | None = None):
    """The page for a budget whose lines are edited as a file: ``base`` is the revision whose lines it keeps (and
    ``counts`` its lines of each kind, when the caller has read them)."""
    if counts is None:
        stored = service.input_of(base)
        counts = {kind: len(stored.get(kind) or ()) for kind in ("personnel", "costs")}
    params, day = current_parameters(), today()
    start = _start_day(form.project.form.start.data)
    form.contractor.form.work_injury_rate.label.text = defaults.work_injury_label(params, start or day)
    return render_template("budgets/edit_large.html", form=form, budget=budget, base=base, counts=counts,
                           general=general, conflict=conflict, invalid=status == 400, page_lines=PAGE_LINES), status


def _chosen_file():
    """The 明细表 chosen on the page, if one was (a form without one posts an empty part)."""
    upload = request.files.get("lines_file")
    return upload if upload is not None and upload.filename else None


class _Stale(Exception):
    """A page that keeps a revision's lines names no revision of this budget."""


def _posted_contract(budget: Budget | None, base: int | None) -> tuple[dict, lines.Lines | None]:
    """The posted form as the engine's contract: its lines from an uploaded 明细表 (which replace any rows posted),
    or kept from the revision the page was opened on (the page for many lines posts none), or as posted. The lines
    read from a file come back too, to say its problems where they are in it. InputError for a file that cannot
    be read."""
    data = mapping.contract_of(mapping.read_form(request.form, BudgetForm))
    upload = _chosen_file()
    if upload is not None:
        read = lines.read_lines(upload.filename, upload.stream.read(lines.MAX_BYTES + 1))
        data["personnel"], data["costs"] = read.personnel, read.costs
        return data, read
    if request.form.get("lines") == "kept":
        revision = service.revision_of(budget, base) if budget is not None and base is not None else None
        if revision is None:
            raise _Stale()
        kept = service.input_of(revision)
        data["personnel"], data["costs"] = kept.get("personnel") or [], kept.get("costs") or []
    return data, None


def _said(form, problems, read: lines.Lines | None) -> list[str]:
    """The engine's problems: those of lines from a file where they are in it, the others at their fields."""
    if read is None:
        return mapping.attach_problems(form, problems)
    in_file = lines.line_problems(problems, read)
    return in_file + mapping.attach_problems(form, [p for p in problems if not lines.is_line(p)])


def _form_again(form, budget: Budget | None, general, status: int, conflict=None):
    """The page the form was posted from, again, with what it said: the page for many lines keeps its revision's. A
    file chosen is not kept (no page can choose it again), which the page says."""
    upload = _chosen_file()
    if upload is not None:
        general = [*general, f"所选的明细表文件（{upload.filename[:120]}）没有保存：改正后请重新选择文件，再点“保存”"]
    if request.form.get("lines") == "kept" and budget is not None:
        base = service.revision_of(budget, small_int(request.form.get("base_revision"))) or budget.latest
        if conflict is not None:
            base = conflict["revision"]
        return _render_large(form, budget, base, general, conflict, status)
    return _render_form(form, budget, general=general, conflict=conflict, status=status)


# The budget form checks its own CSRF token (FlaskForm) so that a refused token re-renders the
# form with everything the user typed, instead of the global CSRF error page.
@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt
def new():
    access.require(access.can_create(current_user))
    if request.method == "GET":
        return _render_form(BudgetForm(formdata=None, data=_new_form_data()))
    refused = _too_many_rows()
    if refused:
        return refused
    form = BudgetForm()
    if not form.validate():
        return _render_form(form, general=_invalid_csrf(form), status=400)
    read = None
    try:
        data, read = _posted_contract(None, None)
        budget = service.create_budget(current_user, data, current_parameters(), form.note.data)
    except InputError as exc:
        db.session.rollback()
        said = lines.file_problems(exc.problems) if read is None and _chosen_file() else _said(form, exc.problems, read)
        return _form_again(form, None, said, 400)
    except service.WorkflowError as exc:          # a correction confirmed while it was saved: nothing saved
        db.session.rollback()
        return _form_again(form, None, [str(exc)], 409)
    planned = annexes.plan_new(budget, budget.latest)
    db.session.commit()
    annexes.send(planned)
    flash("已保存为修订 1（草稿）", "success")
    return redirect(url_for("budgets.show", budget_id=budget.id))


@bp.post("/preview")
@csrf.exempt          # checked by the form itself, so a stale page gets a message, not an error page
def live_preview():
    """The edit form's live preview: the posted form computed exactly as saving would, without saving.
    Overrides still lacking their reason do not stop the computation: they come back as ``pending``,
    so the officer sees what an override costs before writing why."""
    access.require(access.can_create(current_user))
    if not csrf_ok():
        return jsonify(preview.stale(STALE_FORM))
    # the rows posted count whatever becomes of them: a form of 5,000 rows takes 0.6 s to read, refused or not
    try:
        api_limits.spend(limits.posted_lines(request.form, BudgetForm))
    except api_limits.Refused as exc:
        return jsonify(preview.busy(exc.problems[0].message, exc.retry_after)), 429, exc.headers
    refused = limits.too_many_rows(request.form, BudgetForm) or _over_the_page(request.form)
    if refused:
        return jsonify(preview.refused(refused))
    posted = mapping.read_form(request.form, BudgetForm)
    data, params = mapping.contract_of(posted), current_parameters()
    pending = []
    try:
        try:
            computed = service.compute_contract(data, params)
        except InputError as exc:
            if not all(p.code == REASON_MISSING for p in exc.problems):
                raise
            pending = exc.problems
            computed = service.compute_contract(data, params, reasons_required=False)
    except InputError as exc:
        return jsonify(preview.invalid(posted, exc.problems))
    return jsonify(preview.budget(BudgetResult(computed.result), posted, pending))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge):
    """A budget form over the request's limits (refused before the view runs, so nothing posted can be read): the
    form again, blank or as saved, with the limits said at the top; its live preview says them in its answer."""
    endpoint = request.endpoint
    if endpoint not in ("budgets.new", "budgets.edit", "budgets.live_preview") or not current_user.is_authenticated:
        return error_page(exc)
    db.session.rollback()
    try:
        if endpoint == "budgets.edit":
            budget = access.load_budget((request.view_args or {}).get("budget_id"), current_user)
            access.require(access.can_edit(current_user, budget))
            return _edit_page(budget, [limits.too_large_message("已保存的最新修订")], 413)
        access.require(access.can_create(current_user))
    except HTTPException as refused:
        return error_page(refused)
    if endpoint == "budgets.live_preview":
        return jsonify(preview.refused([limits.too_large_message(None)]))
    return _render_form(BudgetForm(formdata=None, data=_new_form_data()), general=[limits.too_large_message("空白的表单")],
                        status=413)


@bp.get("/<id:budget_id>")
def show(budget_id: int):
    budget = access.load_budget(budget_id, current_user)
    revision = _revision(budget, _asked())
    can_edit = access.can_edit(current_user, budget)
    contractor = access.is_contractor(current_user)
    contractors = []
    if can_edit:            # those nothing is shared with yet (the others have a button each on their row)
        has_some = {s.contractor_id for s in budget.shares}
        contractors = [o for o in db.session.scalars(select(Organisation).where(
            Organisation.kind == "contractor", Organisation.active.is_(True)).order_by(Organisation.name))
            if o.id not in has_some]
    share_form = ShareForm()
    share_form.contractor.choices = [SelectChoice(str(o.id), o.name) for o in contractors]
    # a contractor: the revisions shared with it (it reads those and no other)
    mine = [s for s in budget.shares if s.contractor_id == current_user.organisation_id] if contractor else []
    params = current_parameters()
    change = None
    if revision.number == budget.latest.number and revision.status == "draft" and not contractor:
        change = service.policy_change(revision, params)
    result = service.result_of(revision)
    part = _part(result)
    corrected = _corrections(revision, params)
    later = [service.correction_later(row) for row in corrected]
    return render_template(
        "budgets/show.html", budget=budget, revision=revision, result=result,
        revision_figures=revision_figures(revision, result, part, later),
        part=part, shown_assumptions=result.assumptions_of_lines((part - 1) * SHOWN_LINES, part * SHOWN_LINES),
        corrected=list(zip(corrected, later, strict=True)), issued_before=_issued_before(revision, corrected),
        rosters=[(r, rosters.seen_version(r, current_user)) for r in rosters.for_budget(current_user, budget)],
        returned=budget.returned, change=change,
        exceptions={e.key: e for e in revision.exceptions}, parties=service.parties(budget),
        annex_issues=annexes.issues(revision) if revision.status == "approved" else [],
        contract_form=ContractForm(data={"contract_no": budget.contract_no or "", "party_a": budget.party_a or "",
                                         "party_b": budget.party_b or ""}),
        version_now=params.version,
        is_contractor=contractor, my_shares=mine, shared_with=service.shared_with(budget) if not contractor else [],
        # what a roster uploaded from the page is checked against (the newest revision shared, which it names)
        roster_reference=service.shared_revision(budget, current_user.organisation_id) if contractor else None,
        share_offer=service.share_offer(budget, revision.number) if not contractor else [],
        previous_return=service.previous_return(budget, revision) if not contractor else None,
        copied_from=service.copied_from(budget) if not contractor else (None, None, ""),
        action=ActionForm(), share_form=share_form, can_edit=can_edit,
        can_approve=access.can_approve(current_user, budget))


@bp.route("/<id:budget_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit(budget_id: int):
    budget = access.load_budget(budget_id, current_user, for_update=request.method == "POST")
    access.require(access.can_edit(current_user, budget))
    if request.method == "GET" and budget.status == "submitted":
        flash("预算已提交审核，审核通过或退回后才能修改", "error")
        return redirect(url_for("budgets.show", budget_id=budget.id))
    if request.method == "GET":
        return _edit_page(budget)
    refused = _too_many_rows(budget)
    if refused:
        return refused
    form = BudgetForm()
    if not form.validate():
        return _form_again(form, budget, _invalid_csrf(form), 400)
    try:
        base = seen_number(request.form.get("base_revision"))
    except MalformedNumber as exc:
        return _form_again(form, budget, [str(exc)], 400)
    base = -1 if base is None else base
    read = None
    try:
        data, read = _posted_contract(budget, base)
        revision = service.save_revision(budget, current_user, data, current_parameters(), form.note.data, base)
    except _Stale:
        return _form_again(form, budget, [STALE_FORM], 400)
    except InputError as exc:
        db.session.rollback()
        said = lines.file_problems(exc.problems) if read is None and _chosen_file() else _said(form, exc.problems, read)
        return _form_again(form, budget, said, 400)
    except service.Conflict as exc:
        numbers = [r.number for r in budget.revisions]
        comparison = (service.compare_revisions(_revision(budget, base), exc.latest)
                      if base in numbers and base != exc.latest.number else None)
        form.base_revision.data = str(exc.latest.number)
        return _form_again(form, budget, (), 409, conflict={"revision": exc.latest, "result": service.result_of(exc.latest),
                                                           "base": base, "comparison": comparison})
    except service.WorkflowError as exc:
        db.session.rollback()
        return _form_again(form, budget, [str(exc)], 409)
    was_approved = any(r.approved_at for r in budget.revisions[:-1])
    planned = annexes.plan_new(budget, revision)
    saved = f"已保存为修订 {revision.number}（草稿）" + ("；已审核的修订保持不变" if was_approved else "")
    here = url_for("budgets.show", budget_id=budget.id)       # (both read before the commit expires them)
    db.session.commit()
    annexes.send(planned)
    flash(saved, "success")
    return redirect(here)


def _corrections(revision: Revision, params) -> list:
    """The corrections in force listed for the revision; one confirmed before corrections were followed through
    lists it now (kept: it is a list of record, not a view of the moment)."""
    rows, listed_now = service.corrections_of(revision, params)
    if listed_now:
        db.session.commit()
    return rows


def _issued_before(revision: Revision, corrected: list) -> list:
    """The revision's issued annexes issued before the latest correction listed for it (they do not say it)."""
    if not corrected or revision.status != "approved":
        return []
    since = max(as_utc(row.correction.reviewed_at) for row in corrected)
    return [f for f in annexes.issued(revision) if as_utc(f.issued_at) < since]


_FIGURES = service.Kept(128)


def _part(result: BudgetResult) -> int:
    """Which part of a long budget's lines the page shows (?part=N, from 1; the last for a number past it)."""
    parts = max(1, -(-max(len(result.personnel), len(result.costs)) // SHOWN_LINES))
    return min(max(small_int(request.args.get("part")) or 1, 1), parts)


def revision_figures(revision: Revision, result: BudgetResult, part: int = 1, later: list | None = None) -> Markup:
    """The budget page's tables that its stored result alone decides (personnel, segments, costs, months,
    figures used), rendered once per revision (and part of its lines) in each process: a revision's result never
    changes. Keyed as the read results are (``service.result_key``), by the part, and by the corrections of its
    figures confirmed since (the basis marks each corrected figure)."""
    # Markup marks the fragment as HTML that is already escaped, not as trusted text: it is what Jinja rendered
    # with autoescaping on (an .html template), so every post name and message in it was escaped as it was
    # printed. Caching it must not escape it a second time; nothing is added to it afterwards.
    later = tuple(later or ())
    first = (part - 1) * SHOWN_LINES
    shown = {"personnel": result.personnel[first:first + SHOWN_LINES], "costs": result.costs[first:first + SHOWN_LINES],
             "part": part, "parts": max(1, -(-max(len(result.personnel), len(result.costs)) // SHOWN_LINES)),
             "first": first, "per_part": SHOWN_LINES, "budget_id": revision.budget_id, "number": revision.number}
    # Markup only marks what Jinja has already rendered with autoescaping on (every name, post and note in it was
    # escaped there), so the cached fragment is not escaped a second time where the page includes it
    return _FIGURES.get((*service.result_key(revision), part, later),
                        lambda: Markup(render_template("budgets/_revision_figures.html", result=result,
                                                       corrections=later, **shown)))


def _refused(budget: Budget, message: str):
    """A state-changing request that does not say which revision it is about, or says it malformed: refused
    (400) before anything changes, with the reason and the way back."""
    db.session.rollback()
    return render_template("error.html", code=400, message=message,
                           back=(url_for("budgets.show", budget_id=budget.id), "返回预算")), 400


def _action(budget_id: int, check, act, done: str, after=None):
    """A POST-only workflow action: check the right, run it, commit, say what happened. Every one names the
    revision the user was looking at (``revision``); without it, or with no number, nothing is done."""
    budget = access.load_budget(budget_id, current_user, for_update=True)
    access.require(check(current_user, budget))
    here = url_for("budgets.show", budget_id=budget.id)
    form = ActionForm()
    if not form.validate():
        flash("页面已过期，请刷新后重试", "error")
        return redirect(here)
    try:
        seen = seen_number(request.form.get("revision"))       # refused before anything changes, as a stale one is
    except MalformedNumber as exc:
        return _refused(budget, str(exc))
    if seen is None:
        return _refused(budget, service.NO_REVISION)
    try:
        outcome = act(budget, form)
    except service.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(here)
    db.session.commit()
    _prepare_annexes(budget)
    flash(done(outcome) if callable(done) else done, "success")
    return redirect(after(outcome) if after else here)


def _prepare_annexes(budget) -> None:
    """Queue the latest revision's annexes for what they print now (after the change is committed; a queue
    that cannot be reached never undoes the change: the download queues them again)."""
    if sa_inspect(budget).was_deleted:          # a draft deleted by the action
        return
    try:
        annexes.prepare(budget, budget.latest)
    except Exception:       # the change is saved; the annex is made when it is asked for
        db.session.rollback()
        current_app.logger.exception("could not queue the annexes of budget %s", budget.id)


def _seen(form) -> int | None:
    """The revision the user was looking at (already refused by ``_action`` when malformed)."""
    return seen_number(request.form.get("revision"))


@bp.post("/<id:budget_id>/submit")
def submit(budget_id: int):
    return _action(budget_id, access.can_edit,
                   lambda b, f: service.submit(b, current_user, _seen(f), bool(f.confirm.data)), "已提交审核")


@bp.post("/<id:budget_id>/approve")
def approve(budget_id: int):
    share_too = request.form.get("share") == "y"
    return _action(budget_id, access.can_approve,
                   lambda b, f: service.approve(b, current_user, _seen(f), bool(f.confirm.data), share_too),
                   lambda shared: _approved(share_too, shared))


def _approved(share_too: bool, shared: list[str]) -> str:
    """What approving did, as it happened: shared with whom, or with no one although asked to."""
    if shared:
        return f"审核通过，本修订已锁定，并已共享给 {'、'.join(shared)}（只读）"
    if share_too:
        return "审核通过，本修订已锁定；没有共享给任何承接主体（没有尚不能查看本修订的在用承接主体）"
    return "审核通过，本修订已锁定"


@bp.post("/<id:budget_id>/return")
def return_for_changes(budget_id: int):
    return _action(budget_id, access.can_approve,
                   lambda b, f: service.return_for_changes(b, current_user, f.reason.data, _seen(f)), "已退回修改")


@bp.post("/<id:budget_id>/recompute")
def recompute(budget_id: int):
    return _action(budget_id, access.can_edit,
                   lambda b, f: service.recompute(b, current_user, current_parameters(), _seen(f)),
                   "已按最新政策参数重新测算，生成新的草稿修订")


@bp.post("/<id:budget_id>/duplicate")
def duplicate(budget_id: int):
    return _action(budget_id, access.can_edit,
                   lambda b, f: service.duplicate(b, current_user, current_parameters(), _seen(f)),
                   lambda copy: f"已复制修订 {copy.copied_from_revision} 为新的草稿",
                   after=lambda copy: url_for("budgets.show", budget_id=copy.id))


@bp.post("/<id:budget_id>/delete")
def delete(budget_id: int):
    return _action(budget_id, access.can_edit,
                   lambda b, f: service.delete_draft(b, current_user, rosters.exists_for(b.id), _seen(f)), "草稿已删除",
                   after=lambda _: url_for("budgets.index"))


@bp.post("/<id:budget_id>/share")
def share(budget_id: int):
    """Share the revision on the page (``revision``) with a contractor (one already shared with or a new one)."""
    budget = access.load_budget(budget_id, current_user, for_update=True)
    access.require(access.can_edit(current_user, budget))
    form = ShareForm()
    try:
        number = seen_number(request.form.get("revision"))
    except MalformedNumber as exc:
        return _refused(budget, str(exc))
    if number is None:
        return _refused(budget, service.NO_REVISION)
    here = url_for("budgets.show", budget_id=budget.id, revision=number)
    contractor = None
    chosen = small_int(form.contractor.data)
    if form.validate() and chosen is not None:
        contractor = db.session.get(Organisation, chosen)
    if contractor is None or contractor.kind != "contractor":
        flash("请选择要共享的承接主体", "error")
        return redirect(here)
    try:
        service.share(budget, current_user, contractor, number)
    except service.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(here)
    db.session.commit()
    _prepare_annexes(budget)
    flash(f"已把修订 {number} 共享给 {contractor.name}（只读）", "success")
    return redirect(here)


@bp.get("/<id:budget_id>/lines.xlsx")
def lines_xlsx(budget_id: int):
    """A revision's lines as the 明细表, to change in a spreadsheet program and upload on the edit page."""
    budget = access.load_budget(budget_id, current_user)
    access.require(access.can_edit(current_user, budget))
    revision = _revision(budget, _asked())
    data = service.input_of(revision)
    content = lines.lines_workbook(data, current_parameters(), _start_day(data.get("project", {}).get("start")), today())
    accounts.record("export", f"budget:{budget.id}", f"明细表 XLSX（修订 {revision.number}）")
    db.session.commit()
    name = without_invisible(data.get("project", {}).get("name") or budget.name)
    return attachment(content, XLSX, f"{name}-明细表-修订{revision.number}.xlsx",
                      f"budget-{budget.id}-lines-revision-{revision.number}.xlsx")


@bp.get("/lines-template.xlsx")
def lines_template():
    """The 明细表 without lines, for a new budget with more lines than the page holds."""
    access.require(access.can_create(current_user))
    return attachment(lines.lines_workbook({}, current_parameters(), None, today()), XLSX, "预算明细表模板.xlsx",
                      "budget-lines-template.xlsx")


@bp.get("/<id:budget_id>/annex.<any(pdf, xlsx):kind>")
def annex(budget_id: int, kind: str):
    budget = access.load_budget(budget_id, current_user)
    return annexes.download(budget, _revision(budget, _asked()), kind, _asked("issue"))


@bp.get("/<id:budget_id>/annex-status.<any(pdf, xlsx):kind>")
def annex_status(budget_id: int, kind: str):
    budget = access.load_budget(budget_id, current_user)
    return annexes.status(budget, _revision(budget, _asked()), kind)


@bp.post("/<id:budget_id>/annex-retry.<any(pdf, xlsx):kind>")
def annex_retry(budget_id: int, kind: str):
    budget = access.load_budget(budget_id, current_user)
    revision = _revision(budget, _asked())
    if not ActionForm().validate():
        abort(400)
    annexes.retry(budget, revision, kind)
    return redirect(url_for("budgets.annex", budget_id=budget.id, kind=kind, revision=revision.number))


@bp.post("/<id:budget_id>/unshare/<id:share_id>")
def unshare(budget_id: int, share_id: int):
    return _action(budget_id, access.can_edit, lambda b, f: service.unshare(b, current_user, share_id, _seen(f)),
                   "已撤回共享")


@bp.post("/<id:budget_id>/contract")
def contract(budget_id: int):
    budget = access.load_budget(budget_id, current_user, for_update=True)
    access.require(access.can_edit(current_user, budget))
    form = ContractForm()
    if not form.validate():
        for name, errors in form.errors.items():
            for message in errors:
                flash(STALE_FORM if name == "csrf_token" else f"{form[name].label.text}：{message}", "error")
        return redirect(url_for("budgets.show", budget_id=budget.id) + "#contract")
    before = annexes.contract_printed(budget)
    service.set_contract(budget, current_user, form.contract_no.data, form.party_a.data, form.party_b.data)
    db.session.commit()
    reissued = annexes.reissue(budget, before)      # an approved revision's issued files stay: a new issue prints these
    _prepare_annexes(budget)
    flash(annexes.contract_saved(reissued), "success")
    return redirect(url_for("budgets.show", budget_id=budget.id) + "#contract")


@bp.post("/<id:budget_id>/corrections/<id:row_id>/keep")
def keep_figures(budget_id: int, row_id: int):
    """Go forward with the figures of the latest revision despite a correction, for the reason written (``reason``):
    the preparer of a draft, the approver of a submitted revision."""
    def allowed(user, budget):
        return access.can_edit(user, budget) or access.can_approve(user, budget)
    return _action(budget_id, allowed,
                   lambda b, f: service.decide_correction(b, current_user, row_id, f.reason.data, _seen(f)),
                   "已写明按原数值继续的理由")


@bp.get("/corrections")
def corrected():
    """The revisions priced with a figure later corrected, of the budgets the user may see (an administrator: all),
    by correction (``?correction=`` one of them), each with the difference and where it stands."""
    if access.is_contractor(current_user):
        abort(404)
    asked = request.args.get("correction")
    correction_id = small_int(asked) if asked is not None else None
    if asked is not None and correction_id is None:
        abort(404)
    rows = service.corrected_budgets(current_user, correction_id)
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row.correction_id, []).append(row)
    shown = [(items[0].correction, service.correction_later(items[0]),
              [(row, service.correction_state(row)) for row in items], service.correction_progress(correction_id))
             for correction_id, items in groups.items()]
    return render_template("budgets/corrections.html", groups=shown, one=correction_id is not None,
                           pricing=any(done < listed for *_, (done, listed) in shown),
                           in_force=service.corrections_in_force() if current_user.is_admin else [])


@bp.post("/<id:budget_id>/exceptions")
def exceptions(budget_id: int):
    """The 例外说明 of the latest draft's errors: fields ``exception-<key>`` (a finding's key)."""
    texts = {name.removeprefix("exception-"): value for name, value in request.form.items()
             if name.startswith("exception-")}
    return _action(budget_id, access.can_edit, lambda b, f: service.justify(b, current_user, texts, _seen(f)),
                   "已保存例外说明")


@bp.get("/<id:budget_id>/history")
def history(budget_id: int):
    budget = access.load_budget(budget_id, current_user)
    if access.is_contractor(current_user):
        abort(404)                   # the purchaser's revisions and their notes are the purchaser's
    numbers = [r.number for r in budget.revisions]
    a, b = _asked("a"), _asked("b")
    if any(n is not None and n not in numbers for n in (a, b)):
        abort(404)                   # a number naming no revision of this budget names nothing to compare
    comparison = None
    if a is not None and b is not None and a != b:
        comparison = service.compare_revisions(_revision(budget, a), _revision(budget, b))
    elif len(numbers) >= 2 and a is None and b is None:
        a, b = numbers[-2], numbers[-1]
        comparison = service.compare_revisions(_revision(budget, a), _revision(budget, b))
    return render_template("budgets/history.html", budget=budget, comparison=comparison, a=a, b=b)
