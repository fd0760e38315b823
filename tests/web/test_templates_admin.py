"""Templates through the admin pages and the JSON API: edit with a live preview, refuse a bad figure
before it is saved, keep every revision in the log (the audit timeline shows it), and as-of summaries
use the template as it stood."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from domain.template import dump_text, load_text
from projections.summary import figure_index

ORG = "某县工商联"
COUNTY = Path(__file__).resolve().parent.parent / "data" / "county-template.yaml"


def log(client, title: str, day: str, **fields):
    body = {"kind": "visit", "organisation": ORG, "occurred_on": day, "title": title, **fields}
    response = client.post("/api/actions", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def county(as_admin):
    data = load_text(COUNTY.read_text(encoding="utf-8"))
    answer = as_admin.post("/api/templates", json={"template": data, "reason": "本县模板", "organisation": ORG,
                                                   "years": [2021]})
    assert answer.status_code == 200, answer.get_json()
    return data


def test_the_api_imports_lists_and_exports_a_template(as_admin, county):
    listed = {t["name"]: t for t in as_admin.get("/api/templates").get_json()}
    assert listed["某县工商联模板"]["used_by"] == [{"organisation": ORG, "year": 2021}]
    assert listed["default"]["version"] == 0
    exported = as_admin.get("/api/templates/某县工商联模板").get_json()
    assert exported["figures"] == county["figures"]


def test_the_api_refuses_a_bad_template_naming_every_entry_and_stores_nothing(as_admin, county):
    bad = {**county, "name": "坏模板", "figures": [{**county["figures"][0], "measure": "nosuch", "agg": "sum"},
                                                 {**county["figures"][1], "kinds": ["job_fair"]}]}
    answer = as_admin.post("/api/templates", json={"template": bad, "reason": "试"})
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]["template"]
    assert any("figures[0] (attract.projects).measure" in e and "nosuch" in e for e in errors)
    assert any("figures[1] (attract.total_investment).kinds" in e and "job_fair" in e for e in errors)
    assert "坏模板" not in {t["name"] for t in as_admin.get("/api/templates").get_json()}


def test_staff_read_templates_but_do_not_change_them(client, county):
    from tests.conftest import login

    client.post("/logout")
    login(client, "staff")
    assert client.get("/api/templates").status_code == 200
    assert client.post("/api/templates", json={"template": county, "reason": "x"}).status_code == 403


def test_the_editor_previews_the_summary_and_names_bad_figures_before_saving(as_admin, county):
    log(as_admin, "春季走访", "2021-04-01", firms=[{"name": "甲公司"}, {"name": "乙公司"}])
    page = as_admin.get("/admin/templates/某县工商联模板?organisation=某县工商联&year=2021")
    assert page.status_code == 200 and "template-editor.js" in page.get_data(as_text=True)
    text = dump_text(county)
    good = as_admin.post("/admin/templates/某县工商联模板/preview",
                         data={"text": text.replace("走访{level}企业 {v}", "走访{level}企业共 {v}"),
                               "year": "2021", "organisation": ORG})
    assert good.status_code == 200
    sections = good.get_json()["summary"]["sections"][0]["subsections"]
    assert any("走访全县企业共 2 家" in s["text"] for s in sections)
    bad = as_admin.post("/admin/templates/某县工商联模板/preview",
                        data={"text": text.replace("measure: issues", "measure: title"), "year": "2021"})
    assert bad.status_code == 422
    assert any("serve.issues" in e and "title" in e for e in bad.get_json()["errors"])
    wrong = {**county, "figures": [{**f, "kinds": ["visits"]} if f["key"] == "serve.visits" else f
                                   for f in county["figures"]]}
    refused = as_admin.post("/admin/templates/某县工商联模板", data={"text": dump_text(wrong), "reason": "改错了"})
    assert refused.status_code == 422 and "visits" in refused.get_data(as_text=True)
    assert [r["version"] for r in as_admin.application.extensions["taizhang"].reports.template_revisions(
        "某县工商联模板")] == [1]


def test_an_as_of_summary_uses_the_template_as_it_stood_and_the_revision_is_in_the_timeline(as_admin, county):
    log(as_admin, "春季走访", "2021-04-01", firms=[{"name": "甲公司"}])
    before = as_admin.get(f"/api/summary/2021?organisation={ORG}").get_json()
    assert figure_index(before)["serve.visits"]["text"] == "1 次"
    position = before["position"]
    time.sleep(0.01)
    revised = dump_text({**county, "figures": [{**f, "unit": "批次", "text": "开展走访 {v}"}
                                               if f["key"] == "serve.visits" else f for f in county["figures"]]})
    saved = as_admin.post("/admin/templates/某县工商联模板", data={"text": revised, "reason": "改为“批次”"})
    assert saved.status_code == 200 and "2" in saved.get_data(as_text=True)
    now = as_admin.get(f"/api/summary/2021?organisation={ORG}").get_json()
    assert figure_index(now)["serve.visits"]["text"] == "1 批次"
    then = as_admin.get(f"/api/summary/2021?organisation={ORG}&as_of={position}").get_json()
    assert figure_index(then)["serve.visits"]["text"] == "1 次"
    timeline = as_admin.get("/audit/?action=template").get_data(as_text=True)
    assert "改为“批次”" in timeline and "本县模板" in timeline
    assert "某县工商联模板" in timeline


def test_the_admin_chooses_a_template_for_a_year(as_admin, county):
    answer = as_admin.post("/admin/templates/choose", data={"organisation": "另一县工商联", "year": "2022",
                                                            "template": "某县工商联模板", "reason": "沿用"})
    assert answer.status_code == 303
    listed = {t["name"]: t for t in as_admin.get("/api/templates").get_json()}
    assert {"organisation": "另一县工商联", "year": 2022} in listed["某县工商联模板"]["used_by"]
    missing = as_admin.post("/admin/templates/choose", data={"organisation": "另一县工商联", "year": "2023",
                                                             "template": "没有的模板", "reason": "沿用"})
    assert missing.status_code == 422


def test_an_office_kind_is_first_class_in_the_form(as_admin, county):
    choose = as_admin.get(f"/log?organisation={ORG}&occurred_on=2021-03-01").get_data(as_text=True)
    assert "招商引资项目签约" in choose and "/log/investment" in choose
    form = as_admin.get(f"/log/investment?organisation={ORG}&occurred_on=2021-03-01").get_data(as_text=True)
    assert "投资指标" in form and "产业" in form
    bad = as_admin.post("/log/investment", data={"key": "web-inv-1", "organisation": ORG, "occurred_on": "2021-03-02",
                                                 "title": "项目签约", "sector": "mining", "measures": "总投资 3.2 亿元"})
    assert bad.status_code == 422 and "sector" not in bad.get_data(as_text=True).split("field-error")[0][-20:]
    assert "field-error" in bad.get_data(as_text=True)
    good = as_admin.post("/log/investment", data={"key": "web-inv-1", "organisation": ORG,
                                                  "occurred_on": "2021-03-02", "title": "项目签约",
                                                  "sector": "industry", "measures": "总投资 3.2 亿元\n用地 120 亩"})
    assert good.status_code == 303, good.get_data(as_text=True)[:2000]
    body = as_admin.get(f"/api/summary/2021?organisation={ORG}").get_json()
    assert figure_index(body)["attract.total_investment"]["text"] == "3.2 亿元"
    record = as_admin.get(good.headers["Location"]).get_data(as_text=True)
    assert "项目签约" in record


def test_the_kinds_api_lists_a_templates_kinds(as_admin, county):
    builtin = {k["kind"] for k in as_admin.get("/api/kinds").get_json()}
    own = {k["kind"] for k in as_admin.get(f"/api/kinds?organisation={ORG}&year=2021").get_json()}
    assert "investment" in own and "job_fair" not in own
    assert "job_fair" in builtin and "investment" not in builtin
