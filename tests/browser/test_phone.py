"""The ledger on a phone: every page of the authorisation matrix fits the width from 360 to 430 px
(and at 1280), tap targets are at least 44 px, a staff member logs a job fair with three firms by taps
only, and axe-core finds no violation on any of those pages.

The pages are the GET routes of ``tests/web/test_authz_matrix.EXPECTED`` that answer HTML, so a page
added to the app (which must get a line there) is measured here too. axe-core comes from the PyPI
package ``axe-playwright-python``, which ships ``axe.min.js``: no network is needed.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from service.ledger import record_id_for
from tests.browser.conftest import ADMIN, STAFF, log_in
from tests.web.test_authz_matrix import EXPECTED, QUERY, SHEET_DIGEST

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PHONE_WIDTHS = (360, 390, 430)
RECORD = record_id_for("demo-2020-job_fair-01")
VALUES = {"record_id": str(RECORD), "year": "2020", "key": "business.job_fairs_offline", "fmt": "docx",
          "kind": "job_fair", "code": "en", "digest": SHEET_DIGEST, "name": "default"}
# Routes that never answer a page: JSON, downloads, redirects.
NOT_PAGES = ("/api/openapi.json", "/healthz", "/firms/suggest", "/lang/<code>", "/audit/checkpoint.json",
             "/summary/<int:year>/download.<fmt>", "/records/<uuid:record_id>/evidence/<digest>",
             "/summary/<int:year>/evidence.zip")
RECORD_URL = re.compile(r"/records/([0-9a-f-]{36})(\?.*)?$")


def page_paths() -> list[str]:
    """The URL of each page the matrix lists (GET, HTML), its parameters filled in."""
    paths = []
    for rule, method in sorted(EXPECTED):
        if method != "GET" or rule in NOT_PAGES or rule.startswith("/api/") and rule != "/api/docs":
            continue
        path = re.sub(r"<([^>]+)>", lambda m: VALUES[m.group(1).split(":")[-1]], rule)
        query = QUERY.get((rule, method)) or ({"name": "武汉甲科技有限公司"} if rule == "/firms" else None)
        if query:
            path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        paths.append(path)
    return paths


PAGES = page_paths()


@pytest.fixture(scope="module", autouse=True)
def evidence_on_the_record(live_server):
    """The record page of the list shows attachments (a thumbnail, a PDF) when it is measured."""
    from service.evidence import attach
    from tests.evidence_files import pdf, png

    for data, name in ((png(), "签到照片.png"), (pdf(), "签到表.pdf")):
        attach(live_server.services(), RECORD, data, name, actor="demo")




@pytest.fixture
def admin_page(browser, live_server):
    """A logged-in admin (who may open every page) in a fresh Chinese context at the phone size."""
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server.url, *ADMIN)
    yield page
    context.close()


def open_page(page, base: str, path: str):
    response = page.goto(base + path)
    assert response is not None and response.status == 200, (path, response and response.status)
    assert "text/html" in response.headers.get("content-type", ""), path
    return response


def overflow(page) -> dict | None:
    """Where the page is wider than the window: the widths and the widest elements, or None."""
    return page.evaluate("""() => {
        const doc = document.documentElement, width = window.innerWidth;
        if (doc.scrollWidth <= width) return null;
        const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-scroll'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
        return {scrollWidth: doc.scrollWidth, innerWidth: width, wide};
    }""")


def test_the_page_list_covers_the_staff_audit_and_admin_pages():
    assert len(PAGES) >= 15
    for path in ("/log/job_fair", "/records", f"/records/{RECORD}", "/summary/2020", "/audit/",
                 "/audit/verify", "/admin/users", "/login", "/import", f"/import/{SHEET_DIGEST}?kind=job_fair"):
        assert path in PAGES


def test_no_page_scrolls_sideways_from_360_to_430_px_or_at_1280(admin_page, live_server):
    page, base = admin_page, live_server.url
    too_wide = {}
    for path in PAGES + ["/audit/?view=events", "/log"]:
        open_page(page, base, path)
        for width in PHONE_WIDTHS + (DESKTOP["width"],):
            page.set_viewport_size({"width": width, "height": PHONE["height"] if width < 1000 else DESKTOP["height"]})
            found = overflow(page)
            if found:
                too_wide[f"{path} @{width}"] = found
        page.set_viewport_size(PHONE)
    assert too_wide == {}


def test_the_pages_fit_for_a_visitor_too(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    try:
        for path in ("/", "/login"):
            open_page(page, live_server.url, path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    finally:
        context.close()


def test_on_a_phone_the_header_is_a_menu_that_opens_without_javascript(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, *STAFF)
        ledger_link = page.locator("header.top nav a", has_text="台账")
        assert not ledger_link.is_visible()
        page.tap("label.menu-button")
        assert ledger_link.is_visible()
        box = ledger_link.bounding_box()
        assert box["height"] >= 44 and box["width"] <= PHONE["width"]
        page.set_viewport_size(DESKTOP)
        assert not page.locator("label.menu-button").is_visible()
        assert ledger_link.is_visible()  # a wide screen shows the links as a row, no menu to open
    finally:
        context.close()


def tap_targets_too_small(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll(
            'button, select, textarea, summary, a.button, header.top a, .menu-button, '
            + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
        .filter(e => !e.closest('[aria-hidden=true]'))  // the form's hidden default button (Enter saves)
        .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.height < 44; })
        .map(e => e.outerHTML.slice(0, 80))""")


def test_tap_targets_are_at_least_44_px_on_the_form_and_the_ledger(admin_page, live_server):
    page = admin_page
    for path in ("/log/job_fair", "/records", f"/records/{RECORD}/correct", "/audit/"):
        open_page(page, live_server.url, path)
        page.click("label.menu-button")  # the menu's links too
        assert tap_targets_too_small(page) == [], path


def test_a_staff_member_logs_a_job_fair_with_three_firms_by_taps_only(browser, live_server, screenshots):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = live_server.url
    try:
        log_in(page, base, *STAFF)
        page.tap("label.menu-button")
        with page.expect_navigation():
            page.tap("header.top nav a:has-text('登记工作')")
        with page.expect_navigation():
            page.tap("a[href='/log/job_fair']")
        # the phone's keyboards: numbers for counts, today as the date, the ledger's organisation
        assert page.get_attribute("#f-posts", "inputmode") == "numeric"
        assert page.input_value("#f-occurred_on") == date.today().isoformat()
        assert page.input_value("#f-organisation") == "东西湖区工商联"
        assert page.locator("input[name=firm_name]").count() == 2

        def type_into(selector: str, text: str) -> None:
            page.tap(selector)
            page.keyboard.type(text)

        type_into("#f-title", "手机登记的线下招聘会")
        page.tap("#f-mode")
        page.select_option("#f-mode", "offline")
        type_into("#f-posts", "85")
        type_into("#f-firm_name-1", "武汉手机甲有限公司")
        type_into("#f-firm_name-2", "武汉手机乙有限公司")
        with page.expect_navigation():
            page.tap("button[name=more_firms]")  # 再加一家
        assert page.locator("input[name=firm_name]").count() == 3
        assert page.input_value("#f-title") == "手机登记的线下招聘会"  # nothing typed is lost
        type_into("#f-firm_name-3", "武汉手机丙有限公司")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / "phone-01-job-fair-form.png"), full_page=True)
        with page.expect_navigation():
            page.tap("form.work-form button.primary[type=submit]")

        assert RECORD_URL.search(page.url), page.url
        assert "已保存" in page.locator("#saved").inner_text()
        firms = page.locator("#value-firms li")
        assert firms.count() == 3
        assert [firms.nth(i).inner_text().strip() for i in range(3)] == [
            "武汉手机甲有限公司", "武汉手机乙有限公司", "武汉手机丙有限公司"]
        page.screenshot(path=str(screenshots / "phone-02-saved.png"), full_page=True)

        # the same kind again: organisation and date kept, the rest empty
        with page.expect_navigation():
            page.tap("#saved a:has-text('再登记一条同类工作')")
        assert page.url.split("?")[0] == f"{base}/log/job_fair"
        assert page.input_value("#f-organisation") == "东西湖区工商联"
        assert page.input_value("#f-occurred_on") == date.today().isoformat()
        assert page.input_value("#f-title") == ""
    finally:
        context.close()


def test_a_pasted_list_of_firms_is_logged_as_firms(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server.url, *STAFF)
        page.goto(f"{live_server.url}/log/job_fair?occurred_on=2021-03-02")
        assert page.input_value("#f-occurred_on") == "2021-03-02"
        page.fill("#f-title", "粘贴名单的招聘会")
        page.select_option("#f-mode", "online")
        page.fill("#f-posts", "12")
        page.tap("details.firm-paste summary")
        page.fill("#f-firm_list", "1. 武汉粘贴甲有限公司\n2、武汉粘贴乙有限公司\n\n武汉粘贴丙有限公司\n")
        with page.expect_navigation():
            page.press("#f-posts", "Enter")  # the keyboard's Go key saves: it is not 再加一家
        assert RECORD_URL.search(page.url), page.url
        firms = page.locator("#value-firms li")
        assert [firms.nth(i).inner_text().strip() for i in range(firms.count())] == [
            "武汉粘贴甲有限公司", "武汉粘贴乙有限公司", "武汉粘贴丙有限公司"]
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_no_violation_on_any_page(admin_page, live_server, viewport):
    from axe_playwright_python.sync_playwright import Axe

    axe, page = Axe(), admin_page
    page.set_viewport_size(viewport)
    found = {}
    for path in PAGES + ["/audit/?view=events"]:
        open_page(page, live_server.url, path)
        results = axe.run(page)
        if results.violations_count:
            found[path] = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                           for v in results.response["violations"]]
    assert found == {}
