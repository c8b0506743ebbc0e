"""The public contract: python -m costing compute|params|staffing. The cases run in this process through
``main(argv)``, with the standard streams captured as bytes; one runs ``python -m costing`` for real."""
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from costing.cli import main

from .engine.helpers import budget_input, person

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Done:
    returncode: int
    stdout: bytes
    stderr: bytes


@pytest.fixture
def cli(monkeypatch, capsysbinary, tmp_path):
    # no database at all, whatever this machine has in instance/: the commands say they cannot tell
    monkeypatch.setenv("COSTING_DATABASE_URL", f"sqlite:///{tmp_path}/no-database.sqlite")

    def run(*args, stdin: bytes | None = None) -> Done:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin or b"")))
        code = main(list(args))
        out = capsysbinary.readouterr()
        return Done(code, out.out, out.err)
    return run


def test_python_dash_m_costing_is_the_entry_point(tmp_path):
    path = tmp_path / "budget.json"
    path.write_text(json.dumps(budget_input(), ensure_ascii=False), "utf-8")
    done = subprocess.run([sys.executable, "-m", "costing", "compute", str(path)], capture_output=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["totals"]["grand_total"] == "84432.72"
    done = subprocess.run([sys.executable, "-m", "costing", "compute", "-"], input=b"{", capture_output=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 2 and done.stdout == b"" and done.stderr.startswith(b"input: ")


def test_compute_reads_a_file_and_prints_json(tmp_path, cli):
    path = tmp_path / "budget.json"
    path.write_text(json.dumps(budget_input(), ensure_ascii=False), "utf-8")
    done = cli("compute", str(path))
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    # tests/engine/test_budget.py::test_one_person_in_yuzhong_for_2025 works these out
    assert out["totals"]["grand_total"] == "84432.72"
    assert out["personnel"][0]["employer_contributions"]["pension"] == "9600.00"
    assert out["amount_in_words"] == "人民币捌万肆仟肆佰叁拾贰元柒角贰分"
    assert {"code", "severity", "where", "message", "basis"} <= set(out["findings"][0])
    assert {"name", "value", "start", "source", "confidence"} <= set(out["parameters"][0])


def test_findings_do_not_change_the_exit_code(cli):
    data = budget_input(personnel=[person(monthly_pay="1000.00")])
    done = cli("compute", "-", stdin=json.dumps(data).encode())
    assert done.returncode == 0
    assert "PAY_BELOW_MIN_WAGE" in {f["code"] for f in json.loads(done.stdout)["findings"]}


def test_invalid_input_exits_2_with_path_messages_and_no_stdout(cli):
    data = budget_input(personnel=[person(), person(), person(monthly_pay="-5")])
    done = cli("compute", "-", stdin=json.dumps(data).encode())
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().strip() == "personnel[2].monthly_pay: 必须是不小于 0 的金额，最多两位小数"


def test_garbage_never_prints_a_traceback(tmp_path, cli):
    for raw in (b"\xff\xfe", b"[]", b"{", b'{"project": Infinity}', b"x" * (10 * 1024 * 1024)):
        done = cli("compute", "-", stdin=raw)
        assert done.returncode == 2 and done.stdout == b""
        assert b"Traceback" not in done.stderr and done.stderr.startswith(b"input: ")
    done = cli("compute", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "无法读取文件" in done.stderr.decode()


def test_params_lists_figures_in_force_with_sources(cli):
    done = cli("params", "--on", "2025-07-01", "--district", "城口县", "--json")
    assert done.returncode == 0
    listing = json.loads(done.stdout)
    assert listing["tier"] == "tier2"
    wage = next(r for r in listing["parameters"] if r["name"] == "min_wage.monthly")
    assert (wage["value"], wage["source"]) == ("2200.00", "渝人社发〔2024〕22号")
    assert listing["defaults"] == {"housing_fund_rate": "0.05", "work_injury_rate": "0.003",
                                   "allowance_categories": ["community"]}
    text = cli("params", "--on", "2025-07-01").stdout.decode()
    # read as the pages read figures: region, value with its unit, when in force, basis
    assert "第一档 最低工资标准（月）：2,330.00 元/月；2025-01-01 起；依据 渝人社发〔2024〕22号；可信度：" in text
    assert "重庆市 住房公积金缴存比例下限（单位）：5%；现行有效；" in text
    assert "2024-01-01 至 2024-12-31，已过期末，沿用" in text and "全国 小规模纳税人附加税费减征系数：×0.5；" in text
    assert not any(raw in text for raw in ("[tier1]", " rate ", "CNY/month", "日期不详"))
    # and what a budget starting that day gets for its blank fields
    assert "服务期从 2025-07-01 开始的预算，留空的栏目：\n  公积金比例留空按 5%（各月的单位缴存比例下限）\n" \
           "  工伤费率留空按政策费率 0.3%\n  职业津贴留空按本区县的标准（只用于持证的社区类岗位；" in text
    bad = cli("params", "--on", "2025-07-01", "--district", "北京")
    assert bad.returncode == 2 and bad.stderr.decode().startswith("--district: ")


def test_staffing_answers_the_norm(cli):
    done = cli("staffing", "--type", "trade_union", "--workers", "6500")
    assert done.returncode == 0
    assert done.stdout.decode().startswith("需配备：3")
    done = cli("staffing", "--type", "social_work_org", "--json")
    assert done.returncode == 2 and "--total-posts: " in done.stderr.decode()


def test_text_reads_like_the_page(tmp_path, cli):
    data = budget_input(personnel=[person(monthly_pay="1000.00"), person(housing_fund_rate="0.07")])
    done = cli("compute", "-", "--text", stdin=json.dumps(data).encode())
    text = done.stdout.decode()
    assert done.returncode == 0 and "预算总额 " in text and " 元（人民币" in text
    assert "【错误】PAY_BELOW_MIN_WAGE" in text
    assert "第 2 行「社工」住房公积金比例：采用 7%，默认 5%；理由：测试设定" in text
    roster = {"budget": budget_input(), "roster": [{"id": "S1", "post": "社工", "level": "junior",
                                                    "certificate": "none", "monthly_pay": "5000.00"}]}
    done = cli("check", "-", "--text", stdin=json.dumps(roster).encode())
    text = done.stdout.decode()
    assert done.returncode == 0 and "人数 1：不合规 1" in text and "【错误】CERTIFICATE_BELOW_LEVEL" in text


def test_check_with_a_roster_file_names_its_rows_and_quotes_its_cells(tmp_path, cli):
    budget = tmp_path / "budget.json"
    budget.write_text(json.dumps(budget_input(), ensure_ascii=False), "utf-8")
    roster = tmp_path / "花名册.csv"
    roster.write_text("姓名或工号,岗位,等级,证书,月应发工资\n张三,社工,初级,无,5000\n,,,,\n李四,社工,初级,无,4千8\n"
                      "张三,社工,初级,无,\"4,800元\"\n", "utf-8")
    done = cli("check", str(budget), "--roster", str(roster))
    errors = done.stderr.decode()
    assert done.returncode != 0
    assert "第 4 行 月应发工资: 「4千8」不是金额，请填写数字，如 4800 或 4800.00" in errors
    assert "第 5 行 姓名或工号: 「张三」与第 2 行重复" in errors


def test_each_command_says_which_figures_it_used_and_that_it_cannot_tell_about_a_database(tmp_path, cli):
    path = tmp_path / "budget.json"
    path.write_text(json.dumps(budget_input(), ensure_ascii=False), "utf-8")
    for args in (["compute", str(path)], ["compute", str(path), "--text"], ["params", "--on", "2025-07-01"],
                 ["params", "--on", "2025-07-01", "--json"]):
        done = cli(*args)
        assert done.returncode == 0
        said = done.stderr.decode().splitlines()
        assert said[0].startswith("政策参数：随软件发布的数据文件（参数集 ") and "加 --db 使用它们" in said[0]
        assert said[1] == ("无法判断数据库中是否有更新的参数：没有找到数据库（COSTING_DATABASE_URL 未设置，默认的 "
                           "instance/costing.sqlite 不存在）")
        assert "无法判断" not in done.stdout.decode()                  # the result itself is unchanged
    json.loads(cli("compute", str(path)).stdout)


def test_the_text_of_a_budget_over_two_years_gives_each_year_and_each_tax_period(tmp_path, capsys):
    data = budget_input(start="2027-01", end="2028-12", contractor={"taxpayer": "small_scale"})
    path = tmp_path / "two.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["compute", str(path), "--text"]) == 0
    out = capsys.readouterr().out
    assert "税费（2027-01 至 2027-12 增值税 1%，附加 6%；2028-01 至 2028-12 增值税 3%，附加 12%）" in out
    assert "  2027 年度（2027-01 至 2027-12）：人员经费 " in out and "  2028 年度（2028-01 至 2028-12）" in out
