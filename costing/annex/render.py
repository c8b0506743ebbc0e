"""Render the annex HTML from a revision's stored figures (read through ``costing.results``) and turn it
into a PDF with the static-only fetcher."""
from __future__ import annotations

import gc
import json
from dataclasses import asdict, dataclass, fields
from functools import lru_cache

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from ..paths import ROOT
from ..results import format as formats
from ..results import labels
from ..results.budget import BudgetResult
from ..results.corrections import LaterCorrection, corrected_row
from .fetcher import StaticOnlyFetcher, base_url


@dataclass(frozen=True)
class AnnexMeta:
    code: str
    status: str = "draft"
    revision: int | None = None
    purchaser: str | None = None
    contractor: str | None = None
    contract_no: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    verify_url: str | None = None
    # 例外说明 by finding key: (justification, who wrote it, the day in Beijing)
    exceptions: tuple[tuple[str, tuple[str, str, str]], ...] = ()
    # an approved revision's file is issued once; a later one (new contract details) is issue 2, 3 …, and says why
    issue: int = 1
    issue_note: str | None = None
    # figures of the revision corrected since it was priced (said in a file made after the correction)
    corrections: tuple[LaterCorrection, ...] = ()

    def to_json(self) -> str:
        """What the file prints, as stored with its job (the worker renders exactly this)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AnnexMeta:
        stored = json.loads(text)
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in stored.items() if name in known}
        values["exceptions"] = tuple((key, tuple(note)) for key, note in values.get("exceptions", ()))
        values["corrections"] = tuple(LaterCorrection.from_dict(c) for c in values.get("corrections", ()))
        return cls(**values)

    def corrected(self, basis) -> LaterCorrection | None:
        """The later correction of a figure of the basis, if any."""
        return corrected_row(basis, self.corrections)

    @property
    def issue_label(self) -> str:
        """第 2 版（合同信息变更后重新出具，第 1 版出具于 …） for a re-issue; empty for the first."""
        return f"第 {self.issue} 版（{self.issue_note}）" if self.issue > 1 else ""

    def exception(self, key: str) -> tuple[str, str, str] | None:
        return dict(self.exceptions).get(key)

    @property
    def status_label(self) -> str:
        return labels.ANNEX_STATUS[self.status]

    @property
    def qr_svg(self) -> Markup:
        # The QR is generated here from our own URL or code (never from user text), so it is safe markup.
        qr = segno.make(self.verify_url or f"costing:{self.code}", error="m")
        return Markup(qr.svg_inline(scale=2, border=1, omitsize=True))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(ROOT / "templates")), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined)
    formats.register(env)
    return env


def annex_html(result: dict | BudgetResult, meta: AnnexMeta) -> str:
    view = result if isinstance(result, BudgetResult) else BudgetResult(result)
    return environment().get_template("annex/budget.html").render(result=view, meta=meta)


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    return FontConfiguration()     # one per process: font lookups are cached across renders


def annex_pdf(result: dict | BudgetResult, meta: AnnexMeta) -> bytes:
    """The PDF bytes. A refused URL raises fetcher.RefusedURL and nothing is produced."""
    html = HTML(string=annex_html(result, meta), base_url=base_url(), url_fetcher=StaticOnlyFetcher())
    enabled = gc.isenabled()
    gc.disable()     # millions of short-lived objects: collection pauses cost more than they free here
    try:
        return html.write_pdf(font_config=_fonts())
    finally:
        if enabled:
            gc.enable()
