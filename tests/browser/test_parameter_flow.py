"""In real Chromium: an administrator enters the new social-insurance base, a second one confirms it,
and the preparer sees what it does to a draft and recomputes it in one click."""
import re

import pytest

from .live import chromium, live_server, log_in

pytestmark = pytest.mark.browser


def test_new_base_reaches_a_draft(tmp_path):
    with live_server(f"sqlite:///{tmp_path}/params.sqlite") as (base, _app), chromium() as browser:
        preparer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(preparer, base, "yubei.bianzhi")
        preparer.goto(f"{base}/budgets/1")
        assert preparer.locator(".policy-change").count() == 0
        total_before = preparer.inner_text(".totals-table tr.grand td.num")
        assert re.fullmatch(r"[0-9,]+\.[0-9]{2}", total_before)

        admin = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(admin, base, "admin")
        admin.goto(f"{base}/admin/parameters/")
        assert "需要更新的参数" in admin.inner_text("main")
        admin.click("text=社会保险缴费基数下限（月） >> nth=0")
        admin.fill("input[name=value]", "46")                      # a typo: refused at the field
        admin.fill("input[name=start]", "2026-01-01")
        admin.fill("input[name=end]", "2026-12-31")
        admin.fill("input[name=doc_no]", "渝人社发〔2026〕30号")
        admin.fill("input[name=issuer]", "重庆市人力资源和社会保障局")
        admin.fill("input[name=doc_date]", "2026-08-20")
        admin.fill("input[name=url]", "https://rlsbj.cq.gov.cn/zwxx_182/tzgg/x.html")   # the original, as 官方网站原文 needs
        admin.select_option("select[name=confidence]", "verified_official")
        admin.click("button:has-text('录入（待复核）')")
        assert "相差一倍以上" in admin.inner_text("[data-error-for=value]")
        assert admin.input_value("input[name=doc_no]") == "渝人社发〔2026〕30号"
        admin.fill("input[name=value]", "4,600")
        admin.click("button:has-text('录入（待复核）')")
        admin.wait_for_selector("text=待另一位管理员复核后生效")
        assert admin.locator("button:has-text('复核通过')").count() == 0      # not for the one who entered it

        reviewer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(reviewer, base, "admin.fuhe")
        reviewer.goto(f"{base}/admin/parameters/")
        reviewer.click(".pending-list a")
        reviewer.click("button:has-text('复核通过')")
        reviewer.wait_for_selector("text=已复核通过，新数值已生效")

        preparer.goto(f"{base}/budgets/1")
        headline = preparer.inner_text(".policy-headline")
        assert re.search(r"按最新政策参数，本预算将变化 \+[0-9,]+\.[0-9]{2} 元", headline)
        preparer.click("button:has-text('按最新参数重新测算')")
        preparer.wait_for_selector("text=已按最新政策参数重新测算")
        assert preparer.locator(".policy-change").count() == 0
        # 2026's base floor rises from 4,404 to 4,600: the demo budget's total grows by what the headline said
        total_after = preparer.inner_text(".totals-table tr.grand td.num")
        assert total_after != total_before
        assert headline.count(total_after) == 1 and headline.count(total_before) == 1


def test_a_flagged_figure_needs_both_administrators_to_tick_and_the_entrant_sees_the_rejection(tmp_path):
    """30,000 as 渝北区's 助理社会工作师 allowance beside 300 for 社会工作师: flagged at entry and at review."""
    with live_server(f"sqlite:///{tmp_path}/flags.sqlite") as (base, _app), chromium() as browser:
        admin = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        log_in(admin, base, "admin")
        reviewer = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        log_in(reviewer, base, "admin.fuhe")
        family = f"{base}/admin/parameters/family/allowance.certificate_monthly"

        def enter(value: str, grade: str) -> None:
            admin.goto(family)
            admin.select_option("select[name=district]", "渝北区")
            admin.select_option("select[name=region]", grade)
            admin.fill("input[name=value]", value)
            admin.fill("input[name=start]", "2025-01-01")
            admin.fill("input[name=doc_no]", "渝北民发〔2024〕88号")
            admin.fill("input[name=issuer]", "重庆市渝北区民政局")
            admin.fill("input[name=doc_date]", "2024-12-20")
            admin.select_option("select[name=confidence]", "secondary")
            admin.click("button:has-text('录入（待复核）')")

        enter("300", "social_worker")
        reviewer.goto(family)
        reviewer.click("button:has-text('复核通过')")
        reviewer.wait_for_selector("text=已复核通过，新数值已生效")
        enter("30,000", "assistant_social_worker")
        assert "高于渝北区 社会工作师的 300.00 元" in admin.inner_text("[data-error-for=value]")
        admin.check("input[name=acknowledge]")
        admin.fill("input[name=note]", "按区政府会议纪要")
        admin.click("button:has-text('录入（待复核）')")
        admin.wait_for_selector("text=待另一位管理员复核后生效")
        page_path = tmp_path / "review.png"
        reviewer.goto(family)
        assert "超出合理范围（10.00 元–5,000.00 元）" in reviewer.inner_text("tr.row-flagged .flags")
        reviewer.screenshot(path=page_path, full_page=True)
        reviewer.click("tr.row-flagged button:has-text('复核通过')")               # not ticked: refused
        assert "该数值有提示" in reviewer.inner_text(".flash-error")
        reviewer.fill("tr.row-flagged input[name=reason]", "30,000 显系 300 之误")
        reviewer.click("tr.row-flagged button:has-text('驳回')")
        reviewer.wait_for_selector("text=已驳回")
        admin.goto(f"{base}/admin/parameters/")
        assert "理由：30,000 显系 300 之误" in admin.inner_text(".rejected-list")
