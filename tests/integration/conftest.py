"""Fixtures of the integration tests: a ledger on an SQLite file under tmp_path (see tests/helpers.py),
and the reports read from it."""
import pytest

from projections.reports import Reports
from tests.helpers import ledger, sqlite_only  # noqa: F401


@pytest.fixture
def reports(ledger, tmp_path):  # noqa: F811
    return Reports(ledger.recorder, tmp_path, owner=ledger)
