"""The API's docs page at /api/docs, rendered from the spec on the server: no scripts, no CDN
(template: templates/api/docs.html)."""
from __future__ import annotations

import re
from typing import Any

from flask import (
    current_app,
    render_template,
)
from flask_smorest import Api

from api.rest.errors import PREFIX


def _type_html(schema: Any) -> str:
    """A short, escaped description of a JSON Schema (links to components)."""
    from markupsafe import escape

    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return " | ".join(_type_html(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"{_type_html(schema.get('items', {}))}[]"
    text = str(escape(kind))
    if schema.get("format"):
        text += f" ({escape(schema['format'])})"
    if schema.get("enum"):
        text += ": " + ", ".join(str(escape(v)) for v in schema["enum"] if v is not None)
    if schema.get("nullable"):
        text += " | null"
    return text


def _docs_context(api: Api) -> dict:
    spec = api.spec.to_dict()
    components = spec.get("components", {})
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = []
            for p in item.get("parameters", []) + op.get("parameters", []):
                if "$ref" in p:
                    continue
                params.append({"name": p["name"], "in": p["in"], "required": p.get("required", False),
                               "type": _type_html(p.get("schema", {})), "description": p.get("description", "")})
            request_body = op.get("requestBody", {})
            body = request_body.get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for code, resp in op.get("responses", {}).items():
                if "$ref" in resp:
                    resp = components.get("responses", {}).get(resp["$ref"].rsplit("/", 1)[-1], {})
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                responses.append({"code": code, "description": resp.get("description", ""),
                                  "schema": _type_html(schema) if schema else ""})
            operations.append({"id": f"{method}-{re.sub(r'[^A-Za-z0-9]+', '-', path).strip('-')}",
                               "method": method, "path": path, "summary": op.get("summary", ""),
                               "description": op.get("description", ""), "parameters": params,
                               "body": _type_html(body) if body else "",
                               "body_description": request_body.get("description", ""), "responses": responses})
    schemas = []
    for name, schema in sorted(components.get("schemas", {}).items()):
        required = set(schema.get("required", []))
        rows = [{"name": fname, "type": _type_html(prop), "required": fname in required,
                 "about": " ".join(str(prop.get(k, "")) for k in ("title", "description")).strip()}
                for fname, prop in schema.get("properties", {}).items()]
        schemas.append({"name": name, "description": schema.get("description", ""), "fields": rows})
    return {"info": spec["info"], "openapi": spec["openapi"], "operations": operations, "schemas": schemas,
            "spec_url": f"{PREFIX}/openapi.json"}


def docs_page():
    api = current_app.extensions["taizhang_api"]
    return render_template("api/docs.html", **_docs_context(api))
