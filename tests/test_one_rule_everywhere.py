"""One rule, every entry point: closing a year is refused by ``taizhang close``, the audit page and
the audit API for the same cases, with the same message, and nothing is written.

The refusal each entry point must give is the one the use case itself raises (service/audit.py),
taken from it and compared with what the CLI printed, the page showed and the API answered.
"""
from __future__ import annotations

import html
import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from scripts.cli import cli
from scripts.demo import demo_payloads
from service import audit as audit_cases
from tests.conftest import login

KEY = "one-rule-seal-key"
ORG = "东西湖区工商联"


def page_text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def refused_everywhere(app, client, folder, year: int, monkeypatch, key: str | None) -> audit_cases.AuditRefused:
    """Try to close ``year`` through the use case, the CLI, the page and the API; all must refuse alike."""
    if key:
        monkeypatch.setenv("TAIZHANG_SEAL_KEY", key)
    else:
        monkeypatch.delenv("TAIZHANG_SEAL_KEY", raising=False)
    services = app.extensions["taizhang"]
    before = services.ledger.recorder.max_notification_id()
    with pytest.raises(audit_cases.AuditRefused) as caught:
        audit_cases.close_year(services, year, None, "wang_admin")
    refusal = caught.value

    cli_run = CliRunner().invoke(cli, ["close", str(year)], catch_exceptions=False,
                                 env={"TAIZHANG_DATA": str(folder), "TAIZHANG_SEAL_KEY": key,
                                      "TAIZHANG_ACTOR": "wang_admin"})
    assert cli_run.exit_code == 1
    assert refusal.zh in cli_run.stderr and refusal.en in cli_run.stderr

    page = client.post(f"/audit/years/{year}/close", data={"confirm": "yes"})
    assert page.status_code == refusal.status
    assert refusal.zh in page_text(page)  # the UI's default language is Chinese

    api = client.post(f"/api/audit/years/{year}/close", json={})
    assert api.status_code == refusal.status
    assert api.get_json()["message"] == f"{refusal.zh} / {refusal.en}"
    if refusal.problems:
        assert api.get_json()["errors"]["problems"] == refusal.problems

    assert services.ledger.recorder.max_notification_id() == before  # nothing written, anywhere
    return refusal


@pytest.fixture
def admin_client(app):
    client = app.test_client()
    login(client, "admin")
    return client


def load_demo(app) -> None:
    app.extensions["taizhang"].ledger.import_lines(
        (json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")


def test_an_empty_ledger_has_no_year_to_close_on_every_entry_point(app, admin_client, tmp_path, monkeypatch):
    refusal = refused_everywhere(app, admin_client, tmp_path, 2020, monkeypatch, KEY)
    assert refusal.status == 422 and "台账为空" in refusal.zh


def test_a_year_without_records_is_refused_on_every_entry_point(app, admin_client, tmp_path, monkeypatch):
    load_demo(app)
    refusal = refused_everywhere(app, admin_client, tmp_path, 2031, monkeypatch, KEY)
    assert refusal.status == 422 and "2031" in refusal.zh and ORG in refusal.zh


def test_no_seal_key_is_refused_on_every_entry_point(app, admin_client, tmp_path, monkeypatch):
    load_demo(app)
    refusal = refused_everywhere(app, admin_client, tmp_path, 2020, monkeypatch, None)
    assert refusal.status == 503 and "TAIZHANG_SEAL_KEY" in refusal.en


def test_a_closed_year_is_refused_the_second_time_on_every_entry_point(app, admin_client, tmp_path, monkeypatch):
    load_demo(app)
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", KEY)
    seal = audit_cases.close_year(app.extensions["taizhang"], 2020, None, "wang_admin")
    assert seal["year"] == 2020 and seal["closed_by"] == "wang_admin"
    refusal = refused_everywhere(app, admin_client, tmp_path, 2020, monkeypatch, KEY)
    assert refusal.status == 409 and "已关闭" in refusal.zh


def test_a_ledger_that_does_not_verify_is_not_sealed_on_any_entry_point(app, admin_client, tmp_path, monkeypatch):
    load_demo(app)
    services = app.extensions["taizhang"]
    services.reports.catch_up()  # the chain holds the stored events as they were
    con = sqlite3.connect(tmp_path / "ledger.sqlite", isolation_level=None)
    target, state = con.execute("SELECT rowid, state FROM stored_events WHERE topic = 'taizhang:JobFairHeld' "
                                "ORDER BY rowid LIMIT 1").fetchone()
    con.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                [state.replace(b'"value":1020', b'"value":1920', 1), target])
    con.close()
    refusal = refused_everywhere(app, admin_client, tmp_path, 2020, monkeypatch, KEY)
    assert refusal.status == 409 and refusal.problems and str(target) in refusal.problems[0]
    assert services.reports.seal(ORG, 2020) is None
