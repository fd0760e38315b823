"""Shared fixtures. PostgreSQL settings come from TEST_POSTGRES_* (set by scripts/test)."""
from __future__ import annotations

import os

import pytest

PG_DEFAULTS = {
    "POSTGRES_HOST": "127.0.0.1",
    "POSTGRES_PORT": "5432",
    "POSTGRES_USER": "taizhang",
    "POSTGRES_PASSWORD": "taizhang",
    "POSTGRES_DBNAME": "taizhang_test",
}


@pytest.fixture(scope="session")
def pg_env() -> dict[str, str]:
    """The POSTGRES_* settings for the test database, checked to be reachable.

    A missing server skips the test locally and fails it under CI=true.
    """
    env = {key: os.environ.get("TEST_" + key, default) for key, default in PG_DEFAULTS.items()}
    try:
        import psycopg

        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            dbname=env["POSTGRES_DBNAME"],
            connect_timeout=5,
        ) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # ImportError, OperationalError, bad port …
        where = f"{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
        message = f"PostgreSQL test database {where} is not reachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return env


# --- app fixtures ---
