"""Every default and coverage a person reads comes from the parameter set in force (issue #19): an administrator
changes the lowest housing-fund rate under the two-person rule, and the categories the 职业津贴 standard covers,
and the budget form, the roster template workbook, the roster pages and the CLI all say the new figures; the
budget form shows each line's blank allowance and housing-fund rate as the figures the engine priced it with."""
from __future__ import annotations

import io
import json
import re
from datetime import date
from html.parser import HTMLParser

import openpyxl
import pytest
from sqlalchemy import select

from costing import cli
from costing.models import ParamFamily, ParamValue, db
from costing.parameters.seed import bump

from . import world
from .world import log_in

TODAY = date(2026, 11, 29)
FIVE = re.compile(r"[按为] ?5%")         # the shipped lowest rate, said as a blank field's figure
HF_FAMILY = "/admin/parameters/family/hf.rate_min"
ALLOWANCE_FAMILY = "/admin/parameters/family/allowance.certificate_monthly"
SOURCE = {"doc_no": "渝公积金发〔2024〕9号", "title": "关于调整住房公积金缴存比例的通知", "issuer": "重庆市住房公积金管理中心",
          "doc_date": "2024-12-01", "url": "https://zfgjj.cq.gov.cn/x.html", "confidence": "verified_official", "note": ""}
SEVEN = {"region": "cq", "value": "7%", "start": "2025-01-01", "end": "", **SOURCE}
ASSISTANT = {"district": "渝北区", "region": "assistant_social_worker", "value": "200", "start": "2025-01-01", "end": "",
             **SOURCE, "doc_no": "渝北民发〔2024〕88号", "issuer": "重庆市渝北区民政局"}


class Inputs(HTMLParser):
    """Each text input of a page by its name: its attributes."""

    def __init__(self, page: str):
        super().__init__()
        self.by_name: dict[str, dict] = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "input" and "name" in found:
            self.by_name.setdefault(found["name"], found)


def _confirm(app, url: str, data: dict) -> None:
    """Entered by one administrator, confirmed by another (costing/parameters/review.py)."""
    assert log_in(app.test_client(), "admin").post(url, data=data).status_code == 302
    row = db.session.scalar(select(ParamValue).where(ParamValue.origin == "admin", ParamValue.status == "pending"))
    assert log_in(app.test_client(), "admin2").post(f"/admin/parameters/values/{row.id}/confirm").status_code == 302


@pytest.mark.commits          # the CLI reads the database on its own connection: it must see the change committed
def test_an_administrators_change_is_what_every_page_the_template_and_the_cli_say(app, client, monkeypatch, capsys):
    app.config["TODAY"] = TODAY
    w = world.build()
    _confirm(app, HF_FAMILY, SEVEN)
    _confirm(app, ALLOWANCE_FAMILY, ASSISTANT)
    # the standard's categories are data too (no page edits them): 老年 posts join 社区 posts
    db.session.get(ParamFamily, "allowance.certificate_monthly").categories = ["community", "elderly"]
    bump(db.session)
    db.session.commit()
    seven, covered = "公积金比例留空按 7%（各月的单位缴存比例下限）", "只用于持证的社区、老年类岗位"

    # the budget form: the notes, and each line's blank fields as the figures they stand for (the example budget,
    # 渝北区 from 2025-07: 站长 is a 社区 社会工作师 without a standard, 社会工作者 a 老年 助理社会工作师 now covered by the
    # 200 standard, the 儿童 post outside the standard)
    preparer = log_in(client, "a_prep")
    page = preparer.get(f"/budgets/{w.budget_a}/edit").get_data(as_text=True)
    assert seven in page and covered in page and not FIVE.search(page)
    fields = Inputs(page).by_name
    shown = {i: (fields[f"personnel-{i}-monthly_allowance"].get("placeholder"),
                 fields[f"personnel-{i}-housing_fund_rate"].get("placeholder")) for i in range(3)}
    assert shown == {0: ("0.00", "7%"), 1: ("200.00", "7%"), 2: ("0.00", "7%")}
    assert fields["personnel-1-monthly_allowance"]["title"] == "职业津贴（留空按本区县标准 200.00 元/月）"
    assert fields["personnel-0-monthly_allowance"]["title"] == "职业津贴（留空为 0（本区县标准未录入））"
    assert fields["personnel-2-monthly_allowance"]["title"] == "职业津贴（留空为 0（该类别不在职业津贴标准的适用范围））"
    assert "工伤费率（留空按政策费率 0.3%）" in page
    # the live preview says the same for what is typed; a new budget says the rule with today's figure
    body = preparer.post("/budgets/preview", data=world.form_fields(world.sample())).get_json()
    live = {f["field"]: f["shown"] for f in body["in_force"]}
    assert live["personnel-1-monthly_allowance"] == "200.00" and live["personnel-0-housing_fund_rate"] == "7%"
    assert body["notes"] == {"housing_fund": seven}
    new = preparer.get("/budgets/new").get_data(as_text=True)
    assert "公积金比例留空按各月的单位缴存比例下限（今天为 7%）" in new and covered in new
    assert Inputs(new).by_name["personnel-0-housing_fund_rate"]["placeholder"] == "7%"

    # the roster template workbook's notes
    contractor = log_in(app.test_client(), "c_user")
    book = openpyxl.load_workbook(io.BytesIO(contractor.get("/rosters/template.xlsx").data))
    notes = "\n".join(str(row[0].value or "") for row in book["说明"].iter_rows())
    assert "公积金比例留空按各月的单位缴存比例下限（今天为 7%）" in notes and covered in notes
    assert not FIVE.search(notes)

    # the roster pages: the form checked against the budget (from 2025-07), and the report of a saved roster
    page = contractor.get(f"/rosters/new?budget={w.budget_a}").get_data(as_text=True)
    assert seven in page and covered in page
    assert Inputs(page).by_name["roster-0-housing_fund_rate"]["placeholder"] == "7%"
    saved = contractor.post(f"/rosters/new?budget={w.budget_a}", data={
        "name": "方案", "roster-0-id": "A1", "roster-0-post": "社会工作者", "roster-0-level": "junior",
        "roster-0-certificate": "assistant_social_worker", "roster-0-monthly_pay": "4300.00", "revision": "1"})
    assert saved.status_code == 302
    report = contractor.get(saved.location).get_data(as_text=True)
    assert seven in report

    # the CLI, reading the database's confirmed set
    monkeypatch.setenv("COSTING_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    capsys.readouterr()
    assert cli.main(["params", "--db", "--on", "2025-07-01"]) == 0
    text = capsys.readouterr().out
    assert seven in text and covered in text and "重庆市 住房公积金缴存比例下限（单位）：7%；2025-01-01 起" in text
    assert "渝北区 助理社会工作师 职业津贴（按区县与证书，每人每月）：200.00 元/月" in text
    assert cli.main(["params", "--db", "--on", "2025-07-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["defaults"] == {
        "housing_fund_rate": "0.07", "work_injury_rate": "0.003", "allowance_categories": ["community", "elderly"]}
