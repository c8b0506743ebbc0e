"""``flask --app wsgi costing create-admin|demo``."""
from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from .engine.parameters import load_documents
from .models import Organisation, User, db

DEMO_PASSWORD = "demo-2025"
DEMO_USERS = [
    # username, display name, organisation, kind, role, admin
    ("admin", "系统管理员", "重庆市民政局", "bureau", "approver", True),
    ("admin.fuhe", "赵强（参数复核）", "重庆市民政局", "bureau", "approver", True),
    ("yubei.bianzhi", "张敏（编制）", "渝北区民政局", "purchaser", "preparer", False),
    ("yubei.shenhe", "李华（审核）", "渝北区民政局", "purchaser", "approver", False),
    ("shegong.caiwu", "王芳（财务）", "重庆市渝北区和光社会工作服务中心", "contractor", "preparer", False),
]


def _organisation(name: str, kind: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    return org


def create_user(username, display_name, password, organisation, role="preparer", is_admin=False) -> User:
    user = User(username=username, display_name=display_name, organisation=organisation, role=role,
                is_admin=is_admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def load_demo() -> bool:
    """Create the demo organisations, users and sample budget unless they exist. True if created."""
    from . import paramstore
    from .models import ParamState
    from .web.budgets import service
    if db.session.scalar(select(User).where(User.username == "yubei.bianzhi")):
        return False
    if db.session.get(ParamState, 1) is None:          # the demo budget is computed with the database's set
        paramstore.seed(db.session, load_documents())
        db.session.commit()
    users = {}
    for username, name, org_name, kind, role, admin in DEMO_USERS:
        users[username] = create_user(username, name, DEMO_PASSWORD, _organisation(org_name, kind), role, admin)
    sample = json.loads((Path(__file__).resolve().parent.parent / "docs" / "example-budget.json")
                        .read_text("utf-8"))
    budget = service.create_budget(users["yubei.bianzhi"], sample, "示例预算")
    service.share(budget, users["yubei.bianzhi"], users["shegong.caiwu"].organisation)
    db.session.commit()
    return True


def register(app) -> None:
    group = click.Group("costing", help="costing 管理命令")

    @group.command("create-admin")
    @click.option("--username", prompt="用户名")
    @click.option("--name", "display_name", default="系统管理员", show_default=True)
    @click.option("--organisation", default="重庆市民政局", show_default=True)
    @click.password_option("--password", prompt="密码", confirmation_prompt=True)
    def create_admin(username, display_name, organisation, password):
        """创建管理员账号（首个账号用它创建）。"""
        if len(password) < 8:
            raise click.BadParameter("密码至少 8 位", param_hint="--password")
        if db.session.scalar(select(User).where(User.username == username)):
            raise click.BadParameter(f"用户名 {username} 已存在", param_hint="--username")
        create_user(username, display_name, password, _organisation(organisation, "bureau"), "approver", True)
        db.session.commit()
        click.echo(f"已创建管理员 {username}")

    @group.command("demo")
    def demo():
        """载入演示数据（已存在则跳过）。"""
        if load_demo():
            click.echo("已载入演示数据。登录账号（密码均为 %s）：" % DEMO_PASSWORD)
            for username, name, org_name, *_ in DEMO_USERS:
                click.echo(f"  {username:16} {name}，{org_name}")
        else:
            click.echo("演示数据已存在")

    @group.command("seed")
    @click.option("--from", "folder", type=click.Path(exists=True, file_okay=False), default=None,
                  help="从该目录的数据文件导入（默认：随软件发布的数据文件）")
    def seed_command(folder):
        """把数据文件中的政策参数加入数据库（只添加数据库中还没有的数值，已有的不改动）。"""
        from . import paramstore
        from .web import audit
        try:
            documents = paramstore.read_documents(Path(folder)) if folder else load_documents()
        except (OSError, ValueError, KeyError) as exc:
            raise click.ClickException(f"数据文件有误：{exc}") from None
        report = paramstore.seed(db.session, documents, origin="imported" if folder else "shipped")
        if report.changed:
            audit.record("params_seed", folder or "shipped",
                         f"新增 {report.values} 个数值、{report.districts} 条区县档次" +
                         ("；" + "；".join(report.closed) if report.closed else ""))
        db.session.commit()
        click.echo(f"政策参数：新增 {report.values} 个数值、{report.districts} 条区县档次，"
                   f"参数集 {paramstore.today_version(db.session)}")
        for line in report.closed:
            click.echo(f"  {line}")

    app.cli.add_command(group)
