"""In real Chromium: the edit page holds PAGE_LINES lines and its 添加 buttons say where more go; a live preview refused
for asking too much pricing says so and asks again when the server says (issue #20)."""
import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from costing.budgets import service
from costing.budgets.views import PAGE_LINES
from costing.models import User, db
from costing.web import current_parameters

from .live import ROOT, chromium, live_server, log_in

pytestmark = pytest.mark.browser


def full_budget(app) -> int:
    """A budget of exactly as many lines as the page holds."""
    data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    data["personnel"] = [dict(data["personnel"][1], post=f"社工{i}") for i in range(PAGE_LINES - len(data["costs"]))]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "yubei.bianzhi"))
        budget = service.create_budget(user, data, current_parameters())
        db.session.commit()
        return budget.id


def test_the_page_adds_no_line_past_what_it_holds_and_says_where_to_go(tmp_path):
    with live_server(f"sqlite:///{tmp_path}/big.sqlite") as (base, app), chromium() as browser:
        budget_id = full_budget(app)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, base, "yubei.bianzhi")
        page.goto(f"{base}/budgets/{budget_id}/edit")
        rows = page.locator("tr[data-row]")
        expect(rows).to_have_count(PAGE_LINES)
        note = page.locator("[data-lines-full]")
        expect(note).to_be_hidden()
        page.click("text=＋ 添加岗位")
        expect(note).to_be_visible()
        expect(note).to_contain_text(f"页面最多编辑 {PAGE_LINES} 行")
        expect(rows).to_have_count(PAGE_LINES)
        page.locator("tr[data-row='personnel'] [data-remove-row]").first.click()
        page.click("text=＋ 添加费用")
        expect(rows).to_have_count(PAGE_LINES)                 # one out, one in
        assert errors == []


def test_a_preview_refused_for_too_much_pricing_says_so_and_tries_again(tmp_path):
    with live_server(f"sqlite:///{tmp_path}/busy.sqlite") as (base, app), chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        log_in(page, base, "yubei.bianzhi")
        app.config["WORK_RATE_LIMIT"] = "25 per 2 seconds"           # one preview of a line, then wait
        page.goto(f"{base}/budgets/new")
        state = page.locator("#preview-state")
        page.fill("input[name='project-name']", "测算量")
        expect(state).to_contain_text("测算过于频繁", timeout=10_000)
        expect(page.locator("[data-total='grand_total']")).to_have_class("stale")
        expect(state).not_to_contain_text("测算过于频繁", timeout=10_000)       # asked again once the window turned
