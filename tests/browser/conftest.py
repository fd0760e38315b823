"""Browser tests: the real app served by waitress in a thread, driven by Debian's Chromium.

Playwright never downloads a browser here: Chromium is launched from ``shutil.which("chromium")``
(``apt-get install chromium fonts-wqy-microhei``, see DEVELOPERS.md). Without it the tests are
skipped locally and fail under ``CI=true``, so CI never passes by skipping them.

Screenshots go to ``test-output/screenshots/`` (ignored by git).
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import SHEET_CSV

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

STAFF = ("chen_staff", "staff-browser-pass-1")
ADMIN = ("zhou_admin", "admin-browser-pass-1")


def _unavailable(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class LiveServer:
    url: str
    app: object

    def services(self):
        return self.app.extensions["taizhang"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on the 2020 demo ledger, with a staff and an admin user, served on a free port."""
    import waitress

    from api import create_app
    from scripts.demo import demo_payloads

    app = create_app({"TAIZHANG_DATA": str(tmp_path_factory.mktemp("browser-data")), "SECRET_KEY": "x"})
    services = app.extensions["taizhang"]
    with app.app_context():
        services.ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
        for (name, password), role in ((STAFF, "staff"), (ADMIN, "admin")):
            services.accounts.add(name, role, password)
        services.sheets.put(SHEET_CSV, "招聘会台账.csv")  # the upload the sheet import's preview page shows
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress-browser-tests", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.effective_port}", app)
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover - the test extra installs it
        _unavailable(f"Playwright is not installed: {e}")
    executable = shutil.which("chromium")
    if not executable:
        _unavailable("chromium is not installed (apt-get install -y chromium fonts-wqy-microhei)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser):
    """A fresh browser context (its own cookies) per test, in Chinese."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def log_in(page, base: str, name: str, password: str) -> None:
    """Log in through the login form, as a person would (the browser follows the redirect)."""
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
