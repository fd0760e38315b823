"""Staff pages: pick a kind, log it, the ledger list, a record's page, correct and retract.

Server-rendered and usable without JavaScript. Forms are built from the schemas' own description
(``service.schemas.catalogue()``): labels in Chinese and English, help texts, units and choices come
from there, so a kind added to the catalogue gets its form with no change here. Each input keeps
the name of its schema field; a count or an amount has a second select ``<field>__approx`` for the
approximation marker (余/多/近); firms come as repeated ``firm_name`` / ``firm_uscc`` rows.

Every fixed string of the pages is an English msgid for flask-babel. Messages written "中文 / English"
(the service's own, and a few here) are shown in the page's language only, by the template filter
``one_language`` (api/web/language.py).
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from api.auth import error_page, reader, writer
from api.extensions import services
from api.scope import current_scope
from api.web.display import (
    is_zh,
    kind_label,
    label,
    show_date,
    show_input,
    show_moment,
    show_value,
)
from api.web.forms import (
    Errors,
    FormState,
    _catalogue,
    changes_from_state,
    field_labels,
    firms_label,
    form_fields,
    form_template,
    kind_or_404,
    payload_from_state,
    place_errors,
    state_from_record,
    state_from_request,
    use_template_of,
)
from api.web.language import in_language
from domain.catalogue import APPROX_MARKERS, KINDS, KINDS_BY_KEY, THEMES
from domain.errors import (
    ConflictError,
    InvalidChange,
    KeyReused,
    OutOfScope,
    RecordNotFound,
    RecordRetracted,
)
from service.evidence import FIELD as EVIDENCE_FIELD
from service.evidence import EvidenceRefused, attach, check_upload, max_bytes
from service.schemas import (
    FirmSchema,
    InvalidInput,
)

bp = Blueprint("web", __name__)
# Every page (this blueprint's and the others'): a "中文 / English" message shows the page's language only.
bp.add_app_template_filter(in_language, "one_language")

FIRM_ROWS = 5
ALREADY_RECORDED = "已记录过 / already recorded: this form was sent before, nothing new was stored"
CONFLICT = ("此记录在您编辑期间已被他人修改，您的更正未保存。请对照下方两个版本，在表单中核对后重新提交。"
            " / Someone else changed this record while you were editing it; your correction was not saved."
            " Compare the two versions below, check the form and submit it again.")
RETRACT_CONFLICT = ("此记录在您打开后已被他人修改，尚未撤销。请查看最新内容后再决定是否撤销。"
                    " / Someone else changed this record after you opened it; it was not retracted."
                    " Check the current record, then decide again.")
RETRACTED = "此记录已撤销，不能再更正或撤销 / this record was retracted and cannot be corrected or retracted"


@bp.context_processor
def _helpers():
    return {"zh": is_zh(), "label": label, "kind_label": kind_label, "show_value": show_value,
            "show_date": show_date, "show_moment": show_moment, "approx_markers": APPROX_MARKERS,
            "themes": THEMES}


# --- pages ---

@bp.get("/")
def index():
    """Logged in: the ledger. Otherwise a front page that names the application and leads to the login."""
    if current_user.is_authenticated:
        return redirect(url_for("web.records"))
    return render_template("web/welcome.html")


@bp.get("/log")
@writer
def choose_kind():
    template = form_template()  # the kinds of the template the office uses this year
    groups = []
    for theme, names in template.themes.items():
        kinds = [k for k in template.kinds if k.theme == theme]
        if kinds:
            groups.append({"theme": theme, "label": label(names), "kinds": kinds})
    return render_template("web/choose_kind.html", groups=groups)


def _suggestions() -> list[dict]:
    return services().reports.firm_suggestions("", limit=200, organisations=current_scope().readable)


def render_form(kind_key: str, state: FormState, *, status: int = 200, errors: Errors | None = None,
                mode: str = "log", firm_rows: int = 0, **extra):
    entry = kind_or_404(kind_key)
    firm_fields = FirmSchema().fields
    return render_template(
        "web/form.html", kind=entry, kind_key=kind_key, fields=form_fields(kind_key), state=state.padded(firm_rows),
        errors=errors or Errors(), mode=mode, suggestions=_suggestions(),
        enterprise=entry["aggregate"] == "enterprise", firms_label=firms_label(kind_key),
        firm_labels={"name": firm_fields["name"].metadata, "uscc": firm_fields["uscc"].metadata},
        themes=form_template().themes, evidence_limit=max_bytes(), **extra), status


@bp.route("/log/<kind>", methods=["GET", "POST"])
@writer
def log_form(kind: str):
    kind_or_404(kind)
    if request.method == "GET":  # ?organisation=…&occurred_on=… (the same kind again) prefill the form
        organisation = (request.args.get("organisation") or "").strip()[:200]
        default = current_scope().default_organisation(services().reports.default_organisation())
        state = FormState({"organisation": organisation or default or "",
                           "occurred_on": _day_or_today(request.args.get("occurred_on"))}, [])
        return render_form(kind, state, key=uuid4().hex)
    key = (request.form.get("key") or "").strip() or uuid4().hex
    state = state_from_request(kind)
    if request.form.get("more_firms"):  # 再加一家: the same form with one more firm block, nothing saved
        return render_form(kind, state, key=key, firm_rows=_firm_rows_sent() + 1)
    payload, rows = payload_from_state(kind, state, key)
    uploads = [f for f in request.files.getlist(EVIDENCE_FIELD) if f and f.filename]
    try:  # evidence sent with the form: every file checked before anything is stored
        for f in uploads:
            check_upload(f.read(), f.filename)
            f.seek(0)
    except EvidenceRefused as e:
        return render_form(kind, state, status=422, key=key, errors=Errors(other=[
            f"{_('File')}: {in_language(m)}" for m in e.messages[EVIDENCE_FIELD]]))
    try:
        logged = services().ledger.log(payload, actor=current_user.name, scope=current_scope())
    except InvalidInput as e:
        return render_form(kind, state, status=422, errors=place_errors(kind, e.messages, rows), key=key)
    except OutOfScope as e:  # another unit's organisation: said at the field, nothing stored
        return render_form(kind, state, status=403, errors=place_errors(kind, {"organisation": [str(e)]}, rows),
                           key=key)
    except KeyReused as e:  # this form was saved before with other content (e.g. back, edit, resend)
        return render_form(kind, state, status=409, errors=Errors(other=[str(e)]), key=uuid4().hex)
    for f in uploads:
        attach(services(), logged.id, f.read(), f.filename, actor=current_user.name, scope=current_scope())
    # category "saved": the record's page then says 已保存 and offers the same kind again
    flash(_("Recorded.") if logged.created else ALREADY_RECORDED, "saved")
    return redirect(url_for("web.record", record_id=logged.id), code=303)


def _day_or_today(text: str | None) -> str:
    try:
        return date.fromisoformat((text or "").strip()).isoformat()
    except ValueError:
        return date.today().isoformat()


def _firm_rows_sent() -> int:
    return max(len(request.form.getlist("firm_name")), len(request.form.getlist("firm_uscc")))


def _filters() -> dict[str, Any]:
    args = request.args
    filters: dict[str, Any] = {}
    year = args.get("year", type=int)
    if year:
        filters["year"] = year
    theme = args.get("theme", "")
    if theme in THEMES:
        filters["theme"] = theme
    kind = args.get("kind", "")
    if kind in KINDS_BY_KEY or kind in form_template().kinds_by_key:
        filters["kind"] = kind
    for name in ("actor", "q"):
        value = (args.get(name) or "").strip()
        if value:
            filters[name] = value
    if args.get("retracted") == "1":
        filters["retracted"] = "1"
    return filters


def _listed_kinds() -> list:
    """The kinds a filter offers: the built-in ones and those of the template in use."""
    own = [k for k in form_template().kinds if k.key not in KINDS_BY_KEY]
    return list(KINDS) + own


@bp.get("/records")
@reader
def records():
    filters = _filters()
    page = max(request.args.get("page", default=1, type=int) or 1, 1)
    size = current_app.config.get("PAGE_SIZE", 50)
    reports = services().reports
    rows, total = reports.list_records(
        year=filters.get("year"), theme=filters.get("theme"), kind=filters.get("kind"),
        actor=filters.get("actor"), text=filters.get("q"), include_retracted=bool(filters.get("retracted")),
        page=page, size=size, organisations=current_scope().readable)
    pages = max(math.ceil(total / size), 1)
    return render_template("web/records.html", rows=rows, total=total, page=page, pages=pages, size=size,
                           filters=filters, kinds=_listed_kinds(), actors=reports.actors(),
                           page_url=lambda n: url_for("web.records", **filters, page=n))


def _get_or_404(record_id: UUID) -> dict:
    """The record, and its pages' form built with the template of its own organisation and year."""
    try:
        found = services().ledger.get(record_id, scope=current_scope())
    except RecordNotFound:
        abort(404)
    use_template_of(found["organisation"], found["occurred_on"])
    return found


@bp.get("/records/<uuid:record_id>")
@reader
def record(record_id: UUID):
    return record_page(record_id)


def record_page(record_id: UUID, status: int = 200, evidence_errors: list[str] | None = None):
    """A record's page: its values, its evidence (佐证材料) and its history."""
    current = _get_or_404(record_id)
    history = services().ledger.history(record_id, scope=current_scope())
    kind_key = current["kind"]
    return render_template("web/record.html", record=current, history=history, kind=_catalogue()[kind_key],
                           kind_key=kind_key, fields=form_fields(kind_key), fields_by_name=field_labels(kind_key),
                           firms_label=firms_label(kind_key),
                           attachments=services().reports.evidence.for_record(str(record_id)),
                           evidence_errors=evidence_errors or [], evidence_limit=max_bytes()), status


def _expected_version() -> int | None:
    try:
        return int(request.form.get("expected_version", ""))
    except ValueError:
        return None


def _no_version_page():
    return error_page(400, _("The form lacks the version of the record it was made from: open it again."))


def _retracted_page(current: dict | None = None):
    return render_template("web/refused.html", message=RETRACTED, record=current), 409


@bp.route("/records/<uuid:record_id>/correct", methods=["GET", "POST"])
@writer
def correct(record_id: UUID):
    ledger = services().ledger
    current = _get_or_404(record_id)
    kind_key = current["kind"]
    if current["retracted"]:
        return _retracted_page(current)
    stored = state_from_record(kind_key, current)
    if request.method == "GET":
        return render_form(kind_key, stored, mode="correct", record=current, reason="",
                           expected_version=current["version"])
    expected = _expected_version()
    if expected is None:
        return _no_version_page()
    reason = (request.form.get("reason") or "").strip()
    submitted = state_from_request(kind_key)
    if request.form.get("more_firms"):  # 再加一家: the same form with one more firm block, nothing saved
        return render_form(kind_key, submitted, mode="correct", record=current, reason=request.form.get("reason", ""),
                           expected_version=expected, firm_rows=_firm_rows_sent() + 1)
    changes, rows = changes_from_state(kind_key, stored, submitted)

    def again(status: int, errors: Errors, **extra):
        extra.setdefault("expected_version", expected)
        return render_form(kind_key, submitted, status=status, errors=errors, mode="correct", record=current,
                           reason=request.form.get("reason", ""), **extra)

    if not reason:
        return again(422, Errors(fields={"reason": [_("Give the reason for the correction.")]}))
    try:
        ledger.correct(record_id, changes, reason, actor=current_user.name, expected_version=expected,
                       scope=current_scope())
    except ConflictError:
        now = ledger.get(record_id)
        if now["retracted"]:
            return _retracted_page(now)
        now_state = state_from_record(kind_key, now)
        names = [f.name for f in form_fields(kind_key)] + ["firms"]
        compare = [{"name": n,
                    "label": label(field_labels(kind_key)[n]) if n != "firms" else firms_label(kind_key),
                    "stored": show_input(kind_key, n, now_state), "yours": show_input(kind_key, n, submitted)}
                   for n in names]
        for row in compare:
            row["differs"] = row["stored"] != row["yours"]
        return render_form(kind_key, submitted, status=409, mode="correct", record=now,
                           reason=request.form.get("reason", ""), expected_version=now["version"],
                           conflict=compare, conflict_message=CONFLICT)
    except RecordRetracted:
        return _retracted_page(current)
    except InvalidInput as e:
        return again(422, place_errors(kind_key, e.messages, rows))
    except InvalidChange as e:
        return again(422, Errors(other=[_("The correction was refused: %(why)s", why=str(e))]))
    flash(_("The correction was recorded."))
    return redirect(url_for("web.record", record_id=record_id), code=303)


@bp.route("/records/<uuid:record_id>/retract", methods=["GET", "POST"])
@writer
def retract(record_id: UUID):
    ledger = services().ledger
    current = _get_or_404(record_id)
    if current["retracted"]:
        return _retracted_page(current)
    kind_key = current["kind"]
    context = dict(record=current, kind_key=kind_key, fields=form_fields(kind_key))
    if request.method == "GET":
        return render_template("web/retract.html", reason="", error=None, expected_version=current["version"],
                               **context)
    expected = _expected_version()
    if expected is None:
        return _no_version_page()
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        return render_template("web/retract.html", reason="", expected_version=expected,
                               error=_("Give the reason for the retraction."), **context), 422
    try:
        ledger.retract(record_id, reason, actor=current_user.name, expected_version=expected,
                       scope=current_scope())
    except RecordRetracted:
        return _retracted_page(current)
    except ConflictError:
        now = ledger.get(record_id)
        if now["retracted"]:
            return _retracted_page(now)
        context["record"] = now
        return render_template("web/retract.html", reason=request.form.get("reason", ""),
                               expected_version=now["version"], error=RETRACT_CONFLICT, **context), 409
    except InvalidChange as e:
        return render_template("web/retract.html", reason=request.form.get("reason", ""),
                               expected_version=expected, error=str(e), **context), 422
    flash(_("The record was retracted."))
    return redirect(url_for("web.record", record_id=record_id), code=303)


@bp.get("/firms/suggest")
@reader
def firm_suggest():
    prefix = (request.args.get("q") or "").strip()[:100]
    return jsonify(services().reports.firm_suggestions(prefix, limit=20, organisations=current_scope().readable))


@bp.get("/firms")
@reader
def firm():
    """A firm's page: every action it took part in, across years (by its 统一社会信用代码, else its name)."""
    uscc = (request.args.get("uscc") or "").strip()[:18]
    name = (request.args.get("name") or "").strip()[:100]
    if not uscc and not name:
        return error_page(400, _("Name the firm: its unified social credit code or its name."))
    rows = services().reports.firm_records(uscc=uscc or None, name=name or None,
                                           organisations=current_scope().readable)
    named = next((f.get("name") for r in rows for f in r["firms"]
                  if f.get("name") and (not uscc or (f.get("uscc") or "").upper() == uscc.upper())), None)
    by_year: dict[int, list[dict]] = {}
    for r in rows:
        by_year.setdefault(r["year"], []).append(r)
    return render_template("web/firm.html", uscc=uscc.upper(), name=named or name, rows=rows, by_year=by_year)
