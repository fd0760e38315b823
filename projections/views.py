"""The ledger's read model: records and events folded from the notification log.

A pull projection (eventsourcing 9.5's SQLite recorder has no subscribe()): read stored events from
the tracking position, fold them into view rows, and write the rows and the new position in one
transaction. Stored with sqlite-utils in its own file; rebuildable from nothing at any time, and
to any position (for as-of questions) with the same fold.

The fold reads the raw stored state (JSON) rather than domain objects: it is the same data, it
applies the events' upcasts, and it is several times faster for a rebuild.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import namedtuple
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from uuid import UUID

import msgspec
import sqlite_utils
from eventsourcing.utils import resolve_topic
from sqlite_utils.db import NotFoundError

from domain.actions import COMMON_NAMES, Action
from domain.catalogue import KINDS_BY_EVENT
from domain.org_units import OrgUnit
from domain.subjects import Chamber, Enterprise, Entry
from domain.template_log import SummaryTemplate, TemplateChoices
from domain.years import Year
from projections import evidence, figure_state, firm_uses
from projections import org_units as unit_views
from projections import templates as template_views

TRACKING_NAME = "views"
# The secondary indexes of the view tables: dropped while a rebuild refills the tables, then made again
# (sorting once is much faster than keeping random-keyed indexes up to date row by row).
# (organisation, year, …) also gives the summary's narrative per kind its first titles of the year in log
# order (projections/figure_state.py).
INDEXES = (("records", ("organisation", "year", "kind", "retracted", "created_position")),
           ("records", ("kind", "occurred_on")), ("events", ("record_id",)), ("events", ("recorded_at",)),
           # the record list's order (newest happening first), for all and for one organisation: a page
           # reads its rows off the index instead of sorting every matching record
           ("records", ("occurred_on", "created_position")),
           ("records", ("organisation", "occurred_on", "created_position")))
RECORD_COLUMNS = {
    "id": str, "kind": str, "event": str, "theme": str, "organisation": str, "subject_id": str, "subject": str,
    "occurred_on": str, "ends_on": str, "year": int, "title": str, "notes": str, "key": str, "firms": str,
    "facts": str, "logged_by": str, "logged_at": str, "retracted": int, "retraction_reason": str,
    "version": int, "created_position": int, "last_position": int,
}
EVENT_COLUMNS = {
    "position": int, "record_id": str, "originator_id": str, "version": int, "event": str, "kind": str,
    "recorded_at": str, "actor": str, "reason": str, "changes": str, "occurred_on": str,
}
COMMON = set(COMMON_NAMES) - {"firms"}
# The JSON text of facts, firms and changes in the view rows: compact UTF-8 (keys sorted for facts and
# changes) by msgspec, ten times json.dumps' speed; what msgspec refuses (a lone surrogate) is written by
# the stdlib encoder instead. Readers parse the text (json.loads) or match values in it with LIKE, so the
# separators are no one's concern.
_std_dumps = json.JSONEncoder(ensure_ascii=False).encode
_std_dumps_sorted = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_msg_dumps = msgspec.json.Encoder().encode
_msg_dumps_sorted = msgspec.json.Encoder(order="sorted").encode


def _dumps(value: Any) -> str:
    try:
        return _msg_dumps(value).decode()
    except (UnicodeEncodeError, TypeError, OverflowError):
        return _std_dumps(value)


def _dumps_sorted(value: Any) -> str:
    try:
        return _msg_dumps_sorted(value).decode()
    except (UnicodeEncodeError, TypeError, OverflowError):
        return _std_dumps_sorted(value)


_record_values = itemgetter(*RECORD_COLUMNS)
CACHE_KIB = 65536  # SQLite page cache of the view file: its random-keyed indexes outgrow the 2 MB default


def _hook(obj: dict) -> Any:
    """Custom types of the stored JSON become plain JSON values (ISO text, decimal text)."""
    if "_type_" in obj and "_data_" in obj and len(obj) == 2:
        return obj["_data_"]
    return obj


_decode = json.JSONDecoder(object_hook=_hook).decode  # json.loads(text, object_hook=_hook), built once
# The fast path: eventsourcing's compact JSON writes a custom type as {"_type_":"<name>","_data_":"<text>"};
# every transcoding of this ledger (datetime, date, UUID, Decimal) has plain text data, so each such object
# is cut down to its text in the bytes, and msgspec decodes the rest (in C). A quote inside a JSON string
# is escaped, so the marker only meets real objects; any other shape (data not a plain string, escapes,
# bytes msgspec refuses) takes the stdlib decode with the object_hook, which gives the same values.
_MARK = b'{"_type_":"'
_DATA = b'","_data_":"'
_fast_decode = msgspec.json.Decoder().decode


def _plain_custom(state: bytes) -> bytes | None:
    parts = state.split(_MARK)
    out = [parts[0]]
    for part in parts[1:]:
        start = part.find(_DATA)
        if start < 0:
            return None
        start += len(_DATA) - 1  # the data's opening quote
        end = part.find(b'"', start + 1)
        if end < 0 or part[end + 1:end + 2] != b"}" or b"\\" in part[start:end]:
            return None
        out.append(part[start:end + 1])
        out.append(part[end + 2:])
    return b"".join(out)


def _decode_bytes(state: bytes) -> Any:
    """json.loads(state, object_hook=_hook): the same values, three times as fast."""
    plain = _plain_custom(state) if _MARK in state else state
    if plain is not None and b'"_type_"' not in plain:
        try:
            return _fast_decode(plain)
        except msgspec.DecodeError:  # not UTF-8 (lone surrogates), or not what msgspec takes
            pass
    return _decode(state.decode("utf-8", "surrogatepass"))


def _uuid_text(value: str) -> str:
    """A UUID as the ledger names records (``str(UUID)``): the stored JSON holds a fact_id as bare hex."""
    return str(UUID(value))


class _Handlers:
    """Which fold step each event class takes, found once per topic."""

    def __init__(self) -> None:
        self.by_topic: dict[str, tuple[str, type]] = {}

    def __call__(self, topic: str) -> tuple[str, type]:
        try:
            return self.by_topic[topic]
        except KeyError:
            cls = resolve_topic(topic)
            if issubclass(cls, Action.Logged):
                step = "logged"
            elif issubclass(cls, (Chamber.FactStated, Enterprise.FactStated)):
                step = "stated"
            elif issubclass(cls, (Action.Corrected, Chamber.FactCorrected, Enterprise.FactCorrected)):
                step = "corrected"
            elif issubclass(cls, (Action.Retracted, Chamber.FactRetracted, Enterprise.FactRetracted)):
                step = "retracted"
            elif issubclass(cls, (Chamber.Registered, Enterprise.Registered)):
                step = "registered"
            elif issubclass(cls, Year.Closed):
                step = "closed"
            elif issubclass(cls, Entry.Made):
                step = "entry"
            elif issubclass(cls, (SummaryTemplate.Defined, SummaryTemplate.Revised)):
                step = "template"
            elif issubclass(cls, TemplateChoices.Chosen):
                step = "template_chosen"
            elif issubclass(cls, OrgUnit.Added):
                step = "unit_added"
            elif issubclass(cls, OrgUnit.Moved):
                step = "unit_moved"
            elif issubclass(cls, OrgUnit.Renamed):
                step = "unit_renamed"
            elif issubclass(cls, OrgUnit.Merged):
                step = "unit_merged"
            elif issubclass(cls, OrgUnit.NameAttached):
                step = "unit_name_attached"
            elif evidence.is_evidence(cls):
                step = "evidence"
            else:
                step = "other"
            self.by_topic[topic] = (step, cls)
            return self.by_topic[topic]


HANDLERS = _Handlers()


def decode_state(topic: str, state: bytes) -> tuple[str, type, dict]:
    step, cls = HANDLERS(topic)
    if isinstance(state, bytes) and state.startswith(b'{"'):
        data = _decode_bytes(state)
    else:
        data = json.loads(state, object_hook=_hook)
    target = getattr(cls, "class_version", 1)
    version = data.pop("class_version", 1)
    while version < target:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
        version += 1
    return step, cls, data


class ViewStore:
    """The view tables in one SQLite file (or in memory, for as-of rebuilds)."""

    def __init__(self, path: str | Path | None = None, fresh: bool = False):
        self.path = path
        # ``fresh``: a file being filled by a rebuild, read by no one else until it is copied over the live
        # one; no journal and no syncs (a crash leaves a file that the next rebuild deletes).
        self.fresh = fresh
        # One connection per thread for a file (a web server answers from several threads); an
        # in-memory store (as-of) lives and dies within one call, on one connection.
        self._local = threading.local()
        self._memory = sqlite_utils.Database(memory=True) if path is None else None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self.create_tables()

    @property
    def db(self) -> sqlite_utils.Database:
        if self._memory is not None:
            return self._memory
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30))
            if self.fresh:
                db.execute("PRAGMA journal_mode=OFF")
                db.execute("PRAGMA synchronous=OFF")
                db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
                self._local.db = db
                return db
            db.execute("PRAGMA journal_mode=WAL")
            # A derived, rebuildable file: in WAL mode NORMAL stays consistent (rows and tracking position
            # commit together); a power cut may drop the last commits, which the next catch-up folds again.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._local.db = db
        return db

    def create_tables(self) -> None:
        db = self.db
        if "tracking" not in db.table_names():
            db["tracking"].create({"name": str, "position": int}, pk="name")
        if "records" not in db.table_names():
            db["records"].create(RECORD_COLUMNS, pk="id", not_null={"kind", "event"})
        if "subjects" not in db.table_names():
            db["subjects"].create({"id": str, "type": str, "organisation": str, "name": str, "uscc": str}, pk="id")
        if "seals" not in db.table_names():
            db["seals"].create({"organisation": str, "year": int, "position": int, "head": str, "hmac": str,
                                "closed_by": str, "closed_at": str, "event_position": int},
                               pk=("organisation", "year"))
        if "events" not in db.table_names():
            db["events"].create(EVENT_COLUMNS, pk="position")
        template_views.create_tables(db)
        unit_views.create_tables(db)
        evidence.create_table(db)
        firm_uses.create_table(db)
        figure_state.create_tables(db)
        self.create_indexes()

    @staticmethod
    def _index_name(table: str, columns: tuple[str, ...]) -> str:
        return f"idx_{table}_{'_'.join(columns)}"  # sqlite-utils' own name for it

    def create_indexes(self) -> None:
        """Make every secondary index that is missing (all of them after a rebuild)."""
        existing = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for table, columns in INDEXES:
            if self._index_name(table, columns) not in existing:
                self.db[table].create_index(list(columns), if_not_exists=True)  # another process may race us

    def drop_indexes(self) -> None:
        with self.db.conn:
            for table, columns in INDEXES:
                self.db.execute(f"DROP INDEX IF EXISTS [{self._index_name(table, columns)}]")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Fill the tables without their secondary indexes; the indexes are made again on the way out."""
        self.drop_indexes()
        try:
            yield
        finally:
            self.create_indexes()

    def reset(self) -> None:
        with self.db.conn:
            for table in ("records", "subjects", "events", "seals", "templates", "template_choices", "org_units",
                          "org_unit_names", evidence.TABLE, firm_uses.TABLE):
                self.db.execute(f"DELETE FROM [{table}]")
            figure_state.reset(self.db)
            self.db.execute("DELETE FROM tracking")

    def carry_from(self, live: Path, tables: Iterable[str]) -> None:
        """Copy tables that the fold does not make from the live file into this one, as they are."""
        if not tables:
            return
        conn = self.db.conn
        conn.execute("ATTACH DATABASE ? AS live", [str(live)])
        try:
            with conn:
                for table in tables:
                    row = conn.execute("SELECT sql FROM live.sqlite_master WHERE type = 'table' AND name = ?",
                                       [table]).fetchone()
                    if row is None:
                        continue
                    conn.execute(f"DROP TABLE IF EXISTS main.[{table}]")
                    conn.execute(row[0])
                    conn.execute(f"INSERT INTO main.[{table}] SELECT * FROM live.[{table}]")
        finally:
            conn.execute("DETACH DATABASE live")

    @property
    def position(self) -> int:
        row = self.db.execute("SELECT position FROM tracking WHERE name = ?", [TRACKING_NAME]).fetchone()
        return row[0] if row else 0

    # --- the fold ---
    def apply(self, notifications: Iterable[Any], expected: int | None = None) -> int:
        """Fold a batch of notifications and store rows and the new position in one transaction.

        The transaction takes the write lock first (BEGIN IMMEDIATE); when ``expected`` is given and
        another process moved the tracking position meanwhile, nothing is written and the caller reads
        again from the new position.
        """
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if expected is not None and self.position != expected:
                conn.execute("ROLLBACK")
                return self.position
            last = self._fold(notifications)
            conn.execute("COMMIT")
            return last
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _fold(self, notifications: Iterable[Any]) -> int:
        records: dict[str, dict] = {}
        subjects: dict[str, dict] = {}
        seals: list[tuple] = []
        revisions: list[tuple] = []
        choices: list[tuple] = []
        units: list[tuple] = []
        attachments: dict[tuple[str, str], dict] = {}
        events: list[tuple] = []
        firms_before: dict[str, Any] = {}
        last = None
        for n in notifications:
            last = n.id
            step, cls, data = decode_state(n.topic, n.state)
            oid = str(n.originator_id)
            record_id = oid
            reason = data.get("reason")
            changes = data.get("changes")
            if step == "logged":
                records[oid] = self._new_record(oid, cls.__name__, data, n.id, oid, None)
                records[oid]["version"] = n.originator_version
            elif step == "stated":
                record_id = _uuid_text(data["fact_id"])
                subject = subjects.get(oid) or self._subject(oid)
                records[record_id] = self._new_record(record_id, cls.__name__, data, n.id, oid, subject)
                records[record_id]["version"] = 1  # the fact's own version (its subject's counts all facts)
            elif step in ("corrected", "retracted"):
                record_id = _uuid_text(data["fact_id"]) if "fact_id" in data else oid
                row = records.get(record_id)
                if row is None:  # written before this batch: what it counted so far, before it changes
                    row = self._record(record_id)
                    firms_before[record_id] = firm_uses.part(row)
                if step == "corrected":
                    facts = json.loads(row["facts"])
                    for name, value in changes.items():
                        if name == "firms":
                            row["firms"] = _dumps(value)
                        elif name in COMMON:
                            row[name] = value
                        elif value is None:
                            facts.pop(name, None)
                        else:
                            facts[name] = value
                    row["facts"] = _dumps_sorted(facts)
                    row["year"] = int(row["occurred_on"][:4])
                else:
                    row["retracted"] = 1
                    row["retraction_reason"] = reason
                row["version"] = (row["version"] or 0) + 1  # the record's own, not its holder's
                row["last_position"] = n.id
                records[record_id] = row
            elif step == "registered":
                subjects[oid] = {"id": oid, "type": "chamber" if issubclass(cls, Chamber.Registered) else "enterprise",
                                 "organisation": data["organisation"], "name": data["name"],
                                 "uscc": data.get("uscc")}
            elif step == "closed":
                seals.append((data["organisation"], data["year"], data["position"], data["head"], data["hmac"],
                              data.get("actor"), data.get("timestamp"), n.id))
            elif step == "entry":
                record_id = oid
            elif step == "template":
                revisions.append((data["name"], n.originator_version, n.id, data["digest"], _dumps(data["body"]),
                                  data.get("actor"), reason, data.get("timestamp")))
            elif step.startswith("unit_"):
                units.append((step, data, n.id))
            elif step == "template_chosen":
                choices.append((data["organisation"], data["year"], data["template"], n.id, data.get("actor"), reason))
            elif step == "evidence":  # the event is listed under the record it is evidence of
                record_id = evidence.fold(attachments, cls, data, n.id, self.db)
            kind = KINDS_BY_EVENT.get(cls.__name__)
            if step in ("corrected", "retracted"):
                kind_key = records[record_id]["kind"]
            else:
                kind_key = kind.key if kind else data.get("kind_key")
            events.append((n.id, record_id, oid, n.originator_version, cls.__name__, kind_key,
                           data.get("timestamp"), data.get("actor"), reason,
                           _dumps_sorted(changes) if changes is not None else None,
                           data.get("occurred_on")))
        if last is None:
            return self.position
        if events:  # inside apply's transaction
            # the kept figure states (none during a rebuild): the touched records as they were
            figures = figure_state.before(self.db, [*records, *(e[1] for e in events)])
            for step_name, data, position in units:
                unit_views.fold(self.db, step_name, data, position)
            if revisions:
                self.db.conn.executemany(f"INSERT OR REPLACE INTO templates ({', '.join(template_views.TEMPLATE_COLUMNS)}) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", revisions)
            if choices:
                self.db.conn.executemany(
                    f"INSERT OR REPLACE INTO template_choices ({', '.join(template_views.CHOICE_COLUMNS)}) "
                    "VALUES (?, ?, ?, ?, ?, ?)", choices)
            evidence.write(self.db, attachments)
            if seals:
                self.db.conn.executemany("INSERT OR REPLACE INTO seals VALUES (?, ?, ?, ?, ?, ?, ?, ?)", seals)
            if subjects:
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO subjects (id, type, organisation, name, uscc) VALUES (?,?,?,?,?)",
                    [tuple(s.values()) for s in subjects.values()])
            if records:
                cols = list(RECORD_COLUMNS)
                self.db.conn.executemany(
                    f"INSERT OR REPLACE INTO records ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [_record_values(r) for r in records.values()])
                firm_uses.add(self.db, firms_before, records)
            self.db.conn.executemany(
                f"INSERT OR REPLACE INTO events ({', '.join(EVENT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})", events)
            figure_state.after(self.db, figures, records, events)
            self.db.conn.execute("INSERT OR REPLACE INTO tracking (name, position) VALUES (?, ?)",
                                 [TRACKING_NAME, last])
        return last

    def _new_record(self, record_id: str, event_name: str, data: dict, position: int, oid: str,
                    subject: dict | None) -> dict:
        kind = KINDS_BY_EVENT.get(event_name)
        kind_key = kind.key if kind else data["kind_key"]  # an office's own kind (KindLogged) names itself
        return {
            "id": record_id, "kind": kind_key, "event": event_name,
            "theme": data.get("theme") or (kind.theme if kind else ""),
            "organisation": subject["organisation"] if subject else data["organisation"],
            "subject_id": oid if subject else None, "subject": subject["name"] if subject else None,
            "occurred_on": data["occurred_on"], "ends_on": data.get("ends_on"),
            "year": int(data["occurred_on"][:4]), "title": data["title"], "notes": data.get("notes") or "",
            "key": data.get("key"), "firms": _dumps(data.get("firms") or []),
            "facts": _dumps_sorted(data.get("facts") or {}),
            "logged_by": data.get("actor"), "logged_at": data.get("timestamp"), "retracted": 0,
            "retraction_reason": None, "version": None, "created_position": position, "last_position": position,
        }

    def _record(self, record_id: str) -> dict:
        return self._row("records", record_id)

    def _subject(self, subject_id: str) -> dict:
        return self._row("subjects", subject_id)

    def _row(self, table: str, row_id: str) -> dict:
        """One row by id as a dict (what sqlite-utils' ``table.get`` gives, without its schema queries)."""
        cursor = self.db.conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", [row_id])
        row = cursor.fetchone()
        if row is None:
            raise NotFoundError(f"{table}: {row_id}")
        return dict(zip([d[0] for d in cursor.description], row))

    # --- reading ---
    def position_at(self, moment: str) -> int:
        """The last position recorded at or before an ISO moment (0 when none)."""
        row = self.db.execute("SELECT MAX(position) FROM events WHERE recorded_at <= ?", [moment]).fetchone()
        return row[0] or 0


class Projector:
    """Pulls the notification log of a source application into a ViewStore."""

    def __init__(self, recorder: Any, store: ViewStore, batch: int = 2000):
        self.recorder = recorder
        self.store = store
        self.batch = batch
        self.lock = threading.RLock()  # one catch-up at a time in this process (others: BEGIN IMMEDIATE)

    def catch_up(self, stop: int | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Fold everything after the tracking position (up to ``stop``); answers the new position."""
        with self.lock:
            position = self.store.position
            while True:
                if stop is not None and position >= stop:
                    return position
                batch = self.recorder.select_notifications(start=position + 1, limit=self.batch, stop=stop)
                if not batch:
                    return position
                position = self.store.apply(batch, expected=position)
                if progress:
                    progress(len(batch))

    def rebuild(self, progress: Callable[[int], None] | None = None, carry: tuple[str, ...] = ()) -> int:
        """Fold the whole log again. A file store is rebuilt into a fresh file (no journal, no indexes
        while it fills, one pass over the log, rows flushed per batch), which then replaces the live
        file's content in one SQLite transaction (the backup API): readers, on their own connections,
        see the old views until that commit and the new ones after it. The figure states the live file
        keeps are made in the fresh one before the swap (projections/figure_state.py). ``carry``: tables that are not
        folded from the log (copies the owner keeps) and go over to the new file as they are."""
        if self.store.path is None:
            self.store.reset()
            with self.store.bulk():
                return self.catch_up(progress=progress)
        live = Path(self.store.path)
        fresh_path = live.with_name(live.name + ".rebuild")
        for leftover in (fresh_path, Path(f"{fresh_path}-journal")):
            leftover.unlink(missing_ok=True)
        fresh = ViewStore(fresh_path, fresh=True)
        try:
            with fresh.bulk():
                for batch in scan_notifications(self.recorder, self.batch):
                    fresh.apply(batch)
                    if progress:
                        progress(len(batch))
            # the figure states the live views keep, made again here so that the first summary after the
            # swap reads kept state, not the year's rows
            figure_state.remake(fresh.db, *figure_state.kept(self.store.db))
            with self.lock:
                fresh.carry_from(live, carry)
                fresh.db.conn.backup(self.store.db.conn)
        finally:
            fresh.db.close()
            fresh_path.unlink(missing_ok=True)
        return self.catch_up(progress=progress)  # what was written while the fresh file filled

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0


Row = namedtuple("Row", "id originator_id originator_version topic state")  # a notification, as the fold reads it


def _hyphenated(hex_id: str) -> str:
    """str(UUID(hex_id)), without building the UUID."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def scan_notifications(recorder: Any, batch: int) -> Iterator[list]:
    """The whole notification log in batches, in one pass: for an SQLite file one read transaction of its
    own over the events table (a consistent snapshot; later events are caught up afterwards), else the
    recorder's own select_notifications pages."""
    db_name = getattr(getattr(getattr(recorder, "datastore", None), "pool", None), "db_name", None)
    table = getattr(recorder, "events_table_name", None)
    if isinstance(db_name, str) and table and not (":memory:" in db_name or "mode=memory" in db_name) \
            and os.path.isfile(db_name):
        conn = sqlite3.connect(f"file:{db_name}?mode=ro", uri=True, isolation_level=None)
        try:
            conn.execute("BEGIN")
            cursor = conn.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
                                  "ORDER BY rowid")
            while True:
                rows = cursor.fetchmany(batch)
                if not rows:
                    return
                yield [Row(r[0], _hyphenated(r[1]) if len(r[1]) == 32 else r[1], r[2], r[3], r[4]) for r in rows]
        finally:
            conn.close()
        return
    if hasattr(recorder, "events_table") and hasattr(getattr(recorder, "datastore", None), "get_connection"):
        yield from _postgres_scan(recorder, batch)
        return
    position = 0
    while True:
        notifications = recorder.select_notifications(start=position + 1, limit=batch)
        if not notifications:
            return
        yield notifications
        position = notifications[-1].id


def _postgres_scan(recorder: Any, batch: int) -> Iterator[list]:
    """PostgreSQL (service/chained_postgres.py names its table ``events_table``): one server-side cursor
    in one read-only transaction, fetched ``batch`` rows at a time."""
    from psycopg.sql import SQL

    with recorder.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
        with conn.cursor(name="taizhang_views_rebuild") as cursor:
            cursor.itersize = batch
            cursor.execute(SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                               "ORDER BY notification_id").format(recorder.events_table))
            while True:
                rows = cursor.fetchmany(batch)
                if not rows:
                    return
                yield [Row(r["notification_id"], str(r["originator_id"]), r["originator_version"], r["topic"],
                           bytes(r["state"])) for r in rows]


def as_of_store(recorder: Any, position: int) -> ViewStore:
    """A fresh in-memory view of the ledger as it stood at ``position``, by the same fold."""
    store = ViewStore(None)
    with store.bulk():
        Projector(recorder, store).catch_up(stop=position)
    return store
