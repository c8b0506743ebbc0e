"""The budget page printed from the browser (Ctrl+P; here Chromium's own print to PDF, which honours the page's
print stylesheet and @page size as the print dialog does): A4 landscape, every column of every table on paper,
the personnel table's headings on each page it spans, no navigation, buttons or forms."""
import re
import subprocess

import pytest
from sqlalchemy import select

from costing.budgets import service
from costing.engine.budget import compute
from costing.engine.parse import parse_budget
from costing.models import User, db
from costing.web import current_parameters
from tests.web.world import budget_with

from .live import chromium, live_server, log_in

pytestmark = pytest.mark.browser

LINES, MONTHS = 40, 36         # 2025-07 to 2028-06


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def money(amount) -> str:
    return f"{amount:,.2f}"


def _pages_of(page, path):
    page.pdf(path=str(path), prefer_css_page_size=True)
    return pdf_pages(path)


def test_the_printed_budget_page_has_every_column_on_a4_landscape(tmp_path):
    data = budget_with(lines=LINES, months=MONTHS)
    data["project"]["name"] = "打印预算"
    last = dict(data["personnel"][-1], post="末行社工", headcount=2, monthly_pay="6789.00")
    data["personnel"][-1] = last
    data["personnel"][LINES // 2]["monthly_pay"] = "2000.00"     # below the minimum wage: a line with its findings
    with live_server(f"sqlite:///{tmp_path}/print.sqlite") as (base, app), chromium() as browser:
        with app.app_context():
            user = db.session.scalar(select(User).filter_by(username="yubei.bianzhi"))
            params = current_parameters()
            budget_id = service.create_budget(user, data, params).id
            db.session.commit()
            result = compute(parse_budget(data, params), params)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        log_in(page, base, "yubei.bianzhi")
        page.goto(f"{base}/budgets/{budget_id}")
        # the headings of every table a reader sees (folded details stay folded on paper)
        headings = page.evaluate("[...document.querySelectorAll('thead th')].filter(th => !th.closest('details'))"
                                 ".map(th => th.textContent)")
        path = tmp_path / "budget.pdf"
        page.pdf(path=str(path), prefer_css_page_size=True)
        # a folded section prints as it is on the screen: its heading; opened, its content too
        folded = flat("".join(_pages_of(page, tmp_path / "folded.pdf")))
        page.click("summary:has-text('逐段明细')")
        opened = flat("".join(_pages_of(page, tmp_path / "opened.pdf")))
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True)

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width), round(height)) == (842, 595)          # A4 (297 × 210 mm) landscape

    pages = pdf_pages(path)
    everything = flat("".join(pages))
    assert flat("逐段明细（参数相同的连续月份，每人每月）") in folded and flat("参数说明（") in folded
    assert len(opened) > len(folded) + 1000 and "每人每月" in opened
    assert len(headings) > 30 and {"大额医疗", "失业", "工伤", "公积金", "小计", "对总额的影响（元）", "依据文件"} <= set(headings)
    assert [h for h in headings if flat(h) not in everything] == []
    for screen_only in ("退出", "修改密码", "编辑", "导出 PDF 附件", "复制为新预算", "保存合同信息", "接口说明"):
        assert flat(screen_only) not in everything, screen_only

    # the personnel table runs over several pages, each with its headings, and no row is split
    heading_row = re.compile(r"岗位\s+类别 · 等级 · 证书\s+人数\s+月数\s+月应发工资\s+职业津贴\s+年终奖\s+工资合计\s+"
                             r"养老\s+医疗\s+大额医疗\s+失业\s+工伤\s+公积金\s+小计")
    personnel_row = re.compile(r"^\s*(社会工作者 \d+|末行社工)\s", re.MULTILINE)
    with_rows = [text for text in pages if personnel_row.search(text)]
    assert len(with_rows) >= 2
    assert all(heading_row.search(text) for text in with_rows)

    # the last line and the table's total, every figure to the last column, on one printed row
    line, totals = result.personnel[-1], result.totals
    figures = [str(line.headcount), str(line.months), money(line.monthly_pay), money(line.monthly_allowance),
               money(line.bonus), money(line.pay), *(money(amount) for _, amount in line.contributions),
               money(line.total)]
    row = next(text_line for text_line in with_rows[-1].splitlines() if text_line.lstrip().startswith("末行社工"))
    assert row.split()[-len(figures):] == figures
    total_figures = [money(totals.bonus), money(totals.pay), *(money(amount) for _, amount in totals.contributions),
                     money(totals.personnel)]
    total_row = next(text_line for text_line in with_rows[-1].splitlines()
                     if text_line.split()[:1] == ["合计"] and money(totals.personnel) in text_line)
    assert total_row.split()[1:] == total_figures

    # the month-by-month table, which scrolls in its own box on the screen, prints to its last month
    last_month = result.by_month[-1]
    assert last_month.month == "2028-06"
    month_row = next(text_line.split() for text in pages for text_line in text.splitlines()
                     if text_line.split()[:1] == ["2028-06"])
    assert month_row == ["2028-06", str(last_month.headcount), money(last_month.pay),
                         money(last_month.contributions), money(last_month.total)]
