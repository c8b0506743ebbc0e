"""Every label people read, once. The engine's own tables (categories, levels, certificates, tiers,
confidence…) are its home for labels its messages use; the rest of the words are here."""
from __future__ import annotations

import re

from ..engine.annual import SPLIT_RULE
from ..engine.model import (
    CATEGORIES,
    CERTIFICATES,
    CONTRIBUTION_LABELS,
    CONTRIBUTIONS,
    COST_CATEGORIES,
    LEVELS,
    LOCATIONS,
    SITE_FIELD_LABELS,
    SITE_TYPES,
    TAXPAYERS,
)
from ..engine.parameters import CONFIDENCE, TIER_LABELS, UNVERIFIED
from ..engine.result import CONFIDENCE_LABELS
from ..engine.roster import STATUS as PERSON_STATUS

__all__ = ["SPLIT_RULE", "CATEGORIES", "CERTIFICATES", "CONTRIBUTION_LABELS", "CONTRIBUTIONS", "COST_CATEGORIES", "LEVELS",
           "LOCATIONS", "SITE_FIELD_LABELS", "SITE_TYPES", "TAXPAYERS", "CONFIDENCE", "CONFIDENCE_LABELS",
           "TIER_LABELS", "PERSON_STATUS"]

LEVELS_SHORT = {"none": "—", "junior": "初级", "mid": "中级", "senior": "高级"}
# column headings of the annex and the workbook (the page's narrower table uses CONTRIBUTIONS_SHORT)
CONTRIBUTION_COLUMNS = {"pension": "养老保险", "medical": "医疗保险", "serious_illness": "大额医疗",
                        "unemployment": "失业保险", "work_injury": "工伤保险", "housing_fund": "住房公积金"}
CONTRIBUTIONS_SHORT = {"pension": "养老", "medical": "医疗", "serious_illness": "大额医疗", "unemployment": "失业",
                       "work_injury": "工伤", "housing_fund": "公积金"}
# the fields of a staff line and of a cost line, as the form and the revision history name them
POST_FIELDS = {"post": "岗位", "category": "类别", "level": "等级", "certificate": "证书", "headcount": "人数",
               "monthly_pay": "月应发工资", "monthly_allowance": "职业津贴", "annual_bonus": "年终奖",
               "months": "月数", "si_base": "申报基数", "housing_fund_rate": "公积金比例",
               "start": "在岗起始月份", "end": "在岗截止月份", "pay_changes": "调薪"}
COST_FIELDS = {"category": "类别", "name": "名称", "quantity": "数量", "unit": "单位", "unit_price": "单价", "year": "年度"}
# what each finding code is called where people read it (codes stay in the API and the CLI)
FINDINGS = {
    "PAY_BELOW_MIN_WAGE": "低于最低工资", "PAY_BELOW_FLOOR": "低于薪酬下限", "CERTIFICATE_BELOW_LEVEL": "证书与岗位等级不符",
    "SI_BASE_BELOW_PAY": "缴费基数低于工资", "SI_BASE_BELOW_FLOOR": "缴费基数按下限计", "SI_BASE_ABOVE_CEILING": "缴费基数按上限计",
    "SI_RATE_BELOW_STATUTORY": "单位费率低于法定", "HOUSING_FUND_RATE_OUT_OF_RANGE": "公积金比例超出范围",
    "PERSONNEL_SHARE_BELOW_MIN": "人员经费占比不足", "MANAGEMENT_FEE_ABOVE_CAP": "管理费超过上限",
    "OVER_APPROPRIATION": "超出预算控制数", "OVER_APPROPRIATION_YEAR": "超出年度预算控制数", "STAFFING_BELOW_NORM": "专业人才配备不足",
    "PARAMETER_CARRIED_FORWARD": "沿用上期数值", "PARAMETER_UNVERIFIED": "来源未经核实",
    "TAX_RATES_CHANGE_IN_PERIOD": "服务期内税率变化", "NO_PERSONNEL": "没有人员经费", "ALLOWANCE_STANDARD_MISSING": "职业津贴标准未录入",
    "ALLOWANCE_STANDARD_NOT_YET": "职业津贴标准尚未执行", "PAY_BELOW_BUDGET": "低于预算安排", "ROSTER_ABOVE_BUDGET": "超出预算人员经费", "HEADCOUNT_MISMATCH": "人数与预算不同",
}
# where a line's 职业津贴 comes from, or why it has none (pricing.ALLOWANCE_SOURCES); what a blank one means, with
# the posts the standard is for, is worded from the data in costing/results/defaults.py
ALLOWANCE_SOURCES = {"given": "本行填写", "standard": "本区县标准", "no_certificate": "无证书",
                     "not_covered": "该类别不在职业津贴标准的适用范围", "not_entered": "本区县标准未录入",
                     "not_yet": "本区县标准在本岗位在岗期间尚未执行"}
# a finding that is best said at a field of the form while the budget is typed: (field of its row, words)
FIELD_HINTS = {"ALLOWANCE_STANDARD_MISSING": ("monthly_allowance", "本区县职业津贴标准未录入，可按本区规定填写"),
               "ALLOWANCE_STANDARD_NOT_YET": ("monthly_allowance", "本区县职业津贴标准在服务期开始后才执行，此前月份按 0 计；可按本区规定填写")}
# the contract's field names as a person reads them (for a problem or a finding that names no row)
FIELD_NAMES = {
    "input": "输入", "project": "项目", "contractor": "承接主体", "rules": "项目规则", "totals": "合计", "site": "配备标准",
    "name": "名称", "district": "区县", "start": "开始月份", "end": "结束月份", "appropriation": "预算控制数",
    "appropriation_by_year": "各年度预算控制数",
    "type": "场所类型", "taxpayer": "纳税人类型", "location": "城建税所在地", "work_injury_rate": "工伤保险费率",
    "management_fee_rate": "管理费费率", "min_personnel_share": "人员经费最低占比",
    "max_management_fee_rate": "管理费费率上限", "pay_floor": "薪酬下限", "junior": "初级", "mid": "中级",
    "senior": "高级", "grand_total": "预算总额", "personnel_share": "人员经费占比", "parameters": "政策参数",
    "employer_rates": "单位费率", "id": "姓名或工号", **SITE_FIELD_LABELS, **CONTRIBUTION_LABELS,
}
ROWS = {"personnel": "人员", "costs": "直接费用", "roster": "花名册"}
# how surely a figure is known, as a reader of a budget or an annex is told: whether an organisation checked its
# citation against the primary text (administrators keep the finer CONFIDENCE levels of their own research)
INPUT_STANDING = "预算填写"
# where a figure comes from: confirmed by the bureau's administrators in the app (two-person rule), or the data
# shipped with the software (or imported from such files)
ORIGINS = {"admin": "主管部门录入并复核", "shipped": "随软件发布", "imported": "数据文件导入", "input": "预算填写"}
BASIS_GROUPS = {"admin": "主管部门录入并复核的数值（本系统管理员录入，另一名管理员复核）",
                "shipped": "随软件发布的数值（依据公开文本整理）", "input": "本预算填写的数值"}


def standing(verified_by: str | None, verified_on: str | None) -> str:
    """「经 XX 核实（日期）」 where a named organisation checked the citation against the primary text on a date,
    else 「待主管部门核实」."""
    if verified_by and verified_on:
        return f"经{verified_by}核实（{verified_on}）"
    return UNVERIFIED
SEVERITY = {"error": "错误", "warning": "提示", "info": "说明"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
REVISION_STATUS = {"draft": "草稿", "submitted": "已提交", "approved": "已审核"}
ANNEX_STATUS = {"draft": "草稿（未经审核）", "submitted": "已提交（待审核）", "approved": "已审核"}
REGIONS = {**TIER_LABELS, "cq": "重庆市", "all": "全国", **LOCATIONS, **CERTIFICATES}
UNITS = {"CNY/month": "元/月", "CNY/hour": "元/小时", "rate": "比例", "factor": "系数", "persons": "人",
         "workers": "人"}
# the parts of the grand total, as the budget page's bar draws them
COMPOSITION = {"pay": ("工资、津贴与奖金", "#1d5f8a"), "social_insurance": ("单位社会保险", "#4f8fba"),
               "housing_fund": ("住房公积金", "#8fbcd9"), "direct": ("直接费用", "#c9a227"),
               "management_fee": ("管理费", "#7a9a5b"), "tax": ("税费", "#a5a5a5")}
PERSON_STATUS_STYLE = {"ok": "approved", "attention": "submitted", "fail": "fail"}


def region(code: str) -> str:
    """重庆市, 第一档, 市区, 社会工作师, 渝北区 社会工作师 (a district's own standard: "渝北区:social_worker") … for a
    region code; unknown codes as they are."""
    district, _, rest = code.rpartition(":")
    if district:
        return f"{district} {REGIONS.get(rest, rest)}"
    return REGIONS.get(code, code)


def tier(code: str) -> str:
    return TIER_LABELS.get(code, code)


def finding(code: str) -> str:
    """What a finding code is called: 低于最低工资 for PAY_BELOW_MIN_WAGE (the code itself if unknown)."""
    return FINDINGS.get(code, code)


def place(path: str) -> str:
    """A contract path as a person reads it: personnel[2].monthly_pay → 人员第 3 行 月应发工资;
    contractor.work_injury_rate_reason → 承接主体 工伤保险费率理由; comparison[社工] → 岗位「社工」."""
    if path.startswith("comparison[") and path.endswith("]"):
        return f"岗位「{path[len('comparison['):-1]}」"
    words = []
    for part in path.split("."):
        row = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        if row and row.group(1) in ROWS:
            words.append(f"{ROWS[row.group(1)]}第 {int(row.group(2)) + 1} 行")
            continue
        reason = part.removesuffix("_reason")
        name = FIELD_NAMES.get(reason) or POST_FIELDS.get(reason) or COST_FIELDS.get(reason) or part
        words.append(name + ("理由" if reason != part else ""))
    return " ".join(words)
