"""A rebuild fills a fresh file and copies it over the live views in one transaction.

Readers on their own connections (a web server's threads) keep reading the old views while the fresh
file fills and read the new ones after the copy, on the same connections; the chain copy and the
summary cache survive; nothing is left beside the views file. The fast decode gives the values the
stdlib decode with the object_hook gives.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from projections import views
from projections.views import _decode_bytes, _hook
from tests.helpers import valid_payload


def _count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM records").fetchone()[0]


def test_readers_keep_the_old_views_until_the_copy_and_see_the_new_ones_after(ledger, reports, monkeypatch):
    for i in range(5):
        ledger.log(valid_payload("job_fair", key=f"fair-{i}", title=f"第{i}场"))
    reports.catch_up()
    answers: dict[str, int] = {}
    reader_ready, filled, copied, read_again = (threading.Event() for _ in range(4))

    def reader() -> None:  # another thread: a connection of its own, opened before the rebuild
        db = reports.store.db
        answers["before"] = _count(db)
        reader_ready.set()
        filled.wait(10)
        answers["while_filling"] = _count(db)
        copied.wait(10)
        answers["after"] = _count(db)
        read_again.set()

    thread = threading.Thread(target=reader)
    thread.start()
    reader_ready.wait(10)
    with reports.store.db.conn:  # the live views lose a row: a rebuild brings it back
        reports.store.db.execute("DELETE FROM records WHERE title = '第0场'")
    answers["before"] = _count(reports.store.db)
    real_scan = views.scan_notifications

    def scan(recorder, batch):
        yield from real_scan(recorder, batch)
        filled.set()  # everything folded into the fresh file, not yet copied
        for _ in range(100):
            if "while_filling" in answers:
                break
            threading.Event().wait(0.05)

    monkeypatch.setattr(views, "scan_notifications", scan)
    assert reports.rebuild() == ledger.recorder.max_notification_id()
    copied.set()
    read_again.wait(10)
    thread.join(10)
    assert answers["before"] == 4 and answers["while_filling"] == 4 and answers["after"] == 5
    live = Path(reports.store.path)
    assert not list(live.parent.glob(live.name + ".rebuild*"))
    db = reports.store.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"summary_cache", "chain"} <= set(db.table_names())
    assert db.execute("SELECT COUNT(*) FROM chain").fetchone()[0] == ledger.recorder.max_notification_id()
    assert reports.summary(2020)  # answers from the new views


def test_a_rebuild_gives_the_views_of_a_fold_from_nothing(ledger, reports, tmp_path):
    for i in range(30):
        ledger.log(valid_payload("job_fair", key=f"fair-{i}", title=f"第{i}场"))
    reports.catch_up()
    tables = ("records", "events", "subjects", "tracking", "firm_uses")
    before = {t: list(reports.store.db.execute(f"SELECT * FROM {t} ORDER BY 1")) for t in tables}
    assert before["firm_uses"]
    reports.rebuild()
    after = {t: list(reports.store.db.execute(f"SELECT * FROM {t} ORDER BY 1")) for t in tables}
    assert after == before


def test_the_fast_decode_gives_the_stdlib_values():
    cases = [
        b'{"t":{"_type_":"datetime_iso","_data_":"2020-01-01T00:00:00+00:00"},"n":{"_type_":"decimal_str","_data_":"1.50"}}',
        b'{"text":"{\\"_type_\\":\\"x\\",\\"_data_\\":\\"y\\"}"}',  # the marker inside a string is text
        b'{"a":{"_type_":"t","_data_":[1,2]}}',  # data that is not text: the object_hook decode
        b'{"a":{"_type_":"t","_data_":"a\\"b"}}',  # an escape in the data
        b'{"a":{"_type_":"t","_data_":"1","more":2}}',  # not a custom-type object (three keys)
        b'{"a":"\\ud800"}',  # a lone surrogate
        '{"title":"招聘会","v":1.0,"big":123456789012345678901234567890}'.encode(),
        b'[{"_type_":"x","_data_":"1"},{"_type_":"y","_data_":"2"}]',
    ]
    for state in cases:
        assert _decode_bytes(state) == json.loads(state, object_hook=_hook), state


def test_a_rebuild_on_postgresql_reads_its_log_through_a_server_side_cursor(pg_env, tmp_path, monkeypatch):
    from uuid import uuid4

    import psycopg

    from projections.reports import Reports
    from service.ledger import Ledger

    monkeypatch.delenv("TAIZHANG_PERSISTENCE_MODULE", raising=False)
    schema = f"t_{uuid4().hex[:16]}"

    def connect():
        return psycopg.connect(host=pg_env["POSTGRES_HOST"], port=int(pg_env["POSTGRES_PORT"]),
                               user=pg_env["POSTGRES_USER"], password=pg_env["POSTGRES_PASSWORD"],
                               dbname=pg_env["POSTGRES_DBNAME"], connect_timeout=5, autocommit=True)

    with connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    app = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", **pg_env, "POSTGRES_SCHEMA": schema,
                      "TAIZHANG_DATA": str(tmp_path)})
    try:
        for i in range(7):
            app.log(valid_payload("job_fair", key=f"pg-{i}", title=f"第{i}场"))
        app.correct(app.log(valid_payload("job_fair", key="pg-0", title="第0场")).id, {"title": "更正"}, "核对")
        reports = Reports(app.recorder, tmp_path, owner=app)
        reports.catch_up()
        tables = ("records", "events", "subjects", "tracking")
        before = {t: list(reports.store.db.execute(f"SELECT * FROM {t} ORDER BY 1")) for t in tables}
        batches = []
        real = views._postgres_scan

        def scan(recorder, batch):  # small batches: the cursor is read across several fetches
            for rows in real(recorder, 3):
                batches.append(len(rows))
                yield rows

        monkeypatch.setattr(views, "_postgres_scan", scan)
        stored = app.recorder.max_notification_id()
        assert reports.rebuild() == stored
        events = len(app.recorder.select_notifications(start=1, limit=100))  # ids may skip (a refused insert)
        assert sum(batches) == events and len(batches) > 1 and max(batches) == 3
        after = {t: list(reports.store.db.execute(f"SELECT * FROM {t} ORDER BY 1")) for t in tables}
        assert after == before
    finally:
        app.close()
        with connect() as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
