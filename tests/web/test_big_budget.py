"""The biggest budget allowed stays cheap to edit (issue #20: the edit page of 5,000 staff and 5,000 cost lines was
34.9 MB of inputs and 11.5 s of CPU). The edit page holds PAGE_LINES lines; a budget with more is edited as a file:
its other fields on the page, its lines downloaded as the 明细表, changed in a spreadsheet program and uploaded with
the page, saved as one new revision on the revision the page was opened on (or a conflict), with the reasons for
overrides as on the page and every problem said where it is in the file."""
from __future__ import annotations

import copy
import io
import re
import time

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from costing.budgets import service
from costing.budgets.lines import COLUMNS, read_lines
from costing.budgets.views import PAGE_LINES
from costing.models import Budget, User, db
from costing.web import current_parameters, limits

from .. import cpu
from . import world
from .world import budget_with, form_fields, log_in, page_form, sample

COST = {"category": "activities", "name": "社区活动", "quantity": "12", "unit": "场", "unit_price": "2000.00"}


def big_budget(staff: int, costs: int, months: int = 60, **project) -> int:
    """A budget of ``staff`` staff lines (each overriding two defaults with its reasons) and ``costs`` cost lines,
    saved as purchaser A's preparer saves it."""
    data = budget_with(staff, months)
    data["costs"] = [dict(COST, name=f"活动 {i + 1}") for i in range(costs)]
    data["project"] |= {"appropriation": "999999999.00"} | project
    user = db.session.scalar(select(User).where(User.username == "a_prep"))
    budget = service.create_budget(user, data, current_parameters(), "大预算")
    db.session.commit()
    return budget.id


def opened(client, staff: int, costs: int) -> tuple[int, dict, bytes]:
    """A budget of so many lines opened by its preparer: its id, what its edit page posts unchanged, its 明细表."""
    world.build()
    budget_id = big_budget(staff, costs)
    log_in(client, "a_prep")
    fields = page_form(client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True), "budget-form")
    return budget_id, fields, client.get(f"/budgets/{budget_id}/lines.xlsx?revision=1").data


def upload(client, url: str, fields: dict, content: bytes | None, name: str = "明细表.xlsx"):
    data = dict(fields)
    if content is not None:
        data["lines_file"] = (io.BytesIO(content), name)
    return client.post(url, data=data, content_type="multipart/form-data")


def edited(content: bytes, change) -> bytes:
    """The downloaded 明细表 changed as a person would in a spreadsheet program."""
    book = load_workbook(io.BytesIO(content))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_edit_page_of_the_biggest_budget_is_small_and_cheap(app, client):
    world.build()
    budget_id = big_budget(5000, 5000)
    log_in(client, "a_prep")
    client.get(f"/budgets/{budget_id}/edit")            # the first read of a revision in a process parses it
    started = time.process_time()
    response = client.get(f"/budgets/{budget_id}/edit")
    spent = time.process_time() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(response.data) < 1_000_000 and spent < cpu.bound(0.3), (len(response.data), spent)
    assert "修订 1 有 5,000 个人员行、5,000 个直接费用行，合计超过页面编辑的上限（150 行）" in page
    assert f'href="/budgets/{budget_id}/lines.xlsx?revision=1"' in page and 'type="file" name="lines_file"' in page
    assert 'name="personnel-0-post"' not in page and 'name="costs-0-name"' not in page
    assert 'value="渝北区乡镇（街道）社会工作服务站项目"' in page and 'name="lines" value="kept"' in page
    # its page shows 200 staff and 200 cost lines at a time, the totals of all of them, and how to see the rest
    client.get(f"/budgets/{budget_id}")
    started = time.process_time()
    response = client.get(f"/budgets/{budget_id}?part=25")
    spent = time.process_time() - started
    page = response.get_data(as_text=True)
    assert len(response.data) < 1_000_000 and spent < cpu.bound(0.3), (len(response.data), spent)
    assert "（第 4801–5000 行，共 5000 行）" in page and "人员 5000 行、直接费用 5000 行，每页各 200 行" in page
    assert f'href="/budgets/{budget_id}?revision=1&amp;part=24#lines"' in page
    assert "社会工作者 5000" in page and "社会工作者 4800<" not in page


def test_a_budget_at_the_page_limit_is_edited_on_the_page_and_one_more_line_as_a_file(app, client):
    world.build()
    at_limit, over = big_budget(PAGE_LINES - 50, 50), big_budget(PAGE_LINES - 50, 51)
    log_in(client, "a_prep")
    started = time.process_time()
    page = client.get(f"/budgets/{at_limit}/edit")
    spent = time.process_time() - started
    assert f'name="personnel-{PAGE_LINES - 51}-post"' in page.get_data(as_text=True) and 'name="costs-49-name"' in page.get_data(as_text=True)
    assert len(page.data) < 1_000_000 and spent < cpu.bound(0.5), (len(page.data), spent)
    assert 'name="lines" value="kept"' in client.get(f"/budgets/{over}/edit").get_data(as_text=True)


def test_the_lines_downloaded_and_uploaded_unchanged_are_the_same_budget(app, client):
    """The file holds every field of every line (the reasons too) as the form does: nothing is lost on the way."""
    world.build()
    budget_id = big_budget(200, 40)
    log_in(client, "a_prep")
    page = client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True)
    download = client.get(f"/budgets/{budget_id}/lines.xlsx?revision=1")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    response = upload(client, f"/budgets/{budget_id}/edit", page_form(page, "budget-form"), download.data)
    assert response.status_code == 409 and "没有修改：内容与修订 1 相同" in response.get_data(as_text=True)
    read = read_lines("明细表.xlsx", download.data)
    stored = service.input_of(db.session.get(Budget, budget_id).latest)
    assert len(read.personnel) == 200 and len(read.costs) == 40 and read.rows["personnel"][:2] == [2, 3]
    assert read.personnel[7]["si_base_reason"] == "按承接机构社会保险登记的申报基数列明"
    book = load_workbook(io.BytesIO(download.data))
    assert book.sheetnames[:2] == ["人员", "直接费用"] and [c.value for c in book["人员"][1]] == [h for h, _ in COLUMNS["personnel"]]
    assert book["人员"]["B2"].value == "老年" and book["直接费用"]["A2"].value == "服务活动"
    assert len(stored["personnel"]) == 200


def test_a_changed_file_and_changed_fields_are_saved_as_one_new_revision(app, client):
    budget_id, fields, content = opened(client, 180, 20)

    def change(book):
        book["人员"]["F5"] = 5200                     # 月应发工资 of the fourth line
        book["人员"].delete_rows(10, 1)               # the ninth line goes
        book["直接费用"].append(["督导培训", "外请督导", 6, "次", 800])
    fields |= {"project-name": "改名的大项目", "note": "按文件调整"}
    response = upload(client, f"/budgets/{budget_id}/edit", fields, edited(content, change))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    budget = db.session.get(Budget, budget_id)
    saved = service.input_of(budget.latest)
    assert budget.revision_count == 2 and budget.name == "改名的大项目" and budget.latest.note == "按文件调整"
    assert len(saved["personnel"]) == 179 and saved["personnel"][3]["monthly_pay"] == "5200.00"
    assert saved["costs"][-1] == {"category": "supervision_training", "name": "外请督导", "quantity": "6", "unit": "次",
                                  "unit_price": "800.00"}
    assert service.input_of(budget.revisions[0])["project"]["name"] != "改名的大项目"      # revision 1 as it was


def test_without_a_file_the_page_saves_its_fields_and_keeps_the_lines(app, client):
    world.build()
    budget_id = big_budget(160, 0)
    log_in(client, "a_prep")
    page = client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True)
    fields = page_form(page, "budget-form") | {"management_fee_rate": "0.06"}
    assert upload(client, f"/budgets/{budget_id}/edit", fields, None).status_code == 302
    budget = db.session.get(Budget, budget_id)
    before, after = service.input_of(budget.revisions[0]), service.input_of(budget.latest)
    assert after["management_fee_rate"] == "0.06" and after["personnel"] == before["personnel"]


def test_problems_in_the_file_are_said_where_they_are_and_nothing_is_saved(app, client):
    budget_id, fields, content = opened(client, 160, 5)

    def change(book):
        staff = book["人员"]
        staff["F3"] = "4千8"              # 月应发工资
        staff["B6"] = "青年"              # 类别 not in the list
        book["直接费用"]["C4"] = "十二"     # 数量
    fields |= {"project-name": "新名称"}
    response = upload(client, f"/budgets/{budget_id}/edit", fields, edited(content, change))
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "人员 第 3 行 月应发工资：「4千8」不是金额" in text
    assert "人员 第 6 行 类别：「青年」不在下拉列表中，请从下拉列表中选择：儿童和青少年事务" in text
    assert "直接费用 第 4 行 数量：「十二」" in text
    assert 'value="新名称"' in text and 'name="lines" value="kept"' in text      # the page as it was sent
    assert "所选的明细表文件（明细表.xlsx）没有保存：改正后请重新选择文件" in text
    # an override without its reason, as on the page
    def no_reason(book):
        book["人员"]["L4"].value = None      # 申报基数理由 of an overridden 申报基数
    response = upload(client, f"/budgets/{budget_id}/edit", fields, edited(content, no_reason))
    assert response.status_code == 400
    assert re.search(r"人员 第 4 行 申报基数理由：[^<]*理由", response.get_data(as_text=True))
    assert db.session.get(Budget, budget_id).revision_count == 1


def test_a_file_that_is_not_the_template_is_refused_saying_why(app, client):
    world.build()
    budget_id = big_budget(160, 0)
    log_in(client, "a_prep")
    fields = page_form(client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True), "budget-form")
    book = Workbook()
    book.active.title = "人员"
    book.active.append(["岗位", "工资"])
    out = io.BytesIO()
    book.save(out)
    text = upload(client, f"/budgets/{budget_id}/edit", fields, out.getvalue()).get_data(as_text=True)
    assert "人员 第 1 行 第 2 列：未知列「工资」（请使用下载的明细表的表头）" in text
    assert "人员 第 1 行：缺少必需的列「月应发工资」" in text
    assert "文件：没有名为「直接费用」的工作表" in text
    for content, name, said in ((b"not a workbook", "明细表.xlsx", "文件内容不是 Excel 工作簿（.xlsx）"),
                                (b"a,b\n", "明细表.csv", "只接受 .xlsx 文件")):
        response = upload(client, f"/budgets/{budget_id}/edit", fields, content, name)
        assert response.status_code == 400 and said in response.get_data(as_text=True)
    assert db.session.get(Budget, budget_id).revision_count == 1


def test_a_save_on_a_revision_someone_else_has_replaced_keeps_nothing_and_says_so(app, client):
    world.build()
    budget_id = big_budget(160, 0)
    log_in(client, "a_prep")
    page = client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True)
    colleague = log_in(app.test_client(), "a_prep2")
    fields = page_form(colleague.get(f"/budgets/{budget_id}/edit").get_data(as_text=True), "budget-form")
    assert upload(colleague, f"/budgets/{budget_id}/edit", fields | {"management_fee_rate": "0.07"}, None).status_code == 302
    response = upload(client, f"/budgets/{budget_id}/edit", page_form(page, "budget-form") | {"management_fee_rate": "0.06"}, None)
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "他人已保存了更新的修订" in text and "（仅列出前 20 行，另有 140 行。）" in text
    assert 'name="base_revision" type="hidden" value="2"' in text and "修订 2 有 160 个人员行" in text
    assert service.input_of(db.session.get(Budget, budget_id).latest)["management_fee_rate"] == "0.07"


def test_a_page_that_names_no_revision_of_the_budget_keeps_no_lines(app, client):
    world.build()
    budget_id = big_budget(160, 0)
    log_in(client, "a_prep")
    fields = page_form(client.get(f"/budgets/{budget_id}/edit").get_data(as_text=True), "budget-form")
    response = upload(client, f"/budgets/{budget_id}/edit", fields | {"base_revision": "7"}, None)
    assert response.status_code == 400 and db.session.get(Budget, budget_id).revision_count == 1


def test_the_page_form_takes_no_more_rows_than_it_holds_and_says_where_to_go(app, client):
    world.build()
    log_in(client, "a_prep")
    many = copy.deepcopy(sample(name="太多行"))
    many["personnel"] = many["personnel"] * 51                   # 153 staff lines and 3 cost lines
    response = client.post("/budgets/new", data=form_fields(many))
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and f"页面最多编辑 {PAGE_LINES} 行（人员与直接费用合计），收到 156 行" in text
    assert limits.ROWS_NOT_KEPT in text and 'value="太多行"' in text
    answer = client.post("/budgets/preview", data=form_fields(many)).get_json()
    assert answer["ok"] is False and f"页面最多编辑 {PAGE_LINES} 行" in answer["errors"][0]["message"]
    page = client.get("/budgets/new").get_data(as_text=True)
    assert f'data-max-lines="{PAGE_LINES}"' in page and "data-lines-full hidden" in page
    assert 'href="/budgets/lines-template.xlsx"' in page


def test_a_new_budget_of_many_lines_is_made_from_the_template_file(app, client):
    world.build()
    log_in(client, "a_prep")
    template = client.get("/budgets/lines-template.xlsx")
    assert template.status_code == 200

    def fill(book):
        for i in range(300):
            book["人员"].append([f"社工 {i + 1}", "社区", "初级", "助理社会工作师", 1, 4500])
        book["直接费用"].append(["服务活动", "社区活动", 12, "场", 2000])
    fields = form_fields(sample(name="从文件新建")) | {"personnel-0-monthly_pay": "不会用到"}
    response = upload(client, "/budgets/new", fields, edited(template.data, fill))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    budget = db.session.scalar(select(Budget).where(Budget.name == "从文件新建"))
    saved = service.input_of(budget.latest)
    assert len(saved["personnel"]) == 300 and saved["personnel"][0]["monthly_pay"] == "4500.00" and len(saved["costs"]) == 1
    assert 'name="lines" value="kept"' in client.get(f"/budgets/{budget.id}/edit").get_data(as_text=True)


def test_only_those_who_may_edit_a_budget_download_its_lines(app, client):
    w = world.build()
    assert log_in(client, "a_prep").get(f"/budgets/{w.budget_a}/lines.xlsx?revision=1").status_code == 200
    assert log_in(app.test_client(), "b_prep").get(f"/budgets/{w.budget_a}/lines.xlsx?revision=1").status_code == 404
    assert log_in(app.test_client(), "c_user").get(f"/budgets/{w.budget_a}/lines.xlsx?revision=1").status_code in (403, 404)
    assert log_in(app.test_client(), "c_user").get("/budgets/lines-template.xlsx").status_code == 403


def test_the_history_of_a_file_that_changed_every_line_lists_the_first_hundred(app, client):
    budget_id, fields, content = opened(client, 300, 0)

    def raise_all(book):
        for row in range(2, 302):
            book["人员"].cell(row=row, column=6).value = 4800
    assert upload(client, f"/budgets/{budget_id}/edit", fields, edited(content, raise_all)).status_code == 302
    history = client.get(f"/budgets/{budget_id}/history")
    text = history.get_data(as_text=True)
    assert text.count('class="change-changed"') == 100 and "（仅列出前 100 处，另有 200 处变化；" in text
    assert len(history.data) < 200_000
