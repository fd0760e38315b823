"""The staff form, built from the schemas' own description (``service.schemas.catalogue()``), and its
state: what the inputs hold (text), from a request or a stored record, turned into a payload or changes;
the service's field errors placed next to their inputs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from flask import (
    abort,
    g,
    request,
)
from werkzeug.exceptions import HTTPException

from api.extensions import services
from api.firm_list import parse_firm_list
from api.scope import current_scope
from api.web.language import label
from service.schemas import (
    catalogue,
    format_messages,
    schema_for,
)

FIRM_ROWS = 2  # empty firm blocks a new form shows; "one more" (再加一家) adds another, a pasted list many
# Fields the form puts last (after the kind's own fields and the firms), and those it never shows.
LAST_FIELDS = ("notes", "theme")
HIDDEN_FIELDS = ("key", "kind", "firms")



def form_template():
    """The template whose kinds the form offers: the one the organisation (the request's, else the
    ledger's main one) uses for the year of the work (the request's date, else this year). The ledger
    checks a posted record against the template of its own organisation and year all the same."""
    if "taizhang_template" not in g:
        try:
            given = request.values
        except HTTPException:  # a body too large to read (413): the defaults
            given = {}
        organisation = (given.get("organisation") or "").strip() or \
            current_scope().default_organisation(services().reports.default_organisation()) or ""
        day = (given.get("occurred_on") or "").strip()
        year = int(day[:4]) if day[:4].isdigit() else date.today().year
        g.taizhang_template = services().ledger.template_for(organisation, year)
    return g.taizhang_template


def use_template_of(organisation: str, occurred_on: str) -> None:
    """A record's pages: the template of the record's own organisation and year."""
    g.taizhang_template = services().ledger.template_for(organisation, int(str(occurred_on)[:4]))


def _catalogue() -> dict[str, dict]:
    return _catalogue_of(form_template())


@lru_cache(maxsize=64)
def _catalogue_of(template) -> dict[str, dict]:
    return {k["kind"]: k for k in catalogue(template)}


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


def form_fields(kind_key: str) -> tuple[FormField, ...]:
    """The inputs of a kind's form, in the order they are shown."""
    return _form_fields(kind_key, form_template())


@lru_cache(maxsize=256)
def _form_fields(kind_key: str, template) -> tuple[FormField, ...]:
    entry = _catalogue_of(template)[kind_key]
    schema = schema_for(kind_key, template=template)
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
        elif f.type == "measures":  # one named measure a line: 总投资 4.72 亿元
            values[f.name] = "\n".join(
                f"{m.get('name')} {m.get('approx') if m.get('approx') in ('近', '约') else ''}{m.get('value')}"
                f"{m.get('approx') if m.get('approx') not in (None, '近', '约') else ''} {m.get('unit') or ''}".strip()
                for m in (value or []) if isinstance(m, dict))
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
    if f.type == "measures":
        return [line.strip() for line in text.splitlines() if line.strip()]
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


