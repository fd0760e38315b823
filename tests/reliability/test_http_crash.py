"""kill -9 of the web server during bursts of POSTs: no acknowledged record is lost, none doubled.

The server is what ``scripts/run`` starts (waitress over the app factory, production settings),
run as a subprocess and killed with SIGKILL ten times while four clients POST /api/actions with
idempotency keys. A record is acknowledged when the server answered 201/200; a request cut off by
the kill is sent again, with the same key, to the next server. At the end every key names exactly
one record, every acknowledged one is there with its content, and ``taizhang verify`` says OK.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from scripts.cli import cli
from service.bootstrap import Settings, bootstrap
from service.ledger import record_id_for

pytestmark = pytest.mark.slow
CYCLES, CLIENTS = 10, 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "TAIZHANG_DATA": str(data), "TAIZHANG_ENV": "production",
           "TAIZHANG_SECRET_KEY": "crash-test-secret"}
    proc = subprocess.Popen([sys.executable, "-m", "waitress", "--host", "127.0.0.1", f"--port={port}",
                             "--call", "api:create_app"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            assert proc.poll() is None, "the server exited"
            time.sleep(0.1)
    raise AssertionError("the server did not answer within 30 s")


def payload(key: str) -> dict:
    return {"kind": "talk", "organisation": "东西湖区工商联", "occurred_on": "2020-06-01",
            "title": f"讲座 {key}"}


def post(port: int, token: str, key: str) -> int | None:
    """The answer's status, or None when the connection was cut (the outcome is unknown)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/actions", data=json.dumps(payload(key), ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json"},
        method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def test_kill_9_during_post_bursts_loses_and_doubles_nothing(tmp_path):
    data = tmp_path / "data"
    built = bootstrap(Settings.from_env(data))
    built.accounts.add("crash", "staff", "crash-password-123")
    token = built.accounts.issue_token("crash")
    acknowledged: set[str] = set()
    unknown: set[str] = set()  # sent, cut off by the kill: sent again to the next server
    lock = threading.Lock()
    other_answers: list[int] = []
    for cycle in range(CYCLES):
        port = _free_port()
        server = start(data, port)
        stop = threading.Event()
        with lock:
            retry = sorted(unknown)
            unknown.clear()

        def client(n: int) -> None:
            keys = [k for i, k in enumerate(retry) if i % CLIENTS == n]
            i = 0
            while not stop.is_set() or keys:
                key = keys.pop() if keys else f"c{cycle}-t{n}-{i}"
                i += 0 if key in retry else 1
                status = post(port, token, key)
                with lock:
                    if status in (200, 201):
                        acknowledged.add(key)
                    elif status is None:
                        unknown.add(key)
                        return  # the server is gone
                    else:
                        other_answers.append(status)
                if stop.is_set() and not keys:
                    return

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(0.6 + 0.1 * (cycle % 4))
        os.killpg(server.pid, signal.SIGKILL)  # mid-burst
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)

    # one last server: what was cut off is sent once more, then the store is read back
    port = _free_port()
    server = start(data, port)
    try:
        for key in sorted(unknown):
            status = post(port, token, key)
            assert status in (200, 201), (key, status)
            acknowledged.add(key)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    ledger = bootstrap(Settings.from_env(data)).ledger
    records = [json.loads(line) for line in ledger.export_lines()]
    keys = [r["key"] for r in records]
    print(f"\nkill -9 x {CYCLES}: {len(acknowledged)} acknowledged, {len(records)} stored, "
          f"{len(keys) - len(set(keys))} doubled, other answers {sorted(set(other_answers))}")
    assert other_answers == []
    assert len(keys) == len(set(keys))  # 0 duplicated
    assert acknowledged <= set(keys)  # 0 lost
    for record in records:
        assert record["title"] == f"讲座 {record['key']}"
        assert ledger.get(record_id_for(record["key"]))["version"] == 1
    result = CliRunner().invoke(cli, ["verify"], env={"TAIZHANG_DATA": str(data)}, catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout.startswith("OK"), result.output
