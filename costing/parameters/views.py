"""Administration of the policy parameters: every family with the value in force today and its full
history; new dated values and district tiers, which count only once a second administrator confirms
them (two-person rule); warnings for families overdue for renewal."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice

from ..accounts import service as accounts
from ..budgets import service as budgets
from ..engine.parameters import ParameterMissing, UnknownDistrict
from ..engine.staleness import stale_families
from ..models import DistrictTier, ParamFamily, ParamValue, db
from ..results import labels
from ..results.format import isodate
from ..web import current_parameters, require_admin, small_int, today
from . import review, service
from .forms import ReasonForm, SourceForm, TierForm, ValueForm, typed_date

bp = Blueprint("params", __name__, url_prefix="/admin/parameters")


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
    return render_template("parameters/index.html", families=families, in_force=in_force, on=on,
                           stale=stale_families(params, on), pending=_pending_values(),
                           pending_tiers=_pending_tiers(), action=FlaskForm(),
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
        _prefill_correction(form, family, small_int(request.args.get("replaces")))
        if request.args.get("verify") and form.replaces.data:
            # checked against the issuer's own text: the same figure, now cited to the original (two-person rule)
            source = db.session.get(ParamValue, int(form.replaces.data)).source
            form.confidence.data = "verified_official"
            form.doc_no.data, form.title.data = source.doc_no or "", source.title or ""
            form.issuer.data, form.doc_date.data = source.issuer or "", source.date or ""
            form.effective_date.data, form.source_note.data = source.effective or "", source.note or ""
            flash("核对原文：请填写发文机关网站上原文的链接，按原件抬头核对发文机关、文号、标题与日期，填写核实单位与"
                  "核实日期，并在“说明”中写明在何处核对；另一位管理员复核后，该数值在预算与附件中写作"
                  "「经 该单位 核实（日期）」。", "info")
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
                                         replaces=small_int(form.replaces.data))
        if _enter(form, build, lambda data: review.add_value(db.session, family, data, current_user, today()),
                  "param"):
            return redirect(url_for("params.family", key=key))
    values = db.session.scalars(select(ParamValue).where(ParamValue.family_key == key)
                                .order_by(ParamValue.region, ParamValue.start, ParamValue.id)).all()
    notes = {v.id: review.successor_note(db.session, v) for v in values if v.status == "pending"}
    # corrections: what confirming one will list, and where a confirmed one's list is
    previews = {v.id: budgets.correction_preview(v) for v in values if v.status == "pending" and v.replaces_id}
    changed = {v.id for v in values if v.status == "confirmed" and v.replaces_id and budgets.changes_figure(v)}
    followed = dict.fromkeys(changed, 0) | budgets.corrections_listed(changed)
    correcting = db.session.get(ParamValue, small_int(form.replaces.data)) if small_int(form.replaces.data) else None
    return render_template("parameters/family.html", family=family, values=values, form=form, notes=notes,
                           correcting=correcting, previews=previews, followed=followed,
                           unit_hints=review.UNIT_HINTS,
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
    followed = None
    try:
        if verb == "confirm":
            closed = (review.confirm_value(db.session, row, current_user) if model is ParamValue
                      else review.confirm_tier(db.session, row, current_user))
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
                 + (f"；理由：{row.review_note}" if verb == "reject" else ""))
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
