"""Staff pages: pick a kind, log it, the ledger list, a record's page, correct and retract.

Server-rendered and usable without JavaScript. Forms are built from the schemas' own description
(``service.schemas.catalogue()``): labels in Chinese and English, help texts, units and choices come
from there, so a kind added to the catalogue gets its form with no change here. Each input keeps
the name of its schema field; a count or an amount has a second select ``<field>__approx`` for the
approximation marker (余/多/近); firms come as repeated ``firm_name`` / ``firm_uscc`` rows.

Every fixed string of the pages is an English msgid for flask-babel. Two messages that must read in
both languages at once are written "中文 / English", as the service's own messages are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid4

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from api.app import services
from api.auth import error_page, reader, writer
from api.firm_list import parse_firm_list
from domain.catalogue import APPROX_MARKERS, KINDS, KINDS_BY_KEY, THEMES
from domain.errors import ConflictError, InvalidChange, RecordNotFound, RecordRetracted
from projections.chinese import count as zh_count
from projections.chinese import day
from projections.chinese import money as zh_money
from service.schemas import FirmSchema, InvalidInput, catalogue, format_messages, schema_for

bp = Blueprint("web", __name__)

FIRM_ROWS = 2  # empty firm blocks a new form shows; "one more" (再加一家) adds another, a pasted list many
ALREADY_RECORDED = "已记录过 / already recorded: this form was sent before, nothing new was stored"
CONFLICT = ("此记录在您编辑期间已被他人修改，您的更正未保存。请对照下方两个版本，在表单中核对后重新提交。"
            " / Someone else changed this record while you were editing it; your correction was not saved."
            " Compare the two versions below, check the form and submit it again.")
RETRACT_CONFLICT = ("此记录在您打开后已被他人修改，尚未撤销。请查看最新内容后再决定是否撤销。"
                    " / Someone else changed this record after you opened it; it was not retracted."
                    " Check the current record, then decide again.")
RETRACTED = "此记录已撤销，不能再更正或撤销 / this record was retracted and cannot be corrected or retracted"
# Fields the form puts last (after the kind's own fields and the firms), and those it never shows.
LAST_FIELDS = ("notes", "theme")
HIDDEN_FIELDS = ("key", "kind", "firms")


# --- the form's description, from the schemas ---

def is_zh() -> bool:
    return get_locale().language == "zh"


def label(item: Any) -> str:
    """The label of a catalogue item (``{"zh", "en"}``, ``(zh, en)`` or an object with ``.zh``/``.en``)."""
    if isinstance(item, dict):
        return item["zh"] if is_zh() else item["en"]
    if isinstance(item, (tuple, list)):
        return item[0] if is_zh() else item[1]
    return item.zh if is_zh() else item.en


@lru_cache(maxsize=None)
def _catalogue() -> dict[str, dict]:
    return {k["kind"]: k for k in catalogue()}


@dataclass
class FormField:
    """One input of a kind's form (labels in both languages; the template picks one)."""

    name: str
    type: str
    required: bool
    zh: str
    en: str
    help_zh: str = ""
    help_en: str = ""
    unit: str | None = None
    unit_en: str | None = None
    choices: dict[str, dict] = field(default_factory=dict)
    approx: bool = False
    minimum: int | None = None
    maximum: int | None = None

    @property
    def is_measure(self) -> bool:
        return self.type in ("count", "money")


@lru_cache(maxsize=None)
def form_fields(kind_key: str) -> tuple[FormField, ...]:
    """The inputs of a kind's form, in the order they are shown."""
    entry = _catalogue()[kind_key]
    schema = schema_for(kind_key)
    out = []
    for f in entry["fields"]:
        if f["name"] in HIDDEN_FIELDS:
            continue
        fld = schema.fields[f["name"]]
        out.append(FormField(
            name=f["name"], type=f["type"], required=f["required"], zh=f["zh"], en=f["en"],
            help_zh=f.get("help_zh", ""), help_en=f.get("help_en", ""), unit=f.get("unit"),
            unit_en=f.get("unit_en"), choices=f.get("choices") or {},
            approx=f["type"] in ("count", "money") and getattr(fld, "allow_approx", True),
            minimum=f.get("minimum"), maximum=f.get("maximum")))
    first = [f for f in out if f.name not in LAST_FIELDS]
    last = [f for f in out if f.name in LAST_FIELDS]
    return tuple(first + last)


def field_labels(kind_key: str) -> dict[str, FormField]:
    return {f.name: f for f in form_fields(kind_key)}


def firms_label(kind_key: str) -> str:
    return label(next(f for f in _catalogue()[kind_key]["fields"] if f["name"] == "firms"))


def kind_or_404(kind_key: str) -> dict:
    entry = _catalogue().get(kind_key)
    if entry is None:
        abort(404)
    return entry


# --- form state: what the inputs hold (text), from a request or from a stored record ---

@dataclass
class FormState:
    values: dict[str, str]
    firms: list[dict[str, str]]

    def padded(self, at_least: int = 0) -> "FormState":
        rows = list(self.firms)
        rows += [{"name": "", "uscc": ""} for _ in range(max(FIRM_ROWS, len(rows) + 1, at_least) - len(rows))]
        return FormState(dict(self.values), rows)


def _text(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")


def state_from_request(kind_key: str) -> FormState:
    form = request.form
    values = {}
    for f in form_fields(kind_key):
        values[f.name] = _text(form.get(f.name))
        if f.approx:
            values[f.name + "__approx"] = _text(form.get(f.name + "__approx"))
    names, codes = form.getlist("firm_name"), form.getlist("firm_uscc")
    rows = max(len(names), len(codes))
    names += [""] * (rows - len(names))
    codes += [""] * (rows - len(codes))
    firms = [{"name": _text(n), "uscc": _text(c)} for n, c in zip(names, codes)]
    while firms and not firms[-1]["name"].strip() and not firms[-1]["uscc"].strip():
        firms.pop()
    firms += parse_firm_list(form.get("firm_list"))
    return FormState(values, firms)


def state_from_record(kind_key: str, record: dict) -> FormState:
    """The inputs filled with a record's current values (as ``ledger.get`` dumps them)."""
    values = {}
    for f in form_fields(kind_key):
        value = record.get(f.name)
        if f.is_measure:
            measure = value if isinstance(value, dict) else {"value": value, "approx": None}
            values[f.name] = _text(measure.get("value"))
            if f.approx:
                values[f.name + "__approx"] = _text(measure.get("approx"))
        else:
            values[f.name] = _text(value)
    firms = [{"name": _text(f.get("name")), "uscc": _text(f.get("uscc"))} for f in record.get("firms") or []]
    return FormState(values, firms)


def _field_value(f: FormField, values: dict[str, str]) -> Any:
    """The JSON value of one input, or None when it is empty."""
    text = values.get(f.name, "")
    if not text.strip():
        return None
    if f.is_measure:
        marker = values.get(f.name + "__approx", "").strip() if f.approx else ""
        return {"value": text.strip(), "approx": marker} if marker else text.strip()
    if f.type in ("date", "integer", "choice"):
        return text.strip()
    return text


def _firms_value(state: FormState) -> tuple[list[dict], list[int]]:
    """The firms of the filled rows, and for each the row it came from (to place its messages)."""
    firms, rows = [], []
    for i, row in enumerate(state.firms):
        name, code = row["name"].strip(), row["uscc"].strip()
        if not name and not code:
            continue
        firm = {}
        if name:
            firm["name"] = name
        if code:
            firm["uscc"] = code
        firms.append(firm)
        rows.append(i)
    return firms, rows


def payload_from_state(kind_key: str, state: FormState, key: str) -> tuple[dict, list[int]]:
    """The payload ``ledger.log`` takes: empty optional inputs left out."""
    payload: dict[str, Any] = {"kind": kind_key, "key": key}
    for f in form_fields(kind_key):
        value = _field_value(f, state.values)
        if value is not None:
            payload[f.name] = value
    firms, rows = _firms_value(state)
    if firms:
        payload["firms"] = firms
    return payload, rows


def _normal_firms(state: FormState) -> list[tuple[str, str]]:
    return [(f.get("name", ""), f.get("uscc", "").upper()) for f in _firms_value(state)[0]]


def changes_from_state(kind_key: str, current: FormState, submitted: FormState) -> tuple[dict, list[int]]:
    """The fields whose inputs differ from the record's current values (an emptied input: None)."""
    changes: dict[str, Any] = {}
    for f in form_fields(kind_key):
        names = (f.name, f.name + "__approx") if f.approx else (f.name,)
        if any(current.values.get(n, "").strip() != submitted.values.get(n, "").strip() for n in names):
            changes[f.name] = _field_value(f, submitted.values)
    firms, rows = _firms_value(submitted)
    if _normal_firms(current) != _normal_firms(submitted):
        changes["firms"] = firms
    return changes, rows


@dataclass
class Errors:
    """Messages placed next to their inputs; whatever has no input goes to the summary."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    firms: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.firms or self.other)


def _flat(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return list(messages)
    return [line for line in format_messages(messages).splitlines() if line]


def place_errors(kind_key: str, messages: dict, firm_rows: list[int]) -> Errors:
    errors = Errors()
    shown = {f.name for f in form_fields(kind_key)}
    for name, value in (messages or {}).items():
        if name == "firms":
            if isinstance(value, dict):
                for index, sub in value.items():
                    try:
                        row = firm_rows[int(index)]
                    except (ValueError, IndexError):
                        errors.fields.setdefault("firms", []).extend(_flat(sub))
                        continue
                    target = errors.firms.setdefault(row, {})
                    if isinstance(sub, dict):
                        for part, msgs in sub.items():
                            target.setdefault(part if part in ("name", "uscc") else "_row", []).extend(_flat(msgs))
                    else:
                        target.setdefault("_row", []).extend(_flat(sub))
            else:
                errors.fields.setdefault("firms", []).extend(_flat(value))
        elif name in shown:
            errors.fields.setdefault(name, []).extend(_flat(value))
        else:
            errors.other.extend(_flat({name: value}))
    return errors


# --- showing values ---

APPROX_EN = {"余": "over", "多": "over", "近": "nearly"}


def show_measure(f: FormField | None, measure: Any) -> str:
    if measure in (None, ""):
        return "—"
    if not isinstance(measure, dict):
        measure = {"value": measure, "approx": None}
    value, marker = measure.get("value"), measure.get("approx")
    if is_zh():
        unit = (f.unit if f else None) or ""
        try:
            return zh_money(value, marker) if f and f.type == "money" else zh_count(value, unit, marker)
        except Exception:  # noqa: BLE001  (a value that is not a number: show it as it is)
            return f"{marker or ''}{value}"
    unit = (f.unit_en if f else None) or ""
    words = [APPROX_EN.get(marker, "") if marker else "", str(value), unit]
    return " ".join(w for w in words if w)


def show_date(value: Any) -> str:
    if not value:
        return "—"
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return day(d) if is_zh() else d.isoformat()


def show_firms(firms: Any) -> str:
    if not firms:
        return "—"
    parts = []
    for f in firms:
        name, code = f.get("name"), f.get("uscc")
        parts.append(f"{name}（{code}）" if name and code else (name or code or ""))
    return "、".join(parts)


def show_value(kind_key: str, name: str, value: Any) -> str:
    """A stored value (as the ledger dumps it) in words, for the record page and its history."""
    f = field_labels(kind_key).get(name)
    if name == "firms":
        return show_firms(value)
    if value is None or value == "":
        return "—"
    if f is None:
        return str(value)
    if f.is_measure:
        return show_measure(f, value)
    if f.type == "date":
        return show_date(value)
    if f.type == "choice":
        choice = f.choices.get(str(value))
        return label(choice) if choice else str(value)
    return str(value)


def show_input(kind_key: str, name: str, state: FormState) -> str:
    """What a form's inputs hold for one field, in words (for the side-by-side view of a conflict)."""
    if name == "firms":
        return show_firms(_firms_value(state)[0])
    f = field_labels(kind_key)[name]
    text = state.values.get(name, "").strip()
    if f.is_measure:
        marker = state.values.get(name + "__approx", "").strip() or None
        return show_measure(f, {"value": text, "approx": marker} if text else None)
    if not text and name == "theme":
        return label(THEMES[KINDS_BY_KEY[kind_key].theme])
    if not text:
        return "—"
    if f.type == "choice":
        choice = f.choices.get(text)
        return label(choice) if choice else text
    if f.type == "date":
        return show_date(text)
    return text


def show_moment(iso: str | None) -> str:
    """An event's ISO timestamp in the server's local time."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    if is_zh():
        return f"{day(moment.date())} {moment:%H:%M:%S}"
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def kind_label(kind_key: str) -> str:
    kind = KINDS_BY_KEY.get(kind_key)
    return label((kind.zh, kind.en)) if kind else kind_key


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
    groups = []
    for theme, names in THEMES.items():
        kinds = [k for k in KINDS if k.theme == theme]
        if kinds:
            groups.append({"theme": theme, "label": label(names), "kinds": kinds})
    return render_template("web/choose_kind.html", groups=groups)


def _suggestions() -> list[dict]:
    return services().reports.firm_suggestions("", limit=200)


def render_form(kind_key: str, state: FormState, *, status: int = 200, errors: Errors | None = None,
                mode: str = "log", firm_rows: int = 0, **extra):
    entry = kind_or_404(kind_key)
    firm_fields = FirmSchema().fields
    return render_template(
        "web/form.html", kind=entry, kind_key=kind_key, fields=form_fields(kind_key), state=state.padded(firm_rows),
        errors=errors or Errors(), mode=mode, suggestions=_suggestions(),
        enterprise=entry["aggregate"] == "enterprise", firms_label=firms_label(kind_key),
        firm_labels={"name": firm_fields["name"].metadata, "uscc": firm_fields["uscc"].metadata}, **extra), status


@bp.route("/log/<kind>", methods=["GET", "POST"])
@writer
def log_form(kind: str):
    kind_or_404(kind)
    if request.method == "GET":  # ?organisation=…&occurred_on=… (the same kind again) prefill the form
        organisation = (request.args.get("organisation") or "").strip()[:200]
        state = FormState({"organisation": organisation or services().reports.default_organisation() or "",
                           "occurred_on": _day_or_today(request.args.get("occurred_on"))}, [])
        return render_form(kind, state, key=uuid4().hex)
    key = (request.form.get("key") or "").strip() or uuid4().hex
    state = state_from_request(kind)
    if request.form.get("more_firms"):  # 再加一家: the same form with one more firm block, nothing saved
        return render_form(kind, state, key=key, firm_rows=_firm_rows_sent() + 1)
    payload, rows = payload_from_state(kind, state, key)
    try:
        logged = services().ledger.log(payload, actor=current_user.name)
    except InvalidInput as e:
        return render_form(kind, state, status=422, errors=place_errors(kind, e.messages, rows), key=key)
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
    if kind in KINDS_BY_KEY:
        filters["kind"] = kind
    for name in ("actor", "q"):
        value = (args.get(name) or "").strip()
        if value:
            filters[name] = value
    if args.get("retracted") == "1":
        filters["retracted"] = "1"
    return filters


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
        page=page, size=size)
    pages = max(math.ceil(total / size), 1)
    return render_template("web/records.html", rows=rows, total=total, page=page, pages=pages, size=size,
                           filters=filters, kinds=KINDS, actors=reports.actors(),
                           page_url=lambda n: url_for("web.records", **filters, page=n))


def _get_or_404(record_id: UUID) -> dict:
    try:
        return services().ledger.get(record_id)
    except RecordNotFound:
        abort(404)


@bp.get("/records/<uuid:record_id>")
@reader
def record(record_id: UUID):
    current = _get_or_404(record_id)
    history = services().ledger.history(record_id)
    kind_key = current["kind"]
    return render_template("web/record.html", record=current, history=history, kind=_catalogue()[kind_key],
                           kind_key=kind_key, fields=form_fields(kind_key), fields_by_name=field_labels(kind_key),
                           firms_label=firms_label(kind_key))


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
        ledger.correct(record_id, changes, reason, actor=current_user.name, expected_version=expected)
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
        ledger.retract(record_id, reason, actor=current_user.name, expected_version=expected)
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
    return jsonify(services().reports.firm_suggestions(prefix, limit=20))
