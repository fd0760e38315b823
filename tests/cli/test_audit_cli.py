"""The auditor's commands: ``export --audit``, ``checkpoint``, ``verify --checkpoint`` and ``close``.

An auditor who trusts no server can take the audit export away and recompute every chain hash from
its lines alone with ``projections.chain.link``; a checkpoint kept offline verifies as long as the
ledger only grows.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from projections.chain import CHECKPOINT_FORMAT, GENESIS, link
from projections.reports import Reports
from scripts.cli import cli
from scripts.demo import demo_payloads
from service.ledger import record_id_for

KEY = "cli-test-seal-key"


@pytest.fixture
def store(ledger, tmp_path):
    """The demo ledger with a correction and a retraction, on tmp_path (the CLI's TAIZHANG_DATA)."""
    ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
    ledger.correct(record_id_for("demo-2020-job_fair-01"), {"posts": 1021}, "录入错误", actor="li_staff")
    ledger.retract(record_id_for("demo-2020-donation-01"), "重复登记", actor="li_staff")
    return tmp_path


def run(folder, *args, key: str | None = None):
    env = {"TAIZHANG_DATA": str(folder), "TAIZHANG_SEAL_KEY": key, "TAIZHANG_ACTOR": "auditor-cli"}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_the_audit_export_has_every_stored_event_and_its_chain_hash_recomputes_from_the_lines(store, ledger, tmp_path):
    out = tmp_path / "audit.jsonl"
    result = run(store, "export", "--audit", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    stored = ledger.recorder.max_notification_id()
    assert result.stdout.startswith(f"{stored} events written")
    assert len(lines) == stored == 172
    head = GENESIS
    for expected_position, line in enumerate(lines, start=1):
        event = json.loads(line)
        assert set(event) == {"position", "originator_id", "version", "topic", "state", "chain"}
        assert event["position"] == expected_position
        head = link(head, event["position"], event["originator_id"], event["version"], event["topic"],
                    event["state"].encode())
        assert head == event["chain"], f"line {expected_position}: the chain does not recompute"
    # the last hash is the chain's head as the server keeps it, and the head a checkpoint gives
    reports = Reports(ledger.recorder, store, owner=ledger)
    assert reports.chain_head() == (stored, head)
    last = json.loads(lines[-1])
    assert last["topic"] == "taizhang:Action.Retracted" and json.loads(last["state"])["reason"] == "重复登记"


def test_an_edited_line_of_the_export_no_longer_recomputes(store, tmp_path):
    out = tmp_path / "audit.jsonl"
    assert run(store, "export", "--audit", str(out)).exit_code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    lines[40]["state"] = lines[40]["state"].replace('"actor":"demo"', '"actor":"someone"')
    head, broken = GENESIS, []
    for event in lines:
        head = link(head, event["position"], event["originator_id"], event["version"], event["topic"],
                    event["state"].encode())
        if head != event["chain"]:
            broken.append(event["position"])
            head = event["chain"]
    assert broken == [41]


def test_a_checkpoint_then_verify_with_it_is_ok_on_an_untouched_store_and_after_it_grows(store, ledger, tmp_path):
    file = tmp_path / "checkpoint.json"
    made = run(store, "checkpoint", "-o", str(file))
    assert made.exit_code == 0, made.output
    checkpoint = json.loads(file.read_text(encoding="utf-8"))
    assert checkpoint["format"] == CHECKPOINT_FORMAT and checkpoint["position"] == 172
    assert len(checkpoint["head"]) == 64
    printed = json.loads(run(store, "checkpoint").stdout)
    assert (printed["position"], printed["head"]) == (checkpoint["position"], checkpoint["head"])

    verified = run(store, "verify", "--checkpoint", str(file))
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith(f"OK: 172 events, head {checkpoint['head']} at position 172")

    # the ledger grows: the checkpoint still verifies (history before it is unchanged)
    ledger.correct(record_id_for("demo-2020-job_fair-02"), {"posts": 1351}, "更正", actor="li_staff")
    grown = run(store, "verify", "--checkpoint", str(file), "--format", "json")
    assert grown.exit_code == 0, grown.output
    body = json.loads(grown.stdout)
    assert body["ok"] is True and body["position"] == 173 and body["problems"] == []
    assert body["notes"] == []  # the new event was chained as it was written: nothing is left unvouched

    # a checkpoint that is not ours: exit 1, its position named
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**checkpoint, "head": "ab" * 32}), encoding="utf-8")
    bad = run(store, "verify", "--checkpoint", str(forged))
    assert bad.exit_code == 1
    assert bad.stderr.startswith("BAD: position 172: the chain at the checkpoint's position differs")
    not_a_checkpoint = tmp_path / "other.json"
    not_a_checkpoint.write_text('{"hello": 1}', encoding="utf-8")
    assert run(store, "verify", "--checkpoint", str(not_a_checkpoint)).exit_code == 2


def test_close_seals_the_year_with_the_key_once_and_verify_checks_its_hmac(store):
    refused = run(store, "close", "2020")  # no key in the environment
    assert refused.exit_code == 1 and "TAIZHANG_SEAL_KEY" in refused.stderr
    closed = run(store, "close", "2020", key=KEY)
    assert closed.exit_code == 0, closed.output
    seal = json.loads(closed.stdout)
    assert (seal["year"], seal["position"], seal["closed_by"]) == (2020, 172, "auditor-cli")
    again = run(store, "close", "2020", key=KEY)
    assert again.exit_code == 1 and "closed already" in again.stderr

    with_key = run(store, "verify", key=KEY)
    assert with_key.exit_code == 0, with_key.output
    assert "HMAC not checked" not in with_key.stdout
    without_key = run(store, "verify")
    assert without_key.exit_code == 0 and "HMAC not checked" in without_key.stdout
    wrong_key = run(store, "verify", key="another key")
    assert wrong_key.exit_code == 1
    assert wrong_key.stderr.startswith("BAD: position 172: seal of 东西湖区工商联 2020: HMAC does not match")
