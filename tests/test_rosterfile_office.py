"""Rosters as offices keep them (#22), written by openpyxl and saved again by LibreOffice as an office suite saves
them: a 封面 sheet first, title rows above the header (one merged), the headers offices use (姓名, 应发工资), a computed
应发工资 column and a =SUM 合计 row, 序号 and 备注 columns, a rate cell formatted as a percentage. Such a file imports
with notices; a value that cannot be read right is refused at its cell; every problem of a file is listed in one round."""
import io
import shutil
from decimal import Decimal as D

import openpyxl
import pytest

from costing.engine.parse import InputError
from costing.engine.roster import check_input, validate_input
from costing.rosters.files import problems_of, read_roster, read_roster_file

from .engine.helpers import budget_input, person
from .test_rosterfile_real import convert_with_libreoffice

SOFFICE = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH")
HEADERS = ["序号", "姓名", "岗位", "类别", "等级", "证书", "证书编号", "基本工资", "绩效工资", "应发工资", "失业单位费率", "备注"]
PEOPLE = [("张敏", "S2024-0001", 3000, 1300.5, "组长"), ("李强", "S2024-0002", 3200, 1100, ""),
          ("王芳", "S2023-0117", 2900, 1400, "试用期")]


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def office_book(people=PEOPLE, rate=0.005, extra=None) -> bytes:
    """The file an office makes: 封面, then 花名册 with two title rows (the first merged across the table), the header
    on row 3, a person a row with 应发工资 = 基本工资 + 绩效工资 as a formula, and a 合计 row of =SUM formulas."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "封面"
    cover.append(["重庆市某街道社工站项目"])
    cover.append(["承接单位", "某社会工作服务中心"])
    sheet = book.create_sheet("花名册")
    sheet.append(["某街道社工站 2025 年工作人员花名册"])
    sheet.merge_cells("A1:L1")
    sheet.append(["制表日期：2025-01-05", None, None, None, None, None, None, None, None, None, None, "单位：元"])
    sheet.append(HEADERS)
    first = 4
    for number, (name, certificate_no, basic, performance, note) in enumerate(people, start=first):
        sheet.append([number - first + 1, name, "社会工作者", "社区", "初级", "助理社会工作师", certificate_no, basic,
                      performance, f"=H{number}+I{number}", rate, note])
        sheet.cell(row=number, column=11).number_format = "0.00%"
    last = first + len(people) - 1
    sheet.append(["合计", None, None, None, None, None, None, f"=SUM(H{first}:H{last})", f"=SUM(I{first}:I{last})",
                  f"=SUM(J{first}:J{last})", None, None])
    if extra:
        extra(sheet)
    return saved(book)


def budget(headcount=3, pay="4300.00"):
    lines = [min(headcount - done, 1000) for done in range(0, headcount, 1000)]      # 1,000 people a line at most
    return budget_input(personnel=[person(post="社会工作者", headcount=n, monthly_pay=pay) for n in lines])


def test_formulas_without_stored_results_are_refused_at_their_cells_and_the_total_row_is_not_read():
    # openpyxl stores a formula without its result: 应发工资 cannot be read, and is refused at each of its cells
    with pytest.raises(InputError) as caught:
        read_roster_file("花名册.xlsx", office_book())
    said = [str(p) for p in caught.value.problems]
    assert [s.split(":")[0] for s in said] == ["第 4 行 J4 单元格", "第 5 行 J5 单元格", "第 6 行 J6 单元格"]
    assert all("选择性粘贴为数值" in s for s in said)


@needs_libreoffice
def test_an_office_file_saved_by_libreoffice_imports_with_notices(tmp_path):
    data = convert_with_libreoffice(tmp_path, office_book())
    entries = read_roster_file("花名册.xlsx", data)
    assert [(e["id"], e["monthly_pay"], e["certificate_no"], e["employer_rates"]) for e in entries] == [
        ("张敏", "4300.50", "S2024-0001", {"unemployment": "0.005"}),
        ("李强", "4300.00", "S2024-0002", {"unemployment": "0.005"}),
        ("王芳", "4300.00", "S2023-0117", {"unemployment": "0.005"})]
    assert entries.row_numbers == [4, 5, 6] and entries.total_rows == [7]
    assert entries.notices == [
        "第 3 行为表头（其上的 2 行为标题，未导入）",
        "「姓名」按「姓名或工号」读取",
        "「应发工资」按「月应发工资」读取",
        "以下各列不是模板的列，未导入：「序号」（A 列）、「基本工资」（H 列）、「绩效工资」（I 列）、「备注」（L 列）",
        "3 个含公式的单元格按文件中保存的计算结果读取（公式不重新计算）",
        "第 7 行是合计行，未导入"]
    result = check_input({"budget": budget(), "roster": entries})
    assert result.verdict != "fail" and [p.person.monthly_pay for p in result.people] == [
        D("4300.50"), D("4300.00"), D("4300.00")]


@needs_libreoffice
def test_the_policy_figure_typed_into_a_percentage_cell_is_refused_at_the_cell_with_the_fix(tmp_path):
    # 0.5 typed into a cell formatted as a percentage is stored as 0.5 (the cell shows 50.00%): not 0.5%
    data = convert_with_libreoffice(tmp_path, office_book(rate=0.5))
    entries = read_roster_file("花名册.xlsx", data)
    with pytest.raises(InputError) as caught:
        validate_input({"budget": budget(), "roster": entries})
    said = [str(p) for p in problems_of(entries, caught.value.problems)]
    assert said == [f"第 {row} 行 失业单位费率: 「0.5」即 50%（失业保险单位费率为 0.5%，最高 2%）；如指 0.5%，"
                    "请写 0.5% 或 0.005" for row in (4, 5, 6)]


@needs_libreoffice
def test_one_person_a_fen_short_in_an_office_file_is_named_with_twelve_fen_a_year(tmp_path):
    people = [("张敏", "", 3000, 1300, ""), ("李强", "", 3000, 1299.99, ""), ("王芳", "", 3000, 1300, "")]
    entries = read_roster_file("花名册.xlsx", convert_with_libreoffice(tmp_path, office_book(people)))
    result = check_input({"budget": budget(), "roster": entries}, None)
    errors = [f for f in result.findings if f.severity == "error"]
    assert [(f.where, f.message.rsplit("，", 2)[-2:]) for f in errors] == [
        ("roster[1].monthly_pay", ["每月少 0.01 元", "每年少 0.12 元"])]


def test_every_problem_of_a_file_is_listed_in_one_round_and_counted_truthfully():
    def damage(sheet):
        sheet["C5"] = None                          # no 岗位
        sheet.merge_cells("L5:L6")                  # a merged 备注 across two people
        sheet["J6"] = "4千3"                         # a pay as words
        sheet["B6"] = "ＨＧ－００２"
        sheet["B4"] = "HG-002"                       # the same id, full-width and half-width
    entries = read_roster("花名册.xlsx", office_book(extra=damage))
    with pytest.raises(InputError) as caught:
        validate_input({"budget": budget(), "roster": entries})
    said = [str(p) for p in problems_of(entries, caught.value.problems)]
    assert said == [
        "第 4 行 J4 单元格: " + said[0].split(": ", 1)[1],          # formula without a stored result
        "第 5 行 J5 单元格: " + said[1].split(": ", 1)[1],
        "第 5 行 岗位: 必填",
        "第 5–6 行: L5:L6 为合并单元格，请取消合并后再导入",
        "第 6 行 姓名或工号: 「ＨＧ－００２」与第 4 行重复",
        "第 6 行 月应发工资: 「4千3」不是金额，请填写数字，如 4800 或 4800.00"]
    assert "选择性粘贴为数值" in said[0]


def test_thousands_of_formula_cells_without_results_are_counted_not_cut_at_a_thousand():
    people = [(f"SG-{i:04d}", "", 3000, 1300, "") for i in range(1200)]
    entries = read_roster("花名册.xlsx", office_book(people))
    assert len(entries.problems) == 1000 and entries.more_problems == 200
    with pytest.raises(InputError) as caught:
        validate_input({"budget": budget(1200), "roster": entries})
    # no 必填 for a pay the file's problems already name, listed or not
    assert problems_of(entries, caught.value.problems) == entries.problems


def test_basic_pay_is_the_pay_only_where_the_file_has_no_other_part_of_it():
    book = openpyxl.Workbook()
    book.active.append(["姓名", "岗位", "等级", "证书", "基本工资"])
    book.active.append(["张敏", "社会工作者", "初级", "助理社会工作师", 4300])
    entries = read_roster_file("r.xlsx", saved(book))
    assert entries[0]["monthly_pay"] == "4300.00" and "「基本工资」按「月应发工资」读取" in entries.notices
    book.active["F1"] = "绩效工资"
    book.active["F2"] = 800
    with pytest.raises(InputError) as caught:
        read_roster_file("r.xlsx", saved(book))
    assert [str(p) for p in caught.value.problems] == [
        "第 1 行: 缺少必需的列「月应发工资」：「基本工资」只是应发工资的一部分（另有「绩效工资」），请增加一列「月应发工资」（应发工资合计）"]


def test_a_name_and_a_staff_number_column_read_the_staff_number():
    book = openpyxl.Workbook()
    book.active.append(["工号", "姓名", "岗位", "等级", "证书", "应发工资（元）"])
    book.active.append(["HG-001", "张敏", "社会工作者", "初级", "助理社会工作师", 4300])
    entries = read_roster_file("r.xlsx", saved(book))
    assert entries[0]["id"] == "HG-001" and entries[0]["monthly_pay"] == "4300.00"
    assert "以下各列不是模板的列，未导入：「姓名」（B 列）" in entries.notices


def test_two_columns_for_one_field_are_a_problem_not_a_guess():
    book = openpyxl.Workbook()
    book.active.append(["姓名或工号", "岗位", "等级", "证书", "应发工资", "应发合计"])
    book.active.append(["HG-001", "社会工作者", "初级", "助理社会工作师", 4300, 4400])
    with pytest.raises(InputError) as caught:
        read_roster_file("r.xlsx", saved(book))
    assert [str(p) for p in caught.value.problems] == [
        "第 1 行: 「应发工资」（E 列）、「应发合计」（F 列）都是「月应发工资」，请只保留一列"]


def test_a_wps_file_is_told_to_be_saved_as_xlsx():
    with pytest.raises(InputError) as caught:
        read_roster("花名册.et", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert [str(p) for p in caught.value.problems] == [
        "文件: .et 是 WPS 表格格式，请在 WPS 中“另存为” .xlsx（Excel 工作簿）后再导入"]
