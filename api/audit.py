"""The auditor's view: the whole ledger as a timeline, any record's story, the hash chain verified.

Pages under ``/audit`` (blueprint ``audit``) and the same answers as JSON under ``/api/audit``
(flask-smorest blueprint ``audit_api``): auditors and admins read; only admins close a year. Closing
seals the year at the current chain head with an HMAC under ``TAIZHANG_SEAL_KEY`` (kept outside the
database); it is refused while the ledger does not verify.

Nothing here asks the auditor to trust the server more than the CLI does: the checkpoint offered for
download is what ``taizhang verify --checkpoint`` checks offline against the raw store.
"""
from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from uuid import UUID

from flask import (Blueprint, Flask, Response, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort
from flask_wtf.csrf import validate_csrf
from marshmallow import EXCLUDE, Schema, fields, validate
from wtforms.validators import ValidationError as CSRFValidationError

from api.api_schemas import DiffArgsSchema, DifferenceSchema, SummaryArgsSchema
from api.app import csrf, services
from api.auth import LoginUser, admin, auditor, error_page
from domain.errors import RecordNotFound
from domain.years import YearAlreadyClosed
from projections.chain import CHECKPOINT_FORMAT, load_checkpoint
from projections.timeline import ACTIONS as TIMELINE_ACTIONS
from projections.timeline import action_page, chain_hashes, raw_counts
from service.ledger import SealKeyMissing, seal_key

bp = Blueprint("audit", __name__, url_prefix="/audit")
api_bp = ApiBlueprint("audit_api", __name__, url_prefix="/api/audit",
                      description="For auditors: the ledger's timeline, a record's story, the hash chain verified, "
                                  "checkpoints, the year's summary with its seal and post-close adjustments; "
                                  "closing a year (admins).")

MAX_PAGE_SIZE = 500
MIN_YEAR, MAX_YEAR = 1949, 2100
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf.exempt(api_bp)  # the guard below checks the CSRF token of a session's writes; tokens need none
    app.extensions["taizhang_api"].register_blueprint(api_bp)


# =================================================================================================
# What both the pages and the API answer
# =================================================================================================

class BadInput(ValueError):
    """A query or form value that cannot be used: (field name, message)."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _moment_bound(name: str, text: str | None, upper: bool) -> tuple[str, str] | None:
    """A from/to bound as (SQL operator, UTC ISO text) against ``recorded_at``.

    A date is a whole local day (``to`` takes it in); a moment without a zone is local time.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if upper else day, time())
            operator = "<" if upper else ">="
        else:
            moment = datetime.fromisoformat(text)
            operator = "<=" if upper else ">="
    except ValueError:
        raise BadInput(name, _("“%(value)s” is neither a date (2020-12-31) nor a moment (2020-12-31T18:00).",
                               value=text)) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return operator, moment.astimezone(timezone.utc).isoformat()


def _as_of(name: str, value: str | None) -> str | None:
    """An as-of: a log position or an ISO moment, checked (else BadInput)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return value
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(name, _("“%(value)s” is neither an ISO moment (such as 2021-01-05T12:00) nor a log "
                               "position (a whole number).", value=value)) from None
    return value


def timeline_rows(*, since: str | None = None, until: str | None = None, actor: str | None = None,
             kind: str | None = None, event: str | None = None, record_id: str | None = None,
             page: int = 1, size: int = 50, ascending: bool = False) -> tuple[list[dict], int]:
    """Events of the read model's ``events`` table, filtered, paged: (rows, total matching)."""
    reports = services().reports
    reports.catch_up()
    where, params = timeline_where(since=since, until=until, actor=actor, kind=kind, event=event,
                                   record_id=record_id)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    db = reports.store.db
    total = db.execute(f"SELECT COUNT(*) FROM events e {clause}", params).fetchone()[0]
    page = max(int(page), 1)
    rows = list(db.query(
        f"SELECT e.*, r.title AS title, r.id IS NOT NULL AS is_record FROM events e "
        f"LEFT JOIN records r ON r.id = e.record_id {clause} "
        f"ORDER BY e.position {'ASC' if ascending else 'DESC'} LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size]))
    for row in rows:
        row["changes"] = json.loads(row["changes"]) if row["changes"] else None
        row["is_record"] = bool(row["is_record"])
    return rows, total


def timeline_where(*, since: str | None = None, until: str | None = None, actor: str | None = None,
                   kind: str | None = None, event: str | None = None,
                   record_id: str | None = None) -> tuple[list[str], list]:
    """The timeline's filters as SQL conditions on ``events e`` and their parameters."""
    where, params = [], []
    for name, text, upper in (("from", since, False), ("to", until, True)):
        bound = _moment_bound(name, text, upper)
        if bound:
            where.append(f"e.recorded_at {bound[0]} ?")
            params.append(bound[1])
    for column, value in (("actor", actor), ("kind", kind), ("event", event), ("record_id", record_id)):
        if value not in (None, ""):
            where.append(f"e.{column} = ?")
            params.append(str(value))
    return where, params


def timeline_choices() -> dict[str, list[str]]:
    """The actors, kinds and event names the timeline can be filtered by."""
    db = services().reports.store.db
    return {column: [r[0] for r in db.execute(
        f"SELECT DISTINCT {column} FROM events WHERE {column} IS NOT NULL ORDER BY {column}").fetchall()]
        for column in ("actor", "kind", "event")}


def record_story(record_id: UUID) -> dict:
    """A record's story: each event with its position, what changed from what to what, who, when.

    Raises RecordNotFound. Every item carries ``occurred_on``: the record's date as of that event.
    """
    ledger, reports = services().ledger, services().reports
    items = ledger.history(record_id)
    reports.catch_up()
    # The record's own events in log order, one per history item (versions are the record's own).
    positions = [r["position"] for r in reports.store.db.query(
        "SELECT position FROM events WHERE record_id = ? AND event != 'Made' ORDER BY position", [str(record_id)])]
    happened = None
    for index, item in enumerate(items):
        item["position"] = positions[index] if index < len(positions) else None
        item.setdefault("values", None)  # (a dict's "values" would otherwise be read as dict.values)
        if item.get("occurred_on"):
            happened = item["occurred_on"]
        change = (item.get("changes") or {}).get("occurred_on")
        if change and change.get("to"):
            happened = change["to"]
        item["occurred_on"] = happened
    return {"record_id": str(record_id), "record": reports.record(str(record_id)), "events": items}


def run_verify(checkpoint: dict | None = None):
    """Reports.verify as ``taizhang verify`` runs it: store integrity, seals (with the key when set)."""
    s = services()
    key = os.environ.get("TAIZHANG_SEAL_KEY")
    return s.reports.verify(checkpoint=checkpoint, seal_key=key.encode() if key else None,
                            integrity=s.ledger.integrity_check, contiguous_positions=s.ledger.is_sqlite)


def checkpoint_from(position: str | None, head: str | None) -> dict | None:
    """A checkpoint typed in as its two values (position, head), or None when both are blank."""
    position, head = (position or "").strip(), (head or "").strip().lower()
    if not position and not head:
        return None
    if not position.isdigit():
        raise BadInput("position", _("The checkpoint's position is a whole number."))
    if not HEX64.match(head):
        raise BadInput("head", _("The checkpoint's head is 64 hexadecimal characters."))
    return {"format": CHECKPOINT_FORMAT, "position": int(position), "head": head}


def adjusted_figures(summary: dict) -> list[dict]:
    """The figures of a closed year that changed after the close: sealed and adjusted values."""
    out = []
    for section in summary.get("sections") or []:
        for figures in [section.get("figures") or []] + [sub.get("figures") or []
                                                         for sub in section.get("subsections") or []]:
            for f in figures:
                if f.get("adjusted"):
                    out.append({"key": f["key"], "label": f.get("label"), "value": f.get("value"),
                                "text": f.get("text"), "sealed": f.get("sealed")})
    return out


def audit_summary(year: int, organisation: str | None, as_of: str | None) -> dict:
    body = services().reports.summary(year, organisation or None, as_of)
    body["adjusted_figures"] = adjusted_figures(body)
    return body


class CloseRefused(Exception):
    """Closing a year was refused: an HTTP status and why."""

    def __init__(self, status: int, message: str, problems: list | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


def close_year(year: int, organisation: str | None, actor: str) -> dict:
    """Seal ``year`` at the current chain head; answers the seal as the read model has it."""
    s = services()
    reports = s.reports
    reports.catch_up()
    organisation = organisation or reports.default_organisation()
    if not organisation:
        raise CloseRefused(422, _("The ledger is empty: there is no year to close."))
    if reports.seal(organisation, year):
        raise CloseRefused(409, _("%(organisation)s %(year)s was closed already.", organisation=organisation,
                                  year=year))
    if not reports.list_records(year=year, organisation=organisation, include_retracted=True, size=1)[1]:
        raise CloseRefused(422, _("%(organisation)s has no records in %(year)s: nothing to close.",
                                  organisation=organisation, year=year))
    try:
        key = seal_key()
    except SealKeyMissing:
        raise CloseRefused(503, _("The seal key is not set on the server (TAIZHANG_SEAL_KEY): a year cannot "
                                  "be closed without it. Nothing was written.")) from None
    result = run_verify()
    if not result.ok:
        raise CloseRefused(409, _("The ledger does not verify: it cannot be sealed until this is cleared up. "
                                  "Nothing was written."), [str(p) for p in result.problems])
    position, head = reports.chain_head()
    try:
        s.ledger.close_year(organisation, year, position, head, actor=actor, key=key)
    except YearAlreadyClosed:
        raise CloseRefused(409, _("%(organisation)s %(year)s was closed already.", organisation=organisation,
                                  year=year)) from None
    reports.catch_up()
    return reports.seal(organisation, year)


# =================================================================================================
# Pages
# =================================================================================================

@lru_cache(maxsize=1)
def _catalogue_labels() -> dict[str, dict]:
    """kind key → {zh, en, fields: name → {zh, en}}, from the catalogue."""
    from service.schemas import catalogue

    return {k["kind"]: {"zh": k["zh"], "en": k["en"],
                        "fields": {f["name"]: {"zh": f.get("zh", f["name"]), "en": f.get("en", f["name"])}
                                   for f in k.get("fields", [])}}
            for k in catalogue()}


def _zh() -> bool:
    return get_locale().language == "zh"


def kind_label(kind: str | None) -> str:
    entry = _catalogue_labels().get(kind or "")
    if not entry:
        return kind or ""
    return entry["zh"] if _zh() else entry["en"]


def field_label(kind: str | None, name: str) -> str:
    common = {"occurred_on": _("Date"), "ends_on": _("End date"), "title": _("Title"), "notes": _("Notes"),
              "theme": _("Theme"), "firms": _("Firms"), "organisation": _("Organisation")}
    entry = (_catalogue_labels().get(kind or "") or {}).get("fields", {}).get(name)
    if entry:
        return entry["zh"] if _zh() else entry["en"]
    return common.get(name, name)


def what_label(event: str | None) -> str:
    """What an event did, in words (the event's class name is shown as well)."""
    labels = {"Corrected": _("corrected"), "FactCorrected": _("corrected"), "Retracted": _("retracted"),
              "FactRetracted": _("retracted"), "Opened": _("year opened"), "Closed": _("year closed (sealed)"),
              "Registered": _("subject registered"), "Made": _("entry made")}
    return labels.get(event or "", _("logged"))


def show_value(value: Any) -> str:
    """A stored value for people: measures with their 余/多/近, firms by name, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "approx"}:
        marker = value.get("approx") or ""
        number = str(value["value"])
        return f"{marker}{number}" if marker == "近" else f"{number}{marker}"
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return "、".join(" ".join(x for x in (v.get("name"), v.get("uscc") and f"({v['uscc']})") if x)
                        for v in value) or "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def show_moment(iso: str | None) -> str:
    """An ISO moment in the server's local time, to the second."""
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


@bp.context_processor
def _helpers():
    return {"kind_label": kind_label, "field_label": field_label, "what_label": what_label,
            "show_value": show_value, "show_moment": show_moment}


def _page_size() -> int:
    text = request.args.get("size") or ""
    default = int(current_app.config.get("PAGE_SIZE") or 50)
    return max(1, min(int(text), MAX_PAGE_SIZE)) if text.isdigit() else default


def _page() -> int:
    text = request.args.get("page") or ""
    return max(1, min(int(text), 10**6)) if text.isdigit() else 1


def problem_page(status: int, message: str, problems: list | None = None, back: str | None = None):
    return render_template("audit/problem.html", status=status, message=message, problems=problems or [],
                           back=back or url_for("audit.verify_page")), status


@bp.errorhandler(BadInput)
def _bad_input(e: BadInput):
    return error_page(400, f"{e.name}: {e.message}")


@bp.get("/", strict_slashes=False)
@auditor
def timeline():
    """The whole ledger as a timeline (endpoint ``audit.timeline``)."""
    return timeline_view()


def timeline_view():
    args = request.args
    size, page = _page_size(), _page()
    if args.get("view") != "events":  # one row per user action; ?view=events: every stored event
        return timeline_actions_view(args, size, page)
    rows, total = timeline_rows(since=args.get("from"), until=args.get("to"), actor=args.get("actor"),
                                kind=args.get("kind"), event=args.get("event"), record_id=args.get("record"),
                                page=page, size=size, ascending=args.get("order") == "asc")
    pages = max(1, -(-total // size))
    query = {k: v for k, v in args.items() if v and k != "page"}
    db = services().reports.store.db
    hashes = chain_hashes(db, [r["position"] for r in rows])
    actions, events = raw_counts(db, *timeline_where(
        since=args.get("from"), until=args.get("to"), actor=args.get("actor"), kind=args.get("kind"),
        event=args.get("event"), record_id=args.get("record")))
    return render_template("audit/timeline.html", rows=rows, total=total, page=page, pages=pages, size=size,
                           args=args, query=query, choices=timeline_choices(), hashes=hashes,
                           actions=actions, events=events)


def timeline_actions_view(args, size: int, page: int):
    """The timeline as an auditor reads it: one row per user action, its stored events inside."""
    services().reports.catch_up()
    where, params = timeline_where(since=args.get("from"), until=args.get("to"), actor=args.get("actor"),
                                   kind=args.get("kind"), record_id=args.get("record"))
    action = args.get("action") if args.get("action") in TIMELINE_ACTIONS else None
    found = action_page(services().reports.store.db, where, params, action=action, page=page, size=size,
                        ascending=args.get("order") == "asc")
    pages = max(1, -(-found.actions // size))
    query = {k: v for k, v in args.items() if v and k not in ("page", "view")}
    return render_template("audit/actions.html", rows=found.rows, actions=found.actions, events=found.events,
                           page=page, pages=pages, size=size, args=args, query=query, choices=timeline_choices())


@bp.get("/records/<uuid:record_id>")
@auditor
def story(record_id: UUID):
    """A record's story (endpoint ``audit.story``)."""
    try:
        told = record_story(record_id)
    except RecordNotFound:
        return error_page(404, _("There is no record %(id)s.", id=record_id))
    record = told["record"] or {}
    return render_template("audit/story.html", story=told, record=record, kind=record.get("kind"))


@bp.route("/verify", methods=["GET", "POST"])
@auditor
def verify_page():
    checkpoint = None
    if request.method == "POST":
        upload = request.files.get("checkpoint")
        text = upload.read().decode("utf-8", "replace") if upload and upload.filename else \
            request.form.get("checkpoint_text", "")
        try:
            checkpoint = load_checkpoint(text)
        except (ValueError, AttributeError):
            return error_page(400, _("That is not a taizhang checkpoint file."))
    else:
        checkpoint = checkpoint_from(request.args.get("position"), request.args.get("head"))
    result = run_verify(checkpoint)
    reports = services().reports
    sealed = {(s["organisation"], s["year"]) for s in reports.seals()}
    organisation = reports.default_organisation()
    open_years = [y for y in reports.years() if (organisation, y) not in sealed]
    return render_template("audit/verify.html", result=result, checkpoint=checkpoint, seals=reports.seals(),
                           open_years=open_years, organisation=organisation,
                           key_set=bool(os.environ.get("TAIZHANG_SEAL_KEY")))


@bp.get("/checkpoint.json")
@auditor
def checkpoint_download():
    data = services().reports.checkpoint()
    response = Response(json.dumps(data, ensure_ascii=False, indent=2) + "\n", content_type="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="taizhang-checkpoint-{data["position"]}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_year(year: int):
    if not MIN_YEAR <= year <= MAX_YEAR:
        return error_page(404, _("The year must be %(low)s to %(high)s.", low=MIN_YEAR, high=MAX_YEAR))
    return None


@bp.get("/summary/<int:year>")
@auditor
def summary_page(year: int):
    refused = _check_year(year)
    if refused:
        return refused
    as_of = _as_of("as_of", request.args.get("as_of"))
    organisation = request.args.get("organisation") or None
    try:
        summary = audit_summary(year, organisation, as_of)
    except (ValueError, OverflowError) as e:
        raise BadInput("as_of", str(e)) from None
    figures = []
    for section in summary.get("sections") or []:
        for part in [section] + list(section.get("subsections") or []):
            figures += [(part.get("title"), f) for f in part.get("figures") or []]
    reports_pages = "reports.summary_page" in current_app.view_functions
    return render_template("audit/summary.html", summary=summary, year=year, as_of=as_of, figures=figures,
                           organisation=summary.get("organisation"), reports_pages=reports_pages,
                           key_set=bool(os.environ.get("TAIZHANG_SEAL_KEY")))


@bp.get("/summary/<int:year>/diff")
@auditor
def summary_diff_page(year: int):
    refused = _check_year(year)
    if refused:
        return refused
    before = _as_of("before", request.args.get("before"))
    after = _as_of("after", request.args.get("after"))
    if before is None:
        raise BadInput("before", _("give the moment (or log position) to compare from."))
    try:
        result = services().reports.difference(year, before, after, request.args.get("organisation") or None)
    except (ValueError, OverflowError) as e:
        raise BadInput("before/after", str(e)) from None
    return render_template("audit/diff.html", result=result, year=year, before=before, after=after)


@bp.post("/years/<int:year>/close")
@admin
def close_year_form(year: int):
    back = request.form.get("back") or url_for("audit.summary_page", year=year)
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("audit.summary_page", year=year)
    refused = _check_year(year)
    if refused:
        return refused
    if request.form.get("confirm") != "yes":
        return problem_page(422, _("Tick the box to confirm: closing a year cannot be undone."), back=back)
    try:
        seal = close_year(year, request.form.get("organisation") or None, current_user.name)
    except CloseRefused as e:
        return problem_page(e.status, e.message, e.problems, back=back)
    flash(_("%(organisation)s %(year)s is closed: sealed at position %(position)s.",
            organisation=seal["organisation"], year=year, position=seal["position"]))
    return redirect(url_for("audit.summary_page", year=year, organisation=seal["organisation"]), 303)


# =================================================================================================
# The JSON API (flask-smorest): the same answers, documented
# =================================================================================================

class AuditEventSchema(Schema):
    class Meta:
        ordered = True

    position = fields.Integer(required=True, metadata={"description": "the event's position in the log"})
    recorded_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    actor = fields.String(allow_none=True)
    event = fields.String(required=True, metadata={"description": "the event's class (JobFairHeld, Corrected…)"})
    kind = fields.String(allow_none=True, metadata={"description": "the record's kind, where the event is a record's"})
    record_id = fields.String(allow_none=True, metadata={"format": "uuid"})
    is_record = fields.Boolean(metadata={"description": "record_id names a record (its story can be read)"})
    title = fields.String(allow_none=True, metadata={"description": "the record's title now"})
    originator_id = fields.String(metadata={"format": "uuid", "description": "the aggregate that stored the event"})
    version = fields.Integer(metadata={"description": "the aggregate's version this event made"})
    reason = fields.String(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                          metadata={"description": "a correction's changed fields and their new values"})
    occurred_on = fields.String(allow_none=True, metadata={"format": "date",
                                                           "description": "when it happened (logged events)"})


class AuditEventPageSchema(Schema):
    class Meta:
        ordered = True

    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class AuditEventArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    since = fields.String(data_key="from", metadata={
        "description": "recorded on or after: a date (a whole local day) or an ISO moment"})
    until = fields.String(data_key="to", metadata={
        "description": "recorded on or before: a date (the whole local day) or an ISO moment"})
    actor = fields.String()
    kind = fields.String(metadata={"description": "a kind of record (job_fair, donation…)"})
    event = fields.String(metadata={"description": "an event class (Corrected, Retracted, Closed…)"})
    record_id = fields.UUID()
    order = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]),
                          metadata={"description": "by position; newest first by default"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**6), metadata={"minimum": 1,
                                                                                        "maximum": 10**6})
    page_size = fields.Integer(validate=validate.Range(1, MAX_PAGE_SIZE),
                               metadata={"minimum": 1, "maximum": MAX_PAGE_SIZE, "description": "default 50"})


class AuditFromToSchema(Schema):
    from_ = fields.Raw(data_key="from", attribute="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class AuditStoryEventSchema(Schema):
    class Meta:
        ordered = True

    position = fields.Integer(allow_none=True)
    version = fields.Integer(required=True)
    event = fields.String(required=True)
    recorded_at = fields.String(required=True, metadata={"format": "date-time", "description": "when it was recorded"})
    occurred_on = fields.String(allow_none=True, metadata={"format": "date",
                                                           "description": "the record's date as of this event"})
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(AuditFromToSchema),
                          metadata={"description": "field → {from, to}"})
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                         metadata={"description": "the values as first logged (the logging event only)"})


class AuditStorySchema(Schema):
    class Meta:
        ordered = True

    record_id = fields.String(required=True, metadata={"format": "uuid"})
    record = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                         metadata={"description": "the record as it stands (the read model's row)"})
    events = fields.List(fields.Nested(AuditStoryEventSchema), required=True)


class AuditProblemSchema(Schema):
    position = fields.Integer(allow_none=True)
    why = fields.String(required=True)


class AuditVerificationSchema(Schema):
    class Meta:
        ordered = True

    ok = fields.Boolean(required=True)
    position = fields.Integer(required=True, metadata={"description": "the last event's position"})
    head = fields.String(required=True, metadata={"description": "the recomputed chain head"})
    events = fields.Integer(required=True, metadata={"description": "events read"})
    problems = fields.List(fields.Nested(AuditProblemSchema), required=True,
                           metadata={"description": "first bad position first"})
    notes = fields.List(fields.String(), required=True)


class AuditVerifyArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    position = fields.String(metadata={"description": "a checkpoint's position (with head)"})
    head = fields.String(metadata={"description": "a checkpoint's head (with position)"})


class AuditCheckpointSchema(Schema):
    class Meta:
        ordered = True

    format = fields.String(required=True, metadata={"description": CHECKPOINT_FORMAT})
    position = fields.Integer(required=True)
    head = fields.String(required=True)
    taken_at = fields.String(required=True, metadata={"format": "date-time"})


class AuditSealSchema(Schema):
    class Meta:
        ordered = True

    organisation = fields.String(required=True)
    year = fields.Integer(required=True)
    position = fields.Integer(required=True, metadata={"description": "the chain position sealed"})
    head = fields.String(required=True, metadata={"description": "the chain head at that position"})
    hmac = fields.String(required=True, metadata={"description": "HMAC-SHA256 under the seal key"})
    closed_by = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    event_position = fields.Integer(metadata={"description": "the position of the close's own event"})


class AuditSealedValueSchema(Schema):
    value = fields.String(allow_none=True)
    text = fields.String(allow_none=True)


class AuditAdjustedFigureSchema(Schema):
    class Meta:
        ordered = True

    key = fields.String(required=True)
    label = fields.String(allow_none=True)
    value = fields.String(allow_none=True, metadata={"description": "the adjusted value"})
    text = fields.String(allow_none=True)
    sealed = fields.Nested(AuditSealedValueSchema, metadata={"description": "the value at the close"})


class AuditAdjustmentSchema(Schema):
    class Meta:
        ordered = True

    position = fields.Integer(required=True)
    record_id = fields.String(metadata={"format": "uuid"})
    title = fields.String(allow_none=True)
    event = fields.String()
    kind = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    recorded_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class AuditSummarySchema(Schema):
    class Meta:
        ordered = True

    year = fields.Integer(required=True)
    organisation = fields.String(required=True)
    title = fields.String()
    as_of = fields.String(allow_none=True)
    position = fields.Integer(metadata={"description": "the last event the summary includes"})
    seal = fields.Nested(AuditSealSchema, allow_none=True, metadata={"description": "absent while the year is open"})
    adjusted_figures = fields.List(fields.Nested(AuditAdjustedFigureSchema), required=True,
                                   metadata={"description": "figures changed after the close"})
    adjustments = fields.List(fields.Nested(AuditAdjustmentSchema),
                              metadata={"description": "events after the close that touch the year's records"})
    intro = fields.String(allow_none=True)
    sections = fields.List(fields.Dict(), metadata={
        "description": "the summary's sections as /api/summary gives them; an adjusted figure carries "
                       "adjusted: true and sealed: {value, text}"})
    targets = fields.List(fields.Dict())


class AuditCloseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    organisation = fields.String(metadata={"description": "default: the organisation with most records"})


def _errors(*codes: int):
    """Document error answers with the API's one error body (the Api's registered responses)."""
    names = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
             422: "UNPROCESSABLE_ENTITY", 503: "SERVICE_UNAVAILABLE"}

    def decorator(view):
        for code in codes:
            view = api_bp.alt_response(code, response=names[code])(view)
        return view

    return decorator


def _fail(code: int, message: str, errors: dict | None = None):
    kwargs: dict[str, Any] = {"message": message}
    if errors is not None:
        kwargs["errors"] = errors
    api_abort(code, **kwargs)


@api_bp.before_request
def _api_guard():
    """Auditors and admins, by bearer token or session; writes: admins, and a session's CSRF token."""
    if request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _sep, token = header.strip().partition(" ")
        user = services().accounts.for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            _fail(401, "令牌无效 / the token is not valid")
        g._login_user = LoginUser(user)  # the token speaks for this request, whatever the session holds
    elif not current_user.is_authenticated:
        _fail(401, "请先登录或提供 API 令牌 / log in or send an API token")
    if not current_user.can_audit:
        _fail(403, "只有审计人员和管理员可以查看 / only auditors and admins may read the audit")
    if request.method not in SAFE_METHODS:
        if not current_user.is_admin:
            _fail(403, "只有管理员可以关闭年度 / only admins may close a year")
        if header is None and current_app.config.get("WTF_CSRF_ENABLED", True):
            names = current_app.config.get("WTF_CSRF_HEADERS") or ["X-CSRFToken", "X-CSRF-Token"]
            token = next((request.headers[n] for n in names if request.headers.get(n)), None) \
                or request.form.get("csrf_token")
            try:
                validate_csrf(token)
            except CSRFValidationError as e:
                _fail(400, f"缺少或无效的 CSRF 令牌（X-CSRFToken 头）/ missing or invalid CSRF token: {e}")
    return None


def _api_input(do):
    try:
        return do()
    except BadInput as e:
        _fail(422, "请求无效 / the request is not valid", {e.name: [e.message]})
    except (ValueError, OverflowError) as e:
        _fail(422, "请求无效 / the request is not valid", {"as_of": [str(e)]})


def _api_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        _fail(404, f"年份应在 {MIN_YEAR} 与 {MAX_YEAR} 之间 / the year must be {MIN_YEAR} to {MAX_YEAR}")


@api_bp.route("/events", methods=["GET"])
@api_bp.arguments(AuditEventArgsSchema, location="query")
@api_bp.response(200, AuditEventPageSchema)
@_errors(401, 403, 422)
def api_events(args):
    """The ledger's timeline

    Every stored event from the read model (position, when recorded, who, what, which record, why),
    filtered by when it was recorded, actor, kind, event or record, and paged.
    """
    size = args.get("page_size") or min(int(current_app.config.get("PAGE_SIZE") or 50), MAX_PAGE_SIZE)
    rows, total = _api_input(lambda: timeline_rows(
        since=args.get("since"), until=args.get("until"), actor=args.get("actor"), kind=args.get("kind"),
        event=args.get("event"), record_id=args.get("record_id"), page=args["page"], size=size,
        ascending=args["order"] == "asc"))
    return {"items": rows, "total": total, "page": args["page"], "page_size": size}


@api_bp.route("/records/<uuid:record_id>/story", methods=["GET"])
@api_bp.response(200, AuditStorySchema)
@_errors(401, 403, 404)
def api_story(record_id: UUID):
    """A record's story

    Each event of the record: its position, what it did, which fields changed from what to what, who,
    when it was recorded and the record's date as of then.
    """
    try:
        return record_story(record_id)
    except RecordNotFound:
        _fail(404, f"没有这条记录 / no record {record_id}")


@api_bp.route("/verify", methods=["GET"])
@api_bp.arguments(AuditVerifyArgsSchema, location="query")
@api_bp.response(200, AuditVerificationSchema)
@_errors(401, 403, 422)
def api_verify(args):
    """Verify the hash chain

    Recomputes the chain from the raw stored events and checks it against the stored chain, the seals
    (their HMAC when the server has the key) and, given its position and head, a checkpoint. `ok` false
    lists the problems, first bad position first. (An auditor who trusts no server runs
    `taizhang verify --checkpoint FILE` on a copy of the store.)
    """
    checkpoint = _api_input(lambda: checkpoint_from(args.get("position"), args.get("head")))
    return run_verify(checkpoint).as_json()


@api_bp.route("/checkpoint", methods=["GET"])
@api_bp.response(200, AuditCheckpointSchema)
@_errors(401, 403)
def api_checkpoint():
    """Take a checkpoint

    The chain's position and head now, to keep offline and give to `taizhang verify --checkpoint`.
    """
    return services().reports.checkpoint()


@api_bp.route("/summary/<int:year>", methods=["GET"])
@api_bp.arguments(SummaryArgsSchema, location="query")
@api_bp.response(200, AuditSummarySchema)
@_errors(401, 403, 404, 422)
def api_summary(args, year: int):
    """The year's summary with its seal

    As /api/summary, with the seal of a closed year, the figures adjusted after the close (sealed and
    adjusted values) and the events that adjusted them.
    """
    _api_year(year)
    return _api_input(lambda: audit_summary(year, args.get("organisation"), _as_of("as_of", args.get("as_of"))))


@api_bp.route("/summary/<int:year>/diff", methods=["GET"])
@api_bp.arguments(DiffArgsSchema, location="query")
@api_bp.response(200, DifferenceSchema)
@_errors(401, 403, 404, 422)
def api_summary_diff(args, year: int):
    """What changed in the year's summary between two moments

    Figure by figure, between the summary as of `before` and as of `after` (default: now).
    """
    _api_year(year)

    def compare():
        before = _as_of("before", args.get("before"))
        if before is None:
            raise BadInput("before", "必填 / required")
        return services().reports.difference(year, before, _as_of("after", args.get("after")),
                                             args.get("organisation") or None)

    return _api_input(compare)


@api_bp.route("/years/<int:year>/close", methods=["POST"])
@api_bp.arguments(AuditCloseSchema, location="json", required=False)
@api_bp.response(201, AuditSealSchema)
@_errors(400, 401, 403, 404, 409, 422, 503)
def api_close_year(body, year: int):
    """Close a year (admins)

    Seals the year at the current chain head: position, head and an HMAC under the server's seal key.
    409 when it was closed already or the ledger does not verify; 503 when the server has no seal key.
    Later corrections of the year's records show as adjustments beside the sealed figures.
    """
    _api_year(year)
    try:
        return close_year(year, (body or {}).get("organisation"), current_user.name)
    except CloseRefused as e:
        errors = {"problems": e.problems} if e.problems else None
        _fail(e.status, e.message, errors)
