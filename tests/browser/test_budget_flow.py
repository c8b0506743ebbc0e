"""In real Chromium: create a budget, watch the live total, fix a finding, submit, approve, see it locked."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from costing.models import AnnexFile, Budget, Revision, User, db

from .live import chromium, live_server, log_in, wait_for_text

pytestmark = pytest.mark.browser


LIVE = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "browser.sqlite"
    with live_server(f"sqlite:///{path}") as (base, app):
        LIVE["app"] = app
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def total(page) -> str:
    return page.inner_text("[data-total='grand_total']")


def wait_preview(page):
    wait_for_text(page, "#preview-state", "已更新")


def test_create_submit_approve(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server, "yubei.bianzhi")
    page.click("text=新建预算")
    page.fill("input[name='project-name']", "江北区社区社工服务项目")
    page.select_option("select[name='project-district']", "江北区")
    page.fill("input[name='project-start']", "2025-07")
    page.fill("input[name='project-end']", "2026-06")

    # three posts: the first row is on the page, two more are added
    page.click("text=＋ 添加岗位")
    page.click("text=＋ 添加岗位")
    posts = [("站长", "mid", "social_worker", "1", "5800.00"), ("社工", "junior", "assistant_social_worker", "2", "4300.00"),
             ("社工助理", "junior", "social_work_worker", "1", "4000.00")]
    for i, (post, level, certificate, headcount, pay) in enumerate(posts):
        page.fill(f"input[name='personnel-{i}-post']", post)
        page.select_option(f"select[name='personnel-{i}-level']", level)
        page.select_option(f"select[name='personnel-{i}-certificate']", certificate)
        page.fill(f"input[name='personnel-{i}-headcount']", headcount)
        page.fill(f"input[name='personnel-{i}-monthly_pay']", pay)
    # two cost lines
    page.click("text=＋ 添加费用")
    page.click("text=＋ 添加费用")
    for i, (name, quantity, unit, price) in enumerate([("专业督导", "24", "小时", "300.00"), ("社区活动", "12", "场", "2000.00")]):
        page.fill(f"input[name='costs-{i}-name']", name)
        page.fill(f"input[name='costs-{i}-quantity']", quantity)
        page.fill(f"input[name='costs-{i}-unit']", unit)
        page.fill(f"input[name='costs-{i}-unit_price']", price)
    wait_preview(page)
    before = total(page)
    assert re.match(r"^[\d,]+\.\d\d 元$", before)
    # the rows added on the page show what their blank allowance and housing-fund rate are priced at (江北区 has no
    # standard entered: 0.00, said why), as the server answered
    allowance = page.locator("input[name='personnel-2-monthly_allowance']")
    expect(allowance).to_have_attribute("placeholder", "0.00")
    expect(allowance).to_have_attribute("title", "职业津贴（留空为 0（本区县标准未录入））")
    expect(page.locator("input[name='personnel-2-housing_fund_rate']")).to_have_attribute("placeholder", "5%")
    expect(page.locator("[data-note='housing_fund']")).to_have_text("公积金比例留空按 5%（各月的单位缴存比例下限）")

    # the live total follows the typing; a pay under the minimum wage shows a finding under its row
    page.fill("input[name='personnel-2-monthly_pay']", "2000.00")
    page.wait_for_selector("tr.live-finding [data-code='PAY_BELOW_MIN_WAGE']")
    wait_preview(page)
    assert total(page) != before
    page.screenshot(path=tmp_path / "edit-finding.png", full_page=True)
    # a bad value gets its message beside the field, without losing the rest
    page.fill("input[name='personnel-1-headcount']", "0")
    page.wait_for_selector("[data-error-for='personnel-1-headcount']:has-text('必须是 1 到 1000 之间的整数')")
    page.fill("input[name='personnel-1-headcount']", "2")
    page.fill("input[name='note']", "初稿")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存为修订 1")
    assert page.locator("tr.finding-row [data-code='PAY_BELOW_MIN_WAGE']").count() == 1
    assert page.locator("tr.finding-row:has-text('低于最低工资')").count() == 1          # named in Chinese

    # fix it: the finding disappears
    page.click("a:has-text('编辑')")
    page.fill("input[name='personnel-2-monthly_pay']", "4000.00")
    page.wait_for_selector("[data-code='PAY_BELOW_MIN_WAGE']", state="detached")
    page.fill("input[name='note']", "按最低工资调整")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存为修订 2")
    assert "PAY_BELOW_MIN_WAGE" not in page.content()
    budget_url = page.url

    page.check("form[action$='/submit'] input[name='confirm']")
    page.click("button:has-text('提交审核')")
    page.wait_for_selector("text=已提交审核")
    assert page.locator("a:has-text('编辑')").count() == 0

    # the section head approves
    approver = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    approver.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(approver, server, "yubei.shenhe")
    approver.goto(budget_url)
    approver.check("form[action$='/approve'] input[name='confirm']")
    approver.click("button:has-text('审核通过')")
    approver.wait_for_selector("text=本修订已锁定")
    approver.screenshot(path=tmp_path / "approved.png", full_page=True)

    page.reload()
    assert page.locator(".status-approved").count() >= 1
    assert page.locator("text=本修订已锁定").count() == 1
    assert page.locator("a:has-text('编辑（生成新草稿）')").count() == 1
    assert errors == []
    context.close()


def test_a_reason_appears_beside_an_override_and_is_required(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server, "yubei.bianzhi")
    page.click("text=新建预算")
    page.fill("input[name='project-name']", "渝中区假设测试")
    page.select_option("select[name='project-district']", "渝中区")
    page.fill("input[name='project-start']", "2025-01")
    page.fill("input[name='project-end']", "2025-12")
    page.fill("input[name='personnel-0-post']", "社工")
    page.fill("input[name='personnel-0-monthly_pay']", "5000.00")
    reason = page.locator("input[name='personnel-0-housing_fund_rate_reason']")
    assert not reason.is_visible()

    wait_preview(page)
    total_before = total(page)
    # a certified 社区 post in a district whose 职业津贴 standard is not entered: said at the allowance field
    hint = page.locator("[data-hint-for='personnel-0-monthly_allowance']")
    assert hint.inner_text() == "本区县职业津贴标准未录入，可按本区规定填写" and hint.is_visible()
    page.select_option("select[name='personnel-0-certificate']", "none")
    wait_for_text(page, "[data-hint-for='personnel-0-monthly_allowance']", "")
    page.select_option("select[name='personnel-0-certificate']", "assistant_social_worker")
    page.wait_for_selector("[data-hint-for='personnel-0-monthly_allowance']:has-text('本区县职业津贴标准未录入')")
    wait_preview(page)
    page.fill("input[name='personnel-0-housing_fund_rate']", "7%")
    assert reason.is_visible()
    page.wait_for_selector("[data-error-for='personnel-0-housing_fund_rate_reason']:has-text('请说明理由')")
    # the totals already count the override while its reason is still to be written
    wait_for_text(page, "#preview-state", "已更新（请写明理由后保存）")
    assert total(page) != total_before
    assert page.locator("[data-total].stale").count() == 0
    page.fill("input[name='personnel-0-housing_fund_rate_reason']", "承接机构缴存比例为 7%")
    wait_preview(page)
    assert page.inner_text("[data-error-for='personnel-0-housing_fund_rate_reason']") == ""
    page.screenshot(path=tmp_path / "edit-reason.png", full_page=True)

    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已保存为修订 1")
    row = page.locator("#assumptions tr[data-path='personnel[0].housing_fund_rate']")
    assert "承接机构缴存比例为 7%" in row.inner_text() and "+" in row.inner_text()
    page.locator("#assumptions").screenshot(path=tmp_path / "assumptions.png")

    page.click("a:has-text('编辑')")
    page.fill("input[name='personnel-0-housing_fund_rate_reason']", "")
    page.fill("input[name='personnel-0-housing_fund_rate']", "")
    assert not page.locator("input[name='personnel-0-housing_fund_rate_reason']").is_visible()
    assert errors == []
    context.close()


def test_the_live_preview_keeps_up_with_a_large_budget(server, browser):
    """Eighty staff lines are over a thousand form fields: the preview still answers, row by row."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, server, "yubei.bianzhi")
    page.click("text=新建预算")
    page.fill("input[name='project-name']", "大预算")
    page.select_option("select[name='project-district']", "渝中区")
    page.fill("input[name='project-start']", "2025-01")
    page.fill("input[name='project-end']", "2025-12")
    page.evaluate("""() => {
        const add = document.querySelector("[data-add-row='personnel']");
        for (let i = 0; i < 79; i++) add.click();
        document.querySelectorAll("tr[data-row='personnel']").forEach((row, i) => {
            row.querySelector("input[name$='-post']").value = "社工" + i;
            row.querySelector("input[name$='-monthly_pay']").value = i === 79 ? "1000" : "5000";
        });
        document.querySelector("input[name='personnel-79-monthly_pay']").dispatchEvent(new Event("input", {bubbles: true}));
    }""")
    assert page.locator("tr[data-row='personnel']").count() == 80
    wait_preview(page)
    # the last row's pay is under the minimum wage: its finding sits under that row
    last = page.locator("tr[data-row='personnel']").nth(79)
    assert last.locator("xpath=following-sibling::tr[1]").get_attribute("class") == "live-finding"
    assert page.locator("tr.live-finding [data-code='PAY_BELOW_MIN_WAGE']").count() == 1
    context.close()


def test_the_annex_waiting_page_fetches_the_file_then_says_it_is_done(server, browser):
    with LIVE["app"].app_context():          # a revision of this officer's whose workbook nobody has asked for yet
        made = select(AnnexFile.revision_id).where(AnnexFile.kind == "xlsx")
        revision = db.session.scalars(select(Revision).join(Budget).join(User, User.organisation_id == Budget.organisation_id)
                                      .where(User.username == "yubei.bianzhi", Revision.id.not_in(made))).first()
        budget, number = f"/budgets/{revision.budget_id}", revision.number
    page = browser.new_page(accept_downloads=True)
    log_in(page, server, "yubei.bianzhi")
    with page.expect_download(timeout=60_000) as download:
        page.goto(f"{server}{budget}/annex.xlsx?revision={number}")     # not made yet: the waiting page fetches it
        expect(page.locator("h1")).to_contain_text("Excel 附件")
    assert download.value.suggested_filename.endswith(".xlsx")
    expect(page.locator("#annex-state")).to_contain_text("已生成，下载已开始")
    expect(page.locator("h1")).to_contain_text("已生成 Excel 附件")
    assert page.locator(".spinner").count() == 0
    assert page.locator("#annex-state a").get_attribute("href").startswith(f"{budget}/annex.xlsx")
    page.close()
