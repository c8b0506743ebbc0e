"""The roster entry form mirrors the check contract: ``roster-3-employer_rates-pension`` is
``roster[3].employer_rates.pension``; the engine validates every value."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Form, FormField, HiddenField, StringField

from ..engine.model import CATEGORIES, CERTIFICATES, CONTRIBUTION_LABELS, LEVELS
from ..web.forms import RowList
from ..web.forms import select as _select


class RatesForm(Form):
    pension = StringField(f"{CONTRIBUTION_LABELS['pension']}单位费率")
    medical = StringField(f"{CONTRIBUTION_LABELS['medical']}单位费率")
    serious_illness = StringField(f"{CONTRIBUTION_LABELS['serious_illness']}单位费率")
    unemployment = StringField(f"{CONTRIBUTION_LABELS['unemployment']}单位费率")
    work_injury = StringField(f"{CONTRIBUTION_LABELS['work_injury']}单位费率")


class PersonForm(Form):
    id = StringField("姓名或工号")
    post = StringField("岗位")
    # blank: the budget post's of the same name (a file row may leave it so; editing keeps it so)
    category = _select("类别", CATEGORIES, blank="同预算岗位", default="")
    level = _select("等级", LEVELS, default="junior")
    certificate = _select("证书", CERTIFICATES, default="assistant_social_worker")
    certificate_no = StringField("证书编号")
    monthly_pay = StringField("月应发工资")
    monthly_allowance = StringField("职业津贴")
    annual_bonus = StringField("年终奖")
    si_base = StringField("申报基数")
    employer_rates = FormField(RatesForm)
    housing_fund_rate = StringField("公积金比例")
    months = StringField("在岗月数")


class RosterForm(FlaskForm):
    name = StringField("方案名称")
    roster = RowList(FormField(PersonForm), min_entries=0)
    version = HiddenField()


class UploadForm(FlaskForm):
    file = FileField("花名册文件（.xlsx 或 .csv）")
