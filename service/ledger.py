"""The ledger application: use cases over eventsourcing's stores.

The only place that chooses storage: eventsourcing's SQLite module under the data folder by default
(``TAIZHANG_DATA``, else ``./var``), PostgreSQL when the environment names eventsourcing's postgres
module. Every use case returns ids or plain values; library errors become domain errors.

Why one file of ~500 lines: it is one eventsourcing ``Application`` subclass, whose use cases (log,
correct, retract, import, export, close a year's seal, read) share its repository, write lock and
transcoder; splitting the class across files would hide that they share one store. The audit use
cases that need the read model as well are in service/audit.py.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.actions import Action
from domain.catalogue import KINDS_BY_EVENT, KINDS_BY_KEY, Kind
from domain.errors import ConflictError, KeyReused, RecordNotFound
from domain.subjects import SUBJECT_CLASSES, Entry
from domain.template import DEFAULT_NAME, Template, default_template, parse
from domain.template_log import (
    SummaryTemplate,
    TemplateChoices,
    choices_id,
    template_id,
)
from domain.years import Year, YearAlreadyClosed, seal_hmac
from service.schemas import InvalidInput, dump_action, load_action, load_changes
from service.scope import EVERYTHING, Scope

NAMESPACE = UUID("6f1d6f4e-2b1a-5c1e-9d1e-7461697a6861")  # fixed: ids must be the same on every machine
EVENT_FIELDS = ("occurred_on", "ends_on", "title", "notes", "theme", "firms")
IMPORT_BATCH = 1000  # records per transaction when an import stores
LOOKUP_CHUNK = 500  # ids per existence query
CHAINED_RECORDERS = {"eventsourcing.sqlite": "service.chained_recorder:ChainedSQLiteRecorder",
                     "eventsourcing.postgres": "service.chained_postgres:ChainedPostgresRecorder"}


class StorageError(RuntimeError):
    """The store is not set up the way the ledger needs (journal mode, sync level)."""


class SealKeyMissing(RuntimeError):
    """Closing a year needs TAIZHANG_SEAL_KEY, which is never stored in the database."""


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def data_folder(env: dict | None = None) -> Path:
    folder = Path((env or {}).get("TAIZHANG_DATA") or os.environ.get("TAIZHANG_DATA") or "var")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_env(env: dict | None = None) -> dict:
    """The eventsourcing environment: SQLite under the data folder unless PostgreSQL is chosen."""
    env = dict(env or {})
    chosen = env.get("PERSISTENCE_MODULE") or os.environ.get("PERSISTENCE_MODULE") \
        or os.environ.get("TAIZHANG_PERSISTENCE_MODULE")
    if not chosen:
        env["PERSISTENCE_MODULE"] = chosen = "eventsourcing.sqlite"
        env.setdefault("SQLITE_DBNAME", str(data_folder(env) / "ledger.sqlite"))
    # the recorder that writes each event's chain link in the event's own transaction
    env.setdefault("APPLICATION_RECORDER_TOPIC", CHAINED_RECORDERS.get(chosen, ""))
    return env


def seal_key() -> bytes:
    """The seal key, from the environment only: never stored in the database."""
    key = os.environ.get("TAIZHANG_SEAL_KEY")
    if not key:
        raise SealKeyMissing("TAIZHANG_SEAL_KEY is not set: closing a year needs the seal key (kept outside the database)")
    return key.encode()


def record_id_for(key: str) -> UUID:
    return uuid5(NAMESPACE, key)


def content_digest(kind: Kind, values: dict) -> str:
    """A digest of an action's content, as its kind's JSON (canonical: sorted keys, no spaces)."""
    body = json.dumps(dump_action(kind, None, values), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def content_key(kind: Kind, values: dict, counted: dict[str, int]) -> str:
    """The idempotency key of an import line without one: its content's digest and how many lines of
    the same content came before it in the file (``counted``, updated), so that two identical lines
    are two records, and importing the file again adds neither."""
    digest = content_digest(kind, values)
    before = counted.get(digest, 0)
    counted[digest] = before + 1
    return f"content:{digest[:32]}:{before}"


def default_actor() -> str:
    return os.environ.get("TAIZHANG_ACTOR") or getpass.getuser()


@dataclass
class Logged:
    """What ``log`` answers: the record's id, and whether this call created it."""

    id: UUID
    created: bool
    # the new record as ``get`` would answer it, made from the aggregate just saved (None when not created)
    record: dict | None = field(default=None, compare=False, repr=False)


@dataclass
class LineError:
    line: int
    messages: dict

    def __str__(self) -> str:
        from service.schemas import format_messages
        text = format_messages(self.messages).replace("\n", "; ")
        return f"line {self.line}: {text}"


class ImportRefused(InvalidInput):
    """A file with bad lines: nothing of it was stored."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        ValueError.__init__(self, "\n".join(str(e) for e in errors))
        self.messages = {str(e.line): e.messages for e in errors}


@dataclass
class ImportReport:
    lines: int = 0
    added: int = 0
    already_there: int = 0
    ids: list = field(default_factory=list)


def record_version(record: Any, holder: Any) -> int:
    """A record's own version: 1 when logged, +1 per correction or retraction (its history rows).

    An action is its own aggregate, so its aggregate version is the record's. A fact about a chamber or
    an enterprise lives in its subject's aggregate, whose version counts every event of the subject
    (its registration and all its facts): the fact counts its own. Stored events are left as they are.
    """
    return holder.version if holder is record else record.version


def _split(values: dict) -> tuple[dict, dict]:
    """Common event attributes, and the kind's own facts."""
    common = {k: values.get(k) for k in EVENT_FIELDS}
    common["firms"] = list(common["firms"] or [])
    facts = {k: v for k, v in values.items() if k not in EVENT_FIELDS and k != "organisation" and v is not None}
    return common, facts



class _Collected(ProcessingEvent):
    """eventsourcing's ProcessingEvent, collecting from this ledger's aggregates (eventsourcing Aggregates)
    without its two isinstance checks against runtime protocols per object (37 µs on Python 3.11, a tenth
    of an import line's time); anything else goes the library's way."""

    def collect_events(self, *objs, **kwargs) -> None:
        rest = []
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                rest.append(obj)
        super().collect_events(*rest, **kwargs)

class Ledger(Application):
    """The work ledger. Use cases: log, correct, retract, get, history, import, export."""

    name = "taizhang"

    def __init__(self, env: dict | None = None) -> None:
        super().__init__(store_env(env))
        self._templates: dict[str, Template] = {}  # parsed template revisions by digest (revisions never change)
        self._templates_lock = threading.Lock()
        # Writers of this process queue in-process rather than on the database's lock (SQLite's busy
        # handler sleeps in growing steps, up to 100 ms; PostgreSQL's table lock is one writer at a time):
        # the chained recorders group them into shared transactions (service/group_commit.py); any other
        # recorder takes them one at a time here.
        self._write_lock = None if hasattr(self.recorder, "_write_group") else threading.Lock()
        self._known: dict[UUID, tuple[int, Any]] = {}  # template and choice aggregates: (version, aggregate)
        self.check_storage()

    def save(self, *objs, **kwargs):
        if self._write_lock is None:
            return self._save(*objs, **kwargs)
        with self._write_lock:
            return self._save(*objs, **kwargs)

    def _save(self, *objs, **kwargs):
        """Application.save, with a ProcessingEvent that knows this ledger's aggregates (_Collected)."""
        processing_event = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- storage ---
    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.recorder, SQLiteApplicationRecorder)

    def check_storage(self) -> None:
        """SQLite must be in WAL mode with synchronous=FULL: an acknowledged record survives power loss."""
        if not self.is_sqlite:
            return
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA journal_mode")
            mode = c.fetchone()[0]
            c.execute("PRAGMA synchronous")
            sync = c.fetchone()[0]
        memory = self.recorder.datastore.pool.is_sqlite_memory_mode
        if not memory and mode.lower() != "wal":
            raise StorageError(f"SQLite journal_mode is {mode}, not wal")
        if sync < 2:
            raise StorageError(f"SQLite synchronous is {sync}, not FULL (2): acknowledged records could be lost")

    def storage_settings(self) -> dict:
        if not self.is_sqlite:
            return {"store": "postgres"}
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA journal_mode")
            mode = c.fetchone()[0]
            c.execute("PRAGMA synchronous")
            sync = c.fetchone()[0]
        return {"store": "sqlite", "file": self.recorder.datastore.pool.db_name, "journal_mode": mode,
                "synchronous": sync}

    def integrity_check(self) -> list[str]:
        """The store's own integrity check: problems found (empty when all is well)."""
        if self.is_sqlite:
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute("PRAGMA integrity_check")
                rows = [r[0] for r in c.fetchall()]
            return [] if rows == ["ok"] else rows
        # PostgreSQL: the server checksums pages itself; here we check the events table reads whole
        from psycopg.sql import SQL, Identifier

        statement = SQL("SELECT COUNT(*) AS total, COUNT(DISTINCT (originator_id, originator_version)) AS distinct_rows FROM {}.{}").format(
            Identifier(self.recorder.datastore.schema), Identifier(self.recorder.events_table_name))
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(statement)
            row = c.fetchone()
        total, distinct = list(row.values()) if isinstance(row, dict) else list(row)
        return [] if total == distinct else [f"{total - distinct} duplicate (originator, version) rows"]

    # --- templates: which kinds a record may be of ---
    def _current(self, aggregate_id: UUID, cls: type) -> Any:
        """The aggregate as stored now, read again only when the store holds a newer event of it than
        this process last saw (one indexed query otherwise): templates and choices change seldom, and
        every write asks for them."""
        with self._templates_lock:
            cached = self._known.get(aggregate_id)
        if cached is not None and not self.recorder.select_events(aggregate_id, gt=cached[0], limit=1):
            return cached[1]
        try:
            agg = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            agg = None
        if agg is not None and not isinstance(agg, cls):
            agg = None
        with self._templates_lock:
            self._known[aggregate_id] = (agg.version if agg is not None else 0, agg)
        return agg

    def template_named(self, name: str) -> Template | None:
        """The latest revision of a template in the log (the built-in one until an office revises it)."""
        agg = self._current(template_id(name), SummaryTemplate)
        if agg is None:
            return default_template() if name == DEFAULT_NAME else None
        with self._templates_lock:
            found = self._templates.get(agg.digest)
        if found is None:
            found = parse(agg.body)
            with self._templates_lock:
                self._templates[agg.digest] = found
        return found

    def chosen_template(self, organisation: str, year: int) -> str:
        choices = self._current(choices_id(organisation), TemplateChoices)
        return (choices.template_for(year) if choices is not None else None) or DEFAULT_NAME

    def template_for(self, organisation: str, year: int) -> Template:
        """The template ``organisation`` uses for ``year``: its kinds are the kinds it may log."""
        return self.template_named(self.chosen_template(organisation, year)) or default_template()

    def _payload_template(self, payload: Any, memo: dict | None = None) -> Template:
        """The template for a payload's organisation and year; the built-in one when either is unreadable
        (the schema then names the bad field)."""
        if not isinstance(payload, dict):
            return default_template()
        organisation, day = payload.get("organisation"), payload.get("occurred_on")
        if not isinstance(organisation, str) or not isinstance(day, str) or not day[:4].isdigit():
            return default_template()
        where = (organisation.strip(), int(day[:4]))
        if memo is not None and where in memo:
            return memo[where]
        found = self.template_for(*where)
        if memo is not None:
            memo[where] = found
        return found

    def kind_of(self, record: Any, holder: Any) -> tuple[Kind, Template]:
        """A stored record's kind, as the template of its organisation and year declares it now."""
        organisation = getattr(record, "organisation", None) or holder.organisation
        template = self.template_for(organisation, record.occurred_on.year)
        kind = template.kinds_by_key.get(record.kind_name)
        if kind is None:  # the template no longer lists it: the built-in definition, else the first one known
            kind = KINDS_BY_KEY.get(record.kind_name) or self._declared_kind(record.kind_name)
            template = default_template()
        return kind, template

    def _declared_kind(self, key: str) -> Kind:
        with self._templates_lock:
            for template in self._templates.values():
                if key in template.kinds_by_key:
                    return template.kinds_by_key[key]
        raise RecordNotFound(key)

    # --- writing ---
    def log(self, payload: dict, actor: str | None = None, scope: Scope = EVERYTHING) -> Logged:
        """Validate and record one action (or one fact about a chamber or an enterprise), in an
        organisation the user's ``scope`` may write in (else OutOfScope, nothing stored)."""
        template = self._payload_template(payload)
        kind, key, values = load_action(payload, template)
        scope.check_write(values["organisation"])
        return self._log(kind, key, values, actor or default_actor(), template)

    def _new_action(self, kind: Kind, key: str, values: dict, actor: str) -> Action:
        common, facts = _split(values)
        return Action.log(kind, id=record_id_for(key), actor=actor, key=key,
                          organisation=values["organisation"], facts=facts, **common)

    def _log(self, kind: Kind, key: str | None, values: dict, actor: str, template: Template | None = None) -> Logged:
        """``template``: the one ``kind`` was validated with (the answer then names it without asking again)."""
        known = (kind, template) if template is not None and template.kinds_by_key.get(kind.key) is kind else None
        key = key or uuid4().hex
        record_id = record_id_for(key)
        if kind.aggregate == "action":
            action = self._new_action(kind, key, values, actor)
            try:
                self.save(action)
            except IntegrityError:
                self._same_or_refuse(record_id, kind, key, values)
                return Logged(record_id, created=False)
            return Logged(record_id, created=True, record=self._describe(record_id, action, action, known))
        for _attempt in range(10):
            if self._exists(record_id):
                self._same_or_refuse(record_id, kind, key, values)
                return Logged(record_id, created=False)
            subject = self._subject(kind, values, actor)
            common, facts = _split(values)
            subject.state(kind, fact_id=record_id, actor=actor, key=key, facts=facts, **common)
            entry = Entry._create(Entry.Made, id=record_id, owner_id=subject.id, kind_event=kind.event)
            try:
                self.save(subject, entry)
            except IntegrityError:
                continue  # the entry exists already, or the subject moved on meanwhile: look again
            return Logged(record_id, created=True, record=self._describe(record_id, subject.fact(record_id), subject, known))
        raise ConflictError(record_id, None, None)

    def _subject(self, kind: Kind, values: dict, actor: str):
        cls = SUBJECT_CLASSES[kind.aggregate]
        org = values["organisation"]
        if kind.aggregate == "chamber":
            name, code = values["chamber"], None
            subject_id = uuid5(NAMESPACE, f"chamber:{org}:{name}")
        else:
            firm = values["firms"][0]
            name, code = firm.get("name") or firm.get("uscc"), firm.get("uscc")
            subject_id = uuid5(NAMESPACE, f"enterprise:{org}:{code or name}")
        try:
            return self.repository.get(subject_id)
        except AggregateNotFoundError:
            kwargs = {"organisation": org, "name": name, "actor": actor}
            if kind.aggregate == "enterprise":
                kwargs["uscc"] = code
            return cls._create(cls.Registered, id=subject_id, **kwargs)

    def logged_values(self, record_id: UUID) -> tuple[Kind, dict]:
        """The record's kind and its values as first logged (before any correction)."""
        record, holder = self._holder(record_id)
        for event in self.repository.event_store.get(holder.id):
            if getattr(event, "fact_id", holder.id if holder is record else None) != record_id:
                continue
            if hasattr(event, "facts"):
                values = {k: getattr(event, k) for k in EVENT_FIELDS}
                values["organisation"] = getattr(event, "organisation", None) or holder.organisation
                values.update(event.facts)
                return self.kind_of(record, holder)[0], values
        raise RecordNotFound(record_id)  # pragma: no cover - a record always starts with its logging event

    def _same_or_refuse(self, record_id: UUID, kind: Kind, key: str, values: dict) -> None:
        """A retried key must carry the content it was first logged with, or the record's content now
        (an export imported back); else KeyReused, and nothing is stored."""
        stored_kind, stored_values = self.logged_values(record_id)
        stored = dump_action(stored_kind, key, stored_values)
        given = dump_action(kind, key, values)
        if given == stored:
            return
        record, holder = self._holder(record_id)
        now = record.fields()
        now["organisation"] = getattr(record, "organisation", None) or holder.organisation
        if given != dump_action(self.kind_of(record, holder)[0], key, now):
            raise KeyReused(record_id, key, stored, given)

    def _exists(self, record_id: UUID) -> bool:
        return bool(self.recorder.select_events(record_id, limit=1))

    def _existing(self, record_ids: list[UUID]) -> set[UUID]:
        """Which of these ids have events: one query per chunk where the recorder can, else one each."""
        if not hasattr(self.recorder, "existing_originators"):
            return {rid for rid in record_ids if self._exists(rid)}
        found: set[UUID] = set()
        for i in range(0, len(record_ids), LOOKUP_CHUNK):
            found |= self.recorder.existing_originators(record_ids[i:i + LOOKUP_CHUNK])
        return found

    def _holder(self, record_id: UUID):
        """(record, aggregate to save): an action is its own holder; a fact's holder is its subject."""
        try:
            agg = self.repository.get(record_id)
        except AggregateNotFoundError:
            raise RecordNotFound(record_id) from None
        if isinstance(agg, Entry):
            subject = self.repository.get(agg.owner_id)
            return subject.fact(record_id), subject
        if isinstance(agg, Action):
            return agg, agg
        raise RecordNotFound(record_id)

    def _version_now(self, record_id: UUID) -> int:
        """The record's own version as stored now (read afresh after a save met another write)."""
        agg = self.repository.get(record_id)
        if isinstance(agg, Entry):
            return self.repository.get(agg.owner_id).fact(record_id).version
        return agg.version

    def correct(self, record_id: UUID, changes: dict, reason: str, actor: str | None = None,
                expected_version: int | None = None, scope: Scope = EVERYTHING) -> int:
        """Correct fields of a record; answers the record's new version (see ``record_version``)."""
        def change(record, holder):
            scope.check_write(_organisation(record, holder))
            kind, template = self.kind_of(record, holder)
            values = load_changes(kind, changes, template)
            if "organisation" in values:
                scope.check_write(values["organisation"])  # nor move it into a unit the user is not of
            if holder is record:
                holder.correct(values, reason, who, kind)
            else:
                holder.correct_fact(record_id, values, reason, who)
        who = actor or default_actor()
        return self._change(record_id, expected_version, change)

    def retract(self, record_id: UUID, reason: str, actor: str | None = None,
                expected_version: int | None = None, scope: Scope = EVERYTHING) -> int:
        """Retract a record; answers the record's new version (see ``record_version``)."""
        def change(record, holder):
            scope.check_write(_organisation(record, holder))
            if holder is record:
                holder.retract(reason, who)
            else:
                holder.retract_fact(record_id, reason, who)
        who = actor or default_actor()
        return self._change(record_id, expected_version, change)

    def _change(self, record_id: UUID, expected_version: int | None, change) -> int:
        """Apply ``change(record, holder)`` and save, checking the record's own version.

        A fact shares its holder (a chamber, an enterprise) with the subject's other facts: when the
        save meets another write to the same subject but this record itself did not move, the change is
        made again on the new state; when the record moved, the caller gets a ConflictError in the
        record's own versions.
        """
        for _attempt in range(10):
            record, holder = self._holder(record_id)
            mine = record_version(record, holder)
            if expected_version is not None and mine != expected_version:
                raise ConflictError(record_id, expected_version, mine)
            change(record, holder)
            try:
                self.save(holder)
            except IntegrityError:
                now = self._version_now(record_id)
                if now != mine:
                    raise ConflictError(record_id, mine, now) from None
                continue  # only another fact of the same subject moved on: do it again on the new state
            return record_version(record, holder)
        raise ConflictError(record_id, expected_version, None)

    # --- closing a year ---
    def close_year(self, organisation: str, year: int, position: int, head: str, actor: str | None = None,
                   key: bytes | None = None, note: str = "", reason: str = "") -> dict:
        """Seal a year at a chain position and head: an Ed25519-signed checkpoint ``note`` (service/audit.py
        makes it), an HMAC under ``key``, or both; ``reason``: an admin's override of the bottom-up rule."""
        if not note:
            key = key or seal_key()
        year_id = uuid5(NAMESPACE, f"year:{organisation}:{year}")
        try:
            agg = self.repository.get(year_id)
        except AggregateNotFoundError:
            agg = Year._create(Year.Opened, id=year_id, organisation=organisation, year=year)
        agg.close(position=position, head=head, hmac=seal_hmac(key, organisation, year, position, head) if key else "",
                  actor=actor or default_actor(), note=note, reason=reason)
        try:
            self.save(agg)
        except IntegrityError:
            raise YearAlreadyClosed(f"{organisation} {year} was closed already") from None
        return {"organisation": organisation, "year": year, **agg.seal}

    # --- reading ---
    def get(self, record_id: UUID, scope: Scope = EVERYTHING) -> dict:
        record, holder = self._holder(record_id)
        scope.check_read(_organisation(record, holder))
        return self._describe(record_id, record, holder)

    def _describe(self, record_id: UUID, record: Any, holder: Any, known: tuple | None = None) -> dict:
        kind, template = known or self.kind_of(record, holder)
        out = {"id": str(record_id), "version": record_version(record, holder), "kind": kind.key,
               "event": record.kind_event, "retracted": record.retracted,
               "retraction_reason": record.retraction_reason, "logged_by": record.logged_by}
        values = record.fields()
        values["organisation"] = getattr(record, "organisation", None) or holder.organisation
        out.update(dump_action(kind, record.key, values, template))
        return out

    def history(self, record_id: UUID, scope: Scope = EVERYTHING) -> list[dict]:
        """The record's story: each event, who, when recorded, when it happened, what changed."""
        record, holder = self._holder(record_id)
        scope.check_read(_organisation(record, holder))
        story: list[dict] = []
        current: dict = {}
        version = 0
        for event in self.repository.event_store.get(holder.id):
            name = type(event).__name__
            about = getattr(event, "fact_id", holder.id if holder is record else None)
            if about != record_id:
                continue
            version += 1  # the record's own version: its history rows, counted
            item: dict[str, Any] = {"version": version, "event": name,
                                    "recorded_at": event.timestamp.isoformat(), "actor": event.actor}
            if hasattr(event, "changes"):
                item["reason"] = event.reason
                item["changes"] = {k: {"from": _plain(current.get(k)), "to": _plain(v)}
                                   for k, v in event.changes.items()}
                current.update(event.changes)
            elif hasattr(event, "reason"):
                item["reason"] = event.reason
            else:
                current = {k: getattr(event, k) for k in EVENT_FIELDS}
                current["organisation"] = getattr(event, "organisation", None) or holder.organisation
                current.update(event.facts)
                item["occurred_on"] = event.occurred_on.isoformat()
                item["values"] = {k: _plain(v) for k, v in current.items()}
            story.append(item)
        return story

    def iter_events(self, start: int = 1, stop: int | None = None, page: int = 1000) -> Iterator[tuple[int, Any]]:
        """Every stored event in notification order, as (position, domain event)."""
        position = start
        while True:
            batch = self.recorder.select_notifications(start=position, limit=page, stop=stop)
            if not batch:
                return
            for n in batch:
                yield n.id, self.mapper.to_domain_event(n)
            position = batch[-1].id + 1

    def current_records(self) -> list[dict]:
        """Every record's current values, in the order records were first logged (one pass over the log)."""
        records: dict[UUID, dict] = {}
        organisations: dict[UUID, str] = {}
        memo: dict = {}
        for _pos, event in self.iter_events():
            if isinstance(event, (SummaryTemplate.Event, TemplateChoices.Event)):
                continue  # templates are no records (taizhang template export writes them)
            if isinstance(event, (Action.Logged,)):
                kind = KINDS_BY_EVENT.get(type(event).__name__)
                if kind is None:  # an office's own kind
                    kind = self._payload_template({"organisation": event.organisation,
                                                   "occurred_on": event.occurred_on.isoformat()}, memo)\
                        .kinds_by_key.get(event.kind_key) or self._declared_kind(event.kind_key)
                values = {k: getattr(event, k) for k in EVENT_FIELDS}
                values.update(event.facts, organisation=event.organisation)
                records[event.originator_id] = {"kind": kind, "key": event.key, "values": values,
                                                "retracted": False}
            elif type(event).__name__ == "Registered":
                organisations[event.originator_id] = event.organisation
            elif hasattr(event, "fact_id") and hasattr(event, "facts"):
                kind = KINDS_BY_EVENT[type(event).__name__]
                values = {k: getattr(event, k) for k in EVENT_FIELDS}
                values.update(event.facts, organisation=organisations[event.originator_id])
                records[event.fact_id] = {"kind": kind, "key": event.key, "values": values, "retracted": False}
            elif hasattr(event, "changes"):
                rid = getattr(event, "fact_id", event.originator_id)
                vals = records[rid]["values"]
                for k, v in event.changes.items():
                    if v is None:
                        vals.pop(k, None)
                    else:
                        vals[k] = v
            elif hasattr(event, "reason"):
                records[getattr(event, "fact_id", event.originator_id)]["retracted"] = True
        return [{"id": rid, **rec} for rid, rec in records.items()]

    # --- files ---
    def export_lines(self) -> Iterator[str]:
        """One JSON line per live (not retracted) record, as ``import`` takes it."""
        for rec in self.current_records():
            if not rec["retracted"]:
                yield json.dumps(dump_action(rec["kind"], rec["key"], rec["values"]), ensure_ascii=False,
                                 sort_keys=True)

    def import_lines(self, lines: Iterable[str], actor: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> ImportReport:
        """Validate every line first; store nothing if any is bad; then store, skipping known keys.

        Known keys are looked up in batches, new records saved IMPORT_BATCH to a transaction;
        ``progress(done, total)`` is told after each batch (total: the valid lines)."""
        actor = actor or default_actor()
        parsed: list[tuple[int, Kind, str, dict]] = []
        errors: list[LineError] = []
        seen: dict[str, int] = {}
        contents: dict[str, int] = {}  # content digest → lines of that content so far (key-less lines)
        templates: dict = {}  # (organisation, year) → the template its lines are checked with
        count = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            count += 1
            try:
                payload = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(LineError(number, {"_line": [f"不是合法的 JSON / not valid JSON: {e.msg}"]}))
                continue
            try:
                kind, key, values = load_action(payload, self._payload_template(payload, templates))
            except InvalidInput as e:
                errors.append(LineError(number, e.messages))
                continue
            if key is None:  # derived from the content (and its count so far): re-importing adds nothing
                key = content_key(kind, values, contents)
            elif key in seen:
                errors.append(LineError(number, {"key": [
                    f"与第 {seen[key]} 行的幂等键重复 / the same key as line {seen[key]}"]}))
                continue
            seen[key] = number
            parsed.append((number, kind, key, values))
        known: set[UUID] = set()
        if not errors and self.recorder.max_notification_id():
            known = self._existing([record_id_for(key) for _n, _k, key, _v in parsed])
            for number, kind, key, values in parsed:  # a known key must come with the content it was logged with
                rid = record_id_for(key)
                if rid in known:
                    try:
                        self._same_or_refuse(rid, kind, key, values)
                    except KeyReused as e:
                        errors.append(LineError(number, {"key": [str(e)]}))
        if errors:
            raise ImportRefused(errors)
        report = ImportReport(lines=count)
        pending: list[Action] = []
        total = len(parsed)

        def flush() -> None:
            if not pending:
                return
            try:
                self.save(*pending)
                report.added += len(pending)
            except IntegrityError:  # someone stored one of them meanwhile: one by one
                for action in pending:
                    try:
                        self.save(action)
                        report.added += 1
                    except IntegrityError:
                        report.already_there += 1
            pending.clear()
            if progress:
                progress(report.added + report.already_there, total)

        for _number, kind, key, values in parsed:
            rid = record_id_for(key)
            report.ids.append(rid)
            if rid in known:  # stored before this import began (checked above, with its content)
                report.already_there += 1
            elif kind.aggregate == "action":
                pending.append(self._new_action(kind, key, values, actor))
                if len(pending) >= IMPORT_BATCH:
                    flush()
            else:
                flush()
                result = self._log(kind, key, values, actor)
                if result.created:
                    report.added += 1
                else:
                    report.already_there += 1
        flush()
        if progress:
            progress(total, total)
        return report


def _organisation(record: Any, holder: Any) -> str:
    """The organisation a record was logged under (a fact's is its subject's)."""
    return getattr(record, "organisation", None) or holder.organisation


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a stored value."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value
