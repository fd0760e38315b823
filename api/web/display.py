"""How stored values read on the staff pages: measures with 余/多/近, money and dates the Chinese way,
firms by name, labels in the page's language."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from api.web.forms import (
    FormField,
    FormState,
    _firms_value,
    field_labels,
    form_template,
)
from api.web.language import is_zh, label
from domain.catalogue import KINDS_BY_KEY, THEMES
from projections.chinese import count as zh_count
from projections.chinese import day
from projections.chinese import money as zh_money

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
        template = form_template()
        kind = template.kinds_by_key.get(kind_key) or KINDS_BY_KEY[kind_key]
        return label(template.themes.get(kind.theme) or THEMES.get(kind.theme) or (kind.theme, kind.theme))
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
    if kind is None:  # an office's own kind: as the template in use names it
        kind = form_template().kinds_by_key.get(kind_key)
    return label((kind.zh, kind.en)) if kind else kind_key


