"""Command line: ``python -m costing compute|check|annex|params|staffing``.

compute prints the result JSON on stdout (exit 0, findings do not change the exit code), or with
``--text`` the same reading of it as the budget page and the annex; invalid input exits 2 with one
``path: message`` line per problem on stderr and nothing on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

from . import ROOT, clock, database_url
from .engine.budget import compute
from .engine.model import SITE_TYPES
from .engine.money import canonical_figure, fmt_rate
from .engine.parameters import CONFIDENCE, TIER_LABELS, ParameterSet, UnknownDistrict, default_parameters
from .engine.parse import MAX_INPUT_BYTES, InputError, Problem, parse_budget, parse_site, read_json
from .engine.pricing import allowance_categories
from .engine.result import to_json
from .engine.roster import check_input, check_to_json
from .engine.staffing import staffing_norm
from .results import defaults
from .results.budget import BudgetResult
from .results.roster import RosterReport
from .results.text import budget_text, params_text, roster_text
from .results.verification import verification_code

EXIT_INVALID = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"参数错误: {message}\n")
        sys.exit(EXIT_INVALID)


def _fail(problems: list[Problem]) -> int:
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    return EXIT_INVALID


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    try:
        with open(name, "rb") as handle:
            return handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError([Problem("input", f"无法读取文件 {name}：{exc.strerror}")]) from None


def _dump(data) -> None:
    # indented for a person at a terminal; compact for a program (Python's C encoder writes no indentation: a
    # 1,000-line budget's result is encoded in a tenth of the time), in one write either way
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent))
    sys.stdout.write("\n")


def _answer(args, data: dict, text) -> int:
    """The result JSON, or with --text its reading (``text(data)``) as the pages give it."""
    if args.text:
        print(text(data))
    else:
        _dump(data)
    return 0


class NoDatabase(Exception):
    """The app's database cannot be read (not migrated, not reachable)."""


def _from_database(read):
    """Run read(session) against the app's database (COSTING_DATABASE_URL or instance/costing.sqlite).
    Flask and the database layer are imported only here: the commands without --db do not need them."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from . import create_app  # noqa: PLC0415
    from .models import db  # noqa: PLC0415
    app = create_app()
    with app.app_context():
        try:
            return read(db.session)
        except SQLAlchemyError as exc:
            raise NoDatabase(f"无法读取数据库（{type(exc).__name__}）：请先运行 flask --app wsgi db upgrade，"
                             f"并检查 COSTING_DATABASE_URL") from None
        finally:
            db.session.remove()
            db.engine.dispose()


def _parameters(args) -> ParameterSet:
    """The shipped figures, or with --db the confirmed set in the app's database."""
    if not getattr(args, "db", False):
        return default_parameters()
    from flask import current_app  # noqa: PLC0415
    return _from_database(lambda session: current_app.extensions["costing_params"].get(session))


SHOWN_NEWER = 3          # figures named when the database holds newer ones than the files


def figures_used(args, params: ParameterSet) -> list[str]:
    """Which figures a command priced with (the shipped files or the database), and, with the files, whether the
    database (that the web pages and the API use) holds confirmed figures the files do not — or that it cannot
    tell. Lines for standard error: standard output stays the result."""
    if getattr(args, "db", False):
        return [f"政策参数：数据库中已复核生效的参数（参数集 {params.version}），与网页和接口相同"]
    lines = [f"政策参数：随软件发布的数据文件（参数集 {params.version}）；网页与接口用数据库中已复核生效的参数，加 --db 使用它们"]
    url = database_url(os.environ.get("COSTING_DATABASE_URL"),
                       os.environ.get("COSTING_INSTANCE_PATH", str(ROOT / "instance")))
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return lines + ["无法判断数据库中是否有更新的参数：没有找到数据库（COSTING_DATABASE_URL 未设置，默认的 "
                        "instance/costing.sqlite 不存在）"]
    if url.startswith("sqlite:///") and _sqlite_version(url.removeprefix("sqlite:///")) == params.version:
        return lines            # the database's confirmed set is the files' (read without loading the database layer)
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415  (the database layer only for this check)

    from .parameters import service as parameters  # noqa: PLC0415
    try:
        newer = parameters.newer_in_database(url, params)
    except (SQLAlchemyError, ValueError, OSError) as exc:
        why = str(exc) if isinstance(exc, ValueError) else f"无法读取（{type(exc).__name__}）"
        return lines + [f"无法判断数据库中是否有更新的参数：{why}"]
    if newer:
        named = "；".join(newer[:SHOWN_NEWER]) + ("；…" if len(newer) > SHOWN_NEWER else "")
        lines.append(f"注意：数据库中有 {len(newer)} 个数据文件没有的已生效数值（{named}），网页与接口按它们测算，"
                     "结果可能与这里不同；加 --db 使用数据库中的参数")
    return lines


def _sqlite_version(path: str) -> str | None:
    """The version (digest) of the confirmed set an SQLite database records (parameters/state.py bump), read-only;
    None where it cannot be read."""
    import sqlite3  # noqa: PLC0415  (only where a database file is there)
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=1)) as connection:
            row = connection.execute("select version from param_state where id = 1").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _say_figures(args, params: ParameterSet) -> None:
    for line in figures_used(args, params):
        sys.stderr.write(f"{line}\n")


def cmd_compute(args) -> int:
    params = _parameters(args)
    try:
        budget = parse_budget(read_json(_read_input(args.file)), params)
        result = compute(budget, params)
    except InputError as exc:
        return _fail(exc.problems)
    _say_figures(args, params)
    return _answer(args, to_json(result), lambda data: budget_text(BudgetResult(data)))


def cmd_check(args) -> int:
    """check FILE [--roster roster.xlsx|csv]: a pay proposal against the rules and the budget."""
    from .rosters.files import read_roster_file, row_problems  # noqa: PLC0415  (openpyxl, only for files)
    params = _parameters(args)
    try:
        data = read_json(_read_input(args.file))
        if args.roster:
            if isinstance(data, dict) and "roster" in data:
                raise InputError([Problem("roster", "已用 --roster 指定花名册文件，输入中不能再有 roster")])
            budget = data.get("budget", data) if isinstance(data, dict) else data
            try:
                with open(args.roster, "rb") as handle:
                    content = handle.read(MAX_INPUT_BYTES + 1)
            except OSError as exc:
                raise InputError([Problem("--roster", f"无法读取文件 {args.roster}：{exc.strerror}")]) from None
            data = {"budget": budget, "roster": read_roster_file(args.roster, content)}
        try:
            result = check_input(data, params)
        except InputError as exc:
            rows, cells = getattr(data["roster"], "row_numbers", None), getattr(data["roster"], "cells", None)
            raise InputError(row_problems(exc.problems, rows, cells) if args.roster else exc.problems) from None
    except InputError as exc:
        return _fail(exc.problems)
    _say_figures(args, params)
    return _answer(args, check_to_json(result), lambda data: roster_text(RosterReport(data)))


def cmd_annex(args) -> int:
    """annex FILE.json --pdf out.pdf --xlsx out.xlsx: the budget annex for compute-contract input."""
    if not args.pdf and not args.xlsx:
        return _fail([Problem("--pdf/--xlsx", "至少指定一个输出文件")])
    params = _parameters(args)
    try:
        result = to_json(compute(parse_budget(read_json(_read_input(args.file)), params), params))
    except InputError as exc:
        return _fail(exc.problems)
    # WeasyPrint and openpyxl take a while to import: only this command needs them
    from .annex.fetcher import RefusedURL  # noqa: PLC0415
    from .annex.render import AnnexMeta, annex_pdf  # noqa: PLC0415
    from .annex.workbook import annex_workbook  # noqa: PLC0415
    meta = AnnexMeta(code=verification_code(result), purchaser=args.purchaser, contractor=args.contractor,
                     contract_no=args.contract_no)
    outputs = [(args.pdf, annex_pdf), (args.xlsx, annex_workbook)]
    view = BudgetResult(result)
    for path, render in outputs:
        if not path:
            continue
        try:
            content = render(view, meta)
        except RefusedURL as exc:
            return _fail([Problem("annex", str(exc))])
        try:
            with open(path, "wb") as handle:
                handle.write(content)
        except OSError as exc:
            return _fail([Problem(path, f"无法写入：{exc.strerror}")])
        print(f"{path}: {len(content):,} 字节")
    print(f"核验码 {meta.code}（命令行生成的附件未经系统审核，标为草稿）")
    _say_figures(args, params)
    return 0


def params_in_force(on: date, district: str | None, params: ParameterSet | None = None) -> dict:
    """Every figure in force on a date (for one district's tier, or for both tiers)."""
    params = params or default_parameters()
    tier = None
    heading = {"on": on.isoformat(), "parameter_set": params.version}
    if district is not None:
        entry = params.district(district, on)
        tier = entry.tier
        heading.update(district=entry.name, tier=entry.tier, tier_label=TIER_LABELS[entry.tier],
                       tier_source=entry.source.citation)
    rows = []
    for found in params.in_force(on, tier, heading.get("district")):
        family = found.family
        if found.lookup is None:
            rows.append({"name": family.key, "label": family.label, "region": found.region,
                         "value": None, "missing": found.missing})
            continue
        r = found.lookup.record
        rows.append({
            "name": family.key, "label": family.label, "region": found.region, "unit": family.unit,
            "value": canonical_figure(r.value, family.unit),
            "start": r.start.isoformat() if r.start else None,
            "end": r.end.isoformat() if r.end else None,
            "carried_forward": found.lookup.carried_forward, "source": r.source.citation,
            "issuer": r.source.issuer, "url": r.source.url,
            "confidence": r.confidence, "confidence_label": CONFIDENCE[r.confidence],
            "note": r.note})
    return {**heading, "parameters": rows, "defaults": blank_defaults(params, on)}


def blank_defaults(params: ParameterSet, on: date) -> dict:
    """What a budget's blank fields are for a service starting on ``on``: the housing-fund and work-injury rates
    (null before their first figure) and the staff categories the districts' 职业津贴 standard is for (null: no
    such standard; empty: every category)."""
    rates = {"housing_fund_rate": defaults.housing_fund_default(params, on),
             "work_injury_rate": defaults.work_injury_rate(params, on)}
    categories = allowance_categories(params)
    return {key: None if rate is None else fmt_rate(rate) for key, rate in rates.items()} | {
        "allowance_categories": None if categories is None else list(categories)}


def cmd_export(folder: str) -> int:
    """params --export DIR: the database's confirmed parameters as data files."""
    from flask import current_app  # noqa: PLC0415

    from .parameters import service as parameters  # noqa: PLC0415

    def export(session):
        current_app.extensions["costing_params"].get(session)      # an empty database gets the shipped set
        return parameters.export_files(session, Path(folder))
    try:
        version, written = _from_database(export)
    except NoDatabase as exc:
        return _fail([Problem("--export", str(exc))])
    except OSError as exc:
        return _fail([Problem("--export", f"无法写入 {folder}：{exc.strerror}")])
    print(f"已导出参数集 {version}：{len(written)} 个文件到 {folder}")
    return 0


def cmd_params(args) -> int:
    if args.export:
        return cmd_export(args.export)
    try:
        on = date.fromisoformat(args.on) if args.on else clock.today()
    except ValueError:
        return _fail([Problem("--on", "必须是“年-月-日”格式的日期，如 2025-07-01")])
    params = _parameters(args)
    try:
        listing = params_in_force(on, args.district, params)
    except UnknownDistrict:
        return _fail([Problem("--district", f"「{args.district}」不是 {on.isoformat()} 在册的区县或功能区名称")])
    _say_figures(args, params)
    if args.json:
        _dump(listing)
    else:
        print(params_text(listing))
    return 0


FLAGS = {"type": "--type", "workers": "--workers", "total_posts": "--total-posts", "people": "--people",
         "people_per_worker": "--per-worker"}


def cmd_staffing(args) -> int:
    params = default_parameters()
    problems = []
    try:
        on = date.fromisoformat(args.on) if args.on else clock.today()
    except ValueError:
        problems.append(Problem("--on", "必须是“年-月-日”格式的日期，如 2025-07-01"))
    raw = {"type": args.type, "workers": args.workers, "total_posts": args.total_posts, "people": args.people,
           "people_per_worker": args.per_worker}
    try:
        site = parse_site({key: value for key, value in raw.items() if value is not None}, params)
    except InputError as exc:
        problems += [Problem(FLAGS.get(p.path.removeprefix("site."), p.path), p.message) for p in exc.problems]
    if problems:
        return _fail(problems)
    norm = staffing_norm(site, params, on)
    if args.json:
        _dump({"type": norm.site_type, "required": norm.required, "explanation": norm.explanation,
               "basis": norm.basis, "binding": norm.severity == "error"})
    else:
        print(f"需配备：{norm.required}")
        print(norm.explanation)
        print(f"依据：{norm.basis}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m costing", description="重庆市政府购买社会工作服务预算测算")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("compute", help="测算预算：输入 JSON 文件（- 为标准输入），输出结果 JSON")
    p.add_argument("file")
    p.add_argument("--text", action="store_true", help="输出与预算页、附件相同的文字说明（合计、检查结论、测算假设），而非 JSON")
    p.set_defaults(run=cmd_compute)
    p = sub.add_parser("check", help="核对薪酬方案：{\"budget\": 预算, \"roster\": 花名册} 或配合 --roster 文件")
    p.add_argument("file")
    p.add_argument("--roster", help="花名册文件（.xlsx 或 .csv，按模板填写）")
    p.add_argument("--text", action="store_true", help="输出与核对报告相同的文字说明，而非 JSON")
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("annex", help="生成合同附件：预算明细表 PDF 和/或 Excel")
    p.add_argument("file")
    p.add_argument("--pdf", help="输出 PDF 文件")
    p.add_argument("--xlsx", help="输出 Excel 文件")
    p.add_argument("--purchaser", help="甲方（采购人）名称")
    p.add_argument("--contractor", help="乙方（承接主体）名称")
    p.add_argument("--contract-no", help="合同编号")
    p.set_defaults(run=cmd_annex)
    p = sub.add_parser("params", help="列出某日有效的全部政策参数及其来源，以及那天开始的预算中留空的栏目按什么计")
    p.add_argument("--on", help="日期，如 2025-07-01（默认今天）")
    p.add_argument("--district", help="区县名称，如 城口县")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--export", metavar="DIR", help="把数据库中已生效的参数导出为数据文件（与随软件发布的格式相同）")
    p.set_defaults(run=cmd_params)
    p = sub.add_parser("staffing", help="按实施意见二(三)计算社会工作专业人才配备标准")
    p.add_argument("--type", required=True, choices=list(SITE_TYPES))
    p.add_argument("--workers", type=int, help="工会：职工人数")
    p.add_argument("--total-posts", type=int, help="民办社工机构：岗位总数")
    p.add_argument("--people", type=int, help="学校：学生人数；矫正等机构：服务对象人数")
    p.add_argument("--per-worker", type=int, help="学校、矫正等机构：每名社会工作者对应人数（设定）")
    p.add_argument("--on", help="日期（默认今天）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(run=cmd_staffing)
    for name in ("compute", "check", "annex", "params"):
        sub.choices[name].add_argument("--db", action="store_true",
                                       help="使用数据库中已复核生效的参数（COSTING_DATABASE_URL），而非随软件发布的数据文件")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except NoDatabase as exc:
        return _fail([Problem("--db", str(exc))])
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
