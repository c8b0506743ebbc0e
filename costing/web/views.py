"""The public pages (home, annex verification, the staffing calculator) and the JSON API."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from ..budgets import service as budgets
from ..engine import numbers
from ..engine.budget import compute
from ..engine.model import SITE_FIELDS, SITE_TYPES
from ..engine.parse import NOT_A_CHOICE, REASON_MISSING, InputError, Problem, parse_budget, parse_site, read_json
from ..engine.result import to_json
from ..engine.roster import check_input, check_to_json
from ..engine.staffing import staffing_norm
from ..models import db
from ..parameters import service as parameters
from . import api_limits, current_parameters, openapi, today
from .extensions import csrf

bp = Blueprint("main", __name__)

HOME_FAMILIES = ("min_wage.monthly", "si.base_floor", "si.base_ceiling", "si.employer.pension",
                 "si.employer.medical", "si.employer.serious_illness", "si.employer.unemployment",
                 "si.employer.work_injury", "hf.base_ceiling", "tax.vat.general", "tax.vat.small_scale")


@bp.get("/verify/<code>")
def verify(code: str):
    """Public: which budget revision a paper annex's code belongs to, or that it matches nothing."""
    normalised = re.sub(r"[^A-Z2-7]", "", code.upper())[:12]
    pretty = "-".join(normalised[i:i + 4] for i in range(0, len(normalised), 4))
    revision = budgets.find_by_code(pretty) if len(normalised) == 12 else None
    shown = budgets.verification(revision) if revision is not None else None
    return render_template("main/verify.html", code=pretty or code[:20], v=shown), (200 if shown else 404)


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/staffing")
def staffing():
    """The seed's staffing norms (二(三)) for a site, as a small calculator."""
    site_type = request.args.get("type", "")
    values = {key: request.args.get(key, "").strip() for key in SITE_FIELDS}
    answer, problems = None, {}
    if site_type in SITE_TYPES:
        # the same reading and the same rules as the budget form's site fields
        raw = {"type": site_type} | {key: value for key, text in values.items()
                                     if (value := numbers.as_contract(numbers.INTEGER, text)) is not None}
        params = current_parameters()
        try:
            site = parse_site(raw, params)
        except InputError as exc:
            for problem in exc.problems:
                problems.setdefault(problem.path.removeprefix("site."), problem.message)
        else:
            if not problems:
                answer = staffing_norm(site, params, today())
    return render_template("main/staffing.html", site_types=SITE_TYPES, site_type=site_type, values=values,
                           problems=problems, answer=answer)


@bp.get("/")
def home():
    on = today()
    params = current_parameters()
    found = [row for row in params.in_force(on) if row.family.key in HOME_FAMILIES and row.lookup is not None]
    found.sort(key=lambda row: HOME_FAMILIES.index(row.family.key))
    return render_template("main/home.html", today=on, rows=found)


@bp.get("/api")
def api_docs():
    """For the IT staff who connect other systems: the API, the command line, the finding codes."""
    version = current_parameters().version
    return render_template("main/api.html", today=today(), limits=api_limits.described(),
                           set_name=parameters.set_names(db.session, [version], version)[version])


@bp.get("/api/v1/openapi.json")
def api_openapi():
    """The API described for machines (OpenAPI 3.1): what /api says for people."""
    return jsonify(openapi.document())


@bp.post("/api/v1/compute")
@csrf.exempt
def api_compute():
    """Same contract as ``python -m costing compute``: 200 with the result, 400 with the problems.

    With ``?reasons=later``, overrides still lacking their reason do not stop the computation: the result
    comes with ``pending``, the reasons still to be written (the budget form's own preview does the same).
    Any other value of ``reasons`` is a problem (a misspelt ``later`` must not silently ask for reasons)."""
    reasons = request.args.getlist("reasons")
    later = reasons == ["later"]
    wrong = [] if later or not reasons else [Problem("reasons", "查询参数 reasons 只能是 later（理由稍后填写），且只写一次",
                                                       NOT_A_CHOICE)]
    pending = []
    try:
        data = _api_input()
        params = current_parameters()
        try:
            result = compute(parse_budget(data, params), params)
        except InputError as exc:
            if not later or any(p.code != REASON_MISSING for p in exc.problems):
                raise
            pending = exc.problems
            result = compute(parse_budget(data, params, reasons_required=False), params)
    except api_limits.Refused as exc:
        return jsonify(errors=_problems(exc.problems)), exc.status, exc.headers
    except InputError as exc:
        return jsonify(errors=_problems(wrong + exc.problems)), 400
    if wrong:
        return jsonify(errors=_problems(wrong)), 400
    body = to_json(result)
    if pending:
        body["pending"] = _problems(pending)
    return jsonify(body)


@bp.post("/api/v1/check")
@csrf.exempt
def api_check():
    """Same contract as ``python -m costing check``: {"budget": …, "roster": […]}."""
    try:
        result = check_input(_api_input(budget_at="budget"), current_parameters())
    except api_limits.Refused as exc:
        return jsonify(errors=_problems(exc.problems)), exc.status, exc.headers
    except InputError as exc:
        return jsonify(errors=_problems(exc.problems)), 400
    return jsonify(check_to_json(result))


def _api_input(budget_at: str = "") -> Any:
    """The request's JSON, once it is declared JSON and within its caller's caps (api_limits): nothing is read
    before its size is known to be allowed, nothing priced before its lines and months are counted, and for a
    signed-in caller, before its lines are counted against the pricing the caller may ask for."""
    api_limits.require_json()
    limits = api_limits.caps()
    data = read_json(api_limits.read_body(limits))
    api_limits.check_counts(data, limits, budget_at)
    api_limits.spend(api_limits.lines_in(data, budget_at))
    return data


def _problems(problems: list[Problem]) -> list[dict]:
    """The API's problems: where (the contract's path), what (in Chinese) and the code programs match on."""
    return [{"path": p.path, "message": p.message, "code": p.code} for p in problems]
