"""The year-end projection and the hash chain over the PostgreSQL store give what SQLite gives."""
from __future__ import annotations

import json
from uuid import uuid4

import pytest

from projections.reports import Reports
from projections.summary import figure_index
from scripts.demo import demo_payloads
from service.ledger import Ledger

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_ledger(pg_env, tmp_path):
    import psycopg

    def connect():
        return psycopg.connect(host=pg_env["POSTGRES_HOST"], port=int(pg_env["POSTGRES_PORT"]),
                               user=pg_env["POSTGRES_USER"], password=pg_env["POSTGRES_PASSWORD"],
                               dbname=pg_env["POSTGRES_DBNAME"], autocommit=True)

    schema = f"p_{uuid4().hex[:16]}"
    with connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.postgres", **pg_env, "POSTGRES_SCHEMA": schema,
                     "TAIZHANG_DATA": str(tmp_path / "pg")})
    yield ledger
    ledger.close()
    with connect() as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _load(ledger):
    ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")


def test_the_demo_summary_on_postgres_equals_the_one_on_sqlite(pg_ledger, tmp_path):
    assert not pg_ledger.is_sqlite
    _load(pg_ledger)
    pg = Reports(pg_ledger.recorder, tmp_path / "pg", owner=pg_ledger).summary(2020)
    lite_ledger = Ledger({"TAIZHANG_DATA": str(tmp_path / "lite")})
    _load(lite_ledger)
    lite = Reports(lite_ledger.recorder, tmp_path / "lite", owner=lite_ledger).summary(2020)
    pg_figures = {k: (f["value"], f["approx"], f["event_count"]) for k, f in figure_index(pg).items()}
    lite_figures = {k: (f["value"], f["approx"], f["event_count"]) for k, f in figure_index(lite).items()}
    assert pg_figures == lite_figures
    assert figure_index(pg)["business.job_fair_firms"]["text"] == "597 家"
    assert [s["text"] for s in pg["sections"][0]["subsections"]] == \
        [s["text"] for s in lite["sections"][0]["subsections"]]


def test_a_correction_on_postgres_moves_the_figure_and_as_of_shows_the_old_one(pg_ledger, tmp_path):
    _load(pg_ledger)
    reports = Reports(pg_ledger.recorder, tmp_path / "pg", owner=pg_ledger)
    before = reports.summary(2020)
    fair = next(p for p in demo_payloads() if p["kind"] == "job_fair")
    from service.ledger import record_id_for

    old = pg_ledger.get(record_id_for(fair["key"]))["posts"]["value"]
    pg_ledger.correct(record_id_for(fair["key"]), {"posts": old + 100}, "补录", actor="li")
    after = reports.summary(2020)
    assert figure_index(after)["business.job_fair_posts"]["value"] == "9148"
    as_of = reports.summary(2020, as_of=before["position"])
    assert figure_index(as_of)["business.job_fair_posts"]["value"] == "9048"


def test_verify_on_postgres_recomputes_the_chain_and_checks_a_checkpoint(pg_ledger, tmp_path):
    _load(pg_ledger)
    reports = Reports(pg_ledger.recorder, tmp_path / "pg", owner=pg_ledger)
    checkpoint = reports.checkpoint()
    result = reports.verify(checkpoint=checkpoint, integrity=pg_ledger.integrity_check, contiguous_positions=False)
    assert result.ok, result.problems
    assert result.head == checkpoint["head"]
    forged = dict(checkpoint, head="f" * 64)
    bad = reports.verify(checkpoint=forged, integrity=pg_ledger.integrity_check, contiguous_positions=False)
    assert not bad.ok and bad.problems[0].position == checkpoint["position"]


def test_the_chain_is_written_with_each_event_on_postgres_and_a_backup_restores_into_a_fresh_schema(pg_ledger, pg_env,
                                                                                                    tmp_path):
    import shutil
    import subprocess
    from types import SimpleNamespace

    from service import audit as audit_cases
    from service.backup import backup

    for i in range(5):
        pg_ledger.log({"kind": "problem", "key": f"pg-{i}", "occurred_on": "2020-03-01", "title": f"问题{i}",
                       "organisation": "东西湖区工商联"})
    position, _head = pg_ledger.recorder.chain_head()
    assert position == pg_ledger.recorder.max_notification_id()
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    services = SimpleNamespace(ledger=pg_ledger, accounts=SimpleNamespace(path=tmp_path / "none.sqlite"),
                               reports=Reports(pg_ledger.recorder, tmp_path / "r", owner=pg_ledger),
                               settings=SimpleNamespace(seal_key=lambda: None, verifier=lambda: None))
    assert audit_cases.verify(services).ok
    made = backup(services, tmp_path / "backup")
    assert made["files"] == ["ledger.pgdump"]
    listed = subprocess.run(["pg_restore", "--list", str(tmp_path / "backup" / "ledger.pgdump")],
                            capture_output=True, text=True)
    assert listed.returncode == 0 and "taizhang_events_chain" in listed.stdout
