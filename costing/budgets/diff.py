"""What changed between two revisions: project fields, lines and totals (from stored figures)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from ...engine.model import CATEGORIES, CERTIFICATES, COST_CATEGORIES, LEVELS

POST_FIELDS = {"post": "岗位", "category": "类别", "level": "等级", "certificate": "证书", "headcount": "人数",
               "monthly_pay": "月应发工资", "monthly_allowance": "职业津贴", "annual_bonus": "年终奖",
               "months": "月数", "si_base": "申报基数", "housing_fund_rate": "公积金比例",
               "monthly_allowance_reason": "津贴理由", "si_base_reason": "申报基数理由",
               "housing_fund_rate_reason": "公积金比例理由"}
COST_FIELDS = {"category": "类别", "name": "名称", "quantity": "数量", "unit": "单位", "unit_price": "单价"}
PROJECT_FIELDS = {"name": "项目名称", "district": "区县", "start": "开始月份", "end": "结束月份",
                  "appropriation": "预算控制数"}
TOTALS = {"personnel": "人员经费", "direct": "直接费用", "management_fee": "管理费", "tax": "税费",
          "grand_total": "预算总额"}
LABELS = {**CATEGORIES, **LEVELS, **CERTIFICATES, **COST_CATEGORIES}


@dataclass(frozen=True)
class Change:
    kind: str                 # added / removed / changed
    label: str
    fields: tuple[tuple[str, str, str], ...] = ()   # (field, before, after)
    total_before: str | None = None
    total_after: str | None = None


def _show(key, value) -> str:
    if value is None or value == "":
        return "（空）"
    return LABELS.get(value, str(value)) if key in ("category", "level", "certificate") else str(value)


def _match(old: list[dict], new: list[dict], key: str):
    """Pair lines by name and occurrence, so reordering is not a change."""
    def keyed(lines):
        seen, out = {}, {}
        for index, line in enumerate(lines):
            name = line.get(key, "")
            seen[name] = seen.get(name, 0) + 1
            out[(name, seen[name])] = index
        return out
    a, b = keyed(old), keyed(new)
    return ([(a[k], b[k]) for k in a if k in b], [a[k] for k in a if k not in b],
            [b[k] for k in b if k not in a])


def _line_changes(old_in, new_in, old_out, new_out, fields, key, total_key) -> list[Change]:
    pairs, removed, added = _match(old_in, new_in, key)
    changes = []
    for i, j in pairs:
        diff = tuple((label, _show(f, old_in[i].get(f)), _show(f, new_in[j].get(f)))
                     for f, label in fields.items() if old_in[i].get(f) != new_in[j].get(f))
        before, after = old_out[i][total_key], new_out[j][total_key]
        if diff or before != after:
            changes.append(Change("changed", new_in[j].get(key, ""), diff, before, after))
    changes += [Change("removed", old_in[i].get(key, ""), total_before=old_out[i][total_key]) for i in removed]
    changes += [Change("added", new_in[j].get(key, ""), total_after=new_out[j][total_key]) for j in added]
    return changes


def compare(old, new) -> dict:
    """old and new are Revision rows; the comparison uses only what each stored."""
    oi, ni = json.loads(old.input_json), json.loads(new.input_json)
    oo, no = json.loads(old.result_json), json.loads(new.result_json)
    project = [(label, _show(k, oi["project"].get(k)), _show(k, ni["project"].get(k)))
               for k, label in PROJECT_FIELDS.items() if oi["project"].get(k) != ni["project"].get(k)]
    others = [(label, _show(k, oi.get(k)), _show(k, ni.get(k)))
              for k, label in (("management_fee_rate", "管理费费率"),) if oi.get(k) != ni.get(k)]
    if oi.get("contractor") != ni.get("contractor"):
        others.append(("承接主体税务设置", json.dumps(oi.get("contractor", {}), ensure_ascii=False),
                       json.dumps(ni.get("contractor", {}), ensure_ascii=False)))
    if oi.get("rules") != ni.get("rules"):
        others.append(("项目规则", json.dumps(oi.get("rules", {}), ensure_ascii=False),
                       json.dumps(ni.get("rules", {}), ensure_ascii=False)))
    totals = []
    for k, label in TOTALS.items():
        change = Decimal(no["totals"][k]) - Decimal(oo["totals"][k])
        direction = "up" if change > 0 else "down" if change < 0 else ""
        totals.append((label, oo["totals"][k], no["totals"][k], str(change), direction))
    return {
        "project": project + others,
        "personnel": _line_changes(oi.get("personnel", []), ni.get("personnel", []), oo["personnel"],
                                   no["personnel"], POST_FIELDS, "post", "total"),
        "costs": _line_changes(oi.get("costs", []), ni.get("costs", []), oo["costs"], no["costs"],
                               COST_FIELDS, "name", "amount"),
        "totals": totals,
    }
