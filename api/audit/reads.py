"""What both the audit pages and the audit API answer: the timeline, a record's story, a
checked checkpoint, the summary with its seal; bad query values as BadInput (field, message)."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

from flask_babel import gettext as _

from api.extensions import services
from api.scope import current_scope, organisation_or_default
from projections.chain import CHECKPOINT_FORMAT
from service import audit as audit_cases

MAX_PAGE_SIZE = 500
MIN_YEAR, MAX_YEAR = 1949, 2100
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEX64 = re.compile(r"^[0-9a-f]{64}$")


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
    """The timeline's filters as SQL conditions on ``events e`` and their parameters; a user of a unit
    sees the events of its scope's records only."""
    where, params = [], []
    readable = current_scope().readable
    if readable is not None:
        where.append(f"e.record_id IN (SELECT id FROM records WHERE organisation IN ({','.join('?' * len(readable))}))")
        params.extend(readable)
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
    return services().reports.timeline_choices()


def record_story(record_id: UUID) -> dict:
    """A record's story: each event with its position, what changed from what to what, who, when.

    Raises RecordNotFound. Every item carries ``occurred_on``: the record's date as of that event.
    """
    ledger, reports = services().ledger, services().reports
    items = ledger.history(record_id, scope=current_scope())
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


def run_verify(checkpoint: dict | None = None, signed: str | None = None):
    """The verify use case (service/audit.py) for this app's services: as ``taizhang verify`` runs it."""
    return audit_cases.verify(services(), checkpoint, signed)


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
    body = services().reports.summary(year, organisation_or_default(organisation), as_of)
    body["adjusted_figures"] = adjusted_figures(body)
    return body

