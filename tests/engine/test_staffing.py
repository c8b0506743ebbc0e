from datetime import date

import pytest

from costing.engine.model import Site
from costing.engine.parameters import default_parameters
from costing.engine.staffing import staffing_norm


@pytest.mark.parametrize("site, required", [
    (Site("urban_community"), 2), (Site("rural_community"), 1),
    (Site("trade_union", workers=0), 1), (Site("trade_union", workers=2000), 1),
    (Site("trade_union", workers=2001), 1), (Site("trade_union", workers=6000), 2),
    (Site("trade_union", workers=6001), 3), (Site("trade_union", workers=6500), 3),
    (Site("social_work_org", total_posts=10), 7), (Site("social_work_org", total_posts=11), 8),
    (Site("social_work_org", total_posts=1), 1),
    (Site("school", people=2500, people_per_worker=1000), 3),
    (Site("corrections", people=90, people_per_worker=30), 3),
])
def test_required_social_workers(site, required):
    norm = staffing_norm(site, default_parameters(), date(2025, 7, 1))
    assert norm.required == required
    assert norm.basis.startswith("《关于加强社会工作专业岗位开发与人才激励保障的实施意见》二(三)")
