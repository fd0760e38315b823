"""The ledger list and a record's page (api/web.py): filters, paging, labels, history."""
from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

import pytest

from domain.uscc import make_uscc
from tests.conftest import USER_OF_ROLE, login

ORG = "东西湖区工商联"
FIRM = {"name": "武汉丙科技有限公司", "uscc": make_uscc(7)}


def ledger_of(client):
    return client.application.extensions["taizhang"].ledger


def log(client, kind: str, title: str, day: str, actor: str, **fields) -> UUID:
    payload = {"kind": kind, "organisation": ORG, "occurred_on": day, "title": title, **fields}
    return ledger_of(client).log(payload, actor=actor).id


def titles(page: str) -> list[str]:
    body = page[page.index('<table class="records">'):page.index("</table>")] if 'class="records"' in page else ""
    return re.findall(r'<a href="/records/[0-9a-f-]{36}">([^<]+)</a>', body)


@pytest.fixture
def several(as_staff):
    """Records of different kinds, years and loggers."""
    log(as_staff, "job_fair", "春季招聘会", "2020-05-12", "li_staff", mode="online", posts=300, firms=[FIRM])
    log(as_staff, "job_fair", "秋季招聘会", "2021-09-20", "wang_admin", mode="offline")
    log(as_staff, "training", "理想信念培训班", "2020-07-01", "li_staff", participants=80)
    log(as_staff, "donation", "抗疫捐款", "2020-02-10", "wang_admin", form="money", amount="300000",
        cause="epidemic", donor_type="chamber", notes="湖北商会牵头")
    log(as_staff, "talk", "税收政策宣讲", "2021-03-15", "li_staff")
    return as_staff


def test_the_list_shows_date_kind_title_firms_and_logger(several):
    page = several.get("/records").get_data(as_text=True)
    row = [r for r in re.findall(r"<tr class=\"\">.*?</tr>", page, re.S) if "春季招聘会" in r][0]
    assert "2020年5月12日" in row
    assert "招聘会" in row and "li_staff" in row
    assert '<td class="num">1</td>' in row
    # newest happening first
    assert titles(page) == ["秋季招聘会", "税收政策宣讲", "理想信念培训班", "春季招聘会", "抗疫捐款"]


def test_the_list_in_english(several):
    several.get("/lang/en")
    page = several.get("/records").get_data(as_text=True)
    assert "2020-05-12" in page and "Job fair" in page


@pytest.mark.parametrize("query, expected", [
    ("year=2020", {"春季招聘会", "理想信念培训班", "抗疫捐款"}),
    ("year=2021", {"秋季招聘会", "税收政策宣讲"}),
    ("kind=job_fair", {"春季招聘会", "秋季招聘会"}),
    ("kind=job_fair&year=2021", {"秋季招聘会"}),
    ("theme=social", {"抗疫捐款"}),
    ("theme=political", {"理想信念培训班"}),
    ("actor=wang_admin", {"秋季招聘会", "抗疫捐款"}),
    ("q=招聘", {"春季招聘会", "秋季招聘会"}),
    ("q=湖北商会", {"抗疫捐款"}),  # notes
    ("q=丙科技", {"春季招聘会"}),  # firm
    ("q=no-such-text", set()),
    ("year=abc", {"春季招聘会", "秋季招聘会", "理想信念培训班", "抗疫捐款", "税收政策宣讲"}),  # ignored
])
def test_filters_really_filter(several, query, expected):
    response = several.get(f"/records?{query}")
    assert response.status_code == 200
    assert set(titles(response.get_data(as_text=True))) == expected


def test_filters_are_kept_in_the_filter_form(several):
    page = several.get("/records?kind=job_fair&year=2020&q=招聘&actor=li_staff").get_data(as_text=True)
    assert '<option value="job_fair" selected>' in page
    assert '<option value="2020" selected>' in page
    assert '<option value="li_staff" selected>' in page
    assert 'name="q" value="招聘"' in page


def test_paging_keeps_the_filters(app, as_staff):
    app.config["PAGE_SIZE"] = 3
    for i in range(7):
        log(as_staff, "talk", f"宣讲 {i + 1:02d}", f"2020-03-{i + 1:02d}", "li_staff")
    log(as_staff, "training", "培训", "2020-03-10", "li_staff")
    first = as_staff.get("/records?kind=talk").get_data(as_text=True)
    assert titles(first) == ["宣讲 07", "宣讲 06", "宣讲 05"]
    pager = first[first.index('<nav class="pager"'):first.index("</nav>", first.index('<nav class="pager"'))]
    links = re.findall(r'href="([^"]+)"', pager)
    assert links and all("kind=talk" in link for link in links)
    assert "/records?kind=talk&amp;page=2" in pager
    assert titles(as_staff.get("/records?kind=talk&page=2").get_data(as_text=True)) == ["宣讲 04", "宣讲 03", "宣讲 02"]
    assert titles(as_staff.get("/records?kind=talk&page=3").get_data(as_text=True)) == ["宣讲 01"]
    assert titles(as_staff.get("/records?kind=talk&page=4").get_data(as_text=True)) == []
    assert len(titles(as_staff.get("/records?page=3").get_data(as_text=True))) == 2  # 8 records, no filter


def test_retracted_records_are_marked_when_included(as_staff):
    record_id = log(as_staff, "talk", "作废的宣讲", "2020-04-01", "li_staff")
    log(as_staff, "talk", "有效的宣讲", "2020-04-02", "li_staff")
    ledger_of(as_staff).retract(record_id, "重复", actor="li_staff")
    assert titles(as_staff.get("/records").get_data(as_text=True)) == ["有效的宣讲"]
    page = as_staff.get("/records?retracted=1").get_data(as_text=True)
    assert set(titles(page)) == {"作废的宣讲", "有效的宣讲"}
    row = [r for r in re.findall(r'<tr class="retracted">.*?</tr>', page, re.S)]
    assert len(row) == 1 and "作废的宣讲" in row[0] and "retracted-mark" in row[0]


def test_a_record_page_labels_every_field(as_staff):
    record_id = log(as_staff, "job_fair", "春季招聘会", "2020-05-12", "li_staff", mode="online",
                    posts={"value": 300, "approx": "余"}, partner="区人社局", firms=[FIRM], notes="线上举办")
    page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    for label, value in (("单位", ORG), ("日期", "2020年5月12日"), ("形式", "线上"), ("提供岗位数", "300 余个"),
                         ("联合单位", "区人社局"), ("备注", "线上举办"), ("所属板块", "优化营商环境，助力民企健康发展")):
        assert re.search(rf"<th scope=\"row\">{label}</th><td[^>]*>{value}</td>", page), label
    assert FIRM["name"] in page and FIRM["uscc"] in page
    assert f"/records/{record_id}/correct" in page and f"/records/{record_id}/retract" in page


def test_a_record_page_shows_its_history_in_local_time(as_staff):
    record_id = log(as_staff, "talk", "税收政策宣讲", "2020-03-15", "li_staff")
    ledger = ledger_of(as_staff)
    ledger.correct(record_id, {"title": "税收优惠政策宣讲"}, "标题不全", actor="wang_admin")
    page = as_staff.get(f"/records/{record_id}").get_data(as_text=True)
    history = page[page.index('<table class="history">'):]
    assert "wang_admin" in history and "标题不全" in history
    assert "<del>税收政策宣讲</del> → <ins>税收优惠政策宣讲</ins>" in history
    when = datetime.fromisoformat(ledger.history(record_id)[1]["recorded_at"]).astimezone()
    assert f"{when.year}年{when.month}月{when.day}日 {when:%H:%M:%S}" in history


def test_unknown_record_is_404(as_staff):
    assert as_staff.get("/records/00000000-0000-4000-8000-000000000000").status_code == 404
    assert as_staff.get("/records/not-a-uuid").status_code == 404


def test_a_chamber_fact_has_a_record_page(as_staff):
    record_id = log(as_staff, "chamber_founded", "成立湖北商会", "2020-06-01", "li_staff", chamber="湖北商会")
    page = as_staff.get(f"/records/{record_id}")
    assert page.status_code == 200 and "湖北商会" in page.get_data(as_text=True)
    assert "成立湖北商会" in titles(as_staff.get("/records").get_data(as_text=True))


def test_auditors_read_the_list_and_records(client):
    login(client, "staff")
    record_id = log(client, "talk", "宣讲", "2020-03-15", "li_staff")
    client.post("/logout")
    login(client, "auditor")
    assert "宣讲" in titles(client.get("/records").get_data(as_text=True))
    assert client.get(f"/records/{record_id}").status_code == 200
    assert client.get("/firms/suggest?q=x").status_code == 200


def test_firm_suggestions_as_json(as_staff):
    log(as_staff, "talk", "宣讲", "2020-03-15", "li_staff", firms=[FIRM])
    log(as_staff, "talk", "宣讲二", "2020-03-16", "li_staff", firms=[FIRM, {"name": "武汉丁商贸有限公司"}])
    response = as_staff.get("/firms/suggest?q=武汉丙")
    assert response.status_code == 200
    assert response.get_json() == [{"name": FIRM["name"], "uscc": FIRM["uscc"], "uses": 2}]
    everything = as_staff.get("/firms/suggest").get_json()
    assert [f["name"] for f in everything] == [FIRM["name"], "武汉丁商贸有限公司"]


def test_the_home_page_leads_to_the_ledger(as_staff):
    response = as_staff.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/records")
    assert USER_OF_ROLE["staff"] in as_staff.get("/records").get_data(as_text=True)


def test_the_front_page_names_the_ledger_and_leads_to_the_login(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "台账" in page and 'href="/login"' in page
