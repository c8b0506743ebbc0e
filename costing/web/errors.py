"""Error pages in Chinese (never a traceback), JSON errors for the API, and refusing NUL bytes."""
from __future__ import annotations

from flask import abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..models import db
from . import ops

# the API's code for a problem with the request itself, by HTTP status
API_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
             415: "unsupported_media_type", 429: "too_many_requests", 500: "server_error"}


def _api_error(message: str, status: int):
    """The API's answer to a problem with the request itself: its path is "request"."""
    return jsonify(errors=[{"path": "request", "message": message, "code": API_CODES.get(status, "bad_request")}]), status


def error_page(exc: HTTPException):
    """An HTTP error in Chinese: a page, or JSON for the API (a feature's own handler falls back to it)."""
    messages = {404: "页面不存在或无权查看", 405: "不支持的请求方式", 413: "提交的内容过大",
                400: "请求有误", 403: "无权执行此操作", 415: "不支持的内容类型", 429: "请求过于频繁，请稍后重试"}
    message = messages.get(exc.code, "请求无法处理")
    db.session.rollback()
    # the error's own headers, such as a 405's Allow (RFC 9110 requires it), go with our body
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    if request.path.startswith("/api/"):
        body, status = _api_error(message, exc.code)
        return body, status, headers
    return render_template("error.html", code=exc.code, message=message), exc.code, headers


def register_errors(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = "页面已过期或来源无效，请刷新页面后重试"
        return render_template("error.html", code=400, message=message), 400

    @app.before_request
    def refuse_nul_bytes():
        """PostgreSQL cannot store NUL characters; no form field or query needs them."""
        values = list(request.args.values())
        # the JSON API reads its body itself (and refuses control characters there); parsing it as a
        # form here would consume it when a client sends no JSON content type
        if request.method == "POST" and not request.path.startswith("/api/") and request.mimetype in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
            values += list(request.form.values())
        if any("\x00" in value for value in values):
            abort(400)

    app.register_error_handler(HTTPException, error_page)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if ops.database_unreachable(exc):
            app.logger.warning("database unreachable: %s", exc.__class__.__name__)
            try:
                db.session.rollback()
            except Exception:       # the connection is gone: nothing to roll back
                db.session.remove()
            return ops.unavailable_response()
        app.logger.exception("unhandled error")
        db.session.rollback()       # the page below reads the signed-in user through the session
        message = "服务器内部错误，已记录。请稍后重试或联系管理员。"
        if request.path.startswith("/api/"):
            return _api_error(message, 500)
        return render_template("error.html", code=500, message=message), 500
