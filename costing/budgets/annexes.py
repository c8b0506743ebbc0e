"""Annex downloads for a budget revision. An approved revision's files are rendered once and stored."""
from __future__ import annotations

import io

from flask import current_app, render_template, send_file, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts import service as accounts
from ..annex.fetcher import RefusedURL
from ..annex.render import AnnexMeta, annex_pdf
from ..annex.workbook import annex_workbook
from ..models import AnnexFile, Budget, Revision, db
from ..results.format import localdate
from .service import parties, result_of

KINDS = {"pdf": ("application/pdf", annex_pdf),
         "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", annex_workbook)}


def meta_for(budget: Budget, revision: Revision) -> AnnexMeta:
    party_a, party_b = parties(budget)
    return AnnexMeta(
        code=revision.verify_code, status=revision.status, revision=revision.number, contract_no=budget.contract_no,
        purchaser=party_a, contractor=party_b,
        approved_by=revision.approved_by.display_name if revision.approved_by else None,
        approved_at=localdate(revision.approved_at) or None,
        verify_url=verify_url(revision.verify_code),
        exceptions=tuple((e.key, (e.justification, e.author.display_name, localdate(e.created_at)))
                         for e in revision.exceptions))


def verify_url(code: str) -> str | None:
    """From the configured public address only: a request's Host header must not end up in a PDF."""
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}{url_for('main.verify', code=code)}" if base else None


def download(budget: Budget, revision: Revision, kind: str):
    mimetype, render = KINDS[kind]
    stored = None
    if revision.status == "approved":
        stored = db.session.scalar(select(AnnexFile).where(AnnexFile.revision_id == revision.id,
                                                           AnnexFile.kind == kind))
    if stored is not None:
        content = stored.content
    else:
        try:
            content = render(result_of(revision), meta_for(budget, revision))
        except RefusedURL as exc:
            return render_template("error.html", code=500, message=f"导出失败：{exc}"), 500
        if revision.status == "approved":      # an approved revision never changes: keep its annex
            db.session.add(AnnexFile(revision_id=revision.id, kind=kind, content=content))
    accounts.record("export", f"budget:{budget.id}", f"修订 {revision.number} 附件 {kind.upper()}")
    try:
        db.session.commit()
    except IntegrityError:         # another request stored the same approved annex a moment ago
        db.session.rollback()
        accounts.record("export", f"budget:{budget.id}", f"修订 {revision.number} 附件 {kind.upper()}")
        db.session.commit()
    project = result_of(revision).project_name          # the name in this revision, not a later draft's
    name = f"{project}-预算明细表-修订{revision.number}{'' if revision.status == 'approved' else '-草稿'}.{kind}"
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)
