"""Annex speed: the PDF for 20, 100 and 500 personnel lines, warm in-process, against LibreOffice
converting the exported XLSX to PDF (what officers do today).

Run: .venv/bin/python bench/annex.py   (installs Debian's libreoffice-calc-nogui when missing and run
as root). Prints median seconds, peak memory of a process rendering that size, file size and pages,
the time to serve an approved revision's stored annex, and LibreOffice's time for the same workbook.
Goals: 20 lines ≤ 0.25 s, 100 ≤ 0.6 s, 500 ≤ 2.5 s; stored annex ≤ 50 ms; faster than LibreOffice up to
at least 200 lines; peak memory ≤ 300 MB; file ≤ 500 KB.
"""
from __future__ import annotations

import gc
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from weasyprint import HTML  # noqa: E402

from costing import jobs  # noqa: E402
from costing.annex.render import AnnexMeta, _fonts, annex_pdf  # noqa: E402
from costing.annex.workbook import annex_workbook  # noqa: E402
from costing.budgets import service  # noqa: E402
from costing.engine.budget import compute  # noqa: E402
from costing.engine.parameters import default_parameters  # noqa: E402
from costing.engine.parse import parse_budget  # noqa: E402
from costing.engine.result import to_json  # noqa: E402
from costing.models import User, db  # noqa: E402
from costing.results.verification import verification_code  # noqa: E402
from costing.web import current_parameters  # noqa: E402
from tests.browser.live import live_server  # noqa: E402

SIZES = (20, 100, 200, 500)


def result_for(lines: int) -> dict:
    data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
    base = data["personnel"]
    data["personnel"] = [dict(base[i % len(base)], post=f"社会工作者（第{i + 1}岗）", monthly_pay=f"{4000 + i * 7}.00")
                         for i in range(lines)]
    data["project"]["appropriation"] = "99999999.00"
    params = default_parameters()
    return to_json(compute(parse_budget(data, params), params))


def child(lines: int) -> None:
    """Run in a fresh process: render once to warm up, then report peak RSS of a render."""

    result = result_for(lines)
    meta = AnnexMeta(code=verification_code(result))
    annex_pdf(result, meta)
    annex_pdf(result, meta)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def libreoffice() -> str | None:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if found is None and os.geteuid() == 0:
        print("installing libreoffice-calc-nogui for the comparison …", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "libreoffice-calc-nogui"],
                       check=False, capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("libreoffice") or shutil.which("soffice")
    return found


def pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
        return
    office = libreoffice()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for lines in SIZES:
            result = result_for(lines)
            meta = AnnexMeta(code=verification_code(result))
            pdf = annex_pdf(result, meta)             # warm: fonts, templates, stylesheet
            repeat = 5 if lines <= 200 else 3
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                pdf = annex_pdf(result, meta)
                times.append(time.perf_counter() - start)
            peak = subprocess.run([sys.executable, __file__, "--child", str(lines)], capture_output=True, text=True,
                                  check=True).stdout.strip()
            lo = "—"
            if office:
                xlsx = Path(tmp) / f"annex-{lines}.xlsx"
                xlsx.write_bytes(annex_workbook(result, meta))
                profile = Path(tmp) / "lo-profile"
                convert = [office, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                           "--outdir", tmp, str(xlsx)]
                subprocess.run(convert, capture_output=True, check=True)      # first start creates the profile
                lo_times = []
                for _ in range(3):
                    start = time.perf_counter()
                    subprocess.run(convert, capture_output=True, check=True)
                    lo_times.append(time.perf_counter() - start)
                lo = f"{statistics.median(lo_times):.2f}"
            rows.append((lines, statistics.median(times), peak, len(pdf), pages(pdf), lo))
    stored = stored_annex_ms()
    print("| personnel lines | PDF median s | peak memory MB | size KB | pages | LibreOffice XLSX→PDF s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for lines, median, peak, size, count, lo in rows:
        print(f"| {lines} | {median:.2f} | {peak} | {size / 1024:.0f} | {count} | {lo} |")
    print(f"\nstored annex of an approved revision served (100 lines, median of 30): {stored:.1f} ms")
    base = calibration()
    print(f"calibration, the notes' plain optimised 13-column table here: 20 rows {base[20]:.2f} s, "
          f"100 rows {base[100]:.2f} s (the notes: 0.19 s, 0.53 s)")


def calibration() -> dict[int, float]:
    """The plain, fully optimised 13-column table of ../shared/notes/weasyprint-speed.md on this machine:
    what any annex costs here at best (the notes measured 0.19 s / 0.53 s for 20 / 100 rows)."""


    out = {}
    for n in (20, 100):
        cells = "".join(f"<td>{x}</td>" for x in ("1", "社会工作者", "社区", "初级", "1", "4,300.00", "200.00", "12",
                                                   "54,000.00", "8,640.00", "4,590.00", "810.00", "88,000.00"))
        html = ('<html lang="zh-CN"><style>@page { size: A4 landscape; margin: 12mm } html { font-family: "Noto Sans CJK SC";'
                ' font-size: 9pt } table { table-layout: fixed; width: 100%; border-collapse: collapse }'
                ' td { border: 0.3pt solid #555; white-space: nowrap }</style><table><colgroup>'
                + '<col style="width: 20mm">' * 13 + "</colgroup><tbody>" + f"<tr>{cells}</tr>" * n
                + "</tbody></table></html>")
        HTML(string=html).write_pdf(font_config=_fonts())
        gc.disable()
        start = time.perf_counter()
        HTML(string=html).write_pdf(font_config=_fonts())
        out[n] = time.perf_counter() - start
        gc.enable()
    return out


def stored_annex_ms() -> float:
    """Serve an approved revision's stored PDF through the app (test client, server time)."""
    with tempfile.TemporaryDirectory() as tmp, live_server(f"sqlite:///{tmp}/bench.sqlite") as (_base, app):
        data = json.loads((ROOT / "docs" / "example-budget.json").read_text("utf-8"))
        data["personnel"] = [dict(data["personnel"][1], post=f"岗位{i}") for i in range(100)]
        data["project"]["appropriation"] = "99999999.00"
        with app.app_context():
            preparer = db.session.query(User).filter_by(username="yubei.bianzhi").one()
            approver = db.session.query(User).filter_by(username="yubei.shenhe").one()
            budget = service.create_budget(preparer, data, current_parameters())
            service.submit(budget, preparer, budget.latest.number, confirmed=True)
            service.approve(budget, approver, budget.latest.number, confirmed=True)
            db.session.commit()
            budget_id = budget.id
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        client.post("/login", data={"username": "yubei.bianzhi", "password": "demo-2025"})
        assert client.get(f"/budgets/{budget_id}/annex.pdf").status_code in (200, 202)   # queued and rendered
        jobs.wait_idle(app)                                                            # in the background
        assert client.get(f"/budgets/{budget_id}/annex.pdf").status_code == 200
        times = []
        for _ in range(30):
            start = time.perf_counter()
            response = client.get(f"/budgets/{budget_id}/annex.pdf")
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        return statistics.median(times)


if __name__ == "__main__":
    main()
