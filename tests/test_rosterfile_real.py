"""Roster files as contractors' spreadsheets make them: saved again by LibreOffice, formatted far below the
table, with a cover sheet, a repeated id and the template's example row left in."""
import io
import shutil
import subprocess
import uuid
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Border, Side

from costing.engine.parse import InputError
from costing.engine.roster import check_input
from costing.rosters import files
from costing.rosters.files import COLUMNS, EXAMPLE, read_roster_file, row_problems

from .engine.helpers import budget_input, person

HEADERS = [h for h, _, _ in COLUMNS]
SOFFICE = shutil.which("soffice")


def line(**values) -> list:
    base = {"岗位": "社工", "类别": "社区", "等级": "初级", "证书": "助理社会工作师", "月应发工资": 4800.0}
    return [(base | values).get(h) for h in HEADERS]


# float cells as a spreadsheet stores them: 0.085 is 0.08500000000000001, 0.07 × 0.1 is 0.007000000000000001
PEOPLE = [line(姓名或工号="S1", 养老单位费率=0.16, 医疗单位费率=0.085, 失业单位费率=0.005, 工伤单位费率=0.07 * 0.1),
          line(姓名或工号="S2", 月应发工资=4800.000000000001, 职业津贴=200.0, 年终奖=6000.0, 大额医疗单位费率=0.008),
          line(姓名或工号="S3", 月应发工资="5,200.00", 公积金比例=0.1 - 0.05, 在岗月数=6)]


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def convert_with_libreoffice(tmp_path, data: bytes) -> bytes:
    source, target = tmp_path / "in" / "花名册.xlsx", tmp_path / "out"
    source.parent.mkdir()
    source.write_bytes(data)
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"          # its own profile: no lock shared with others
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(target), str(source)], check=True, capture_output=True, timeout=120)
    return (target / "花名册.xlsx").read_bytes()


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH: the round trip cannot be made")
def test_a_roster_saved_again_by_libreoffice_reads_the_same(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    for values in [HEADERS, *PEOPLE]:
        sheet.append(values)
    original = saved(book)
    converted = convert_with_libreoffice(tmp_path, original)
    assert converted != original
    entries = read_roster_file("花名册.xlsx", converted)
    assert entries == read_roster_file("花名册.xlsx", original)
    assert [(e["id"], e["monthly_pay"], e.get("annual_bonus")) for e in entries] == [
        ("S1", "4800.00", None), ("S2", "4800.00", "6000.00"), ("S3", "5200.00", None)]
    assert entries[0]["employer_rates"] == {"pension": "0.16", "medical": "0.085", "unemployment": "0.005",
                                            "work_injury": "0.007"}
    assert entries[1]["employer_rates"] == {"serious_illness": "0.008"}
    assert entries[2]["housing_fund_rate"] == "0.05" and entries[2]["months"] == 6


def formatted_workbook(rows) -> bytes:
    """A cover sheet first, then 花名册 with borders on A2:Q6001 and the given rows."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "封面"
    cover.append(["项目名称", "某街道社工站"])
    roster = book.create_sheet("花名册")
    roster.append(HEADERS)
    for values in rows:
        roster.append(values)
    thin = Side(style="thin")
    for cells in roster["A2:Q6001"]:
        for cell in cells:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    return saved(book)


def test_twelve_people_on_a_sheet_formatted_to_row_6001_behind_a_cover_sheet():
    people = [line(姓名或工号=f"SG-{i:03}", 医疗单位费率=0.085) for i in range(2, 14)]
    people[7][0] = "SG-004"                       # row 10 repeats row 5's id (the example is row 2)
    entries = read_roster_file("花名册.xlsx", formatted_workbook([[EXAMPLE.get(h) for h in HEADERS], *people]))
    assert entries.example_rows == [2] and entries.row_numbers == list(range(3, 15)) and len(entries) == 12
    assert [e["id"] for e in entries][6:9] == ["SG-008", "SG-004", "SG-010"]
    assert {e["employer_rates"]["medical"] for e in entries} == {"0.085"}
    budget = budget_input(personnel=[person(post="社工", headcount=12)])
    with pytest.raises(InputError) as caught:
        check_input({"budget": budget, "roster": entries})
    assert [str(p) for p in row_problems(caught.value.problems, entries.row_numbers, entries.cells)] == [
        "第 10 行 姓名或工号: 「SG-004」与第 5 行重复"]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not on PATH: the round trip cannot be made")
def test_a_sheet_formatted_to_row_6001_saved_again_by_libreoffice_is_well_within_the_limits_on_work(tmp_path):
    """What real files look like, for the reader's limits: the template's 17 columns with borders down to row 6,001
    are 102,017 cells as openpyxl (or Excel) writes them, fewer once LibreOffice has saved them again."""
    people = [line(姓名或工号=f"SG-{i:03}") for i in range(2, 14)]
    original = formatted_workbook(people)
    for data in (original, convert_with_libreoffice(tmp_path, original)):
        assert [e["id"] for e in read_roster_file("花名册.xlsx", data)] == [f"SG-{i:03}" for i in range(2, 14)]
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            cells = max(book.read(name).count(b"<c ") for name in book.namelist() if name.startswith("xl/worksheets/"))
        assert cells <= 102_017 and cells * 2 < files.MAX_CELLS
