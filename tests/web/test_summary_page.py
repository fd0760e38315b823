"""The summary page: the narrative with every figure linked to its events, downloads, chart, as-of and diff."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import time
from datetime import datetime, timezone
from uuid import UUID

import pytest

from projections.summary import figure_index

YEAR = 2020
SEED_TEXTS = ("597 家", "10 亿元", "近 30 万元")


def services_of(app):
    return app.extensions["taizhang"]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """A data folder holding the 2020 demo ledger, imported once for the module."""
    from scripts.demo import demo_payloads
    from service.ledger import Ledger

    folder = tmp_path_factory.mktemp("demo-ledger")
    ledger = Ledger(env={"TAIZHANG_DATA": str(folder)})
    ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
    ledger.close()
    return folder


@pytest.fixture(autouse=True)
def demo_files(tmp_path, demo_folder):
    """Each test's data folder starts as a copy of the demo ledger (before the app opens it)."""
    shutil.copytree(demo_folder, tmp_path, dirs_exist_ok=True)


@pytest.fixture
def demo(app):
    """The app on the 2020 demo ledger."""
    assert services_of(app).reports.years()[0] == YEAR
    return app


def figure_with_text(app, text: str, as_of=None) -> dict:
    figures = [f for f in figure_index(services_of(app).reports.summary(YEAR, None, as_of)).values()
               if f["text"] == text]
    assert figures, f"no figure reads {text}"
    return figures[0]


def page(client, url: str, **query) -> str:
    response = client.get(url, query_string=query or None)
    assert response.status_code == 200, response.data[:500]
    return response.get_data(as_text=True)


def link_pattern(key: str, text: str) -> re.Pattern:
    return re.compile(r'<a [^>]*href="/summary/2020/figures/' + re.escape(key) + r'(\?[^"]*)?"[^>]*>'
                      + re.escape(html.escape(text)) + "</a>")


def narrative(body: str) -> str:
    return "".join(re.findall(r'<div class="narrative">(.*?)</div>', body, re.S))


# --- the page ----------------------------------------------------------------------------------

def test_summary_page_follows_the_seed_structure(demo, as_staff):
    body = page(as_staff, "/summary/2020")
    assert "东西湖区工商联 2020 年工作总结" in body
    order = ["一、主要工作", "（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "二、存在问题", "三、2021 年工作思路"]
    positions = [body.index(h) for h in order]
    assert positions == sorted(positions)
    assert "服务民营企业的覆盖面不够" in body


@pytest.mark.parametrize("text", SEED_TEXTS)
def test_seed_figures_link_to_their_figure_page_in_the_narrative(demo, as_staff, text):
    key = figure_with_text(demo, text)["key"]
    assert link_pattern(key, text).search(narrative(page(as_staff, "/summary/2020"))), text


def test_every_figure_is_linked(demo, as_staff):
    body = page(as_staff, "/summary/2020")
    for key, f in figure_index(services_of(demo).reports.summary(YEAR)).items():
        assert f'href="/summary/2020/figures/{key}"' in body, key


def test_same_text_figures_link_to_their_own_figure(demo, as_staff):
    """Two figures reading "3 家" (new listings, silver seeds) are each linked once, to themselves."""
    text = narrative(page(as_staff, "/summary/2020"))
    for key in ("business.new_listings", "business.silver_seeds"):
        assert len(link_pattern(key, "3 家").findall(text)) == 1, key
    assert not re.search(r"\d<a ", text), "a figure linked inside a longer number"


def test_narrative_escapes_ledger_text(demo, as_staff):
    from tests.helpers import valid_payload

    # every problem of the year is written out in 二、存在问题
    services_of(demo).ledger.log(valid_payload("problem", "xss-1", minimal=True, title="<script>alert(1)</script>问题",
                                               occurred_on="2020-12-01"), actor="li_staff")
    body = page(as_staff, "/summary/2020")
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_targets_tables(demo, as_staff):
    body = page(as_staff, "/summary/2020")
    assert "组织开展银企对接会 2 场" in body  # next year's targets in 三、
    body2021 = page(as_staff, "/summary/2021")
    targets = services_of(demo).reports.summary(2021)["targets"]
    assert targets
    assert body2021.count('<tr class="target ') == len(targets)
    for t in targets:
        assert html.escape(t["label"]) in body2021


def test_summary_needs_login(demo, client):
    response = client.get("/summary/2020")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- figure pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", SEED_TEXTS)
def test_figure_page_lists_its_events(demo, as_auditor, text):
    figure = figure_with_text(demo, text)
    body = page(as_auditor, f"/summary/2020/figures/{figure['key']}")
    assert html.escape(figure["label"]) in body and text in body
    rows = re.findall(r'<tr class="event" data-position="(\d+)"', body)
    ids = services_of(demo).reports.figure_event_ids(2020, figure["key"])
    assert len(rows) == len(ids) == figure["event_count"] > 0
    assert sorted(int(p) for p in rows) == sorted(ids)
    events = services_of(demo).reports.events(ids)
    for e in events:
        assert f'href="/records/{e["record_id"]}"' in body
        assert e["recorded_at"] in body


def test_figure_page_pages_its_events(demo, as_auditor, monkeypatch):
    import api.reports_pages

    monkeypatch.setattr(api.reports_pages, "FIGURE_EVENTS_PAGE", 3)
    figure = figure_index(services_of(demo).reports.summary(YEAR))["business.job_fairs_online"]  # 7 fairs
    ids = services_of(demo).reports.figure_event_ids(YEAR, figure["key"])
    assert len(ids) == figure["event_count"] > 6
    seen = []
    for n in (1, 2, 3):
        body = page(as_auditor, f"/summary/2020/figures/{figure['key']}", page=str(n))
        seen += [int(p) for p in re.findall(r'<tr class="event" data-position="(\d+)"', body)]
        assert f"({figure['event_count']})" in body  # the heading counts them all
        assert ('rel="next"' in body) == (n * 3 < len(ids))
    assert seen == ids[:9]  # in log order, a page at a time


def test_unknown_figure_is_404(demo, as_staff):
    assert as_staff.get("/summary/2020/figures/no.such.figure").status_code == 404


# --- downloads ---------------------------------------------------------------------------------

EXPECTED_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "md": "text/markdown",
    "pdf": "application/pdf",
}


@pytest.mark.parametrize("fmt", sorted(EXPECTED_TYPES))
def test_downloads(demo, as_staff, fmt):
    body = page(as_staff, "/summary/2020")
    assert f'href="/summary/2020/download.{fmt}"' in body
    response = as_staff.get(f"/summary/2020/download.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == EXPECTED_TYPES[fmt]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    assert "%E4%B8%9C%E8%A5%BF%E6%B9%96" in disposition  # 东西湖
    data = response.data
    assert data
    figures = figure_index(services_of(demo).reports.summary(YEAR))
    if fmt == "docx":
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert "东西湖区工商联 2020 年工作总结" in text
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        assert ws.max_row - 1 == len(figures)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        assert len(rows) == len(figures)
        assert {r["key"] for r in rows} == set(figures)
    elif fmt == "pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        assert reader.metadata.title == "东西湖区工商联 2020 年工作总结"
        assert "— 1 —" in reader.pages[0].extract_text()
    else:
        assert data.decode("utf-8").startswith("# 东西湖区工商联 2020 年工作总结")


def test_unknown_download_format_is_404(demo, as_staff):
    assert as_staff.get("/summary/2020/download.odt").status_code == 404


# --- chart -------------------------------------------------------------------------------------

def test_month_chart_matches_activity(demo, as_staff):
    body = page(as_staff, "/summary/2020")
    svg = re.search(r'<svg class="chart chart-months".*?</svg>', body, re.S).group(0)
    bars = re.findall(r'<rect class="bar month" data-month="(\d+)" data-value="(\d+)"[^>]*height="([\d.]+)"', svg)
    assert len(bars) == 12
    months = services_of(demo).reports.activity(YEAR)["months"]
    assert {int(m): int(v) for m, v, _h in bars} == {m: months[m] for m in range(1, 13)}
    heights = {int(m): float(h) for m, _v, h in bars}
    peak = max(months, key=months.get)
    assert heights[peak] == max(heights.values()) > 0
    for m in range(1, 13):
        assert f">{m}月<" in svg
    for v in set(months.values()):
        assert f'class="value"' in svg and f">{v}</text>" in svg
    assert "<script" not in body


def test_theme_chart_in_chinese(demo, as_staff):
    body = page(as_staff, "/summary/2020")
    svg = re.search(r'<svg class="chart chart-themes".*?</svg>', body, re.S).group(0)
    themes = services_of(demo).reports.activity(YEAR)["themes"]
    bars = dict(re.findall(r'data-theme="(\w+)" data-value="(\d+)"', svg))
    assert {k: int(v) for k, v in bars.items()} == themes
    assert "优化营商环境" in svg


# --- as of, diff -------------------------------------------------------------------------------

@pytest.fixture
def corrected(demo):
    """The booklet copies corrected from 1000 余 to 1200 余: (moment before, moment after)."""
    services = services_of(demo)
    figure = figure_index(services.reports.summary(YEAR))["business.booklet_copies"]
    assert figure["text"] == "1000 余册"
    record_id = services.reports.events(services.reports.figure_event_ids(YEAR, figure["key"]))[0]["record_id"]
    time.sleep(0.02)
    before = datetime.now(timezone.utc).isoformat()
    time.sleep(0.02)
    services.ledger.correct(UUID(record_id), {"copies": {"value": 1200, "approx": "余"}}, "录入错误",
                            actor="li_staff")
    time.sleep(0.02)
    after = datetime.now(timezone.utc).isoformat()
    return before, after


def test_as_of_shows_the_summary_as_it_stood(corrected, as_staff):
    before, after = corrected
    now = narrative(page(as_staff, "/summary/2020"))
    assert "1200 余册" in now and "1000 余册" not in now
    then_page = page(as_staff, "/summary/2020", as_of=before)
    assert "截至" in then_page
    then = narrative(then_page)
    assert "1000 余册" in then and "1200 余册" not in then
    assert link_pattern("business.booklet_copies", "1000 余册").search(then)
    later = narrative(page(as_staff, "/summary/2020", as_of=after))
    assert "1200 余册" in later and "1000 余册" not in later


def test_as_of_by_position_and_form(corrected, demo, as_staff):
    head = services_of(demo).reports.catch_up()
    body = page(as_staff, "/summary/2020", as_of=str(head - 1))
    assert "1000 余册" in narrative(body)
    assert 'type="datetime-local" name="as_of"' in body
    assert 'action="/summary/2020/diff"' in body


def test_diff_lists_changed_figures(corrected, as_staff):
    before, after = corrected
    body = page(as_staff, "/summary/2020/diff", before=before, after=after)
    rows = re.findall(r'<tr class="change" data-figure="([^"]+)">(.*?)</tr>', body, re.S)
    assert [k for k, _ in rows] == ["business.booklet_copies"]
    assert "印发政策汇编" in rows[0][1] and "1000 余册" in rows[0][1] and "1200 余册" in rows[0][1]
    assert "1000 余册" in page(as_staff, "/summary/2020/diff", before=before)  # after: now


@pytest.mark.parametrize("url, name", [("/summary/2020?as_of=yesterday", "as_of"),
                                        ("/summary/2020/figures/business.talks?as_of=2020-13-45", "as_of"),
                                        ("/summary/2020/download.csv?as_of=-3", "as_of"),
                                        ("/summary/2020/diff?before=soon", "before"),
                                        ("/summary/2020/diff?before=5&after=later", "after"),
                                        ("/summary/2020/diff", "before")])
def test_bad_moment_is_400(demo, as_staff, url, name):
    response = as_staff.get(url)
    assert response.status_code == 400
    assert name in response.get_data(as_text=True)
