"""What changed between two computations of a budget: project fields, lines and totals, and the figures
they rest on. Used for the revision history, the save conflict page and the policy-change notice;
it reads only what each revision stored."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..engine.periods import Month, span_text
from ..engine.result import change
from ..engine.roster import id_key
from . import format as formats
from . import labels
from .budget import Basis, BudgetResult

POST_FIELDS = labels.POST_FIELDS | {"monthly_allowance_reason": "津贴理由", "si_base_reason": "申报基数理由",
                                   "housing_fund_rate_reason": "公积金比例理由"}
COST_FIELDS = labels.COST_FIELDS
PROJECT_FIELDS = {"name": "项目名称", "district": "区县", "start": "开始月份", "end": "结束月份",
                  "appropriation": "预算控制数", "appropriation_by_year": labels.FIELD_NAMES["appropriation_by_year"]}
TOTALS = {"personnel": "人员经费", "direct": "直接费用", "management_fee": "管理费", "tax": "税费",
          "grand_total": "预算总额"}
# a person of a pay proposal (花名册), as the roster's history names each change
ROSTER_FIELDS = {k: v for k, v in labels.POST_FIELDS.items() if k != "headcount"} | {
    "certificate_no": "证书编号", "employer_rates": "单位费率"}
RATES = frozenset({"housing_fund_rate"})
CODE_LABELS = {"category": {**labels.CATEGORIES, **labels.COST_CATEGORIES}, "level": labels.LEVELS,
               "certificate": labels.CERTIFICATES}


@dataclass(frozen=True)
class Change:
    kind: str                 # added / removed / changed
    label: str
    fields: tuple[tuple[str, str, str], ...] = ()   # (field, before, after)
    total_before: Decimal | None = None
    total_after: Decimal | None = None

    @property
    def delta(self) -> Decimal | None:
        if self.total_before is None or self.total_after is None:
            return None
        return change(self.total_before, self.total_after)


@dataclass(frozen=True)
class TotalChange:
    label: str
    before: Decimal
    after: Decimal

    @property
    def delta(self) -> Decimal:
        return change(self.before, self.after)

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else ""


@dataclass(frozen=True)
class Comparison:
    project: list[tuple[str, str, str]]
    personnel: list[Change]
    costs: list[Change]
    totals: list[TotalChange]

    @property
    def changed_lines(self) -> list[tuple[str, Decimal, Decimal, Decimal, bool]]:
        """(label, before, after, difference, is_total) for each line and total whose amount changes."""
        rows = [(c.label, c.total_before, c.total_after, c.delta, False)
                for c in self.personnel + self.costs if c.kind == "changed" and c.delta]
        rows += [(t.label, t.before, t.after, t.delta, True) for t in self.totals if t.delta]
        return rows


# amounts of the contract, shown as every amount is (300,000.00)
AMOUNTS = frozenset({"appropriation", "monthly_pay", "monthly_allowance", "annual_bonus", "si_base", "unit_price"})


def _show(key, value) -> str:
    if value is None or value == "":
        return "（空）"
    if key in ("pay_changes", "appropriation_by_year") and isinstance(value, (list, dict)):
        return formats.typed_list(key, value) or "（空）"
    if key == "employer_rates" and isinstance(value, dict):
        return "、".join(f"{labels.CONTRIBUTION_LABELS.get(k, k)} {formats.percent(v)}" for k, v in value.items()) or "（空）"
    shown = formats.percent if key in RATES else formats.money if key in AMOUNTS else None
    if shown is not None:
        try:
            return shown(str(value))
        except ArithmeticError:             # stored as typed before it was checked: as it is
            return str(value)
    return CODE_LABELS[key].get(value, str(value)) if key in CODE_LABELS else str(value)


def _match(old: list[dict], new: list[dict], key: str, same=lambda name: name):
    """Pair lines by name (as ``same`` makes it) and occurrence, so reordering is not a change."""
    def keyed(lines):
        seen, out = {}, {}
        for index, line in enumerate(lines):
            name = same(line.get(key, ""))
            seen[name] = seen.get(name, 0) + 1
            out[(name, seen[name])] = index
        return out
    a, b = keyed(old), keyed(new)
    return ([(a[k], b[k]) for k in a if k in b], [a[k] for k in a if k not in b],
            [b[k] for k in b if k not in a])


def _line_changes(old_in, new_in, old_amounts, new_amounts, fields, key, same=lambda name: name) -> list[Change]:
    pairs, removed, added = _match(old_in, new_in, key, same)
    changes = []
    for i, j in pairs:
        diff = tuple((label, _show(f, old_in[i].get(f)), _show(f, new_in[j].get(f)))
                     for f, label in fields.items() if old_in[i].get(f) != new_in[j].get(f))
        before, after = old_amounts[i], new_amounts[j]
        if diff or before != after:
            changes.append(Change("changed", new_in[j].get(key, ""), diff, before, after))
    changes += [Change("removed", old_in[i].get(key, ""), total_before=old_amounts[i]) for i in removed]
    changes += [Change("added", new_in[j].get(key, ""), total_after=new_amounts[j]) for j in added]
    return changes


# the settings a revision changes as a whole: the contractor's taxes and the programme's rules
SETTING_RATES = frozenset({"work_injury_rate", "min_personnel_share", "max_management_fee_rate"})
SETTING_CODES = {"taxpayer": labels.TAXPAYERS, "location": labels.LOCATIONS}


def _settings(data: dict, key: str) -> str:
    """承接主体税务设置 or 项目规则 in words: 纳税人类型 一般纳税人；管理费费率上限 8%；薪酬下限 初级 4,000.00 元."""
    def shown(name, value) -> str:
        if name == "pay_floor":                     # by level
            return "、".join(f"{labels.LEVELS.get(k, k)} {_show('unit_price', v)} 元" for k, v in value.items() if v)
        if name in SETTING_RATES:
            return _show("housing_fund_rate", value)
        return SETTING_CODES[name].get(value, str(value)) if name in SETTING_CODES else str(value)
    parts = [f"{labels.place(name)} {shown(name, value)}" for name, value in (data.get(key) or {}).items()
             if value not in (None, "", {})]
    return "；".join(parts) or "（未设定）"


def compare(old_input: dict, old: BudgetResult, new_input: dict, new: BudgetResult) -> Comparison:
    """Two computations of a budget, each with the input it was computed from."""
    oi, ni = old_input, new_input
    project = [(label, _show(k, oi["project"].get(k)), _show(k, ni["project"].get(k)))
               for k, label in PROJECT_FIELDS.items() if oi["project"].get(k) != ni["project"].get(k)]
    if oi.get("management_fee_rate") != ni.get("management_fee_rate"):
        project.append(("管理费费率", _show("", oi.get("management_fee_rate")), _show("", ni.get("management_fee_rate"))))
    if oi.get("contractor") != ni.get("contractor"):
        project.append(("承接主体税务设置", _settings(oi, "contractor"), _settings(ni, "contractor")))
    if oi.get("rules") != ni.get("rules"):
        project.append(("项目规则", _settings(oi, "rules"), _settings(ni, "rules")))
    return Comparison(
        project=project,
        personnel=_line_changes(oi.get("personnel", []), ni.get("personnel", []),
                                [line.total for line in old.personnel], [line.total for line in new.personnel],
                                POST_FIELDS, "post"),
        costs=_line_changes(oi.get("costs", []), ni.get("costs", []), [c.amount for c in old.costs],
                            [c.amount for c in new.costs], COST_FIELDS, "name"),
        totals=[TotalChange(label, old.totals.amount(k), new.totals.amount(k)) for k, label in TOTALS.items()])


def roster_changes(old: list[dict], new: list[dict]) -> list[Change]:
    """Person by person (by 姓名或工号, full- and half-width alike: ``id_key``), what one version of a pay proposal
    changes of another."""
    return _line_changes(old, new, [None] * len(old), [None] * len(new), ROSTER_FIELDS, "id", id_key)


def basis_changes(then: BudgetResult, now: BudgetResult) -> tuple[list[Basis], list[Basis]]:
    """The figures ``now`` rests on that ``then`` did not (added), and those it no longer does (dropped)."""
    before = {row.key: row for row in then.basis}
    after = {row.key: row for row in now.basis}
    return [row for key, row in after.items() if key not in before], [row for key, row in before.items()
                                                                       if key not in after]


RECALCULATED = "按新政策参数重新计算"
NOTE_LIMIT = 400                # characters of figures in a revision's note (its column holds 500)


def _month_values(result: BudgetResult) -> dict[tuple[str, str], dict[int, str]]:
    """Each figure the budget rests on (by label and region) and the value it takes in each month it is used."""
    values: dict[tuple[str, str], dict[int, str]] = {}
    for row in result.basis:
        months = values.setdefault((row.label, row.region_label), {})
        first, last = Month.parse(row.used_from).index, Month.parse(row.used_to).index
        for index in range(first, last + 1):
            months[index] = row.value_text
    return values


def _citations_changed(then: BudgetResult, now: BudgetResult) -> list[str]:
    """The figures whose document or verification changed though their values did not (a citation corrected, a
    source verified): by label and region, as 「最低工资标准（月）（第一档）经…核实」."""
    def cited(result):
        return {(row.label, row.region_label): (row.citation, row.standing) for row in result.basis}
    before, after = cited(then), cited(now)
    return [f"{label}（{region}）{after[key][1] if after[key][1] != before[key][1] else '的依据文件'}"
            for key in after if key in before and after[key] != before[key] for label, region in (key,)]


def recalculation_note(then: BudgetResult, now: BudgetResult) -> str:
    """Why a revision saved with the same input as the one before exists: 「按新政策参数重新计算：」 and, for each
    figure whose value changed in some months, those months and the values before → after (「社会保险缴费基数下限
    （月）（重庆市）2026-01 至 2026-06：4,404.00 元 → 4,600.00 元」)."""
    before, after = _month_values(then), _month_values(now)
    parts = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key, {}), after.get(key, {})
        spans: list[list] = []          # [first, last, before, after] of runs of months changed alike
        for index in sorted(set(old) | set(new)):
            pair = (old.get(index), new.get(index))
            if pair[0] == pair[1]:
                continue
            if spans and spans[-1][1] == index - 1 and (spans[-1][2], spans[-1][3]) == pair:
                spans[-1][1] = index
            else:
                spans.append([index, index, *pair])
        for first, last, was, becomes in spans:
            span = span_text(Month.from_index(first), Month.from_index(last))
            parts.append(f"{key[0]}（{key[1]}）{span}：{was or '未采用'} → {becomes or '不再采用'}")
    if not parts:
        cited = _citations_changed(then, now)
        if cited:
            return f"{RECALCULATED}（所用数值未变；依据有更新：{'、'.join(cited)}）"[:NOTE_LIMIT + 40]
        return f"{RECALCULATED}（所用数值未变）"
    shown, length = [], 0
    for part in parts:
        if length + len(part) > NOTE_LIMIT:
            break
        shown.append(part)
        length += len(part) + 1
    more = f"等 {len(parts)} 项" if len(shown) < len(parts) else ""
    return f"{RECALCULATED}：{'；'.join(shown)}{more}"
