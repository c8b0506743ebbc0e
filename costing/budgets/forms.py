"""The budget form mirrors the compute contract: a field named ``personnel-2-monthly_pay`` is the
contract's ``personnel[2].monthly_pay``. Fields are text; the engine validates every value, so the
form, the API and the CLI give the same messages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, FormField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ..results import labels
from ..web import current_parameters, today
from ..web.forms import FreeText, RowList, Visible
from ..web.forms import select as _select


def district_choices() -> list[SelectChoice]:
    """The districts grouped by their minimum-wage tier today (a budget uses the tier in force at its start)."""
    params = current_parameters()
    on = today()

    def group(name):
        tier = next((e.tier for e in reversed(params.history[name]) if e.start <= on), None)
        return f"最低工资{labels.tier(tier)}" if tier else "将列入名单"
    return [SelectChoice("", "请选择区县")] + [SelectChoice(name, name, optgroup=group(name))
                                            for name in params.districts]


class SiteForm(Form):
    type = _select("配备标准检查", labels.SITE_TYPES, blank="不检查")
    workers = StringField(labels.SITE_FIELD_LABELS["workers"])
    total_posts = StringField(labels.SITE_FIELD_LABELS["total_posts"])
    people = StringField(labels.SITE_FIELD_LABELS["people"])
    people_per_worker = StringField(labels.SITE_FIELD_LABELS["people_per_worker"])


class ProjectForm(Form):
    name = StringField("项目名称")
    district = SelectField("区县", choices=district_choices, validate_choice=False)
    start = StringField("开始月份")
    end = StringField("结束月份")
    appropriation = StringField("预算控制数（元）")
    appropriation_by_year = StringField(labels.FIELD_NAMES["appropriation_by_year"])
    site = FormField(SiteForm)


class ContractorForm(Form):
    taxpayer = _select("纳税人类型", labels.TAXPAYERS, default="general")
    location = _select("城建税所在地", labels.LOCATIONS, default="urban")
    # the page says what a blank one is, from the parameters (views._render_form: results.defaults.work_injury_label)
    work_injury_rate = StringField("工伤费率")
    work_injury_rate_reason = StringField("理由")


class PostForm(Form):
    post = StringField(labels.POST_FIELDS["post"])
    category = _select(labels.POST_FIELDS["category"], labels.CATEGORIES, default="community")
    level = _select(labels.POST_FIELDS["level"], labels.LEVELS, default="junior")
    certificate = _select(labels.POST_FIELDS["certificate"], labels.CERTIFICATES, default="assistant_social_worker")
    headcount = StringField(labels.POST_FIELDS["headcount"], default="1")
    monthly_pay = StringField(labels.POST_FIELDS["monthly_pay"])
    monthly_allowance = StringField(labels.POST_FIELDS["monthly_allowance"])
    annual_bonus = StringField(labels.POST_FIELDS["annual_bonus"])
    months = StringField(labels.POST_FIELDS["months"])
    start = StringField(labels.POST_FIELDS["start"])
    end = StringField(labels.POST_FIELDS["end"])
    pay_changes = StringField(labels.POST_FIELDS["pay_changes"])
    si_base = StringField(labels.POST_FIELDS["si_base"])
    housing_fund_rate = StringField(labels.POST_FIELDS["housing_fund_rate"])
    # required by the engine when the default beside it is overridden (parse.OVERRIDES)
    monthly_allowance_reason = StringField("理由")
    si_base_reason = StringField("理由")
    housing_fund_rate_reason = StringField("理由")


class CostForm(Form):
    category = _select(labels.COST_FIELDS["category"], labels.COST_CATEGORIES, default="activities")
    name = StringField(labels.COST_FIELDS["name"])
    quantity = StringField(labels.COST_FIELDS["quantity"])
    unit = StringField(labels.COST_FIELDS["unit"])
    unit_price = StringField(labels.COST_FIELDS["unit_price"])
    year = StringField(labels.COST_FIELDS["year"])


class PayFloorForm(Form):
    junior = StringField("初级岗位薪酬下限")
    mid = StringField("中级岗位薪酬下限")
    senior = StringField("高级岗位薪酬下限")


class RulesForm(Form):
    min_personnel_share = StringField("人员经费最低占比")
    max_management_fee_rate = StringField("管理费费率上限")
    pay_floor = FormField(PayFloorForm)


class BudgetForm(FlaskForm):
    project = FormField(ProjectForm)
    contractor = FormField(ContractorForm)
    personnel = RowList(FormField(PostForm), min_entries=0)
    costs = RowList(FormField(CostForm), min_entries=0)
    management_fee_rate = StringField("管理费费率")
    rules = FormField(RulesForm)
    note = StringField("修订说明", validators=[FreeText()])
    base_revision = HiddenField()


class ContractForm(FlaskForm):
    contract_no = StringField("合同编号", validators=[Length(max=100, message="最多 100 个字符"), Visible()])
    party_a = StringField("甲方（采购人）", validators=[Length(max=200, message="最多 200 个字符"), Visible()])
    party_b = StringField("乙方（承接主体）", validators=[Length(max=200, message="最多 200 个字符"), Visible()])


class ShareForm(FlaskForm):
    contractor = SelectField("承接主体", choices=[], validate_choice=False)
