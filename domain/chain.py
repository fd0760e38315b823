"""What one stored event contributes to the ledger's evidence: its canonical bytes, its chain link and
its Merkle leaf.

An event's canonical bytes are its position, originator id, version, topic and state as stored, each
length-prefixed (positions and versions as 8-byte big-endian integers). The hash chain is
h_0 = 32 zero bytes, h_n = SHA-256(h_{n-1} ‖ canonical bytes of event n); the Merkle leaf of an event
is RFC 9162's leaf hash SHA-256(0x00 ‖ canonical bytes). The event store writes the link beside the
event in the event's own transaction (service/chained_recorder.py); ``verify`` (projections/chain.py)
recomputes both from the raw rows.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Any

GENESIS = "0" * 64
GENESIS_DIGEST = bytes(32)
_int8 = struct.Struct(">q").pack  # positions and versions
_len4 = struct.Struct(">I").pack  # the length before each variable part


def _raw(value: Any) -> bytes:
    """Bytes as stored; text (what SQL's replace() leaves in a BLOB column) as its UTF-8."""
    return value.encode() if isinstance(value, str) else bytes(value)


def entry_bytes(position: int, originator_id: Any, version: int, topic: Any, state: Any) -> bytes:
    """The canonical bytes of one stored event (TypeError/struct.error when a part is not storable)."""
    oid = str(originator_id).encode()
    topic = topic.encode() if type(topic) is str else _raw(topic)  # the common types without a call
    state = state if type(state) is bytes else _raw(state)
    return b"".join((_int8(position), _len4(len(oid)), oid, _int8(version), _len4(len(topic)), topic,
                     _len4(len(state)), state))


def entry_and_link(previous: bytes, position: int, originator_id: Any, version: int, topic: Any,
                   state: Any) -> tuple[bytes, bytes]:
    """An event's canonical bytes and its chain link, both from one encoding: ``previous`` and the link
    are raw 32-byte digests (``link`` is the same hash in hex; the Merkle leaf is made from the bytes)."""
    entry = entry_bytes(position, originator_id, version, topic, state)
    return entry, hashlib.sha256(previous + entry).digest()


def link(previous_hex: str, position: int, originator_id: Any, version: int, topic: Any, state: Any) -> str:
    """The chain hash of one stored event after ``previous_hex``."""
    return hashlib.sha256(bytes.fromhex(previous_hex)
                          + entry_bytes(position, originator_id, version, topic, state)).hexdigest()


def links(previous_hex: str, rows: Any) -> list[tuple[int, str]]:
    """(position, link) for rows of (position, originator_id, version, topic, state), in order."""
    out = []
    for position, oid, version, topic, state in rows:
        previous_hex = link(previous_hex, position, oid, version, topic, state)
        out.append((position, previous_hex))
    return out
