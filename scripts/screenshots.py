"""Take screenshots of the key pages into docs/screenshots/ (run: .venv/bin/python scripts/screenshots.py)."""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.live import chromium, live_server, log_in  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, live_server(f"sqlite:///{tmp}/shots.sqlite") as (base, _app), \
            chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(page, base, "yubei.bianzhi")
        page.screenshot(path=OUT / "budgets.png")
        page.goto(f"{base}/budgets/1")
        page.screenshot(path=OUT / "budget.png", full_page=True)
        page.goto(f"{base}/budgets/1/edit")
        page.wait_for_selector("#preview-state:text('已更新')")
        page.fill("input[name='personnel-1-monthly_pay']", "2000.00")
        page.wait_for_selector("[data-code='PAY_BELOW_MIN_WAGE']")
        page.screenshot(path=OUT / "edit.png", full_page=True)
        page.goto(f"{base}/staffing?type=trade_union&workers=6500")
        page.screenshot(path=OUT / "staffing.png")
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
