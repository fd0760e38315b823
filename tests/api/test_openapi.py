"""The OpenAPI document: every /api route described, with schemas, security and a local docs page."""
from __future__ import annotations

import re

import pytest

from domain.catalogue import KINDS

UNDOCUMENTED = {"/api/openapi.json", "/api/docs"}
METHODS = {"get", "post", "put", "patch", "delete"}
JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object"}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")  # no login needed
    assert response.status_code == 200
    return response.get_json()


def _resolve(spec: dict, obj: dict) -> dict:
    while "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        obj = spec["components"][section][name]
    return obj


def _walk(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (i,))


def test_every_api_route_is_in_the_spec_and_nothing_else(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in UNDOCUMENTED:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routes |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
    documented = {(path, m) for path, item in spec["paths"].items() for m in item if m in METHODS}
    assert routes == documented
    assert {p for p, _ in routes} >= {"/api/kinds", "/api/actions", "/api/actions/{record_id}",
                                     "/api/actions/{record_id}/history", "/api/actions/{record_id}/corrections",
                                     "/api/actions/{record_id}/retraction", "/api/summary/{year}",
                                     "/api/summary/{year}/diff"}


def test_every_operation_has_a_summary_and_response_schemas(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            assert op.get("summary"), (method, path)
            successes = [c for c in op["responses"] if c.startswith("2")]
            assert successes, (method, path)
            for code, response in op["responses"].items():
                response = _resolve(spec, response)
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                assert schema, (method, path, code)
            assert "401" in op["responses"], (method, path)
            if method == "post":
                assert {"403", "422"} <= set(op["responses"]), (method, path)
                assert "requestBody" in op, (method, path)


def test_errors_share_one_schema(spec):
    error = spec["components"]["schemas"]["Error"]
    assert {"code", "status", "message", "errors"} <= set(error["properties"])
    for name, response in spec["components"]["responses"].items():
        if name[0].isupper() and response.get("content"):
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_logging_takes_one_of_the_kinds_schemas(spec):
    body = spec["paths"]["/api/actions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    refs = [s["$ref"] for s in body["oneOf"]]
    assert len(refs) == len(KINDS)
    assert body["discriminator"]["propertyName"] == "kind"
    for kind in KINDS:
        ref = body["discriminator"]["mapping"][kind.key]
        assert ref in refs
        schema = _resolve(spec, {"$ref": ref})
        assert schema["properties"]["kind"]["enum"] == [kind.key]
        assert schema["additionalProperties"] is False
        assert {"kind", "organisation", "title", "occurred_on"} <= set(schema["required"])
    job_fair = spec["components"]["schemas"]["JobFairHeld"]["properties"]
    assert job_fair["occurred_on"]["type"] == "string" and job_fair["occurred_on"]["format"] == "date"
    assert job_fair["mode"]["enum"] == ["online", "offline"]
    assert {f.get("type") for f in job_fair["posts"]["oneOf"]} == {"integer", "string", "object"}
    params = spec["paths"]["/api/actions"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)


def test_the_summary_is_described(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Figure"]["properties"]["value"]["type"] == "string"
    assert schemas["Figure"]["properties"]["event_count"]["type"] == "integer"
    assert schemas["Figure"]["properties"]["event_digest"]["type"] == "string"
    assert "event_ids" not in schemas["Figure"]["properties"]  # listed on demand, not in the summary
    assert schemas["FigureEvents"]["properties"]["events"]["items"] == {"$ref": "#/components/schemas/FigureEvent"}
    assert schemas["Summary"]["properties"]["sections"]["items"] == {"$ref": "#/components/schemas/Section"}
    assert schemas["Section"]["properties"]["subsections"]["items"] == {"$ref": "#/components/schemas/Section"}


def test_the_bearer_scheme_guards_every_operation(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert {"bearerAuth": []} in spec["security"]


def test_every_reference_resolves_and_every_type_is_a_json_type(spec):
    for path, node in _walk(spec):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            assert _resolve(spec, node), path
        if isinstance(node, dict) and "type" in node and path[-1:] != ("properties",) \
                and "securitySchemes" not in path:
            assert node["type"] in JSON_TYPES, (path, node["type"])


def test_the_spec_is_valid_openapi_3(spec):
    validator = pytest.importorskip("openapi_spec_validator")
    assert spec["openapi"].startswith("3.")
    validator.validate(spec)


def test_the_docs_page_is_local_and_lists_every_operation(client, spec):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I), "nothing from another host"
    for path, item in spec["paths"].items():
        for method in item:
            if method in METHODS:
                assert re.search(rf"{method.upper()}</span>\s*<code>{re.escape(path)}</code>", html), (method, path)
    assert 'id="schema-JobFairHeld"' in html and "/api/openapi.json" in html
