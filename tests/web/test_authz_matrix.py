"""Who may do what, route by route: an explicit matrix of every rule × method × role.

``EXPECTED`` holds, for every rule of ``app.url_map`` (but ``static``) and every method it takes
(HEAD and OPTIONS aside), the status each role gets: anonymous, staff, auditor, admin. A route added
without a line here fails ``test_every_route_has_an_authz_decision``: deciding who may use it is part
of adding it.

Reading the matrix: a forbidden role gets 403 (logged in), 302 to the login page (anonymous, HTML) or
401 (anonymous, /api). An allowed role gets what its request deserves: 200/201/303, or 422/400/503
where the body sent below is refused on its merits — that still shows authorisation passed, since
every guard runs before the view reads its input. Bodies that would change shared state (correct,
retract, close a year, add a user) are deliberately incomplete so the matrix runs in any order.

Every route under /api is checked twice: with the browser session, and with a bearer token.
The app runs with CSRF off (as the ``app`` fixture); tests/web and tests/api check CSRF itself.
"""
from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.conftest import PASSWORDS, USER_OF_ROLE, USERS
from tests.evidence_files import png
from tests.helpers import SHEET_CSV, valid_payload

PNG = png()

ROLES = ("anonymous", "staff", "auditor", "admin")
YEAR = 2020
SHEET_DIGEST = hashlib.sha256(SHEET_CSV).hexdigest()  # the upload the sheet import's pages show
FIGURE = "business.job_fairs_online"


def R(anonymous: int, staff: int, auditor: int, admin: int) -> dict[str, int]:
    return {"anonymous": anonymous, "staff": staff, "auditor": auditor, "admin": admin}


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # --- public ---------------------------------------------------------------------------------
    ("/", "GET"): R(200, 302, 302, 302),                         # logged in: on to the ledger
    ("/healthz", "GET"): R(200, 200, 200, 200),
    ("/login", "GET"): R(200, 200, 200, 200),
    ("/login", "POST"): R(401, 401, 401, 401),                   # empty name: refused on its merits
    ("/logout", "POST"): R(302, 302, 302, 302),
    ("/lang/<code>", "GET"): R(302, 302, 302, 302),
    ("/api/openapi.json", "GET"): R(200, 200, 200, 200),
    ("/api/docs", "GET"): R(200, 200, 200, 200),
    # --- staff pages: everyone logged in reads; staff and admins write ---------------------------
    ("/log", "GET"): R(302, 200, 403, 200),
    ("/log/<kind>", "GET"): R(302, 200, 403, 200),
    ("/log/<kind>", "POST"): R(302, 303, 403, 303),              # a valid job fair: logged
    ("/records", "GET"): R(302, 200, 200, 200),
    ("/records/<uuid:record_id>", "GET"): R(302, 200, 200, 200),
    ("/records/<uuid:record_id>/correct", "GET"): R(302, 200, 403, 200),
    ("/records/<uuid:record_id>/correct", "POST"): R(302, 422, 403, 422),  # no reason
    ("/records/<uuid:record_id>/retract", "GET"): R(302, 200, 403, 200),
    ("/records/<uuid:record_id>/retract", "POST"): R(302, 422, 403, 422),  # no reason
    ("/firms/suggest", "GET"): R(302, 200, 200, 200),
    ("/firms", "GET"): R(302, 400, 400, 400),  # no firm named
    # --- the sheet import (Excel/CSV 台账): staff and admins ------------------------------------------
    ("/import", "GET"): R(302, 200, 403, 200),
    ("/import", "POST"): R(302, 422, 403, 422),                  # no file
    ("/import/<digest>", "GET"): R(302, 200, 403, 200),          # the preview of an upload
    ("/import/<digest>", "POST"): R(302, 200, 403, 200),         # preview again: stores nothing
    # --- evidence: staff and admins attach and remove; everyone logged in reads ------------------
    ("/records/<uuid:record_id>/evidence", "POST"): R(302, 422, 403, 422),   # no file sent
    ("/records/<uuid:record_id>/evidence/<digest>", "GET"): R(302, 200, 200, 200),
    ("/records/<uuid:record_id>/evidence/<digest>/remove", "POST"): R(302, 422, 403, 422),  # no reason
    ("/summary/<int:year>/evidence.zip", "GET"): R(302, 200, 200, 200),
    # --- the summary: everyone logged in ---------------------------------------------------------
    ("/summary/<int:year>", "GET"): R(302, 200, 200, 200),
    ("/summary/<int:year>/diff", "GET"): R(302, 200, 200, 200),
    ("/summary/<int:year>/download.<fmt>", "GET"): R(302, 200, 200, 200),
    ("/summary/<int:year>/figures/<key>", "GET"): R(302, 200, 200, 200),
    # --- admin: users ----------------------------------------------------------------------------
    ("/admin/users", "GET"): R(302, 403, 403, 200),
    ("/admin/users", "POST"): R(302, 403, 403, 422),             # no name
    ("/admin/units", "GET"): R(302, 403, 403, 200),
    ("/admin/units", "POST"): R(302, 403, 403, 422),             # no name, no code
    ("/admin/units/change", "POST"): R(302, 403, 403, 422),      # no unit, no reason
    # --- admin: summary templates ----------------------------------------------------------------
    ("/admin/templates", "GET"): R(302, 403, 403, 200),
    ("/admin/templates/choose", "POST"): R(302, 403, 403, 422),  # no organisation
    ("/admin/templates/<name>", "GET"): R(302, 403, 403, 200),
    ("/admin/templates/<name>", "POST"): R(302, 403, 403, 422),  # no reason
    ("/admin/templates/<name>/preview", "POST"): R(302, 403, 403, 422),  # no year
    # --- audit pages: auditors and admins read; only admins close a year -------------------------
    ("/audit/", "GET"): R(302, 403, 200, 200),
    ("/audit/checkpoint.json", "GET"): R(302, 403, 200, 200),
    ("/audit/records/<uuid:record_id>", "GET"): R(302, 403, 200, 200),
    ("/audit/summary/<int:year>", "GET"): R(302, 403, 200, 200),
    ("/audit/summary/<int:year>/diff", "GET"): R(302, 403, 200, 200),
    ("/audit/verify", "GET"): R(302, 403, 200, 200),
    ("/audit/verify", "POST"): R(302, 403, 200, 200),            # checks an uploaded checkpoint: a read
    ("/audit/years/<int:year>/close", "POST"): R(302, 403, 403, 422),  # not confirmed
    # --- JSON API: everyone logged in reads; staff and admins write ------------------------------
    ("/api/kinds", "GET"): R(401, 200, 200, 200),
    ("/api/actions", "GET"): R(401, 200, 200, 200),
    ("/api/actions", "POST"): R(401, 201, 403, 201),             # a valid job fair: logged
    ("/api/actions/<uuid:record_id>", "GET"): R(401, 200, 200, 200),
    ("/api/actions/<uuid:record_id>/history", "GET"): R(401, 200, 200, 200),
    ("/api/actions/<uuid:record_id>/corrections", "POST"): R(401, 422, 403, 422),  # no reason
    ("/api/actions/<uuid:record_id>/retraction", "POST"): R(401, 422, 403, 422),   # no reason
    ("/api/records/<uuid:record_id>/evidence", "GET"): R(401, 200, 200, 200),
    ("/api/records/<uuid:record_id>/evidence", "POST"): R(401, 422, 403, 422),  # no file sent
    ("/api/summary/<int:year>", "GET"): R(401, 200, 200, 200),
    ("/api/templates", "GET"): R(401, 200, 200, 200),
    ("/api/templates", "POST"): R(401, 403, 403, 422),            # no template: only admins change them
    ("/api/units", "GET"): R(401, 200, 200, 200),
    ("/api/units", "POST"): R(401, 403, 403, 422),                # no unit: only admins change the tree
    ("/api/units/<code>/moves", "POST"): R(401, 403, 403, 422),
    ("/api/units/<code>/renames", "POST"): R(401, 403, 403, 422),
    ("/api/units/<code>/merges", "POST"): R(401, 403, 403, 422),
    ("/api/templates/<name>", "GET"): R(401, 200, 200, 200),
    ("/api/template-choices", "POST"): R(401, 403, 403, 422),
    ("/api/template-preview", "POST"): R(401, 403, 403, 422),
    ("/api/summary/<int:year>/diff", "GET"): R(401, 200, 200, 200),
    ("/api/summary/<int:year>/figures/<key>/events", "GET"): R(401, 200, 200, 200),
    # --- audit API: auditors and admins read; only admins close a year ---------------------------
    ("/api/audit/events", "GET"): R(401, 403, 200, 200),
    ("/api/audit/checkpoint", "GET"): R(401, 403, 200, 200),
    ("/api/audit/records/<uuid:record_id>/story", "GET"): R(401, 403, 200, 200),
    ("/api/audit/summary/<int:year>", "GET"): R(401, 403, 200, 200),
    ("/api/audit/summary/<int:year>/diff", "GET"): R(401, 403, 200, 200),
    ("/api/audit/verify", "GET"): R(401, 403, 200, 200),
    ("/api/audit/years/<int:year>/close", "POST"): R(401, 403, 403, 503),  # no seal key on this server
}

# Public routes: what anybody may use, logged in or not.
PUBLIC = {("/", "GET"), ("/healthz", "GET"), ("/login", "GET"), ("/login", "POST"), ("/logout", "POST"),
          ("/lang/<code>", "GET"), ("/api/openapi.json", "GET"), ("/api/docs", "GET")}
# Requests other than GET that only read (an auditor may send them): checking a checkpoint.
READING_POSTS = {("/audit/verify", "POST")}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DENIED = {302, 401, 403}


def rule_methods(app) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods if method in METHODS}


# --- the app, once for the module ------------------------------------------------------------------

class World:
    """The module's app, the record it works on, a logged-in session cookie and a token per role."""

    def __init__(self, app, record_id, sessions, tokens, checkpoint, digest):
        self.app = app
        self.digest = digest
        self.record_id = record_id
        self.sessions = sessions
        self.tokens = tokens
        self.checkpoint = checkpoint

    def client(self, role: str, via: str = "session", fresh_login: bool = False):
        """A fresh client (nothing a request did to its session leaks into the next test).

        ``fresh_login``: a session of its own (a logout revokes the session id it ends, so the shared
        cookie must not be the one logged out)."""
        client = self.app.test_client()
        if fresh_login and role != "anonymous" and via == "session":
            response = client.post("/login", data={"name": USER_OF_ROLE[role], "password": PASSWORDS[role]})
            assert response.status_code == 302, response.data[:300]
        elif role != "anonymous" and via == "session":
            client.set_cookie(self.app.config.get("SESSION_COOKIE_NAME", "session"), self.sessions[role])
        return client

    def headers(self, role: str, via: str) -> dict[str, str]:
        if role != "anonymous" and via == "token":
            return {"Authorization": f"Bearer {self.tokens[role]}"}
        return {}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from api import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TAIZHANG_SEAL_KEY", raising=False)  # closing a year answers 503 here, never seals
        app = create_app({"TESTING": True, "TAIZHANG_DATA": str(tmp_path_factory.mktemp("authz")),
                          "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret"})
        services = app.extensions["taizhang"]
        for name, role in USERS.items():
            services.accounts.add(name, role, PASSWORDS[role])
        assert services.sheets.put(SHEET_CSV, "招聘会台账.csv") == SHEET_DIGEST
        logged = services.ledger.log(valid_payload("job_fair", "authz-fair", occurred_on=f"{YEAR}-05-12",
                                                   mode="online"), actor="li_staff")
        from service.evidence import attach

        digest = attach(services, logged.id, PNG, "authz.png", actor="li_staff")["digest"]
        with app.app_context():
            checkpoint = services.reports.checkpoint()
        sessions, tokens = {}, {}
        for role in ROLES[1:]:
            client = app.test_client()
            response = client.post("/login", data={"name": USER_OF_ROLE[role], "password": PASSWORDS[role]})
            assert response.status_code == 302, response.data[:300]
            sessions[role] = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value
            tokens[role] = services.accounts.issue_token(USER_OF_ROLE[role])
        yield World(app, logged.id, sessions, tokens, checkpoint, digest)


# --- what each request sends -----------------------------------------------------------------------

def url_for_rule(rule: str, world: World) -> str:
    values = {"record_id": str(world.record_id), "year": str(YEAR), "key": FIGURE, "fmt": "docx",
              "kind": "job_fair", "code": "en", "name": "default",
              "digest": SHEET_DIGEST if rule.startswith("/import") else world.digest}

    def fill(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        assert name in values, f"no value for URL parameter {name!r} of {rule}: add one to url_for_rule"
        return values[name]

    return re.sub(r"<([^>]+)>", fill, rule)


QUERY = {
    ("/summary/<int:year>/diff", "GET"): {"before": "1"},
    ("/audit/summary/<int:year>/diff", "GET"): {"before": "1"},
    ("/api/summary/<int:year>/diff", "GET"): {"before": "1"},
    ("/api/audit/summary/<int:year>/diff", "GET"): {"before": "1"},
    ("/import/<digest>", "GET"): {"kind": "job_fair"},
}


def form_job_fair(role: str) -> dict:
    return {"key": f"authz-form-{role}", "organisation": "东西湖区工商联", "occurred_on": f"{YEAR}-06-01",
            "title": f"授权测试招聘会（{role}）", "mode": "offline", "posts": "10", "firm_name": ["武汉甲科技有限公司"],
            "firm_uscc": [""]}


def body_for(rule: str, method: str, role: str, via: str, world: World) -> dict:
    """Keyword arguments for the test client's request (form data or JSON)."""
    forms = {
        ("/login", "POST"): {"name": "", "password": ""},
        ("/log/<kind>", "POST"): form_job_fair(role),
        ("/records/<uuid:record_id>/correct", "POST"): {"expected_version": "1", "reason": ""},
        ("/records/<uuid:record_id>/retract", "POST"): {"expected_version": "1", "reason": ""},
        ("/records/<uuid:record_id>/evidence/<digest>/remove", "POST"): {"reason": ""},
        ("/admin/users", "POST"): {"name": "", "role": "staff"},
        ("/admin/templates/choose", "POST"): {"organisation": "", "year": "2020", "reason": "x"},
        ("/admin/templates/<name>", "POST"): {"text": "name: default", "reason": ""},
        ("/admin/templates/<name>/preview", "POST"): {"text": "name: default", "year": ""},
        ("/audit/verify", "POST"): {"checkpoint_text": json.dumps(world.checkpoint)},
        ("/audit/years/<int:year>/close", "POST"): {"organisation": ""},
        ("/import", "POST"): {"kind": "job_fair"},
        ("/import/<digest>", "POST"): {"kind": "job_fair", "action": "preview"},
    }
    jsons = {
        ("/api/actions", "POST"): valid_payload("job_fair", f"authz-api-{role}-{via}", minimal=True,
                                                    occurred_on=f"{YEAR}-07-01"),
        ("/api/actions/<uuid:record_id>/corrections", "POST"): {"changes": {"posts": 13}},
        ("/api/actions/<uuid:record_id>/retraction", "POST"): {},
        ("/api/audit/years/<int:year>/close", "POST"): {},
        ("/api/templates", "POST"): {},
        ("/api/units", "POST"): {},
        ("/api/units/<code>/moves", "POST"): {},
        ("/api/units/<code>/renames", "POST"): {},
        ("/api/units/<code>/merges", "POST"): {},
        ("/api/template-choices", "POST"): {},
        ("/api/template-preview", "POST"): {},
    }
    if (rule, method) in forms:
        return {"data": forms[(rule, method)]}
    if (rule, method) in jsons:
        return {"json": jsons[(rule, method)]}
    return {}


# --- the tests -------------------------------------------------------------------------------------

def test_every_route_has_an_authz_decision(world):
    """A route (or a method of one) without a line in EXPECTED fails here; so does a stale line."""
    actual = rule_methods(world.app)
    missing = sorted(actual - set(EXPECTED))
    stale = sorted(set(EXPECTED) - actual)
    assert not missing, f"routes without an authorisation decision in EXPECTED: {missing}"
    assert not stale, f"EXPECTED names routes the app no longer has: {stale}"


def test_the_matrix_keeps_the_policy():
    """The table itself obeys the roles: only public routes let anonymous in; auditors write nothing;
    only admins manage users or close years; staff never reach the audit."""
    for (rule, method), statuses in EXPECTED.items():
        assert set(statuses) == set(ROLES), (rule, method)
        if (rule, method) in PUBLIC:
            continue
        anonymous = 401 if rule.startswith("/api/") else 302
        assert statuses["anonymous"] == anonymous, (rule, method)
        assert statuses["admin"] not in DENIED, f"admins may do everything: {rule} {method}"
        if method != "GET" and (rule, method) not in READING_POSTS:
            assert statuses["auditor"] == 403, f"an auditor writes nothing: {rule} {method}"
        if rule.startswith(("/admin/", "/audit/", "/api/audit/")):
            assert statuses["staff"] == 403, f"staff do not audit or administer: {rule} {method}"
        if "/close" in rule or rule.startswith("/admin/"):
            assert statuses["auditor"] == 403 and statuses["staff"] == 403, (rule, method)


def cases():
    for (rule, method), statuses in sorted(EXPECTED.items()):
        vias = ("session", "token") if rule.startswith("/api/") and (rule, method) not in PUBLIC else ("session",)
        for via in vias:
            for role in ROLES:
                if via == "token" and role == "anonymous":
                    continue  # the session run already asked anonymously
                yield pytest.param(rule, method, role, via, statuses[role],
                                   id=f"{method} {rule} {role}" + (" token" if via == "token" else ""))


@pytest.mark.parametrize(("rule", "method", "role", "via", "status"), list(cases()))
def test_route_answers_each_role(world, rule, method, role, via, status):
    client = world.client(role, via, fresh_login=rule == "/logout")
    url = url_for_rule(rule, world)
    response = client.open(url, method=method, query_string=QUERY.get((rule, method)),
                           headers=world.headers(role, via), **body_for(rule, method, role, via, world))
    detail = response.get_data()[:300].decode("utf-8", "replace")
    assert response.status_code == status, f"{method} {url} as {role} ({via}): {response.status_code} {detail}"
    if status == 302 and role == "anonymous" and (rule, method) not in PUBLIC:
        assert "/login" in response.headers["Location"]


# --- unit scope: the same routes for users of organisation units ----------------------------------
# The module's record belongs to 东西湖区工商联 (district 420112) of 武汉市工商联 (city 4201); 江汉区工商联
# (420103) is its sibling. A sibling's staff and auditor are refused every route of the record (403,
# before the body is read); the city's auditor reads it as an auditor of no unit does; a district's
# staff may not log into another unit's ledger.
SCOPED = {"jianghan_staff": ("staff", "420103"), "jianghan_auditor": ("auditor", "420103"),
          "wuhan_auditor": ("auditor", "4201"), "wuhan_staff": ("staff", "4201")}
RECORD_RULES = sorted((rule, method) for rule, method in EXPECTED if "<uuid:record_id>" in rule)
SUMMARY_RULES = sorted((rule, method) for rule, method in EXPECTED
                       if rule.startswith(("/summary/<int:year>", "/api/summary/<int:year>", "/audit/summary",
                                           "/api/audit/summary")) and method == "GET")


@pytest.fixture(scope="module")
def scoped(world):
    from service.org_units import add_unit

    services = world.app.extensions["taizhang"]
    if not services.reports.unit_scope("4201"):
        add_unit(services.ledger, "武汉市工商联", "市", "4201", None, "authz")
        add_unit(services.ledger, "东西湖区工商联", "区县", "420112", "4201", "authz")
        add_unit(services.ledger, "江汉区工商联", "区县", "420103", "4201", "authz")
        for name, (role, unit) in SCOPED.items():
            services.accounts.add(name, role, PASSWORDS[role], unit=unit)
    return {name: services.accounts.issue_token(name) for name in SCOPED}


def _scoped_open(world, tokens, name, rule, method, query=None):
    role = SCOPED[name][0]
    client = world.app.test_client()
    headers = {}
    if rule.startswith("/api/"):
        headers = {"Authorization": f"Bearer {tokens[name]}"}
    else:
        response = client.post("/login", data={"name": name, "password": PASSWORDS[role]})
        assert response.status_code == 302, response.data[:300]
    return client.open(url_for_rule(rule, world), method=method, headers=headers,
                       query_string=query if query is not None else QUERY.get((rule, method)),
                       **body_for(rule, method, role, "token", world))


@pytest.mark.parametrize(("rule", "method"), RECORD_RULES, ids=[f"{m} {r}" for r, m in RECORD_RULES])
@pytest.mark.parametrize("name", ["jianghan_staff", "jianghan_auditor"])
def test_a_sibling_district_is_refused_every_route_of_the_record(world, scoped, name, rule, method):
    response = _scoped_open(world, scoped, name, rule, method)
    assert response.status_code == 403, f"{method} {rule} as {name}: {response.status_code}"
    text = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else response.get_data(as_text=True)
    if EXPECTED[(rule, method)][SCOPED[name][0]] not in DENIED:  # (a role refused anyway is told so)
        assert "江汉区工商联" in text  # the refusal names the user's unit


@pytest.mark.parametrize(("rule", "method"), [rm for rm in RECORD_RULES if rm[1] == "GET"],
                         ids=[f"{m} {r}" for r, m in RECORD_RULES if m == "GET"])
def test_the_city_auditor_reads_the_districts_record(world, scoped, rule, method):
    response = _scoped_open(world, scoped, "wuhan_auditor", rule, method)
    assert response.status_code == EXPECTED[(rule, method)]["auditor"], f"{method} {rule}: {response.status_code}"


@pytest.mark.parametrize(("rule", "method"), SUMMARY_RULES, ids=[f"{m} {r}" for r, m in SUMMARY_RULES])
def test_summaries_follow_the_unit_tree(world, scoped, rule, method):
    query = {**QUERY.get((rule, method), {}), "organisation": "东西湖区工商联"}
    allowed = EXPECTED[(rule, method)]["auditor"]
    assert _scoped_open(world, scoped, "wuhan_auditor", rule, method, query).status_code == allowed
    assert _scoped_open(world, scoped, "jianghan_auditor", rule, method, query).status_code == 403
    if EXPECTED[(rule, method)]["staff"] not in DENIED:
        assert _scoped_open(world, scoped, "jianghan_staff", rule, method, query).status_code == 403


@pytest.mark.parametrize("name", ["jianghan_staff", "wuhan_staff"])
def test_staff_log_in_their_own_unit_only(world, scoped, name):
    services = world.app.extensions["taizhang"]
    before = services.reports.list_records(organisation="东西湖区工商联", include_retracted=True)[1]
    client = world.app.test_client()
    api = client.post("/api/actions", json=valid_payload("job_fair", f"scope-{name}", minimal=True),
                      headers={"Authorization": f"Bearer {scoped[name]}"})
    assert api.status_code == 403, api.get_data(as_text=True)[:300]
    assert client.post("/login", data={"name": name, "password": PASSWORDS["staff"]}).status_code == 302
    form = client.post("/log/job_fair", data=form_job_fair(f"scope-{name}"))
    assert form.status_code == 403
    assert "只能在本单位登记" in form.get_data(as_text=True)  # said at the organisation field of the form
    assert services.reports.list_records(organisation="东西湖区工商联", include_retracted=True)[1] == before


def test_lists_and_the_timeline_show_the_scope_only(world, scoped):
    client = world.app.test_client()
    for name, sees in (("jianghan_auditor", False), ("wuhan_auditor", True)):
        headers = {"Authorization": f"Bearer {scoped[name]}"}
        items = client.get("/api/actions", headers=headers).get_json()["items"]
        assert any(i["id"] == str(world.record_id) for i in items) is sees
        events = client.get("/api/audit/events", headers=headers).get_json()
        ids = {e.get("record_id") for e in events["items"]}
        assert (str(world.record_id) in ids) is sees
        firms = {f["name"] for f in client.get("/firms/suggest?q=武汉", headers=headers).get_json()}
        assert ("武汉甲科技有限公司" in firms) is sees  # a sibling's firms are not suggested either
