"""Every label people read, once. The engine's own tables (categories, levels, certificates, tiers,
confidence…) are its home for labels its messages use; the rest of the words are here."""
from __future__ import annotations

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
from ..engine.parameters import CONFIDENCE, TIER_LABELS
from ..engine.result import CONFIDENCE_LABELS
from ..engine.roster import STATUS as PERSON_STATUS

__all__ = ["CATEGORIES", "CERTIFICATES", "CONTRIBUTION_LABELS", "CONTRIBUTIONS", "COST_CATEGORIES", "LEVELS",
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
               "months": "月数", "si_base": "申报基数", "housing_fund_rate": "公积金比例"}
COST_FIELDS = {"category": "类别", "name": "名称", "quantity": "数量", "unit": "单位", "unit_price": "单价"}
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
    """重庆市, 第一档, 市区, 社会工作师 … for a region code; unknown codes as they are."""
    return REGIONS.get(code, code)


def tier(code: str) -> str:
    return TIER_LABELS.get(code, code)
