"""A small world for web tests: two purchasers, two contractors, an administrator, two budgets."""
from __future__ import annotations

import copy
import html
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import select

from costing.accounts.service import create_user
from costing.budgets import service
from costing.models import Organisation, db
from costing.web import current_parameters

PASSWORD = "correct-horse"
SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "docs" / "example-budget.json").read_text("utf-8"))


@dataclass
class World:
    users: dict
    budget_a: int      # purchaser A's budget, shared with contractor C
    budget_b: int      # purchaser B's budget


def sample(**project) -> dict:
    data = json.loads(json.dumps(SAMPLE))
    data["project"].update(project)
    return data


def budget_with(lines: int = 3, months: int = 12) -> dict:
    """The example budget with ``lines`` personnel lines (each overriding two defaults, with its reasons) over
    ``months`` months from 2025-07."""
    data = copy.deepcopy(SAMPLE)
    year, month = divmod(2025 * 12 + 6 + months - 1, 12)
    data["project"] |= {"start": "2025-07", "end": f"{year}-{month + 1:02d}"}
    line = dict(data["personnel"][1], si_base="9000.00", si_base_reason="按承接机构社会保险登记的申报基数列明",
                annual_bonus="3000.00")
    data["personnel"] = [dict(line, post=f"社会工作者 {i + 1}") for i in range(lines)]
    return data


def build() -> World:
    orgs = {key: Organisation(name=name, kind=kind) for key, name, kind in (
        ("A", "渝北区民政局", "purchaser"), ("B", "江北区民政局", "purchaser"),
        ("C", "和光社工中心", "contractor"), ("D", "同心社工中心", "contractor"), ("X", "重庆市民政局", "bureau"))}
    db.session.add_all(orgs.values())
    db.session.flush()
    users = {
        "a_prep": create_user("a_prep", "A 编制", PASSWORD, orgs["A"], "preparer"),
        "a_appr": create_user("a_appr", "A 审核", PASSWORD, orgs["A"], "approver"),
        "a_prep2": create_user("a_prep2", "A 编制二", PASSWORD, orgs["A"], "preparer"),
        "b_prep": create_user("b_prep", "B 编制", PASSWORD, orgs["B"], "preparer"),
        "c_user": create_user("c_user", "C 财务", PASSWORD, orgs["C"], "preparer"),
        "d_user": create_user("d_user", "D 财务", PASSWORD, orgs["D"], "preparer"),
        "admin": create_user("admin", "管理员", PASSWORD, orgs["X"], "approver", is_admin=True),
        "admin2": create_user("admin2", "复核管理员", PASSWORD, orgs["X"], "approver", is_admin=True),
    }
    budget_a = service.create_budget(users["a_prep"], sample(name="A 项目"), current_parameters())
    service.share(budget_a, users["a_prep"], orgs["C"], 1)
    budget_b = service.create_budget(users["b_prep"], sample(name="B 项目"), current_parameters())
    db.session.commit()
    return World(users={k: u.id for k, u in users.items()}, budget_a=budget_a.id, budget_b=budget_b.id)


def org_id(name: str) -> int:
    return db.session.scalar(select(Organisation.id).where(Organisation.name == name))


def log_in(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def form_fields(data: dict, prefix: str = "") -> dict:
    """Contract input → the flat field names the budget form posts (personnel-0-post …)."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}-{key}" if prefix else key
        if isinstance(value, dict):
            out.update(form_fields(value, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                out.update(form_fields(item, f"{name}-{index}"))
        else:
            out[name] = str(value)
    return out


class _FormReader(HTMLParser):
    """The fields a browser would post, untouched, from the form whose id is ``which`` or whose action ends with it."""

    def __init__(self, which: str):
        super().__init__()
        self.which, self.inside, self.fields = which, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.which or (a.get("action") or "").endswith(self.which)
        elif not self.inside or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "checkbox", "radio", "file"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" in a:
            self.fields[a["name"]] = a.get("value") or "on"
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(a["name"], "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def page_form(page: str, which: str) -> dict:
    """What the form (by id, or by the end of its action) on a page posts when its user changes nothing."""
    page = re.sub(r"<template\b.*?</template>", "", page, flags=re.S)     # rows a script adds are not posted
    reader = _FormReader(which)
    reader.feed(page)
    selects = re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S)
    for name, options in ((m.group(1), m.group(2)) for m in selects):
        if name in reader.fields:
            chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', options)
            first = re.search(r'<option[^>]*value="([^"]*)"', options)
            reader.fields[name] = html.unescape((chosen.group(1) or chosen.group(2)) if chosen else
                                                (first.group(1) if first else ""))
    return reader.fields
