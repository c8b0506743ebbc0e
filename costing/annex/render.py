"""Render the annex HTML from stored figures and turn it into a PDF with the static-only fetcher."""
from __future__ import annotations

import base64
import gc
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .. import ROOT
from ..engine.model import CATEGORIES, CERTIFICATES, COST_CATEGORIES, LEVELS
from ..web import filters
from .fetcher import StaticOnlyFetcher, base_url

STATUS_LABELS = {"draft": "草稿（未经审核）", "submitted": "已提交（待审核）", "approved": "已审核"}
LABELS = {"categories": CATEGORIES, "levels": LEVELS, "certificates": CERTIFICATES, "cost_categories": COST_CATEGORIES,
          "levels_short": {"none": "—", "junior": "初级", "mid": "中级", "senior": "高级"}}


def verification_code(result: dict, identity: str = "") -> str:
    """A short code derived from the stored figures and the revision's identity (budget and number),
    so two revisions with equal figures still get different codes."""
    canonical = identity + json.dumps(result, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = base64.b32encode(hashlib.sha256(canonical.encode("utf-8")).digest()).decode()
    return "-".join((digest[0:4], digest[4:8], digest[8:12]))


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

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def qr_svg(self) -> Markup:
        # The QR is generated here from our own URL or code (never from user text), so it is safe markup.
        qr = segno.make(self.verify_url or f"costing:{self.code}", error="m")
        return Markup(qr.svg_inline(scale=2, border=1, omitsize=True))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(ROOT / "templates")), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined)
    env.filters.update(money=filters.money, percent=filters.percent, share=filters.share, region=filters.region,
                       signed_money=filters.signed_money)
    return env


def basis_rows(parameters: list[dict]) -> list[dict]:
    """One row per figure: a value used in its own period and carried past its end date is one
    row that says from which month it is carried."""
    rows: dict[tuple, dict] = {}
    for p in parameters:
        key = (p["name"], p["region"], p["start"], p["value"], p["source"])
        row = rows.get(key)
        if row is None:
            rows[key] = row = {**p, "carried_from": p["used_from"] if p["carried_forward"] else None}
        else:
            row["used_from"], row["used_to"] = min(row["used_from"], p["used_from"]), max(row["used_to"], p["used_to"])
            if p["carried_forward"]:
                row["carried_from"] = min(filter(None, (row["carried_from"], p["used_from"])))
    return list(rows.values())


def annex_html(result: dict, meta: AnnexMeta) -> str:
    # the annex lists the overrides that differ from their default; those equal to it are only counted
    # (results stored before assumptions were listed have none)
    assumptions = result.get("assumptions") or []
    differing = [a for a in assumptions if a["default"] is None or a["default"] != a["value"]]
    return environment().get_template("annex/budget.html").render(
        result=result, meta=meta, labels=LABELS, basis=basis_rows(result["parameters"]), assumptions=differing,
        same_as_default=len(assumptions) - len(differing))


@lru_cache(maxsize=1)
def _fonts():
    from weasyprint.text.fonts import FontConfiguration
    return FontConfiguration()     # one per process: font lookups are cached across renders


def annex_pdf(result: dict, meta: AnnexMeta) -> bytes:
    """The PDF bytes. A refused URL raises fetcher.RefusedURL and nothing is produced."""
    from weasyprint import HTML
    html = HTML(string=annex_html(result, meta), base_url=base_url(), url_fetcher=StaticOnlyFetcher())
    enabled = gc.isenabled()
    gc.disable()     # millions of short-lived objects: collection pauses cost more than they free here
    try:
        return html.write_pdf(font_config=_fonts())
    finally:
        if enabled:
            gc.enable()
