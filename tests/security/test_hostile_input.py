"""Input that used to answer 500 now answers 4xx in the one error body; LIKE wildcards are literal;
authenticated answers are not cached."""
from __future__ import annotations

import json

import pytest

from tests.conftest import login
from tests.helpers import valid_payload

ERROR_KEYS = {"code", "status", "message"}


@pytest.fixture
def token(app):
    return app.extensions["taizhang"].accounts.issue_token("li_staff")


@pytest.fixture
def api(app, token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture(autouse=True)
def answered_not_raised(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug shows as the 500 a client would get


def _error(response, code: int) -> dict:
    assert response.status_code == code, response.get_data()[:300]
    body = response.get_json()
    assert ERROR_KEYS <= set(body) and body["code"] == code
    return body


@pytest.mark.parametrize("nested", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000,
                                    '{"kind": "problem", "title": ' + "[" * 200 + "]" * 200 + "}"])
def test_deeply_nested_json_is_a_400(api, nested):
    body = _error(api.post("/api/actions", data=nested, content_type="application/json"), 400)
    assert "nested too deeply" in body["message"]


def test_deeply_nested_json_in_a_correction_is_a_400(api):
    logged = api.post("/api/actions", json=valid_payload("problem", "deep-1"))
    record_id = logged.get_json()["id"]
    deep = '{"reason": "x", "changes": {"title": ' + "[" * 1000 + "]" * 1000 + "}}"
    _error(api.post(f"/api/actions/{record_id}/corrections", data=deep, content_type="application/json"), 400)


def test_a_lone_surrogate_in_a_field_is_a_422_naming_it(api):
    raw = json.dumps(valid_payload("problem", "sur-1", title="问题\ud800"))  # json.dumps writes it as \ud800
    body = _error(api.post("/api/actions", data=raw, content_type="application/json"), 422)
    assert "U+D800" in body["errors"]["title"][0]
    assert api.get("/api/actions").get_json()["total"] == 0  # nothing stored


@pytest.mark.parametrize("kind", [{}, [], 7, None])
def test_a_kind_that_is_not_text_is_a_422(api, kind):
    """Found by schemathesis: {"kind": {}} raised TypeError (unhashable) and answered 500."""
    body = _error(api.post("/api/actions", json=valid_payload("problem", "odd-kind", kind=kind)), 422)
    assert "kind" in body["errors"]


@pytest.mark.parametrize("url", ["/api/summary/2020?as_of=9999-12-31T23:59:59-14:00",
                                 "/api/summary/2020/diff?before=9999-12-31T23:59:59-14:00",
                                 "/api/summary/2020/diff?before=1&after=9999-12-31T23:59:59-14:00"])
def test_a_moment_beyond_the_calendar_is_a_422(api, url):
    body = _error(api.get(url), 422)
    assert body["errors"]


@pytest.mark.parametrize(("q", "expected"), [("%", {"100% 完成"}), ("_", {"a_b 问题"}), ("100%", {"100% 完成"}),
                                             ("\\", set())])
def test_like_wildcards_in_q_are_literal(api, as_staff, q, expected):
    for key, title in (("w1", "100% 完成"), ("w2", "a_b 问题"), ("w3", "普通问题")):
        assert api.post("/api/actions", json=valid_payload("problem", key, title=title)).status_code == 201
    titles = {item["title"] for item in api.get("/api/actions", query_string={"q": q}).get_json()["items"]}
    assert titles == expected
    page = as_staff.get("/records", query_string={"q": q}).get_data(as_text=True)
    assert ("普通问题" in page) is False


def test_authenticated_pages_and_api_answers_are_not_cached(app, api, client):
    assert api.get("/api/actions").headers.get("Cache-Control") == "no-store"
    assert api.get("/api/actions/00000000-0000-0000-0000-000000000000").headers.get("Cache-Control") == "no-store"
    login(client, "staff")
    for url in ("/records", "/summary/2020"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url


def test_the_public_login_page_and_static_files_keep_their_caching(client):
    assert client.get("/login").headers.get("Cache-Control") != "no-store"
    assert client.get("/static/site.css").headers.get("Cache-Control") != "no-store"
