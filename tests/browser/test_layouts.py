"""The pages at 390 px (a phone) and at 1366 px (a common office laptop): nothing is cut off or pushes the
page sideways (wide tables scroll inside their own box), the menu folds on the phone, the live totals stay
in view. Screenshots go to the test's folder; scripts/screenshots.py writes the ones in docs/screenshots/."""
import pytest

from .live import chromium, live_server, wait_for_text

pytestmark = pytest.mark.browser


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 768)])
def test_the_budget_pages_fit_the_screen(tmp_path, width, height):
    with live_server(f"sqlite:///{tmp_path}/layout.sqlite") as (base, _app), chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        phone = width < 700
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "yubei.bianzhi")
        page.fill("input[name=password]", "demo-2025")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/budgets/")
        assert page.locator(".menu-toggle").is_visible() == phone
        assert page.locator("#site-nav a:has-text('薪酬方案')").is_visible() == (not phone)
        if phone:
            page.click(".menu-toggle")
            assert page.locator("#site-nav a:has-text('薪酬方案')").is_visible()
        for path in ("/budgets/", "/budgets/1", "/budgets/1/history", "/budgets/2", "/rosters/"):
            page.goto(base + path)
            assert page_width(page) <= width, (path, page_width(page))
            page.screenshot(path=tmp_path / f"{width}-{path.strip('/').replace('/', '-')}.png", full_page=True)
        page.goto(f"{base}/budgets/1/edit")
        wait_for_text(page, "#preview-state", "已更新")
        assert page_width(page) <= width
        bar = page.locator(".live-bar").bounding_box()
        assert bar["y"] + bar["height"] <= height + 1 and bar["height"] < height / 4     # in view, and compact
        assert page.locator("[data-total='grand_total']").is_visible()
