"""Tamper evidence: a hash chain over the raw stored events, in notification order.

h_0 = 32 zero bytes; h_n = SHA-256(h_{n-1} ‖ position ‖ originator id ‖ version ‖ topic ‖ state), each
part length-prefixed. The chain is a pull projection kept in the views file; ``verify`` recomputes
it from the raw rows and checks it against the stored chain, the seals of closed years (their HMAC
needs the key kept outside the database) and an offline checkpoint an auditor kept.

eventsourcing itself detects no edited, swapped, deleted or inserted row: this module does.
"""
from __future__ import annotations

import hashlib
import json
import struct
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from domain.years import seal_is_valid

GENESIS = "0" * 64
CHECKPOINT_FORMAT = "taizhang-checkpoint/1"


def _part(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _raw(value: Any) -> bytes:
    """Bytes as stored; text (what SQL's replace() leaves in a BLOB column) as its UTF-8."""
    return value.encode() if isinstance(value, str) else bytes(value)


def link(previous_hex: str, position: int, originator_id: Any, version: int, topic: str, state: bytes) -> str:
    """The chain hash of one stored event after ``previous_hex``."""
    h = hashlib.sha256(bytes.fromhex(previous_hex))
    h.update(struct.pack(">q", position))
    h.update(_part(str(originator_id).encode()))
    h.update(struct.pack(">q", version))
    h.update(_part(_raw(topic)))
    h.update(_part(_raw(state)))
    return h.hexdigest()


def raw_rows(recorder: Any, page: int = 5000, stop: int | None = None) -> Iterator[Any]:
    """Every stored event as the store holds it, in notification order."""
    position = 0
    while True:
        batch = recorder.select_notifications(start=position + 1, limit=page, stop=stop)
        if not batch:
            return
        yield from batch
        position = batch[-1].id


class Chain:
    """The stored chain (table ``chain`` in the views file), extended by pulling new events."""

    def __init__(self, recorder: Any, store: Any):
        """``store``: the ViewStore whose file holds the chain (its ``db`` is per thread)."""
        self.recorder = recorder
        self.store = store
        self.lock = threading.Lock()
        if "chain" not in self.db.table_names():
            self.db["chain"].create({"position": int, "hash": str}, pk="position")

    @property
    def db(self) -> Any:
        return self.store.db

    def head(self) -> tuple[int, str]:
        row = self.db.execute("SELECT position, hash FROM chain ORDER BY position DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def hash_at(self, position: int) -> str | None:
        row = self.db.execute("SELECT hash FROM chain WHERE position = ?", [position]).fetchone()
        return row[0] if row else None

    def catch_up(self, batch: int = 5000) -> tuple[int, str]:
        with self.lock:
            while True:
                position, head = self.head()
                rows = self.recorder.select_notifications(start=position + 1, limit=batch)
                if not rows:
                    return position, head
                links = []
                for n in rows:
                    head = link(head, n.id, n.originator_id, n.originator_version, n.topic, n.state)
                    links.append((n.id, head))
                conn = self.db.conn
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # another process may have extended the chain meanwhile: then fold again from its head
                    if self.head()[0] == position:
                        conn.executemany("INSERT INTO chain (position, hash) VALUES (?, ?)", links)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

    def checkpoint(self) -> dict:
        position, head = self.catch_up()
        return {"format": CHECKPOINT_FORMAT, "position": position, "head": head,
                "taken_at": datetime.now(timezone.utc).isoformat()}


@dataclass
class Problem:
    position: int | None
    why: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.why}" if self.position is not None else self.why


@dataclass
class Verification:
    ok: bool = True
    position: int = 0
    head: str = GENESIS
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, position: int | None, why: str) -> None:
        self.ok = False
        self.problems.append(Problem(position, why))

    def as_json(self) -> dict:
        return {"ok": self.ok, "position": self.position, "head": self.head, "events": self.events,
                "problems": [{"position": p.position, "why": p.why} for p in self.problems], "notes": self.notes}


def verify(recorder: Any, chain: Chain, *, seals: list[dict] = (), checkpoint: dict | None = None,
           seal_key: bytes | None = None, integrity: Callable[[], list[str]] | None = None,
           contiguous_positions: bool = True) -> Verification:
    """Recompute the chain from the raw rows and check it against everything that vouches for it.

    Checks, in order: the store's own integrity check; every (originator, version) once and each
    originator's versions 1..n without gaps; positions without gaps (SQLite: a gap is a deleted row);
    every stored chain link equal to the recomputed one (an edited, swapped or deleted row breaks it);
    every seal's head and HMAC; the checkpoint's head. Events after the chained head are listed as
    not yet chained, and are still checked for structure.
    """
    result = Verification()
    if integrity is not None:
        for message in integrity():
            result.fail(None, f"store integrity check: {message}")
    stored = dict(chain.db.execute("SELECT position, hash FROM chain").fetchall())
    chained_head = max(stored) if stored else 0
    heads_wanted = {int(s["position"]) for s in seals}
    if checkpoint:
        heads_wanted.add(int(checkpoint["position"]))
    heads: dict[int, str] = {}
    versions: dict[str, int] = {}
    seen: set[tuple[str, int]] = set()
    head, previous_position, unchained = GENESIS, 0, 0
    present: set[int] = set()
    for n in raw_rows(recorder):
        result.events += 1
        oid = str(n.originator_id)
        if (oid, n.originator_version) in seen:
            result.fail(n.id, f"duplicate event {oid} v{n.originator_version}")
        seen.add((oid, n.originator_version))
        last = versions.get(oid, 0)
        if n.originator_version > last + 1:
            result.fail(n.id, f"{oid} jumps from version {last} to {n.originator_version}: an event is missing")
        versions[oid] = max(last, n.originator_version)
        present.add(n.id)
        if contiguous_positions and n.id != previous_position + 1:
            gone = f"position {n.id - 1} is" if n.id - 1 == previous_position + 1 else \
                f"positions {previous_position + 1}–{n.id - 1} are"
            result.fail(previous_position + 1, f"{gone} missing: rows were deleted")
        previous_position = n.id
        if not isinstance(n.state, (bytes, bytearray, memoryview)):
            result.fail(n.id, f"state stored as {type(n.state).__name__}, not bytes: written outside the application")
        try:
            head = link(head, n.id, n.originator_id, n.originator_version, n.topic, n.state)
        except (TypeError, ValueError, struct.error) as e:
            result.fail(n.id, f"stored row cannot be read as an event ({e}): written outside the application")
            head = stored.get(n.id, head)
            continue
        if n.id in heads_wanted:
            heads[n.id] = head
        if n.id in stored:
            if stored[n.id] != head:
                result.fail(n.id, "chain hash differs from the stored chain: this event (or one before it "
                                  "since the last good link) was altered, swapped or inserted")
                head = stored[n.id]  # resynchronise so that later damage is reported on its own
        elif n.id <= chained_head:
            result.fail(n.id, "event not in the stored chain: inserted after the fact")
        else:
            unchained += 1
    missing = sorted(p for p in stored if p not in present)
    for p in missing[:20]:
        result.fail(p, "chained event no longer in the store: deleted")
    if unchained:
        result.notes.append(f"{unchained} newest events are not chained yet")
    result.position, result.head = previous_position, head
    for s in seals:
        where = f"seal of {s['organisation']} {s['year']}"
        recomputed = heads.get(int(s["position"]))
        if recomputed != s["head"]:
            result.fail(int(s["position"]), f"{where}: the chain at the sealed position no longer matches the seal")
        if seal_key is None:
            result.notes.append(f"{where}: HMAC not checked (TAIZHANG_SEAL_KEY not given)")
        elif not seal_is_valid(seal_key, s["organisation"], int(s["year"]), int(s["position"]), s["head"], s["hmac"]):
            result.fail(int(s["position"]), f"{where}: HMAC does not match: the seal was not made with the key")
    if checkpoint:
        p = int(checkpoint["position"])
        if p > previous_position:
            result.fail(previous_position + 1, f"checkpoint at position {p} is beyond the store's last event "
                                               f"{previous_position}: the tail from {previous_position + 1} on "
                                               "was deleted")
        elif heads.get(p) != checkpoint["head"]:
            result.fail(p, "the chain at the checkpoint's position differs from the checkpoint: history was "
                           "rewritten before it")
    # the first problem is the first bad position (the store's own integrity check, which has none, first)
    result.problems.sort(key=lambda problem: -1 if problem.position is None else problem.position)
    return result


def load_checkpoint(text: str) -> dict:
    data = json.loads(text)
    if data.get("format") != CHECKPOINT_FORMAT or "position" not in data or "head" not in data:
        raise ValueError("not a taizhang checkpoint file")
    return data
