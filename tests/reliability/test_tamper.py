"""Tampering with the stored events behind the server's back is caught by ``taizhang verify``.

One store is built once for the module: the 2020 demo ledger, a correction and a retraction, the chain
caught up, a checkpoint taken (an auditor keeps it offline), then 2020 closed with the seal key, and the
chain caught up again over the two events of the close. Every case works on a COPY of that data folder
(``ledger.sqlite`` and ``views.sqlite``, written through and closed first, so no -wal file holds data
that the copy would miss) and tampers with plain ``sqlite3``, as someone with the files but without the
application would: ``stored_events`` is eventsourcing's table, its rowid is the event's position.

Then the real ``taizhang verify`` (click's runner over ``scripts.cli``, with ``TAIZHANG_DATA`` on the
copy; the untouched copy also through the installed console script) must exit non-zero and name the
first bad position on its ``BAD:`` line.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from click.testing import CliRunner

from domain.years import seal_hmac
from projections.chain import GENESIS, link
from projections.reports import Reports
from scripts.cli import cli
from scripts.demo import demo_payloads
from service.ledger import NAMESPACE, Ledger, record_id_for

KEY = "test-seal-key-kept-outside-the-database"
ORG = "东西湖区工商联"
ROOT = Path(__file__).resolve().parents[2]


# --- the store ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The sealed demo store: {folder, checkpoint file, checkpoint, seal, last position}."""
    folder = tmp_path_factory.mktemp("sealed") / "data"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("PERSISTENCE_MODULE", "TAIZHANG_PERSISTENCE_MODULE"):
            mp.delenv(name, raising=False)
        mp.setenv("TAIZHANG_SEAL_KEY", KEY)
        ledger = Ledger({"TAIZHANG_DATA": str(folder)})
        ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
        ledger.correct(record_id_for("demo-2020-job_fair-01"), {"posts": 1021}, "录入错误 typo", actor="li_staff")
        ledger.retract(record_id_for("demo-2020-donation-01"), "重复登记 duplicate", actor="li_staff")
        reports = Reports(ledger.recorder, folder, owner=ledger)
        reports.catch_up()
        checkpoint = reports.checkpoint()
        position, head = reports.chain_head()
        seal = ledger.close_year(ORG, 2020, position, head, actor="wang_admin")  # key from the environment
        last = reports.catch_up()  # the store chained the close's two events as it wrote them
        assert ledger.recorder.chain_head()[0] == last == position + 2
        reports.store.db.conn.close()
        ledger.close()
    for name in ("ledger.sqlite", "views.sqlite"):  # write the WAL into the main files, drop it
        con = sqlite3.connect(folder / name)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
    checkpoint_file = folder.parent / "checkpoint.json"
    checkpoint_file.write_text(json.dumps(checkpoint), encoding="utf-8")
    return {"folder": folder, "checkpoint_file": checkpoint_file, "checkpoint": checkpoint, "seal": seal,
            "last": last}


@pytest.fixture
def copy(store, tmp_path) -> Path:
    """A copy of the sealed store's data folder, to tamper with."""
    target = tmp_path / "data"
    shutil.copytree(store["folder"], target)
    return target


def verify(folder: Path, *args: str, key: str | None = KEY):
    env = {"TAIZHANG_DATA": str(folder), "TAIZHANG_SEAL_KEY": key, "PERSISTENCE_MODULE": None,
           "TAIZHANG_PERSISTENCE_MODULE": None}
    return CliRunner().invoke(cli, ["verify", *args], env=env, catch_exceptions=False)


def first_bad_position(result) -> int | None:
    """The position on verify's ``BAD: position N: …`` line."""
    match = re.search(r"^BAD: position (\d+):", result.stderr, re.M)
    return int(match.group(1)) if match else None


def problems(folder: Path, *args: str, key: str | None = KEY) -> list[dict]:
    result = verify(folder, "--format", "json", *args, key=key)
    return json.loads(result.stdout)["problems"]


# --- tampering with plain sqlite3 -----------------------------------------------------------------

def events_db(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "ledger.sqlite", isolation_level=None)


def position_of(con: sqlite3.Connection, topic: str, nth: int = 0) -> int:
    return con.execute("SELECT rowid FROM stored_events WHERE topic = ? ORDER BY rowid LIMIT 1 OFFSET ?",
                       [topic, nth]).fetchone()[0]


def row(con: sqlite3.Connection, position: int) -> tuple:
    return con.execute("SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid = ?",
                       [position]).fetchone()


def rechain(folder: Path) -> None:
    """What a forger with both files does after rewriting history: recompute the whole stored chain."""
    con = events_db(folder)
    head, links = GENESIS, []
    for position, oid, version, topic, state in con.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"):
        head = link(head, position, UUID(oid), version, topic, state)
        links.append((position, head))
    con.close()
    store = sqlite3.connect(folder / "ledger.sqlite")
    with store:
        store.execute("DELETE FROM event_chain")
        store.executemany("INSERT INTO event_chain (position, hash) VALUES (?, ?)", links)
    store.close()


# --- the cases ------------------------------------------------------------------------------------

def test_an_untouched_copy_verifies_ok_through_the_installed_command(store, copy):
    taizhang = Path(sys.executable).with_name("taizhang")
    command = [str(taizhang)] if taizhang.exists() else [sys.executable, "-m", "scripts.cli"]
    env = {"PATH": "/usr/bin:/bin", "TAIZHANG_DATA": str(copy), "TAIZHANG_SEAL_KEY": KEY}
    done = subprocess.run([*command, "verify", "--checkpoint", str(store["checkpoint_file"])], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {store['last']} events, head ")
    assert f"at position {store['last']}" in done.stdout


def test_an_edited_event_body_is_named_by_its_position(copy):
    con = events_db(copy)
    target = position_of(con, "taizhang:JobFairHeld")
    state = row(con, target)[3]
    assert b'"posts":{"value":1020,' in state
    edited = state.replace(b'"value":1020', b'"value":1920', 1)  # 1020 posts become 1920: still valid JSON
    con.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", [edited, target])
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == target
    assert "chain hash differs" in result.stderr


def test_an_edit_made_with_sqls_replace_which_stores_text_is_named_too(copy):
    # replace() on a BLOB answers TEXT: the row now reads back as str, not bytes. Verify must still name it
    # (it used to crash in link(): bytes(str) is a TypeError).
    con = events_db(copy)
    target = position_of(con, "taizhang:JobFairHeld")
    con.execute("UPDATE stored_events SET state = replace(state, '\"value\":1020', '\"value\":1920') "
                "WHERE rowid = ?", [target])
    assert con.execute("SELECT typeof(state) FROM stored_events WHERE rowid = ?", [target]).fetchone()[0] == "text"
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == target


def test_an_edited_topic_is_named_by_its_position(copy):
    con = events_db(copy)
    target = position_of(con, "taizhang:Action.Corrected")  # the correction is made to read as a retraction
    con.execute("UPDATE stored_events SET topic = 'taizhang:Action.Retracted' WHERE rowid = ?", [target])
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == target


def test_two_swapped_rows_are_named_from_the_first(copy):
    con = events_db(copy)
    a, b = 40, 41
    row_a, row_b = row(con, a), row(con, b)
    assert row_a != row_b
    con.execute("BEGIN")
    con.execute("UPDATE stored_events SET originator_id = 'swap' WHERE rowid = ?", [a])  # the key is unique
    con.execute("UPDATE stored_events SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
                "WHERE rowid = ?", [*row_a, b])
    con.execute("UPDATE stored_events SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
                "WHERE rowid = ?", [*row_b, a])
    con.execute("COMMIT")
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == a
    assert {p["position"] for p in problems(copy)} >= {a, b}


def test_a_duplicated_row_is_named_at_the_copy(copy, store):
    # An exact copy of a row needs the (originator_id, originator_version) primary key gone: the table is
    # recreated without it (rowids kept), and row 60 is copied byte for byte to the next rowid. (A copy
    # with the next version instead is a well-formed new event appended after the chained head: the chain
    # cannot tell it from a legitimate write, a later checkpoint vouches for it — only the timeline shows it.)
    con = events_db(copy)
    con.executescript("""
        BEGIN;
        CREATE TABLE loose (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB);
        INSERT INTO loose (rowid, originator_id, originator_version, topic, state)
            SELECT rowid, originator_id, originator_version, topic, state FROM stored_events;
        DROP TABLE stored_events;
        ALTER TABLE loose RENAME TO stored_events;
        INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)
            SELECT (SELECT MAX(rowid) FROM stored_events) + 1, originator_id, originator_version, topic, state
            FROM stored_events WHERE rowid = 60;
        COMMIT;
    """)
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == store["last"] + 1
    assert "duplicate event" in result.stderr


def test_a_deleted_middle_row_is_named(copy):
    con = events_db(copy)
    con.execute("DELETE FROM stored_events WHERE rowid = 60")
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == 60
    assert "deleted" in result.stderr


def test_a_deleted_tail_with_its_chain_is_caught_by_the_seal_and_the_checkpoint(store, copy):
    last, sealed_at = store["last"], store["seal"]["position"]
    tail = [last - 2, last - 1, last]  # the retraction (the sealed head itself) and the close's two events
    assert tail[0] == sealed_at == store["checkpoint"]["position"]
    con = events_db(copy)
    con.execute(f"DELETE FROM stored_events WHERE rowid >= {tail[0]}")
    con.close()
    con = events_db(copy)
    con.execute(f"DELETE FROM event_chain WHERE position >= {tail[0]}")
    con.close()
    # The rest of the chain is intact: no link can show what is gone after it, and the seal went with the
    # close's events (verify reads seals from the store, not the read model): only what was kept outside
    # the files tells. (Signed checkpoints: tests/reliability/test_signed_checkpoints.py.)
    plain = verify(copy)
    assert plain.exit_code == 0, plain.stderr
    with_checkpoint = verify(copy, "--checkpoint", str(store["checkpoint_file"]))
    assert with_checkpoint.exit_code == 1
    assert first_bad_position(with_checkpoint) == sealed_at
    assert "checkpoint" in with_checkpoint.stderr and "deleted" in with_checkpoint.stderr

    # rebuilding the read model changes nothing of that
    rebuilt = CliRunner().invoke(cli, ["rebuild"], env={"TAIZHANG_DATA": str(copy)}, catch_exceptions=False)
    assert rebuilt.exit_code == 0, rebuilt.output
    blind = verify(copy)
    assert blind.exit_code == 0, blind.stderr
    caught = verify(copy, "--checkpoint", str(store["checkpoint_file"]))
    assert caught.exit_code == 1
    assert first_bad_position(caught) == sealed_at


def forge_in_the_middle(folder: Path, at: int) -> None:
    """Shift the rows from ``at`` up by one, slip a forged donation in at ``at``, recompute the chain."""
    con = events_db(folder)
    template = con.execute("SELECT topic, state FROM stored_events WHERE topic = 'taizhang:DonationMade' "
                           "ORDER BY rowid LIMIT 1").fetchone()
    state = json.loads(template[1])
    state["key"] = "forged-donation"
    state["title"] = "伪造的捐赠 forged donation"
    state["facts"]["amount"]["value"]["_data_"] = "9999999.00"
    forged_id = uuid5(NAMESPACE, "forged-donation")
    con.execute("BEGIN")
    # rowids are unique at every step of an UPDATE: move the later rows out of the way, then back up by one
    con.execute("UPDATE stored_events SET rowid = -rowid - 1 WHERE rowid >= ?", [at])
    con.execute("UPDATE stored_events SET rowid = -rowid WHERE rowid < 0")
    con.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, 1, ?, ?)",
                [at, forged_id.hex, template[0], json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()])
    con.execute("COMMIT")
    con.close()
    rechain(folder)


def test_a_row_forged_into_the_middle_with_a_recomputed_chain_is_caught_only_by_seal_and_checkpoint(store, copy):
    sealed_at = store["seal"]["position"]
    forge_in_the_middle(copy, 100)
    # Every link agrees with the rewritten chain, positions are contiguous, versions are whole: the plain
    # chain check passes. What the forger cannot rewrite is what lives outside the files: the seal's head
    # (HMAC'd with the key the server never stores — it still matches, the seal itself is genuine) and the
    # auditor's checkpoint. Both were taken at position 172, where the recomputed chain now differs.
    # They cannot say WHICH earlier row changed: the first bad position named is the sealed position.
    found = problems(copy)
    assert found and all("seal of" in p["why"] for p in found), found
    assert not any("chain hash differs" in p["why"] or "missing" in p["why"] for p in found)
    plain = verify(copy)
    assert plain.exit_code == 1
    assert first_bad_position(plain) == sealed_at
    assert "no longer matches the seal" in plain.stderr and "HMAC" not in plain.stderr
    no_key = verify(copy, key=None)  # the seal's head is checked without the key too
    assert no_key.exit_code == 1 and first_bad_position(no_key) == sealed_at
    with_checkpoint = verify(copy, "--checkpoint", str(store["checkpoint_file"]))
    assert with_checkpoint.exit_code == 1
    assert first_bad_position(with_checkpoint) == sealed_at
    assert "differs from the checkpoint" in with_checkpoint.stderr


def test_a_seal_forged_without_the_key_fails_its_hmac_with_the_key(store, copy):
    # A forger appends a close of 2019 (Year.Opened, YearClosed) sealing the real chain head: the head checks
    # out, but the HMAC was made without the key (here: with another one).
    con = events_db(copy)
    last = store["last"]
    head = con.execute("SELECT hash FROM event_chain WHERE position = ?", [last]).fetchone()[0]
    opened_topic, opened = con.execute("SELECT topic, state FROM stored_events WHERE topic = 'taizhang:Year.Opened'"
                                       ).fetchone()
    closed_topic, closed = con.execute("SELECT topic, state FROM stored_events WHERE topic = 'taizhang:YearClosed'"
                                       ).fetchone()
    opened, closed = json.loads(opened), json.loads(closed)
    opened["year"] = closed["year"] = 2019
    closed.update(position=last, head=head, hmac=seal_hmac(b"a guessed key", ORG, 2019, last, head), actor="forger")
    year_id = uuid5(NAMESPACE, f"year:{ORG}:2019").hex
    for version, topic, state in ((1, opened_topic, opened), (2, closed_topic, closed)):
        con.execute("INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                    [year_id, version, topic, json.dumps(state, ensure_ascii=False).encode()])
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == last
    assert "2019: HMAC does not match" in result.stderr
    assert "2020" not in result.stderr  # the genuine seal still checks out
    without_key = verify(copy, key=None)  # without the key: the forged rows still have no chain links
    assert without_key.exit_code == 1
    assert first_bad_position(without_key) == last + 1
    assert "without its chain link" in without_key.stderr


def test_an_unreadable_row_appended_after_the_chained_head_is_reported_not_a_crash(store, copy):
    # Beyond the chained head the chain vouches for nothing yet, but the read model folds the new rows to
    # find seals: a row it cannot read (an unknown topic) used to crash verify with a traceback.
    con = events_db(copy)
    con.execute("INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
                [uuid5(NAMESPACE, "garbage").hex, "nowhere:Nothing", b"{}"])
    con.close()
    result = verify(copy)
    assert result.exit_code == 1
    assert first_bad_position(result) == store["last"] + 1
    assert "cannot be read" in result.stderr


def test_an_edit_with_the_views_file_deleted_is_still_caught_by_the_seal(store, copy):
    # The stored chain lives in views.sqlite, beside the data: deleting it leaves nothing to compare the
    # links with (every event is "not chained yet"). The seal comes back with the fold of its own event, and
    # its head — HMAC'd under the key — no longer matches the chain recomputed over the edited row.
    con = events_db(copy)
    target = position_of(con, "taizhang:JobFairHeld")
    state = row(con, target)[3]
    con.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                [state.replace(b'"value":1020', b'"value":1920', 1), target])
    con.close()
    for name in ("views.sqlite", "views.sqlite-wal", "views.sqlite-shm"):
        (copy / name).unlink(missing_ok=True)
    # the chain lives in the event store now, beside the events: the edit is named at its own position
    found = problems(copy)
    assert found[0]["position"] == target and "chain hash differs" in found[0]["why"]
    result = verify(copy)
    assert result.exit_code == 1 and first_bad_position(result) == target
