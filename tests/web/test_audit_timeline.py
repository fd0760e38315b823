"""The audit timeline in an auditor's words: one row per user action (登记, 更正, 撤销, 封存年度), with who,
when, which record and why; the store's bookkeeping (Registered, Made, Opened) inside the row it was
saved with, never a row of its own; a raw view with every stored event, its position and chain hash.

The ledger is the 2020 demo ledger (chambers and enterprises among it), with a correction, a
retraction and 2020 sealed by named users.
"""
from __future__ import annotations

import html
import json
import re

import pytest

from projections.timeline import BOOKKEEPING
from scripts.demo import demo_payloads
from service.ledger import record_id_for

JOB_FAIR_1 = record_id_for("demo-2020-job_fair-01")
DONATION_1 = record_id_for("demo-2020-donation-01")
ROW = re.compile(r'<tr class="action" data-position="(\d+)" data-event="([^"]*)" data-actor="([^"]*)" '
                 r'data-kind="([^"]*)" data-recorded="([^"]*)" data-action="([^"]*)" data-events="(\d+)">(.*?)</tr>',
                 re.S)
COUNT = re.compile(r'id="timeline-count">共 (\d+) 项操作，(\d+) 个存储事件')


@pytest.fixture
def ledger_2020(app, monkeypatch):
    """The demo ledger, a correction and a retraction by named users, and 2020 sealed by an admin."""
    services = app.extensions["taizhang"]
    services.ledger.import_lines((json.dumps(p, ensure_ascii=False) for p in demo_payloads()), actor="demo")
    services.ledger.correct(JOB_FAIR_1, {"posts": 1021}, "录入错误", actor="li_staff")
    services.ledger.retract(DONATION_1, "重复登记", actor="wang_admin")
    monkeypatch.setenv("TAIZHANG_SEAL_KEY", "timeline-test-key")
    position, head = services.reports.chain_head()
    services.ledger.close_year("东西湖区工商联", 2020, position, head, actor="wang_admin")
    services.reports.catch_up()
    return app


def stored_events(app) -> list[tuple[int, str]]:
    """(position, event class) of every event in the store itself, not the read model."""
    ledger = app.extensions["taizhang"].ledger
    return [(pos, type(event).__name__) for pos, event in ledger.iter_events()]


def actions(client, query: str = "") -> tuple[list[dict], tuple[int, int]]:
    page = client.get(f"/audit?size=500{query}").get_data(as_text=True)
    rows = [{"position": int(m[0]), "event": m[1], "actor": m[2], "kind": m[3], "action": m[5],
             "events": int(m[6]), "cells": html.unescape(re.sub(r"<[^>]+>", " ", m[7])),
             "stored": [int(p) for p in re.findall(r'<li data-position="(\d+)"', m[7])]}
            for m in ROW.findall(page)]
    count = COUNT.search(page)
    assert count, "no count line"
    return rows, (int(count[1]), int(count[2]))


def test_every_row_is_a_user_action_with_an_actor_and_the_bookkeeping_sits_inside(ledger_2020, as_auditor):
    rows, (n, m) = actions(as_auditor)
    store = stored_events(ledger_2020)
    bookkeeping = {pos for pos, name in store if name in BOOKKEEPING}
    assert bookkeeping, "the demo ledger has chambers and enterprises: it stores bookkeeping events"
    assert len(rows) == n == len(store) - len(bookkeeping)
    assert m == len(store)
    assert all(r["actor"] for r in rows), [r for r in rows if not r["actor"]]
    assert not {r["event"] for r in rows} & set(BOOKKEEPING)
    # every stored event appears in exactly one row: the action's own and its bookkeeping
    inside = [p for r in rows for p in r["stored"]]
    assert sorted(inside) == [pos for pos, _ in store]
    assert sum(r["events"] for r in rows) == m
    for r in rows:
        assert r["position"] in r["stored"]
        assert all(abs(p - r["position"]) <= 2 for p in r["stored"])


def test_each_action_reads_in_business_terms(ledger_2020, as_auditor):
    rows, _ = actions(as_auditor)
    by_action = {r["action"]: r for r in reversed(rows)}
    assert set(by_action) == {"log", "correct", "retract", "close"}
    correction = next(r for r in rows if r["action"] == "correct")
    assert "更正" in correction["cells"] and "li_staff" in correction["cells"] and "录入错误" in correction["cells"]
    retraction = next(r for r in rows if r["action"] == "retract")
    assert "撤销" in retraction["cells"] and "重复登记" in retraction["cells"]
    close = next(r for r in rows if r["action"] == "close")
    assert "封存年度" in close["cells"] and "东西湖区工商联" in close["cells"] and "2020" in close["cells"]
    assert close["events"] == 2  # the year's aggregate was opened in the same save
    chamber = next(r for r in rows if r["kind"].startswith("chamber_") and r["events"] == 3)
    assert "登记" in chamber["cells"]


def test_filters_count_actions_and_the_events_behind_them(ledger_2020, as_auditor):
    rows, (n, m) = actions(as_auditor, "&actor=li_staff")
    assert [r["action"] for r in rows] == ["correct"] and (n, m) == (1, 1)
    rows, (n, m) = actions(as_auditor, "&action=close")
    assert [r["action"] for r in rows] == ["close"] and (n, m) == (1, 2)
    chambers = [r for r in actions(as_auditor, "&action=log")[0] if r["kind"].startswith("chamber_")]
    assert chambers and all(r["action"] == "log" for r in chambers)


def test_the_raw_view_keeps_every_stored_event_with_its_position_and_chain_hash(ledger_2020, as_auditor):
    page = as_auditor.get("/audit?view=events&size=500").get_data(as_text=True)
    positions = [int(p) for p in re.findall(r'<tr class="event" data-position="(\d+)"', page)]
    store = stored_events(ledger_2020)
    assert sorted(positions) == [pos for pos, _ in store]
    hashes = re.findall(r'<code class="hash">([0-9a-f]{64})</code>', page)
    assert len(hashes) == len(store)
    chain = ledger_2020.extensions["taizhang"].reports.store.db
    assert hashes[0] == chain.execute("SELECT hash FROM chain WHERE position = ?", [positions[0]]).fetchone()[0]
    count = COUNT.search(page)
    assert (int(count[1]), int(count[2])) == (len([1 for _, e in store if e not in BOOKKEEPING]), len(store))


def test_paging_goes_by_actions(ledger_2020, as_auditor):
    first = ROW.findall(as_auditor.get("/audit?size=10").get_data(as_text=True))
    second = ROW.findall(as_auditor.get("/audit?size=10&page=2").get_data(as_text=True))
    assert len(first) == len(second) == 10
    assert int(first[-1][0]) > int(second[0][0])
