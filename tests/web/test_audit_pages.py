"""The audit pages (/audit) and the JSON audit API (/api/audit): who may see them, and what they show.

The ledger is the 2020 demo ledger (imported as "demo"), with corrections and a retraction by named
users; the access matrix covers every audit route for each role, by session and by bearer token.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from scripts.demo import demo_payloads
from service.ledger import record_id_for
from tests.conftest import login

JOB_FAIR_1 = record_id_for("demo-2020-job_fair-01")  # 1020 posts
JOB_FAIR_2 = record_id_for("demo-2020-job_fair-02")  # 1350 posts
DONATION_1 = record_id_for("demo-2020-donation-01")
POSTS = "business.job_fair_posts"  # 9048 in the demo ledger
KEY = "web-test-seal-key"


def services(app):
    return app.extensions["taizhang"]


def load_demo(app) -> None:
    services(app).ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")


@pytest.fixture
def demo(app):
    load_demo(app)
    return app


def text_of(response) -> str:
    """The page's text, tags dropped and whitespace folded (to look for what a reader sees)."""
    body = re.sub(r"<style.*?</style>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def timeline_rows(response) -> list[dict]:
    page = response.get_data(as_text=True)
    return [{"position": int(m[0]), "event": m[1], "actor": m[2], "kind": m[3], "recorded_at": m[4]}
            for m in re.findall(r'<tr class="event" data-position="(\d+)" data-event="([^"]*)" '
                                r'data-actor="([^"]*)" data-kind="([^"]*)" data-recorded="([^"]*)">', page)]


def figure(summary: dict, key: str) -> dict:
    def walk(sections):
        for section in sections:
            for f in section.get("figures") or []:
                if f["key"] == key:
                    return f
            found = walk(section.get("subsections") or [])
            if found:
                return found
        return None

    return walk(summary["sections"])


# --- who may see what -----------------------------------------------------------------------------

PAGES = ["/audit", "/audit/", f"/audit/records/{JOB_FAIR_1}", "/audit/verify", "/audit/checkpoint.json",
         "/audit/summary/2020", "/audit/summary/2020/diff?before=10"]
API = ["/api/audit/events", f"/api/audit/records/{JOB_FAIR_1}/story", "/api/audit/verify",
       "/api/audit/checkpoint", "/api/audit/summary/2020", "/api/audit/summary/2020/diff?before=10"]


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_see_every_audit_page_and_api(demo, client, role):
    login(client, role)
    for url in PAGES + API:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.data[:300])
    assert client.get("/audit/checkpoint.json").headers["Content-Disposition"].startswith("attachment;")
    assert 'href="/audit/"' in client.get("/audit/verify").get_data(as_text=True)  # Audit in the menu


def test_staff_get_403_everywhere_in_the_audit(demo, as_staff):
    for url in PAGES + API:
        assert as_staff.get(url).status_code == 403, url
    assert as_staff.post("/audit/years/2020/close", data={"confirm": "yes"}).status_code == 403
    response = as_staff.post("/api/audit/years/2020/close", json={})
    assert response.status_code == 403
    assert set(response.get_json()) >= {"code", "status", "message"}
    assert 'href="/audit/"' not in as_staff.get("/records").get_data(as_text=True)  # no Audit in the menu


def test_anonymous_users_are_sent_to_log_in_and_the_api_answers_401(demo, client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]
    for url in API:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.get_json()["code"] == 401
    assert client.post("/audit/years/2020/close", data={"confirm": "yes"}).status_code == 302
    assert client.post("/api/audit/years/2020/close", json={}).status_code == 401


def test_the_api_takes_bearer_tokens_of_auditors_but_not_of_staff(demo, client):
    accounts = services(demo).accounts
    auditor, staff = accounts.issue_token("zhao_auditor"), accounts.issue_token("li_staff")
    for url in API:
        assert client.get(url, headers={"Authorization": f"Bearer {auditor}"}).status_code == 200, url
        assert client.get(url, headers={"Authorization": f"Bearer {staff}"}).status_code == 403, url
    assert client.get(API[0], headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    # an auditor's token cannot close a year
    assert client.post("/api/audit/years/2020/close", headers={"Authorization": f"Bearer {auditor}"},
                       json={}).status_code == 403


# --- a record's story ---------------------------------------------------------------------------

def test_the_story_shows_a_corrections_from_and_to_with_who_and_why(demo, client):
    ledger = services(demo).ledger
    ledger.correct(JOB_FAIR_1, {"posts": 1021, "title": "线上招聘会（第一场）更正"}, "核对人社局台账后更正",
                   actor="li_staff")
    ledger.retract(JOB_FAIR_1, "与另一场重复", actor="wang_admin")
    login(client, "auditor")
    response = client.get(f"/audit/records/{JOB_FAIR_1}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = re.findall(r'<tr class="story-event" data-version="(\d+)" data-event="(\w+)">(.*?)</tr>', page, re.S)
    assert [(v, e) for v, e, _ in rows] == [("1", "JobFairHeld"), ("2", "Corrected"), ("3", "Retracted")]
    correction = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", rows[1][2])))
    assert re.search(r"1020 → 1021", correction), correction
    assert "“百名就业专员服务千企”线上招聘会（第一场） → 线上招聘会（第一场）更正" in correction
    assert "li_staff" in correction and "核对人社局台账后更正" in correction
    assert "2020-02-20" in correction  # when it happened (the record's date), beside when it was recorded
    retraction = html.unescape(rows[2][2])
    assert "wang_admin" in retraction and "与另一场重复" in retraction
    # the JSON story says the same
    story = client.get(f"/api/audit/records/{JOB_FAIR_1}/story").get_json()
    assert story["events"][1]["changes"]["posts"] == {"from": {"value": 1020, "approx": None},
                                                      "to": {"value": 1021, "approx": None}}
    assert story["events"][1]["actor"] == "li_staff" and story["events"][1]["reason"] == "核对人社局台账后更正"
    positions = [e["position"] for e in story["events"]]
    assert positions == sorted(positions) and positions[1] > 130
    assert client.get("/audit/records/00000000-0000-0000-0000-000000000000").status_code == 404


# --- the timeline -------------------------------------------------------------------------------

def test_the_raw_timeline_filters_by_actor_kind_and_recorded_date(demo, client):
    ledger = services(demo).ledger
    ledger.correct(JOB_FAIR_1, {"posts": 1021}, "录入错误", actor="li_staff")
    between = datetime.now(timezone.utc)
    ledger.correct(JOB_FAIR_2, {"posts": 1351}, "录入错误", actor="li_staff")
    ledger.retract(DONATION_1, "重复登记", actor="wang_admin")
    login(client, "auditor")

    everything = timeline_rows(client.get("/audit?view=events&size=500"))
    total = len(everything)
    assert total > 170 and [r["position"] for r in everything] == sorted((r["position"] for r in everything),
                                                                         reverse=True)
    by_li = timeline_rows(client.get("/audit?view=events&actor=li_staff"))
    assert [r["event"] for r in by_li] == ["Corrected", "Corrected"]
    assert {r["actor"] for r in by_li} == {"li_staff"}
    donations = timeline_rows(client.get("/audit?view=events&kind=donation&size=500"))
    assert donations and {r["kind"] for r in donations} == {"donation"}
    assert len(donations) == 20  # 19 logged, 1 retracted
    assert "Retracted" in {r["event"] for r in donations}
    both = timeline_rows(client.get("/audit?view=events&kind=job_fair&actor=li_staff"))
    assert len(both) == 2

    def local_day(iso: str) -> date:
        return datetime.fromisoformat(iso).astimezone().date()

    first, last, day = local_day(everything[-1]["recorded_at"]), local_day(everything[0]["recorded_at"]), timedelta(1)
    assert len(timeline_rows(client.get(f"/audit?view=events&from={first}&to={last}&size=500"))) == total
    assert timeline_rows(client.get(f"/audit?view=events&from={last + day}")) == []
    assert timeline_rows(client.get(f"/audit?view=events&to={first - day}")) == []
    assert client.get("/audit?view=events&from=yesterday").status_code == 400

    # a moment splits the day: only what was recorded after it
    later = client.get("/api/audit/events", query_string={"from": between.isoformat(), "order": "asc"}).get_json()
    assert [(e["event"], e["actor"]) for e in later["items"]] == [("Corrected", "li_staff"),
                                                                   ("Retracted", "wang_admin")]
    assert later["total"] == 2
    # paging
    first = timeline_rows(client.get("/audit?view=events&size=10"))
    second = timeline_rows(client.get("/audit?view=events&size=10&page=2"))
    assert len(first) == len(second) == 10 and first[-1]["position"] == second[0]["position"] + 1
    page = client.get("/api/audit/events?page_size=4&page=3&kind=job_fair").get_json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (8 + 2, 3, 4, 2)
    api_li = client.get("/api/audit/events?actor=li_staff").get_json()
    assert api_li["total"] == 2 and {e["record_id"] for e in api_li["items"]} == {str(JOB_FAIR_1), str(JOB_FAIR_2)}
    assert all(e["is_record"] for e in api_li["items"])
    assert client.get("/api/audit/events?to=never").status_code == 422


# --- verify, checkpoint ---------------------------------------------------------------------------

def test_the_verify_page_shows_ok_and_the_head_on_a_clean_store(demo, as_auditor):
    as_auditor.get("/lang/en")  # the wording checked below is the English UI's
    response = as_auditor.get("/audit/verify")
    assert response.status_code == 200
    text = text_of(response)
    position, head = services(demo).reports.chain_head()
    assert "OK" in text and "NOT OK" not in text
    assert head in text and f"at position {position}" in text
    # a checkpoint taken now verifies; a forged one does not, and names its position
    checkpoint = as_auditor.get("/audit/checkpoint.json").get_json()
    assert (checkpoint["position"], checkpoint["head"]) == (position, head)
    again = as_auditor.get("/audit/verify", query_string={"position": checkpoint["position"],
                                                          "head": checkpoint["head"]})
    assert "NOT OK" not in text_of(again)
    forged = as_auditor.get("/audit/verify", query_string={"position": 100, "head": "ab" * 32})
    assert "NOT OK" in text_of(forged) and "differs from the checkpoint" in text_of(forged)
    uploaded = as_auditor.post("/audit/verify", data={"checkpoint": (
        __import__("io").BytesIO(json.dumps(checkpoint).encode()), "cp.json")}, content_type="multipart/form-data")
    assert uploaded.status_code == 200 and "NOT OK" not in text_of(uploaded)
    api = as_auditor.get("/api/audit/verify").get_json()
    assert api["ok"] is True and api["head"] == head and api["problems"] == []


# --- closing a year -----------------------------------------------------------------------------

def test_an_admin_closes_a_year_through_the_form_and_a_later_correction_shows_beside_the_seal(
        demo, as_admin, monkeypatch):
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", KEY)
    as_admin.get("/lang/en")  # the wording checked below is the English UI's
    reports = services(demo).reports
    position, head = reports.chain_head()
    form = as_admin.get("/audit/summary/2020").get_data(as_text=True)
    assert 'action="/audit/years/2020/close"' in form and 'name="confirm"' in form
    response = as_admin.post("/audit/years/2020/close", data={"confirm": "yes", "organisation": "东西湖区工商联"})
    assert response.status_code == 303, response.data[:500]
    assert response.headers["Location"].startswith("/audit/summary/2020")
    page = text_of(as_admin.get(response.headers["Location"]))
    assert "Closed" in page and head in page

    # the summary JSON carries the seal (the ledger's API if it is there, and the audit API)
    seal_of = {"position": position, "head": head, "closed_by": "wang_admin", "year": 2020}
    summaries = [as_admin.get("/api/audit/summary/2020").get_json()]
    if any(rule.rule == "/api/summary/<int:year>" for rule in demo.url_map.iter_rules()):
        summaries.append(as_admin.get("/api/summary/2020").get_json())
    summaries.append(reports.summary(2020))
    for summary in summaries:
        assert {k: summary["seal"][k] for k in seal_of} == seal_of
        assert figure(summary, POSTS)["value"] == "9048" and not figure(summary, POSTS).get("adjusted")

    # a 2020 job fair corrected after the close: the sealed and the adjusted figure, side by side
    services(demo).ledger.correct(JOB_FAIR_2, {"posts": 1351}, "人社局更正了岗位数", actor="li_staff")
    for summary in (reports.summary(2020), as_admin.get("/api/audit/summary/2020").get_json()):
        posts = figure(summary, POSTS)
        assert posts["value"] == "9049" and posts["adjusted"] is True
        assert posts["sealed"] == {"value": "9048", "text": "9048 个"}
        assert [(a["event"], a["actor"], a["reason"]) for a in summary["adjustments"]] == [
            ("Corrected", "li_staff", "人社局更正了岗位数")]
        assert summary["seal"]["position"] == position
    audit_api = as_admin.get("/api/audit/summary/2020").get_json()
    assert audit_api["adjusted_figures"] == [{"key": POSTS, "label": posts["label"], "value": "9049",
                                              "text": "9049 个", "sealed": {"value": "9048", "text": "9048 个"}}]
    page = as_admin.get("/audit/summary/2020").get_data(as_text=True)
    row = re.search(rf'<tr class="adjusted" data-figure="{re.escape(POSTS)}">(.*?)</tr>', page, re.S).group(1)
    assert "9048 个" in row and "9049 个" in row
    assert "人社局更正了岗位数" in text_of(as_admin.get("/audit/summary/2020"))
    # the diff from the seal's position to now names the figure
    diff = as_admin.get(f"/audit/summary/2020/diff?before={position}")
    assert POSTS in diff.get_data(as_text=True) and "9048 个" in text_of(diff) and "9049 个" in text_of(diff)

    # closing twice: 409, on the page and in the API; the chain verifies with the seal's HMAC
    again = as_admin.post("/audit/years/2020/close", data={"confirm": "yes"})
    assert again.status_code == 409 and "closed already" in text_of(again)
    api_again = as_admin.post("/api/audit/years/2020/close", json={})
    assert api_again.status_code == 409 and set(api_again.get_json()) >= {"code", "status", "message"}
    verified = as_admin.get("/api/audit/verify").get_json()
    assert verified["ok"] is True and not any("HMAC not checked" in n for n in verified["notes"])


def test_the_ledgers_summary_api_also_shows_the_sealed_and_the_adjusted_figure(demo, as_admin, monkeypatch):
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", KEY)
    assert as_admin.post("/audit/years/2020/close", data={"confirm": "yes"}).status_code == 303
    services(demo).ledger.correct(JOB_FAIR_2, {"posts": 1351}, "更正", actor="li_staff")
    posts = figure(as_admin.get("/api/summary/2020").get_json(), POSTS)
    assert posts["value"] == "9049" and posts.get("sealed") == {"value": "9048", "text": "9048 个"}


def test_closing_is_refused_without_the_seal_key_or_the_confirmation_or_records(demo, as_admin, monkeypatch):
    monkeypatch.delenv("TAIZHANG_SEAL_KEY", raising=False)
    before = services(demo).ledger.recorder.max_notification_id()
    response = as_admin.post("/audit/years/2020/close", data={"confirm": "yes"})
    assert response.status_code == 503 and "TAIZHANG_SEAL_KEY" in text_of(response)
    api = as_admin.post("/api/audit/years/2020/close", json={})
    assert api.status_code == 503 and "TAIZHANG_SEAL_KEY" in api.get_json()["message"]
    assert services(demo).ledger.recorder.max_notification_id() == before  # nothing written
    assert services(demo).reports.seal("东西湖区工商联", 2020) is None

    monkeypatch.setenv("TAIZHANG_SEAL_KEY", KEY)
    assert as_admin.post("/audit/years/2020/close", data={}).status_code == 422  # the box not ticked
    assert as_admin.post("/audit/years/2030/close", data={"confirm": "yes"}).status_code == 422  # no records
    made = as_admin.post("/api/audit/years/2020/close", json={"organisation": "东西湖区工商联"})
    assert made.status_code == 201
    assert made.get_json()["organisation"] == "东西湖区工商联" and made.get_json()["closed_by"] == "wang_admin"


def test_a_sessions_writes_need_the_csrf_token_a_bearer_token_does_not(csrf_app, monkeypatch):
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", KEY)
    load_demo(csrf_app)
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"name": "wang_admin", "password": "admin-pass-123",
                                       "csrf_token": token}).status_code == 302
    page = client.get("/audit/verify").get_data(as_text=True)
    form_token = re.search(r'action="/audit/years/2020/close".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    assert client.post("/audit/years/2020/close", data={"confirm": "yes"}).status_code == 400
    assert client.post("/api/audit/years/2020/close", json={}).status_code == 400
    assert client.post("/audit/years/2020/close", data={"confirm": "yes", "csrf_token": form_token}).status_code == 303
    bearer = csrf_app.extensions["taizhang"].accounts.issue_token("wang_admin")
    other = csrf_app.test_client()
    closed = other.post("/api/audit/years/2019/close", headers={"Authorization": f"Bearer {bearer}"}, json={})
    assert closed.status_code == 201, closed.data


def test_the_openapi_spec_documents_the_audit_api(demo, client):
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/audit/events", "/api/audit/records/{record_id}/story", "/api/audit/verify",
                 "/api/audit/checkpoint", "/api/audit/summary/{year}", "/api/audit/summary/{year}/diff"):
        assert "200" in paths[path]["get"]["responses"], path
    assert "201" in paths["/api/audit/years/{year}/close"]["post"]["responses"]
    schemas = spec["components"]["schemas"]
    for name in ("AuditEventPage", "AuditStory", "AuditVerification", "AuditCheckpoint", "AuditSummary",
                 "AuditSeal", "Difference"):
        assert name in schemas, name
    # the audit diff answers with the same documented shape as the ledger's own diff
    diff = paths["/api/audit/summary/{year}/diff"]["get"]["responses"]["200"]["content"]["application/json"]
    assert diff["schema"]["$ref"].endswith("/Difference")
    assert {"ok", "head", "problems"} <= set(schemas["AuditVerification"]["properties"])
