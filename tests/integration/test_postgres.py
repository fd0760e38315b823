"""The same ledger core on PostgreSQL: log, idempotency, conflicts, facts, history, import and export.

Each test gets a schema of its own (eventsourcing's POSTGRES_SCHEMA), dropped afterwards.
"""
from __future__ import annotations

import json
import threading
from uuid import uuid4

import pytest

from domain.errors import ConflictError, KeyReused, RecordRetracted
from service.ledger import Ledger, record_id_for
from tests.helpers import FIRM, KIND_KEYS, valid_payload

pytestmark = pytest.mark.postgres


def _connect(pg_env: dict):
    import psycopg

    return psycopg.connect(host=pg_env["POSTGRES_HOST"], port=int(pg_env["POSTGRES_PORT"]),
                           user=pg_env["POSTGRES_USER"], password=pg_env["POSTGRES_PASSWORD"],
                           dbname=pg_env["POSTGRES_DBNAME"], connect_timeout=5, autocommit=True)


@pytest.fixture
def pg_store(pg_env, tmp_path, monkeypatch):
    """The env of a ledger on PostgreSQL, in a fresh schema of the test database."""
    monkeypatch.delenv("TAIZHANG_PERSISTENCE_MODULE", raising=False)
    schema = f"t_{uuid4().hex[:16]}"
    with _connect(pg_env) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", **pg_env, "POSTGRES_SCHEMA": schema,
           "TAIZHANG_DATA": str(tmp_path)}
    opened: list[Ledger] = []

    def open_one() -> Ledger:
        app = Ledger(env=env)
        opened.append(app)
        return app

    yield open_one, schema
    for app in opened:
        app.close()
    with _connect(pg_env) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_ledger(pg_store):
    open_one, _schema = pg_store
    return open_one()


def job_fair(key="fair", **overrides):
    return valid_payload("job_fair", key=key, **{"mode": "online", "posts": "1000余", **overrides})


def test_the_ledger_stores_its_events_in_the_schema_given(pg_store, pg_env):
    open_one, schema = pg_store
    app = open_one()
    app.log(job_fair())
    assert app.storage_settings() == {"store": "postgres"}
    with _connect(pg_env) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))]
        assert sorted(tables) == ["taizhang_events", "taizhang_events_chain", "taizhang_events_chain_origin"]
        (count,) = conn.execute(f'SELECT count(*) FROM "{schema}".taizhang_events').fetchone()
        (links,) = conn.execute(f'SELECT count(*) FROM "{schema}".taizhang_events_chain').fetchone()
    assert count == links == 1  # the chain link was written with the event


def test_logging_returns_the_id_and_the_same_key_stores_one_record(pg_ledger):
    first = pg_ledger.log(job_fair(), actor="alice")
    second = pg_ledger.log(job_fair(), actor="bob")
    assert first.id == second.id == record_id_for("fair")
    assert (first.created, second.created) == (True, False)
    with pytest.raises(KeyReused):  # the same key with other content is refused on PostgreSQL too
        pg_ledger.log(job_fair(title="再次提交"), actor="bob")
    record = pg_ledger.get(first.id)
    assert record["posts"] == {"value": 1000, "approx": "余"}
    assert record["logged_by"] == "alice"
    assert record["title"] != "再次提交"
    assert len(list(pg_ledger.export_lines())) == 1


def test_every_kind_round_trips_through_postgres(pg_ledger):
    for kind_key in KIND_KEYS:
        payload = valid_payload(kind_key, key=f"pg-{kind_key}")
        record = pg_ledger.get(pg_ledger.log(payload).id)
        assert record["kind"] == kind_key
        assert record["occurred_on"] == payload["occurred_on"]
        assert record["title"] == payload["title"]
    keys = [json.loads(line)["key"] for line in pg_ledger.export_lines()]
    assert keys == [f"pg-{k}" for k in KIND_KEYS]


def test_two_corrections_of_the_same_version_keep_the_first(pg_ledger):
    rid = pg_ledger.log(job_fair()).id
    assert pg_ledger.correct(rid, {"posts": 9048}, "录入错误", actor="alice", expected_version=1) == 2
    with pytest.raises(ConflictError):
        pg_ledger.correct(rid, {"posts": 8000}, "另一处更正", actor="bob", expected_version=1)
    assert pg_ledger.get(rid)["posts"]["value"] == 9048


def test_concurrent_corrections_from_two_ledgers_let_exactly_one_win(pg_store):
    open_one, _schema = pg_store
    apps = [open_one(), open_one()]
    rid = apps[0].log(job_fair()).id
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = apps[i].correct(rid, {"posts": 100 + i}, "更正", actor=f"clerk{i}", expected_version=1)
        except Exception as exc:  # noqa: BLE001
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [i for i, r in enumerate(results) if r == 2]
    assert len(winners) == 1, results
    assert isinstance(results[1 - winners[0]], ConflictError)
    assert apps[1].get(rid)["posts"]["value"] == 100 + winners[0]
    assert len(apps[0].history(rid)) == 2


def test_history_and_retraction_on_postgres(pg_ledger):
    rid = pg_ledger.log(job_fair(), actor="alice").id
    pg_ledger.correct(rid, {"posts": 9048}, "录入错误", actor="bob")
    pg_ledger.retract(rid, "重复", actor="carol")
    with pytest.raises(RecordRetracted):
        pg_ledger.correct(rid, {"posts": 1}, "再改", actor="dave")
    story = pg_ledger.history(rid)
    assert [(i["event"], i["actor"]) for i in story] == [
        ("JobFairHeld", "alice"), ("Corrected", "bob"), ("Retracted", "carol")]
    assert story[1]["changes"]["posts"] == {"from": {"value": 1000, "approx": "余"},
                                           "to": {"value": 9048, "approx": None}}
    assert list(pg_ledger.export_lines()) == []


def test_facts_about_chambers_and_enterprises_on_postgres(pg_ledger):
    counted = pg_ledger.log(valid_payload("chamber_membership", key="m", chamber="湖北商会", members=90))
    pg_ledger.correct(counted.id, {"members": 97}, "复核")
    pool = pg_ledger.log(valid_payload("reserve_pool", key="p", pool="gold", firms=[FIRM]))
    pg_ledger.correct(pool.id, {"pool": "silver"}, "复核")
    assert pg_ledger.get(counted.id)["members"]["value"] == 97
    assert pg_ledger.get(pool.id)["pool"] == "silver"
    assert [i["event"] for i in pg_ledger.history(counted.id)] == ["MembershipCounted", "FactCorrected"]


def test_export_imports_into_an_empty_store_and_exports_the_same(pg_store, pg_env, tmp_path):
    open_one, _schema = pg_store
    app = open_one()
    lines = [json.dumps(valid_payload(k, key=f"file-{k}"), ensure_ascii=False) for k in KIND_KEYS]
    report = app.import_lines(lines)
    assert report.added == len(KIND_KEYS)
    rid = record_id_for("file-job_fair")
    app.correct(rid, {"posts": 9048}, "更正")
    app.retract(record_id_for("file-training"), "撤销")
    exported = list(app.export_lines())
    assert len(exported) == len(KIND_KEYS) - 1
    assert app.import_lines(exported).added == 0

    # a second, empty store: an SQLite file this time, so the two stores must agree
    other = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                        "SQLITE_DBNAME": str(tmp_path / "other.sqlite")})
    try:
        assert other.import_lines(exported).added == len(exported)
        assert list(other.export_lines()) == exported
    finally:
        other.close()
