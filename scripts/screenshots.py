"""Screenshots of the key pages into docs/screenshots/ (run: .venv/bin/python scripts/screenshots.py [parameters |
corrections])."""
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.live import chromium, live_server, log_in, wait_for_text  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, live_server(f"sqlite:///{tmp}/shots.sqlite") as (base, _app), \
            chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(page, base, "yubei.bianzhi")
        # an edit with a pay under the minimum wage: the finding shows under its row
        page.goto(f"{base}/budgets/1/edit")
        wait_for_text(page, "#preview-state", "已更新")
        page.fill("input[name='personnel-1-monthly_pay']", "2000.00")
        page.wait_for_selector("[data-code='PAY_BELOW_MIN_WAGE']")
        page.screenshot(path=OUT / "edit.png")
        page.fill("input[name='personnel-1-monthly_pay']", "4500.00")
        page.fill("input[name='note']", "社会工作者月薪调至 4500 元")
        page.click("button:has-text('保存')")
        page.wait_for_selector("text=已保存为修订 2")
        page.check("form[action$='/submit'] input[name='confirm']")
        page.click("button:has-text('提交审核')")
        page.wait_for_selector("text=已提交审核")
        approver = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(approver, base, "yubei.shenhe")
        approver.goto(f"{base}/budgets/1")
        approver.check("form[action$='/approve'] input[name='confirm']")
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
        contractor.on("dialog", lambda dialog: dialog.accept())
        contractor.click("button:has-text('共享给采购人')")
        contractor.wait_for_selector("text=已把版本 1 共享给")
        contractor.click("a:has-text('编辑人员')")
        contractor.fill("input[name='roster-2-monthly_pay']", "4300.00")
        contractor.click("button:has-text('保存并核对')")
        contractor.wait_for_selector("text=保存为版本 2")
        contractor.click("a:has-text('版本历史')")
        contractor.screenshot(path=OUT / "roster-history.png", full_page=True)
        # the same pages on a phone (390 px) and a common office laptop (1366 px)
        for width, height in ((390, 844), (1366, 768)):
            small = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            log_in(small, base, "yubei.bianzhi") if width > 700 else _phone_log_in(small, base)
            small.goto(f"{base}/budgets/1")
            small.screenshot(path=OUT / f"budget-{width}.png")
            small.goto(f"{base}/budgets/1/edit")
            wait_for_text(small, "#preview-state", "已更新")
            small.screenshot(path=OUT / f"edit-{width}.png")
    print(f"screenshots in {OUT}")


def _phone_log_in(page, base: str) -> None:
    """On a phone the menu is folded: go to the log-in page directly."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "yubei.bianzhi")
    page.fill("input[name=password]", "demo-2025")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/budgets/")


def parameters() -> None:
    """The parameter pages and a draft that a newly confirmed base changes."""
    with tempfile.TemporaryDirectory() as tmp, live_server(f"sqlite:///{tmp}/shots.sqlite") as (base, _app), \
            chromium() as browser:
        admin = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(admin, base, "admin")
        admin.goto(f"{base}/admin/parameters/")
        admin.screenshot(path=OUT / "parameters.png")
        admin.goto(f"{base}/admin/parameters/family/si.base_floor")
        for name, value in (("value", "4,600"), ("start", "2026-01-01"), ("end", "2026-12-31"),
                            ("doc_no", "渝人社发〔2026〕30号"), ("issuer", "重庆市人力资源和社会保障局"),
                            ("doc_date", "2026-08-20"), ("url", "https://rlsbj.cq.gov.cn/zwxx_182/tzgg/x.html")):
            admin.fill(f"input[name={name}]", value)
        admin.select_option("select[name=confidence]", "verified_official")
        admin.click("button:has-text('录入（待复核）')")
        admin.wait_for_selector("text=待另一位管理员复核后生效")
        admin.screenshot(path=OUT / "parameter-pending.png", full_page=True)
        reviewer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(reviewer, base, "admin.fuhe")
        reviewer.goto(f"{base}/admin/parameters/family/si.base_floor")
        reviewer.click("button:has-text('复核通过')")
        reviewer.wait_for_selector("text=已复核通过")
        preparer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(preparer, base, "yubei.bianzhi")
        preparer.goto(f"{base}/budgets/1")
        preparer.wait_for_selector(".policy-change")
        preparer.screenshot(path=OUT / "policy-change.png")
        # a figure far from its neighbours, as the second administrator sees it; the worklist of unchecked sources
        admin.goto(f"{base}/admin/parameters/family/si.base_ceiling")
        for name, value in (("value", "2,300,000"), ("start", "2026-01-01"), ("end", "2026-12-31"),
                            ("doc_no", "渝人社发〔2026〕30号"), ("issuer", "重庆市人力资源和社会保障局"),
                            ("doc_date", "2026-08-20"), ("note", "按通知第二条")):
            admin.fill(f"input[name={name}]", value)
        admin.select_option("select[name=confidence]", "secondary")
        admin.click("button:has-text('录入（待复核）')")
        admin.check("input[name=acknowledge]")
        admin.click("button:has-text('录入（待复核）')")
        admin.wait_for_selector("text=待另一位管理员复核后生效")
        reviewer.goto(f"{base}/admin/parameters/family/si.base_ceiling")
        reviewer.locator("tr.row-flagged").screenshot(path=OUT / "parameter-flagged.png")
        admin.goto(f"{base}/admin/parameters/worklist?family=si.base_floor")
        admin.screenshot(path=OUT / "parameter-worklist.png", full_page=True)
    print(f"screenshots in {OUT}")


def corrections() -> None:
    """A confirmed figure corrected: the budgets it priced, a draft that must be decided, an approved budget flagged
    (the browser test's own flow, its screenshots kept)."""
    from tests.browser import test_correction_flow as flow  # noqa: PLC0415  (only for this set of screenshots)
    flow.SHOTS = OUT
    with tempfile.TemporaryDirectory() as tmp:
        flow.test_a_wrong_allowance_corrected_reaches_the_budgets_it_priced(Path(tmp))
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    {"parameters": parameters, "corrections": corrections}.get(" ".join(sys.argv[1:]), main)()
