"""A record's version is its own: 1 when logged, +1 per correction or retraction, as many as its
history rows — on its page, in the API, in the CLI and in the 409 of a stale write.

A chamber's facts share one aggregate (the chamber), whose version counts the chamber's registration
and every fact about it; the record must never show that number.
"""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from scripts.cli import cli
from tests.conftest import login
from tests.helpers import ORG, valid_payload

CHAMBER = "武汉版本测试商会"


def membership(key: str, **overrides) -> dict:
    return valid_payload("chamber_membership", key, chamber=CHAMBER, organisation=ORG, **overrides)


@pytest.fixture
def ledger(app):
    return app.extensions["taizhang"].ledger


@pytest.fixture
def chamber_fact(ledger):
    """A membership count logged after two other facts about the same chamber (its aggregate is at v4)."""
    ledger.log(valid_payload("chamber_founded", "ver-founded", chamber=CHAMBER, organisation=ORG), actor="li_staff")
    ledger.log(valid_payload("chamber_election", "ver-election", chamber=CHAMBER, organisation=ORG),
               actor="li_staff")
    return ledger.log(membership("ver-members"), actor="li_staff").id


def page_version(client, record_id) -> int:
    html = client.get(f"/records/{record_id}").get_data(as_text=True)
    match = re.search(r'<th scope="row">版本</th><td>(\d+)</td>', html)
    assert match, "the record page shows no version"
    return int(match.group(1))


def test_a_chamber_fact_logged_once_is_version_1_everywhere(app, client, ledger, chamber_fact):
    holder = ledger.repository.get(ledger.repository.get(chamber_fact).owner_id)
    assert holder.version == 4  # the chamber's own count: registered, founded, election, membership
    assert ledger.get(chamber_fact)["version"] == 1
    assert len(ledger.history(chamber_fact)) == 1
    assert app.extensions["taizhang"].reports.record(str(chamber_fact))["version"] == 1
    login(client, "staff")
    assert page_version(client, chamber_fact) == 1
    assert client.get(f"/api/actions/{chamber_fact}").get_json()["version"] == 1


def test_each_correction_or_retraction_adds_one_and_matches_the_history(app, client, ledger, chamber_fact):
    assert ledger.correct(chamber_fact, {"members": 60}, "重新核对", actor="li_staff", expected_version=1) == 2
    assert ledger.retract(chamber_fact, "重复录入", actor="li_staff", expected_version=2) == 3
    history = ledger.history(chamber_fact)
    assert [h["version"] for h in history] == [1, 2, 3]
    assert ledger.get(chamber_fact)["version"] == len(history)
    assert app.extensions["taizhang"].reports.record(str(chamber_fact))["version"] == 3
    login(client, "staff")
    assert page_version(client, chamber_fact) == 3
    story = client.get(f"/api/actions/{chamber_fact}/history").get_json()
    assert [h["version"] for h in story] == [1, 2, 3]


def test_another_fact_of_the_same_chamber_does_not_make_a_write_stale(ledger, chamber_fact):
    ledger.log(membership("ver-members-2", members=12), actor="li_staff")  # the chamber moves on, not this fact
    assert ledger.correct(chamber_fact, {"members": 61}, "重新核对", actor="li_staff", expected_version=1) == 2
    assert ledger.get(chamber_fact)["members"]["value"] == 61


def test_a_stale_write_is_refused_in_the_records_own_versions(client, ledger, chamber_fact):
    ledger.correct(chamber_fact, {"members": 60}, "第一次", actor="li_staff", expected_version=1)
    login(client, "staff")
    response = client.post(f"/api/actions/{chamber_fact}/corrections",
                           json={"changes": {"members": 70}, "reason": "第二次", "expected_version": 1})
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    assert ledger.get(chamber_fact)["members"]["value"] == 60


def test_the_cli_takes_and_answers_the_records_own_version(app, tmp_path, monkeypatch, chamber_fact):
    monkeypatch.setenv("TAIZHANG_DATA", app.config["TAIZHANG_DATA"])
    runner = CliRunner()
    shown = runner.invoke(cli, ["show", str(chamber_fact)], catch_exceptions=False)
    assert json.loads(shown.output)["version"] == 1
    stale = runner.invoke(cli, ["correct", str(chamber_fact), "--reason", "核对", "--members", "61",
                                "--expected-version", "4"], catch_exceptions=False)
    assert stale.exit_code == 1 and "version 1, not 4" in stale.output
    done = runner.invoke(cli, ["correct", str(chamber_fact), "--reason", "核对", "--members", "61",
                               "--expected-version", "1"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "corrected, now version 2"
