"""The event store writes each event's chain link in the event's own transaction (PostgreSQL).

The twin of service/chained_recorder.py: eventsourcing's PostgreSQL recorder inserts a batch of events
in one transaction after taking an EXCLUSIVE lock on the events table (so positions are issued in
commit order); right after the INSERT, in the same transaction and under that lock, this subclass
reads the chain head and inserts the links of the new events into ``<events table>_chain``. The
database functions mode of eventsourcing (``POSTGRES_ENABLE_DB_FUNCTIONS``) bypasses that transaction,
so it is refused. Positions may have gaps on PostgreSQL (a sequence is not rolled back): a link chains
on from the previous link, whatever its position.
"""
from __future__ import annotations

from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.chain import GENESIS, links
from service.chained_recorder import BACKFILL_PAGE, ChainBroken, now_iso


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL's application recorder, writing the chain link of every event beside it."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS bypasses the chained insert: leave it unset for taizhang")
        schema = Identifier(datastore.schema)
        self.chain_table = SQL("{}.{}").format(schema, Identifier(f"{events_table_name}_chain"))
        self.origin_table = SQL("{}.{}").format(schema, Identifier(f"{events_table_name}_chain_origin"))
        self.events_table = SQL("{}.{}").format(schema, Identifier(events_table_name))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, hash text NOT NULL)").format(self.chain_table))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {} (id int PRIMARY KEY CHECK (id = 1), chained_through bigint NOT NULL, "
            "chained_at text NOT NULL)").format(self.origin_table))

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        self._lock_table(curs)  # no event is written while the first links are made
        curs.execute(SQL("INSERT INTO {} (id, chained_through, chained_at) SELECT 1, COALESCE(MAX(notification_id), 0), "
                         "%s FROM {} ON CONFLICT (id) DO NOTHING RETURNING chained_through").format(
            self.origin_table, self.events_table), [now_iso()])
        row = curs.fetchone()
        if row is None:
            return
        head, position, through = GENESIS, 0, row["chained_through"]
        while position < through:
            curs.execute(SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                             "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
                             ).format(self.events_table), [position, through, BACKFILL_PAGE])
            rows = [(r["notification_id"], r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                    for r in curs.fetchall()]
            if not rows:
                break
            made = links(head, rows)
            curs.executemany(SQL("INSERT INTO {} (position, hash) VALUES (%s, %s)").format(self.chain_table), made)
            position, head = made[-1]

    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not positions:
            return positions
        # still in the insert's transaction, under its EXCLUSIVE lock on the events table
        curs.execute(SQL("SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1").format(self.chain_table))
        last = curs.fetchone()
        previous_position, head = (last["position"], last["hash"]) if last else (0, GENESIS)
        if previous_position >= positions[0]:
            raise ChainBroken(f"position {positions[0]} is chained already (chain head {previous_position})")
        made = links(head, [(p, s.originator_id, s.originator_version, s.topic, s.state)
                            for p, s in zip(positions, stored_events)])
        curs.executemany(SQL("INSERT INTO {} (position, hash) VALUES (%s, %s)").format(self.chain_table), made)
        return positions

    def existing_originators(self, ids: list[Any]) -> set[Any]:
        """Which of these aggregate ids have stored events (one query; an import's known keys)."""
        if not ids:
            return set()
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT DISTINCT originator_id FROM {} WHERE originator_id = ANY(%s)").format(
                self.events_table), [list(ids)])
            return {r["originator_id"] for r in curs.fetchall()}

    # --- reading the chain ---
    def select_links(self, start: int = 1, limit: int = 5000) -> list[tuple[int, str]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT position, hash FROM {} WHERE position >= %s ORDER BY position LIMIT %s").format(
                self.chain_table), [start, limit])
            return [(r["position"], r["hash"]) for r in curs.fetchall()]

    def chain_head(self) -> tuple[int, str]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1").format(self.chain_table))
            row = curs.fetchone()
        return (row["position"], row["hash"]) if row else (0, GENESIS)

    def chain_origin(self) -> dict | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT chained_through, chained_at FROM {}").format(self.origin_table))
            row = curs.fetchone()
        return dict(row) if row else None
