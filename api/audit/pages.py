"""The audit pages under /audit (blueprint ``audit``): timeline, story, verify, summary, diff, close."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from api.audit.reads import (
    MAX_PAGE_SIZE,
    MAX_YEAR,
    MIN_YEAR,
    BadInput,
    _as_of,
    audit_summary,
    checkpoint_from,
    record_story,
    run_verify,
    timeline_choices,
    timeline_rows,
    timeline_where,
)
from api.auth import admin, auditor, error_page
from api.extensions import services
from api.scope import current_scope, organisation_or_default
from domain.errors import RecordNotFound
from projections.chain import load_checkpoint
from projections.timeline import ACTIONS as TIMELINE_ACTIONS
from projections.timeline import action_page, chain_hashes, raw_counts
from service import audit as audit_cases
from service.audit import AuditRefused
from service.signing import is_signed_note

bp = Blueprint("audit", __name__, url_prefix="/audit")


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
    whole_log = not where and action is None  # the default page: the totals are kept, not counted
    found = action_page(services().reports.store.db, where, params, action=action, page=page, size=size,
                        ascending=args.get("order") == "asc",
                        totals=services().reports.timeline_totals() if whole_log else None)
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
    checkpoint, signed = None, None
    if request.method == "POST":
        upload = request.files.get("checkpoint")
        text = upload.read().decode("utf-8", "replace") if upload and upload.filename else \
            request.form.get("checkpoint_text", "")
        if is_signed_note(text):  # a signed C2SP checkpoint (taizhang checkpoint with the signing key)
            signed = checkpoint = text
        else:
            try:
                checkpoint = load_checkpoint(text)
            except (ValueError, AttributeError):
                return error_page(400, _("That is not a taizhang checkpoint file."))
    else:
        checkpoint = checkpoint_from(request.args.get("position"), request.args.get("head"))
    result = run_verify(None, signed) if signed else run_verify(checkpoint)
    reports = services().reports
    sealed = {(s["organisation"], s["year"]) for s in reports.seals()}
    organisation = reports.default_organisation()
    open_years = [y for y in reports.years() if (organisation, y) not in sealed]
    return render_template("audit/verify.html", result=result, checkpoint=checkpoint, seals=reports.seals(),
                           open_years=open_years, organisation=organisation,
                           key_set=services().settings.seal_key() is not None)


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
                           key_set=services().settings.seal_key() is not None)


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
        result = services().reports.difference(year, before, after,
                                               organisation_or_default(request.args.get("organisation")))
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
        seal = audit_cases.close_year(services(), year, request.form.get("organisation") or None, current_user.name,
                                      override_reason=request.form.get("override_reason"), scope=current_scope())
    except AuditRefused as e:
        return problem_page(e.status, e.text(get_locale().language), e.problems, back=back)
    flash(_("%(organisation)s %(year)s is closed: sealed at position %(position)s.",
            organisation=seal["organisation"], year=year, position=seal["position"]))
    return redirect(url_for("audit.summary_page", year=year, organisation=seal["organisation"]), 303)

