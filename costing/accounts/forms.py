"""Forms for signing in, changing one's password and administering organisations and users."""
from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from ..models import ORG_KINDS, ROLES, Organisation, db
from ..web.forms import Visible, choices
from . import passwords
from .service import username_taken


def _password_rules(username_field: str | None = None):
    """The rules of ``passwords`` as a validator (with the user name from that field, or the signed-in user's)."""
    def check(form, field):
        username = form[username_field].data.strip() if username_field else form.username
        message = passwords.problem(field.data or "", username or "")
        if message:
            raise ValidationError(message)
    return check


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[InputRequired("请输入用户名"), Length(max=80)])
    password = PasswordField("密码", validators=[InputRequired("请输入密码"), Length(max=200)])


MUNICIPAL = "重庆市"          # an organisation of the municipal level (市民政局), not of one district


class OrganisationEditForm(FlaskForm):
    """An organisation's name and district (its kind stays what it was made as)."""
    name = StringField("单位名称", validators=[InputRequired("请填写单位名称"), Length(max=200, message="最多 200 个字符"), Visible()])
    district = SelectField("所在区县", choices=[], validate_choice=False)

    def set_districts(self, names: list[str]) -> None:
        self.district.choices = [("", "未指定"), (MUNICIPAL, f"{MUNICIPAL}（市级）")] + [(n, n) for n in names]

    def validate_district(self, field):
        if field.data and field.data not in {value for value, _ in field.choices}:
            raise ValidationError("请从列表中选择区县")


class OrganisationForm(OrganisationEditForm):
    kind = SelectField("类型", choices=choices(ORG_KINDS))

    def validate_name(self, field):
        if db.session.scalar(select(Organisation).where(Organisation.name == field.data.strip())):
            raise ValidationError("已有同名单位")


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[
        InputRequired("请填写用户名"), Length(min=3, max=80, message="3–80 个字符"),
        Regexp(r"^[A-Za-z0-9._-]+$", message="只能包含字母、数字、点、下划线和连字符")])
    display_name = StringField("姓名", validators=[InputRequired("请填写姓名"), Length(max=100, message="最多 100 个字符"),
                                                 Visible()])
    password = PasswordField("初始密码", description=f"{passwords.RULES}；本人首次登录时须改为自己的密码",
                             validators=[InputRequired("请设置初始密码"), _password_rules("username")])
    organisation = SelectField("所属单位", coerce=int, choices=[])
    role = SelectField("角色", choices=choices(ROLES))
    is_admin = BooleanField("提议设为管理员（须另一位管理员确认后生效）")

    def validate_username(self, field):
        if username_taken(field.data.strip()):
            raise ValidationError("用户名已被使用")


class PasswordForm(FlaskForm):
    """One's own new password: the current one, and the new one twice. ``username`` is set by the view."""
    current = PasswordField("当前密码", validators=[InputRequired("请输入当前密码"), Length(max=200)])
    new = PasswordField("新密码", description=passwords.RULES,
                        validators=[InputRequired("请输入新密码"), _password_rules()])
    again = PasswordField("再次输入新密码", validators=[InputRequired("请再次输入新密码"),
                                                    EqualTo("new", message="两次输入的新密码不一致")])
    username = ""

    def validate_new(self, field):
        if field.data and field.data == self.current.data:
            raise ValidationError("新密码不能与当前密码相同")


class ClientForm(FlaskForm):
    """An administrator lifts a client address's wait."""
    client = StringField("地址", validators=[InputRequired(), Length(max=64)])
