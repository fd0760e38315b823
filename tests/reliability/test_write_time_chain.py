"""The event store writes each event's chain link in the event's own transaction: no read is needed for an
event to be vouched for, an event without its link is an error, and verify writes nothing."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from scripts.cli import cli
from service.ledger import Ledger
from tests.helpers import valid_payload

ENV = {"PERSISTENCE_MODULE": None, "TAIZHANG_PERSISTENCE_MODULE": None, "TAIZHANG_SEAL_KEY": None}


def run(folder: Path, *args: str):
    return CliRunner().invoke(cli, list(args), env={**ENV, "TAIZHANG_DATA": str(folder)}, catch_exceptions=False)


def test_every_logged_event_has_its_link_as_soon_as_it_is_acknowledged(tmp_path):
    ledger = Ledger({"TAIZHANG_DATA": str(tmp_path)})
    for i in range(5):
        ledger.log(valid_payload("problem", key=f"p{i}"))
    con = sqlite3.connect(tmp_path / "ledger.sqlite")
    events = con.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    links = con.execute("SELECT COUNT(*), MAX(position) FROM event_chain").fetchone()
    assert events >= 5 and links == (events, events)
    con.close()
    ledger.close()


def test_an_event_appended_behind_the_applications_back_is_an_error_without_any_read_before(tmp_path):
    ledger = Ledger({"TAIZHANG_DATA": str(tmp_path)})
    ledger.log(valid_payload("problem", key="p"))
    ledger.close()
    con = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    oid, topic, state = con.execute("SELECT originator_id, topic, state FROM stored_events").fetchone()
    con.execute("INSERT INTO stored_events VALUES (?, 2, ?, ?)", [oid, topic, state])
    con.close()
    result = run(tmp_path, "verify")
    assert result.exit_code == 1
    assert "without its chain link" in result.stderr


def test_an_old_ledger_is_chained_once_on_first_start_and_verify_says_so(tmp_path):
    # a ledger written by plain eventsourcing (no chain), then opened by taizhang
    plain = Ledger({"TAIZHANG_DATA": str(tmp_path), "APPLICATION_RECORDER_TOPIC":
                    "eventsourcing.sqlite:SQLiteApplicationRecorder"})
    for i in range(3):
        plain.log(valid_payload("problem", key=f"old{i}"))
    last = plain.recorder.max_notification_id()
    plain.close()
    result = run(tmp_path, "verify", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["ok"] and any(f"positions 1–{last} were chained" in n for n in body["notes"])
    con = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    con.execute("DELETE FROM event_chain")  # emptied later: never filled again
    con.close()
    again = run(tmp_path, "verify")
    assert again.exit_code == 1 and "without its chain link" in again.stderr


def test_verify_writes_nothing(tmp_path):
    ledger = Ledger({"TAIZHANG_DATA": str(tmp_path)})
    ledger.log(valid_payload("problem", key="p"))
    ledger.close()
    assert run(tmp_path, "verify").exit_code == 0
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.name.startswith("ledger")}
    sizes = {p.name: p.stat().st_size for p in tmp_path.iterdir() if p.name.startswith("ledger")}
    os.sync()
    assert run(tmp_path, "verify").exit_code == 0
    after = {p.name: p.stat().st_size for p in tmp_path.iterdir() if p.name.startswith("ledger")}
    assert sizes == after and before.keys() == after.keys()
