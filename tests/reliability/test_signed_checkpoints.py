"""Tampering with the store is caught against the latest signed checkpoint, with no read in between.

One store for the module: the demo ledger, a correction, a retraction, 2020 closed (its seal signed with
the Ed25519 key), then a signed checkpoint (``taizhang checkpoint``) — the latest one, kept offline. Each
case tampers with a COPY through plain ``sqlite3`` and runs ``taizhang verify --checkpoint`` at once:
nothing reads the store between the edit and the check. The verifier holds only the public key.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from click.testing import CliRunner

from domain.chain import GENESIS, link
from scripts.cli import cli
from scripts.demo import demo_payloads
from service.ledger import NAMESPACE, Ledger, record_id_for
from service.signing import Signer

ORG = "东西湖区工商联"


def run(folder: Path, *args: str, signing: Path | None = None, public: Path | None = None):
    env = {"TAIZHANG_DATA": str(folder), "PERSISTENCE_MODULE": None, "TAIZHANG_PERSISTENCE_MODULE": None,
           "TAIZHANG_SEAL_KEY": None, "TAIZHANG_SIGNING_KEY": str(signing) if signing else None,
           "TAIZHANG_PUBLIC_KEY": str(public) if public else None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("signed")
    folder, keys = root / "data", root / "keys"
    folder.mkdir()
    keys.mkdir()
    made = run(folder, "keygen", "gsl.example/ledger", "--out", str(keys / "log"))
    assert made.exit_code == 0, made.output
    signing, public = keys / "log.key", keys / "log.pub"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("PERSISTENCE_MODULE", "TAIZHANG_PERSISTENCE_MODULE"):
            mp.delenv(name, raising=False)
        ledger = Ledger({"TAIZHANG_DATA": str(folder)})
        ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
        ledger.correct(record_id_for("demo-2020-job_fair-01"), {"posts": 1021}, "录入错误 typo", actor="li_staff")
        ledger.retract(record_id_for("demo-2020-donation-01"), "重复登记 duplicate", actor="li_staff")
        last = ledger.recorder.max_notification_id()
        ledger.close()
    closed = run(folder, "close", "2020", signing=signing)
    assert closed.exit_code == 0, closed.output
    checkpoint = root / "checkpoint.txt"
    taken = run(folder, "checkpoint", "-o", str(checkpoint), signing=signing)
    assert taken.exit_code == 0, taken.output
    con = sqlite3.connect(folder / "ledger.sqlite")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"folder": folder, "signing": signing, "public": public, "checkpoint": checkpoint,
            "last": last + 2, "sealed_at": last, "keys": keys}


@pytest.fixture
def copy(store, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(store["folder"], target)
    (target / "views.sqlite").unlink(missing_ok=True)  # only the event store: nothing of a read model helps
    return target


def verify(store, folder: Path):
    return run(folder, "verify", "--checkpoint", str(store["checkpoint"]), public=store["public"])


def first_bad(result) -> int | None:
    match = re.search(r"^BAD: position (\d+):", result.stderr, re.M)
    return int(match.group(1)) if match else None


def db(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "ledger.sqlite", isolation_level=None)


def test_the_untouched_store_verifies_against_its_signed_checkpoint_with_the_public_key_only(store, copy):
    result = verify(store, copy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"OK: {store['last']} events")
    assert "signature not checked" not in result.stdout


def test_a_checkpoint_and_a_seal_verify_offline_with_the_public_key_alone(store):
    ok = run(store["folder"], "verify-checkpoint", str(store["checkpoint"]), "--public-key", str(store["public"]))
    assert ok.exit_code == 0, ok.output
    assert f"tree of {store['last']} events" in ok.stdout
    other = Signer.generate("gsl.example/ledger")
    wrong = store["keys"] / "other.pub"
    wrong.write_text(other.verifier.text() + "\n", encoding="utf-8")
    refused = run(store["folder"], "verify-checkpoint", str(store["checkpoint"]), "--public-key", str(wrong))
    assert refused.exit_code == 1 and "another key" in refused.stderr
    edited = store["keys"] / "edited.txt"
    lines = store["checkpoint"].read_text(encoding="utf-8").split("\n")
    lines[1] = str(int(lines[1]) - 1)
    edited.write_text("\n".join(lines), encoding="utf-8")
    bad = run(store["folder"], "verify-checkpoint", str(edited), "--public-key", str(store["public"]))
    assert bad.exit_code == 1 and "does not verify" in bad.stderr


def test_a_seal_made_with_another_key_is_refused(store, copy):
    other = Signer.generate("gsl.example/ledger")
    wrong = copy.parent / "other.pub"
    wrong.write_text(other.verifier.text() + "\n", encoding="utf-8")
    result = run(copy, "verify", public=wrong)
    assert result.exit_code == 1
    assert first_bad(result) == store["sealed_at"]
    assert "seal of 东西湖区工商联 2020: refused" in result.stderr


def test_an_inclusion_proof_of_a_record_checks_offline(store, copy):
    record = str(record_id_for("demo-2020-job_fair-01"))
    proof = copy.parent / "proof.json"
    made = run(copy, "prove", record, "--checkpoint", str(store["checkpoint"]), "-o", str(proof), public=store["public"])
    assert made.exit_code == 0, made.output
    doc = json.loads(proof.read_text(encoding="utf-8"))
    assert len(doc["events"]) == 2  # logged, then corrected
    ok = run(copy, "verify-checkpoint", str(proof), "--public-key", str(store["public"]))
    assert ok.exit_code == 0, ok.output
    doc["events"][1]["entry"] = doc["events"][0]["entry"]
    proof.write_text(json.dumps(doc), encoding="utf-8")
    assert run(copy, "verify-checkpoint", str(proof), "--public-key", str(store["public"])).exit_code == 1


def position_of(con, topic: str) -> int:
    return con.execute("SELECT rowid FROM stored_events WHERE topic = ? ORDER BY rowid LIMIT 1", [topic]).fetchone()[0]


def rechain(folder: Path) -> None:
    """What a forger with the file does after rewriting history: recompute every stored link."""
    con = db(folder)
    head, links = GENESIS, []
    for position, oid, version, topic, state in con.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid").fetchall():
        head = link(head, position, UUID(oid), version, topic, state)
        links.append((position, head))
    con.execute("BEGIN")
    con.execute("DELETE FROM event_chain")
    con.executemany("INSERT INTO event_chain (position, hash) VALUES (?, ?)", links)
    con.execute("COMMIT")
    con.close()


@pytest.mark.parametrize("forger_rechains", [False, True], ids=["plain", "rechained"])
@pytest.mark.parametrize("case", ["edited body", "edited topic", "swap", "duplicate", "deleted middle row",
                                  "deleted tail", "appended forgery"])
def test_tampering_is_caught_against_the_latest_signed_checkpoint(store, copy, case, forger_rechains):
    con = db(copy)
    fair = position_of(con, "taizhang:JobFairHeld")
    expect = fair
    if case == "edited body":
        state = con.execute("SELECT state FROM stored_events WHERE rowid = ?", [fair]).fetchone()[0]
        con.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                    [state.replace(b'"value":1020', b'"value":1920', 1), fair])
    elif case == "edited topic":
        expect = position_of(con, "taizhang:Action.Corrected")
        con.execute("UPDATE stored_events SET topic = 'taizhang:Action.Retracted' WHERE rowid = ?", [expect])
    elif case == "swap":
        expect = 40
        a, b = (con.execute("SELECT originator_id, originator_version, topic, state FROM stored_events "
                            "WHERE rowid = ?", [p]).fetchone() for p in (40, 41))
        con.execute("BEGIN")
        con.execute("UPDATE stored_events SET originator_id = 'swap' WHERE rowid = 40")
        con.execute("UPDATE stored_events SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
                    "WHERE rowid = 41", a)
        con.execute("UPDATE stored_events SET originator_id = ?, originator_version = ?, topic = ?, state = ? "
                    "WHERE rowid = 40", b)
        con.execute("COMMIT")
    elif case == "duplicate":  # row 60 copied byte for byte over row 61's place
        expect = 61
        con.executescript("""
            BEGIN;
            CREATE TABLE loose (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB);
            INSERT INTO loose (rowid, originator_id, originator_version, topic, state)
                SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE rowid != 61;
            INSERT INTO loose (rowid, originator_id, originator_version, topic, state)
                SELECT 61, originator_id, originator_version, topic, state FROM stored_events WHERE rowid = 60;
            DROP TABLE stored_events;
            ALTER TABLE loose RENAME TO stored_events;
            COMMIT;
        """)
    elif case == "deleted middle row":
        expect = 60
        con.execute("DELETE FROM stored_events WHERE rowid = 60")
        if forger_rechains:  # close the gap too: every later row moves down by one
            con.execute("UPDATE stored_events SET rowid = -(rowid - 1) WHERE rowid > 60")
            con.execute("UPDATE stored_events SET rowid = -rowid WHERE rowid < 0")
    elif case == "deleted tail":
        expect = store["sealed_at"]
        con.execute("DELETE FROM stored_events WHERE rowid >= ?", [expect])
        con.execute("DELETE FROM event_chain WHERE position >= ?", [expect])
    elif case == "appended forgery":  # a forged donation slipped in at position 100, the rest moved up
        expect = 100
        topic, state = con.execute("SELECT topic, state FROM stored_events WHERE topic = 'taizhang:DonationMade' "
                                   "ORDER BY rowid LIMIT 1").fetchone()
        data = json.loads(state)
        data.update(key="forged", title="伪造的捐赠 forged donation")
        con.execute("BEGIN")
        con.execute("UPDATE stored_events SET rowid = -rowid - 1 WHERE rowid >= 100")
        con.execute("UPDATE stored_events SET rowid = -rowid WHERE rowid < 0")
        con.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                    "VALUES (100, ?, 1, ?, ?)", [uuid5(NAMESPACE, "forged").hex, topic,
                                                 json.dumps(data, ensure_ascii=False).encode()])
        con.execute("COMMIT")
    con.close()
    if forger_rechains:
        rechain(copy)
    result = verify(store, copy)  # nothing read the store since the edit
    assert result.exit_code == 1, result.stdout
    bad = first_bad(result)
    if forger_rechains and case != "duplicate":
        # the links agree again: what names the damage is the signed checkpoint (and the signed seal)
        assert "signed" in result.stderr, result.stderr
        assert bad is not None and bad >= expect or "deleted" in result.stderr
    else:
        assert bad == expect, result.stderr
