"""People read Beijing time: at 23:30 UTC it is already the next morning in Chongqing, and every date
shown or printed, and "today" for the parameters in force, says so."""
import re
import subprocess
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from costing import clock
from costing.models import Revision, db

from . import world
from .world import log_in

LATE = datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)        # 2026-11-30 07:30 in Beijing


@pytest.fixture
def late(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: LATE)


def test_today_is_beijings_day(app, client, late):
    assert clock.today().isoformat() == "2026-11-30"
    assert "2026-11-30 有效的主要政策参数" in client.get("/").get_data(as_text=True)


def test_an_approval_at_23_30_utc_reads_as_the_next_morning_everywhere(app, late, tmp_path):
    w = world.build()
    log_in(app.test_client(), "a_prep").post(f"/budgets/{w.budget_a}/submit", data={"confirm": "y", "revision": "1"})
    approver = log_in(app.test_client(), "a_appr")
    approver.post(f"/budgets/{w.budget_a}/approve", data={"confirm": "y", "revision": "1"})
    page = approver.get(f"/budgets/{w.budget_a}").get_data(as_text=True)
    assert "于 2026-11-30 07:30 审核通过" in page and "2026-11-29" not in page
    revision = db.session.scalar(select(Revision).where(Revision.budget_id == w.budget_a))
    assert re.search("2026-11-30 07:30", approver.get(f"/verify/{revision.verify_code}").get_data(as_text=True))
    path = tmp_path / "annex.pdf"
    path.write_bytes(approver.get(f"/budgets/{w.budget_a}/annex.pdf").data)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert "审核：A审核，2026-11-30" in text and "2026-11-29" not in text
