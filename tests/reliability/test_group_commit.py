"""Group commit: concurrent appends share transactions, and each request stays all or nothing.

A request whose key is taken already fails alone (its savepoint rolled back) while the others of its
group are stored; every acknowledged record is there with its chain link, and the chain still verifies.
"""
from __future__ import annotations

import threading

from domain.chain import GENESIS, links
from service.ledger import record_id_for
from tests.helpers import ledger, sqlite_only, valid_payload  # noqa: F401


def test_concurrent_logs_share_transactions_and_each_is_all_or_nothing(ledger):  # noqa: F811
    ledger.log(valid_payload("job_fair", key="taken", title="先登记的"))
    group = ledger.recorder._group
    groups_before, requests_before = group.groups, group.requests
    results: dict[str, object] = {}
    start = threading.Barrier(12)

    def write(i: int) -> None:
        key = "taken" if i == 0 else f"k-{i}"
        start.wait()
        try:
            results[key] = ledger.log(valid_payload("job_fair", key=key, title="先登记的" if i == 0 else f"第{i}场"))
        except Exception as e:  # noqa: BLE001 - the test reports whatever came out
            results[key] = e

    threads = [threading.Thread(target=write, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [r for r in results.values() if isinstance(r, Exception)]
    assert results["taken"].created is False  # the retry answered the record logged first, nothing new
    for i in range(1, 12):
        assert results[f"k-{i}"].created is True
        assert ledger.get(record_id_for(f"k-{i}"))["title"] == f"第{i}场"
    assert group.requests - requests_before >= 11
    assert ledger.recorder.max_notification_id() == 12
    rows = [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in ledger.recorder.select_notifications(start=1, limit=100)]
    assert links(GENESIS, rows) == ledger.recorder.select_links(start=1)
    assert group.groups > groups_before


def test_a_failing_request_in_a_group_leaves_the_others_stored(ledger):  # noqa: F811
    """The group writer itself: one request of three meets a taken version and is rolled back alone."""
    from eventsourcing.persistence import IntegrityError

    from service.group_commit import Request

    ledger.log(valid_payload("job_fair", key="one"))
    stored = ledger.recorder.select_events(record_id_for("one"))
    fresh = [ledger.mapper.to_stored_event(e) for e in
             ledger._new_action(*_action("two", ledger)).collect_events()]
    again = list(stored)  # version 1 of "one" once more: taken
    later = [ledger.mapper.to_stored_event(e) for e in
             ledger._new_action(*_action("three", ledger)).collect_events()]
    group = [Request(fresh, {}), Request(again, {}), Request(later, {})]
    ledger.recorder._write_group(group)
    assert group[0].error is None and group[2].error is None
    assert isinstance(group[1].error, IntegrityError)
    assert ledger.recorder.select_events(record_id_for("two")) and ledger.recorder.select_events(record_id_for("three"))
    assert [p for p, _ in ledger.recorder.select_links(start=1)] == [1, 2, 3]


def _action(key: str, app):
    from service.schemas import load_action

    kind, key, values = load_action(valid_payload("job_fair", key=key), app.template_for("东西湖区工商联", 2020))
    return kind, key, values, "tester"
