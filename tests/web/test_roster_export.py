"""The pay-proposal check report workbook (GET /rosters/<id>/export.xlsx) as its reader opens it: the verdict
and the budget revision checked against, each person with their file place, category, declared base, housing
fund rate and 年终奖, contributions said to be whole-period totals, the comparison with the bonuses and a
conclusion per post, the figures used by document; no code, no path, no hash; headers never cut."""
import csv
import io
import json
import re
import unicodedata
from decimal import Decimal as D

import openpyxl
from openpyxl.utils import get_column_letter

from costing.budgets import service as budgets
from costing.models import Budget, Roster, User, db
from costing.results import labels
from costing.rosters import service
from costing.web import current_parameters

from . import world
from .test_rosters import HEADERS, person, roster_file, upload
from .world import log_in

SHEETS = ["汇总", "人员核对", "与预算对比", "问题", "核对所用政策参数"]


def imported(client, w, rows) -> int:
    response = upload(client, f"/rosters/import?budget={w.budget_a}", roster_file(rows))
    assert response.status_code == 302
    return int(response.location.rstrip("/").split("/")[-1])


def workbook(client, roster_id: int) -> openpyxl.Workbook:
    response = client.get(f"/rosters/{roster_id}/export.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def table(sheet) -> list[dict]:
    """The rows under the header, by header text."""
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def header_of(sheet, starts: str) -> str:
    found = [c.value for c in sheet[1] if c.value and c.value.startswith(starts)]
    assert len(found) == 1, (starts, [c.value for c in sheet[1]])
    return found[0]


def shown_width(text: str) -> int:
    """Independent of the app's own rule: East Asian wide and full-width characters count 2."""
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.split("\n"))


def summary(book) -> dict:
    return {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}


def three_people(w, client) -> int:
    rows = [person(**{"申报缴费基数": "6000.00", "公积金比例": "0.07"}),
            person(**{"姓名或工号": "SG-002", "月应发工资": "2000.00"}),
            person(**{"姓名或工号": "SG-003", "岗位": "社工站站长", "类别": "社区", "等级": "中级", "证书": "社会工作师",
                      "月应发工资": "5800.00", "职业津贴": "300.00"})]
    return imported(client, w, rows)


def test_the_summary_gives_the_verdict_the_revision_checked_against_and_no_hash(app, client):
    w = world.build()
    log_in(client, "c_user")
    roster_id = three_people(w, client)
    book = workbook(client, roster_id)
    assert book.sheetnames == SHEETS
    item = db.session.get(Roster, roster_id)
    said = summary(book)
    assert said["对应预算"].endswith(f"（按预算修订 {item.latest.budget_revision} 核对）")
    assert said["总体结论"] == "不合规"
    assert re.match(r"\d+ 项错误（人员 \d+ 项", said["结论说明"])
    assert said["人数"] == 3 and said["不合规（人）"] >= 1
    assert "参数集" not in said and said["核对所用政策参数"] == "见“核对所用政策参数”表"
    cost = [row[1] for row in book["汇总"].iter_rows() if row[0].value == "方案人员成本合计（元）"]
    assert cost and cost[0].number_format.endswith("#,##0.00")


def test_the_figures_used_are_listed_by_document_with_their_dates(app, client):
    w = world.build()
    log_in(client, "c_user")
    book = workbook(client, three_people(w, client))
    figures = table(book["核对所用政策参数"])
    assert figures and {"参数", "数值", "有效期", "本次核对使用月份", "依据", "发文日期"} <= set(figures[0])
    assert "最低工资标准（月）" in [f["参数"] for f in figures]
    # dates as the documents give them (2024-12-10, 2023-07, 2014), as text, never turned into Excel dates
    sheet = book["核对所用政策参数"]
    column = next(c.column_letter for c in sheet[1] if c.value == "发文日期")
    dates = [c for c in sheet[column][1:] if c.value is not None]
    assert dates and all(c.data_type == "s" and re.fullmatch(r"\d{4}(-\d{2}){0,2}", c.value) for c in dates)
    # each figure a number with its unit beside it, a rate in %: never the text 「2,330.00 元」
    wage = next(f for f in figures if f["参数"] == "最低工资标准（月）")
    assert wage["数值"] == 2330 and wage["单位"] == "元/月"
    cells = {row[0].value: row[2] for row in sheet.iter_rows(min_row=2)}
    assert cells["养老保险单位费率"].value == 0.16 and cells["养老保险单位费率"].number_format == "0.00%"
    assert cells["最低工资标准（月）"].number_format.endswith("#,##0.00")


def test_each_person_with_place_category_declared_base_rate_bonus_and_problems_in_words(app, client):
    w = world.build()
    log_in(client, "c_user")
    book = workbook(client, three_people(w, client))
    people = book["人员核对"]
    base = header_of(people, "申报缴费基数")
    rate = header_of(people, "公积金比例")
    assert "留空为按工资（上下限内）" in base
    contributions = [c.value for c in people[1] if c.value and c.value.startswith("单位")]
    assert len(contributions) == len(labels.CONTRIBUTIONS) + 1
    assert all("在岗期间合计" in text for text in contributions)
    assert "在岗期间合计" in header_of(people, "人员成本合计")
    listed = table(people)
    total = listed.pop()                            # the last row adds the people up
    rows = {r["姓名或工号"]: r for r in listed}
    first, second, head = rows["SG-001"], rows["SG-002"], rows["SG-003"]
    assert all(re.fullmatch(r"第 \d+ (行|人)", r["位置"]) for r in rows.values())
    assert first["类别"] == "老年" and head["类别"] == "社区"
    assert first[base] == 6000 and second[base] is None
    # the rates each is priced at: the declared ones in bold, the others the statutory rate or the lowest allowed
    assert first[rate] == 0.07 and second[rate] == 0.05 and re.search(r"留空为按下限 \d+(\.\d+)?%", rate)
    assert (first["养老单位费率"], first["失业单位费率"], first["工伤单位费率"]) == (0.16, 0.005, 0.003)
    cells = {c.value: c for c in people[1]}
    column = cells[rate].column_letter
    assert people[f"{column}2"].font.b and not people[f"{column}3"].font.b
    assert people[f"{column}2"].number_format == "0.00%"
    assert first["年终奖（每年）"] == 0
    assert "低于最低工资" in second["问题"] and second["状态"] == "不合规"
    money = [c for c in people[2] if isinstance(c.value, (int, float)) and c.column > 8]
    assert money and all(c.number_format.endswith("#,##0.00") for c in money if "%" not in c.number_format)
    # the 合计 row: the people's sums, the cost the same as the summary's
    assert total["姓名或工号"] == "合计（3 人）" and total["月应发工资"] == 4300 + 2000 + 5800
    cost = header_of(people, "人员成本合计")
    assert round(total[cost], 2) == round(sum(r[cost] for r in rows.values()), 2) == summary(book)["方案人员成本合计（元）"]
    # printed with the header row and the name column on every page
    assert people.print_title_rows == "$1:$1" and people.print_title_cols == "$A:$A"


def test_the_comparison_has_each_posts_sums_and_differences_a_month_a_year_and_over_the_service(app, client):
    w = world.build()
    db.session.commit()
    user = db.session.get(User, w.users["c_user"])
    budget = db.session.get(Budget, w.budget_a)
    head = {"post": "社工站站长", "category": "community", "level": "mid", "certificate": "social_worker",
            "monthly_pay": "5800.00"}
    item = service.create(user, budget, "年终奖方案", [dict(head, id="Z1", annual_bonus="2400.00"),
                                                     dict(head, id="Z2", annual_bonus="3700.00")],
                          current_parameters(), revision=1)
    db.session.commit()
    log_in(client, "c_user")
    book = workbook(client, item.id)
    rows = {r["姓名或工号"]: r for r in table(book["人员核对"])}
    assert rows["Z1"]["年终奖（每年）"] == 2400 and rows["Z2"]["年终奖（每年）"] == 3700
    sheet = book["与预算对比"]
    posts = {r["岗位"]: r for r in table(sheet)}
    month = [header_of(sheet, "每月工资与津贴\n" + side) for side in ("预算", "方案", "差额")]
    year = [header_of(sheet, "每年工资、津贴与年终奖\n" + side) for side in ("预算", "方案", "差额")]
    head_row = posts["社工站站长"]
    budgeted = next(line for line in budgets.input_of(budget.latest)["personnel"] if line["post"] == "社工站站长")
    # the budget: one 社工站站长 at its pay and allowance, 3,000.00 a year in bonus; the proposal: two at 5,800.00 and
    # the same allowance, 2,400.00 + 3,700.00 in bonus
    allowance = D(str(head_row[month[0]])) - D(budgeted["monthly_pay"])
    assert D(str(head_row[month[1]])) == 2 * (D("5800.00") + allowance)
    assert D(str(head_row[month[2]])) == D(str(head_row[month[1]])) - D(str(head_row[month[0]]))
    assert D(str(head_row[year[0]])) == 12 * D(str(head_row[month[0]])) + D("3000.00")
    assert D(str(head_row[year[1]])) == 12 * D(str(head_row[month[1]])) + D("6100.00")
    # Z1's 2,400.00 bonus is below the budget's 3,000.00 for the post: Z1 is short, and so said on the post
    assert head_row["结论"] == "低于预算安排、人数与预算不同"
    assert (head_row["低于预算的人数"], head_row["这些人每年少"]) == (1, 600)
    assert posts["社会工作者"]["结论"] == "人数与预算不同"
    total = posts["合计"]
    assert total[month[0]] == sum(r[month[0]] for name, r in posts.items() if name != "合计")
    cost = header_of(sheet, "服务期人员成本（含单位缴费）\n方案")
    assert round(total[cost], 2) == summary(book)["方案人员成本合计（元）"]
    assert sheet.print_title_cols == "$A:$A" and sheet.print_title_rows == "$1:$1"


def test_no_code_path_or_hash_in_any_cell(app, client):
    w = world.build()
    log_in(client, "c_user")
    roster_id = three_people(w, client)
    book = workbook(client, roster_id)
    item = db.session.get(Roster, roster_id)
    parameter_set = json.loads(item.latest.result_json)["parameter_set"]
    codes = re.compile("|".join(labels.FINDINGS))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                text = str(value or "")
                assert "roster[" not in text and "comparison[" not in text, (sheet.title, text)
                assert not codes.search(text), (sheet.title, text)
                assert not re.search(r"\b[0-9a-f]{12,}\b", text), (sheet.title, text)
                assert parameter_set not in text
    problems = table(book["问题"])
    assert problems and all(p["检查项"] in labels.FINDINGS.values() for p in problems)
    assert any(p["位置"].startswith("SG-002（第 ") for p in problems)


def test_headers_are_never_cut_wrapped_and_frozen(app, client):
    w = world.build()
    log_in(client, "c_user")
    book = workbook(client, three_people(w, client))
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
        for cell in sheet[1]:
            width = sheet.column_dimensions[get_column_letter(cell.column)].width
            assert width >= shown_width(cell.value), (sheet.title, cell.value, width)
            assert cell.font.bold and cell.alignment.wrap_text
        if any("\n" in c.value for c in sheet[1]):
            assert sheet.row_dimensions[1].height >= 30


def test_text_that_looks_like_a_formula_stays_text_in_every_sheet(app, client):
    w = world.build()
    log_in(client, "c_user")
    evil = person(**{"姓名或工号": "=1+1", "岗位": "@SUM(A1)"})
    text = io.StringIO()
    csv.writer(text).writerows([HEADERS, [evil.get(h, "") for h in HEADERS]])
    response = upload(client, f"/rosters/import?budget={w.budget_a}", text.getvalue().encode(), "r.csv")
    assert response.status_code == 302
    book = workbook(client, int(response.location.rstrip("/").split("/")[-1]))
    name = book["人员核对"]["A2"]
    assert name.value == "=1+1" and name.data_type == "s" and name.quotePrefix
    post = [c for c in book["与预算对比"]["A"] if c.value == "@SUM(A1)"]
    assert post and post[0].data_type == "s" and post[0].quotePrefix
