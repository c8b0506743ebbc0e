"""Administration of the policy parameters: every family with the value in force today and its full
history; new dated values and district tiers, which count only once a second administrator confirms
them (two-person rule); warnings for families overdue for renewal."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice

from ..accounts import service as accounts
from ..budgets import service as budgets
from ..clock import now
from ..engine import plausible
from ..engine.parameters import CONFIDENCE, ParameterMissing, UnknownDistrict
from ..engine.staleness import stale_families
from ..models import DistrictTier, ParamFamily, ParamSource, ParamSourceCheck, ParamValue, db
from ..results import labels
from ..results.format import isodate
from ..web import current_parameters, require_admin, small_int, today
from . import listing, review, service, sources
from .forms import NoticeForm, ReasonForm, SourceForm, TierForm, ValueForm, VerifyForm, typed_date

bp = Blueprint("params", __name__, url_prefix="/admin/parameters")
REJECTIONS_SHOWN = timedelta(days=30)      # an entrant's rejections on the parameters page (all: 我的录入)


@bp.before_request
@login_required
def _admins_only():
    require_admin()


def _pending_values():
    return db.session.scalars(select(ParamValue).where(ParamValue.status == "pending").order_by(ParamValue.id)).all()


def _pending_tiers():
    return db.session.scalars(select(DistrictTier).where(DistrictTier.status == "pending")
                              .order_by(DistrictTier.id)).all()


@bp.get("/")
def index():
    params = current_parameters()
    on = today()
    families = db.session.scalars(select(ParamFamily).order_by(ParamFamily.document, ParamFamily.position)).all()
    in_force = {}
    for family in families:
        rows = []
        # a district's own standard: the districts that have one (none yet: one empty row)
        regions = family.regions if not family.by_district else sorted(
            params.families[family.key].records if family.key in params.families else ()) or [""]
        for region in regions:
            try:
                rows.append((region, params.at(family.key, on, region)))
            except (ParameterMissing, KeyError):      # no value yet on that date, or none for the region
                rows.append((region, None))
        in_force[family.key] = rows
    pending = _pending_values()
    return render_template("parameters/index.html", families=families, in_force=in_force, on=on,
                           stale=stale_families(params, on), pending=pending,
                           flags={v.id: review.row_flags(db.session, v) for v in pending},
                           pending_tiers=_pending_tiers(), action=FlaskForm(),
                           pending_checks=db.session.scalars(select(ParamSourceCheck).where(
                               ParamSourceCheck.status == "pending").order_by(ParamSourceCheck.id)).all(),
                           rejected=listing.entries_of(db.session, current_user.id, "rejected",
                                                       since=now() - REJECTIONS_SHOWN),
                           upcoming=listing.upcoming(db.session, on), unverified=len(sources.worklist(db.session)),
                           set_name=service.set_names(db.session, [params.version], params.version)[params.version])


@bp.route("/family/<key>", methods=["GET", "POST"])
def family(key: str):
    family = db.session.get(ParamFamily, key) or abort(404)
    form = ValueForm()
    form.region.choices = [SelectChoice(r, labels.region(r)) for r in family.regions]
    if len(family.regions) > 1:
        form.region.choices.insert(0, SelectChoice("", "请选择"))
    if family.by_district:
        form.region.label.text = "证书等级"
        form.district.choices = [SelectChoice("", "请选择")] + [SelectChoice(d, d) for d in current_parameters().districts]
    if request.method == "GET" and request.args.get("replaces"):
        if request.args.get("verify"):
            # the former 核对原文 link: checking a source against the original is not a correction of its figure
            row = db.session.get(ParamValue, small_int(request.args.get("replaces")) or 0)
            if row is not None and row.family_key == family.key:
                return redirect(url_for("params.verify_source", source_id=row.source_id, value=row.id))
        _prefill_correction(form, family, small_int(request.args.get("replaces")))
    if request.method == "POST":
        def build(source, start, problems):
            end, end_problem = typed_date(form.end.data)
            if end_problem:
                problems["end"] = end_problem
            region = form.region.data or ""
            if family.by_district:
                region = f"{form.district.data or ''}:{region}"
            return review.ValueInput(region=region, start=start, end=end,
                                         value=form.value.data or "", source=source,
                                         confidence=form.confidence.data or "", note=(form.note.data or "").strip(),
                                         replaces=small_int(form.replaces.data),
                                         acknowledged=bool(form.acknowledge.data))
        if _enter(form, build, lambda data: review.add_value(db.session, family, data, current_user, today()),
                  "param"):
            return redirect(url_for("params.family", key=key))
    values = db.session.scalars(select(ParamValue).where(ParamValue.family_key == key)
                                .order_by(ParamValue.region, ParamValue.start, ParamValue.id)).all()
    notes = {v.id: review.successor_note(db.session, v) for v in values if v.status == "pending"}
    flags = {v.id: review.row_flags(db.session, v) for v in values if v.status == "pending"}
    # corrections: what confirming one will list, and where a confirmed one's list is
    previews = {v.id: budgets.correction_preview(v) for v in values if v.status == "pending" and v.replaces_id}
    changed = {v.id for v in values if v.status == "confirmed" and v.replaces_id and budgets.changes_figure(v)}
    followed = dict.fromkeys(changed, 0) | budgets.corrections_listed(changed)
    correcting = db.session.get(ParamValue, small_int(form.replaces.data)) if small_int(form.replaces.data) else None
    return render_template("parameters/family.html", family=family, values=values, form=form, notes=notes,
                           correcting=correcting, flags=flags, previews=previews, followed=followed,
                           checks=sources.checks_of(db.session, {v.source_id for v in values}),
                           unit_hints=review.UNIT_HINTS,
                           plausible=plausible.plausible_range(family.key, family.unit).text(),
                           action=FlaskForm(), reject_form=ReasonForm()), (400 if form.errors else 200)


def _prefill_correction(form: ValueForm, family: ParamFamily, value_id: int | None) -> None:
    row = db.session.get(ParamValue, value_id) if value_id else None
    if row is None or row.family_key != family.key or row.status != "confirmed":
        flash("要更正的数值不存在或已不是生效状态", "error")
        return
    form.replaces.data = str(row.id)
    form.district.data, _, form.region.data = row.region.rpartition(":")
    form.value.data = row.value
    form.start.data, form.end.data = isodate(row.start), isodate(row.end)
    # the citation comes along: a correction of the figure usually keeps its document
    source = row.source
    form.doc_no.data, form.title.data, form.issuer.data = source.doc_no or "", source.title or "", source.issuer or ""
    form.doc_date.data, form.effective_date.data, form.url.data = source.date or "", source.effective or "", source.url or ""
    form.verified_by.data, form.verified_on.data = source.verified_by or "", source.verified_on or ""
    form.source_note.data, form.confidence.data = source.note or "", row.confidence


def _enter(form: SourceForm, build, add, kind: str):
    """A POSTed new value or tier: check it, save it as pending, record it. None if refused (the form
    then carries the messages at its fields and keeps what was typed)."""
    if not form.validate():
        if form.csrf_token.errors:
            flash("页面已过期（安全校验未通过），请重新提交；您填写的内容已保留", "error")
        return None
    source, problems = form.source_input()
    start, start_problem = typed_date(form.start.data)
    if start_problem:
        problems["start"] = start_problem
    try:
        data = build(source, start, problems)
        if problems:
            raise review.Refused(problems)
        row = add(data)
    except review.Refused as refused:
        db.session.rollback()
        form.show({**refused.problems, **problems})
        return None
    corrects = _corrected(row, None) if getattr(row, "replaces_id", None) else ""
    accounts.record("param_add", f"{kind}:{row.id}", service.describe(row) + "（待复核）" + (f"；{corrects}" if corrects else ""))
    db.session.commit()
    flash("已录入，待另一位管理员复核后生效", "success")
    return row


def _act(model, row_id: int, verb: str):
    review.lock(db.session)          # one parameter change at a time, then the row
    row = db.session.get(model, row_id, with_for_update=True) or abort(404)
    form = ReasonForm()
    if not form.validate():
        abort(400)
    found = review.row_flags(db.session, row) if model is ParamValue and row.status == "pending" else []
    followed = None
    try:
        if verb == "confirm":
            closed = (review.confirm_value(db.session, row, current_user, bool(form.acknowledge.data))
                      if model is ParamValue else review.confirm_tier(db.session, row, current_user))
            if model is ParamValue and row.replaces_id is not None:
                # a correction: the budget revisions priced with the figure it replaces, listed in the same
                # transaction (each priced again after the commit, in the background)
                followed = budgets.follow_correction(row)
        elif verb == "reject":
            review.reject(db.session, row, current_user, form.reason.data or "")
            closed = None
        else:
            review.withdraw(db.session, row, current_user)
            closed = None
    except review.Refused as refused:
        db.session.rollback()
        for message in refused.problems.values():
            flash(message, "error")
        return row, None
    what = service.describe(row)
    corrected = _corrected(row, followed) if model is ParamValue and row.replaces_id is not None else ""
    accounts.record(f"param_{verb}", f"{'param' if model is ParamValue else 'tier'}:{row.id}",
                 what + (f"；{closed}" if closed else "") + (f"；{corrected}" if corrected else "")
                 + (f"；理由：{row.review_note}" if verb == "reject" else "")
                 + (f"；复核时已核对提示：{'；'.join(found)}" if found and verb == "confirm" else ""))
    db.session.commit()
    if followed is not None and followed.new:
        budgets.price_correction(row.id)          # each listed revision priced again, in the background
    flash({"confirm": "已复核通过，" + ("新数值已生效" if model is ParamValue else "档次变更已生效"),
           "reject": "已驳回", "withdraw": "已撤回"}[verb]
          + (f"；{closed}" if closed else "") + (f"；{_found(followed)}" if followed is not None else ""), "success")
    return row, followed


def _corrected(row: ParamValue, followed) -> str:
    """What an audit entry says of a correction: what it corrects and why, and (confirmed) the revisions it found."""
    said = f"更正 {service.describe(row.replaces)}（原因：{row.note or '未写明'}）"
    return said + (f"；{_found(followed)}" if followed is not None else "")


def _found(followed) -> str:
    """用到原数值的预算修订 3 个（草稿 1、已审核 2），已列出，逐一测算差额."""
    if not followed.rows:
        return "没有预算修订用到原数值" if budgets.changes_figure(followed.correction) else "只更正了依据，数值与起始日期未变，预算无需重新测算"
    counts = "、".join(f"{label} {followed.count(status)}" for status, label in
                      (("draft", "草稿"), ("submitted", "已提交"), ("approved", "已审核")) if followed.count(status))
    return f"用到原数值的预算修订 {len(followed.rows)} 个（{counts}），已列出，逐一测算差额"


@bp.post("/values/<id:value_id>/<any(confirm, reject, withdraw):verb>")
def value_action(value_id: int, verb: str):
    row, followed = _act(ParamValue, value_id, verb)
    if followed is not None and followed.rows:          # a correction: where the revisions it found are listed
        return redirect(url_for("budgets.corrected", correction=row.id) + f"#correction-{row.id}")
    return redirect(url_for("params.family", key=row.family_key))


@bp.route("/districts", methods=["GET", "POST"])
def districts():
    form = TierForm()
    if request.method == "POST":
        def build(source, start, problems):
            return review.TierInput(district=(form.district.data or "").strip(), region=form.region.data or "",
                                        start=start, source=source, confidence=form.confidence.data or "",
                                        new_district=bool(form.new_district.data))
        if _enter(form, build, lambda data: review.add_tier(db.session, data, current_user, today()), "tier"):
            return redirect(url_for("params.districts"))
    params = current_parameters()
    on = today()
    rows = db.session.scalars(select(DistrictTier).order_by(DistrictTier.district, DistrictTier.start)).all()
    current = {}
    for name in params.district_names():
        try:
            current[name] = params.district(name, on)
        except UnknownDistrict:       # listed only from a later date
            current[name] = None
    return render_template("parameters/districts.html", rows=rows, current=current, on=on, form=form,
                           action=FlaskForm(), reject_form=ReasonForm(), aliases=params.aliases), \
        (400 if form.errors else 200)


@bp.post("/districts/<id:tier_id>/<any(confirm, reject, withdraw):verb>")
def tier_action(tier_id: int, verb: str):
    _act(DistrictTier, tier_id, verb)
    return redirect(url_for("params.districts"))


# ------------------------------------------------------------------ sources checked against the original

@bp.get("/worklist")
def worklist():
    """核实清单: every confirmed figure whose source nobody has checked, and why, by family or grading."""
    family = request.args.get("family", "")
    confidence = request.args.get("confidence", "")
    families = db.session.scalars(select(ParamFamily).order_by(ParamFamily.document, ParamFamily.position)).all()
    if family not in {f.key for f in families}:
        family = ""
    if confidence not in CONFIDENCE:
        confidence = ""
    items = sources.worklist(db.session, family, confidence)
    return render_template("parameters/worklist.html", items=items, families=families, family=family,
                           confidence=confidence, everything=len(sources.worklist(db.session)))


@bp.route("/sources/<id:source_id>/verify", methods=["GET", "POST"])
def verify_source(source_id: int):
    """核实来源: the citation checked against the original, proposed for a second administrator to confirm.
    No figure changes."""
    source = db.session.get(ParamSource, source_id) or abort(404)
    value = db.session.get(ParamValue, small_int(request.args.get("value")) or 0)
    if value is not None and value.source_id != source.id:
        value = None
    form = VerifyForm()
    form.confidence.label.text = "核实后这些数值的可信度"
    if request.method == "GET":
        form.doc_no.data, form.title.data, form.issuer.data = source.doc_no or "", source.title or "", source.issuer or ""
        form.doc_date.data, form.effective_date.data = source.date or "", source.effective or ""
        form.url.data, form.confidence.data = source.url or "", "verified_official"
    elif form.validate():
        data, problems = form.source_input()
        try:
            if problems:
                raise review.Refused(problems)
            check = sources.propose(db.session, source, value,
                                    sources.CheckInput(data, form.confidence.data or "", (form.note.data or "").strip()),
                                    current_user, today())
        except review.Refused as refused:
            db.session.rollback()
            form.show(refused.problems)
        else:
            accounts.record("source_check", _check_target(check), sources.describe(check) + "（待复核）")
            db.session.commit()
            flash("已提出核实，待另一位管理员复核后，预算与附件中这些数值写作"
                  f"「经 {check.verified_by} 核实（{check.verified_on}）」", "success")
            return redirect(url_for("params.verify_source", source_id=source.id, value=value.id if value else None))
    elif form.csrf_token.errors:
        flash("页面已过期（安全校验未通过），请重新提交；您填写的内容已保留", "error")
    checks = sources.checks_of(db.session, {source.id}).get(source.id, [])
    return render_template("parameters/verify.html", source=source, value=value, form=form, checks=checks,
                           figures=sources.figures_citing(db.session, source), keep=sources.KEEP_GRADE,
                           doc_no_examples=[example for example, _shape in review.DOC_NO_SHAPES],
                           action=FlaskForm(), reject_form=ReasonForm()), (400 if form.errors else 200)


def _check_target(check: ParamSourceCheck) -> str:
    """What the audit log names a check by: the figure it was started from (else the first citing the source)."""
    value = check.value or next(iter(sources.figures_citing(db.session, check.source)), None)
    return f"param:{value.id}" if value is not None else ""


@bp.post("/checks/<id:check_id>/<any(confirm, reject, withdraw):verb>")
def check_action(check_id: int, verb: str):
    review.lock(db.session)
    check = db.session.get(ParamSourceCheck, check_id, with_for_update=True) or abort(404)
    form = ReasonForm()
    if not form.validate():
        abort(400)
    try:
        if verb == "confirm":
            count = sources.confirm(db.session, check, current_user)
        elif verb == "reject":
            review.reject(db.session, check, current_user, form.reason.data or "")
        else:
            review.withdraw(db.session, check, current_user)
    except review.Refused as refused:
        db.session.rollback()
        for message in refused.problems.values():
            flash(message, "error")
    else:
        accounts.record(f"source_check_{verb}", _check_target(check), sources.describe(check)
                        + (f"；理由：{check.review_note}" if verb == "reject" else ""))
        db.session.commit()
        flash(f"已复核通过：来源已核实，引用它的 {count} 个数值在预算与附件中写作「经 {check.verified_by} 核实"
              f"（{check.verified_on}）」" if verb == "confirm" else {"reject": "已驳回", "withdraw": "已撤回"}[verb],
              "success")
    return redirect(url_for("params.verify_source", source_id=check.source_id, value=check.value_id))


@bp.get("/mine")
def mine():
    """我的录入: what the signed-in administrator entered, its state, and a rejection's reason."""
    return render_template("parameters/mine.html", entries=listing.entries_of(db.session, current_user.id))


# ------------------------------------------------------------------ one notice, several figures

def _targets(families: list[ParamFamily]) -> list[SelectChoice]:
    """Every parameter and region a notice row can be for: "<family>|<region>"."""
    choices = [SelectChoice("", "请选择")]
    for family in families:
        for region in family.regions:
            label = f"{family.label} · {labels.region(region)}" + ("（选区县）" if family.by_district else "")
            choices.append(SelectChoice(f"{family.key}|{region}", label))
    return choices


@bp.route("/notice", methods=["GET", "POST"])
def notice():
    """按文件录入: one notice's figures (say the social-insurance floor and ceiling of a year) with its source typed
    once; each figure is pending until a second administrator confirms it."""
    families = db.session.scalars(select(ParamFamily).order_by(ParamFamily.document, ParamFamily.position)).all()
    by_key = {f.key: f for f in families}
    form = NoticeForm()
    targets = _targets(families)
    districts = [SelectChoice("", "—")] + [SelectChoice(d, d) for d in current_parameters().districts]
    for row in form.rows:
        row.form.target.choices, row.form.district.choices = targets, districts
    if request.method == "POST" and form.validate():
        source, problems = form.source_input()
        start, start_problem = typed_date(form.start.data)
        end, end_problem = typed_date(form.end.data)
        problems.update({k: v for k, v in (("start", start_problem), ("end", end_problem)) if v})
        rows = []
        for i, entry in enumerate(form.rows):
            row = entry.form
            if row.blank():
                continue
            family_key, _, region = (row.target.data or "").partition("|")
            family = by_key.get(family_key)
            if family is None:
                problems[f"rows-{i}-region"] = "请选择参数与适用范围"
                continue
            if family.by_district:
                region = f"{row.district.data or ''}:{region}"
            own_start, own_start_problem = typed_date(row.start.data)
            own_end, own_end_problem = typed_date(row.end.data)
            problems.update({f"rows-{i}-{k}": v for k, v in (("start", own_start_problem), ("end", own_end_problem)) if v})
            rows.append((family, review.ValueInput(
                region=region, start=own_start or start, end=own_end or end, value=row.value.data or "",
                source=source, confidence=form.confidence.data or "", note=(row.note.data or "").strip(),
                acknowledged=bool(form.acknowledge.data)), i))
        try:
            if problems:
                raise review.Refused(_notice_problems(problems, form))
            try:
                added = review.add_notice(db.session, [(f, d) for f, d, _i in rows], source,
                                          form.confidence.data or "", current_user, today())
            except review.Refused as refused:         # its rows are numbered as it was given them
                positions = [i for _f, _d, i in rows]
                raise review.Refused(_notice_problems(refused.problems, form, positions)) from None
        except review.Refused as refused:
            db.session.rollback()
            form.show(refused.problems)
        else:
            for row in added:
                accounts.record("param_add", f"param:{row.id}", service.describe(row) + "（按文件录入，待复核）")
            db.session.commit()
            flash(f"已录入 {len(added)} 个数值，待另一位管理员复核后生效", "success")
            return redirect(url_for("params.index"))
    elif request.method == "POST" and form.csrf_token.errors:
        flash("页面已过期（安全校验未通过），请重新提交；您填写的内容已保留", "error")
    flagged = bool(form.acknowledge.errors or form.acknowledge.data)
    return render_template("parameters/notice.html", form=form, flagged=flagged,
                           doc_no_examples=[example for example, _shape in review.DOC_NO_SHAPES]), \
        (400 if form.errors or request.method == "POST" else 200)


def _notice_problems(problems: dict[str, str], form: NoticeForm, positions: list[int] | None = None) -> dict[str, str]:
    """A row's problems at the row the form shows (add_notice numbers only the rows it was given: ``positions``
    says which they were). A row without dates of its own takes the notice's: a missing start is the notice's
    to fill."""
    found = {}
    for key, message in problems.items():
        if key.startswith("rows-") and key.count("-") >= 2:
            _, index, field = key.split("-", 2)
            shown = positions[int(index)] if positions is not None else int(index)
            own = form.rows[shown].form
            if field in ("start", "end") and not (getattr(own, field).data or "").strip():
                found.setdefault(field, message)
                continue
            key = f"rows-{shown}-{field}"
        found[key] = message
    return found
