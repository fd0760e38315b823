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

PASSWORDS = {"staff": "staff-pass-123", "auditor": "auditor-pass-123", "admin": "admin-pass-123"}


@pytest.fixture
def app(tmp_path):
    """The web app on a fresh data folder, with one user per role (names: li_staff, zhao_auditor, wang_admin).

    CSRF is off here so tests can post forms plainly; ``csrf_app`` keeps it on.
    """
    from api import create_app

    app = create_app({"TESTING": True, "TAIZHANG_DATA": str(tmp_path), "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret"})
    accounts = app.extensions["taizhang"].accounts
    for name, role in USERS.items():
        accounts.add(name, role, PASSWORDS[role])
    return app


USERS = {"li_staff": "staff", "zhao_auditor": "auditor", "wang_admin": "admin"}
USER_OF_ROLE = {role: name for name, role in USERS.items()}


@pytest.fixture
def csrf_app(tmp_path):
    from api import create_app

    app = create_app({"TESTING": True, "TAIZHANG_DATA": str(tmp_path), "SECRET_KEY": "test-secret"})
    accounts = app.extensions["taizhang"].accounts
    for name, role in USERS.items():
        accounts.add(name, role, PASSWORDS[role])
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, role: str):
    """Log the test client in as the user of ``role`` (staff / auditor / admin)."""
    name = USER_OF_ROLE[role]
    response = client.post("/login", data={"name": name, "password": PASSWORDS[role]})
    assert response.status_code == 302, response.data[:500]
    return name


@pytest.fixture
def as_staff(client):
    login(client, "staff")
    return client


@pytest.fixture
def as_auditor(client):
    login(client, "auditor")
    return client


@pytest.fixture
def as_admin(client):
    login(client, "admin")
    return client
