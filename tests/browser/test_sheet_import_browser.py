"""The sheet import in a real browser, as a clerk does it: choose the Excel file, pick the kind, read
the preview (every bad cell marked), fix the sheet, import; the same sheet again adds nothing.
Rows go into 2023, which no other browser test reads."""
from __future__ import annotations

from datetime import datetime

from tests.browser.conftest import STAFF, log_in
from tests.helpers import ORG, xlsx_bytes

HEADER = ["序号", "日期", "活动名称", "形式", "提供岗位数（个）", "参与企业"]
GOOD = [[1, datetime(2023, 5, 12), "浏览器导入线上招聘会", "线上", "1200余", "武汉浏览器导入甲有限公司、武汉浏览器导入乙有限公司"],
        [2, "2023/6/1", "浏览器导入线下招聘会", "线下", 40, "武汉浏览器导入丙有限公司"]]


def test_a_clerk_imports_an_excel_sheet_and_the_same_sheet_again_adds_nothing(context, live_server, screenshots,
                                                                              tmp_path):
    page = context.new_page()
    base = live_server.url
    log_in(page, base, *STAFF)
    bad = tmp_path / "招聘会台账（有误）.xlsx"
    bad.write_bytes(xlsx_bytes([HEADER, *GOOD, [3, "2023年13月1日", "浏览器导入第三场", "现场", 5, None]],
                               title_row="2023年招聘会工作台账"))
    page.click("header.top nav a:has-text('导入表格')")
    page.set_input_files("#f-file", str(bad))
    page.select_option("#f-kind", "job_fair")
    page.fill("#f-organisation", ORG)
    with page.expect_navigation():
        page.click("form.sheet-upload button[type=submit]")
    errors = page.locator("ul.cell-errors li")
    assert errors.count() == 2
    assert errors.nth(0).inner_text() == "第 5 行 B 列“日期”：没有这一天：2023年13月1日"
    assert page.locator("#cell-5-D.bad-cell").count() == 1
    assert page.locator("button[value=import]").count() == 0
    page.screenshot(path=str(screenshots / "sheet-import-errors.png"), full_page=True)

    good = tmp_path / "招聘会台账.xlsx"
    good.write_bytes(xlsx_bytes([HEADER, *GOOD], title_row="2023年招聘会工作台账"))
    page.click("text=上传另一份表格")
    page.set_input_files("#f-file", str(good))
    page.select_option("#f-kind", "job_fair")
    with page.expect_navigation():
        page.click("form.sheet-upload button[type=submit]")
    assert "共 2 行：新增 2 行" in page.locator("#sheet-counts").inner_text()
    with page.expect_navigation():
        page.click("button[value=import]")
    assert "新增 2 条，已存在 0 条" in page.locator("p.flash").inner_text()
    assert page.locator("text=浏览器导入线上招聘会").count() >= 1

    page.goto(f"{base}/import")
    page.set_input_files("#f-file", str(good))
    page.select_option("#f-kind", "job_fair")
    with page.expect_navigation():
        page.click("form.sheet-upload button[type=submit]")
    assert "新增 0 行，已导入过 2 行" in page.locator("#sheet-counts").inner_text()
    with page.expect_navigation():
        page.click("button[value=import]")
    assert "新增 0 条，已存在 2 条" in page.locator("p.flash").inner_text()
    page.close()
