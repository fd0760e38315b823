"""The JSON API: log, repeat, correct, conflict, retract, list, summary; roles, tokens, CSRF, errors."""
from __future__ import annotations

import re

import pytest

from projections.provenance import event_digest
from service.ledger import record_id_for
from tests.conftest import PASSWORDS, USERS
from tests.helpers import ORG, valid_payload

ERROR_KEYS = {"code", "status", "message"}


@pytest.fixture
def tokens(app):
    accounts = app.extensions["taizhang"].accounts
    return {role: accounts.issue_token(name) for name, role in USERS.items()}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(client, tokens):
    return bearer(tokens["staff"])


def assert_error(response, code: int) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)[:800]
    body = response.get_json()
    assert ERROR_KEYS <= set(body), body
    assert body["code"] == code and isinstance(body["status"], str) and body["message"]
    assert set(body) <= ERROR_KEYS | {"errors", "current_version", "stored", "given"}
    return body


def job_fair(key: str | None = None, **overrides) -> dict:
    return valid_payload("job_fair", key, **{"mode": "online", **overrides})


def log(client, headers, payload, expect=201) -> dict:
    response = client.post("/api/actions", json=payload, headers=headers)
    assert response.status_code == expect, response.get_data(as_text=True)[:800]
    return response.get_json()


# --- logging ---

def test_log_answers_201_and_the_same_key_answers_200_with_the_same_record(client, staff):
    first = client.post("/api/actions", json=job_fair("fair-1"), headers=staff)
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert body["created"] is True and body["kind"] == "job_fair" and body["version"] == 1
    assert body["id"] == str(record_id_for("fair-1"))
    assert body["occurred_on"] == "2020-05-12" and body["logged_by"] == "li_staff"
    assert body["posts"] == {"value": 12, "approx": None}
    assert first.headers["Location"].endswith(f"/api/actions/{body['id']}")

    again = client.post("/api/actions", json=job_fair("fair-1"), headers=staff)
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"] and again.get_json()["created"] is False
    listing = client.get("/api/actions", headers=staff).get_json()
    assert listing["total"] == 1 and [i["id"] for i in listing["items"]] == [body["id"]]


def test_the_idempotency_key_header_stands_for_the_key(client, staff):
    headers = {**staff, "Idempotency-Key": "from-header"}
    first = log(client, headers, job_fair())
    assert first["id"] == str(record_id_for("from-header")) and first["key"] == "from-header"
    again = log(client, headers, job_fair(), expect=200)
    assert again["id"] == first["id"]
    clash = client.post("/api/actions", json=job_fair("other"), headers=headers)
    assert "key" in assert_error(clash, 409)["errors"]  # a documented conflict, not a schema-valid body refused


def test_an_invalid_body_answers_422_naming_the_fields(client, staff):
    payload = job_fair()
    del payload["title"]
    payload["posts"] = "many"
    payload["firms"] = [{"name": "甲", "uscc": "123"}]
    body = assert_error(client.post("/api/actions", json=payload, headers=staff), 422)
    assert {"title", "posts", "firms"} <= set(body["errors"])
    assert "uscc" in body["errors"]["firms"]["0"]
    unknown = assert_error(client.post("/api/actions", json={"kind": "nonsense"}, headers=staff), 422)
    assert "kind" in unknown["errors"]
    extra = assert_error(client.post("/api/actions", json=job_fair(colour="red"), headers=staff), 422)
    assert "colour" in extra["errors"]
    not_json = client.post("/api/actions", data="title=x", headers={**staff, "Content-Type": "text/plain"})
    assert_error(not_json, 422)
    assert client.get("/api/actions", headers=staff).get_json()["total"] == 0


# --- correcting and retracting ---

def test_a_correction_raises_the_version_and_shows_in_the_history(client, staff):
    rid = log(client, staff, job_fair("c1"))["id"]
    response = client.post(f"/api/actions/{rid}/corrections", headers=staff,
                           json={"changes": {"posts": "30余"}, "reason": "重新核对 / recounted", "expected_version": 1})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"id": rid, "version": 2}
    record = client.get(f"/api/actions/{rid}", headers=staff).get_json()
    assert record["version"] == 2 and record["posts"] == {"value": 30, "approx": "余"}
    history = client.get(f"/api/actions/{rid}/history", headers=staff).get_json()
    assert [h["version"] for h in history] == [1, 2]
    assert history[0]["occurred_on"] == "2020-05-12" and history[0]["actor"] == "li_staff"
    assert history[1]["reason"] == "重新核对 / recounted"
    assert history[1]["changes"]["posts"]["to"] == {"value": 30, "approx": "余"}


def test_a_stale_expected_version_answers_409_and_keeps_the_first_correction(client, staff):
    rid = log(client, staff, job_fair("c2"))["id"]
    ok = client.post(f"/api/actions/{rid}/corrections", headers=staff,
                     json={"changes": {"title": "第一次更正"}, "reason": "a", "expected_version": 1})
    assert ok.status_code == 200
    stale = client.post(f"/api/actions/{rid}/corrections", headers=staff,
                        json={"changes": {"title": "第二次更正"}, "reason": "b", "expected_version": 1})
    body = assert_error(stale, 409)
    assert body["current_version"] == 2 and "someone else" in body["message"]
    record = client.get(f"/api/actions/{rid}", headers=staff).get_json()
    assert record["title"] == "第一次更正" and record["version"] == 2


def test_a_retracted_record_refuses_corrections(client, staff):
    rid = log(client, staff, job_fair("r1"))["id"]
    response = client.post(f"/api/actions/{rid}/retraction", headers=staff, json={"reason": "重复登记"})
    assert response.status_code == 200 and response.get_json() == {"id": rid, "version": 2}
    record = client.get(f"/api/actions/{rid}", headers=staff).get_json()
    assert record["retracted"] is True and record["retraction_reason"] == "重复登记"
    correction = client.post(f"/api/actions/{rid}/corrections", headers=staff,
                             json={"changes": {"title": "x"}, "reason": "y"})
    assert_error(correction, 409)
    assert_error(client.post(f"/api/actions/{rid}/retraction", headers=staff, json={"reason": "again"}), 409)
    assert client.get("/api/actions", headers=staff).get_json()["total"] == 0
    listed = client.get("/api/actions?include_retracted=true", headers=staff).get_json()
    assert listed["total"] == 1 and listed["items"][0]["retracted"] is True


def test_refused_corrections_answer_422_or_404(client, staff):
    rid = log(client, staff, job_fair("c3"))["id"]
    url = f"/api/actions/{rid}/corrections"
    missing = assert_error(client.post(url, headers=staff, json={"changes": {"title": "x"}}), 422)
    assert "reason" in missing["errors"]
    blank = assert_error(client.post(url, headers=staff, json={"changes": {"title": "x"}, "reason": "  "}), 422)
    assert "reason" in blank["errors"]
    bad = assert_error(client.post(url, headers=staff, json={"changes": {"posts": "lots"}, "reason": "r"}), 422)
    assert "posts" in bad["errors"]["changes"]
    empty = assert_error(client.post(url, headers=staff, json={"changes": {}, "reason": "r"}), 422)
    assert "changes" in empty["errors"]
    same = assert_error(client.post(url, headers=staff, json={"changes": {"mode": "online"}, "reason": "r"}), 422)
    assert "changes" in same["errors"]
    extra = assert_error(client.post(url, headers=staff, json={"changes": {"title": "x"}, "reason": "r", "x": 1}), 422)
    assert "x" in extra["errors"]
    assert client.get(f"/api/actions/{rid}", headers=staff).get_json()["version"] == 1
    nobody = "00000000-0000-0000-0000-000000000000"
    assert_error(client.post(f"/api/actions/{nobody}/corrections", headers=staff,
                             json={"changes": {"title": "x"}, "reason": "r"}), 404)
    assert_error(client.get(f"/api/actions/{nobody}", headers=staff), 404)
    assert_error(client.get(f"/api/actions/{nobody}/history", headers=staff), 404)
    assert_error(client.get("/api/actions/not-a-uuid", headers=staff), 404)


# --- reading ---

def test_the_list_filters_and_pages(client, staff, tokens):
    for n in range(5):
        log(client, staff, job_fair(f"l{n}", title=f"招聘会{n}", occurred_on=f"2020-0{n + 1}-10", ends_on=None))
    log(client, staff, valid_payload("training", "t1", title="理想信念培训"))
    log(client, staff, job_fair("y21", occurred_on="2021-03-01", ends_on=None, title="明年的招聘会"))
    log(client, bearer(tokens["admin"]), job_fair("adm", title="管理员登记"))

    def get(query: str) -> dict:
        response = client.get(f"/api/actions?{query}", headers=staff)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    everything = get("")
    assert everything["total"] == 8 and everything["page"] == 1 and everything["page_size"] == 50
    item = everything["items"][0]
    assert set(item) == {"id", "kind", "title", "occurred_on", "theme", "organisation", "retracted", "logged_by",
                         "version", "firms", "facts"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", item["occurred_on"])
    assert get("year=2020&kind=job_fair")["total"] == 6
    assert get("kind=training")["items"][0]["title"] == "理想信念培训"
    assert get("theme=political")["total"] == 1
    assert get("actor=wang_admin")["items"][0]["title"] == "管理员登记"
    assert get("q=明年")["total"] == 1
    assert get(f"organisation={ORG}")["total"] == 8
    page1, page2, page4 = get("page_size=3&page=1"), get("page_size=3&page=2"), get("page_size=3&page=4")
    assert page1["page_size"] == 3 and len(page1["items"]) == 3 and len(page2["items"]) == 3
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}
    assert page4["items"] == [] and page4["total"] == 8
    assert [i["occurred_on"] for i in page1["items"]] == sorted((i["occurred_on"] for i in page1["items"]), reverse=True)
    assert "page_size" in assert_error(client.get("/api/actions?page_size=201", headers=staff), 422)["errors"]
    assert "kind" in assert_error(client.get("/api/actions?kind=nope", headers=staff), 422)["errors"]
    assert "page" in assert_error(client.get("/api/actions?page=0", headers=staff), 422)["errors"]


def test_the_kinds_are_the_catalogue(client, staff):
    kinds = client.get("/api/kinds", headers=staff).get_json()
    by_key = {k["kind"]: k for k in kinds}
    fields = {f["name"]: f for f in by_key["job_fair"]["fields"]}
    assert fields["mode"]["required"] is True and set(fields["mode"]["choices"]) == {"online", "offline"}
    assert fields["posts"]["type"] == "count" and fields["posts"]["unit"] == "个"


def test_the_summary_counts_logged_job_fairs_and_its_event_ids_resolve(app, client, staff):
    ids = {log(client, staff, job_fair(f"s{n}"))["id"] for n in range(2)}
    log(client, staff, job_fair("offline", mode="offline"))
    response = client.get(f"/api/summary/2020?organisation={ORG}", headers=staff)
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.get_json()
    assert summary["year"] == 2020 and summary["organisation"] == ORG
    figures = {f["key"]: f for s in summary["sections"] for sub in [s, *s["subsections"]] for f in sub["figures"]}
    online = figures["business.job_fairs_online"]
    assert online["value"] == "2" and isinstance(online["value"], str)
    assert online["event_count"] == 2 and "event_ids" not in online
    url = f"/api/summary/2020/figures/business.job_fairs_online/events?organisation={ORG}"
    pages = [client.get(f"{url}&per_page=1&page={n}", headers=staff).get_json() for n in (1, 2)]
    assert [(p["total"], p["pages"], p["page"], len(p["events"])) for p in pages] == [(2, 2, 1, 1), (2, 2, 2, 1)]
    events = [e for p in pages for e in p["events"]]
    assert {e["record_id"] for e in events} == ids
    assert events[0]["position"] < events[1]["position"]  # in log order
    assert event_digest([e["position"] for e in events]) == online["event_digest"]
    assert pages[0]["next_after"] == events[0]["position"] and pages[1]["next_after"] is None
    walked, after = [], None  # by cursor: the same events, page by page, without counting the pages before
    for _ in range(3):
        got = client.get(f"{url}&per_page=1" + (f"&after={after}" if after is not None else ""), headers=staff)
        assert got.status_code == 200, got.get_data(as_text=True)
        body = got.get_json()
        walked += body["events"]
        after = body["next_after"]
        if after is None:
            break
    assert walked == events and body["page"] is None and body["total"] == 2
    last = client.get(f"{url}&after={events[-1]['position']}", headers=staff).get_json()
    assert last["events"] == [] and last["next_after"] is None
    assert "after" in assert_error(client.get(f"{url}&after=-1", headers=staff), 422)["errors"]
    missing = client.get("/api/summary/2020/figures/no.such/events", headers=staff)
    assert missing.status_code == 404 and "no.such" in missing.get_json()["message"]
    assert client.get(f"{url}&per_page=0", headers=staff).status_code == 422

    default_org = client.get("/api/summary/2020", headers=staff).get_json()
    assert default_org["organisation"] == ORG
    before = client.get("/api/summary/2020?as_of=1", headers=staff).get_json()
    assert before["position"] == 1
    diff = client.get("/api/summary/2020/diff?before=0", headers=staff)
    assert diff.status_code == 200, diff.get_data(as_text=True)
    changes = {c["key"]: c for c in diff.get_json()["changes"]}
    assert changes["business.job_fairs_online"]["after_value"] == "2"
    assert "as_of" in assert_error(client.get("/api/summary/2020?as_of=yesterday", headers=staff), 422)["errors"]
    assert "before" in assert_error(client.get("/api/summary/2020/diff", headers=staff), 422)["errors"]
    assert_error(client.get("/api/summary/99999", headers=staff), 404)


# --- who may do what ---

def test_an_auditor_reads_but_never_writes(client, staff, tokens):
    rid = log(client, staff, job_fair("a1"))["id"]
    auditor = bearer(tokens["auditor"])
    for url in ("/api/kinds", "/api/actions", f"/api/actions/{rid}", f"/api/actions/{rid}/history",
                "/api/summary/2020", "/api/summary/2020/diff?before=0"):
        assert client.get(url, headers=auditor).status_code == 200, url
    assert_error(client.post("/api/actions", json=job_fair("a2"), headers=auditor), 403)
    assert_error(client.post(f"/api/actions/{rid}/corrections", headers=auditor,
                             json={"changes": {"title": "x"}, "reason": "r"}), 403)
    assert_error(client.post(f"/api/actions/{rid}/retraction", headers=auditor, json={"reason": "r"}), 403)
    assert client.get(f"/api/actions/{rid}", headers=staff).get_json()["version"] == 1
    assert client.get("/api/actions", headers=staff).get_json()["total"] == 1


def test_without_a_valid_token_everything_but_the_docs_answers_401(client, staff):
    rid = log(client, staff, job_fair("n1"))["id"]
    for headers in ({}, bearer("tz_wrong"), {"Authorization": "Basic bGk6eA=="}):
        for method, url in (("get", "/api/kinds"), ("get", "/api/actions"), ("get", f"/api/actions/{rid}"),
                            ("get", f"/api/actions/{rid}/history"), ("get", "/api/summary/2020"),
                            ("get", "/api/summary/2020/diff?before=0"), ("post", "/api/actions"),
                            ("post", f"/api/actions/{rid}/corrections"), ("post", f"/api/actions/{rid}/retraction")):
            response = getattr(client, method)(url, headers=headers, json={})
            assert_error(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200


def test_a_session_write_needs_the_csrf_header(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": "li_staff", "password": PASSWORDS["staff"], "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/actions").status_code == 200  # a session reads without more ado
    # logging in starts a new session: take the token a page of that session carries
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)

    refused = client.post("/api/actions", json=job_fair("csrf-1"))
    assert "CSRF" in assert_error(refused, 400)["message"]
    wrong = client.post("/api/actions", json=job_fair("csrf-1"), headers={"X-CSRFToken": "forged"})
    assert_error(wrong, 400)
    assert client.get("/api/actions").get_json()["total"] == 0
    with csrf_app.app_context():
        assert csrf_app.extensions["taizhang"].reports.list_records()[1] == 0

    accepted = client.post("/api/actions", json=job_fair("csrf-1"), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.get_data(as_text=True)


def test_a_token_needs_no_csrf_header_even_with_csrf_on(csrf_app):
    with csrf_app.app_context():
        token = csrf_app.extensions["taizhang"].accounts.issue_token("li_staff")
    client = csrf_app.test_client()
    assert client.post("/api/actions", json=job_fair("tok"), headers=bearer(token)).status_code == 201


def test_the_token_speaks_for_the_request_even_over_a_session(client, tokens):
    from tests.conftest import login

    login(client, "staff")
    assert_error(client.post("/api/actions", json=job_fair("over"), headers=bearer(tokens["auditor"])), 403)
    assert_error(client.get("/api/actions", headers=bearer("tz_wrong")), 401)
    assert client.post("/api/actions", json=job_fair("over")).status_code == 201  # CSRF is off in `app`


# --- errors keep their shape and their headers ---

def test_method_not_allowed_keeps_the_allow_header(client, staff):
    response = client.put("/api/kinds", headers=staff)
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unknown_api_path_answers_json_and_a_page_path_html(client, staff):
    assert_error(client.get("/api/nothing-here", headers=staff), 404)
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_a_key_sent_again_with_other_content_is_a_409_with_both_versions_and_stores_nothing(app, client, staff):
    log(client, staff, job_fair("fair-strict", title="春季招聘会"))
    before = app.extensions["taizhang"].ledger.recorder.max_notification_id()
    same = client.post("/api/actions", json=job_fair("fair-strict", title="春季招聘会"), headers=staff)
    assert same.status_code == 200 and same.get_json()["created"] is False
    other = client.post("/api/actions", json=job_fair("fair-strict", title="秋季招聘会"), headers=staff)
    body = assert_error(other, 409)
    assert (body["stored"]["title"], body["given"]["title"]) == ("春季招聘会", "秋季招聘会")
    assert "fair-strict" in body["message"]
    assert app.extensions["taizhang"].ledger.recorder.max_notification_id() == before
