"""Forms for signing in and for administering organisations and users."""
from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from ..models import ORG_KINDS, ROLES, Organisation, db
from ..web.forms import Visible, choices
from .service import username_taken


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired("请输入用户名"), Length(max=80)])
    password = PasswordField("密码", validators=[InputRequired("请输入密码"), Length(max=200)])


class OrganisationForm(FlaskForm):
    name = StringField("单位名称", validators=[InputRequired("请填写单位名称"), Length(max=200, message="最多 200 个字符"), Visible()])
    kind = SelectField("类型", choices=choices(ORG_KINDS))

    def validate_name(self, field):
        if db.session.scalar(select(Organisation).where(Organisation.name == field.data.strip())):
            raise ValidationError("已有同名单位")


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[
        InputRequired("请填写用户名"), Length(min=3, max=80, message="3–80 个字符"),
        Regexp(r"^[A-Za-z0-9._-]+$", message="只能包含字母、数字、点、下划线和连字符")])
    display_name = StringField("姓名", validators=[InputRequired("请填写姓名"), Length(max=100, message="最多 100 个字符"), Visible()])
    password = PasswordField("初始密码", validators=[InputRequired("请设置初始密码"),
                                                  Length(min=8, max=200, message="至少 8 位")])
    organisation = SelectField("所属单位", coerce=int, choices=[])
    role = SelectField("角色", choices=choices(ROLES))
    is_admin = BooleanField("管理员")

    def validate_username(self, field):
        if username_taken(field.data.strip()):
            raise ValidationError("用户名已被使用")
