"""Rosters as offices keep them, through the app (#22): one upload lists every problem of a file, counted truthfully;
an office file saved by LibreOffice imports with its notices said; 证书编号 survives file → page → download → file; the
template offered with a budget lists its people's posts; any two versions can be compared."""
import io
import json
import re
import shutil

import openpyxl
import pytest

from costing.models import Roster, db
from costing.rosters.files import COLUMNS

from ..test_rosterfile_office import office_book
from ..test_rosterfile_real import convert_with_libreoffice
from . import world
from .test_rosters import HEADERS, person, roster_file, upload
from .world import SAMPLE, log_in


def roster_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.location.rstrip("/").split("/")[-1])


def test_one_upload_lists_every_problem_of_a_file_with_its_count(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    book = openpyxl.load_workbook(io.BytesIO(roster_file([
        person(), person(**{"姓名或工号": "ＳＧ－００１", "月应发工资": "=4000+300"}),
        person(**{"姓名或工号": "SG-003", "失业单位费率": "0.5"}), person(**{"姓名或工号": "SG-004", "等级": "局长"})])))
    sheet = book.active
    sheet["R1"], sheet["R2"] = "备注", "组长"           # a column the template has not: left out, no problem
    sheet.merge_cells("S4:T4")
    sheet["S4"] = "x"
    out = io.BytesIO()
    book.save(out)
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", out.getvalue())
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "导入未完成：文件中有 5 处问题，未导入任何人员" in page
    said = re.findall(r"<li>(第 [^<]*)</li>", page)
    assert [line.split("：")[0] for line in said] == [
        "第 3 行 G3 单元格", "第 3 行 姓名或工号", "第 4 行", "第 4 行 失业单位费率", "第 5 行 等级"]
    assert "「ＳＧ－００１」与第 2 行重复" in said[1] and "S4:T4 为合并单元格" in said[2]
    assert "「0.5」即 50%（失业保险单位费率为 0.5%，最高 2%）；如指 0.5%，请写 0.5% 或 0.005" in said[3]
    assert "以下各列不是模板的列，未导入：「备注」（R 列）" in page          # what was read how, said beside them
    assert db.session.query(Roster).count() == 0


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH")
def test_an_office_file_saved_by_libreoffice_imports_and_the_page_says_how_it_was_read(app, client, tmp_path):
    w = world.build()
    contractor = log_in(client, "c_user")
    data = convert_with_libreoffice(tmp_path, office_book())
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}", data)
    page = contractor.get(f"/rosters/{roster_id_of(response)}").get_data(as_text=True)
    for said in ("已导入并核对：3 人", "第 3 行为表头（其上的 2 行为标题，未导入）", "「应发工资」按「月应发工资」读取",
                 "3 个含公式的单元格按文件中保存的计算结果读取（公式不重新计算）", "第 7 行是合计行，未导入",
                 "证书编号 S2024-0001"):
        assert said in page, said


def test_a_certificate_number_survives_file_page_download_and_file_again(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    rows = [person(**{"证书编号": "S2024-0001"}), person(**{"姓名或工号": "SG-002", "证书编号": "ZS-88"})]
    roster_id = roster_id_of(upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file(rows)))
    report = contractor.get(f"/rosters/{roster_id}").get_data(as_text=True)
    assert "证书编号 S2024-0001" in report and "证书编号 ZS-88" in report
    edit = contractor.get(f"/rosters/{roster_id}/edit").get_data(as_text=True)
    assert re.search(r'name="roster-0-certificate_no"[^>]*value="S2024-0001"', edit)
    current = contractor.get(f"/rosters/{roster_id}/roster.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(current.data))["花名册"]
    column = [h for h, _, _ in COLUMNS].index("证书编号") + 1
    assert [sheet.cell(row=r, column=column).value for r in (2, 3)] == ["S2024-0001", "ZS-88"]
    # imported again unchanged: the same people, numbers and all — no new version
    again = upload(contractor, f"/rosters/{roster_id}/import", current.data, "当前人员.xlsx")
    assert again.status_code == 400 and "没有修改" in again.get_data(as_text=True)
    # the export lists it
    export = openpyxl.load_workbook(io.BytesIO(contractor.get(f"/rosters/{roster_id}/export.xlsx").data))["人员核对"]
    assert [row[6] for row in export.iter_rows(min_row=2, max_row=3, values_only=True)] == ["S2024-0001", "ZS-88"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH")
def test_the_downloaded_people_saved_again_by_an_office_suite_are_the_same_roster(app, client, tmp_path):
    w = world.build()
    contractor = log_in(client, "c_user")
    rows = [person(**{"证书编号": "S2024-0001", "失业单位费率": "0.5%"}),
            person(**{"姓名或工号": "SG-002", "证书编号": "20240002", "年终奖": "3000.00"})]
    roster_id = roster_id_of(upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file(rows)))
    current = contractor.get(f"/rosters/{roster_id}/roster.xlsx").data
    again = upload(contractor, f"/rosters/{roster_id}/import", convert_with_libreoffice(tmp_path, current), "当前人员.xlsx")
    assert again.status_code == 400 and "没有修改" in again.get_data(as_text=True)


def test_the_template_offered_with_a_budget_lists_its_people_by_post(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    response = contractor.get(f"/rosters/template.xlsx?budget={w.budget_a}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["花名册"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    expected = [line["post"] for line in SAMPLE["personnel"] for _ in range(line["headcount"])]
    assert [row[HEADERS.index("岗位")] for row in rows] == expected
    assert {row[HEADERS.index("姓名或工号")] for row in rows} == {None}
    assert {row[HEADERS.index("月应发工资")] for row in rows} == {None}
    assert rows[0][HEADERS.index("年终奖")] == 3000 and rows[-1][HEADERS.index("在岗月数")] == 6
    # the page links it; a budget not shared with the organisation is none of its business
    assert f"/rosters/template.xlsx?budget={w.budget_a}" in contractor.get(
        f"/rosters/new?budget={w.budget_a}").get_data(as_text=True)
    assert contractor.get(f"/rosters/template.xlsx?budget={w.budget_b}").status_code == 404
    assert contractor.get("/rosters/template.xlsx").status_code == 200


def test_any_two_versions_are_compared(app, client):
    w = world.build()
    contractor = log_in(client, "c_user")
    roster_id = roster_id_of(upload(contractor, f"/rosters/import?budget={w.budget_a}", roster_file([person()])))
    for pay in ("4400.00", "4500.00"):
        again = upload(contractor, f"/rosters/{roster_id}/import", roster_file([person(**{"月应发工资": pay})]))
        assert again.status_code == 302
    page = contractor.get(f"/rosters/{roster_id}/history?from=1&to=3").get_data(as_text=True)
    assert "版本 3 与版本 1 相比（1 人有变化）" in page
    assert "修改「SG-001」：月应发工资 4,300.00 → 4,500.00" in page
    assert contractor.get(f"/rosters/{roster_id}/history?from=1&to=9").status_code == 404
    assert contractor.get(f"/rosters/{roster_id}/history?from=x&to=2").status_code == 404
    stored = json.loads(db.session.get(Roster, roster_id).latest.roster_json)
    assert stored[0]["monthly_pay"] == "4500.00"
