"""What the JSON API takes from one caller (issue #14).

- Every POST is JSON: ``Content-Type: application/json`` (a charset, if given, is UTF-8), else 415. A page on
  another site can make its visitors' browsers post a form or ``text/plain`` anywhere without asking, but not
  ``application/json`` (the browser asks first, and this API answers no other origin): so no page elsewhere can
  spend this server's time through other people's browsers.
- A caller who is not signed in (no session cookie of a user) gets a smaller body, fewer lines and a shorter
  period than a signed-in one: the body is refused past ``API_ANONYMOUS_MAX_BYTES`` before any of it is read
  (413), lines and months are counted before anything is priced (422). Signed-in callers keep the app's limits:
  ``MAX_CONTENT_LENGTH`` and the parser's ``MAX_INPUT_BYTES``, ``MAX_LINES`` and ``MAX_MONTHS``.
- A limit on the pricing each signed-in user may ask for (``spend``): the API and the live previews of the budget
  and roster forms count the lines they price, plus WORK_PER_REQUEST for the request itself, against one
  allowance per user (WORK_RATE_LIMIT, default 50,000 lines a minute), refused with 429 and ``Retry-After``
  before anything is priced. What a request costs grows with its lines, hardly with its months (the engine prices
  each run of months with the same figures once): 5,000 staff lines take 0.58 s over 1 month, 0.70 s over 12
  and 0.60 s over 60; 5,000 cost lines 0.06 s; any request about 2.5 ms besides (README: 性能 › 测算量的限额).
- A rate limit per client address (Flask-Limiter; the address as ProxyFix leaves it behind
  ``COSTING_PROXY_HOPS`` proxies), stricter without a sign-in, answered 429 with ``Retry-After``. Counted in
  each server process's memory, or in Redis (one count for every process and node) when ``COSTING_REDIS_URL``
  is set; if Redis cannot be reached the count goes on in memory rather than failing the request.

Every setting is in SETTINGS (config key, environment variable, default); an empty rate limit is none.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, jsonify, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from flask_login import current_user
from limits import parse_many
from sqlalchemy.exc import DBAPIError

from ..engine.parse import MAX_INPUT_BYTES, MAX_LINES, MAX_MONTHS, Problem
from ..engine.periods import Month, months_between
from . import errors, ratestore

# config key: (environment variable, default)
SETTINGS: dict[str, tuple[str, Any]] = {
    "API_RATE_LIMIT": ("COSTING_API_RATE_LIMIT", "300 per minute"),                   # signed in
    "API_ANONYMOUS_RATE_LIMIT": ("COSTING_API_ANONYMOUS_RATE_LIMIT", "30 per minute"),
    "API_ANONYMOUS_MAX_BYTES": ("COSTING_API_ANONYMOUS_MAX_BYTES", 256 * 1024),
    "API_ANONYMOUS_MAX_LINES": ("COSTING_API_ANONYMOUS_MAX_LINES", 100),               # each of personnel, costs, roster
    "API_ANONYMOUS_MAX_MONTHS": ("COSTING_API_ANONYMOUS_MAX_MONTHS", 36),
    "WORK_RATE_LIMIT": ("COSTING_WORK_RATE_LIMIT", "50000 per minute"),   # lines priced, each signed-in user
    "RATE_LIMIT_FILE": ("COSTING_RATE_LIMIT_FILE", ""),        # without Redis; "" is instance/ratelimits.sqlite
}
# what a request costs besides its lines, in lines: about 2.5 ms of reading, checking and answering, as much as
# 20 staff lines priced (so a flood of one-line previews is counted too)
WORK_PER_REQUEST = 20
# the API's problem codes for these refusals (the OpenAPI document lists them)
UNSUPPORTED_MEDIA_TYPE, TOO_MANY_REQUESTS = errors.API_CODES[415], errors.API_CODES[429]
ANONYMOUS_LIMIT = "anonymous_limit"
_UNITS = {"second": "秒", "minute": "分钟", "hour": "小时", "day": "天", "month": "个月", "year": "年"}


class Refused(Exception):
    """The request is refused before its content is read or priced: ``status`` and the problems to answer (and
    for a 429, the seconds to wait)."""

    def __init__(self, status: int, problems: list[Problem], retry_after: int | None = None):
        self.status = status
        self.problems = problems
        self.retry_after = retry_after
        super().__init__("; ".join(str(p) for p in problems))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


@dataclass(frozen=True)
class Caps:
    """What one request of a caller who is not signed in may hold."""
    max_bytes: int
    max_lines: int
    max_months: int


def signed_in() -> bool:
    return current_user.is_authenticated


def caps() -> Caps | None:
    """The caps for this request's caller, or None for a signed-in one (the app's own limits apply)."""
    if signed_in():
        return None
    config = current_app.config
    return Caps(config["API_ANONYMOUS_MAX_BYTES"], config["API_ANONYMOUS_MAX_LINES"], config["API_ANONYMOUS_MAX_MONTHS"])


def require_json() -> None:
    """A 415 unless the body is declared JSON (in UTF-8, the only encoding JSON has: RFC 8259)."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.mimetype != "application/json" or charset not in ("utf-8", "utf8"):
        sent = f"收到的是 {request.content_type[:100]}" if request.content_type else "请求没有写 Content-Type"
        raise Refused(415, [Problem("request", f"请求体须为 JSON，Content-Type 应为 application/json（可带 charset=utf-8），"
                                               f"{sent}", UNSUPPORTED_MEDIA_TYPE)])


def read_body(limits: Caps | None) -> bytes:
    """The request body; for a caller with caps, refused (413) past them before any of it is parsed: by its
    Content-Length without reading it, or, sent in chunks without one, once the reading passes the cap (Werkzeug's
    own limit on such a stream would cut the body short at the limit instead of refusing it)."""
    if limits is None:
        return request.get_data(cache=False)      # MAX_CONTENT_LENGTH, then the parser's MAX_INPUT_BYTES
    length = request.content_length
    if length is not None and length > limits.max_bytes:
        raise Refused(413, [_too_large(limits, length)])
    body = bytearray()
    while len(body) <= limits.max_bytes:
        chunk = request.stream.read(min(64 * 1024, limits.max_bytes + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
    raise Refused(413, [_too_large(limits, None)])


def _too_large(limits: Caps, length: int | None) -> Problem:
    sent = f"请求体为 {length:,} 字节" if length is not None else "请求体超过上限"
    return Problem("request", f"{sent}；未登录时最多 {limits.max_bytes:,} 字节（{_size(limits.max_bytes)}），"
                              f"登录后最多 {_size(MAX_INPUT_BYTES)}", errors.API_CODES[413])


def _size(count: int) -> str:
    return f"{count // 1024 // 1024} MB" if count % (1024 * 1024) == 0 else f"{count / 1024:,.0f} KB"


def check_counts(data: Any, limits: Caps | None, budget_at: str = "") -> None:
    """A 422 when the input holds more lines or a longer period than its caller's caps; ``budget_at`` is where
    the budget is in it ("" for /compute, "budget" for /check, whose "roster" is counted too). Only what can be
    counted is: whatever else is wrong is the parser's to say."""
    if limits is None or not isinstance(data, dict):
        return
    budget = data.get(budget_at) if budget_at else data
    prefix = f"{budget_at}." if budget_at else ""
    budget = budget if isinstance(budget, dict) else {}
    lines = [(f"{prefix}personnel", budget.get("personnel")), (f"{prefix}costs", budget.get("costs"))]
    if budget_at:
        lines.append(("roster", data.get("roster")))
    problems = [Problem(path, f"收到 {len(items)} 行；未登录时每项最多 {limits.max_lines} 行，登录后最多 {MAX_LINES} 行",
                        ANONYMOUS_LIMIT)
                for path, items in lines if isinstance(items, list) and len(items) > limits.max_lines]
    months = _months(budget.get("project"))
    if months is not None and months > limits.max_months:
        problems.append(Problem(f"{prefix}project.end", f"项目期限为 {months} 个月；未登录时最多 {limits.max_months} 个月，"
                                                        f"登录后最多 {MAX_MONTHS} 个月", ANONYMOUS_LIMIT))
    if problems:
        raise Refused(422, problems)


def _months(project: Any) -> int | None:
    """The project's period in months, when its start and end are months at all."""
    try:
        return months_between(Month.parse(project["start"].strip()), Month.parse(project["end"].strip()))
    except (TypeError, KeyError, AttributeError, ValueError):
        return None


# -- the pricing a user may ask for --------------------------------------------------------------------------

def lines_in(data: Any, budget_at: str = "") -> int:
    """The lines an API input asks to price: the budget's staff and cost lines (and a check's roster), as far as
    they are lists at all (whatever else is wrong is the parser's to say)."""
    if not isinstance(data, dict):
        return 0
    budget = data.get(budget_at) if budget_at else data
    budget = budget if isinstance(budget, dict) else {}
    lists = [budget.get("personnel"), budget.get("costs")] + ([data.get("roster")] if budget_at else [])
    return sum(len(items) for items in lists if isinstance(items, list))


def spend(lines: int) -> None:
    """Count ``lines`` (and WORK_PER_REQUEST) against the signed-in user's allowance before they are priced; Refused
    (429, with the seconds until the window turns) when they would pass it. A request larger than the whole allowance
    is taken as the first of a window, so none is refused for ever. Callers who are not signed in have their caps
    instead. A store that fails counts nothing rather than failing the request."""
    config = current_app.config["WORK_RATE_LIMIT"]
    if not config or not _signed_in_or_not():
        return
    cost, who = lines + WORK_PER_REQUEST, ("costing-work", f"user-{current_user.id}")
    try:
        strategy = current_app.extensions["costing_limiter"].limiter
        items = parse_many(config)
        for item in items:
            used = strategy.storage.get(item.key_for(*who))
            if used and not strategy.test(item, *who, cost=cost):
                reset = strategy.get_window_stats(item, *who).reset_time
                retry_after = min(item.get_expiry(), max(1, math.ceil(reset - time.time())))
                raise Refused(429, [Problem("request", f"测算过于频繁：每个用户{_per(item, '行')}（每次请求另计 "
                                                       f"{WORK_PER_REQUEST} 行），本次 {lines:,} 行，已用 {used:,} 行；"
                                                       f"请 {retry_after} 秒后重试", TOO_MANY_REQUESTS)], retry_after)
        for item in items:
            strategy.hit(item, *who, cost=cost)
    except Refused:
        raise
    except Exception:           # the count's store failed: the request goes on uncounted
        current_app.logger.exception("could not count the pricing of user %s", current_user.id)


# -- the rate limit -------------------------------------------------------------------------------------------

def client_address() -> str:
    """Whom a request is counted for: its address as ProxyFix leaves it (the address the trusted proxy saw)."""
    return request.remote_addr or "unknown"


def _signed_in_or_not() -> bool:
    try:
        return signed_in()
    except DBAPIError:         # the user cannot be loaded: the database is down, the view answers 503
        return False


def _rate() -> str:
    """The limit for this request: none but for a POST to the API (asked of every request, so the pages do not
    load their user for it), then the signed-in or the anonymous one."""
    if request.method != "POST" or not request.path.startswith("/api/"):
        return ""
    return current_app.config["API_RATE_LIMIT" if _signed_in_or_not() else "API_ANONYMOUS_RATE_LIMIT"] or ""


def _scope(_endpoint: str) -> str:
    # its own count for each kind of caller, even with equal limits
    return "api-signed-in" if _signed_in_or_not() else "api-anonymous"


def _too_many(exc: RateLimitExceeded):
    if not request.path.startswith("/api/"):
        return errors.error_page(exc)
    limit = exc.limit.limit
    window = limit.get_expiry()
    try:
        reset_at = current_app.extensions["costing_limiter"].current_limit.reset_at
    except Exception:           # the count's store failed just now: a whole window is a safe answer
        reset_at = time.time() + window
    retry_after = min(window, max(1, math.ceil(reset_at - time.time())))
    who = "登录后" if _signed_in_or_not() else "未登录时"
    message = f"请求过于频繁：{who}每个地址{_per(limit)}，请 {retry_after} 秒后重试"
    response = jsonify(errors=[{"path": "request", "message": message, "code": TOO_MANY_REQUESTS}])
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def _per(limit, what: str = "次") -> str:
    """A rate limit in Chinese: 每分钟最多 30 次, 每 10 秒最多 5 次; of lines, 每分钟最多测算 50,000 行."""
    unit = _UNITS[limit.GRANULARITY.name]
    most = f"最多 {limit.amount} 次" if what == "次" else f"最多测算 {limit.amount:,} {what}"
    return f"{'每' + unit if limit.multiples == 1 else f'每 {limit.multiples} {unit}'}{most}"


def described() -> dict:
    """The limits in force, as the API page states them."""
    config = current_app.config
    rate = {key: "、".join(_per(limit) for limit in parse_many(config[key])) if config[key] else "不限次数"
            for key in ("API_RATE_LIMIT", "API_ANONYMOUS_RATE_LIMIT")}
    work = "、".join(_per(limit, "行") for limit in parse_many(config["WORK_RATE_LIMIT"])) \
        if config["WORK_RATE_LIMIT"] else "不限"
    return {"anonymous_bytes": config["API_ANONYMOUS_MAX_BYTES"], "anonymous_size": _size(config["API_ANONYMOUS_MAX_BYTES"]),
            "anonymous_lines": config["API_ANONYMOUS_MAX_LINES"], "anonymous_months": config["API_ANONYMOUS_MAX_MONTHS"],
            "lines": MAX_LINES, "months": MAX_MONTHS,
            "anonymous_rate": rate["API_ANONYMOUS_RATE_LIMIT"], "rate": rate["API_RATE_LIMIT"],
            "work": work, "work_per_request": WORK_PER_REQUEST}


def init_app(app) -> None:
    """The settings (config given to create_app, else the environment, else the default) and the limiter.
    Called after ops.init_app, so a refused request is still logged with its request id."""
    for key, (variable, default) in SETTINGS.items():
        if key not in app.config:
            given = os.environ.get(variable)
            app.config[key] = default if given is None else type(default)(given)
    for key in ("API_RATE_LIMIT", "API_ANONYMOUS_RATE_LIMIT", "WORK_RATE_LIMIT"):
        if app.config[key]:
            parse_many(app.config[key])          # a limit that cannot be read stops the start, not each request
    redis_url = app.config.get("REDIS_URL")
    counts = app.config["RATE_LIMIT_FILE"] or os.path.join(app.instance_path, "ratelimits.sqlite")
    limiter = Limiter(
        client_address, storage_uri=redis_url or ratestore.uri_for(counts), key_prefix="costing-api",
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        in_memory_fallback_enabled=True, swallow_errors=True,
        application_limits=[ApplicationLimit(_rate, scope=_scope)])
    limiter.init_app(app)
    app.extensions["costing_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
