"""Downloads carry staff's words safely: no live formulas in xlsx/csv, no raw HTML in .md, and a
control character is refused at the door instead of breaking every docx of the year."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.helpers import valid_payload

FORMULA = '=HYPERLINK("http://evil.example","click")'
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def token(app):
    return app.extensions["taizhang"].accounts.issue_token("li_staff")


def _log(client, token, payload):
    return client.post("/api/actions", json=payload, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def hostile_year(client, token):
    """2020 with a target whose unit and notes look like formulas, and a problem whose title is a script."""
    target = valid_payload("target", "t-formula", occurred_on="2020-01-05", for_year=2020, unit="=1+1",
                           notes="@SUM(A1:A9)", title=FORMULA)
    problem = valid_payload("problem", "p-script", occurred_on="2020-03-01", title=SCRIPT)
    for payload in (target, problem):
        response = _log(client, token, payload)
        assert response.status_code == 201, response.get_json()
    return client


def test_xlsx_text_cells_that_look_like_formulas_stay_text(hostile_year, as_staff):
    response = as_staff.get("/summary/2020/download.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formula_like = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert any(c.value == "=1+1" for c in formula_like), [c.value for c in cells]  # the words are kept exactly
    assert all(c.data_type == "s" for c in formula_like), [(c.value, c.data_type) for c in formula_like]


def test_render_xlsx_never_writes_a_formula_for_a_figure_label():
    from projections.render import to_xlsx

    summary = {"year": 2020, "organisation": "x", "title": "t", "sections": [{"key": "s", "title": "s", "figures": [
        {"key": "k", "label": "=1+1", "value": "-3", "unit": "+cmd", "approx": None, "text": "-3", "event_ids": [1]}]}]}
    ws = load_workbook(io.BytesIO(to_xlsx(summary))).active
    row = [c for c in ws[2]]
    assert row[1].value == "=1+1" and row[1].data_type == "s"
    assert row[2].value == -3 and row[2].data_type == "n"  # a negative number stays a number


def test_csv_cells_that_look_like_formulas_get_a_leading_apostrophe():
    from projections.render import to_csv

    summary = {"year": 2020, "organisation": "x", "title": "t", "sections": [{"key": "s", "title": "s", "figures": [
        {"key": "k", "label": FORMULA, "value": "-3", "unit": "@SUM(A1)", "approx": None, "text": "-3",
         "event_ids": [1]}]}]}
    rows = list(csv.reader(io.StringIO(to_csv(summary))))
    assert rows[1][1] == "'" + FORMULA
    assert rows[1][3] == "'@SUM(A1)"
    assert rows[1][2] == "-3"  # a plain number is not touched
    assert not any(cell.startswith(("=", "+", "@")) for row in rows[1:] for cell in row)


def test_the_markdown_download_carries_no_raw_script(hostile_year, as_staff):
    response = as_staff.get("/summary/2020/download.md")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the words are still there, as text


@pytest.mark.parametrize(("field", "value"), [("title", "问题\x00标题"), ("notes", "a\x07b"), ("organisation", "\x1b[31m")])
def test_a_control_character_is_refused_naming_the_field(client, token, field, value):
    response = _log(client, token, valid_payload("problem", f"ctl-{field}", **{field: value}))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"}
    (message,) = body["errors"][field]
    assert field in message  # the English label of these fields is their name
    assert "控制字符" in message and "control" in message


def test_a_control_character_in_a_firm_name_or_a_reason_is_refused(client, token):
    payload = valid_payload("problem", "firm-nul", firms=[{"name": "甲\x00公司"}])
    response = _log(client, token, payload)
    assert response.status_code == 422
    assert "控制字符" in str(response.get_json()["errors"])
    logged = _log(client, token, valid_payload("problem", "ok-1"))
    record_id = logged.get_json()["id"]
    response = client.post(f"/api/actions/{record_id}/retraction", json={"reason": "dup\x00"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]


def test_a_docx_still_renders_when_old_text_holds_a_nul():
    """Events logged before the schemas refused control characters must not break the year's docx."""
    from docx import Document

    from projections.render import to_docx

    summary = {"year": 2020, "organisation": "东\x00西", "title": "t\x00", "sections": [
        {"key": "problems", "title": "二、存在问题", "text": "一是\x00问题。", "figures": []}]}
    doc = Document(io.BytesIO(to_docx(summary)))
    assert any("一是问题。" in p.text for p in doc.paragraphs)
