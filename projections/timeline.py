"""The audit timeline in an auditor's words: one row per user action, the store's bookkeeping inside it.

A user does five things to the ledger: logs a record (登记), corrects it (更正), retracts it (撤销),
seals a year (封存年度) and defines, revises or chooses a summary template (模板). Each is one stored event with its actor — but some are saved together with
events that are only the store's bookkeeping and mean nothing to a reader on their own:

- ``Registered`` (a chamber or an enterprise seen for the first time) is saved with, and just before,
  the first fact stated about it: the next logging event of the same aggregate;
- ``Made`` (the entry that makes a fact findable by its record id) is saved with, and just after, the
  fact it points at: the previous logging event of the same record;
- ``Opened`` (a year's aggregate) is saved with, and just before, the first close of that year.

A save is one transaction, so an action and its bookkeeping are neighbours in the log; the owner is
looked for within ``WINDOW`` positions and must share the aggregate or the record. Nothing here
changes a stored event: the grouping is read from the ``events`` view (with the chain's hashes) at
query time, and the raw view of every event stays available beside it.

Filters come as SQL conditions on the alias ``e`` of the ``events`` table with their parameters
(``where``/``params``), as the audit pages build them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BOOKKEEPING = ("Registered", "Made", "Opened", "Started")
CORRECTIONS = ("Corrected", "FactCorrected")
RETRACTIONS = ("Retracted", "FactRetracted")
CLOSES = ("Closed",)
TEMPLATES = ("Defined", "Revised", "Chosen",  # a template defined or revised, or chosen for a year
             "Added", "Moved", "Renamed", "Merged", "NameAttached")  # … and the organisation tree (units added, moved, …)
ATTACHES = ("EvidenceAttached",)  # evidence (佐证材料) attached to a record, or removed from it
REMOVALS = ("EvidenceRemoved",)
ACTIONS = ("log", "correct", "retract", "close", "attach", "remove", "template")
WINDOW = 16  # an action and its bookkeeping are saved in one transaction: neighbours in the log


def _in(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{n}'" for n in names) + ")"


def action_of(event: str | None) -> str | None:
    """Which user action a stored event is (``log``, ``correct``, ``retract``, ``close``), or None
    for the store's bookkeeping."""
    if event in BOOKKEEPING:
        return None
    if event in CORRECTIONS:
        return "correct"
    if event in RETRACTIONS:
        return "retract"
    if event in CLOSES:
        return "close"
    if event in ATTACHES:
        return "attach"
    if event in REMOVALS:
        return "remove"
    if event in TEMPLATES:
        return "template"
    return "log"


def action_condition(action: str | None, alias: str = "e") -> str:
    """The SQL condition on ``events`` (as ``alias``) for one kind of action, or for any action."""
    if action == "correct":
        return f"{alias}.event IN {_in(CORRECTIONS)}"
    if action == "retract":
        return f"{alias}.event IN {_in(RETRACTIONS)}"
    if action == "close":
        return f"{alias}.event IN {_in(CLOSES)}"
    if action == "attach":
        return f"{alias}.event IN {_in(ATTACHES)}"
    if action == "remove":
        return f"{alias}.event IN {_in(REMOVALS)}"
    if action == "template":
        return f"{alias}.event IN {_in(TEMPLATES)}"
    if action == "log":
        return f"{alias}.event NOT IN {_in(BOOKKEEPING + CORRECTIONS + RETRACTIONS + CLOSES + ATTACHES + REMOVALS + TEMPLATES)}"
    return f"{alias}.event NOT IN {_in(BOOKKEEPING)}"


# The action a bookkeeping event ``b`` was saved with (its position), or NULL: a logging or closing
# event, the nearest before an entry's ``Made`` (same record), else the nearest after (same aggregate).
_OWNED_BY = f"a.event NOT IN {_in(BOOKKEEPING + CORRECTIONS + RETRACTIONS)}"
_OWNER = f"""CASE WHEN b.event = 'Made'
    THEN (SELECT MAX(a.position) FROM events a WHERE a.position BETWEEN b.position - {WINDOW} AND b.position - 1
          AND a.record_id = b.record_id AND {_OWNED_BY})
    ELSE (SELECT MIN(a.position) FROM events a WHERE a.position BETWEEN b.position + 1 AND b.position + {WINDOW}
          AND a.originator_id = b.originator_id AND {_OWNED_BY}) END"""


@dataclass
class ActionPage:
    rows: list[dict]   # one per action, newest first (or oldest), each with its stored ``events``
    actions: int       # actions matching the filters
    events: int        # stored events behind those actions (their own and their bookkeeping)


def _clause(where: list[str], action: str | None) -> str:
    return "WHERE " + " AND ".join([action_condition(action), *where])


def counts(db: Any, where: list[str], params: list, action: str | None = None) -> tuple[int, int]:
    """(actions matching, stored events behind them)."""
    clause = _clause(where, action)
    row = db.execute(
        f"WITH acts AS (SELECT e.position FROM events e {clause}), "
        f"owners AS (SELECT {_OWNER} AS owner FROM events b WHERE b.event IN {_in(BOOKKEEPING)}) "
        f"SELECT (SELECT COUNT(*) FROM acts), "
        f"(SELECT COUNT(*) FROM owners WHERE owner IN (SELECT position FROM acts))", params).fetchone()
    return row[0], row[0] + row[1]


def actions_between(db: Any, low: int, high: int) -> int:
    """User actions at positions in (low, high]."""
    return db.execute(f"SELECT COUNT(*) FROM events e WHERE {action_condition(None)} AND e.position > ? "
                      "AND e.position <= ?", [low, high]).fetchone()[0]


def owned_between(db: Any, low: int, high: int) -> int:
    """Bookkeeping events at positions in (low, high] that were saved with an action (they count among its
    events). Final once the ``WINDOW`` positions after ``high`` are in the view: the log only grows."""
    return db.execute(f"SELECT COUNT(*) FROM (SELECT {_OWNER} AS owner FROM events b WHERE b.event IN "
                      f"{_in(BOOKKEEPING)} AND b.position > ? AND b.position <= ?) WHERE owner IS NOT NULL",
                      [low, high]).fetchone()[0]


def action_page(db: Any, where: list[str], params: list, *, action: str | None = None, page: int = 1,
                size: int = 50, ascending: bool = False, totals: tuple[int, int] | None = None) -> ActionPage:
    """One page of actions matching the filters, each with the stored events it was saved with.
    ``totals``: (actions, events) when the caller has them (the whole log's, kept per position)."""
    clause = _clause(where, action)
    page = max(int(page), 1)
    rows = [dict(r) for r in db.query(
        f"SELECT e.*, r.title AS title, r.id IS NOT NULL AS is_record, c.hash AS hash, "
        f"s.organisation AS sealed_organisation, s.year AS sealed_year, "
        f"COALESCE(t.name, tc.template) AS template_name, t.version AS template_version, "
        f"tc.organisation AS chosen_organisation, tc.year AS chosen_year "
        f"FROM events e LEFT JOIN records r ON r.id = e.record_id LEFT JOIN chain c ON c.position = e.position "
        f"LEFT JOIN seals s ON s.event_position = e.position LEFT JOIN templates t ON t.position = e.position "
        f"LEFT JOIN template_choices tc ON tc.position = e.position {clause} "
        f"ORDER BY e.position {'ASC' if ascending else 'DESC'} LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size])]
    attached: dict[int, list[dict]] = {}
    if rows:
        positions = [r["position"] for r in rows]
        low, high = min(positions) - WINDOW, max(positions) + WINDOW
        for b in db.query(
                f"SELECT * FROM (SELECT b.*, c.hash AS hash, sub.name AS subject, {_OWNER} AS owner "
                f"FROM events b LEFT JOIN chain c ON c.position = b.position "
                f"LEFT JOIN subjects sub ON sub.id = b.originator_id "
                f"WHERE b.event IN {_in(BOOKKEEPING)} AND b.position BETWEEN ? AND ?) "
                f"WHERE owner IN ({', '.join('?' * len(positions))})", [low, high, *positions]):
            attached.setdefault(b["owner"], []).append(dict(b))
    total_actions, total_events = totals if totals is not None else counts(db, where, params, action)
    for row in rows:
        row["action"] = action_of(row["event"])
        row["changes"] = json.loads(row["changes"]) if row["changes"] else None
        row["is_record"] = bool(row["is_record"])
        own = {k: row[k] for k in ("position", "event", "actor", "recorded_at", "originator_id", "version",
                                   "hash")}
        row["events"] = sorted([own, *attached.get(row["position"], [])], key=lambda e: e["position"])
    return ActionPage(rows, total_actions, total_events)


def raw_counts(db: Any, where: list[str], params: list) -> tuple[int, int]:
    """For the raw view: (actions among the matching events, matching events)."""
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    row = db.execute(f"SELECT SUM(e.event NOT IN {_in(BOOKKEEPING)}), COUNT(*) FROM events e {clause}",
                     params).fetchone()
    return row[0] or 0, row[1]


def chain_hashes(db: Any, positions: list[int]) -> dict[int, str]:
    """The chain's hash at each of these positions (the raw view shows it)."""
    if not positions:
        return {}
    return {r["position"]: r["hash"] for r in db.query(
        f"SELECT position, hash FROM chain WHERE position IN ({', '.join('?' * len(positions))})", positions)}
