"""A staff member's year in a real browser: log in, log a job fair, see the summary move, correct it,
download the Word summary. Also: Chinese renders in the CJK font, and the forms work without JavaScript.

The tests share one server (tests/browser/conftest.py) on the 2020 demo ledger, where 2020 had one
offline job fair and 9048 posts. Only the first test touches 2020; the others log into 2021.
"""
from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

from docx import Document

from domain.uscc import make_uscc
from tests.browser.conftest import ADMIN, STAFF
from tests.browser.conftest import log_in as shared_log_in

YEAR = 2020
OFFLINE = "business.job_fairs_offline"
POSTS = "business.job_fair_posts"
TITLE = "2020 年秋季浏览器测试线下招聘会"
FIRM_BY_NAME = "武汉浏览器测试甲有限公司"
FIRM_WITH_CODE = ("武汉浏览器测试乙科技有限公司", make_uscc(424242))
RECORD_URL = re.compile(r"/records/([0-9a-f-]{36})$")


def shot(page, screenshots: Path, name: str) -> Path:
    path = screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def log_in(page, base: str, name: str, password: str) -> None:
    shared_log_in(page, base, name, password)
    assert page.url == f"{base}/records", page.url


def figure_text(page, key: str) -> str:
    """A figure's text as the narrative links it (cross-checked with the section's figures table)."""
    link = page.locator(f'.narrative a.figure-link[data-figure="{key}"]')
    assert link.count() == 1, f"{key} is linked {link.count()} times in the narrative"
    text = link.inner_text().strip()
    assert link.get_attribute("href").startswith(f"/summary/{YEAR}/figures/{key}")
    row = page.locator(f'tr.figure-row[data-figure="{key}"] td').nth(1)
    assert row.text_content().strip() == text
    return text


def number(text: str) -> int:
    m = re.fullmatch(r"(\d+) \S+", text)
    assert m, f"not a plain count: {text!r}"
    return int(m.group(1))


def open_summary(page, base: str) -> None:
    page.goto(f"{base}/summary/{YEAR}")
    assert page.locator("h1.summary-title").inner_text().endswith(f"{YEAR} 年工作总结")


def test_staff_logs_and_corrects_a_job_fair_and_the_summary_follows(context, live_server, screenshots):
    base = live_server.url
    page = context.new_page()

    # 1. log in through the form
    page.goto(f"{base}/login")
    shot(page, screenshots, "01-login")
    log_in(page, base, *STAFF)
    shot(page, screenshots, "02-records")

    # 2. the summary before: one offline job fair
    open_summary(page, base)
    assert figure_text(page, OFFLINE) == "1 场"
    posts_before = number(figure_text(page, POSTS))
    shot(page, screenshots, "03-summary-before")

    # 3. log an offline job fair with two firms: one by name only, one by name and code
    page.goto(f"{base}/log/job_fair")
    assert page.input_value("#f-organisation") == "东西湖区工商联"  # the ledger's organisation, filled in
    page.fill("#f-title", TITLE)
    page.fill("#f-occurred_on", "2020-09-15")
    page.select_option("#f-mode", label="线下")
    page.fill("#f-posts", "120")
    names, codes = page.locator("input[name=firm_name]"), page.locator("input[name=firm_uscc]")
    names.nth(0).fill(FIRM_BY_NAME)
    names.nth(1).fill(FIRM_WITH_CODE[0])
    codes.nth(1).fill(FIRM_WITH_CODE[1])
    shot(page, screenshots, "04-log-form")
    with page.expect_navigation():
        page.click("form.work-form button.primary[type=submit]")

    # 4. the record's page: its values and its history, logged by the staff member
    match = RECORD_URL.search(page.url)
    assert match, f"not on a record page: {page.url}"
    record_id = match.group(1)
    assert page.locator("h1").inner_text() == TITLE
    assert "120" in page.locator("#value-posts").inner_text()
    firms = page.locator("#value-firms").inner_text()
    assert FIRM_BY_NAME in firms and FIRM_WITH_CODE[0] in firms and FIRM_WITH_CODE[1] in firms
    history = page.locator("table.history tr.event")
    assert history.count() == 1
    assert STAFF[0] in history.nth(0).inner_text()
    shot(page, screenshots, "05-record")

    # 5. the summary now counts it: two offline fairs, 120 more posts
    open_summary(page, base)
    assert figure_text(page, OFFLINE) == "2 场"
    assert number(figure_text(page, POSTS)) == posts_before + 120
    shot(page, screenshots, "06-summary-after-log")
    # the figure's link leads to its sources, the new record among them
    with page.expect_navigation():
        page.click(f'.narrative a.figure-link[data-figure="{OFFLINE}"]')
    assert page.locator(f'a[href="/records/{record_id}"]').count() >= 1
    shot(page, screenshots, "07-figure-offline")

    # 6. correct the posts (120 → 150) with a reason
    page.goto(f"{base}/records/{record_id}")
    with page.expect_navigation():
        page.click(f'a[href="/records/{record_id}/correct"]')
    assert page.input_value("#f-posts") == "120"
    page.fill("#f-posts", "150")
    page.fill("#f-reason", "录入错误")
    shot(page, screenshots, "08-correct-form")
    with page.expect_navigation():
        page.click("form.work-form button.primary[type=submit]")
    assert page.url == f"{base}/records/{record_id}"
    assert "150" in page.locator("#value-posts").inner_text()
    history = page.locator("table.history tr.event")
    assert history.count() == 2
    correction = history.nth(1).inner_text()
    assert "录入错误" in correction and STAFF[0] in correction
    shot(page, screenshots, "09-record-corrected")

    # 7. the summary follows the correction
    open_summary(page, base)
    assert figure_text(page, OFFLINE) == "2 场"
    posts_text = figure_text(page, POSTS)
    assert number(posts_text) == posts_before + 150
    shot(page, screenshots, "10-summary-after-correct")

    # 8. the Word download says the same
    with page.expect_download() as info:
        page.locator('.summary-toolbar a[href$="/download.docx"]').click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    path = screenshots.parent / "summary-2020.docx"
    download.save_as(str(path))
    document = Document(str(path))
    title = next(p.text for p in document.paragraphs if p.text.strip())
    assert "2020 年工作总结" in title
    text = "\n".join([p.text for p in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    assert posts_text in text, f"{posts_text} is not in the docx"


def test_chinese_renders_in_the_cjk_font(context, live_server, screenshots):
    page = context.new_page()
    page.goto(live_server.url + "/")
    heading = page.locator("h1")
    assert "工商联工作台账" in heading.inner_text()
    # the font Chromium really drew the heading with (not a fallback that shows boxes)
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1 span"})["nodeId"]
    fonts = [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
    assert any("WenQuanYi" in f or "文泉" in f for f in fonts), fonts
    path = shot(page, screenshots, "20-cjk-welcome")
    assert path.stat().st_size > 5_000, "the screenshot is suspiciously small"

    # a page full of Chinese: the admin's users list
    log_in(page, live_server.url, *ADMIN)
    page.goto(live_server.url + "/admin/users")
    assert STAFF[0] in page.content()
    path = shot(page, screenshots, "21-cjk-admin-users")
    assert path.stat().st_size > 10_000


def test_log_form_works_without_javascript(browser, live_server, screenshots):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, live_server.url, *STAFF)
        page.goto(live_server.url + "/log/job_fair")
        title = "2021 年无脚本线上招聘会"
        page.fill("#f-title", title)
        page.fill("#f-occurred_on", "2021-03-01")
        page.select_option("#f-mode", value="online")
        page.fill("#f-posts", "30")
        page.locator("input[name=firm_name]").nth(0).fill(FIRM_BY_NAME)
        shot(page, screenshots, "30-nojs-log-form")
        with page.expect_navigation():
            page.click("form.work-form button.primary[type=submit]")
        match = RECORD_URL.search(page.url)
        assert match, f"not on a record page: {page.url}"
        assert page.locator("h1").inner_text() == title
        shot(page, screenshots, "31-nojs-record")
        stored = live_server.services().ledger.get(UUID(match.group(1)))
        assert stored["title"] == title and stored["logged_by"] == STAFF[0]
    finally:
        context.close()


def test_a_clerk_logs_a_fair_with_20_pasted_firms_and_attaches_the_sign_in_sheet(context, live_server, screenshots,
                                                                                  tmp_path):
    """A job fair with 20 firms through the paste box, by a clerk at the keyboard, then its sign-in sheet
    (a photo) attached on the record page. The time from opening the form to the saved record is printed
    (speed belongs in scripts/bench, not in an assertion)."""
    import time

    from tests.evidence_files import png

    base = live_server.url
    page = context.new_page()
    log_in(page, base, *STAFF)
    firms = [f"武汉粘贴测试{n:02d}有限公司\t{make_uscc(770000 + n)}" for n in range(1, 21)]
    started = time.monotonic()
    page.goto(f"{base}/log/job_fair")
    page.fill("#f-title", "2021 年春季粘贴名单招聘会")
    page.fill("#f-occurred_on", "2021-03-20")
    page.select_option("#f-mode", label="线下")
    page.fill("#f-posts", "450")
    page.click("details.firm-paste summary")
    page.fill("#f-firm_list", "\n".join(firms))
    with page.expect_navigation():
        page.click("form.work-form button.primary[type=submit]")
    seconds = time.monotonic() - started
    assert RECORD_URL.search(page.url), page.url
    print(f"\nlogged a job fair with 20 pasted firms in {seconds:.1f} s (form opened to record saved)")
    listed = page.locator("#value-firms li")
    assert listed.count() == 20
    shot(page, screenshots, "20-pasted-firms-record")

    sheet = tmp_path / "签到表.png"
    sheet.write_bytes(png(40, 30))
    page.set_input_files("#f-evidence", str(sheet))
    with page.expect_navigation():
        page.click("form.evidence-upload button[type=submit]")
    item = page.locator("li.evidence-item")
    assert item.count() == 1 and "签到表.png" in item.inner_text()
    assert page.locator("li.evidence-item img.thumb").evaluate("img => img.naturalWidth") == 40
    shot(page, screenshots, "21-evidence-attached")
