"""verify's read-back check (service/readback.py) is never more lenient than the application's own read.

The quick path skips building each domain event; every row it accepts must be one that
``Mapper.to_domain_event`` reads, and every row it refuses is answered by ``to_domain_event`` itself.
The demo ledger's rows, then the same rows damaged in ways a hand edit would (and random bytes).
"""
from __future__ import annotations

import json
import random
import sqlite3
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from scripts.demo import demo_payloads
from service.audit import _reads_back
from service.chained_recorder import _uuid_text
from service.ledger import Ledger

EDITS = [(b"20", b"2x"), (b'"_data_":"', b'"_data_":1,"x":"'), (b"datetime_iso", b"datetime_isx"), (b"{", b"["),
         (b"}", b""), (b'"class_version":2', b'"class_version":1'), (b'"class_version":2', b'"class_version":"2"'),
         (b'"', b'\\u0022'), (b":", b"::"), (b'"title"', b'"_type_"'), (b'"title"', b'"\\u005ftype_"'), (b"T", b"\xff"),
         (b'"key":', b'"key":NaN,"k":'), (b'{"_type_"', b'{"_data_":"1","_type_"')]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readback")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("PERSISTENCE_MODULE", "TAIZHANG_PERSISTENCE_MODULE"):
            mp.delenv(name, raising=False)
        ledger = Ledger({"TAIZHANG_DATA": str(folder)})
        ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
        yield ledger
        ledger.close()


def rows(ledger) -> list[tuple]:
    con = sqlite3.connect(ledger.recorder.datastore.pool.db_name)
    try:
        return con.execute("SELECT originator_id, originator_version, topic, state FROM stored_events").fetchall()
    finally:
        con.close()


def app_reads(ledger, oid: str, version: int, topic, state) -> bool:
    try:
        ledger.mapper.to_domain_event(StoredEvent(UUID(oid), version, topic, state))
    except Exception:  # noqa: BLE001
        return False
    return True


def test_every_row_the_application_wrote_takes_the_quick_path(ledger):
    read = _reads_back(ledger)
    stored = rows(ledger)
    for oid, version, topic, state in stored:
        read(_uuid_text(oid), version, topic, state)
    assert stored and read.full_reads == 0


def test_a_damaged_row_is_accepted_only_when_the_application_reads_it(ledger):
    read, rng, stored = _reads_back(ledger), random.Random(9), rows(ledger)
    accepted = refused = 0
    for _ in range(3000):
        oid, version, topic, state = rng.choice(stored)
        if rng.random() < 0.6:
            old, new = rng.choice(EDITS)
            state = state.replace(old, new, rng.choice([1, -1]))
        else:
            i = rng.randrange(len(state))
            state = state[:i] + bytes([rng.randrange(256)]) + state[i + 1:]
        if rng.random() < 0.05:
            topic = rng.choice(["taizhang:Nothing", "json:loads", "builtins:int", topic + "x"])
        quick = read._reads(_uuid_text(oid), topic, state)
        reads = app_reads(ledger, oid, version, topic, state)
        assert reads or not quick, (topic, state)
        accepted += quick
        refused += not reads
        if not reads:  # and the check itself raises, as the application does
            with pytest.raises(Exception):
                read(_uuid_text(oid), version, topic, state)
    assert accepted and refused  # both sides were exercised


def test_an_originator_id_that_is_no_uuid_is_refused(ledger):
    oid, version, topic, state = rows(ledger)[0]
    with pytest.raises(ValueError):
        _reads_back(ledger)("not-a-uuid", version, topic, state)
