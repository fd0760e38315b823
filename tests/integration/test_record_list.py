"""The record list (台账) reads a page off an index in its order, newest happening first: SQLite sorts no
matching record to answer a page, for the whole ledger, one organisation, a year or a kind; and the page
holds the rows it did before, in that order."""
from __future__ import annotations

from tests.helpers import valid_payload


def _plans(reports, calls):
    db = reports.store.db
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        for kw in calls:
            reports.list_records(**kw)
    finally:
        db.conn.set_trace_callback(None)
    return seen


def test_a_page_of_the_list_sorts_nothing(ledger, reports):
    days = ["2020-03-01", "2020-01-15", "2019-12-31", "2020-03-01", "2021-02-02", "2020-07-07"]
    ids = []
    for i, day in enumerate(days):
        ids.append(str(ledger.log(valid_payload("job_fair", key=f"l-{i}", title=f"第{i}场", occurred_on=day,
                                                  ends_on=day)).id))
    calls = [{}, {"year": 2020}, {"organisation": valid_payload("job_fair")["organisation"]},
             {"year": 2020, "kind": "job_fair"}, {"page": 2, "size": 2}]
    rows, total = reports.list_records(year=2020)
    assert total == 4
    assert [r["occurred_on"] for r in rows] == ["2020-07-07", "2020-03-01", "2020-03-01", "2020-01-15"]
    assert [r["id"] for r in rows][1:3] == [ids[3], ids[0]]  # the same day: the later logged first
    every, _ = reports.list_records()
    assert [r["id"] for r in every] == [ids[4], ids[5], ids[3], ids[0], ids[1], ids[2]]
    page2, _ = reports.list_records(page=2, size=2)
    assert [r["id"] for r in page2] == [ids[3], ids[0]]
    db = reports.store.db
    for sql in _plans(reports, calls):
        if "ORDER BY occurred_on DESC" not in sql:
            continue
        plan = " / ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)


def test_the_filters_choices_grow_with_the_log_as_a_full_read_gives_them(ledger, reports):
    db = reports.store.db

    def full() -> tuple[list, dict]:
        actors = [r[0] for r in db.execute("SELECT DISTINCT logged_by FROM records WHERE logged_by IS NOT NULL "
                                           "ORDER BY logged_by")]
        choices = {c: [r[0] for r in db.execute(f"SELECT DISTINCT {c} FROM events WHERE {c} IS NOT NULL "
                                                 f"ORDER BY {c}")] for c in ("actor", "kind", "event")}
        return actors, choices

    first = ledger.log(valid_payload("job_fair", key="c-0"), actor="张三")
    assert reports.actors() == ["张三"]
    for n, (kind, actor) in enumerate((("talk", "李四"), ("training", "Wang"), ("talk", "张三"))):
        ledger.log(valid_payload(kind, key=f"c-{n + 1}"), actor=actor)
        ledger.correct(first.id, {"title": f"更正{n}"}, reason="核对", actor=f"审核{n}")
        got = (reports.actors(), reports.timeline_choices())
        assert got == full()
    assert reports.actors() == ["Wang", "张三", "李四"]  # who logged, not who corrected
    assert "审核2" in reports.timeline_choices()["actor"]


def test_the_timelines_kept_totals_equal_a_count_of_the_whole_log(ledger, reports):
    from projections.timeline import counts
    from scripts.demo import demo_payloads

    payloads = demo_payloads()
    kinds_seen = set()
    for n, p in enumerate(payloads):
        record = ledger.log(p, actor="t")
        kinds_seen.add(p["kind"])
        if n % 7 == 3:
            ledger.correct(record.id, {"title": f"更正{n}"}, reason="核对", actor="t")
        if n % 5 == 0 or n == len(payloads) - 1:
            assert reports.timeline_totals() == counts(reports.store.db, [], []), n
    events = {r[0] for r in reports.store.db.execute("SELECT DISTINCT event FROM events")}
    assert {"Registered", "Made"} <= events  # bookkeeping saved with the facts stated about chambers and firms
    actions, stored = reports.timeline_totals()
    assert stored > actions > len(payloads)
