"""Turn untrusted JSON-like input into a Budget, or say precisely what is wrong with it.

Every problem is reported as (path, message) with a Chinese message, e.g.
``personnel[2].monthly_pay: 必须是不小于 0 的金额，最多两位小数``. All problems are collected,
not just the first. Nothing here computes money.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .model import (
    CATEGORIES,
    CERTIFICATES,
    COST_CATEGORIES,
    LEVELS,
    LOCATIONS,
    SITE_FIELDS,
    SITE_NEEDS,
    SITE_TYPES,
    TAXPAYERS,
    Budget,
    Contractor,
    CostLine,
    PayChange,
    Post,
    Project,
    Rules,
    Site,
)
from .parameters import ParameterSet
from .periods import Month, months_between
from .text import invisible_problem

MAX_INPUT_BYTES = 5 * 1024 * 1024
MAX_LINES = 5000
MAX_MONTHS = 60
MAX_HEADCOUNT = 1000
MAX_COUNT = 10_000_000
AMOUNT_DIGITS = 12          # Numeric(14, 2): twelve digits before the point
AMOUNT_PLACES, RATE_PLACES = 2, 6       # decimals an amount (the 分) and a rate may have
_AMOUNT = re.compile(rf"^(0|[1-9][0-9]*)(\.[0-9]{{1,{AMOUNT_PLACES}}})?$")
_QUANTITY = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,4})?$")
_RATE = re.compile(rf"^0(\.[0-9]{{1,{RATE_PLACES}}})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_INTEGER_DIGITS = 20         # the contract's integers have at most 8 digits (MAX_COUNT); longer is a mistake
MAX_NUMBER_CHARS = 40           # a number written with a fraction or an exponent (never one of ours: see _decimal)
MAX_REFUSED = 100               # problems listed from one input (a reply should not grow with the input)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")

AMOUNT_MESSAGE = "必须是不小于 0 的金额，最多两位小数"
MAX_REASON = 200
# A budget that overrides one of these defaults with a different value says why, in a sibling field
# "<name>_reason" (a value equal to its default is no override).
OVERRIDES = {"work_injury_rate": "工伤保险费率", "monthly_allowance": "职业津贴", "si_base": "申报缴费基数",
             "housing_fund_rate": "住房公积金比例"}


REASON_MISSING = "reason_missing"      # Problem.code of an override whose reason is not written yet
NOT_A_CHOICE = "not_a_choice"          # Problem.code of a value that is not one of the listed options
PERCENT_TYPED = "percent_typed"        # Problem.code of a rate that is its figure written as a percent number (0.5)
RATE_TOO_HIGH = "rate_too_high"        # Problem.code of a rate above the highest its item can be


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    code: str = "invalid"      # what callers match on (never the message text)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputError(Exception):
    """The input cannot be computed; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read_json(data: bytes) -> Any:
    """Decode bytes as strict UTF-8 JSON (no NaN/Infinity, no duplicate keys, bounded size)."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([Problem("input", f"输入过大（{len(data):,} 字节），最多 {MAX_INPUT_BYTES // 1024 // 1024} MB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem("input", f"不是有效的 UTF-8 文本（第 {exc.start + 1} 个字节）")]) from None
    return read_json_text(text)


def read_json_text(text: str) -> Any:
    """JSON text as Python values, refusing what the contract cannot hold, each at its path: a number too long
    to be one of ours (Python will not even read an integer of over 4,300 digits) or whose exponent no Decimal
    holds, and a lone surrogate (``"\\ud800"``: valid JSON, but no character, so no UTF-8 can carry it back)."""
    refused = False

    def reject_constant(name: str):
        raise InputError([Problem("input", f"不支持 {name}：金额和数量须为有限数值")])

    def no_duplicates(pairs):
        obj = {}
        for key, value in pairs:
            if key in obj:
                raise InputError([Problem("input", f"字段「{_shown(key)}」重复出现")])
            obj[key] = value
        return obj

    def integer(literal: str):
        nonlocal refused
        if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
            refused = True
            return _Refused(f"整数过长（{len(literal.lstrip('-')):,} 位），最多 {MAX_INTEGER_DIGITS} 位")
        return int(literal)

    def number(literal: str):
        nonlocal refused
        try:
            if len(literal) <= MAX_NUMBER_CHARS:
                return Decimal(literal)
        except InvalidOperation:            # an exponent beyond what a Decimal holds
            pass
        refused = True
        return _Refused("数字过长或超出范围；金额、比率、数量须写成字符串，如 \"6000.00\"")

    try:
        data = json.loads(text, parse_constant=reject_constant, parse_float=number, parse_int=integer,
                          object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError([Problem("input", f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近）")]) from None
    except RecursionError:
        raise InputError([Problem("input", "JSON 嵌套层次过深")]) from None
    # only JSON that escapes a surrogate (\\ud800–\\udfff) can hold a lone one: the search costs little
    if refused or _SURROGATE_ESCAPE.search(text):
        problems = _unreadable(data)
        if problems:
            raise InputError(problems)
    return data


class _Refused:
    """A number read_json_text refused, left where it stood so its problem can name its path."""

    def __init__(self, message: str):
        self.message = message


def _shown(text: str, limit: int = 40) -> str:
    """Text from the input as a message may repeat it: a lone surrogate written as its escape, and short."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _unreadable(data: Any) -> list[Problem]:
    """Each refused number and each text with a lone surrogate (key or value), with its path as the parser
    writes it (``personnel[0].post``; the whole input is ``input``)."""
    surrogate = "含有无效的 Unicode 字符（单独的代理项 {}），不是可以保存的文字"
    problems: list[Problem] = []
    todo: list[tuple[Any, str, str]] = [(data, "input", "")]       # (a value, its path, its key)
    while todo and len(problems) < MAX_REFUSED:
        value, path, key = todo.pop()
        if found := _SURROGATE.search(key):
            problems.append(Problem(path, "字段名" + surrogate.format(_shown(found[0]))))
        if isinstance(value, dict):
            todo.extend((item, f"{path}.{_shown(name)}", name) for name, item in reversed(value.items()))
        elif isinstance(value, list):
            todo.extend((item, f"{path}[{i}]", "") for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, str) and (found := _SURROGATE.search(value)):
            problems.append(Problem(path, surrogate.format(_shown(found[0]))))
        elif isinstance(value, _Refused):
            problems.append(Problem(path, value.message))
    return [replace(p, path=p.path.removeprefix("input.")) for p in problems]


def _choices(options: dict[str, str]) -> str:
    return "、".join(f"{key}（{label}）" for key, label in options.items())


class Reader:
    """Reads untrusted JSON-like values, collecting every problem with its path."""

    def __init__(self, params: ParameterSet, reasons_required: bool = True):
        self.params = params
        self.reasons_required = reasons_required
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str, code: str = "invalid") -> None:
        self.problems.append(Problem(path, message, code))

    # -- containers -------------------------------------------------------------------------
    def obj(self, value: Any, path: str, allowed: list[str], required: tuple[str, ...] = ()) -> dict | None:
        """Check an object's keys: unknown keys and missing required keys are problems."""
        if not isinstance(value, dict):
            self.fail(path, "必须是 JSON 对象")
            return None
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}", "未知字段")
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}", "必填")
        return value

    def items(self, value: Any, path: str) -> list | None:
        if not isinstance(value, list):
            self.fail(path, "必须是 JSON 数组")
            return None
        if len(value) > MAX_LINES:
            self.fail(path, f"最多 {MAX_LINES} 行，收到 {len(value)} 行")
            return None
        return value

    # -- scalars (each returns None after recording a problem) ------------------------------
    def text(self, value: Any, path: str, max_len: int, required: bool = True) -> str | None:
        if not isinstance(value, str):
            self.fail(path, "必须是文本")
            return None
        value = value.strip()
        if required and not value:
            self.fail(path, "不能为空")
            return None
        if len(value) > max_len:
            self.fail(path, f"最多 {max_len} 个字符，现有 {len(value)} 个")
            return None
        if _CONTROL.search(value):
            self.fail(path, "不能包含换行等控制字符")
            return None
        invisible = invisible_problem(value)
        if invisible:
            self.fail(path, invisible)
            return None
        return value

    def choice(self, value: Any, path: str, options: dict[str, str]) -> str | None:
        if not isinstance(value, str) or value not in options:
            self.fail(path, f"取值应为 {_choices(options)} 之一", NOT_A_CHOICE)
            return None
        return value

    def _decimal(self, value: Any, path: str, pattern: re.Pattern, message: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, str):
            example = "\"6000.00\"" if pattern is _AMOUNT else "\"0.05\"" if pattern is _RATE else "\"24\""
            self.fail(path, f"{message}，并以字符串书写，如 {example}")
            return None
        text = value.strip()
        if not pattern.match(text):
            self.fail(path, message)
            return None
        return Decimal(text)

    def amount(self, value: Any, path: str) -> Decimal | None:
        amount = self._decimal(value, path, _AMOUNT, AMOUNT_MESSAGE)
        if amount is not None and amount >= Decimal(10) ** AMOUNT_DIGITS:
            self.fail(path, f"金额过大，最多 {AMOUNT_DIGITS} 位整数")
            return None
        return amount

    def quantity(self, value: Any, path: str) -> Decimal | None:
        quantity = self._decimal(value, path, _QUANTITY, "必须是不小于 0 的数量，最多四位小数")
        if quantity is not None and quantity >= Decimal(10) ** 9:
            self.fail(path, "数量过大")
            return None
        return quantity

    def rate(self, value: Any, path: str) -> Decimal | None:
        message = "必须是 0 到 1 之间（含 0，不含 1）的小数，最多六位小数"
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,4})?", value.strip()) \
                and Decimal(value.strip()) >= 1:        # a percentage typed without its sign: say how to write it
            typed = value.strip()
            message += f"；{typed}% 请写 {typed}% 或 {format((Decimal(typed) / 100).normalize(), 'f')}"
        return self._decimal(value, path, _RATE, message)

    def integer(self, value: Any, path: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"必须是 {low} 到 {high} 之间的整数")
            return None
        if not low <= value <= high:
            self.fail(path, f"必须是 {low} 到 {high} 之间的整数，现为 {value}")
            return None
        return value

    def month(self, value: Any, path: str) -> Month | None:
        try:
            if not isinstance(value, str):
                raise ValueError
            return Month.parse(value.strip())
        except ValueError:
            self.fail(path, "必须是“年-月”格式的月份，如 \"2025-07\"")
            return None

    def optional(self, raw: dict, key: str, path: str, read: Callable[..., Any], *args) -> Any:
        if key not in raw or raw[key] is None:
            return None
        return read(raw[key], f"{path}.{key}", *args)

    def reason(self, raw: dict, key: str, path: str) -> str | None:
        """The reason given for overriding the default ``key`` (ignored without the override). Whether one
        is needed depends on the default, so it is asked for once the budget is priced (``budget.compute``)."""
        reason = self.optional(raw, f"{key}_reason", path, self.text, MAX_REASON, False) or None
        return reason if raw.get(key) is not None else None


@dataclass(frozen=True)
class RateRange:
    """What a declared rate of one item may be over a service: the figures in force in its months (the statutory
    rates, ascending) and the highest rate the item can have (None where the parameter set has none)."""
    label: str                          # 失业保险单位费率
    figures: tuple[Decimal, ...]
    high: Decimal | None


def rate_problem(rate: Decimal, bounds: RateRange) -> tuple[str, str] | None:
    """(code, message) for a rate that cannot be what was meant, else None. A rate whose hundredth is within the
    item's range (0.5 where the policy says 0.5%: a percent number without its sign, or what a cell formatted as a
    percentage stores when 0.5 is typed into it) is refused with the fix; so is any rate above the item's highest.
    A rate below the figure in force is no typing mistake but a finding of the check (SI_RATE_BELOW_STATUTORY).
    The message starts with the rate as written, then says what it is."""
    figures, high = bounds.figures, bounds.high
    typed = format(rate.normalize(), "f")
    said = f"{bounds.label}为 " + "、".join(_percent(f) for f in figures) + (f"，最高 {_percent(high)}" if high else "")
    hundredth = rate / 100
    if hundredth in figures or (high is not None and figures and figures[0] <= hundredth <= high):
        meant = format(hundredth.normalize(), "f")
        return PERCENT_TYPED, f"{typed} 即 {_percent(rate)}（{said}）；如指 {typed}%，请写 {typed}% 或 {meant}"
    if high is not None and rate > high:
        return RATE_TOO_HIGH, f"{typed} 即 {_percent(rate)}，高于{bounds.label}的最高值 {_percent(high)}（{said}），请按实际费率填写"
    return None


def _percent(rate: Decimal) -> str:
    return format((rate * 100).normalize(), "f") + "%"


_TOP = ["project", "contractor", "personnel", "costs", "management_fee_rate", "rules"]
_PROJECT = ["name", "district", "start", "end", "appropriation", "appropriation_by_year", "site"]
_CONTRACTOR = ["taxpayer", "location", "work_injury_rate", "work_injury_rate_reason"]
_POST = ["post", "category", "level", "certificate", "headcount", "monthly_pay", "monthly_allowance",
         "annual_bonus", "months", "si_base", "housing_fund_rate",
         "monthly_allowance_reason", "si_base_reason", "housing_fund_rate_reason", "start", "end", "pay_changes"]
_COST = ["category", "name", "quantity", "unit", "unit_price", "year"]
_PAY_CHANGE = ["from", "monthly_pay"]
_RULES = ["min_personnel_share", "max_management_fee_rate", "pay_floor"]


def parse_budget(data: Any, params: ParameterSet, *, reasons_required: bool = True) -> Budget:
    """Validate input shaped like the ``compute`` contract; raise InputError listing every problem.

    ``reasons_required=False`` reads a budget whose overrides may lack their reasons (one stored
    before reasons were asked for, or the budget a roster is checked against)."""
    r = Reader(params, reasons_required)
    root = r.obj(data, "input", _TOP, ("project",))
    if root is None:
        raise InputError(r.problems)
    project = _project(r, root.get("project"))
    period = months_between(project.start, project.end) if project and project.start and project.end else None
    contractor = _contractor(r, root.get("contractor", {}))
    personnel = _personnel(r, root.get("personnel", []), period, project)
    costs = _costs(r, root.get("costs", []), project)
    fee_rate = r.optional(root, "management_fee_rate", "input", r.rate)
    rules = _rules(r, root.get("rules", {}))
    if r.problems:
        raise InputError([replace(p, path=p.path.removeprefix("input.")) for p in r.problems])
    return Budget(project=project.value, contractor=contractor, personnel=tuple(personnel),
                  costs=tuple(costs), management_fee_rate=fee_rate or Decimal("0"), rules=rules,
                  reasons_required=r.reasons_required)


@dataclass
class _ProjectRead:
    value: Project | None
    start: Month | None
    end: Month | None


def _project(r: Reader, raw: Any) -> _ProjectRead | None:
    p = r.obj(raw, "project", _PROJECT, ("name", "district", "start", "end"))
    if p is None:
        return None
    name = r.text(p.get("name"), "project.name", 200) if "name" in p else None
    district = None
    if "district" in p:
        district_text = r.text(p["district"], "project.district", 40)
        if district_text is not None:
            district = r.params.canonical_district(district_text)
            if district is None:
                r.fail("project.district", f"「{district_text}」不是重庆市最低工资标准文件所列的区县或功能区名称（如「渝中区」「城口县」「两江新区」）")
    start = r.month(p["start"], "project.start") if "start" in p else None
    end = r.month(p["end"], "project.end") if "end" in p else None
    if start and end:
        count = months_between(start, end)
        if count < 1:
            r.fail("project.end", f"结束月份 {end} 早于开始月份 {start}")
            end = None
        elif count > MAX_MONTHS:
            r.fail("project.end", f"项目期限为 {count} 个月，最多 {MAX_MONTHS} 个月")
            end = None
    if start and district:
        listed = r.params.first_listed(district)
        if start.first_day < listed:
            r.fail("project.start", f"{district} 自 {listed.isoformat()} 起才列入最低工资档次名单，项目开始月份 {start} 早于此日期")
    appropriation = r.optional(p, "appropriation", "project", r.amount)
    by_year = _by_year(r, p["appropriation_by_year"], start, end) if p.get("appropriation_by_year") is not None else ()
    site = _site(r, p["site"]) if p.get("site") is not None else None
    value = None
    if None not in (name, district, start, end):
        value = Project(name=name, district=district, start=start, end=end,
                        appropriation=appropriation, site=site, appropriation_by_year=by_year)
    return _ProjectRead(value, start, end)


def _years_text(start: Month, end: Month) -> str:
    return f"{start.year}" if start.year == end.year else f"{start.year}–{end.year}"


def _by_year(r: Reader, raw: Any, start: Month | None, end: Month | None) -> tuple[tuple[int, Decimal], ...]:
    """{"2027": "…", …}: each 年度's appropriation, for years the period touches."""
    path = "project.appropriation_by_year"
    if not isinstance(raw, dict):
        r.fail(path, "必须是 JSON 对象，如 {\"2027\": \"480000.00\"}")
        return ()
    found = []
    for key, value in raw.items():
        year = int(key) if isinstance(key, str) and re.fullmatch(r"[0-9]{4}", key) else None
        if year is None:
            r.fail(f"{path}.{_shown(str(key))}", "年度须写成四位数字，如 \"2027\"")
            continue
        if start and end and not start.year <= year <= end.year:
            r.fail(f"{path}.{key}", f"{year} 年不在项目期限内（{_years_text(start, end)} 年）")
            continue
        amount = r.amount(value, f"{path}.{key}")
        if amount is not None:
            found.append((year, amount))
    return tuple(sorted(found))


def _site(r: Reader, raw: Any, path: str = "project.site") -> Site | None:
    s = r.obj(raw, path, ["type", *SITE_FIELDS], ("type",))
    if s is None:
        return None
    kind = r.choice(s.get("type"), f"{path}.type", SITE_TYPES) if "type" in s else None
    values = {key: r.optional(s, key, path, r.integer, low, MAX_COUNT) for key, low in SITE_FIELDS.items()}
    if kind:
        for key in SITE_NEEDS.get(kind, ()):
            if s.get(key) is None:
                r.fail(f"{path}.{key}", f"{SITE_TYPES[kind]}需要填写此项")
    return Site(type=kind, **values) if kind else None


def parse_site(data: Any, params: ParameterSet) -> Site:
    """A site on its own (the staffing calculator): ``site.workers`` … paths; raises InputError."""
    r = Reader(params)
    site = _site(r, data, "site")
    if r.problems or site is None:
        raise InputError(r.problems or [Problem("site.type", "必填")])
    return site


def _contractor(r: Reader, raw: Any) -> Contractor:
    c = r.obj(raw, "contractor", _CONTRACTOR)
    if c is None:
        return Contractor()
    taxpayer = r.choice(c["taxpayer"], "contractor.taxpayer", TAXPAYERS) if "taxpayer" in c else "general"
    location = r.choice(c["location"], "contractor.location", LOCATIONS) if "location" in c else "urban"
    rate = r.optional(c, "work_injury_rate", "contractor", r.rate)
    reason = r.reason(c, "work_injury_rate", "contractor")
    return Contractor(taxpayer=taxpayer or "general", location=location or "urban", work_injury_rate=rate,
                      work_injury_rate_reason=reason)


def _personnel(r: Reader, raw: Any, period: int | None, project: _ProjectRead | None) -> list[Post]:
    lines = r.items(raw, "personnel")
    posts = []
    for i, item in enumerate(lines or []):
        path = f"personnel[{i}]"
        p = r.obj(item, path, _POST, tuple(_POST[:6]))
        if p is None:
            continue
        before = len(r.problems)
        post = r.text(p["post"], f"{path}.post", 100) if "post" in p else None
        category = r.choice(p["category"], f"{path}.category", CATEGORIES) if "category" in p else None
        level = r.choice(p["level"], f"{path}.level", LEVELS) if "level" in p else None
        certificate = r.choice(p["certificate"], f"{path}.certificate", CERTIFICATES) if "certificate" in p else None
        headcount = r.integer(p["headcount"], f"{path}.headcount", 1, MAX_HEADCOUNT) if "headcount" in p else None
        pay = r.amount(p["monthly_pay"], f"{path}.monthly_pay") if "monthly_pay" in p else None
        allowance = r.optional(p, "monthly_allowance", path, r.amount)
        bonus = r.optional(p, "annual_bonus", path, r.amount)
        months = r.optional(p, "months", path, r.integer, 1, MAX_MONTHS)
        if months is not None and period is not None and months > period:
            r.fail(f"{path}.months", f"在岗月数 {months} 超过项目期限 {period} 个月")
        filled = _filled(r, p, path, project) if project and project.start and project.end else None
        changes = ()
        if p.get("pay_changes") is not None and filled is not None:
            changes = _pay_changes(r, p["pay_changes"], path, project.start.plus(filled[0]),
                                   project.start.plus(filled[0] + (filled[1] or months or period) - 1))
        si_base = r.optional(p, "si_base", path, r.amount)
        hf_rate = r.optional(p, "housing_fund_rate", path, r.rate)
        reasons = {f"{key}_reason": r.reason(p, key, path)
                   for key in ("monthly_allowance", "si_base", "housing_fund_rate")}
        if len(r.problems) == before and period is not None:
            first, count = filled if filled else (0, None)
            posts.append(Post(post=post, category=category, level=level, certificate=certificate,
                              headcount=headcount, monthly_pay=pay, months=count or months or period,
                              monthly_allowance=allowance, annual_bonus=bonus or Decimal("0"),
                              si_base=si_base, housing_fund_rate=hf_rate, first=first, pay_changes=changes,
                              **reasons))
    return posts


def _filled(r: Reader, p: dict, path: str, project: _ProjectRead) -> tuple[int, int | None] | None:
    """The months a line is filled, from its ``start`` and ``end`` (inclusive, inside the period; either may be
    left out: the period's own): (offset from the project start, months), or (0, None) where neither is given
    (``months`` then counts from the start). None after a problem."""
    if p.get("start") is None and p.get("end") is None:
        return 0, None
    if p.get("months") is not None:
        r.fail(f"{path}.months", "在岗月数与起止月份（start、end）只能填写一种")
        return None
    start = r.month(p["start"], f"{path}.start") if p.get("start") is not None else project.start
    end = r.month(p["end"], f"{path}.end") if p.get("end") is not None else project.end
    if start is None or end is None:
        return None
    period = f"{project.start} 至 {project.end}"
    if not project.start <= start <= project.end:
        r.fail(f"{path}.start", f"在岗起始月份 {start} 不在项目期限（{period}）内")
        return None
    if not project.start <= end <= project.end:
        r.fail(f"{path}.end", f"在岗截止月份 {end} 不在项目期限（{period}）内")
        return None
    if end < start:
        r.fail(f"{path}.end", f"在岗截止月份 {end} 早于起始月份 {start}")
        return None
    return start.index - project.start.index, months_between(start, end)


def _pay_changes(r: Reader, raw: Any, path: str, first: Month, last: Month) -> tuple[PayChange, ...]:
    """[{"from": "YYYY-MM", "monthly_pay": "…"}, …]: months strictly increasing, after the line's first month
    (its ``monthly_pay`` is the pay before the first change) and not after its last."""
    path = f"{path}.pay_changes"
    if not isinstance(raw, list):
        r.fail(path, "必须是 JSON 数组，如 [{\"from\": \"2028-01\", \"monthly_pay\": \"5200.00\"}]")
        return ()
    if len(raw) > MAX_MONTHS:
        r.fail(path, f"最多 {MAX_MONTHS} 次调整，收到 {len(raw)} 次")
        return ()
    changes, before = [], first
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        c = r.obj(item, where, _PAY_CHANGE, tuple(_PAY_CHANGE))
        if c is None or "from" not in c or "monthly_pay" not in c:
            continue
        month = r.month(c["from"], f"{where}.from")
        pay = r.amount(c["monthly_pay"], f"{where}.monthly_pay")
        if month is None:
            continue
        if month <= before:
            r.fail(f"{where}.from", f"调整月份 {month} 须晚于{'在岗起始月份' if before == first else '上一次调整的月份'} "
                                    f"{before}")
        elif month > last:
            r.fail(f"{where}.from", f"调整月份 {month} 晚于在岗截止月份 {last}")
        elif pay is not None:
            changes.append(PayChange(month, pay))
        before = max(before, month)
    return tuple(changes)


def _costs(r: Reader, raw: Any, project: _ProjectRead | None) -> list[CostLine]:
    lines = r.items(raw, "costs")
    costs = []
    for i, item in enumerate(lines or []):
        path = f"costs[{i}]"
        c = r.obj(item, path, _COST, ("category", "name", "quantity", "unit_price"))
        if c is None:
            continue
        before = len(r.problems)
        category = r.choice(c["category"], f"{path}.category", COST_CATEGORIES) if "category" in c else None
        name = r.text(c["name"], f"{path}.name", 200) if "name" in c else None
        quantity = r.quantity(c["quantity"], f"{path}.quantity") if "quantity" in c else None
        unit = r.text(c["unit"], f"{path}.unit", 20, required=False) if "unit" in c else ""
        price = r.amount(c["unit_price"], f"{path}.unit_price") if "unit_price" in c else None
        year = r.optional(c, "year", path, r.integer, 1900, 2200)
        if year is not None and project and project.start and project.end \
                and not project.start.year <= year <= project.end.year:
            r.fail(f"{path}.year", f"{year} 年不在项目期限内（{_years_text(project.start, project.end)} 年）")
        if len(r.problems) == before:
            costs.append(CostLine(category=category, name=name, quantity=quantity, unit=unit or "",
                                  unit_price=price, year=year))
    return costs


def _rules(r: Reader, raw: Any) -> Rules:
    x = r.obj(raw, "rules", _RULES)
    if x is None:
        return Rules()
    share = r.optional(x, "min_personnel_share", "rules", r.rate)
    cap = r.optional(x, "max_management_fee_rate", "rules", r.rate)
    floors = []
    if x.get("pay_floor") is not None:
        f = r.obj(x["pay_floor"], "rules.pay_floor", ["junior", "mid", "senior"])
        for level in ("junior", "mid", "senior"):
            if f is not None and f.get(level) is not None:
                amount = r.amount(f[level], f"rules.pay_floor.{level}")
                if amount is not None:
                    floors.append((level, amount))
    return Rules(min_personnel_share=share, max_management_fee_rate=cap, pay_floor=tuple(floors))
