"""What a live form's preview answers (static/js/live-form.js places it and formats nothing): the totals
as they read, the findings with the row they belong to, and each problem at its form field. The figures
come from ``costing.results``, like the saved pages."""
from __future__ import annotations

from ..engine.parse import Problem
from ..results import defaults, labels
from ..results import format as formats
from ..results.budget import BudgetResult, Finding
from ..results.roster import RosterReport
from . import mapping


def _finding(f: Finding) -> dict:
    row = f.row
    return {"code": f.code, "severity": f.severity, "severity_label": f.severity_label, "message": f.message,
            "basis": f.basis, "row": list(row) if row else None,
            "title": f.title, "place": f.place if row else ""}


def _problems(posted: dict, problems: list[Problem]) -> list[dict]:
    """Each problem at the field it names (``field`` is the form's name for it), else with its path.
    ``posted`` is the form as ``mapping.read_form`` read it."""
    out = []
    for problem in map(mapping.at_field, problems):
        name = mapping.field_name(problem.path, posted)
        message = mapping.explained(problem, mapping.value_at(problem.path, posted)) if name else problem.message
        out.append({"field": name, "message": message,
                    "general": None if name is not None else f"{labels.place(problem.path)}：{problem.message}",
                    "code": problem.code})
    return out


def _hints(findings: list[Finding], posted: dict) -> list[dict]:
    """Notes said at a field (labels.FIELD_HINTS), such as a district's 职业津贴 standard not entered."""
    out = []
    for f in findings:
        if f.code in labels.FIELD_HINTS:
            suffix, text = labels.FIELD_HINTS[f.code]
            name = mapping.field_name(f"{f.where}.{suffix}", posted)
            if name is not None:
                out.append({"field": name, "message": text})
    return out


def in_force(result: BudgetResult) -> dict[str, dict]:
    """What each staff line's blank 职业津贴 and 公积金比例 stand for, as the engine priced the budget, by the form's
    field name: ``shown`` in the field (300.00, 5%) and ``title`` saying it in full. Lines that state their own
    allowance have none for it."""
    found = {}
    rate = defaults.line_housing_fund_rate(result.housing_fund_default, result.housing_fund_changes)
    for line in result.personnel:
        for key, figure in (("monthly_allowance", defaults.line_allowance(line)), ("housing_fund_rate", rate)):
            if figure is not None:
                found[f"personnel-{line.index}-{key}"] = {"shown": figure.shown,
                                                          "title": f"{labels.POST_FIELDS[key]}（{figure.said}）"}
    return found


def budget_notes(result: BudgetResult) -> dict[str, str]:
    """The form's notes that follow the service's start as it is typed (the rate at its start)."""
    return {"housing_fund": defaults.housing_fund_said(result.housing_fund_default, result.housing_fund_changes)}


def _counts(findings: list[Finding], pending: int = 0) -> dict:
    """What the totals bar says; reasons still to be written block saving, so they count as such."""
    shown = [f for f in findings if f.severity != "info"]
    errors = sum(1 for f in shown if f.severity == "error")
    if errors:
        text = f"{errors} 项错误，{len(shown) - errors} 项提示"
    else:
        text = f"无错误，{len(shown)} 项提示" if shown else "未发现问题"
    if pending:
        text += f"；{pending} 处理由待填，保存前必须填写"
    return {"text": text, "errors": errors, "blocking": errors + pending}


def budget(result: BudgetResult, posted: dict, pending: list[Problem]) -> dict:
    t = result.totals
    shown = [f for f in result.findings if f.severity != "info"]
    return {
        "ok": True,
        "totals": {key: f"{formats.money(t.amount(key))} 元"
                   for key in ("personnel", "direct", "management_fee", "tax", "grand_total")}
        | {"personnel_share": formats.share(t.personnel_share),
           "years": " · ".join(f"{y.year} 年度 {formats.money(y.grand_total)} 元" for y in result.by_year)
           if result.yearly else "一个年度"},
        "words": result.amount_in_words,
        "counts": _counts(result.findings, len(pending)),
        "findings": [_finding(f) for f in shown],
        "pending": _problems(posted, pending),
        "hints": _hints(result.findings, posted),
        "in_force": [{"field": name, **figure} for name, figure in in_force(result).items()],
        "notes": budget_notes(result),
    }


def roster(report: RosterReport) -> dict:
    shown = [f for f in report.findings if f.severity != "info"]
    return {
        "ok": True,
        "totals": {"verdict": report.verdict_label, "people": str(report.people_count), "fail": str(report.fail), "attention": str(report.attention),
                   "ok": str(report.ok), "roster_cost": f"{formats.money(report.roster_cost)} 元",
                   "budget_personnel": f"{formats.money(report.budget_personnel)} 元"},
        "words": "",
        "counts": _counts(report.findings),
        "findings": [_finding(f) for f in shown],
        "pending": [],
        "hints": [],
    }


def invalid(posted: dict, problems: list[Problem]) -> dict:
    return {"ok": False, "errors": _problems(posted, problems)}


def stale(message: str) -> dict:
    return {"ok": False, "errors": [{"field": None, "message": message, "general": message, "code": "stale"}]}


def busy(message: str, retry_after: int | None) -> dict:
    """More pricing asked for than the user's allowance (api_limits.spend): nothing was priced; the form asks again
    after ``retry_after`` seconds."""
    return {"ok": False, "retry_after": retry_after,
            "errors": [{"field": None, "message": message, "general": message, "code": "too_many_requests"}]}


def refused(messages: list[str]) -> dict:
    """A form over the limits on work (too many rows or fields): nothing was read, each limit is said at the top."""
    return {"ok": False, "errors": [{"field": None, "message": m, "general": m, "code": "too_large"} for m in messages]}
