"""The JSON API under /api (flask-smorest): log, correct, retract, list, read, summary.

Every route but the spec (``/api/openapi.json``) and its page (``/api/docs``) needs a logged-in user:
``Authorization: Bearer <token>`` (programs), or a browser session, which must send its CSRF token in
an ``X-CSRFToken`` header with every write. Staff and admins write; auditors only read.

Every error has one body: ``{"code": 404, "status": "Not Found", "message": "…", "errors": {field:
[messages]}}`` (``errors`` only where fields are at fault; ``current_version`` on a version conflict).

A record's JSON is exactly what ``service.schemas`` takes (``kind`` selects the kind's schema); the
kinds' schemas are published in the spec as components named by their event (``JobFairHeld``…)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, fields, validate

from api.api_schemas import (
    MAX_PAGE_SIZE,
    MAX_YEAR,
    MIN_YEAR,
    CorrectionSchema,
    DiffArgsSchema,
    DifferenceSchema,
    FigureEventsArgsSchema,
    FigureEventsSchema,
    HistoryItemSchema,
    KindSchema,
    ListArgsSchema,
    LoggedSchema,
    Plain,
    RecordPageSchema,
    RecordSchema,
    RetractionSchema,
    SummaryArgsSchema,
    SummarySchema,
    VersionSchema,
)
from api.extensions import csrf, services
from api.rest.errors import INVALID, PREFIX, error_responses, fail
from api.rest.guard import guard
from api.scope import current_scope, organisation_or_default
from domain.catalogue import KINDS
from domain.errors import (
    ConflictError,
    InvalidChange,
    KeyReused,
    RecordNotFound,
    RecordRetracted,
)
from service.schemas import InvalidInput, catalogue

SCHEMA_NAMES = {k.key: k.event for k in KINDS}  # kind → component name of its schema

blp = Blueprint("api", __name__, url_prefix=PREFIX,
                description="The work ledger: the catalogue of kinds, records (log, correct, retract, list, "
                            "history) and the year-end summary.")

blp.before_request(guard)
csrf.exempt(blp)  # the guard checks the CSRF token of session writes; tokens need none


def _responses(*codes: int):
    """Document error answers (the common Error body) for the given status codes."""
    return error_responses(blp, *codes)


READ = (401,)
WRITE = (400, 401, 403, 404, 409, 422)


# --- the catalogue ---

class KindsArgsSchema(Plain):
    class Meta:
        unknown = EXCLUDE

    organisation = fields.String(metadata={"description": "the kinds of the template this organisation uses"})
    year = fields.Integer(validate=validate.Range(2000, 2100), metadata={"description": "… that year (default: "
                                                                                          "this year)"})


@blp.route("/kinds")
class Kinds(MethodView):
    @blp.arguments(KindsArgsSchema, location="query")
    @blp.response(200, KindSchema(many=True))
    @_responses(401, 422)
    def get(self, args):
        """The catalogue of kinds

        Every kind with its fields, their types, units, choices and labels in Chinese and English: the
        built-in template's, or with `organisation` (and `year`) the kinds of the template it uses.
        """
        if not args.get("organisation"):
            return catalogue()
        year = args.get("year") or datetime.now(timezone.utc).year
        return catalogue(services().ledger.template_for(args["organisation"], year))


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
                   "the same record (logged once; later calls answer 200 with that record); a body `key` that "
                   "differs from it answers 409",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def _record(record_id: UUID) -> dict:
    try:
        return services().ledger.get(record_id, scope=current_scope())
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
        fail(409, "请求体的 key 与 Idempotency-Key 头不一致 / the body's key differs from the Idempotency-Key header",
             {"key": ["与 Idempotency-Key 头不一致 / differs from the Idempotency-Key header"]})
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
            include_retracted=args["include_retracted"], page=args["page"], size=size,
            organisations=current_scope().readable)
        return {"items": rows, "total": total, "page": args["page"], "page_size": size}

    @blp.doc(requestBody=ACTION_BODY, parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, LoggedSchema, description="Logged: a new record")
    @blp.alt_response(200, schema=LoggedSchema, success=True,
                      description="The key was logged before: nothing new, the record as it is")
    @_responses(400, 401, 403, 409, 422)
    def post(self):
        """Log a record

        The body is the kind's JSON (see the kind's schema); 422 names each field at fault. A key logged
        before answers 200 with that record when the body is the same, and 409 with both versions
        (`stored`, `given`) when it differs: nothing is stored.
        """
        payload = _with_idempotency_header(request.get_json(silent=True))
        try:
            logged = services().ledger.log(payload, actor=current_user.name, scope=current_scope())
        except InvalidInput as e:
            fail(422, INVALID, e.messages)
        except KeyReused as e:
            fail(409, str(e), stored=e.stored, given=e.given)
        except ConflictError as e:
            fail(409, f"请重试 / busy, try again: {e}")
        body = {**(logged.record or _record(logged.id)), "created": logged.created}  # no re-read of a new record
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
            return services().ledger.history(record_id, scope=current_scope())
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
            expected_version=body.get("expected_version"), scope=current_scope()))


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
            expected_version=body.get("expected_version"), scope=current_scope()))


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
        datetime.fromisoformat(value).astimezone(timezone.utc)  # 9999-12-31T23:59:59-14:00 overflows here
    except (ValueError, OverflowError):
        fail(422, INVALID, {name: ["应为事件序号或 ISO 时间 / an event position or an ISO moment "
                                   "(2020-12-31T23:59:59+08:00)"]})
    return value


YEAR_PATH = [{"in": "path", "name": "year", "required": True,  # outside these bounds: 404 (documented)
              "schema": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR}}]


@blp.route("/summary/<int:year>", parameters=YEAR_PATH)
class Summary(MethodView):
    @blp.arguments(SummaryArgsSchema, location="query")
    @blp.response(200, SummarySchema)
    @_responses(401, 404, 422)
    def get(self, args, year: int):
        """The year-end summary

        Sections with their narrative and figures; each figure carries the count (`event_count`) and digest
        (`event_digest`) of the events behind it, which `/summary/{year}/figures/{key}/events` lists.
        `as_of` gives the summary as the ledger stood then.
        """
        _check_year(year)
        return services().reports.summary(year, organisation_or_default(args.get("organisation")),
                                          _moment("as_of", args.get("as_of")), args.get("include_children"))


@blp.route("/summary/<int:year>/figures/<key>/events",
           parameters=[*YEAR_PATH, {"in": "path", "name": "key", "required": True, "schema": {"type": "string"}}])
class FigureEvents(MethodView):
    @blp.arguments(FigureEventsArgsSchema, location="query")
    @blp.response(200, FigureEventsSchema)
    @_responses(401, 404, 422)
    def get(self, args, year: int, key: str):
        """The events behind a figure

        One page (`page`, `per_page`) of the events a figure of the summary is made of, in log order;
        `total` is the figure's `event_count`. `after=<next_after of the page before>` walks the pages by
        position instead, without counting the ones before. `organisation`, `as_of` and `include_children` as for the summary.
        """
        _check_year(year)
        got = services().reports.figure_events(year, key, organisation_or_default(args.get("organisation")),
                                               _moment("as_of", args.get("as_of")), args.get("include_children"),
                                               page=args["page"], per_page=args["per_page"], after=args["after"])
        if got is None:
            fail(404, f"总结中没有指标 {key} / the summary has no figure {key}")
        return got


@blp.route("/summary/<int:year>/diff", parameters=YEAR_PATH)
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
                                             organisation=organisation_or_default(args.get("organisation")))

