"""Tamper evidence: check the raw stored events against the chain the event store wrote beside them.

Every event's chain link h_n = SHA-256(h_{n-1} ‖ event n) is written by the event store in the event's
own transaction (service/chained_recorder.py; the hash itself is domain/chain.py). ``verify`` reads the
raw rows and the stored links — it writes nothing, so it answers the same on a read-only folder — and
recomputes, per event, the link and the RFC 9162 Merkle leaf. An event without a link is an error: it
was written behind the application's back. The result carries the Merkle leaves, so that the audit
use cases (service/audit.py) can check signed checkpoints and seals against the tree heads without this
module knowing any key.

eventsourcing itself detects no edited, swapped, deleted or inserted row: this module does.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from domain import merkle
from domain.chain import GENESIS, GENESIS_DIGEST, entry_and_link, link

__all__ = ["GENESIS", "link", "raw_rows", "verify", "Verification", "Problem", "load_checkpoint",
           "CHECKPOINT_FORMAT", "SEAL_TOPIC"]

CHECKPOINT_FORMAT = "taizhang-checkpoint/1"
SEAL_TOPIC = "taizhang:YearClosed"
LINK_PAGE = 20000
ORPHANS_NAMED = 20  # links without their event named one by one


def raw_rows(recorder: Any, page: int = 5000, stop: int | None = None) -> Iterator[Any]:
    """Every stored event as the store holds it, in notification order."""
    position = 0
    while True:
        batch = recorder.select_notifications(start=position + 1, limit=page, stop=stop)
        if not batch:
            return
        yield from batch
        position = batch[-1].id


def chain_checkpoint(recorder: Any) -> dict:
    """The store's chain head now, as the small JSON an auditor keeps offline (the unsigned kind)."""
    position, head = recorder.chain_head()
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
    seals: list[dict] = field(default_factory=list)  # as the raw YearClosed rows say, with their event position
    leaves: list[bytes] = field(default_factory=list, repr=False)  # the Merkle leaf of each event, in order
    positions: list[int] = field(default_factory=list, repr=False)  # the position of each leaf
    heads: dict[int, str] = field(default_factory=dict, repr=False)  # recomputed links at the positions asked for
    kept: list[tuple[int, Any, Any]] = field(default_factory=list, repr=False)  # (position, topic, state) asked for

    def fail(self, position: int | None, why: str) -> None:
        self.ok = False
        self.problems.append(Problem(position, why))

    def sort(self) -> None:
        """The first problem is the first bad position (the store's own integrity check, which has none, first)."""
        self.problems.sort(key=lambda problem: -1 if problem.position is None else problem.position)

    def root(self, size: int | None = None) -> bytes:
        """The Merkle tree head over the first ``size`` events (all by default)."""
        return merkle.root(self.leaves if size is None else self.leaves[:size])

    def position_of_leaf(self, size: int) -> int:
        """The position of the last event of a tree of ``size`` (0 for the empty tree)."""
        return self.positions[size - 1] if 0 < size <= len(self.positions) else 0

    def as_json(self) -> dict:
        return {"ok": self.ok, "position": self.position, "head": self.head, "events": self.events,
                "problems": [{"position": p.position, "why": p.why} for p in self.problems], "notes": self.notes}


def chained_rows(recorder: Any, orphans: list[int], page: int = 5000) -> Iterator[tuple]:
    """(position, originator id, version, topic, state, stored link or None) of every stored event, in
    order, streamed a page at a time (no map of the whole chain is held); the positions of links without
    their event are added to ``orphans``. The store's own one-statement join when it has it (SQLite),
    else its events merged with pages of its links."""
    if hasattr(recorder, "select_chained_events"):
        position = 0
        while True:
            batch = recorder.select_chained_events(start=position + 1, limit=page)
            if not batch:
                break
            yield from batch
            position = batch[-1][0]
        orphans.extend(recorder.select_orphan_links(limit=ORPHANS_NAMED))
        return
    pages = _link_pages(recorder)
    links: list[tuple[int, str]] = []
    i = 0
    for n in raw_rows(recorder):
        while True:
            if i == len(links):
                links, i = next(pages, []), 0
                if not links:
                    pages = iter(())
                    break
            if links[i][0] >= n.id:
                break
            orphans.append(links[i][0])  # a link below this event's position that no event had
            i += 1
        hit = i < len(links) and links[i][0] == n.id
        yield n.id, n.originator_id, n.originator_version, n.topic, n.state, links[i][1] if hit else None
        i += hit
    orphans.extend(p for p, _ in links[i:])
    for rest in pages:
        orphans.extend(p for p, _ in rest)


def _link_pages(recorder: Any) -> Iterator[list[tuple[int, str]]]:
    if not hasattr(recorder, "select_links"):
        return
    start = 1
    while True:
        batch = recorder.select_links(start=start, limit=LINK_PAGE)
        if not batch:
            return
        yield batch
        start = batch[-1][0] + 1


def verify(recorder: Any, *, checkpoint: dict | None = None, integrity: Callable[[], list[str]] | None = None,
           contiguous_positions: bool = True, decode: Callable[[Any, int, Any, Any], Any] | None = None,
           heads_at: set[int] = frozenset(), keep_topics: frozenset = frozenset()) -> Verification:
    """Recompute the chain and the Merkle leaves from the raw rows and check them against the stored chain.

    Checks, in order: the store's own integrity check; every (originator, version) once and each
    originator's versions 1..n without gaps; positions without gaps (SQLite: a gap is a deleted row);
    every event has its stored link, equal to the recomputed one (an edited, swapped or inserted row
    breaks it); no link without its event (a deleted row); each event reads back (``decode``, called
    with the originator id, version, topic and state as stored, raising when the application cannot
    read the event); every seal's head; an unsigned checkpoint's head (``checkpoint``: position and
    head). Writes nothing. The raw (position, topic, state) of the events of ``keep_topics`` are kept in
    ``kept``, in order, for checks of their own (the evidence files: service/evidence.py).
    """
    result = Verification()
    if integrity is not None:
        for message in integrity():
            result.fail(None, f"store integrity check: {message}")
    if not hasattr(recorder, "select_links"):
        result.fail(None, "this event store keeps no chain: every event is unvouched for")
    wanted = set(heads_at)
    for n in recorder.select_notifications(start=1, limit=1_000_000, topics=[SEAL_TOPIC]):
        seal = _seal(n)  # the seals first: the links at their positions come before them
        if seal is not None:
            wanted.add(int(seal["position"]))
    if checkpoint:
        wanted.add(int(checkpoint["position"]))
    versions: dict[Any, int] = {}
    seen: set[tuple[Any, int]] = set()
    head, previous_position, unlinked, orphans = GENESIS_DIGEST, 0, [], []
    leaves, positions, leaf_hash, fail = result.leaves, result.positions, merkle.leaf_hash, result.fail
    events = 0
    for position, oid, version, topic, state, stored in chained_rows(recorder, orphans):
        events += 1
        key = (oid, version)
        if key in seen:
            fail(position, f"duplicate event {oid} v{version}")
        seen.add(key)
        last = versions.get(oid, 0)
        if version != last + 1:
            if version > last + 1:
                fail(position, f"{oid} jumps from version {last} to {version}: an event is missing")
            versions[oid] = max(last, version)
        else:
            versions[oid] = version
        if position != previous_position + 1 and contiguous_positions:
            gone = f"position {position - 1} is" if position - 1 == previous_position + 1 else \
                f"positions {previous_position + 1}–{position - 1} are"
            fail(previous_position + 1, f"{gone} missing: rows were deleted")
        previous_position = position
        if type(state) is not bytes and not isinstance(state, (bytes, bytearray, memoryview)):
            fail(position, f"state stored as {type(state).__name__}, not bytes: written outside the application")
        try:  # the canonical bytes once: the Merkle leaf and the chain link are both made from them
            entry, digest = entry_and_link(head, position, oid, version, topic, state)
        except (TypeError, ValueError, struct.error) as e:
            fail(position, f"stored row cannot be read as an event ({e}): written outside the application")
            head = _digest(stored, head)
            continue
        leaves.append(leaf_hash(entry))
        positions.append(position)
        head = digest
        if stored is None:
            unlinked.append(position)
        elif stored != digest.hex():
            fail(position, "chain hash differs from the link stored with the event: this event (or one before "
                           "it since the last good link) was altered, swapped or inserted")
            head = _digest(stored, head)  # resynchronise so that later damage is reported on its own
        if position in wanted:
            result.heads[position] = digest.hex()
        if decode is not None:
            try:
                decode(oid, version, topic, state)
            except Exception as e:  # a row the application cannot read must be reported, not crash the check
                fail(position, f"the event cannot be read ({type(e).__name__}: {e}): written outside the "
                               "application")
        if topic in keep_topics:
            result.kept.append((position, topic, state))
        if topic == SEAL_TOPIC:
            seal = _seal_of(position, state)
            if seal is None:
                fail(position, "a year's seal that cannot be read: written outside the application")
            else:
                result.seals.append(seal)
    result.events = events
    for p in unlinked[:20]:
        result.fail(p, "event without its chain link: written behind the application's back")
    if len(unlinked) > 20:
        result.fail(unlinked[20], f"… and {len(unlinked) - 20} more events without their chain link")
    for p in orphans[:ORPHANS_NAMED]:
        result.fail(p, "a chained event is no longer in the store: deleted")
    origin = recorder.chain_origin() if hasattr(recorder, "chain_origin") else None
    if origin and origin["chained_through"]:
        result.notes.append(f"positions 1–{origin['chained_through']} were chained when this ledger was first "
                            f"started with the write-time chain ({origin['chained_at']}), not as they were written")
    result.position, result.head = previous_position, head.hex()
    _check_seal_heads(result, wanted)
    if checkpoint:
        p = int(checkpoint["position"])
        if p > previous_position:
            result.fail(previous_position + 1, f"checkpoint at position {p} is beyond the store's last event "
                                               f"{previous_position}: the tail from {previous_position + 1} on "
                                               "was deleted")
        elif result.heads.get(p) != checkpoint["head"]:
            result.fail(p, "the chain at the checkpoint's position differs from the checkpoint: history was "
                           "rewritten before it")
    result.sort()
    return result


def _digest(stored: Any, head: bytes) -> bytes:
    """The stored link as a digest, to go on from; ``head`` when there is none or it is not a SHA-256 in hex."""
    try:
        digest = bytes.fromhex(stored)
    except (TypeError, ValueError):
        return head
    return digest if len(digest) == 32 else head


def _seal(n: Any) -> dict | None:
    return _seal_of(n.id, n.state)


def _seal_of(position: int, state: Any) -> dict | None:
    try:
        data = json.loads(bytes(state) if not isinstance(state, str) else state)
        seal = {k: data[k] for k in ("organisation", "year", "position", "head")}
    except (ValueError, KeyError, TypeError):
        return None
    seal.update(hmac=data.get("hmac") or "", note=data.get("note") or "", event_position=position)
    return seal


def _check_seal_heads(result: Verification, wanted: set[int]) -> None:
    for s in result.seals:
        p = int(s["position"])
        if p > result.position:
            result.fail(result.position + 1, f"seal of {s['organisation']} {s['year']}: sealed at position {p}, "
                                             f"beyond the store's last event {result.position}: the tail was deleted")
        elif result.heads.get(p) != s["head"]:
            result.fail(p, f"seal of {s['organisation']} {s['year']}: the chain at the sealed position no longer "
                           "matches the seal")


def load_checkpoint(text: str) -> dict:
    """An unsigned checkpoint (the JSON of ``chain_checkpoint``)."""
    data = json.loads(text)
    if data.get("format") != CHECKPOINT_FORMAT or "position" not in data or "head" not in data:
        raise ValueError("not a taizhang checkpoint file")
    return data
