"""``flask --app wsgi costing create-admin|demo|seed``: each calls the features' services."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .accounts import service as accounts
from .budgets import service as budgets
from .models import ParamState, db
from .parameters import service as parameters
from .paths import ROOT
from .web import current_parameters

DEMO_PASSWORD = "demo-2025"
DEMO_USERS = [
    # username, display name, organisation, kind, role, admin
    ("admin", "系统管理员", "重庆市民政局", "bureau", "approver", True),
    ("admin.fuhe", "赵强（参数复核）", "重庆市民政局", "bureau", "approver", True),
    ("yubei.bianzhi", "张敏（编制）", "渝北区民政局", "purchaser", "preparer", False),
    ("yubei.shenhe", "李华（审核）", "渝北区民政局", "purchaser", "approver", False),
    ("shegong.caiwu", "王芳（财务）", "重庆市渝北区和光社会工作服务中心", "contractor", "preparer", False),
]


def load_demo() -> bool:
    """Create the demo organisations, users and sample budget unless they exist. True if created."""
    if accounts.username_taken("yubei.bianzhi"):
        return False
    if db.session.get(ParamState, 1) is None:          # the demo budget is computed with the database's set
        parameters.seed_files(db.session)
        db.session.commit()
    users = {}
    for username, name, org_name, kind, role, admin in DEMO_USERS:
        users[username] = accounts.create_user(username, name, DEMO_PASSWORD, accounts.organisation(org_name, kind),
                                               role, admin)
    sample = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    budget = budgets.create_budget(users["yubei.bianzhi"], sample, current_parameters(), "示例预算")
    budgets.share(budget, users["yubei.bianzhi"], users["shegong.caiwu"].organisation)
    db.session.commit()
    return True


def register_commands(app) -> None:
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
        if accounts.username_taken(username):
            raise click.BadParameter(f"用户名 {username} 已存在", param_hint="--username")
        accounts.create_user(username, display_name, password, accounts.organisation(organisation, "bureau"),
                             "approver", True)
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
        try:
            report = parameters.seed_files(db.session, Path(folder) if folder else None)
        except (OSError, ValueError, KeyError) as exc:
            raise click.ClickException(f"数据文件有误：{exc}") from None
        if report.changed or report.skipped:
            accounts.record("params_seed", folder or "shipped",
                            f"新增 {report.values} 个数值、{report.districts} 条区县档次" +
                            "".join(f"；{line}" for line in report.closed + report.skipped))
        db.session.commit()
        click.echo(f"政策参数：新增 {report.values} 个数值、{report.districts} 条区县档次，"
                   f"参数集 {parameters.today_version(db.session)}")
        for line in report.closed:
            click.echo(f"  {line}")
        for line in report.skipped:
            click.echo(f"  未导入：{line}")

    app.cli.add_command(group)
