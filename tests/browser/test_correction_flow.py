"""In real Chromium: a wrong 职业津贴 (30,000 for 渝北区 社会工作师) was confirmed and priced an approved budget and a
draft; an administrator corrects it to 300 with the reason, a second one confirms it and is shown the budgets it
priced with the difference each; the preparer finds them flagged, cannot submit the draft unexplained, keeps it
with a reason, and sees the approved budget's page say the figure was later corrected."""
import re
from datetime import date, datetime, timezone

import pytest
from playwright.sync_api import expect

from costing.budgets import service
from costing.models import Budget, ParamSource, ParamValue, User, db
from costing.parameters.service import Provider

from .live import chromium, live_server, log_in

pytestmark = pytest.mark.browser
SHOTS = None          # a folder to keep the screenshots in (scripts/screenshots.py sets it)


def _wrong_figure_and_two_budgets(app) -> None:
    """The wrong figure confirmed (however it got past entry); the demo budget priced with it and approved, and a
    copy of it left a draft."""
    with app.app_context():
        admin, fuhe = (db.session.scalar(db.select(User).where(User.username == name)) for name in ("admin", "admin.fuhe"))
        source = ParamSource(document="allowance.yaml", key="browser-yubei", doc_no="渝北民发〔2025〕12号",
                             title="关于社区工作者职业津贴标准的通知", issuer="重庆市渝北区民政局", date="2025-06-20")
        db.session.add(source)
        db.session.flush()
        db.session.add(ParamValue(family_key="allowance.certificate_monthly", region="渝北区:social_worker",
                                  start=date(2025, 7, 1), value="30000", source_id=source.id, confidence="verified_official",
                                  status="confirmed", origin="admin", created_by_id=admin.id, reviewed_by_id=fuhe.id,
                                  reviewed_at=datetime(2025, 7, 2, tzinfo=timezone.utc)))
        from costing.parameters.seed import bump  # noqa: PLC0415  (the change every confirmation makes)
        bump(db.session)
        db.session.commit()
        params = Provider().get(db.session)
        preparer, approver = (db.session.scalar(db.select(User).where(User.username == name))
                              for name in ("yubei.bianzhi", "yubei.shenhe"))
        budget = db.session.get(Budget, 1)
        service.recompute(budget, preparer, params, 1)
        over = service.result_of(budget.latest).errors            # 30,000 a month is over the appropriation
        service.justify(budget, preparer, {f.key: "经区财政局同意追加预算" for f in over}, 2)
        service.submit(budget, preparer, 2, confirmed=True)
        service.approve(budget, approver, 2, confirmed=True)
        copy = service.duplicate(budget, preparer, params, 2)
        db.session.commit()
        return copy.id


def _shot(page, name: str) -> None:
    """What the page shows first (the correction is said at the top), kept when SHOTS names a folder."""
    if SHOTS is not None:
        page.screenshot(path=SHOTS / name)


def test_a_wrong_allowance_corrected_reaches_the_budgets_it_priced(tmp_path):
    with live_server(f"sqlite:///{tmp_path}/corrections.sqlite") as (base, app), chromium() as browser:
        copy = _wrong_figure_and_two_budgets(app)       # the demo data's budgets come first
        admin = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(admin, base, "admin")
        admin.goto(f"{base}/admin/parameters/family/allowance.certificate_monthly")
        admin.click("tr.row-confirmed >> text=更正")
        assert admin.input_value("input[name=value]") == "30000"
        admin.fill("input[name=value]", "300")
        admin.fill("input[name=note]", "录入时多打了两个零：原文为每人每月 300 元")
        admin.fill("input[name=doc_no]", "渝北民发〔2025〕12号")
        admin.fill("input[name=issuer]", "重庆市渝北区民政局")
        admin.fill("input[name=doc_date]", "2025-06-20")
        admin.select_option("select[name=confidence]", "verified_official")
        admin.fill("input[name=url]", "https://www.ybq.gov.cn/zwgk/2025/12.html")    # 官方网站原文 needs its address
        admin.click("button:has-text('录入（待复核）')")
        admin.wait_for_selector("text=待另一位管理员复核后生效")

        reviewer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(reviewer, base, "admin.fuhe")
        reviewer.goto(f"{base}/admin/parameters/family/allowance.certificate_monthly")
        preview = reviewer.inner_text(".correction-preview")
        assert "已审核 1 个" in preview and "草稿 1 个" in preview
        reviewer.locator(".correction-preview").scroll_into_view_if_needed()
        _shot(reviewer, "correction-pending.png")
        reviewer.click("button:has-text('复核通过')")
        reviewer.wait_for_selector("text=用到原数值的预算修订 2 个")
        assert "/budgets/corrections?correction=" in reviewer.url
        # priced in the background: the page reloads itself until every difference is there
        expect(reviewer.locator("text=正在测算…")).to_have_count(0, timeout=30_000)
        listed = reviewer.inner_text("table.corrected-list")
        differences = set(re.findall(r"-[0-9,]+\.[0-9]{2}", listed))
        assert len(differences) == 1, listed
        _shot(reviewer, "corrections.png")

        preparer = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        log_in(preparer, base, "yubei.bianzhi")
        assert "2份预算用了此后经复核更正的数值" in re.sub(r"\s+", "", preparer.inner_text(".corrections-notice"))
        _shot(preparer, "corrections-budgets.png")
        preparer.goto(f"{base}/budgets/{copy}")
        panel = preparer.inner_text("#corrections")
        assert differences.pop() in panel and "写明理由，按原数值继续" in panel
        preparer.check("form[action$='/submit'] input[name='confirm']")
        preparer.click("button:has-text('提交审核')")
        preparer.wait_for_selector("text=本修订测算所用的政策参数此后已更正")
        _shot(preparer, "correction-draft.png")
        preparer.fill("form.keep textarea[name=reason]", "合同已按原标准签订，经区财政局同意按原数值执行")
        preparer.click("button:has-text('写明理由，按原数值继续')")
        preparer.wait_for_selector("text=已说明按原数值继续")
        preparer.fill("textarea[name^=exception-]", "经区财政局同意追加预算")     # kept at 30,000: over the appropriation
        preparer.click("button:has-text('保存例外说明')")
        preparer.wait_for_selector("text=已保存例外说明")
        preparer.check("form[action$='/submit'] input[name='confirm']")
        preparer.click("button:has-text('提交审核')")
        preparer.wait_for_selector("text=已提交审核")

        preparer.goto(f"{base}/budgets/1")
        assert "后经更正为 300.00 元" in preparer.inner_text("main")
        assert "补充附件" in preparer.inner_text("#corrections")
        _shot(preparer, "correction-approved.png")
