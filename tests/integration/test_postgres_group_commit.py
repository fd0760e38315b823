"""Group commit on PostgreSQL: concurrent appends of one process share a transaction, each request all
or nothing, nobody answered before the commit (service/chained_postgres.py, service/group_commit.py).

On the real server, each test in a schema of its own (tests/integration/test_postgres.py's fixture).
"""
from __future__ import annotations

import threading
import time

import pytest
from eventsourcing.persistence import IntegrityError

from domain.chain import GENESIS, links
from projections.reports import Reports
from service.group_commit import Request
from service.ledger import record_id_for
from tests.helpers import valid_payload
from tests.integration.test_postgres import _connect, pg_ledger, pg_store  # noqa: F401

pytestmark = pytest.mark.postgres


def _hold_first_group(recorder, appends: int):
    """Make the first group's writer wait, holding the commit lock, until all ``appends`` are either in
    its group or queued behind it: those queued then go in one transaction, whatever the scheduler does."""
    group = recorder.__dict__.get("_group")
    if group is None:
        recorder.insert_events([])  # makes the GroupCommit (an empty request writes nothing)
        group = recorder._group
    write, first = group._write, [True]

    def held(requests):
        if first[0]:
            first[0] = False
            deadline = time.monotonic() + 20
            while len(group._queue) + len(requests) < appends and time.monotonic() < deadline:
                time.sleep(0.005)
        return write(requests)

    group._write = held
    return group


def _chain_checks(ledger, tmp_path) -> None:
    """Every stored event has the link recomputed from the raw rows, and verify says so."""
    rows = [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in ledger.recorder.select_notifications(start=1, limit=10_000)]
    assert links(GENESIS, rows) == ledger.recorder.select_links(start=1)
    result = Reports(ledger.recorder, tmp_path / "reports", owner=ledger).verify(
        integrity=ledger.integrity_check, contiguous_positions=False)
    assert result.ok, result.problems


def _stored(ledger, key: str) -> list:
    from service.schemas import load_action

    kind, key, values = load_action(valid_payload("job_fair", key=key, title=f"场次 {key}"),
                                    ledger.template_for("东西湖区工商联", 2020))
    return [ledger.mapper.to_stored_event(e) for e in ledger._new_action(kind, key, values, "tester").collect_events()]


def test_concurrent_logs_share_transactions_and_every_acknowledged_one_is_stored_and_chained(pg_ledger, tmp_path):  # noqa: F811
    pg_ledger.log(valid_payload("job_fair", key="taken", title="先登记的"))
    writers = 12
    group = _hold_first_group(pg_ledger.recorder, writers - 1)  # "taken" appends nothing
    groups_before, requests_before = group.groups, group.requests
    results: dict[str, object] = {}
    start = threading.Barrier(writers)

    def write(i: int) -> None:
        key = "taken" if i == 0 else f"k-{i}"
        start.wait()
        try:
            results[key] = pg_ledger.log(valid_payload("job_fair", key=key, title="先登记的" if i == 0 else f"第{i}场"))
        except Exception as e:  # noqa: BLE001 - the test reports whatever came out
            results[key] = e

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert results["taken"].created is False  # the same key again: the record logged first, nothing new
    for i in range(1, writers):
        assert results[f"k-{i}"].created is True
        assert pg_ledger.get(record_id_for(f"k-{i}"))["title"] == f"第{i}场"
    requests = group.requests - requests_before
    assert requests >= writers - 1
    assert group.groups - groups_before < requests  # shared: fewer transactions than appends
    assert len(pg_ledger.recorder.select_notifications(start=1, limit=100)) == writers
    _chain_checks(pg_ledger, tmp_path)


@pytest.mark.parametrize("failing", [0, 1, 2])
def test_a_request_that_takes_a_stored_version_fails_alone_and_the_others_are_stored(pg_ledger, tmp_path, failing):  # noqa: F811
    """The group writer itself, on three requests: the one meeting a taken version (first, middle or
    last of the group) gets eventsourcing's IntegrityError; the other two are stored and chained."""
    recorder = pg_ledger.recorder
    pg_ledger.log(valid_payload("job_fair", key="one"))
    fresh = [_stored(pg_ledger, "two"), _stored(pg_ledger, "three")]
    requests = [Request(events, {}) for events in fresh]
    requests.insert(failing, Request(list(recorder.select_events(record_id_for("one"))), {}))  # version 1 again
    recorder._write_group(requests)
    assert isinstance(requests[failing].error, IntegrityError)
    assert requests[failing].result is None
    others = [r for i, r in enumerate(requests) if i != failing]
    assert all(r.error is None and len(r.result) == 1 for r in others)
    assert recorder.select_events(record_id_for("two")) and recorder.select_events(record_id_for("three"))
    assert len(recorder.select_notifications(start=1, limit=100)) == 3
    _chain_checks(pg_ledger, tmp_path)
    pg_ledger.log(valid_payload("job_fair", key="four"))  # the connection came back clean
    _chain_checks(pg_ledger, tmp_path)


def test_two_requests_of_one_group_for_the_same_version_let_the_first_win(pg_ledger, tmp_path):  # noqa: F811
    """Two writers of this process saving the same new version: they meet inside one transaction."""
    recorder = pg_ledger.recorder
    first, second = _stored(pg_ledger, "same"), _stored(pg_ledger, "same")
    requests = [Request(first, {}), Request(second, {}), Request(_stored(pg_ledger, "other"), {})]
    recorder._write_group(requests)
    assert requests[0].error is None and requests[2].error is None
    assert isinstance(requests[1].error, IntegrityError)
    assert [e.state for e in recorder.select_events(record_id_for("same"))] == [first[0].state]
    _chain_checks(pg_ledger, tmp_path)


def test_a_failed_commit_is_every_requests_answer_and_nothing_is_stored(pg_store, pg_env, tmp_path):  # noqa: F811
    """A constraint checked at COMMIT fails the shared transaction: every writer of the group gets the
    error, none of their events is there, and the ledger writes again once the cause is gone."""
    open_one, schema = pg_store
    ledger = open_one()
    ledger.log(valid_payload("job_fair", key="before"))
    with _connect(pg_env) as conn:
        conn.execute(f'CREATE FUNCTION "{schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS '
                     "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$")
        conn.execute(f'CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON "{schema}".taizhang_events_chain '
                     f'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse()')
    writers = 6
    group = _hold_first_group(ledger.recorder, writers)
    groups_before = group.groups
    errors: dict[int, object] = {}
    start = threading.Barrier(writers)

    def write(i: int) -> None:
        start.wait()
        try:
            errors[i] = ledger.log(valid_payload("job_fair", key=f"lost-{i}"))
        except Exception as e:  # noqa: BLE001
            errors[i] = e

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == writers
    assert all(isinstance(e, Exception) and "refused at commit" in str(e) for e in errors.values()), errors
    assert group.groups - groups_before < writers  # some of them did share the failed transaction
    assert len(ledger.recorder.select_notifications(start=1, limit=100)) == 1
    assert ledger.recorder.chain_head()[0] == 1
    with _connect(pg_env) as conn:
        conn.execute(f'DROP TRIGGER refuse ON "{schema}".taizhang_events_chain')
    assert ledger.log(valid_payload("job_fair", key="after")).created
    _chain_checks(ledger, tmp_path)


WRITER = """
import json, sys, threading
from service.ledger import Ledger
ledger = Ledger(json.loads(sys.argv[1]))
out = threading.Lock()

def writer(w):
    i = 0
    while True:
        result = ledger.log({"kind": "talk", "key": f"crash-{w}-{i}", "organisation": "东西湖区工商联",
                             "occurred_on": "2020-06-01", "title": f"讲座 {w}-{i}"}, actor="crash")
        with out:
            print(result.id, flush=True)  # acknowledged only after log() returned
        i += 1

for w in range(8):
    threading.Thread(target=writer, args=(w,), daemon=True).start()
threading.Event().wait()
"""


@pytest.mark.slow
def test_appends_acknowledged_in_groups_before_a_kill_9_are_all_there(pg_store, tmp_path):  # noqa: F811
    """Eight threads of one process append in shared transactions; kill -9 mid-stream loses none of
    the acknowledged ones, and what is stored is whole and chained."""
    import json
    import os
    import signal
    import subprocess
    import sys
    from uuid import UUID

    open_one, schema = pg_store
    open_one().close()  # tables made before the writer starts
    ledger = open_one()
    env = {k: v for k, v in ledger.env.items() if k.startswith(("POSTGRES_", "PERSISTENCE_", "TAIZHANG_"))}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, json.dumps(env)], stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    acknowledged = []
    deadline = time.time() + 60
    while len(acknowledged) < 300 and time.time() < deadline:
        line = proc.stdout.readline()
        if line:
            acknowledged.append(UUID(line.strip()))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(acknowledged) >= 300
    stored = {n.originator_id for n in ledger.recorder.select_notifications(start=1, limit=100_000)}
    assert set(acknowledged) <= stored
    assert ledger.integrity_check() == []
    _chain_checks(ledger, tmp_path)


def test_a_request_of_several_events_is_chained_event_by_event_beside_a_failing_one(pg_ledger, tmp_path):  # noqa: F811
    recorder = pg_ledger.recorder
    pg_ledger.log(valid_payload("job_fair", key="one"))
    several = _stored(pg_ledger, "a") + _stored(pg_ledger, "b") + _stored(pg_ledger, "c")
    taken = list(recorder.select_events(record_id_for("one"))) + _stored(pg_ledger, "d")  # one new, one taken
    requests = [Request(taken, {}), Request(several, {}), Request(_stored(pg_ledger, "e"), {})]
    recorder._write_group(requests)
    assert isinstance(requests[0].error, IntegrityError)
    assert not recorder.select_events(record_id_for("d"))  # all or nothing: its new event is not there either
    assert len(requests[1].result) == 3 and requests[1].result == sorted(requests[1].result)
    assert [n.originator_id for n in recorder.select_notifications(start=1, limit=100)] == [
        record_id_for(k) for k in ("one", "a", "b", "c", "e")]
    _chain_checks(pg_ledger, tmp_path)


def test_an_append_below_the_chain_head_is_refused_and_stores_nothing(pg_store, pg_env):  # noqa: F811
    """The chain holds a position the next event would take (the store's tail was deleted, or the
    sequence set back): the append is refused, not chained on from the wrong place."""
    from service.chained_recorder import ChainBroken

    open_one, schema = pg_store
    ledger = open_one()
    ledger.log(valid_payload("job_fair", key="one"))
    with _connect(pg_env) as conn:
        conn.execute(f'INSERT INTO "{schema}".taizhang_events_chain VALUES (1000, %s)', ["f" * 64])
    with pytest.raises(ChainBroken, match="is chained already"):
        ledger.recorder.insert_events(_stored(ledger, "two"))
    assert not ledger.recorder.select_events(record_id_for("two"))
    with _connect(pg_env) as conn:
        conn.execute(f'DELETE FROM "{schema}".taizhang_events_chain WHERE position = 1000')
    assert ledger.log(valid_payload("job_fair", key="three")).created  # the connection came back clean
