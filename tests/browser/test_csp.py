"""In real Chromium, under the app's Content-Security-Policy: the main pages load without a single violation
(nothing inline is refused), and their scripts still work — the live previews, adding rows, the narrow-screen
menu, the questions asked before deleting or sharing."""
import pytest

from .live import chromium, live_server, log_in, wait_for_text

pytestmark = pytest.mark.browser

# every violation is reported to the console, where the test collects it (the listener is added by the
# browser's driver before the page's own scripts, and is not itself subject to the policy)
WATCH = """document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));"""


def _page(browser, violations, errors, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", **options)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or message.text.startswith("CSP violation") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def _visit(page, url):
    answer = page.goto(url)
    assert answer.status in (200, 404), (url, answer.status)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")


def test_the_main_pages_load_without_a_policy_violation_and_their_scripts_work(tmp_path):
    violations, errors = [], []
    with live_server(f"sqlite:///{tmp_path}/csp.sqlite") as (base, _app), chromium() as browser:
        preparer = _page(browser, violations, errors)
        _visit(preparer, f"{base}/login")
        log_in(preparer, base, "yubei.bianzhi")
        for url in ("/budgets/", "/budgets/1", "/budgets/1/history", "/staffing", "/api", "/no-such-page"):
            _visit(preparer, base + url)
        # the edit page: its live preview posts the form and shows the server's totals; a row can be added
        _visit(preparer, f"{base}/budgets/1/edit")
        wait_for_text(preparer, "#preview-state", "已更新")
        preparer.fill("input[name='personnel-0-monthly_pay']", "1000.00")
        preparer.wait_for_selector("[data-code='PAY_BELOW_MIN_WAGE']")
        rows = preparer.locator("tr[data-row='personnel']").count()
        preparer.click("text=＋ 添加岗位")
        assert preparer.locator("tr[data-row='personnel']").count() == rows + 1
        wait_for_text(preparer, "#preview-state", "输入有误")
        # a new budget: deleting its draft asks first; declined, nothing is deleted
        _visit(preparer, f"{base}/budgets/1")
        preparer.click("button:has-text('为新预算')")
        preparer.wait_for_selector("text=为新的草稿")
        copy = preparer.url
        asked = []
        preparer.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        preparer.click("button:has-text('删除草稿')")
        preparer.wait_for_timeout(300)
        assert asked == ["确定删除这份草稿？此操作不可撤销。"] and preparer.url == copy
        preparer.once("dialog", lambda dialog: dialog.accept())
        preparer.click("button:has-text('删除草稿')")
        preparer.wait_for_selector("text=草稿已删除")
        # on a narrow screen the navigation opens from 「菜单」
        preparer.set_viewport_size({"width": 390, "height": 800})
        _visit(preparer, f"{base}/budgets/")
        preparer.click("button.menu-toggle")
        assert preparer.get_attribute("button.menu-toggle", "aria-expanded") == "true"

        contractor = _page(browser, violations, errors)
        log_in(contractor, base, "shegong.caiwu")
        _visit(contractor, f"{base}/budgets/1")
        contractor.click("text=在页面中录入薪酬方案")
        contractor.wait_for_selector("form[data-preview-state='fresh']")      # the preview ran: nothing typed yet
        ids, pays = contractor.locator("input[name$='-id']"), contractor.locator("input[name$='-monthly_pay']")
        for i in range(pays.count()):
            ids.nth(i).fill(f"SG-{i + 1:03d}")
            pays.nth(i).fill("6000.00")
        wait_for_text(contractor, "#preview-state", "已更新")
        contractor.click("button:has-text('保存并核对')")
        contractor.wait_for_selector("text=已保存并核对")
        roster = contractor.url
        contractor.once("dialog", lambda dialog: dialog.accept())
        contractor.click("button:has-text('共享给采购人')")
        contractor.wait_for_selector("text=已把版本 1 共享给")
        for url in ("/rosters/", roster, f"{roster}/history", f"{roster}/edit"):
            _visit(contractor, url if url.startswith("http") else base + url)

        admin = _page(browser, violations, errors)
        log_in(admin, base, "admin")
        for url in ("/admin/parameters/", "/admin/parameters/districts", "/admin/users", "/admin/organisations",
                    "/admin/audit"):
            _visit(admin, base + url)
        _visit(admin, f"{base}/admin/parameters/")
        admin.click("main a[href*='/admin/parameters/family/'] >> nth=0")      # a parameter and its entry form
        admin.wait_for_selector("main form")
        admin.wait_for_load_state("networkidle")

        assert violations == [] and errors == []
        # the watch itself works: a style attribute written into the page is refused and reported
        admin.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
        admin.wait_for_timeout(300)
        assert any("style-src" in v for v in violations), violations
