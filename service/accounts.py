"""Accounts: staff, auditors and admins, with argon2 password hashes and API tokens.

Kept beside the ledger (not in it): a password hash does not belong in an append-only log. Stored
with sqlite-utils in ``accounts.sqlite`` under the data folder.
"""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("staff", "auditor", "admin")
MAX_FAILURES = 5
LOCK_SECONDS = 300
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refused account operation (unknown role, existing name, weak password …)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def can_audit(self) -> bool:
        return self.role in ("auditor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, folder: str | Path):
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.path = Path(folder) / "accounts.sqlite"
        self._local = threading.local()  # one connection per thread: a web server answers from several
        if "users" not in self.db.table_names():
            self.db["users"].create({"name": str, "role": str, "password_hash": str, "token_digest": str,
                                     "failures": int, "locked_until": float, "created_at": float},
                                    pk="name", not_null={"role", "password_hash"})
            self.db["users"].create_index(["token_digest"])

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30))
        return db

    def _row(self, name: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM users WHERE name = ?", [name]))
        return rows[0] if rows else None

    def add(self, name: str, role: str, password: str | None = None) -> str:
        """Create a user; answers the password (a random one when none is given)."""
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise AccountError("用户名应为 1–64 个字符 / a user name has 1 to 64 characters")
        if role not in ROLES:
            raise AccountError(f"角色应为 {'/'.join(ROLES)} / role must be one of {', '.join(ROLES)}")
        if self._row(name):
            raise AccountError(f"用户 {name} 已存在 / user {name} exists")
        password = password or secrets.token_urlsafe(12)
        if len(password) < 8:
            raise AccountError("密码至少 8 位 / a password has at least 8 characters")
        with self.db.conn:
            self.db["users"].insert({"name": name, "role": role, "password_hash": _hasher.hash(password),
                                     "token_digest": None, "failures": 0, "locked_until": 0.0,
                                     "created_at": time.time()})
        return password

    def set_password(self, name: str, password: str) -> None:
        if not self._row(name):
            raise AccountError(f"没有用户 {name} / no user {name}")
        if len(password) < 8:
            raise AccountError("密码至少 8 位 / a password has at least 8 characters")
        self.db["users"].update(name, {"password_hash": _hasher.hash(password), "failures": 0, "locked_until": 0.0})

    def verify(self, name: str, password: str, now: float | None = None) -> User | None:
        """The user when the password is right; None otherwise. Five failures lock the name for 5 minutes."""
        now = time.time() if now is None else now
        row = self._row(name)
        if row is None:
            _hasher.hash(password or "x")  # same cost either way: no user enumeration by timing
            return None
        if (row["locked_until"] or 0) > now:
            return None
        try:
            _hasher.verify(row["password_hash"], password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            failures = (row["failures"] or 0) + 1
            locked = now + LOCK_SECONDS if failures >= MAX_FAILURES else 0.0
            self.db["users"].update(name, {"failures": 0 if locked else failures, "locked_until": locked})
            return None
        if row["failures"]:
            self.db["users"].update(name, {"failures": 0})
        return User(row["name"], row["role"])

    def is_locked(self, name: str, now: float | None = None) -> bool:
        row = self._row(name)
        return bool(row and (row["locked_until"] or 0) > (time.time() if now is None else now))

    def get(self, name: str) -> User | None:
        row = self._row(name)
        return User(row["name"], row["role"]) if row else None

    def issue_token(self, name: str) -> str:
        """A new API token for the user (shown once; only its digest is kept)."""
        if not self._row(name):
            raise AccountError(f"没有用户 {name} / no user {name}")
        token = "tz_" + secrets.token_urlsafe(32)
        self.db["users"].update(name, {"token_digest": _token_digest(token)})
        return token

    def for_token(self, token: str) -> User | None:
        if not token:
            return None
        rows = list(self.db.query("SELECT name, role FROM users WHERE token_digest = ?", [_token_digest(token)]))
        return User(rows[0]["name"], rows[0]["role"]) if rows else None

    def all(self) -> list[User]:
        return [User(r["name"], r["role"]) for r in self.db.query("SELECT name, role FROM users ORDER BY name")]

    def ensure_admin(self) -> tuple[str, str] | None:
        """On first start: an admin with a random password, answered once; None when users exist."""
        if self.db["users"].count:
            return None
        password = secrets.token_urlsafe(12)
        self.add("admin", "admin", password)
        return "admin", password
