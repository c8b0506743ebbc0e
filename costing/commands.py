"""``flask --app wsgi costing create-admin|demo|seed|backup|restore``: each calls the features' services
(backup and restore: ``costing.backup``)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from . import backup as backups
from . import clock
from .accounts import service as accounts
from .budgets import service as budgets
from .models import ParamState, db
from .parameters import service as parameters
from .paths import ROOT
from .results import labels
from .results.format import figure
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
    budgets.share(budget, users["yubei.bianzhi"], users["shegong.caiwu"].organisation, budget.latest.number)
    # a contract over two years: a post filled from a month, raises in the second year, each year's appropriation
    contract = json.loads((ROOT / "docs" / "example-contract.json").read_text("utf-8"))
    budgets.create_budget(users["yubei.bianzhi"], contract, current_parameters(), "示例预算：两年合同")
    db.session.commit()
    return True


def register_commands(app) -> None:
    group = AppGroup("costing", help="costing 管理命令")      # each command runs in an application context

    @group.command("create-admin")
    @click.option("--username", prompt="用户名")
    @click.option("--name", "display_name", default="系统管理员", show_default=True)
    @click.option("--organisation", default="重庆市民政局", show_default=True)
    @click.password_option("--password", prompt="密码", confirmation_prompt=True)
    def create_admin(username, display_name, organisation, password):
        """创建管理员账号（首个账号用它创建；此后的管理员在网页上由一位管理员提议、另一位确认）。"""
        problem = accounts.password_problem(password, username)
        if problem:
            raise click.BadParameter(f"{problem}（{accounts.PASSWORD_RULES}）", param_hint="--password")
        if accounts.username_taken(username):
            raise click.BadParameter(f"用户名 {username} 已存在", param_hint="--username")
        accounts.create_user(username, display_name, password, accounts.organisation(organisation, "bureau"),
                             "approver", True)
        db.session.commit()
        click.echo(f"已创建管理员 {username}")

    @group.command("reset-password")
    @click.option("--username", prompt="用户名")
    @click.password_option("--password", prompt="临时密码", confirmation_prompt=True)
    def reset_password(username, password):
        """重置一个账号的密码（管理员忘记密码时用）：设临时密码，该账号的所有登录立即退出，登录后须设置新密码。"""
        user = accounts.find_user(username)
        if user is None:
            raise click.BadParameter(f"没有用户 {username}", param_hint="--username")
        problem = accounts.password_problem(password, username)
        if problem:
            raise click.BadParameter(f"{problem}（{accounts.PASSWORD_RULES}）", param_hint="--password")
        accounts.reset_by_operator(user, password, clock.now())
        db.session.commit()
        click.echo(f"已重置 {username} 的密码；该账号的所有登录已退出，用临时密码登录后须设置新密码")

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
    @click.option("--by", "username", default=None,
                  help="提出这些数值的管理员（用户名）；从目录导入时必填，复核须由另一位管理员进行")
    def seed_command(folder, username):
        """把数据文件中的政策参数带入数据库：空数据库直接载入；已有数据时，新的或改动的数值都作为待复核的提议，
        由另一位管理员在网页上复核（两人原则），并逐行列出提议、未改动与未导入（及原因）。"""
        by = None
        if username:
            by = accounts.find_user(username)
            if by is None or not by.is_admin or not by.active:
                raise click.BadParameter(f"{username} 不是在用的管理员", param_hint="--by")
        elif folder and db.session.get(ParamState, 1) is not None:
            raise click.BadParameter("从目录导入时须用 --by 写明提出这些数值的管理员（用户名）；"
                                     "复核须由另一位管理员在网页上进行", param_hint="--by")
        try:
            report = parameters.seed_files(db.session, Path(folder) if folder else None, by=by, today=clock.today())
        except (OSError, ValueError, KeyError) as exc:
            raise click.ClickException(f"数据文件有误：{exc}") from None
        if report.changed or report.refused:
            # what is about the files, never where they are on the server
            accounts.record("params_seed", "file" if folder else "shipped", report.summary, user=by)
            how = "从数据文件导入" if folder else "随软件发布的新数值"
            for line in report.proposed:
                kind = "param" if line.row.__tablename__ == "param_value" else "tier"
                accounts.record("param_add", f"{kind}:{line.row.id}", f"{parameters.describe(line.row)}（{how}，待复核）"
                                + (f"；提示：{line.why}" if line.why else ""), user=by)
        db.session.commit()
        click.echo(("政策参数（空数据库，直接载入）：" if report.first else "政策参数：") + report.summary
                   + f"；参数集 {parameters.today_version(db.session)}")
        for line in report.lines:
            if folder or not line.startswith("未改动："):       # an upgrade: what it changes (the rest is counted)
                click.echo(f"  {line}")
        if report.proposed:
            click.echo("  待复核的数值由" + ("另一位管理员" if by else "管理员") + "在网页“政策参数”中复核通过后生效")

    @group.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="文件已存在时覆盖它")
    def backup_command(file, force):
        """把整个数据库备份到一个文件（全部表，含已存的附件；gzip 压缩的 JSON Lines）。"""
        try:
            summary = backups.write_backup(file, overwrite=force)
        except backups.BackupError as exc:
            _fail(f"备份失败：{exc}")
        click.echo(f"已备份到 {summary.path}：{len(summary.rows)} 张表、{summary.total} 行，{_size(summary.size)}，"
                   f"用时 {summary.seconds:.1f} 秒；数据库结构版本 {summary.schema}")
        if summary.skipped:
            click.echo(f"  注意：数据库中不属于本软件的表没有备份：{', '.join(summary.skipped)}")

    @group.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def restore_command(file):
        """把备份文件恢复到一个空数据库（COSTING_DATABASE_URL 所指；还没有表时先建表）。"""
        target = db.engine.url.render_as_string(hide_password=True)
        try:
            summary = backups.restore(file)
        except backups.BackupError as exc:
            _fail(f"恢复失败：{exc}")
        made = (f"（备份于北京时间 {summary.created_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M}）"
                if summary.created_at else "")
        click.echo(f"已把 {summary.path}{made}恢复到 {target}：{len(summary.rows)} 张表、{summary.total} 行，"
                   f"用时 {summary.seconds:.1f} 秒；数据库结构版本 {summary.schema}")

    @group.command("corrections")
    def corrections_command():
        """列出用了此后更正的政策参数的预算修订及各自的差额（升级后运行一次：此前复核通过的更正也逐一列出；已列出的不变）。"""
        params = current_parameters()
        found = [budgets.follow_correction(c) for c in budgets.corrections_in_force()]
        db.session.commit()
        for followed in found:
            budgets.price_correction_now(followed.correction.id, params)
            c = followed.correction
            click.echo(f"{c.family.label} {labels.region(c.region)} {c.start or '日期不详'} 起更正为 "
                       f"{figure(c.value, c.family.unit)}：用到原数值的修订 {len(followed.rows)} 个"
                       f"（本次新列出 {followed.new} 个）")
        click.echo(f"共 {len(found)} 项更正" if found else "没有更正数值的政策参数")

    app.cli.add_command(group)


def _fail(message: str):
    click.echo(message, err=True)
    raise SystemExit(1)


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"
