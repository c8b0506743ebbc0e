"""In real Chromium: a contractor downloads the template, fills in a few rows, uploads it and reads the report."""
import openpyxl
import pytest

from .live import chromium, live_server, log_in

pytestmark = pytest.mark.browser


def test_upload_the_filled_template_and_see_the_report(tmp_path):
    with live_server(f"sqlite:///{tmp_path}/roster.sqlite") as (base, _app), chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, base, "shegong.caiwu")
        page.goto(f"{base}/budgets/1")
        with page.expect_download() as download:
            page.click("a:has-text('下载花名册模板')")
        template = tmp_path / "template.xlsx"
        download.value.save_as(template)
        book = openpyxl.load_workbook(template)
        sheet = book["花名册"]
        rows = [("SG-001", "社工站站长", "社区", "中级", "社会工作师", "", 5800, 300),
                ("SG-002", "社会工作者", "老年", "初级", "助理社会工作师", "", 4300, 200),
                ("SG-003", "社会工作者", "老年", "初级", "无", "", 2100, 0)]
        for index, values in enumerate(rows, start=2):
            for column, value in enumerate(values, start=1):
                sheet.cell(row=index, column=column, value=value)
            for column in range(9, 17):
                sheet.cell(row=index, column=column, value=None)
        filled = tmp_path / "花名册.xlsx"
        book.save(filled)
        page.set_input_files("input[type=file]", str(filled))
        page.click("button:has-text('导入并核对')")
        page.wait_for_selector("text=已导入并核对：3 人")
        report = page.inner_text("main")
        assert "SG-003" in report and "不合规" in report
        assert "低于最低工资" in report and "证书与岗位等级不符" in report
        assert "与预算逐岗对比" in report and "人数与预算不同" in report
        assert "PAY_BELOW_MIN_WAGE" not in report           # codes are for the API and the CLI
        page.screenshot(path=tmp_path / "report.png", full_page=True)
        with page.expect_download() as exported:
            page.click("a:has-text('导出 Excel')")
        exported_path = tmp_path / "report.xlsx"
        exported.value.save_as(exported_path)
        workbook = openpyxl.load_workbook(exported_path)
        assert workbook["人员核对"]["A4"].value == "SG-003"
        assert errors == []
        context.close()


def _roster_file(path, pay: int) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["姓名或工号", "岗位", "类别", "等级", "证书", "月应发工资"])
    sheet.append(["SG-001", "社工站站长", "社区", "中级", "社会工作师", pay])
    sheet.append(["SG-002", "社会工作者", "老年", "初级", "助理社会工作师", 4300])
    book.save(path)


def test_import_share_and_the_purchaser_sees_the_shared_version_only(tmp_path):
    with live_server(f"sqlite:///{tmp_path}/share.sqlite") as (base, _app), chromium() as browser:
        contractor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        errors = []
        contractor.on("pageerror", lambda exc: errors.append(str(exc)))
        contractor.on("dialog", lambda dialog: dialog.accept())
        log_in(contractor, base, "shegong.caiwu")
        contractor.goto(f"{base}/budgets/1")
        first = tmp_path / "第一稿.xlsx"
        _roster_file(first, 5800)
        contractor.set_input_files("input[type=file]", str(first))
        contractor.click("button:has-text('导入并核对')")
        contractor.wait_for_selector("text=已导入并核对：2 人，保存为版本 1")
        assert "总体结论" in contractor.inner_text("main")
        contractor.click("button:has-text('共享给采购人')")
        contractor.wait_for_selector("text=已把版本 1 共享给")
        roster_url = contractor.url
        # a second file replaces the people as version 2, which the purchaser does not see yet
        second = tmp_path / "第二稿.xlsx"
        _roster_file(second, 6100)
        contractor.set_input_files("input[type=file]", str(second))
        contractor.click("button:has-text('导入并核对')")
        contractor.wait_for_selector("text=保存为版本 2")
        assert "共享后已修改：采购人看到的是版本 1" in contractor.inner_text("main")

        purchaser = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        purchaser.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(purchaser, base, "yubei.bianzhi")
        purchaser.goto(f"{base}/budgets/1")
        purchaser.click("section:has(h2:has-text('薪酬方案核对')) a:has-text('薪酬方案')")
        seen = purchaser.inner_text("main")
        assert "采购人看到的版本" in seen and "5,800.00" in seen and "6,100.00" not in seen
        assert purchaser.goto(f"{roster_url}?version=2").status == 404
        purchaser.screenshot(path=tmp_path / "purchaser.png", full_page=True)
        assert errors == []
