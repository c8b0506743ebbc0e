"""Screenshots of the key pages into docs/screenshots/ (run: .venv/bin/python scripts/screenshots.py)."""
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
        # an edit with a pay under the minimum wage: the finding shows under its row
        page.goto(f"{base}/budgets/1/edit")
        page.wait_for_function("document.getElementById('preview-state').textContent === '已更新'")
        page.fill("input[name='personnel-1-monthly_pay']", "2000.00")
        page.wait_for_selector("[data-code='PAY_BELOW_MIN_WAGE']")
        page.screenshot(path=OUT / "edit.png")
        page.fill("input[name='personnel-1-monthly_pay']", "4500.00")
        page.fill("input[name='note']", "社会工作者月薪调至 4500 元")
        page.click("button:has-text('保存')")
        page.wait_for_selector("text=已保存为修订 2")
        page.click("button:has-text('提交审核')")
        page.wait_for_selector("text=已提交审核")
        approver = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(approver, base, "yubei.shenhe")
        approver.goto(f"{base}/budgets/1")
        approver.click("button:has-text('审核通过')")
        approver.wait_for_selector("text=本修订已锁定")
        approver.screenshot(path=OUT / "budget.png", full_page=True)
        approver.goto(f"{base}/budgets/1/history")
        approver.screenshot(path=OUT / "history.png", full_page=True)
        approver.goto(f"{base}/budgets/")
        approver.screenshot(path=OUT / "budgets.png")
        approver.goto(f"{base}/staffing?type=trade_union&workers=6500")
        approver.screenshot(path=OUT / "staffing.png")
        # the contractor checks its pay proposal against the approved budget
        contractor = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(contractor, base, "shegong.caiwu")
        contractor.goto(f"{base}/rosters/new?budget=1")
        for i, pay in enumerate(["5800.00", "4500.00", "2000.00", "4500.00", "4100.00"]):
            contractor.fill(f"input[name='roster-{i}-id']", f"SG-00{i + 1}")
            contractor.fill(f"input[name='roster-{i}-monthly_pay']", pay)
        contractor.click("button:has-text('保存并核对')")
        contractor.wait_for_selector("text=已保存并核对")
        contractor.screenshot(path=OUT / "roster.png", full_page=True)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
