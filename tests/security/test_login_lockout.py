"""Login lockout: atomic under parallel guesses, per (name, source) and per source."""
from __future__ import annotations

import threading

import pytest

from service import accounts as accounts_module
from service.accounts import MAX_FAILURES, Accounts

SOURCE_MAX_FAILURES = getattr(accounts_module, "SOURCE_MAX_FAILURES", 20)
from tests.conftest import PASSWORDS

RIGHT = "the-right-password-1"


class CountingHasher:
    """The argon2 hasher, counting how many passwords it checks against a hash."""

    def __init__(self, real):
        self.real = real
        self.checks = 0
        self.lock = threading.Lock()

    def verify(self, *args, **kwargs):
        with self.lock:
            self.checks += 1
        return self.real.verify(*args, **kwargs)

    def hash(self, *args, **kwargs):
        return self.real.hash(*args, **kwargs)


@pytest.fixture
def accounts(tmp_path):
    store = Accounts(tmp_path)
    store.add("admin", "admin", RIGHT)
    return store


def test_parallel_wrong_guesses_never_check_more_than_the_limit_and_then_lock(accounts, monkeypatch):
    counting = CountingHasher(accounts_module._hasher)
    monkeypatch.setattr(accounts_module, "_hasher", counting)
    threads, per_thread = 8, 5
    barrier = threading.Barrier(threads)
    accepted = []

    def guess(i: int) -> None:
        barrier.wait()
        for j in range(per_thread):
            if accounts.verify("admin", f"wrong-{i}-{j}", source="10.0.0.9"):
                accepted.append((i, j))

    workers = [threading.Thread(target=guess, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"{threads * per_thread} parallel wrong guesses: {counting.checks} checked, the rest refused unchecked")
    assert not accepted
    assert counting.checks <= MAX_FAILURES
    assert accounts.is_locked("admin", source="10.0.0.9")
    assert accounts.verify("admin", RIGHT, source="10.0.0.9") is None  # locked: even the right one is refused


def test_guesses_from_one_source_do_not_lock_the_user_out_from_another(accounts):
    for i in range(MAX_FAILURES):
        assert accounts.verify("admin", f"wrong-{i}", source="10.0.0.66") is None
    assert accounts.is_locked("admin", source="10.0.0.66")
    assert not accounts.is_locked("admin", source="10.0.0.1")
    assert accounts.verify("admin", RIGHT, source="10.0.0.1") is not None


def test_one_source_guessing_many_names_is_locked_as_a_whole(accounts):
    for i in range(SOURCE_MAX_FAILURES):
        accounts.verify(f"user{i}", "wrong-password", source="10.0.0.66")
    assert accounts.is_locked("someone-new", source="10.0.0.66")
    assert accounts.verify("admin", RIGHT, source="10.0.0.66") is None
    assert accounts.verify("admin", RIGHT, source="10.0.0.1") is not None


def test_a_lock_runs_out(accounts):
    for i in range(MAX_FAILURES):
        accounts.verify("admin", f"wrong-{i}", now=1000.0, source="s")
    assert accounts.verify("admin", RIGHT, now=1001.0, source="s") is None
    assert accounts.verify("admin", RIGHT, now=1000.0 + accounts_module.LOCK_SECONDS + 1, source="s") is not None


def test_login_page_locks_the_guessing_address_only(app):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.0.0.66"
    for _ in range(MAX_FAILURES):
        assert attacker.post("/login", data={"name": "wang_admin", "password": "nope-nope"}).status_code == 401
    assert attacker.post("/login", data={"name": "wang_admin", "password": PASSWORDS["admin"]}).status_code == 429
    admin = app.test_client()
    admin.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    assert admin.post("/login", data={"name": "wang_admin", "password": PASSWORDS["admin"]}).status_code == 302
