"""Roster files: the template, good files, and every kind of bad file. Nothing is half-imported."""
import csv
import io
import zipfile
from datetime import date

import openpyxl
import pytest
from openpyxl.styles import Border, Side

from costing.engine.parameters import default_parameters
from costing.engine.parse import InputError
from costing.engine.roster import check_input
from costing.rosters.files import COLUMNS, EARLIER_EXAMPLES, EXAMPLE, read_roster_file, row_problems, template_workbook

from .engine.helpers import budget_input, person

HEADERS = [h for h, _, _ in COLUMNS]


def template() -> bytes:
    """The template as the shipped figures make it on a day (tests/web/test_defaults_from_data.py changes them)."""
    return template_workbook(default_parameters(), date(2025, 7, 1))


def row(**values):
    base = {"姓名或工号": "SG-001", "岗位": "社工", "类别": "社区", "等级": "初级", "证书": "助理社会工作师",
            "月应发工资": "5000.00"}
    base.update(values)
    return [base.get(h, "") for h in HEADERS]


def xlsx(rows, headers=HEADERS, tweak=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    if tweak:
        tweak(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def problems(name, data):
    with pytest.raises(InputError) as caught:
        read_roster_file(name, data)
    return [str(p) for p in caught.value.problems]


def test_the_template_has_its_headers_and_the_example_on_the_notes_sheet():
    data = template()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert [c.value for c in book["花名册"][1]] == HEADERS and book["花名册"].max_row == 1
    assert len(book["花名册"].data_validations.dataValidation) == 3
    notes = [[c.value or "" for c in r] for r in book["说明"].iter_rows()]
    at_headers = notes.index(HEADERS + [""] * (len(notes[0]) - len(HEADERS)))
    assert notes[at_headers + 1][:len(HEADERS)] == [EXAMPLE.get(h, "") for h in HEADERS]
    assert problems("模板.xlsx", data) == ["文件: 文件中没有人员（第 2 行起每行一人）"]


def test_the_example_row_left_in_the_roster_is_skipped():
    example = [EXAMPLE.get(h, "") for h in HEADERS]
    typed = [4300 if h == "月应发工资" else 12 if h == "在岗月数" else v for h, v in zip(HEADERS, example)]
    entries = read_roster_file("r.xlsx", xlsx([example, row(姓名或工号="S2"), typed]))
    assert entries.example_rows == [2, 4] and entries.row_numbers == [3] and [e["id"] for e in entries] == ["S2"]
    other = [("SG-002" if h == "姓名或工号" else v) for h, v in zip(HEADERS, example)]       # not the example
    assert read_roster_file("r.xlsx", xlsx([example, other])) == [{
        "id": "SG-002", "post": "社会工作者", "category": "community", "level": "junior",
        "certificate": "assistant_social_worker", "monthly_pay": "4300.00", "months": 12}]
    # the example earlier templates had (allowance 200.00, housing fund 0.05 typed) is still the example
    earlier = [EARLIER_EXAMPLES[0].get(h, "") for h in HEADERS]
    assert read_roster_file("r.xlsx", xlsx([earlier, row(姓名或工号="S2")])).example_rows == [2]
    assert problems("r.csv", csv_bytes([example])) == ["文件: 文件中只有模板的示例行（第 2 行），没有人员（第 2 行起每行一人）"]


def test_the_old_templates_example_row_without_the_bonus_column_is_skipped_too():
    old = [h for h in HEADERS if h != "年终奖"]
    entries = read_roster_file("r.xlsx", xlsx([[EXAMPLE.get(h, "") for h in old],
                                               [v for h, v in zip(HEADERS, row()) if h != "年终奖"]], headers=old))
    assert entries.example_rows == [2] and entries.row_numbers == [3]


def test_the_bonus_column_is_read_and_checked_as_an_amount():
    assert HEADERS[HEADERS.index("职业津贴") + 1] == "年终奖"
    entries = read_roster_file("r.xlsx", xlsx([row(年终奖="¥6,000"), row(姓名或工号="S2", 年终奖=3000.0000000000005),
                                               row(姓名或工号="S3", 年终奖="半个月工资")]))
    assert [e.get("annual_bonus") for e in entries] == ["6000.00", "3000.00", "半个月工资"]
    with pytest.raises(InputError) as caught:
        check_input({"budget": budget_input(personnel=[person(post="社工", headcount=3)]), "roster": entries})
    assert [str(p) for p in row_problems(caught.value.problems, entries.row_numbers, entries.cells)] == [
        "第 4 行 年终奖: 「半个月工资」不是金额，请填写数字，如 4800 或 4800.00"]


def test_the_notes_sheet_says_what_a_blank_means_and_what_is_read():
    notes = "\n".join(c.value or "" for r in openpyxl.load_workbook(io.BytesIO(template()))["说明"].iter_rows()
                      for c in r[:1])
    for said in ("只读取名为「花名册」的工作表", "没有任何内容的行不计入", "不能重复",
                 "类别留空：取采购人预算中同名岗位的类别", "职业津贴留空按本区县的标准",
                 "年终奖：元/人，全年（在岗 12 个月）的金额；与预算相同，按在岗月数折算",
                 "申报缴费基数留空：与预算相同，按月应发工资加职业津贴，低于社会保险缴费基数下限的按下限、高于上限的按上限",
                 "单位费率留空按法定费率，公积金比例留空按各月的单位缴存比例下限（今天为 5%）",
                 "职业津贴留空按本区县的标准（只用于持证的社区类岗位；", "15 位有效数字", "这一行如原样留在花名册中，导入时跳过"):
        assert said in notes, said


def test_formatted_empty_cells_are_no_rows():
    def format_down_to_6001(sheet):         # (all of A2:Q6001 in test_rosterfile_real)
        for cells in sheet["A2:A6001"]:
            cells[0].border = Border(bottom=Side(style="thin"))
    data = xlsx([row(姓名或工号=f"S{i}") for i in range(12)], tweak=format_down_to_6001)
    assert b'<c r="A6001"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert [e["id"] for e in read_roster_file("r.xlsx", data)] == [f"S{i}" for i in range(12)]
    far = xlsx([row(姓名或工号="S1")], tweak=lambda sheet: sheet.cell(row=9000, column=1, value="S9000"))
    assert read_roster_file("r.xlsx", far).row_numbers == [2, 9000]


def workbook(*sheets, hidden=()) -> bytes:
    """A workbook of (name, rows) sheets in this order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for r in rows:
            sheet.append(r)
        if name in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


COVER = ("封面", [["项目名称", "某社工站"], ["承接单位", "某机构"]])


def test_the_sheet_named_roster_is_read_wherever_it_is():
    data = workbook(COVER, ("花名册", [HEADERS, row(姓名或工号="S1")]), ("汇总", [["合计", 1]]))
    assert [e["id"] for e in read_roster_file("r.xlsx", data)] == ["S1"]


def test_without_a_roster_sheet_the_first_shown_with_a_header_is_read_and_the_notice_says_which():
    data = workbook(("Sheet1", [HEADERS, row(姓名或工号="S1")]), COVER)
    entries = read_roster_file("r.xlsx", data)
    assert [e["id"] for e in entries] == ["S1"]
    assert entries.notices[0] == "读取的是工作表「Sheet1」（未找到名为「花名册」的工作表）"
    assert [e["id"] for e in read_roster_file("r.xlsx", workbook(COVER, ("人员", [HEADERS, row()]),
                                                                 hidden={"封面"}))] == ["SG-001"]
    # a 封面 sheet first: it has no header row, so the next sheet, which has, is the roster
    behind = read_roster_file("r.xlsx", workbook(COVER, ("人员", [HEADERS, row()])))
    assert [e["id"] for e in behind] == ["SG-001"] and behind.notices[0].startswith("读取的是工作表「人员」")
    # no sheet with a header: said with the sheets looked into
    assert problems("r.xlsx", workbook(COVER, ("汇总", [["合计", 1]]))) == [
        "文件: 在工作表「封面」、「汇总」的前 20 行中没有找到表头（没有一行写着模板的列名，如「姓名或工号」「岗位」「等级」「证书」"
        "「月应发工资」）；请按模板在「花名册」工作表填写表头、其下每行一人"]

def test_columns_not_in_the_template_are_left_out_with_a_notice_naming_them():
    data = workbook(COVER, ("花名册", [["序号"] + HEADERS + ["备注"], [1] + row() + ["试用期"]]))
    entries = read_roster_file("r.xlsx", data)
    assert [e["id"] for e in entries] == ["SG-001"] and "备注" not in str(entries[0])
    assert "以下各列不是模板的列，未导入：「序号」（A 列）、「备注」（S 列）" in entries.notices
    # a 花名册 sheet without a header: the sheet that has one is read, and the notice says why
    other = read_roster_file("r.xlsx", workbook(("花名册", []), ("人员", [HEADERS, row()])))
    assert [e["id"] for e in other] == ["SG-001"]
    assert other.notices[0] == "读取的是工作表「人员」（名为「花名册」的工作表中没有表头）"

def test_5001_people_in_a_workbook_are_refused():
    data = xlsx([row(姓名或工号=f"S{i}") for i in range(5001)])
    assert problems("r.xlsx", data) == ["文件: 最多 5000 行人员，文件超过此数"]


def test_xlsx_numbers_labels_and_percentages():
    data = xlsx([row(月应发工资=4300.5, 养老单位费率="16%", 工伤单位费率=0.003, 在岗月数=6.0)])
    entry = read_roster_file("r.xlsx", data)[0]
    assert entry["monthly_pay"] == "4300.50" and entry["months"] == 6       # amounts to the 分, as the form reads them
    assert entry["employer_rates"] == {"pension": "0.16", "work_injury": "0.003"}


def test_number_cells_are_read_at_excels_15_significant_digits():
    # openpyxl stores 16 significant digits: 0.08500000000000001, 0.005, 0.008, 0.007000000000000001 (0.07 × 0.1),
    # 0.008000000000000007 (1 − 0.992), 4800.000000000001 and 700.0000000000001 (0.07 × 100 × 100)
    rates = {"养老单位费率": 0.085, "医疗单位费率": 0.005, "失业单位费率": 0.008, "工伤单位费率": 0.07 * 0.1,
             "大额医疗单位费率": 1 - 0.992}
    data = xlsx([row(月应发工资=4800.000000000001, 职业津贴=0.07 * 100 * 100, 在岗月数=12.0, **rates)])
    stored = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<v>0.08500000000000001</v>" in stored and b"<v>0.008000000000000007</v>" in stored
    entry = read_roster_file("r.xlsx", data)[0]
    assert entry["monthly_pay"] == "4800.00" and entry["monthly_allowance"] == "700.00" and entry["months"] == 12
    assert entry["employer_rates"] == {"pension": "0.085", "medical": "0.005", "serious_illness": "0.008",
                                       "unemployment": "0.008", "work_injury": "0.007"}


def test_excels_own_17_digit_numbers_read_as_shown():
    header = "".join(inline(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS))
    cells = (inline("A2", "S1") + inline("B2", "社工") + inline("D2", "初级") + inline("E2", "无")
             + f'<c r="{at("月应发工资")}2"><v>4800.0000000000009</v></c>'
             + f'<c r="{at("养老单位费率")}2"><v>8.5000000000000006E-2</v></c>'
             + f'<c r="{at("医疗单位费率")}2"><v>5.0000000000000001E-3</v></c>'
             + f'<c r="{at("公积金比例")}2" t="n"><v>5.0000000000000003E-2</v></c>')
    sheet = sheet_xml(f'<row r="1">{header}</row><row r="2">{cells}</row>')
    entry = read_roster_file("r.xlsx", rewrite(xlsx([row()]), "xl/worksheets/sheet1.xml", sheet))[0]
    assert entry["monthly_pay"] == "4800.00" and entry["housing_fund_rate"] == "0.05"
    assert entry["employer_rates"] == {"pension": "0.085", "medical": "0.005"}


def test_number_cells_are_taken_to_their_fields_precision_text_cells_are_not():
    # 4800.0000000001 has 14 significant digits (Excel keeps it); an amount is kept to the 分: 4800.00.
    # 4800.005 is the float 4800.00499999999965…, 4800.00500000000 at 15 digits: 4800.01 half up.
    # a rate to six decimals: 0.0855555555 → 0.085556
    data = xlsx([row(月应发工资=4800.0000000001, 职业津贴=4800.005, 养老单位费率=0.0855555555),
                 row(姓名或工号="S2", 月应发工资="4800.005", 养老单位费率="0.0855555555")])
    first, second = read_roster_file("r.xlsx", data)
    assert first["monthly_pay"] == "4800.00" and first["monthly_allowance"] == "4800.01"
    assert first["employer_rates"] == {"pension": "0.085556"}
    assert second["monthly_pay"] == "4800.005" and second["employer_rates"] == {"pension": "0.0855555555"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_or_gb18030(encoding):
    entries = read_roster_file("r.csv", csv_bytes([row(月应发工资="4,300.00")], encoding))
    assert entries[0]["monthly_pay"] == "4300.00" and entries[0]["post"] == "社工"


def test_utf16_csv_is_refused_with_advice():
    assert "UTF-16" in problems("r.csv", csv_bytes([row()], "utf-16"))[0]


def test_undecodable_csv():
    assert "编码无法识别" in problems("r.csv", b"\xe5\xa7\x93\xff\xfe\x81 ,x\n")[0]


def test_extra_and_missing_columns():
    entries = read_roster_file("r.csv", csv_bytes([row() + ["x"]], headers=HEADERS + ["备注"]))
    assert entries.notices == ["以下各列不是模板的列，未导入：「备注」（R 列）"]       # 17 template columns, then 备注
    headers = [h for h in HEADERS if h != "月应发工资"]
    found = problems("r.xlsx", xlsx([[c for h, c in zip(HEADERS, row()) if h != "月应发工资"]], headers))
    assert found == ["第 1 行: 缺少必需的列「月应发工资」"]

def test_merged_cells_are_refused():
    data = xlsx([row(), row()], tweak=lambda sheet: sheet.merge_cells("B2:B3"))
    assert "合并单元格" in problems("r.xlsx", data)[0]


def test_merged_cells_are_named_by_their_range_and_rows():
    def merge(sheet):
        sheet.merge_cells("B3:C3")
        sheet.merge_cells("H2:H4")
        sheet.merge_cells("A20:F21")          # beside the table, in rows without a value: no harm
    data = xlsx([row(姓名或工号="S1"), row(姓名或工号="S2"), row(姓名或工号="S3")], tweak=merge)
    assert problems("r.xlsx", data) == ["第 2–4 行: H2:H4 为合并单元格，请取消合并后再导入",
                                        "第 3 行: B3:C3 为合并单元格，请取消合并后再导入"]


def test_old_excel_and_empty_files_say_what_to_do():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    assert problems("花名册.xls", ole) == ["文件: .xls 是旧版 Excel 格式，请在 Excel/WPS 中“另存为” .xlsx 后再导入"]
    assert problems("花名册.XLS", xlsx([row()])) == problems("花名册.xls", ole)
    assert problems("花名册.xlsx", ole) == [
        "文件: 文件实际是旧版 .xls 格式，或设置了打开密码：请在 Excel/WPS 中取消密码并“另存为” .xlsx 后再导入"]
    assert problems("花名册.xlsx", b"") == ["文件: 文件是空的"] == problems("花名册.csv", b"")


def test_a_formula_without_a_stored_result_is_refused_at_its_cell_with_the_fix_never_evaluated():
    data = xlsx([row(月应发工资="=2000*3")])            # openpyxl stores the formula, no result
    assert problems("r.xlsx", data) == [
        "第 2 行 G2 单元格: 含公式，文件中没有保存公式的计算结果（程序生成、未在 Excel 或 WPS 中打开保存过的文件会这样）："
        "请在 Excel 或 WPS 中打开后保存，或复制这些单元格后选择性粘贴为数值"]

def test_5001_rows_are_refused():
    data = csv_bytes([row(姓名或工号=f"S{i}") for i in range(5001)])
    assert "最多 5000 行" in problems("r.csv", data)[0]


def test_a_renamed_exe_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
    assert "不是 Excel 工作簿" in problems("staff.xlsx", exe)[0]
    assert "不是 CSV 文本文件" in problems("staff.csv", exe)[0]
    assert "只接受 .xlsx 或 .csv" in problems("staff.exe", exe)[0]


def test_a_zip_bomb_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (80 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 5 * 1024 * 1024
    assert "解压后过大" in problems("bomb.xlsx", data)[0]


def test_files_over_5_mb_are_refused():
    assert "最多 5 MB" in problems("r.csv", b"a" * (5 * 1024 * 1024 + 1))[0]


def test_bad_rows_are_all_listed_by_row_and_column():
    rows = [row(), row(姓名或工号="S2", 月应发工资="abc"), row(姓名或工号="S3"), row(姓名或工号="S4", 等级="局长")]
    entries = read_roster_file("r.csv", csv_bytes(rows))
    budget = budget_input(personnel=[person(post="社工", headcount=4)])
    with pytest.raises(InputError) as caught:
        check_input({"budget": budget, "roster": entries})
    assert [str(p) for p in row_problems(caught.value.problems)] == [
        "第 3 行 月应发工资: 必须是不小于 0 的金额，最多两位小数",
        "第 5 行 等级: 请从下拉列表中选择：无等级（非专业岗位）、初级、中级、高级"]


def test_problems_quote_the_cell_and_say_what_to_type():
    blank = [""] * len(HEADERS)
    rows = [row(姓名或工号="王五", 月应发工资="4,800元"), row(姓名或工号="李四", 月应发工资="￥4,800.00"), row(姓名或工号="张三"),
            blank, blank, row(姓名或工号="赵六", 月应发工资="4千8", 养老单位费率="0,5%"),
            row(姓名或工号="钱七", 等级="局长", 职业津贴="12.345", 在岗月数="6.5"), row(姓名或工号="张三", 月应发工资="4800 元"),
            row(姓名或工号="第 1 行"), row(姓名或工号="第 1 行"),
            row(姓名或工号="孙八", 证书编号="x" * 60, 月应发工资="四千八百元整" * 10)]
    entries = read_roster_file("r.csv", csv_bytes(rows))
    assert entries.row_numbers == [2, 3, 4, 7, 8, 9, 10, 11, 12]
    assert [e["monthly_pay"] for e in entries[:3]] == ["4800.00", "4800.00", "5000.00"]
    budget = budget_input(personnel=[person(post="社工", headcount=9)])
    with pytest.raises(InputError) as caught:
        check_input({"budget": budget, "roster": entries})
    assert [str(p) for p in row_problems(caught.value.problems, entries.row_numbers, entries.cells)] == [
        "第 7 行 月应发工资: 「4千8」不是金额，请填写数字，如 4800 或 4800.00",
        "第 7 行 养老单位费率: 「0,5%」逗号只用作千位分隔（如 4,800），小数请用小数点，如 8.5%",
        "第 8 行 等级: 「局长」不在下拉列表中，请从下拉列表中选择：无等级（非专业岗位）、初级、中级、高级",
        "第 8 行 职业津贴: 「12.345」必须是不小于 0 的金额，最多两位小数",
        "第 8 行 在岗月数: 「6.5」不是整数，请填写整数，如 12",
        "第 9 行 姓名或工号: 「张三」与第 4 行重复",
        "第 11 行 姓名或工号: 「第 1 行」与第 10 行重复",           # the id's own words are not a row to translate
        "第 12 行 证书编号: 「" + "x" * 40 + "…」最多 50 个字符，现有 60 个",      # kept now, so held to its length
        "第 12 行 月应发工资: 「" + ("四千八百元整" * 7)[:40] + "…」不是金额，请填写数字，如 4800 或 4800.00"]


def test_xml_entities_are_refused():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
    source = io.BytesIO(xlsx([row()]))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as copy:
        for item in original.infolist():
            copy.writestr(item, original.read(item.filename))
        copy.writestr("xl/sharedStrings.xml", laughs)
    assert "无法读取这个 Excel 文件" in problems("r.xlsx", out.getvalue())[0]


def rewrite(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(out, "w") as copy:
        for item in original.infolist():
            copy.writestr(item.filename, content if item.filename == name else original.read(item.filename))
    return out.getvalue()


def sheet_xml(cells: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>').encode()


def at(header: str) -> str:
    """The column letter of a template header."""
    return chr(65 + HEADERS.index(header))


def inline(ref, text):
    attr = f' r="{ref}"' if ref else ""
    return f'<c{attr} t="inlineStr"><is><t>{text}</t></is></c>'


def test_a_dtd_anywhere_in_a_part_is_refused():
    laughs = (b'<?xml version="1.0"?><!-- ' + b"x" * 9000 + b' --><!DOCTYPE a [<!ENTITY b "c">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    data = rewrite(xlsx([row()]), "xl/worksheets/sheet1.xml", laughs)
    assert "无法读取这个 Excel 文件" in problems("r.xlsx", data)[0]
    utf16 = sheet_xml(inline("A1", "x")).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert "无法读取这个 Excel 文件" in problems("r.xlsx", rewrite(xlsx([row()]), "xl/worksheets/sheet1.xml", utf16))[0]


def test_huge_exponents_and_far_columns_are_refused_cheaply():
    header = "".join(inline(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS))
    cells = header + inline("A2", "S1") + inline("B2", "社工") + inline("D2", "初级") + inline("E2", "无") \
        + '<c r="G2"><v>1E999999</v></c>'
    data = rewrite(xlsx([row()]), "xl/worksheets/sheet1.xml", sheet_xml(f'<row r="1">{header}</row>'
                                                                         f'<row r="2">{cells[len(header):]}</row>'))
    assert read_roster_file("r.xlsx", data)[0]["monthly_pay"] == "1E999999"     # then refused as an amount
    far = sheet_xml(f'<row r="1">{header}</row><row r="2">{inline("ZZZ2", "x")}</row>')
    assert "最多 40 列" in problems("r.xlsx", rewrite(xlsx([row()]), "xl/worksheets/sheet1.xml", far))[0]


def test_cells_without_references_are_read_in_order():
    header = "".join(inline(None, h) for h in HEADERS)
    values = "".join(inline(None, v) for v in row())
    data = rewrite(xlsx([row()]), "xl/worksheets/sheet1.xml", sheet_xml(f"<row>{header}</row><row>{values}</row>"))
    assert read_roster_file("r.xlsx", data)[0]["post"] == "社工"


def test_problems_name_the_real_row_when_blank_rows_are_skipped():
    data = csv_bytes([row(), [""] * len(HEADERS), [""] * len(HEADERS), row(姓名或工号="S2", 月应发工资="abc")])
    entries = read_roster_file("r.csv", data)
    budget = budget_input(personnel=[person(post="社工", headcount=2)])
    with pytest.raises(InputError) as caught:
        check_input({"budget": budget, "roster": entries})
    assert [str(p) for p in row_problems(caught.value.problems, entries.row_numbers)] == [
        "第 5 行 月应发工资: 必须是不小于 0 的金额，最多两位小数"]


def test_odd_csv_and_empty_files():
    assert "CSV 格式有误" in problems("r.csv", csv_bytes([]) + b'"' + b"x" * 200_000)[0]
    assert "没有人员" in problems("r.csv", csv_bytes([]))[0]
    entry = read_roster_file("r.csv", csv_bytes([row(养老单位费率="1e999999999%")]))[0]
    assert entry["employer_rates"]["pension"] == "1e999999999%"      # refused later as a rate, no overflow
