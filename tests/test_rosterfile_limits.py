"""Bounded work per roster file: small hostile workbooks (a row of millions of empty cells, one huge shared string
used everywhere, a flood of shared strings, elements nested a million deep, a DTD in UTF-16, a number too large for
any field) are refused at the limit they cross, saying which limit and where, in well under a second and 100 MB.
Each file is written here, part by part, with zipfile: a few kilobytes compressed."""
from __future__ import annotations

import gc
import io
import os
import pickle
import resource
import time
import warnings
import zipfile
from collections.abc import Iterable

from costing.engine.parse import MAX_LINES, InputError
from costing.rosters import files
from costing.rosters.files import COLUMNS, read_roster_file

from . import cpu

HEADERS = [h for h, _, _ in COLUMNS]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SECONDS, MEGABYTES = 1.0, 100


def workbook(sheet: bytes | Iterable[bytes], shared: bytes | Iterable[bytes] | None = None) -> bytes:
    """A minimal .xlsx whose one sheet, 花名册, is ``sheet`` (bytes, or chunks written one after another so that
    a part of many megabytes is never held whole), with ``shared`` as its shared strings."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types/>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                                      f'xmlns:r="{RELS}"><sheets><sheet name="花名册" sheetId="1" r:id="rId1"/>'
                                      "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                   'Target="worksheets/sheet1.xml"/></Relationships>')
        for name, content in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared)):
            if content is None:
                continue
            with z.open(name, "w") as part:
                for chunk in ([content] if isinstance(content, bytes) else content):
                    part.write(chunk)
    return out.getvalue()


def worksheet(*body: bytes, dimension: str | None = None) -> list[bytes]:
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
    if dimension:
        head += f'<dimension ref="{dimension}"/>'
    return [(head + "<sheetData>").encode(), *body, b"</sheetData></worksheet>"]


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = ('<row r="1">' + "".join(inline(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADERS)) + "</row>").encode()


def person_row(number: int, pay: str = '<c r="G{n}"><v>4800</v></c>') -> bytes:
    cells = inline(f"A{number}", f"S{number}") + inline(f"B{number}", "社工") + inline(f"D{number}", "初级") \
        + inline(f"E{number}", "助理社会工作师") + pay.format(n=number)
    return f'<row r="{number}">{cells}</row>'.encode()


SHEET = "工作表「花名册」（xl/worksheets/sheet1.xml）"


def unreadable(why: str, part: str = SHEET) -> list[str]:
    return [f"文件: 无法读取这个 Excel 文件：{part}{why}（Excel 和 WPS 保存的工作簿不会这样），请用模板重新填写后保存为 .xlsx"]


def measured(name: str, data: bytes) -> tuple[float, float, list[str] | str | None]:
    """Read a file in a child process, so that the time and the memory are the reading's own: (CPU seconds, growth
    of the peak resident memory in MB, the problems it was refused with, or what else it raised)."""
    source, sink = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)        # (Python 3.12 warns of fork with threads)
        pid = os.fork()
    if pid == 0:                                # the child: read, report, and leave without any clean-up
        try:
            os.close(source)
            gc.freeze()             # the test session's objects are not the reading's: no collection walks them
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.process_time()
            try:
                read_roster_file(name, data)
                outcome = None
            except InputError as exc:
                outcome = [str(p) for p in exc.problems]
            except Exception as exc:  # noqa: BLE001 (a crash is an outcome to report)
                outcome = repr(exc)
            spent = time.process_time() - started
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
            with os.fdopen(sink, "wb") as out:
                pickle.dump((spent, grown, outcome), out)
        finally:
            os._exit(0)
    os.close(sink)
    with os.fdopen(source, "rb") as report:
        result = pickle.load(report)
    os.waitpid(pid, 0)
    return result


def refused(data: bytes, name: str = "花名册.xlsx") -> list[str]:
    """The problems a file is refused with; it must be refused within the time (CPU time: the machine may be busy
    with other work) and the memory allowed."""
    (spent, grown, outcome), now = cpu.around(lambda: measured(name, data))
    assert isinstance(outcome, list), outcome
    limit = cpu.bound(SECONDS, now)
    assert spent < limit, f"{spent:.2f} s (bound {limit:.2f} s on this machine now): {outcome}"
    assert grown < MEGABYTES, f"{grown:.0f} MB: {outcome}"
    return outcome


# -- the probe's files -------------------------------------------------------------------------------------------

def test_a_row_of_millions_of_empty_cells_is_refused_at_that_row():
    data = workbook(worksheet(HEADER_ROW, b'<row r="2">', b"<c/>" * 2_000_000, b"</row>"))
    assert len(data) < 50_000
    assert refused(data) == [f"文件: 第 2 行的单元格超过 {files.MAX_ROW_CELLS} 个（一个工作表最多 16384 列），"
                             "请删除多余的列，或把人员复制到模板后再导入"]


def test_millions_of_empty_cells_over_many_rows_are_refused_where_the_limit_is_crossed():
    row = "".join(f'<c r="{chr(65 + i)}{{n}}" s="1"/>' for i in range(17))
    body = (f'<row r="{n}">{row.format(n=n)}</row>'.encode() for n in range(2, 20_000))      # 339,983 cells
    problems = refused(workbook(worksheet(HEADER_ROW, *body)))
    assert len(problems) == 1 and problems[0].startswith(f"文件: 工作表「花名册」的单元格超过 {files.MAX_CELLS} 个（到第 ")
    assert "空单元格也计算在内" in problems[0]


def test_a_declared_dimension_beyond_the_limit_is_refused_before_reading_the_cells():
    data = workbook(worksheet(HEADER_ROW, person_row(2), dimension="A1:XFD1048576"))
    assert refused(data) == [f"文件: 工作表「花名册」的范围 A1:XFD1048576 超过 {files.MAX_CELLS} 个单元格，"
                             "请删除表格以外多余的行和列（包括只设了格式的）后再导入"]


def test_one_huge_shared_string_used_in_many_cells_is_refused_at_the_string():
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>'.encode(),
              b"1,000" * 400_000, b"</t></si></sst>")
    cells = (f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c><c r="G{n}" t="s"><v>0</v></c></row>'.encode()
             for n in range(2, 2_002))
    assert refused(workbook(worksheet(HEADER_ROW, *cells), shared)) == [
        f"文件: 共享字符串表（xl/sharedStrings.xml）第 1 个字符串超过 {files.MAX_CELL_CHARS} 个字符"
        f"（Excel 的一个单元格最多 {files.MAX_CELL_CHARS} 个字符）"]


def test_a_shared_string_within_the_cell_limit_used_everywhere_is_refused_by_the_total_of_text():
    long = "4,800" * 6_000                      # 30,000 characters: within one cell's limit
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>{long}</t></si></sst>'.encode()
    row = "".join(f'<c r="{chr(65 + i)}{{n}}" t="s"><v>0</v></c>' for i in range(17))
    cells = (f'<row r="{n}">{row.format(n=n)}</row>'.encode() for n in range(2, 5_002))
    problems = refused(workbook(worksheet(HEADER_ROW, *cells), shared))
    assert len(problems) == 1
    assert problems[0].startswith(f"文件: 工作表「花名册」各单元格的文字合计超过 {files.MAX_TEXT_CHARS} 个字符（到第 ")


def test_a_flood_of_shared_strings_is_refused_by_their_count():
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode(), b"<si><t/></si>" * 3_000_000,
              b"</sst>")
    data = workbook(worksheet(HEADER_ROW, person_row(2)), shared)
    assert len(data) < 100_000
    assert refused(data) == [f"文件: 共享字符串表（xl/sharedStrings.xml）超过 {files.MAX_SHARED_STRINGS} 个字符串，"
                             "请只保留「花名册」工作表（删除其他工作表）后再导入"]


def test_a_declared_count_of_shared_strings_beyond_the_limit_is_refused_at_once():
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" uniqueCount="99999999"></sst>'.encode()
    assert refused(workbook(worksheet(HEADER_ROW, person_row(2)), shared)) == [
        f"文件: 共享字符串表（xl/sharedStrings.xml）超过 {files.MAX_SHARED_STRINGS} 个字符串，"
        "请只保留「花名册」工作表（删除其他工作表）后再导入"]


def test_shared_strings_beyond_their_total_length_are_refused():
    one = "社" * 30_000
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode(),
              *(f"<si><t>{one}</t></si>".encode() for _ in range(400)), b"</sst>")
    assert refused(workbook(worksheet(HEADER_ROW, person_row(2)), shared)) == [
        f"文件: 共享字符串表（xl/sharedStrings.xml）的文字合计超过 {files.MAX_SHARED_CHARS} 个字符，"
        "请只保留「花名册」工作表（删除其他工作表）后再导入"]


def test_elements_nested_a_million_deep_are_refused_at_the_depth_limit():
    data = workbook(worksheet(HEADER_ROW, b"<row>" + b"<x>" * 1_000_000 + b"</x>" * 1_000_000 + b"</row>"))
    assert len(data) < 30_000
    assert refused(data) == unreadable(f"的 XML 嵌套超过 {files.MAX_DEPTH} 层")


def test_a_utf16_part_with_a_dtd_is_refused_before_any_entity_is_expanded():
    # an entity of 2 million characters used 99 times: 200 million characters (over a gigabyte) once expanded,
    # yet within the parser's own guard against amplification; a few kilobytes compressed
    laughs = (f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [<!ENTITY a "{"x" * 2_000_000}">]>'
              f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{"&a;" * 99}</t></is>'
              "</c></row></sheetData></worksheet>")
    for encoded in (laughs.encode("utf-16-le"), laughs.encode("utf-16-be"), laughs.encode("utf-16")):
        data = workbook(encoded)
        assert len(data) < 20_000
        assert refused(data) == unreadable("不是 UTF-8 编码的 XML")


def test_a_dtd_is_refused_by_the_parser_in_utf8_too():
    laughs = (f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE a [<!ENTITY b "c">]><worksheet xmlns="{MAIN}">'
              "<sheetData/></worksheet>").encode()
    assert refused(workbook(laughs)) == unreadable("含 DTD 或实体声明")


def test_a_number_too_large_for_any_field_is_refused_at_its_cell():
    for value in ("1E99", " 1.123E99", "1.123E99 ", "-1E99", "1E15"):
        data = workbook(worksheet(HEADER_ROW, person_row(2, f'<c r="G{{n}}"><v>{value}</v></c>')))
        assert refused(data) == [f"第 2 行 G2 单元格: 数值「{value.strip()}」过大（超过 15 位整数），"
                                 "请填写实际的金额、比例或月数"], value


def test_numbers_with_spaces_around_them_are_read_as_numbers():
    data = workbook(worksheet(HEADER_ROW, person_row(2, '<c r="G{n}"><v> 4800.005 </v></c>')))
    assert read_roster_file("花名册.xlsx", data)[0]["monthly_pay"] == "4800.01"


# -- further limits ----------------------------------------------------------------------------------------------

def test_a_flood_of_other_elements_is_refused_by_the_count_of_elements():
    data = workbook(worksheet(HEADER_ROW, b"<x/>" * 3_000_000))
    assert refused(data) == unreadable(f"的 XML 元素超过 {files.MAX_ELEMENTS} 个")


def test_one_enormous_tag_is_refused_before_the_parser_holds_it():
    data = workbook(worksheet(HEADER_ROW, b'<row r="2"><c r="A2" s="' + b"1" * 20_000_000 + b'"/></row>'))
    assert refused(data) == unreadable(f"有一处 XML 标记超过 {files.MAX_TOKEN_BYTES // 1024 // 1024} MB")


def test_a_workbook_listing_more_sheets_than_a_file_can_hold_is_refused():
    data = workbook(worksheet(HEADER_ROW, person_row(2)))
    many = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
            + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(300_000)) + "</sheets></workbook>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            copy.writestr(item.filename, many if item.filename == "xl/workbook.xml" else original.read(item.filename))
    assert refused(out.getvalue()) == unreadable(f"列出超过 {files.MAX_PARTS} 项（.xlsx 内最多 {files.MAX_PARTS} 个文件）",
                                                 "工作簿目录（xl/workbook.xml）")


def test_many_merged_ranges_are_checked_without_comparing_each_with_every_row():
    rows = b"".join(person_row(n) for n in range(2, 2_002))
    merged = b"<mergeCells>" + b"".join(f'<mergeCell ref="R{n}:S{n}"/>'.encode() for n in range(3_000, 200_000)) \
        + b'<mergeCell ref="B3:C3"/></mergeCells>'
    sheet = worksheet(HEADER_ROW, rows)
    sheet[-1] = b"</sheetData>" + merged + b"</worksheet>"
    assert refused(workbook(sheet)) == ["第 3 行: B3:C3 为合并单元格，请取消合并后再导入"]


def test_a_csv_of_blank_lines_is_refused_by_its_count_of_cells():
    data = ",".join(HEADERS).encode() + b"\n" * 4_000_000
    crossed = files.MAX_CELLS - len(HEADERS) + 2            # the header's cells, then a cell for each blank line
    assert refused(data, "花名册.csv") == [f"文件: 单元格超过 {files.MAX_CELLS} 个（到第 {crossed} 行为止，空行也计算在内），"
                                        "请删除表格以外多余的行后再导入"]


def test_the_row_limit_is_the_engines():
    assert files.MAX_ROWS == MAX_LINES


def test_a_roster_at_the_row_limit_reads_in_time():
    rows = b"".join(person_row(n) for n in range(2, MAX_LINES + 2))
    started = time.process_time()
    entries = read_roster_file("花名册.xlsx", workbook(worksheet(HEADER_ROW, rows)))
    assert len(entries) == MAX_LINES and time.process_time() - started < 5


def test_sheets_looked_into_for_a_header_are_read_only_so_far_together():
    """A roster sheet is found by its headers, so several sheets are looked into (each only as far as its first rows):
    five sheets of 590,000 elements before their first row each cost, together, no more than one look's allowance."""
    count = 5
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types/>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>' + "".join(
            f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, count + 1)) + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships">' + "".join(f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml"/>'
                                               for i in range(1, count + 1)) + "</Relationships>")
        for i in range(1, count + 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{MAIN}"><cols>' + "<col/>" * 590_000
                       + "</cols><sheetData/></worksheet>")
    data = out.getvalue()
    assert len(data) < 50_000
    problems = refused(data)
    assert len(problems) == 1 and problems[0].startswith("文件: 在工作表「S1」、「S2」、「S3」、「S4」、「S5」的前 20 行中没有找到表头")
