"""The event store writes each event's chain link in the event's own transaction (PostgreSQL).

The twin of service/chained_recorder.py: like eventsourcing's PostgreSQL recorder, an append takes an
EXCLUSIVE lock on the events table (so positions are issued in commit order) and inserts the events;
in the same transaction and under that lock this subclass reads the chain head and inserts the links
of the new events into ``<events table>_chain``. Concurrent appends of one process share that
transaction (group commit, service/group_commit.py): one lock, one head read, one commit, a savepoint
per request so each stays all or nothing, nobody answered before the commit. The database functions
mode of eventsourcing (``POSTGRES_ENABLE_DB_FUNCTIONS``) bypasses all this, so it is refused.
Positions may have gaps on PostgreSQL (a sequence is not rolled back): a link chains on from the
previous link, whatever its position.
"""
from __future__ import annotations

from contextlib import suppress
from typing import Any, Sequence

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from domain.chain import GENESIS, links
from service.chained_recorder import BACKFILL_PAGE, ChainBroken, now_iso
from service.group_commit import GroupCommit, Request


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
        self.events_pkey = f"{events_table_name}_pkey"  # PostgreSQL's name for the (originator, version) key
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

    # --- appending: group commit (service/group_commit.py), the twin of ChainedSQLiteRecorder's ---
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as eventsourcing's insert_events
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Concurrent appends of this process share one transaction: one table lock, one chain-head read,
        one commit; each request in a savepoint of its own, answered after the commit."""
        group = self.__dict__.get("_group")
        if group is None:
            group = self.__dict__.setdefault("_group", GroupCommit(self._write_group))
        return group.submit(stored_events, kwargs)

    def _statements(self, conn: Connection[Any]) -> dict[str, bytes]:
        """The append's statements, rendered once (composing them on every append costs more than sending).

        ``begin`` opens the transaction, takes eventsourcing's lock (positions issued in commit order;
        under it no other writer moves the chain head) and NOTIFYs as eventsourcing does."""
        made = self.__dict__.get("_rendered")
        if made is None:
            made = {"begin": b"; ".join([b"BEGIN", *(q.as_bytes(conn) for q in self.lock_table_statements),
                                        SQL("NOTIFY {}").format(Identifier(self.channel_name)).as_bytes(conn)]),
                    "head": SQL("SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1").format(
                        self.chain_table).as_bytes(conn),
                    "insert": SQL("INSERT INTO {} (originator_id, originator_version, topic, state) VALUES ").format(
                        self.events_table).as_bytes(conn),
                    "links": SQL("INSERT INTO {} (position, hash) VALUES ").format(self.chain_table).as_bytes(conn)}
            self.__dict__["_rendered"] = made
        return made

    def _write_group(self, group: list[Request]) -> None:
        """Every request of the group in one transaction, in as few round trips as the chain allows.

        The links hash the positions the INSERT is given, so there are two: BEGIN, the lock, NOTIFY, the
        chain head and the INSERT in the first; the links and COMMIT in the second. The statements go
        several to a message (client-side binding, PostgreSQL's simple query protocol, which stops at the
        first error). With more than one request each is inside a SAVEPOINT, and a request costs one round
        trip more (its links go with the next request's INSERT): one whose events take a version already
        stored is rolled back to it and gets eventsourcing's IntegrityError, the others go on. Any other
        error rolls the whole transaction back and is every request's answer (GroupCommit). Nothing is
        answered before the COMMIT has. Rows go as VALUES lists of plain parameters, the order
        RETURNING gives the positions in (as eventsourcing's unnest of one array): with the pure-Python
        libpq binding dumping arrays costs more client time than the rows."""
        requests = [r for r in group if r.events]
        if not requests:
            return
        with self.datastore.get_connection() as conn:
            sql = self._statements(conn)
            savepoints = len(requests) > 1  # alone: its error is the transaction's
            curs = psycopg.ClientCursor(conn, row_factory=tuple_row)
            pending: list[tuple[bytes, list]] = [(sql["begin"], []), (sql["head"], [])]
            head: tuple[int, str] | None = None
            try:
                for request in requests:
                    events = request.events
                    statements = [*pending, *([(b"SAVEPOINT append", [])] if savepoints else []),
                                  (sql["insert"] + b", ".join([b"(%s, %s, %s, %s)"] * len(events))
                                   + b" RETURNING notification_id",
                                   [v for e in events for v in (e.originator_id, e.originator_version, e.topic, e.state)])]
                    pending = []
                    try:
                        results = self._run(curs, statements)
                    except psycopg.errors.UniqueViolation as e:
                        if not savepoints or e.diag.constraint_name != self.events_pkey:
                            raise
                        pending = [(b"ROLLBACK TO SAVEPOINT append", [])]  # this request only
                        request.error = IntegrityError(str(e))
                        if head is None:  # the head read with it is lost with the error: read it once more
                            pending.append((sql["head"], []))
                        continue
                    if head is None:  # read in this message, just before the SAVEPOINT and the INSERT
                        last = results[-3 if savepoints else -2]
                        head = (last[0][0], last[0][1]) if last else (0, GENESIS)
                    positions = [row[0] for row in results[-1]]
                    if head[0] >= positions[0]:
                        raise ChainBroken(f"position {positions[0]} is chained already (chain head {head[0]})")
                    made = links(head[1], [(p, s.originator_id, s.originator_version, s.topic, s.state)
                                           for p, s in zip(positions, events)])
                    pending = [(sql["links"] + b", ".join([b"(%s, %s)"] * len(made)), [v for link in made for v in link])]
                    if savepoints:
                        pending.append((b"RELEASE SAVEPOINT append", []))
                    head = made[-1]
                    request.result = positions
                self._run(curs, [*pending, (b"COMMIT", [])])
                if curs.statusmessage != "COMMIT":  # PostgreSQL answers ROLLBACK to the COMMIT of a failed transaction
                    raise psycopg.errors.InFailedSqlTransaction(f"the transaction did not commit: {curs.statusmessage}")
            except BaseException:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.closed:
                    with suppress(psycopg.Error):
                        conn.execute(b"ROLLBACK")
                raise

    @staticmethod
    def _run(curs: psycopg.ClientCursor, statements: list[tuple[bytes, list]]) -> list[list | None]:
        """Several statements in one message; the rows of each (None where it returns none)."""
        params = [p for _, ps in statements for p in ps]
        curs.execute(b"; ".join(q for q, _ in statements), params or None)
        results = []
        while True:
            results.append(curs.fetchall() if curs.description is not None else None)
            if not curs.nextset():
                return results

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
