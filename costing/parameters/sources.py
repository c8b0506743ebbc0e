"""Sources checked against the primary document (核实来源), and the worklist of the figures whose source nobody
has checked yet (核实清单). Checking a source is not a correction: no figure changes, the citation becomes what
the original prints (a link already known is never removed), the source records the organisation that checked
it and when (``verified_by`` / ``verified_on``), and its figures take the grading the checker gives them —
all once a second administrator confirms it (two-person rule)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..engine.parameters import CONFIDENCE, SOURCE_FIELDS
from ..engine.text import free_text_problem
from ..models import DistrictTier, ParamFamily, ParamSource, ParamSourceCheck, ParamValue
from .export import iso
from .review import Refused, SourceInput, _reviewable, reviewed_now
from .state import bump, lock

CITATION_FIELDS = ("title", "issuer", "doc_no", "date", "effective", "url")
KEEP_GRADE = ("derived",)        # a figure worked out from the document stays 推算 when the document is checked


@dataclass
class CheckInput:
    source: SourceInput          # the citation as the original prints it, with verified_by and verified_on
    confidence: str              # the grading its figures get
    note: str                    # where, and against what, it was checked


def figures_citing(session: Session, source: ParamSource) -> list[ParamValue]:
    """The confirmed figures that cite ``source``, in the order of the parameters pages."""
    rows = session.scalars(select(ParamValue).join(ParamFamily).where(
        ParamValue.source_id == source.id, ParamValue.status == "confirmed")
        .order_by(ParamFamily.document, ParamFamily.position, ParamValue.region, ParamValue.start))
    return list(rows)


def pending_check(session: Session, source_id: int) -> ParamSourceCheck | None:
    return session.scalar(select(ParamSourceCheck).where(ParamSourceCheck.source_id == source_id,
                                                         ParamSourceCheck.status == "pending"))


def propose(session: Session, source: ParamSource, value: ParamValue | None, data: CheckInput, user,
            today: date) -> ParamSourceCheck:
    """A pending check of ``source`` (Refused with the problems by field)."""
    lock(session)
    if source.verified:
        raise Refused({"status": f"该来源已经核实：{source.standing}"})
    if pending_check(session, source.id) is not None:
        raise Refused({"status": "该来源已有待复核的核实，请先复核、驳回或撤回它"})
    if not data.source.url and source.url:
        data.source.url = source.url            # checking a source never removes the link it had
    problems = data.source.problems(today, data.confidence)
    if not data.source.verified_by:
        problems.setdefault("verified_by", "请填写核实单位（对照原件核实的单位或部门）")
    if data.source.verified_on is None:
        problems.setdefault("verified_on", "请填写核实日期")
    if data.confidence not in CONFIDENCE:
        problems["confidence"] = "请选择核实后这些数值的可信度"
    if not data.note.strip():
        problems["note"] = "请写明在何处、对照什么核对了原件（如 重庆市人力资源和社会保障局网站原文、纸质原件）"
    elif free_text_problem(data.note):
        problems["note"] = free_text_problem(data.note)
    if problems:
        raise Refused(problems)
    s = data.source
    check = ParamSourceCheck(source_id=source.id, value_id=value.id if value is not None else None,
                             title=s.title or None, issuer=s.issuer or None, doc_no=s.doc_no or None,
                             date=iso(s.date), effective=iso(s.effective), url=s.url or None,
                             verified_by=s.verified_by, verified_on=iso(s.verified_on), confidence=data.confidence,
                             note=data.note.strip(), status="pending", origin="admin", created_by_id=user.id)
    session.add(check)
    session.flush()
    return check


def confirm(session: Session, check: ParamSourceCheck, reviewer) -> int:
    """Confirm a pending check (a second administrator): the source takes the citation as checked (its link kept
    where the check gives none), who checked it and when, and a line in its administrators' note; its figures
    take the grading (but those worked out from it). Returns how many figures cite it."""
    _reviewable(check, reviewer)
    source = check.source
    if source.verified:
        raise Refused({"status": f"该来源已经核实：{source.standing}；请驳回这项核实"})
    check.before_json = json.dumps({f: getattr(source, f) for f in SOURCE_FIELDS}, ensure_ascii=False)
    for field in CITATION_FIELDS:
        setattr(source, field, getattr(check, field) or (source.url if field == "url" else None))
    source.verified_by, source.verified_on = check.verified_by, check.verified_on
    line = f"{check.verified_on} {check.verified_by} 核实：{check.note}"
    source.note = f"{source.note}\n{line}" if source.note else line
    figures = figures_citing(session, source)
    for row in figures:
        if row.confidence not in KEEP_GRADE:
            row.confidence = check.confidence
    for tier in session.scalars(select(DistrictTier).where(DistrictTier.source_id == source.id,
                                                           DistrictTier.status == "confirmed")):
        if tier.confidence not in KEEP_GRADE:
            tier.confidence = check.confidence
    reviewed_now(check, reviewer, "confirmed")
    session.flush()
    bump(session)
    return len(figures)


def describe(check: ParamSourceCheck) -> str:
    """A check as the audit log and the pages say it: 核实来源 渝人社发〔2024〕22号：经 重庆市人力资源和社会保障局 核实（2026-11-20）."""
    cited = check.doc_no or (f"《{check.title}》" if check.title else check.source.citation)
    return f"核实来源 {cited}：经 {check.verified_by} 核实（{check.verified_on}）"


# ------------------------------------------------------------------ the worklist

@dataclass
class WorkItem:
    """A confirmed figure whose source nobody has checked, and why (what the citation lacks, the
    administrators' note on it)."""
    value: ParamValue
    lacks: list[str]
    note: str
    check: ParamSourceCheck | None


def lacks(source: ParamSource) -> list[str]:
    """What a citation does not say yet."""
    if not (source.doc_no or source.title):
        return ["文件本身待核实（尚无文号与标题）"]
    missing = [label for field, label in (("issuer", "发文机关"), ("doc_no", "文号"), ("date", "发文日期"),
                                          ("url", "政府网站上的原文地址")) if not getattr(source, field)]
    return [f"缺{'、'.join(missing)}"] if missing else []


def worklist(session: Session, family: str = "", confidence: str = "") -> list[WorkItem]:
    """Every confirmed figure whose source nobody has checked against the original, by family and region,
    optionally of one family or one grading."""
    query = (select(ParamValue).join(ParamFamily).join(ParamSource, ParamValue.source_id == ParamSource.id)
             .where(ParamValue.status == "confirmed",
                    or_(ParamSource.verified_by.is_(None), ParamSource.verified_by == "",
                        ParamSource.verified_on.is_(None), ParamSource.verified_on == ""))
             .order_by(ParamFamily.document, ParamFamily.position, ParamValue.region, ParamValue.start))
    if family:
        query = query.where(ParamValue.family_key == family)
    if confidence:
        query = query.where(ParamValue.confidence == confidence)
    checks = {c.source_id: c for c in session.scalars(select(ParamSourceCheck)
                                                      .where(ParamSourceCheck.status == "pending"))}
    return [WorkItem(v, lacks(v.source), v.source.note or "", checks.get(v.source_id)) for v in session.scalars(query)]


def checks_of(session: Session, source_ids: set[int]) -> dict[int, list[ParamSourceCheck]]:
    """The checks made of these sources (every state), oldest first, by source."""
    found: dict[int, list[ParamSourceCheck]] = {}
    if source_ids:
        for check in session.scalars(select(ParamSourceCheck).where(ParamSourceCheck.source_id.in_(source_ids))
                                     .order_by(ParamSourceCheck.id)):
            found.setdefault(check.source_id, []).append(check)
    return found
