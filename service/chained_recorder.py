"""The event store writes each event's chain link in the event's own transaction (SQLite).

eventsourcing's recorder stores events; this subclass also stores, for every event, the link
h_n = SHA-256(h_{n-1} ‖ event n) (domain/chain.py) in the table ``event_chain`` of the same database,
in the same transaction, computed from the previous link while the transaction holds SQLite's write
lock (taken by the event INSERT itself). So an acknowledged event always has its link, nothing a read
does can add one, and an event found without a link was written behind the application's back.

A ledger made before the chain existed gets its links on its first start, all at once, and the
table ``event_chain_origin`` records up to which position and when (``verify`` reports it). That
happens once: the origin row is written in the same transaction as the table, and a chain emptied
later is never filled again.

Chosen through eventsourcing's own setting ``APPLICATION_RECORDER_TOPIC`` (service/ledger.py
``store_env``); the PostgreSQL twin is service/chained_postgres.py.
"""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from domain.chain import GENESIS, links
from service.group_commit import GroupCommit, Request

CHAIN_TABLE = "event_chain"
ORIGIN_TABLE = "event_chain_origin"
BACKFILL_PAGE = 5000


class ChainBroken(RuntimeError):
    """A new event would take a position the chain already holds: the store's tail was deleted."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


_hex32 = re.compile("[0-9a-f]{32}").fullmatch
# UUID.hex (what the store writes) as str(UUID) — the text the chain hashes — in SQL; NULL for any other value
_IS_HEX32 = ("typeof(e.originator_id) = 'text' AND length(e.originator_id) = 32 "
             "AND e.originator_id NOT GLOB '*[^0-9a-f]*'")
_CANONICAL_SQL = (f"CASE WHEN {_IS_HEX32} THEN substr(e.originator_id, 1, 8) || '-' || "
                  "substr(e.originator_id, 9, 4) || '-' || substr(e.originator_id, 13, 4) || '-' || "
                  "substr(e.originator_id, 17, 4) || '-' || substr(e.originator_id, 21) END")


def _uuid_text(stored: Any) -> Any:
    """``str(UUID(stored))`` — the store writes ``UUID.hex``, so that is cut at the hyphens without parsing
    it; any other spelling goes through UUID(), and a value that is no UUID is answered as stored."""
    if type(stored) is str and _hex32(stored):
        return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"
    try:
        return str(UUID(stored))
    except (TypeError, ValueError, AttributeError):
        return stored


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite's application recorder, writing the chain link of every event beside it."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (position INTEGER PRIMARY KEY, hash TEXT NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {ORIGIN_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), "
                "chained_through INTEGER NOT NULL, chained_at TEXT NOT NULL)"]

    def create_table(self) -> None:
        super().create_table()
        if self.chain_origin() is not None:  # a read only: a read-only folder still opens
            return
        # the first start with the chain: link what is there already, once, and say so. The INSERT is the
        # transaction's first statement, so it waits for SQLite's write lock like any write.
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"INSERT OR IGNORE INTO {ORIGIN_TABLE} (id, chained_through, chained_at) "
                      f"SELECT 1, COALESCE(MAX(rowid), 0), ? FROM {self.events_table_name}", [now_iso()])
            c.execute("SELECT changes()")
            if c.fetchone()[0] == 1:
                c.execute(f"SELECT chained_through FROM {ORIGIN_TABLE}")
                self._backfill(c, c.fetchone()[0])

    def _backfill(self, c: SQLiteCursor, through: int) -> None:
        head, position = GENESIS, 0
        while position < through:
            c.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
                      "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?", [position, through, BACKFILL_PAGE])
            rows = [(r[0], self.convert_originator_id(r[1]), r[2], r[3], r[4]) for r in c.fetchall()]
            if not rows:
                return
            made = links(head, rows)
            c.executemany(f"INSERT INTO {CHAIN_TABLE} (position, hash) VALUES (?, ?)", made)
            position, head = made[-1]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Concurrent appends of this process share one transaction (service/group_commit.py)."""
        group = self.__dict__.get("_group")
        if group is None:
            group = self.__dict__.setdefault("_group", GroupCommit(self._write_group))
        return group.submit(stored_events, kwargs)

    def _write_group(self, group: list[Request]) -> None:
        with self.datastore.transaction(commit=True) as c:
            if len(group) == 1:  # alone: no savepoint needed, its error is the transaction's
                group[0].result = self._insert_events(c, group[0].events, **group[0].kwargs)
                return
            for request in group:
                c.execute("SAVEPOINT append")
                try:
                    request.result = self._insert_events(c, request.events, **request.kwargs)
                except sqlite3.IntegrityError as e:  # this request only: the others go on
                    c.execute("ROLLBACK TO append")
                    request.error = IntegrityError(e)
                c.execute("RELEASE append")

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)  # the INSERT took the write lock
        if not positions:
            return positions
        c.execute(f"SELECT position, hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
        last = c.fetchone()
        previous_position, head = (last[0], last[1]) if last else (0, GENESIS)
        if previous_position >= positions[0]:
            raise ChainBroken(f"position {positions[0]} is chained already (chain head {previous_position}): "
                              "the newest events were deleted from the store; run `taizhang verify`")
        made = links(head, [(p, s.originator_id, s.originator_version, s.topic, s.state)
                            for p, s in zip(positions, stored_events)])
        c.executemany(f"INSERT INTO {CHAIN_TABLE} (position, hash) VALUES (?, ?)", made)
        return positions

    def existing_originators(self, ids: list[Any]) -> set[Any]:
        """Which of these aggregate ids have stored events (one query; an import's known keys)."""
        if not ids:
            return set()
        by_hex = {i.hex: i for i in ids}
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                      f"WHERE originator_id IN ({', '.join('?' * len(by_hex))})", list(by_hex))
            return {by_hex[r[0]] for r in c.fetchall()}

    # --- reading the chain (verify, checkpoints) ---
    def select_links(self, start: int = 1, limit: int = 5000) -> list[tuple[int, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT position, hash FROM {CHAIN_TABLE} WHERE position >= ? ORDER BY position LIMIT ?",
                      [start, limit])
            return [(r[0], r[1]) for r in c.fetchall()]

    def select_chained_events(self, start: int = 1, limit: int = 5000) -> list[tuple]:
        """(position, originator id, version, topic, state, link or None) of the events from ``start`` on, in
        order: each raw row beside the link the store wrote with it, both read by one statement (so one
        snapshot: an event written meanwhile comes with its link). The originator id is its canonical text
        (``str(UUID)``, what the chain hashes) when it reads as a UUID, else the stored value as it is."""
        uuid_ids = self.datastore.originator_id_type == "uuid"
        oid = _CANONICAL_SQL if uuid_ids else "e.originator_id"
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None  # plain tuples: no sqlite3.Row per row
            cursor.execute(f"SELECT e.rowid, {oid}, e.originator_version, e.topic, e.state, c.hash "
                           f"FROM {self.events_table_name} AS e LEFT JOIN {CHAIN_TABLE} AS c ON c.position = e.rowid "
                           "WHERE e.rowid >= ? ORDER BY e.rowid LIMIT ?", [start, limit])
            rows = cursor.fetchall()
            if not uuid_ids or all(row[1] is not None for row in rows):
                return rows
            # ids not written as UUID.hex: as the recorder's UUID() reads them (or as stored, when not UUIDs)
            cursor.execute(f"SELECT e.rowid, e.originator_id FROM {self.events_table_name} AS e WHERE e.rowid >= ? AND "
                           f"e.rowid <= ? AND NOT ({_IS_HEX32})", [rows[0][0], rows[-1][0]])
            spelled = {p: _uuid_text(text) for p, text in cursor.fetchall()}
        return [row if row[1] is not None else (row[0], spelled.get(row[0]), *row[2:]) for row in rows]

    def select_orphan_links(self, limit: int = 20) -> list[int]:
        """Positions that hold a link but no event (the first ``limit``): chained events deleted since."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT c.position FROM {CHAIN_TABLE} AS c LEFT JOIN {self.events_table_name} AS e "
                      "ON e.rowid = c.position WHERE e.rowid IS NULL ORDER BY c.position LIMIT ?", [limit])
            return [r[0] for r in c.fetchall()]

    def chain_head(self) -> tuple[int, str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT position, hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def chain_origin(self) -> dict | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT chained_through, chained_at FROM {ORIGIN_TABLE}")
            row = c.fetchone()
        return {"chained_through": row[0], "chained_at": row[1]} if row else None
