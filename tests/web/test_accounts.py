"""Signing in, waiting after repeated failures, cookies, CSRF, administration and the audit log (more of an
account's life in test_account_life.py, sign-in abuse in test_sign_in.py)."""
import re

from sqlalchemy import select

from costing.models import AuditEntry, Budget, Organisation, User, db

from . import world
from .world import PASSWORD, log_in


def test_sign_in_and_out(app, client):
    world.build()
    response = client.post("/login", data={"username": "a_prep", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/budgets/").status_code == 200
    client.post("/logout")
    assert client.get("/budgets/").status_code == 302


def test_wrong_password_is_a_chinese_message(app, client):
    world.build()
    response = client.post("/login", data={"username": "a_prep", "password": "nope"})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "nobody", "password": "nope"})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)


def test_repeated_failures_make_that_client_wait_until_unlocked(app, client):
    world.build()
    for _ in range(5):
        response = client.post("/login", data={"username": "a_prep", "password": "wrong"})
        assert "用户名或密码不正确" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "a_prep", "password": PASSWORD})
    assert response.status_code == 401 and "请 15 分钟后再试" in response.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.1"        # the owner elsewhere is not locked out
    log_in(other, "a_prep")
    admin = log_in(app.test_client(), "admin")
    user = db.session.scalar(select(User).where(User.username == "a_prep"))
    admin.post(f"/admin/users/{user.id}/unlock")
    assert client.post("/login", data={"username": "a_prep", "password": PASSWORD}).status_code == 302
    actions = [e.action for e in db.session.scalars(select(AuditEntry))]
    assert {"sign_in_failed", "throttled", "unlock", "sign_in"} <= set(actions)


def test_next_parameter_cannot_redirect_elsewhere(app, client):
    world.build()
    response = client.post("/login?next=//evil.example/x", data={"username": "a_prep", "password": PASSWORD})
    assert response.location == "/budgets/"


def test_csrf_is_required_on_forms(app, client):
    app.config["WTF_CSRF_ENABLED"] = True          # the test app turns it off; production never does
    w = world.build()
    refused = client.post("/login", data={"username": "a_prep", "password": PASSWORD})
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "a_prep", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    response = client.post("/budgets/new", data={"project-name": "无令牌"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "页面已过期" in page and 'value="无令牌"' in page
    assert client.post(f"/budgets/{w.budget_a}/submit").status_code == 400
    assert db.session.get(Budget, w.budget_a).status == "draft"
    # the live preview checks the token too, and says so instead of computing
    body = client.post("/budgets/preview", data={"project-name": "无令牌"}).get_json()
    assert body["ok"] is False and "页面已过期" in body["errors"][0]["message"]


def test_admin_creates_organisations_and_users(app, client):
    world.build()
    log_in(client, "admin")
    response = client.post("/admin/organisations", data={"name": "沙坪坝区民政局", "kind": "purchaser"})
    assert response.status_code == 302
    org = db.session.scalar(select(Organisation).where(Organisation.name == "沙坪坝区民政局"))
    response = client.post("/admin/users", data={"username": "spb.zhang", "display_name": "张三", "password": "short",
                                                  "organisation": org.id, "role": "preparer"})
    assert response.status_code == 400 and "10–128 个字符" in response.get_data(as_text=True)
    assert 'value="spb.zhang"' in response.get_data(as_text=True)
    response = client.post("/admin/users", data={"username": "spb.zhang", "display_name": "张三",
                                                  "password": "long-enough-1", "organisation": org.id,
                                                  "role": "preparer"})
    assert response.status_code == 302
    assert log_in(app.test_client(), "spb.zhang", "long-enough-1")
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "新建单位" in audit and "新建用户" in audit and "登录" in audit


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["costing", "create-admin", "--username", "root", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert user.is_admin and user.check_password("s3cret-pass")
    result = runner.invoke(args=["costing", "create-admin", "--username", "root", "--password", "s3cret-pass"])
    assert result.exit_code != 0 and "已存在" in result.output


def test_demo_command_is_idempotent(app):
    runner = app.test_cli_runner()
    assert "已载入演示数据" in runner.invoke(args=["costing", "demo"]).output
    assert "已存在" in runner.invoke(args=["costing", "demo"]).output
    client = app.test_client()
    log_in(client, "yubei.bianzhi", "demo-2025")
    assert "渝北区乡镇（街道）社会工作服务站项目" in client.get("/budgets/").get_data(as_text=True)


def test_staffing_page(client):
    page = client.get("/staffing?type=trade_union&workers=6500").get_data(as_text=True)
    assert "需配备 <strong>3</strong>" in page and "二(三)7" in page
    page = client.get("/staffing?type=trade_union&workers=６５００").get_data(as_text=True)   # full-width digits
    assert "需配备 <strong>3</strong>" in page
    page = client.get("/staffing?type=social_work_org&total_posts=abc").get_data(as_text=True)
    assert "必须是 1 到 10000000 之间的整数" in page and 'value="abc"' in page     # as on the budget form


def test_next_cannot_hide_a_host_behind_control_characters(app, client):
    world.build()
    for target in ("/%09/evil.example", "/\t/evil.example", "/%0d/x", "https://evil.example/"):
        response = client.post(f"/login?next={target}", data={"username": "a_prep", "password": PASSWORD})
        assert response.status_code == 302 and response.location == "/budgets/", target
        client.post("/logout")


def test_nul_bytes_are_refused_not_a_server_error(app, client):
    world.build()
    assert client.post("/login", data={"username": "a_prep\x00", "password": "x"}).status_code == 400
    assert client.get("/staffing?type=trade_union&workers=1%00").status_code == 400
