"""A real server in a thread and Debian's Chromium driven by Playwright (no browser download)."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from costing import ROOT, create_app, jobs
from costing.commands import load_demo
from costing.models import db

CHROMIUM = os.environ.get("COSTING_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--lang=zh-CN"]


def _read_through(app):
    """Each response is read (and its file closed) before it is sent: when Chromium drops a request half-way
    (a favicon as the page moves on), the development server would otherwise leave the file open."""
    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()
    return wsgi


@contextmanager
def live_server(database_uri: str, demo: bool = True):
    """Serve a fresh app (migrated, with the demo data) on a free port; yields its base URL."""

    # its rate-limit counts (and the job lock beside them) its own, not the working tree's instance folder
    limits = Path(tempfile.mkdtemp(prefix="costing-live-")) / "ratelimits.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "browser-tests", "RATE_LIMIT_FILE": str(limits)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if demo:
            load_demo()
    server = make_server("127.0.0.1", 0, _read_through(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(5)
        jobs.stop(app)          # its job process, if it started one
        shutil.rmtree(limits.parent, ignore_errors=True)
        with app.app_context():
            db.engine.dispose()


@contextmanager
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page, base: str, username: str, password: str = "demo-2025") -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/budgets/")


def wait_for_text(page, selector: str, text: str, timeout: float = 30_000) -> None:
    """Wait until the element's text is exactly ``text``. (Playwright's wait_for_function polls a predicate it
    compiles from a string in the page, which the app's Content-Security-Policy refuses, as it should.)"""
    expect(page.locator(selector)).to_have_text(text, timeout=timeout)
