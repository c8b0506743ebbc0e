"""The report of a large roster pages and filters; a roster entered on the page mirrors the budget, bonus
included, and has no shortfall."""
import csv
import io
import re

import openpyxl

from costing.models import Roster, db

from . import world
from .test_rosters import HEADERS, person, upload
from .world import SAMPLE, log_in


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for r in rows:
        writer.writerow([r.get(h, "") for h in HEADERS])
    return out.getvalue().encode("utf-8")


def test_a_large_report_pages_and_filters(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    # 450 people; every tenth is paid under the minimum wage (不合规)
    rows = [person(**{"姓名或工号": f"P{i:04d}", "月应发工资": "2000.00" if i % 10 == 0 else "4300.00"})
            for i in range(450)]
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", _csv(rows), "名单.csv")
    assert response.status_code == 302
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    first = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "第 1–200 人，共 450 人" in first and "P0199" in first and "P0200" not in first
    last = contractor.get(f"/rosters/{roster_id}?page=3").get_data(as_text=True)
    assert "第 401–450 人，共 450 人" in last and "P0449" in last and "P0399" not in last
    issues = contractor.get(f"/rosters/{roster_id}?show=issues").get_data(as_text=True)
    shown = set(re.findall(r"<td>(P\d{4})</td>", issues))
    assert shown == {f"P{i:04d}" for i in range(0, 450, 10)}
    # a page number past the end shows the last page; nonsense is the first
    assert "第 3 / 3 页" in contractor.get(f"/rosters/{roster_id}?page=99").get_data(as_text=True)
    assert "第 1 / 3 页" in contractor.get(f"/rosters/{roster_id}?page=x").get_data(as_text=True)


def test_a_roster_entered_as_the_budget_offers_it_has_no_shortfall(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    page = contractor.get(f"/rosters/new?budget={w.budget_a}").get_data(as_text=True)
    # the budget's 社工站站长 has a 3,000.00 bonus a year: the form offers it
    assert re.search(r'name="roster-0-annual_bonus"[^>]*value="3000.00"', page)
    # each budgeted person at the budget's pay, bonus and months (allowances blank: the same default)
    fields, index = {"name": "镜像方案", "revision": "1"}, 0
    for line in SAMPLE["personnel"]:
        for _ in range(line["headcount"]):
            fields |= {f"roster-{index}-id": f"S{index}", f"roster-{index}-post": line["post"],
                       f"roster-{index}-category": line["category"], f"roster-{index}-level": line["level"],
                       f"roster-{index}-certificate": line["certificate"],
                       f"roster-{index}-monthly_pay": line["monthly_pay"],
                       f"roster-{index}-annual_bonus": line.get("annual_bonus", ""),
                       f"roster-{index}-months": str(line.get("months", ""))}
            index += 1
    response = contractor.post(f"/rosters/new?budget={w.budget_a}", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = db.session.query(Roster).one()
    report = contractor.get(response.location).get_data(as_text=True)
    assert item.latest.people == 5 and item.latest.verdict == "ok", report
    assert "PAY_BELOW_BUDGET" not in report and "ROSTER_ABOVE_BUDGET" not in report
    assert "方案人员成本与预算人员经费相等" in report


def test_a_large_roster_is_edited_through_its_file_which_reads_back_the_same(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    rows = [person(**{"姓名或工号": f"=P{i:04d}", "公积金比例": "0.07", "养老单位费率": "16%"}) for i in range(201)]
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", _csv(rows), "名单.csv")
    assert response.status_code == 302
    roster_id = int(response.location.rstrip("/").split("/")[-1])
    page = contractor.get(f"/rosters/{roster_id}/edit")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "超过页面编辑的上限（200 人）" in text and 'name="roster-0-id"' not in text
    assert len(page.data) < 50_000
    current = contractor.get(f"/rosters/{roster_id}/roster.xlsx")
    assert current.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(current.data))
    sheet = book["花名册"]
    assert sheet["A2"].value == "=P0000" and sheet["A2"].data_type == "s"        # a name is never a formula
    assert sheet["C2"].value == "老年" and float(sheet["G2"].value) == 4300
    # imported again unchanged, it is the same roster: no new version
    again = upload(contractor, f"/rosters/{roster_id}/import", current.data, "当前人员.xlsx")
    assert again.status_code == 400 and "没有修改" in again.get_data(as_text=True)
