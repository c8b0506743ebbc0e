"""Staffing norms of the seed policy (二(三)): how many social-work professionals a site needs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .model import SITE_TYPES, Site
from .money import ceil_int, fmt_percent
from .parameters import Lookup, ParameterSet

SEED = "《关于加强社会工作专业岗位开发与人才激励保障的实施意见》"


@dataclass(frozen=True)
class Norm:
    site_type: str
    required: int
    explanation: str
    basis: str
    severity: str            # how binding the text is: 要/不低于 → error; 力争/可配备 → warning
    lookups: tuple[Lookup, ...]


def staffing_norm(site: Site, params: ParameterSet, on: date) -> Norm:
    """The number of social-work professionals (or posts) the seed asks of this site."""
    kind = site.type
    if kind in ("urban_community", "rural_community"):
        lookup = params.at(f"staffing.{kind}.min_workers", on, "cq")
        required = int(lookup.value)
        return Norm(kind, required, f"{SITE_TYPES[kind]}力争配备 {required} 名（含）以上社会工作专业人才",
                    f"{SEED}二(三)2", "warning", (lookup,))
    if kind == "trade_union":
        small = params.at("staffing.trade_union.small_threshold", on, "cq")
        per = params.at("staffing.trade_union.workers_per_social_worker", on, "cq")
        workers = site.workers or 0
        if workers <= int(small.value):
            required = 1
            text = f"职工 {workers:,} 人，不超过 {int(small.value):,} 人，可配备 1 名工会社会工作专业人才"
        else:
            required = ceil_int(Decimal(workers) / per.value)
            text = (f"职工 {workers:,} 人，超过 {int(small.value):,} 人，每 {int(per.value):,} 人配备 1 名，"
                    f"即 {workers:,} ÷ {int(per.value):,} 向上取整 = {required} 名")
        return Norm(kind, required, text, f"{SEED}二(三)7", "warning", (small, per))
    if kind == "social_work_org":
        share = params.at("staffing.social_work_org.min_share", on, "cq")
        posts = site.total_posts or 0
        required = ceil_int(Decimal(posts) * share.value)
        text = (f"岗位总数 {posts:,} 个，社会工作专业岗位不低于 {fmt_percent(share.value)}，"
                f"即 {posts:,} × {fmt_percent(share.value)} 向上取整 = {required} 个")
        return Norm(kind, required, text, f"{SEED}二(三)9", "error", (share,))
    # school / corrections: the seed gives no ratio; the user sets people per social worker
    people, per = site.people or 0, site.people_per_worker or 1
    required = ceil_int(Decimal(people) / Decimal(per))
    noun = "学生" if kind == "school" else "服务对象"
    clause = "二(三)6" if kind == "school" else "二(三)5"
    text = (f"{noun} {people:,} 人，按设定每 {per:,} 人配备 1 名，即 {people:,} ÷ {per:,} 向上取整 = {required} 名"
            f"（原文未规定比例，比例为使用者设定）")
    return Norm(kind, required, text, f"{SEED}{clause}", "warning", ())
