"""The engine's input: a service-purchase budget as frozen dataclasses."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .periods import Month

CATEGORIES = {
    "children_youth": "儿童和青少年事务", "elderly": "老年", "women": "妇女", "disability": "残疾人",
    "community": "社区", "family": "家庭", "social_assistance": "社会救助", "veterans": "优抚安置",
    "justice": "司法", "medical": "医务", "enterprise": "企业", "other": "其他",
}
LEVELS = {"none": "无等级（非专业岗位）", "junior": "初级", "mid": "中级", "senior": "高级"}
CERTIFICATES = {
    "none": "无", "social_work_worker": "社会工作员", "assistant_social_worker": "助理社会工作师",
    "social_worker": "社会工作师", "senior_social_worker": "高级社会工作师",
}
TAXPAYERS = {"general": "一般纳税人", "small_scale": "小规模纳税人", "exempt": "免征增值税"}
LOCATIONS = {"urban": "市区", "county_town": "县城、镇", "other": "其他地区"}
COST_CATEGORIES = {
    "supervision_training": "督导培训", "activities": "服务活动", "administration": "行政办公",
    "other": "其他",
}
SITE_TYPES = {
    "urban_community": "城市社区", "rural_community": "农村社区", "trade_union": "街道（乡镇）、开发区工会",
    "social_work_org": "民办社会工作服务机构", "school": "学校", "corrections": "社区矫正、戒毒、安置帮教机构",
}
# what each site type needs to be checked against the staffing norm (seed 二(三)), and the least value of each
SITE_FIELDS = {"workers": 0, "total_posts": 1, "people": 1, "people_per_worker": 1}
SITE_FIELD_LABELS = {"workers": "工会职工人数", "total_posts": "机构岗位总数", "people": "学生或服务对象人数",
                     "people_per_worker": "每名社工对应人数"}
SITE_NEEDS = {"trade_union": ("workers",), "social_work_org": ("total_posts",),
              "school": ("people", "people_per_worker"), "corrections": ("people", "people_per_worker")}
CONTRIBUTIONS = ("pension", "medical", "serious_illness", "unemployment", "work_injury", "housing_fund")
CONTRIBUTION_LABELS = {
    "pension": "养老保险", "medical": "医疗保险（含生育）", "serious_illness": "大额医疗互助",
    "unemployment": "失业保险", "work_injury": "工伤保险", "housing_fund": "住房公积金",
}


@dataclass(frozen=True)
class Site:
    type: str
    workers: int | None = None        # trade_union: 职工人数
    total_posts: int | None = None    # social_work_org: 岗位总数
    people: int | None = None         # school: 学生人数; corrections: 服务对象人数
    people_per_worker: int | None = None  # school / corrections: 每名社会工作者对应人数（设定）


@dataclass(frozen=True)
class Project:
    name: str
    district: str
    start: Month
    end: Month
    appropriation: Decimal | None = None
    site: Site | None = None
    # each 年度's own appropriation, checked against that year's total: ((2027, amount), …), years ascending
    appropriation_by_year: tuple[tuple[int, Decimal], ...] = ()


@dataclass(frozen=True)
class Contractor:
    taxpayer: str = "general"
    location: str = "urban"
    work_injury_rate: Decimal | None = None
    work_injury_rate_reason: str | None = None


@dataclass(frozen=True)
class PayChange:
    """The monthly pay of a line from a month on (until the next change)."""
    start: Month
    monthly_pay: Decimal


@dataclass(frozen=True)
class Post:
    post: str
    category: str
    level: str
    certificate: str
    headcount: int
    monthly_pay: Decimal
    months: int
    monthly_allowance: Decimal | None = None
    annual_bonus: Decimal = Decimal("0")
    si_base: Decimal | None = None
    housing_fund_rate: Decimal | None = None
    # why a default is overridden (required with the override, see parse.OVERRIDES)
    monthly_allowance_reason: str | None = None
    si_base_reason: str | None = None
    housing_fund_rate_reason: str | None = None
    # the months the post is filled: ``months`` of them from ``first`` months after the project start (0: its
    # first month; a line given as start/end, or as the first N months)
    first: int = 0
    pay_changes: tuple[PayChange, ...] = ()

    def pay_steps(self, project_start: Month) -> list[tuple[int, int, Decimal]]:
        """(offset from the project start, months, monthly pay) for each run of months with one pay."""
        edges = [(self.first, self.monthly_pay)] + [(c.start.index - project_start.index, c.monthly_pay)
                                                    for c in self.pay_changes]
        stop = self.first + self.months
        return [(offset, (edges[i + 1][0] if i + 1 < len(edges) else stop) - offset, pay)
                for i, (offset, pay) in enumerate(edges)]


@dataclass(frozen=True)
class CostLine:
    category: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    year: int | None = None          # the 年度 the cost falls in; None: spread over the months of the period


@dataclass(frozen=True)
class Rules:
    min_personnel_share: Decimal | None = None
    max_management_fee_rate: Decimal | None = None
    pay_floor: tuple[tuple[str, Decimal], ...] = ()

    def floor_for(self, level: str) -> Decimal | None:
        return dict(self.pay_floor).get(level)


@dataclass(frozen=True)
class Budget:
    project: Project
    contractor: Contractor
    personnel: tuple[Post, ...]
    costs: tuple[CostLine, ...]
    management_fee_rate: Decimal = Decimal("0")
    rules: Rules = Rules()
    # an override that differs from its default needs its reason (checked once priced: see budget.compute)
    reasons_required: bool = True

    @property
    def months(self) -> int:
        return self.project.end.index - self.project.start.index + 1
