"""Signing in and out, one's own password, and the password to set before anything else.

Every failed sign-in gets the same answer, whether the name is unknown, the password wrong or the account
deactivated, and takes the same time (one password hash check and the same queries); a client that failed
too often is told to wait, whatever name it tries (``throttle``)."""
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..models import db, utcnow
from . import passwords, service, throttle
from .forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__)
FAILED = "用户名或密码不正确"
# what someone who must set their own password first may still reach
BEFORE_PASSWORD = {"auth.password", "auth.logout", "static", "ops.healthz", "ops.readyz", "main.favicon"}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no backslash, no control or space characters."""
    if target and target.startswith("/") and not any(ch in target for ch in "\\") \
            and not any(ord(ch) < 0x21 or ch.isspace() for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("budgets.index")


def _client() -> str:
    """The client's address (the proxy's X-Forwarded-For when COSTING_PROXY_HOPS says to trust it)."""
    return request.remote_addr or "unknown"


def origin() -> service.Origin:
    """Where this request comes from: the client's address and this browser's id, which its session keeps across
    sign-ins and sign-outs (one browser signed in as two people is still one browser)."""
    return service.Origin(_client(), session.setdefault("browser", secrets.token_urlsafe(12)))


def _throttled(minutes: int) -> str:
    return f"登录失败次数过多，请 {minutes} 分钟后再试，或请管理员解除锁定"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("budgets.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username, client, now = service.username_key(form.username.data), _client(), utcnow()
        attempt = throttle.begin(db.session, username, client, now, throttle.Limits.from_config(current_app.config))
        if attempt.wait_minutes:
            error = _throttled(attempt.wait_minutes)
        else:
            user, allowed = service.authenticate(username, form.password.data)
            if allowed:
                throttle.succeeded(db.session, username, client)
                service.signed_in(user, form.password.data)
                login_user(user)
                service.record("sign_in", f"user:{user.id}", f"来自 {client}", user=user)
                db.session.commit()
                if user.must_change_password:
                    return redirect(url_for("auth.password", next=request.args.get("next")))
                return redirect(_safe_next(request.args.get("next")))
            error = FAILED
            # the same entry either way (a name that is no account is not written down: it may be a password)
            detail = f"来自 {client}" + ("；账号已停用" if user and user.active is False else
                                         "；所在单位已停用" if user and not user.organisation.active else "")
            service.record("sign_in_failed", f"user:{user.id}" if user else "", detail, user=user)
            if attempt.reached:
                service.record("throttled", "", f"{client} 须等待 {current_app.config['LOGIN_THROTTLE_MINUTES']} "
                                                "分钟后再试", user=user)
            db.session.commit()
    return render_template("accounts/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    service.end_sessions(user)                 # a copy of this session's cookie is signed out too
    service.record("sign_out", f"user:{user.id}", user=user)
    db.session.commit()
    logout_user()
    flash("已退出", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    user = current_user._get_current_object()
    form = PasswordForm()
    form.username = user.username
    error = None
    if form.validate_on_submit():
        client = _client()
        attempt = throttle.begin(db.session, user.username, client, utcnow(),
                                 throttle.Limits.from_config(current_app.config))
        if attempt.wait_minutes:
            error = _throttled(attempt.wait_minutes)
        elif not passwords.verify(user.password_hash, form.current.data):
            form.current.errors = ["当前密码不正确"]
            service.record("sign_in_failed", f"user:{user.id}", f"修改密码时当前密码不正确，来自 {client}", user=user)
            db.session.commit()
        else:
            throttle.succeeded(db.session, user.username, client)
            service.change_password(user, form.new.data, utcnow(), origin())
            db.session.commit()
            login_user(user)                   # this browser goes on under the new session version
            flash("已修改密码；其他浏览器或设备上的登录均已退出", "success")
            return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.errors or error else 200
    return render_template("accounts/password.html", form=form, error=error, rules=passwords.RULES,
                           forced=user.must_change_password), status


@bp.before_app_request
def _own_password_first():
    """Someone signed in with a password an administrator set does nothing before setting their own."""
    if request.endpoint in BEFORE_PASSWORD or request.endpoint is None or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.password"))     # the page says why
    return None
