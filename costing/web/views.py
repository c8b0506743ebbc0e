"""Home page and the JSON compute endpoint."""
from __future__ import annotations

import re

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..cli import params_in_force
from sqlalchemy import select

from ..engine.budget import compute
from ..engine.model import SITE_TYPES, Site
from ..engine.staffing import staffing_norm
from .parameters import current_parameters, today
from ..engine.parse import InputError, parse_budget, read_json
from ..engine.result import to_json
from ..models import db
from .extensions import csrf

bp = Blueprint("main", __name__)

HOME_FAMILIES = ("min_wage.monthly", "si.base_floor", "si.base_ceiling", "si.employer.pension",
                 "si.employer.medical", "si.employer.serious_illness", "si.employer.unemployment",
                 "si.employer.work_injury", "hf.base_ceiling", "tax.vat.general", "tax.vat.small_scale")


@bp.get("/verify/<code>")
def verify(code: str):
    """Public: which budget revision a paper annex's code belongs to, or that it matches nothing."""
    from ..models import Revision
    normalised = re.sub(r"[^A-Z2-7]", "", code.upper())[:12]
    pretty = "-".join(normalised[i:i + 4] for i in range(0, len(normalised), 4))
    revision = None
    if len(normalised) == 12:
        revision = db.session.scalar(select(Revision).where(Revision.verify_code == pretty))
    return render_template("main/verify.html", code=pretty or code[:20], revision=revision), (200 if revision else 404)


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/staffing")
def staffing():
    """The seed's staffing norms (二(三)) for a site, as a small calculator."""
    site_type = request.args.get("type", "")
    answer, problems = None, {}
    values = {key: request.args.get(key, "").strip() for key in ("workers", "total_posts", "people", "people_per_worker")}
    if site_type in SITE_TYPES:
        numbers = {}
        for key, text in values.items():
            if text:
                if not re.fullmatch(r"[0-9]{1,9}", text):
                    problems[key] = "必须是不小于0的整数"
                else:
                    numbers[key] = int(text)
        needed = {"trade_union": ["workers"], "social_work_org": ["total_posts"],
                  "school": ["people", "people_per_worker"], "corrections": ["people", "people_per_worker"]}
        for key in needed.get(site_type, []):
            if key not in numbers and key not in problems:
                problems[key] = "必填"
        if numbers.get("people_per_worker") == 0:
            problems["people_per_worker"] = "必须大于0"
        if not problems:
            answer = staffing_norm(Site(type=site_type, **numbers), current_parameters(), today())
    return render_template("main/staffing.html", site_types=SITE_TYPES, site_type=site_type, values=values,
                           problems=problems, answer=answer)


@bp.get("/")
def home():
    on = today()
    listing = params_in_force(on, None, current_parameters())
    rows = [row for row in listing["parameters"] if row["name"] in HOME_FAMILIES and row["value"] is not None]
    rows.sort(key=lambda row: HOME_FAMILIES.index(row["name"]))
    return render_template("main/home.html", today=on, rows=rows,
                           parameter_set=listing["parameter_set"])


@bp.post("/api/v1/compute")
@csrf.exempt
def api_compute():
    """Same contract as ``python -m costing compute``: 200 with the result, 400 with the problems.

    With ``?reasons=later`` (the budget form's live preview) overrides still lacking their reason do not
    stop the computation: the result comes with ``pending``, the reasons still to be written, so the
    officer sees what an override costs before writing why."""
    params = current_parameters()
    pending = []
    try:
        data = read_json(request.get_data(cache=False))
        try:
            budget = parse_budget(data, params)
        except InputError as exc:
            reasons = [p for p in exc.problems if p.path.endswith("_reason") and "请说明理由" in p.message]
            if request.args.get("reasons") != "later" or len(reasons) != len(exc.problems):
                raise
            pending = reasons
            budget = parse_budget(data, params, reasons_required=False)
        result = compute(budget, params)
    except InputError as exc:
        return jsonify(errors=[{"path": p.path, "message": p.message} for p in exc.problems]), 400
    body = to_json(result)
    if pending:
        body["pending"] = [{"path": p.path, "message": p.message} for p in pending]
    return jsonify(body)


@bp.post("/api/v1/check")
@csrf.exempt
def api_check():
    """Same contract as ``python -m costing check``: {"budget": …, "roster": […]}."""
    from ..engine.roster import check_input, check_to_json
    try:
        result = check_input(read_json(request.get_data(cache=False)), current_parameters())
    except InputError as exc:
        return jsonify(errors=[{"path": p.path, "message": p.message} for p in exc.problems]), 400
    return jsonify(check_to_json(result))


def register_errors(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = "页面已过期或来源无效，请刷新页面后重试"
        return render_template("error.html", code=400, message=message), 400

    @app.before_request
    def refuse_nul_bytes():
        """PostgreSQL cannot store NUL characters; no form field or query needs them."""
        values = list(request.args.values())
        # the JSON API reads its body itself (and refuses control characters there); parsing it as a
        # form here would consume it when a client sends no JSON content type
        if request.method == "POST" and not request.path.startswith("/api/") and request.mimetype in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
            values += list(request.form.values())
        if any("\x00" in value for value in values):
            abort(400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {404: "页面不存在或无权查看", 405: "不支持的请求方式", 413: "提交的内容过大",
                    400: "请求有误", 403: "无权执行此操作"}
        message = messages.get(exc.code, "请求无法处理")
        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(errors=[{"path": "request", "message": message}]), exc.code
        return render_template("error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        app.logger.exception("unhandled error")
        db.session.rollback()       # the page below reads the signed-in user through the session
        message = "服务器内部错误，已记录。请稍后重试或联系管理员。"
        if request.path.startswith("/api/"):
            return jsonify(errors=[{"path": "request", "message": message}]), 500
        return render_template("error.html", code=500, message=message), 500
