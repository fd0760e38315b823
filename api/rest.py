"""The JSON API under /api (flask-smorest): log, correct, retract, list, read, summary.

Every route but the spec (``/api/openapi.json``) and its page (``/api/docs``) needs a logged-in user:
``Authorization: Bearer <token>`` (programs), or a browser session, which must send its CSRF token in
an ``X-CSRFToken`` header with every write. Staff and admins write; auditors only read.

Every error has one body: ``{"code": 404, "status": "Not Found", "message": "…", "errors": {field:
[messages]}}`` (``errors`` only where fields are at fault; ``current_version`` on a version conflict).

A record's JSON is exactly what ``service.schemas`` takes (``kind`` selects the kind's schema); the
kinds' schemas are published in the spec as components named by their event (``JobFairHeld``…).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import current_app, g, render_template_string, request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Api, Blueprint, abort
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError as CSRFValidationError

from api.api_schemas import (
    MAX_PAGE_SIZE, MAX_YEAR, MIN_YEAR, ErrorSchema, CorrectionSchema, DiffArgsSchema, DifferenceSchema,
    HistoryItemSchema, KindSchema, ListArgsSchema, LoggedSchema, RecordPageSchema, RecordSchema,
    RetractionSchema, SummaryArgsSchema, SummarySchema, VersionSchema,
)
from api.app import csrf, services
from api.auth import LoginUser, error_page
from domain.catalogue import APPROX_MARKERS, KINDS
from domain.errors import ConflictError, InvalidChange, RecordNotFound, RecordRetracted
from service.schemas import InvalidInput, Measure, catalogue, schema_class

PREFIX = "/api"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WEBARGS_LOCATIONS = frozenset({"json", "query", "querystring", "path", "view_args", "headers", "form",
                               "files", "cookies", "json_or_form"})
OPENAPI_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object"})
SCHEMA_NAMES = {k.key: k.event for k in KINDS}  # kind → component name of its schema
BEARER = "bearerAuth"
SESSION = "sessionCookie"
INVALID = "请求无效 / the request is not valid"

blp = Blueprint("api", __name__, url_prefix=PREFIX,
                description="The work ledger: the catalogue of kinds, records (log, correct, retract, list, "
                            "history) and the year-end summary.")


# --- errors ---

def fail(code: int, message: str, errors: dict | None = None, **extra: Any):
    """Stop with an error in the API's one shape."""
    kwargs: dict[str, Any] = {"message": message, **extra}
    if errors is not None:
        kwargs["errors"] = errors
    abort(code, **kwargs)


def _plain_keys(messages: Any) -> Any:
    """Messages with text keys only (marshmallow keys list items by int: JSON sorting cannot mix them)."""
    if isinstance(messages, dict):
        return {str(k): _plain_keys(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [_plain_keys(v) for v in messages]
    return messages


def _by_field(errors: Any) -> Any:
    """webargs nests messages under the request location ("json", "query"): name the fields directly."""
    if isinstance(errors, dict) and errors and set(errors) <= WEBARGS_LOCATIONS:
        merged: dict = {}
        for location, messages in errors.items():
            if isinstance(messages, dict):
                merged.update(messages)
            else:
                merged[location] = messages
        return merged
    return errors


def _is_api_path() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


class TaizhangApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        """Every HTTP error of the app: the API's JSON shape under /api, the site's page elsewhere.

        Werkzeug's own headers are kept (``Allow`` on a 405); webargs may pass ``headers=None``.
        """
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        data = getattr(error, "data", None) or {}
        headers.update(data.get("headers") or {})
        if not _is_api_path():
            body, status = error_page(error.code, error.description)
            return body, status, headers
        payload: dict[str, Any] = {"code": error.code, "status": error.name}
        payload["message"] = data.get("message") or (INVALID if error.code == 422 else error.description)
        errors = data.get("errors", data.get("messages"))
        if errors:
            payload["errors"] = _plain_keys(_by_field(errors))
        for key in ("current_version",):
            if key in data:
                payload[key] = data[key]
        if error.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="taizhang"')
        return payload, error.code, headers


# --- who may do what ---

def _bearer_user():
    """The user of the request's bearer token; None when it has no Authorization header; else 401."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        fail(401, "请使用 Authorization: Bearer <令牌> / use Authorization: Bearer <token>")
    user = services().accounts.for_token(token.strip())
    if user is None:
        fail(401, "令牌无效 / the token is not valid")
    return LoginUser(user)


def _check_csrf() -> None:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    names = config.get("WTF_CSRF_HEADERS") or ["X-CSRFToken", "X-CSRF-Token"]
    token = next((request.headers[n] for n in names if request.headers.get(n)), None)
    try:
        validate_csrf(token)
    except CSRFValidationError as e:
        fail(400, f"缺少或无效的 CSRF 令牌（X-CSRFToken 头）/ missing or invalid CSRF token "
                  f"(X-CSRFToken header): {e}")


@blp.before_request
def _guard():
    """Logged in (token or session); a session's writes carry its CSRF token; only staff and admins write."""
    if request.method == "OPTIONS":
        return None
    token_user = _bearer_user()
    if token_user is not None:
        g._login_user = token_user  # the token speaks for this request, whatever the session holds
    elif not current_user.is_authenticated:
        fail(401, "请先登录或提供 API 令牌 / log in or send an API token")
    if request.method not in SAFE_METHODS:
        if token_user is None:
            _check_csrf()
        if not current_user.can_write:
            fail(403, "只有工作人员和管理员可以修改台账 / only staff and admins may change the ledger")
    return None


csrf.exempt(blp)  # the guard above checks the CSRF token of session writes; tokens need none


def _responses(*codes: int):
    """Document error answers (the common Error body) for the given status codes."""
    names = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
             422: "UNPROCESSABLE_ENTITY"}

    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, response=names[code])(view)
        return view

    return decorator


READ = (401,)
WRITE = (400, 401, 403, 404, 409, 422)


# --- the catalogue ---

@blp.route("/kinds")
class Kinds(MethodView):
    @blp.response(200, KindSchema(many=True))
    @_responses(*READ)
    def get(self):
        """The catalogue of kinds

        Every kind with its fields, their types, units, choices and labels in Chinese and English.
        """
        return catalogue()


# --- records ---

def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


ACTION_BODY = {
    "required": True,
    "description": "One record, as the kind's schema takes it (`kind` selects the schema). "
                   "Measures take 1000, \"1000余\", \"近300000\" or {\"value\": 1000, \"approx\": \"余\"}.",
    "content": {"application/json": {"schema": {
        "oneOf": [{"$ref": _ref(name)} for name in SCHEMA_NAMES.values()],
        "discriminator": {"propertyName": "kind",
                          "mapping": {key: _ref(name) for key, name in SCHEMA_NAMES.items()}},
    }}},
}
IDEMPOTENCY_HEADER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "the record's idempotency key when the body has no `key`: the same key always means "
                   "the same record (logged once; later calls answer 200 with that record)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def _record(record_id: UUID) -> dict:
    try:
        return services().ledger.get(record_id)
    except RecordNotFound:
        fail(404, f"没有这条记录 / no record {record_id}")


def _with_idempotency_header(payload: Any) -> Any:
    header = request.headers.get("Idempotency-Key")
    if header is None or not isinstance(payload, dict):
        return payload
    header = header.strip()
    if not header or len(header) > 200:
        fail(422, INVALID, {"Idempotency-Key": ["长度应在 1 到 200 字之间 / length must be 1 to 200"]})
    if payload.get("key") is None:
        return {**payload, "key": header}
    if payload["key"] != header:
        fail(422, INVALID, {"key": ["与 Idempotency-Key 头不一致 / differs from the Idempotency-Key header"]})
    return payload


@blp.route("/actions")
class Actions(MethodView):
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, RecordPageSchema)
    @_responses(*READ)
    def get(self, args):
        """List records

        Newest happening first; retracted records only with include_retracted. Filters combine.
        """
        size = args.get("page_size") or min(int(current_app.config.get("PAGE_SIZE") or 50), MAX_PAGE_SIZE)
        rows, total = services().reports.list_records(
            year=args.get("year"), theme=args.get("theme"), kind=args.get("kind"), actor=args.get("actor"),
            text=args.get("q"), organisation=args.get("organisation"),
            include_retracted=args["include_retracted"], page=args["page"], size=size)
        return {"items": rows, "total": total, "page": args["page"], "page_size": size}

    @blp.doc(requestBody=ACTION_BODY, parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, LoggedSchema, description="Logged: a new record")
    @blp.alt_response(200, schema=LoggedSchema, success=True,
                      description="The key was logged before: nothing new, the record as it is")
    @_responses(400, 401, 403, 409, 422)
    def post(self):
        """Log a record

        The body is the kind's JSON (see the kind's schema); 422 names each field at fault.
        """
        payload = _with_idempotency_header(request.get_json(silent=True))
        try:
            logged = services().ledger.log(payload, actor=current_user.name)
        except InvalidInput as e:
            fail(422, INVALID, e.messages)
        except ConflictError as e:
            fail(409, f"请重试 / busy, try again: {e}")
        body = {**_record(logged.id), "created": logged.created}
        location = url_for("api.Action", record_id=logged.id)
        return body, (201 if logged.created else 200), {"Location": location}


@blp.route("/actions/<uuid:record_id>")
class Action(MethodView):
    @blp.response(200, RecordSchema)
    @_responses(401, 404)
    def get(self, record_id: UUID):
        """Read a record

        Its current values (as the kind's schema takes them), version and whether it was retracted.
        """
        return _record(record_id)


@blp.route("/actions/<uuid:record_id>/history")
class History(MethodView):
    @blp.response(200, HistoryItemSchema(many=True))
    @_responses(401, 404)
    def get(self, record_id: UUID):
        """A record's history

        Each event: version, who, when it was recorded, and what it logged, changed (from → to) or why it
        was retracted.
        """
        try:
            return services().ledger.history(record_id)
        except RecordNotFound:
            fail(404, f"没有这条记录 / no record {record_id}")


def _write(record_id: UUID, do):
    """Run a correction or retraction, turning the ledger's refusals into answers."""
    try:
        version = do()
    except RecordNotFound:
        fail(404, f"没有这条记录 / no record {record_id}")
    except ConflictError as e:
        fail(409, f"记录已被他人修改，现为第 {e.actual_version} 版；未写入 / someone else changed this record "
                  f"meanwhile: it is at version {e.actual_version}, not {e.expected_version}; nothing was written",
             current_version=e.actual_version)
    except RecordRetracted as e:
        fail(409, f"记录已撤销 / {e}")
    except InvalidInput as e:
        messages = e.messages
        fail(422, INVALID, messages if set(messages) == {"changes"} else {"changes": messages})
    except InvalidChange as e:
        fail(422, str(e), {"changes": [str(e)]})
    return {"id": record_id, "version": version}


@blp.route("/actions/<uuid:record_id>/corrections")
class Corrections(MethodView):
    @blp.arguments(CorrectionSchema)
    @blp.response(200, VersionSchema)
    @_responses(*WRITE)
    def post(self, body, record_id: UUID):
        """Correct a record

        `changes` holds the changed fields as the kind's schema takes them (null clears an optional field);
        `reason` is required. With `expected_version`, a record that moved on answers 409 and nothing is
        written.
        """
        return _write(record_id, lambda: services().ledger.correct(
            record_id, body["changes"], body["reason"].strip(), actor=current_user.name,
            expected_version=body.get("expected_version")))


@blp.route("/actions/<uuid:record_id>/retraction")
class Retraction(MethodView):
    @blp.arguments(RetractionSchema)
    @blp.response(200, VersionSchema)
    @_responses(*WRITE)
    def post(self, body, record_id: UUID):
        """Retract a record

        It stays in the ledger and its history, but no longer counts; it cannot be corrected afterwards.
        """
        return _write(record_id, lambda: services().ledger.retract(
            record_id, body["reason"].strip(), actor=current_user.name,
            expected_version=body.get("expected_version")))


# --- the summary ---

def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        fail(404, f"年份应在 {MIN_YEAR} 与 {MAX_YEAR} 之间 / the year must be {MIN_YEAR} to {MAX_YEAR}")


def _moment(name: str, value: str | None) -> str | None:
    """An as-of: an event position or an ISO moment (else 422)."""
    if value is None or value == "":
        return None
    value = value.strip()
    if value.isdigit():
        return value
    try:
        datetime.fromisoformat(value)
    except ValueError:
        fail(422, INVALID, {name: ["应为事件序号或 ISO 时间 / an event position or an ISO moment "
                                   "(2020-12-31T23:59:59+08:00)"]})
    return value


@blp.route("/summary/<int:year>")
class Summary(MethodView):
    @blp.arguments(SummaryArgsSchema, location="query")
    @blp.response(200, SummarySchema)
    @_responses(401, 404, 422)
    def get(self, args, year: int):
        """The year-end summary

        Sections with their narrative and figures; each figure's event_ids are the positions of the events
        behind it. `as_of` gives the summary as the ledger stood then.
        """
        _check_year(year)
        return services().reports.summary(year, args.get("organisation") or None,
                                          _moment("as_of", args.get("as_of")))


@blp.route("/summary/<int:year>/diff")
class SummaryDiff(MethodView):
    @blp.arguments(DiffArgsSchema, location="query")
    @blp.response(200, DifferenceSchema)
    @_responses(401, 404, 422)
    def get(self, args, year: int):
        """What changed in a summary

        Figure by figure, between the summary as of `before` and as of `after` (default: now).
        """
        _check_year(year)
        before = _moment("before", args["before"])
        if before is None:
            fail(422, INVALID, {"before": ["必填 / required"]})
        return services().reports.difference(year, before, _moment("after", args.get("after")),
                                             organisation=args.get("organisation") or None)


# --- the spec ---

MEASURE_TEXT = r"^\s*(近)?\s*[0-9]+(\.[0-9]+)?\s*(余|多)?\s*$"


def _catalogue_properties(converter, field, ret=None, **kwargs) -> dict:
    """Fix up the kinds' fields in the spec.

    The catalogue keeps its own field type in ``metadata["type"]`` (count, money, text …), which apispec
    would copy as the JSON Schema type: put the real type back and keep the catalogue's as
    ``x-field-type``. Labels become the title; a measure is documented with the forms it takes.
    """
    ret = ret if ret is not None else {}
    meta = field.metadata
    kind_type = meta.get("type")
    if isinstance(kind_type, str) and kind_type not in OPENAPI_TYPES:
        base = converter.field2type_and_format(field)
        ret.pop("type", None)
        if "type" in base:
            ret["type"] = base["type"]
        ret["x-field-type"] = kind_type
    if meta.get("zh") and meta.get("en") and "title" not in ret:
        ret["title"] = f"{meta['zh']} / {meta['en']}"
    helps = [h for h in (meta.get("help_zh"), meta.get("help_en")) if h]
    if helps and "description" not in ret:
        ret["description"] = " / ".join(helps)
    if meta.get("unit"):
        ret["x-unit"] = meta["unit"]
    if isinstance(field, Measure):
        ret.pop("type", None)
        ret.pop("format", None)
        number: dict[str, Any] = {"type": "number" if field.money else "integer",
                                  "minimum": float(field.minimum) if field.money else int(field.minimum),
                                  "maximum": float(field.maximum) if field.money else int(field.maximum)}
        forms = [number, {"type": "string", "pattern": MEASURE_TEXT}]
        if field.allow_approx:
            forms.append({"type": "object", "additionalProperties": False, "required": ["value"],
                          "properties": {"value": {"anyOf": [{"type": "number"},
                                                             {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}]},
                                         "approx": {"type": "string", "enum": list(APPROX_MARKERS),
                                                    "nullable": True}}})
        ret["oneOf"] = forms
        if ret.get("nullable"):
            number["nullable"] = True
            ret.pop("nullable")
    return {}


def _register_kind_schemas(api: Api) -> None:
    for key, name in SCHEMA_NAMES.items():
        api.spec.components.schema(name, schema=schema_class(key))
        props = api.spec.components.schemas[name].get("properties", {})
        if "kind" in props:
            props["kind"]["enum"] = [key]


def _spec_options() -> dict:
    return {
        "info": {"description": (
            "The 台账 work ledger's JSON API. Send `Authorization: Bearer <token>` (an admin issues "
            "tokens), or use a browser session and send its CSRF token in `X-CSRFToken` with every write. "
            "Staff and admins write; auditors read. Every error answers "
            "{code, status, message, errors?}.")},
        "security": [{BEARER: []}, {SESSION: []}],
    }


# --- the docs page (rendered here: no scripts, no CDN) ---

DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ info.title }} · API</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:0 auto;max-width:60rem;
padding:1rem;line-height:1.45;color:#222;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,monospace;font-size:.92em}
.op{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{display:inline-block;min-width:4.5em;font-weight:bold}.m-get{color:#066b33}.m-post{color:#04479a}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #ddd;padding:.15rem .5rem;text-align:left;
vertical-align:top}.muted{color:#666}
</style></head><body><main>
<h1>{{ info.title }} <small class="muted">v{{ info.version }} · OpenAPI {{ openapi }}</small></h1>
<p>{{ info.description }}</p>
<p>The machine-readable spec: <a href="{{ spec_url }}"><code>{{ spec_url }}</code></a>.</p>
<h2>Operations</h2>
<ul>{% for op in operations %}<li><a href="#{{ op.id }}"><span class="m m-{{ op.method }}">{{ op.method|upper }}</span>
<code>{{ op.path }}</code></a> — {{ op.summary }}</li>{% endfor %}</ul>
{% for op in operations %}
<section class="op" id="{{ op.id }}">
<h3><span class="m m-{{ op.method }}">{{ op.method|upper }}</span> <code>{{ op.path }}</code></h3>
<p><strong>{{ op.summary }}</strong>{% if op.description %}<br>{{ op.description }}{% endif %}</p>
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p.in }}</td><td>{{ p.type }}</td>
<td>{{ 'yes' if p.required else '' }}</td><td>{{ p.description }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.body %}<p>Body: {{ op.body|safe }}{% if op.body_description %}<br><span class="muted">{{ op.body_description }}</span>{% endif %}</p>{% endif %}
<table><tr><th>status</th><th>answer</th><th>body</th></tr>
{% for r in op.responses %}<tr><td>{{ r.code }}</td><td>{{ r.description }}</td><td>{{ r.schema|safe }}</td></tr>{% endfor %}
</table></section>
{% endfor %}
<h2>Schemas</h2>
{% for s in schemas %}<section id="schema-{{ s.name }}"><h3>{{ s.name }}</h3>
{% if s.description %}<p>{{ s.description }}</p>{% endif %}
<table><tr><th>field</th><th>type</th><th>required</th><th>about</th></tr>
{% for f in s.fields %}<tr><td><code>{{ f.name }}</code></td><td>{{ f.type|safe }}</td><td>{{ 'yes' if f.required else '' }}</td>
<td>{{ f.about }}</td></tr>{% endfor %}</table></section>{% endfor %}
</main></body></html>
"""


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
    return render_template_string(DOCS_PAGE, **_docs_context(api))


def init_api(app):
    api = TaizhangApi(app, spec_kwargs=_spec_options())
    api.spec.components.security_scheme(BEARER, {
        "type": "http", "scheme": "bearer",
        "description": "an API token (Authorization: Bearer tz_…), issued per user"})
    api.spec.components.security_scheme(SESSION, {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME", "session"),
        "description": "a browser session (log in at /login); writes must send the page's CSRF token "
                       "in the X-CSRFToken header"})
    api.ma_plugin.converter.add_attribute_function(_catalogue_properties)
    _register_kind_schemas(api)
    api.register_blueprint(blp)
    app.add_url_rule(f"{PREFIX}/docs", "api_docs", docs_page, methods=["GET"])
    app.extensions["taizhang_api"] = api
    return api
