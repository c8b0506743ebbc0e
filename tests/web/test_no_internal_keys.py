"""People read no internal keys, data-file names, digests or database targets: every page an administrator, a
purchaser's preparer and approver, and a contractor can reach from their pages (and each file they can
download) is read as text and searched for the shapes such codes have.

Codes stay where they belong: the JSON of the API and the command line, the OpenAPI document, and the API page's
own code samples (the contract it documents)."""
from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import openpyxl
from sqlalchemy import select

from costing.budgets import service
from costing.models import (
    AuditEntry,
    Budget,
    ParamSource,
    ParamSourceCheck,
    ParamValue,
    Revision,
    RevisionCorrection,
    User,
    db,
)
from costing.web import current_parameters

from . import world
from .test_parameters import NEW_BASE
from .test_rosters import person, roster_file, upload
from .world import log_in

SHAPES = {
    "key": re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\b"),         # hf.rate_min, rules.pay_floor.junior
    "data file": re.compile(r"\.ya?ml\b", re.IGNORECASE),                     # social_insurance.yaml
    "digest": re.compile(r"\b(?=[0-9]*[a-f])[0-9a-f]{12,}\b"),               # 参数集 3946bcdf622c
    "target": re.compile(r"\b[a-z_]+:\d+\b"),                                  # param:63, budget:12
    "path": re.compile(r"\b[a-z_]+\[\d+\]"),                                   # personnel[0]
    "code": re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"),                  # PAY_BELOW_MIN_WAGE
    "field": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),                  # max_management_fee_rate
}
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm", "data-busy")
SKIPPED = ("/static/", "/logout", "/api/v1/")


class Reading(HTMLParser):
    """What a person reads on a page (its text and the attributes a browser shows) and where its links go."""

    def __init__(self, skip_code: bool):
        super().__init__(convert_charrefs=True)
        self.text, self.links = [], []
        self._hidden = 0                  # inside <script>, <style> or (on the API page) <code>
        self._skip = ("script", "style", "code") if skip_code else ("script", "style")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self._skip:
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        self.text += [attrs[name] for name in SHOWN_ATTRIBUTES if attrs.get(name)]

    def handle_endtag(self, tag):
        if tag in self._skip and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


# what has those shapes and is for people: a link's address, a website's name (a source seen on a website), and
# the names people sign in with
ADDRESS = re.compile(r"https?://\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|html?)\b")


def found_in(text: str, usernames: set[str]) -> list[tuple[str, str]]:
    text = ADDRESS.sub(" ", text)
    return [(name, m.group()) for name, shape in SHAPES.items() for m in shape.finditer(text)
            if m.group() not in usernames]


def read_file(response) -> str:
    if response.mimetype == "application/pdf":
        return subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                              check=True).stdout.decode()
    if response.mimetype == "text/csv":
        return response.data.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if isinstance(cell, str) and not cell.startswith("="))


def crawl(client, usernames: set[str], limit: int = 400) -> dict[str, list]:
    """Every page reachable from the home page by GET links, and the files they offer: what each shows."""
    seen, queue, hits = set(), ["/", "/budgets/", "/rosters/"], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code in (200, 202, 302), (url, response.status_code)
        if response.status_code == 302:
            queue.append(urlsplit(response.location).path or url)
            continue
        if response.mimetype != "text/html":
            text = read_file(response)
        else:
            page = Reading(skip_code=url == "/api")
            page.feed(response.get_data(as_text=True))
            text = "\n".join(page.text)
            for href in page.links:
                target = urlsplit(urljoin("http://localhost" + url, href))
                if target.netloc == "localhost" and not target.path.startswith(SKIPPED):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
        found = found_in(text, usernames)
        if found:
            hits[url] = found
    assert len(seen) < limit, "more pages than expected: a link that makes new pages?"
    return hits


class Week:
    """The test world after a working week, and each page a person was shown after an action (with its flash)."""

    def __init__(self, app):
        self.app, self.shown = app, {}
        self.world = world.build()
        self.users = {u.username: u for u in db.session.scalars(select(User))}

    def client(self, username):
        return log_in(self.app.test_client(), username)

    def post(self, client, url, **data):
        response = client.post(url, follow_redirects=True, **data)
        assert response.status_code in (200, 400), (url, response.status_code)
        self.shown[f"POST {url}"] = response
        return response


def busy_week(app) -> Week:
    """New figures confirmed (so budgets and rosters meet a new set), another pending, one rejected, a district's
    tier entered; budgets with the programme's rules broken, recomputed, copied, deleted, submitted, approved,
    returned, shared; rosters shared; users and organisations made."""
    week = Week(app)
    w, users = week.world, week.users
    admin, admin2 = week.client("admin"), week.client("admin2")
    week.post(admin, "/admin/parameters/family/si.base_floor", data=NEW_BASE)
    row = db.session.scalar(select(ParamValue).where(ParamValue.status == "pending"))
    week.post(admin2, f"/admin/parameters/values/{row.id}/confirm")
    week.post(admin, "/admin/parameters/family/si.base_ceiling", data={**NEW_BASE, "value": "23,000"})
    week.post(admin2, "/admin/parameters/family/si.employer.pension",
              data={**NEW_BASE, "value": "15%", "start": "2027-01-01", "end": ""})
    rejected = db.session.scalars(select(ParamValue).where(ParamValue.status == "pending")).all()[-1]
    week.post(admin, f"/admin/parameters/values/{rejected.id}/reject", data={"reason": "文号有误"})
    week.post(admin, "/admin/parameters/districts", data={
        "district": "城口县", "region": "tier1", "start": "2026-12-01",
        **{k: NEW_BASE[k] for k in ("doc_no", "title", "issuer", "doc_date", "url", "confidence")}})
    # a source checked against the original (confirmed), another proposed and rejected, one notice of two figures
    for key, verb in (("si-2023", "confirm"), ("si-2022", "reject")):
        source = db.session.scalar(select(ParamSource).where(ParamSource.key == key))
        week.post(admin, f"/admin/parameters/sources/{source.id}/verify", data={
            "doc_no": source.doc_no, "title": source.title, "issuer": source.issuer, "doc_date": "2023-07-10",
            "confidence": "verified_mirror", "verified_by": "重庆市民政局", "verified_on": "2026-11-20", "note": "原件"})
        check = db.session.scalar(select(ParamSourceCheck).where(ParamSourceCheck.source_id == source.id))
        week.post(admin2, f"/admin/parameters/checks/{check.id}/{verb}", data={"reason": "须对照原件"})
    notice = week.post(admin, "/admin/parameters/notice", data={
        **{k: NEW_BASE[k] for k in ("doc_no", "title", "issuer", "doc_date", "url", "confidence")},
        "doc_no": "渝人社发〔2026〕31号", "start": "2027-01-01", "end": "2027-12-31",
        "rows-0-target": "si.base_floor|cq", "rows-0-value": "4,700",
        "rows-1-target": "si.base_ceiling|cq", "rows-1-value": "2,350,000", "rows-1-note": "按新口径", "acknowledge": "y"})
    assert notice.status_code == 200 and "已录入 2 个数值" in notice.get_data(as_text=True)
    week.post(admin, "/admin/organisations", data={"name": "新社工中心", "kind": "contractor"})
    week.post(admin, "/admin/users", data={"username": "new.one", "display_name": "新人", "password": "first-pass-2026",
                                           "organisation": str(users["c_user"].organisation_id), "role": "preparer"})

    preparer, approver = week.client("a_prep"), week.client("a_appr")
    week.post(preparer, f"/budgets/{w.budget_a}/recompute", data={"revision": "1"})
    week.post(preparer, f"/budgets/{w.budget_a}/duplicate", data={"revision": "2"})
    copy_id = max(b.id for b in db.session.scalars(select(Budget)))
    week.post(preparer, f"/budgets/{copy_id}/delete", data={"revision": "1"})
    ruled = world.sample(name="规则项目", appropriation="100000.00")
    ruled |= {"management_fee_rate": "0.10",
              "rules": {"max_management_fee_rate": "0.08", "min_personnel_share": "0.99",
                        "pay_floor": {"junior": "9000.00", "mid": "9000.00"}}}
    budgets = {name: service.create_budget(users["a_prep"], data, current_parameters())
               for name, data in (("ruled", ruled), ("approved", world.sample(name="已审核项目")),
                                  ("returned", world.sample(name="退回项目")))}
    for name in ("ruled", "approved", "returned"):
        budget = budgets[name]
        errors = service.result_of(budget.latest).errors
        if errors:
            service.justify(budget, users["a_prep"], {f.key: "经区财政局同意按此执行" for f in errors}, 1)
        if name != "ruled":
            service.submit(budget, users["a_prep"], 1, confirmed=True)
    service.approve(budgets["approved"], users["a_appr"], 1, confirmed=True)
    db.session.commit()
    week.post(approver, f"/budgets/{budgets['returned'].id}/return", data={"reason": "请核对人数", "revision": "1"})
    week.post(preparer, f"/budgets/{budgets['approved'].id}/share",
              data={"contractor": str(users["c_user"].organisation_id), "revision": "1"})
    week.post(preparer, f"/budgets/{budgets['ruled'].id}/contract", data={"contract_no": "渝北民政〔2026〕8号",
                                                                          "party_a": "", "party_b": ""})
    changed = ruled | {"rules": {"max_management_fee_rate": "0.09", "pay_floor": {"junior": "8000.00"}},
                       "contractor": {"taxpayer": "small_scale", "location": "county_town"}}
    service.save_revision(budgets["ruled"], users["a_prep"], changed, current_parameters(), "调整规则", 1)
    db.session.commit()

    contractor = week.client("c_user")
    response = upload(contractor, f"/rosters/import?budget={w.budget_a}",
                      roster_file([person(), person(**{"姓名或工号": "SG-002", "月应发工资": "2000.00"})]))
    roster = response.location.rsplit("/", 1)[-1]
    week.post(contractor, f"/rosters/{roster}/share", data={"revision": "1"})

    # a confirmed figure corrected: the budgets priced with it are listed, one draft kept as it is with a reason
    floor = db.session.scalar(select(ParamValue).where(ParamValue.family_key == "si.base_floor",
                                                       ParamValue.start == date(2025, 1, 1)))
    week.post(admin, "/admin/parameters/family/si.base_floor",
              data={**NEW_BASE, "value": "4,405", "start": "2025-01-01", "end": "2025-12-31", "note": "原文为 4405 元",
                    "replaces": str(floor.id)})
    correction = db.session.scalar(select(ParamValue).where(ParamValue.replaces_id == floor.id))
    week.post(admin2, f"/admin/parameters/values/{correction.id}/confirm")
    listed = db.session.scalar(select(RevisionCorrection.id).join(Revision).where(
        Revision.budget_id == budgets["returned"].id))
    week.post(preparer, f"/budgets/{budgets['returned'].id}/corrections/{listed}/keep",
              data={"revision": "1", "reason": "合同按签订时的基数执行"})
    done = set(db.session.scalars(select(AuditEntry.action)))
    assert {"param_add", "param_confirm", "param_reject", "source_check", "source_check_confirm",
            "source_check_reject", "budget_recompute", "duplicate", "delete", "justify",
            "approve", "return", "share", "contract", "save", "roster_import", "roster_share", "create_org",
            "create_user", "correction_keep"} <= done, "the week's work was not all done"
    return week


def test_no_page_or_file_shows_an_internal_key(app):
    week = busy_week(app)
    usernames = set(db.session.scalars(select(User.username)))
    found = []
    for action, response in week.shown.items():
        page = Reading(skip_code=False)
        page.feed(response.get_data(as_text=True))
        found += [(f"after {action}", *hit) for hit in found_in("\n".join(page.text), usernames)]
    for username in ("admin", "a_prep", "a_appr", "c_user"):
        for url, hits in crawl(week.client(username), usernames).items():
            found += [(url, *hit) for hit in hits]
    said = sorted({f"{shape}「{text}」 on {where}" for where, shape, text in found})
    assert not said, "\n".join(said)


def test_the_history_says_a_changed_rule_or_tax_setting_in_words(app, client):
    w = world.build()
    preparer = db.session.scalar(select(User).where(User.username == "a_prep"))
    data = world.sample(name="A 项目")
    data |= {"rules": {"max_management_fee_rate": "0.09", "pay_floor": {"junior": "4000.00"}},
             "contractor": {"taxpayer": "general", "location": "county_town", "work_injury_rate": "0.004",
                            "work_injury_rate_reason": "工伤保险费率核定通知书"}}
    service.save_revision(db.session.get(Budget, w.budget_a), preparer, data, current_parameters(), "调整", 1)
    db.session.commit()
    page = log_in(client, "a_prep").get(f"/budgets/{w.budget_a}/history?a=1&b=2").get_data(as_text=True)
    assert "项目规则：管理费费率上限 8%；人员经费最低占比 60% → 管理费费率上限 9%；薪酬下限 初级 4,000.00 元" in page
    assert ("承接主体税务设置：纳税人类型 小规模纳税人；城建税所在地 市区 → 纳税人类型 一般纳税人；城建税所在地 县城、镇；"
            "工伤保险费率 0.4%；工伤保险费率理由 工伤保险费率核定通知书") in page
