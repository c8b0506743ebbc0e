"""The audit log finds what an administrator asks for — by user, action, object, words and Beijing dates — and
exports it in words to CSV and Excel, text never becoming a formula (issue #21)."""
import csv
import io
from datetime import datetime, timezone

import openpyxl
from sqlalchemy import select

from costing.accounts import service as accounts
from costing.models import AuditEntry, ParamValue, db

from . import world
from .test_parameters import NEW_BASE
from .world import log_in


def _base_changed(app):
    """admin enters the 2026 social-insurance floor, admin2 confirms it; a preparer saves a budget."""
    w = world.build()
    admin = log_in(app.test_client(), "admin")
    admin.post("/admin/parameters/family/si.base_floor", data=NEW_BASE)
    figure = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{figure.id}/confirm")
    return w, admin


def test_who_changed_the_2026_base_is_found_by_words_and_exported(app, client):
    w, admin = _base_changed(app)
    page = admin.get("/admin/audit?q=2026+缴费基数").get_data(as_text=True)
    assert "找到 2 条" in page
    assert "录入政策参数" in page and "复核通过政策参数" in page and "admin2" in page
    assert "政策参数：社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元" in page
    # by user and action too
    page = admin.get("/admin/audit?user=admin2&action=param_confirm").get_data(as_text=True)
    assert "找到 1 条" in page
    # the exports say the same in words
    response = admin.get("/admin/audit.csv?q=2026+缴费基数")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["时间（北京时间）", "用户", "姓名", "操作", "对象", "说明"]
    assert [r[3] for r in rows[1:]] == ["复核通过政策参数", "录入政策参数"]
    assert all(r[4] == "政策参数：社会保险缴费基数下限（月） 重庆市 2026-01-01 起 4,600.00 元" for r in rows[1:])
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?q=2026+缴费基数").data))
    sheet = book["审计日志"]
    assert [c.value for c in sheet[1]] == rows[0] and sheet.max_row == 3
    assert "param:" not in response.data.decode("utf-8-sig")


def test_dates_are_beijing_days_and_a_bad_one_is_said(app, client):
    world.build()
    admin = log_in(client, "admin")
    # 23:30 UTC on 2026-03-01 is 07:30 on 2026-03-02 in Beijing
    db.session.add(AuditEntry(at=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc), action="save",
                              target="", detail="夜里保存"))
    db.session.commit()
    assert "夜里保存" in admin.get("/admin/audit?since=2026-03-02&until=2026-03-02").get_data(as_text=True)
    assert "夜里保存" not in admin.get("/admin/audit?since=2026-03-01&until=2026-03-01").get_data(as_text=True)
    page = admin.get("/admin/audit?since=2026-13-01").get_data(as_text=True)
    assert "请按“年-月-日”填写" in page
    assert admin.get("/admin/audit.csv?since=2026-13-01").status_code == 400


def test_an_exported_text_that_looks_like_a_formula_stays_text(app, client):
    world.build()
    admin = log_in(client, "admin")
    accounts.record("save", "", "=HYPERLINK(\"http://x\")")
    db.session.commit()
    rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv?q=HYPERLINK").data.decode("utf-8-sig"))))
    assert rows[1][5] == "'=HYPERLINK(\"http://x\")"
    sheet = openpyxl.load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?q=HYPERLINK").data))["审计日志"]
    cell = sheet.cell(row=2, column=6)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
    # non-administrators get neither the page nor the exports
    preparer = log_in(app.test_client(), "a_prep")
    assert [preparer.get(p).status_code for p in ("/admin/audit", "/admin/audit.csv")] == [403, 403]


def test_an_exported_text_that_starts_with_a_tab_or_a_carriage_return_before_a_formula_stays_text(app, client):
    world.build()
    admin = log_in(client, "admin")
    accounts.record("save", "", "\t=HYPERLINK(\"http://x\")")
    accounts.record("save", "", "\r=HYPERLINK(\"http://x\")")
    accounts.record("save", "", "HYPERLINK 的说明")
    db.session.commit()
    rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv?q=HYPERLINK").data.decode("utf-8-sig"),
                                       newline="")))
    assert [r[5] for r in rows[1:]] == ["HYPERLINK 的说明", "'\r=HYPERLINK(\"http://x\")", "'\t=HYPERLINK(\"http://x\")"]
    sheet = openpyxl.load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?q=HYPERLINK").data))["审计日志"]
    assert [bool(sheet.cell(row=row, column=6).quotePrefix) for row in (2, 3, 4)] == [False, True, True]
    assert sheet.cell(row=4, column=6).value == "\t=HYPERLINK(\"http://x\")"
