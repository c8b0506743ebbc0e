"""Signing in and out, with lock-out after repeated failures."""
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..models import User, db, utcnow
from . import service
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no backslash, no control or space characters."""
    if target and target.startswith("/") and not any(ch in target for ch in "\\") \
            and not any(ord(ch) < 0x21 or ch.isspace() for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("budgets.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("budgets.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        # the row stays locked until commit, so parallel guesses are counted one after another
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip())
                                 .with_for_update())
        now = utcnow()
        locked_until = user.locked_until if user else None
        if locked_until is not None and locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=now.tzinfo)
        if user and locked_until and locked_until > now:
            minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
            error = f"该账号因多次密码错误已锁定，请 {minutes} 分钟后再试，或请管理员解除锁定"
        elif user and user.active and user.check_password(form.password.data):
            user.failed_logins, user.locked_until = 0, None
            login_user(user)
            service.record("sign_in", f"user:{user.id}", user=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        else:
            error = "用户名或密码不正确"
            if user:
                user.failed_logins += 1
                service.record("sign_in_failed", f"user:{user.id}", f"连续失败 {user.failed_logins} 次", user=user)
                limit = current_app.config["LOGIN_MAX_FAILURES"]
                if user.failed_logins >= limit:
                    user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
                    user.failed_logins = 0
                    service.record("locked", f"user:{user.id}", user=user)
                    error = (f"密码连续错误 {limit} 次，账号已锁定 "
                             f"{current_app.config['LOGIN_LOCK_MINUTES']} 分钟")
                db.session.commit()
    return render_template("accounts/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    service.record("sign_out", f"user:{current_user.id}")
    db.session.commit()
    logout_user()
    flash("已退出", "info")
    return redirect(url_for("auth.login"))
