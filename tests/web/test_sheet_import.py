"""The sheet import page: upload an .xlsx or .csv → the columns mapped (suggested, then remembered) →
a preview naming every bad cell (row, column, why; Chinese in the Chinese page) → an all-or-nothing
import; the same sheet again adds nothing. Staff and admins only, CSRF on every form."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime
from urllib.parse import urlparse

from domain.uscc import make_uscc
from tests.conftest import PASSWORDS, login
from tests.helpers import ORG, SHEET_CSV, xlsx_bytes

CODE = make_uscc(1)
HEADER = ["序号", "日期", "活动名称", "形式", "提供岗位数（个）", "参与企业"]
GOOD = [[1, datetime(2020, 5, 12), "线上招聘会", "线上", "1200余", f"武汉甲科技有限公司、武汉乙实业有限公司 {CODE}"],
        [2, "2020/6/1", "线下招聘会", "线下", 40, "武汉丙有限公司"]]
BAD = GOOD + [[3, "2020年13月1日", "", "现场", "很多", None]]


def upload(client, data: bytes, filename="招聘会台账.xlsx", kind="job_fair", **extra):
    return client.post("/import", data={"kind": kind, "organisation": ORG, "file": (io.BytesIO(data), filename), **extra},
                       content_type="multipart/form-data")


def preview_url(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = urlparse(response.headers["Location"])
    assert location.path.startswith("/import/")
    return f"{location.path}?{location.query}"


def mapping_form(page: str) -> dict:
    """What the preview's form sends as it stands (its inputs and selected options)."""
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    form.pop("csrf_token", None)
    for name, body in re.findall(r'<select id="[^"]+" name="(\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        form[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input type="(?:text|number|date)" id="[^"]+" name="(\w+)" value="([^"]*)"', page):
        form[name] = value
    return form


def ledger_records(app) -> list[dict]:
    return [json.loads(line) for line in app.extensions["taizhang"].ledger.export_lines()]


def test_upload_preview_and_import_and_the_same_sheet_again_adds_nothing(app, as_staff):
    assert as_staff.get("/import").status_code == 200
    url = preview_url(upload(as_staff, xlsx_bytes([HEADER, *GOOD], title_row="2020年招聘会台账")))
    page = as_staff.get(url).get_data(as_text=True)
    assert "共 2 行：新增 2 行，已导入过 0 行，有误 0 行；跳过 0 行。" in page
    form = mapping_form(page)
    assert (form["map_0"], form["map_1"], form["map_2"], form["map_3"], form["map_4"], form["map_5"]) == (
        "", "occurred_on", "title", "mode", "posts", "firms")
    assert "2020年5月12日" in page and "1200 余个" in page and "武汉乙实业有限公司（" in page  # as it will be stored
    assert "导入 2 行" in page
    done = as_staff.post(url.split("?")[0], data={**form, "action": "import"})
    assert done.status_code == 303 and done.headers["Location"].startswith("/records")
    assert "新增 2 条，已存在 0 条" in as_staff.get(done.headers["Location"]).get_data(as_text=True)
    stored = ledger_records(app)
    assert [(r["title"], r["occurred_on"], r["mode"], r["posts"]["value"]) for r in stored] == [
        ("线上招聘会", "2020-05-12", "online", 1200), ("线下招聘会", "2020-06-01", "offline", 40)]
    again = preview_url(upload(as_staff, xlsx_bytes([HEADER, *GOOD], title_row="2020年招聘会台账")))
    page = as_staff.get(again).get_data(as_text=True)
    assert "新增 0 行，已导入过 2 行" in page
    as_staff.post(again.split("?")[0], data={**mapping_form(page), "action": "import"})
    assert len(ledger_records(app)) == 2


def test_the_preview_names_every_bad_cell_and_the_import_stores_nothing(app, as_staff):
    url = preview_url(upload(as_staff, xlsx_bytes([HEADER, *BAD])))
    page = as_staff.get(url).get_data(as_text=True)
    assert "共 4 处有误" in page
    for where, why in (("第 4 行 B 列“日期”", "没有这一天：2020年13月1日"), ("第 4 行 D 列“形式”", "应为以下之一：线上、线下"),
                       ("第 4 行 E 列“提供岗位数（个）”", "应为数字"), ("第 4 行 C 列“活动名称”", "必填")):
        assert re.search(rf'{re.escape(where)}</a>：{why}', page), where
    assert 'id="cell-4-B" class="bad-cell"' in page and "must be one of" not in page  # Chinese only here
    assert "导入 3 行" not in page  # no import button while a cell is bad
    refused = as_staff.post(url.split("?")[0], data={**mapping_form(page), "action": "import"})
    assert refused.status_code == 422 and "未导入任何内容" in refused.get_data(as_text=True)
    assert ledger_records(app) == []
    as_staff.get("/lang/en")
    english = as_staff.get(url).get_data(as_text=True)
    assert 'row 4, column D "形式"</a>: must be one of: online, offline' in english.replace("&#34;", '"')
    assert "应为以下之一" not in english


def test_changing_the_mapping_and_a_default_fixes_a_sheet_and_the_mapping_is_remembered(app, as_staff):
    data = "时间,内容,岗位数量\n2020-05-12,春季招聘,12\n2020-06-12,夏季招聘,15\n".encode("gb18030")
    url = preview_url(upload(as_staff, data, filename="活动.csv"))
    page = as_staff.get(url).get_data(as_text=True)
    assert "“形式”是必填项，但没有对应的列，也没有默认值" in page
    form = mapping_form(page)
    assert (form["map_0"], form["map_1"]) == ("occurred_on", "title") and form["map_2"] == ""
    form.update(map_2="posts", default_mode="online", action="preview")
    page = as_staff.post(url.split("?")[0], data=form).get_data(as_text=True)
    assert "新增 2 行" in page and "形式”是必填项" not in page
    done = as_staff.post(url.split("?")[0], data={**mapping_form(page), "action": "import"})
    assert done.status_code == 303
    assert [r["posts"]["value"] for r in ledger_records(app)] == [12, 15]
    remembered = app.extensions["taizhang"].sheets.mapping(ORG, "job_fair")
    assert remembered == {"内容": "title", "岗位数量": "posts", "时间": "occurred_on"}
    next_month = "时间,内容,岗位数量\n2020-07-12,秋季招聘,9\n".encode("gb18030")
    page = as_staff.get(preview_url(upload(as_staff, next_month, filename="七月.csv"))).get_data(as_text=True)
    assert mapping_form(page)["map_2"] == "posts"  # remembered for this office and kind


def test_an_upload_that_is_no_sheet_is_refused_on_the_upload_page(as_staff):
    response = upload(as_staff, b"hello", filename="notes.txt")
    assert response.status_code == 422 and "应为 .xlsx 或 .csv 文件" in response.get_data(as_text=True)
    response = upload(as_staff, SHEET_CSV, filename="a.csv", kind="")
    assert response.status_code == 422 and "请选择表中各行的工作类型" in response.get_data(as_text=True)
    assert as_staff.get("/import/" + "0" * 64 + "?kind=job_fair").status_code == 404


def test_auditors_may_not_import(app):
    client = app.test_client()
    login(client, "auditor")
    assert client.get("/import").status_code == 403
    assert upload(client, SHEET_CSV, filename="a.csv").status_code == 403
    assert ledger_records(app) == []


def test_every_form_of_the_import_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"name": "li_staff", "password": PASSWORDS["staff"], "csrf_token": token})
    assert upload(client, SHEET_CSV, filename="a.csv").status_code == 400
    page = client.get("/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    url = preview_url(upload(client, SHEET_CSV, filename="a.csv", csrf_token=token))
    page = client.get(url).get_data(as_text=True)
    form = mapping_form(page)
    assert client.post(url.split("?")[0], data={**form, "action": "import"}).status_code == 400
    assert ledger_records(csrf_app) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(url.split("?")[0], data={**form, "action": "import", "csrf_token": token}).status_code == 303
    assert len(ledger_records(csrf_app)) == 2


def test_a_file_over_the_upload_limit_is_refused_in_chinese_on_the_upload_page(csrf_app):
    csrf_app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"name": "li_staff", "password": PASSWORDS["staff"], "csrf_token": token})
    response = upload(client, b"x" * (2 * 1024 * 1024), filename="big.csv", csrf_token=token)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "文件超过上传上限 1 MB" in page and 'name="file"' in page


def test_a_sheet_bad_in_every_row_lists_the_first_problems_and_says_how_many_more(app, as_staff, monkeypatch):
    import api.web.sheet_import as page_module

    monkeypatch.setattr(page_module, "SHOWN_ERRORS", 3)
    rows = "".join(f"2020-05-{day:02d},第{day}场,现场\n" for day in range(1, 11))
    url = preview_url(upload(as_staff, f"日期,活动名称,形式\n{rows}".encode(), filename="a.csv"))
    page = as_staff.get(url).get_data(as_text=True)
    assert "共 10 处有误" in page and page.count("<li><a href=\"#cell-") == 3
    assert "另有 7 处有误未列出" in page and "另有 7 行有误，未显示" in page
