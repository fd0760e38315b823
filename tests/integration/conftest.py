"""Fixtures of the integration tests: a ledger on an SQLite file under tmp_path (see tests/helpers.py)."""
from tests.helpers import ledger, sqlite_only  # noqa: F401
