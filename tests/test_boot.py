"""The project boots: scripts/run serves the app, the app guards its secret, CI runs scripts/test."""
from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from api import create_app

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.slow
def test_scripts_run_serves_the_page(tmp_path):
    port = _free_port()
    env = dict(os.environ, PORT=str(port), TAIZHANG_DATA=str(tmp_path / "data"),
               TAIZHANG_ENV="development")
    env.pop("TAIZHANG_SECRET_KEY", None)
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run")],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    url = f"http://127.0.0.1:{port}/"
    output: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while url not in "".join(output):
            remaining = deadline - time.monotonic()
            assert remaining > 0, "scripts/run printed no URL within 60 s:\n" + "".join(output)
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line is not None, "scripts/run exited early:\n" + "".join(output)
            output.append(line)

        # The URL is printed just before waitress binds: retry until it answers.
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    status, body, server = resp.status, resp.read().decode("utf-8"), resp.headers.get("Server")
                break
            except OSError:
                assert proc.poll() is None, "server exited:\n" + "".join(output)
                assert time.monotonic() < deadline, "server did not answer within 60 s"
                time.sleep(0.2)
        assert status == 200
        assert "台账" in body
        assert server == "waitress"  # never Flask's debug server
        # the 2020 demo ledger was loaded into the empty store, and the first admin login printed once
        import sqlite3

        with sqlite3.connect(tmp_path / "data" / "ledger.sqlite") as con:
            stored = con.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        assert stored >= 130
        assert "admin login: admin / " in "".join(output)
    finally:
        _stop(proc)


def test_create_app_refuses_production_without_secret(monkeypatch):
    monkeypatch.setenv("TAIZHANG_ENV", "production")
    monkeypatch.delenv("TAIZHANG_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="TAIZHANG_SECRET_KEY"):
        create_app()


def test_create_app_uses_the_given_secret(monkeypatch):
    monkeypatch.setenv("TAIZHANG_ENV", "production")
    monkeypatch.setenv("TAIZHANG_SECRET_KEY", "s3cret-from-env")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret-from-env"
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    page = client.get("/")
    assert page.status_code == 200
    assert "台账" in page.get_data(as_text=True)


def test_development_makes_a_random_secret(monkeypatch):
    monkeypatch.setenv("TAIZHANG_ENV", "development")
    monkeypatch.delenv("TAIZHANG_SECRET_KEY", raising=False)
    first, second = create_app(), create_app()
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_ci_runs_scripts_test():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci
    assert "CI=true" in ci
    assert os.access(ROOT / "scripts" / "run", os.X_OK)
    assert os.access(ROOT / "scripts" / "test", os.X_OK)


@pytest.mark.postgres
def test_postgres_test_database_is_reachable(pg_env):
    import psycopg

    with psycopg.connect(
        host=pg_env["POSTGRES_HOST"], port=int(pg_env["POSTGRES_PORT"]),
        user=pg_env["POSTGRES_USER"], password=pg_env["POSTGRES_PASSWORD"],
        dbname=pg_env["POSTGRES_DBNAME"], connect_timeout=5,
    ) as conn:
        user, db = conn.execute("SELECT current_user, current_database()").fetchone()
    assert (user, db) == (pg_env["POSTGRES_USER"], pg_env["POSTGRES_DBNAME"])
