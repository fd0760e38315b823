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
MAX_FAILURES = 5          # wrong guesses for one name from one source before that pair is locked
SOURCE_MAX_FAILURES = 20  # wrong guesses from one source, over all names, before the source is locked
LOCK_SECONDS = 300
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refused account operation (unknown role, existing name, weak password …)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    unit: str | None = None  # the organisation unit's code (service/scope.py); None: the whole ledger

    @property
    def can_write(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def can_audit(self) -> bool:
        return self.role in ("auditor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: dict) -> User:
    return User(row["name"], row["role"], row.get("unit"))


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
        if "unit" not in self.db["users"].columns_dict:  # accounts made before units had none: the whole ledger
            self.db.execute("ALTER TABLE users ADD COLUMN unit TEXT")
        self.db.execute("CREATE TABLE IF NOT EXISTS login_failures (name TEXT NOT NULL, source TEXT NOT NULL, "
                        "failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0, "
                        "PRIMARY KEY (name, source))")
        self.db.execute("CREATE TABLE IF NOT EXISTS source_failures (source TEXT PRIMARY KEY, "
                        "failures INTEGER NOT NULL DEFAULT 0, since REAL NOT NULL DEFAULT 0, "
                        "locked_until REAL NOT NULL DEFAULT 0)")
        self.db.execute("CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, name TEXT NOT NULL, "
                        "created_at REAL NOT NULL, revoked_at REAL)")
        self.db.execute("CREATE INDEX IF NOT EXISTS sessions_name ON sessions (name)")
        self.db.conn.commit()

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30))
        return db

    @property
    def _autocommit(self) -> sqlite3.Connection:
        """A second connection per thread, in autocommit mode, for explicit BEGIN IMMEDIATE transactions."""
        conn = getattr(self._local, "autocommit", None)
        if conn is None:
            conn = self._local.autocommit = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        return conn

    def _row(self, name: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM users WHERE name = ?", [name]))
        return rows[0] if rows else None

    def add(self, name: str, role: str, password: str | None = None, unit: str | None = None) -> str:
        """Create a user (of organisation unit ``unit``, a code; none: the whole ledger); answers the
        password (a random one when none is given)."""
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
                                     "created_at": time.time(), "unit": (unit or "").strip() or None})
        return password

    def set_unit(self, name: str, unit: str | None) -> None:
        """Move a user to another organisation unit (None: the whole ledger); their sessions end."""
        if not self._row(name):
            raise AccountError(f"没有用户 {name} / no user {name}")
        with self.db.conn:
            self.db["users"].update(name, {"unit": (unit or "").strip() or None})
        self.revoke_sessions(name)

    def set_password(self, name: str, password: str) -> None:
        if not self._row(name):
            raise AccountError(f"没有用户 {name} / no user {name}")
        if len(password) < 8:
            raise AccountError("密码至少 8 位 / a password has at least 8 characters")
        with self.db.conn:
            self.db["users"].update(name, {"password_hash": _hasher.hash(password), "failures": 0,
                                           "locked_until": 0.0})
            self.db.execute("DELETE FROM login_failures WHERE name = ?", [name])
        self.revoke_sessions(name)

    def verify(self, name: str, password: str, now: float | None = None, source: str = "") -> User | None:
        """The user when the password is right; None otherwise (or while locked).

        Every attempt is first counted as a failure, in one ``BEGIN IMMEDIATE`` transaction that also
        checks the locks, and only then is the password checked (a right one takes the count back). So
        parallel guesses cannot slip past the limit: at most MAX_FAILURES guesses per (name, source) and
        SOURCE_MAX_FAILURES per source are ever checked in a lock period. Locks are per (name, source)
        and per source, never per name alone: guesses from elsewhere do not lock the real user out.
        """
        now = time.time() if now is None else now
        source = source or ""
        if not self._reserve_attempt(name, source, now):
            return None
        row = self._row(name)
        if row is None:
            _hasher.hash(password or "x")  # same cost either way: no user enumeration by timing
            return None
        try:
            _hasher.verify(row["password_hash"], password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        self._attempt_succeeded(name, source)
        return _user(row)

    def _reserve_attempt(self, name: str, source: str, now: float) -> bool:
        """Count one attempt against (name, source) and source; False (nothing counted) while locked."""
        conn = self._autocommit
        conn.execute("BEGIN IMMEDIATE")
        try:
            pair = conn.execute("SELECT failures, locked_until FROM login_failures WHERE name = ? AND source = ?",
                                (name, source)).fetchone()
            src = conn.execute("SELECT failures, since, locked_until FROM source_failures WHERE source = ?",
                               (source,)).fetchone()
            if (pair and pair[1] > now) or (src and src[2] > now):
                conn.execute("ROLLBACK")
                return False
            failures = 1 + (pair[0] if pair and not pair[1] else 0)  # a lock that ran out starts afresh
            locked = now + LOCK_SECONDS if failures >= MAX_FAILURES else 0.0
            conn.execute("INSERT INTO login_failures (name, source, failures, locked_until) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (name, source) DO UPDATE SET failures = excluded.failures, "
                         "locked_until = excluded.locked_until", (name, source, failures, locked))
            fresh = src is None or src[2] or now - src[1] > LOCK_SECONDS  # a new counting window
            src_failures = 1 if fresh else src[0] + 1
            since = now if fresh else src[1]
            src_locked = now + LOCK_SECONDS if src_failures >= SOURCE_MAX_FAILURES else 0.0
            conn.execute("INSERT INTO source_failures (source, failures, since, locked_until) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (source) DO UPDATE SET failures = excluded.failures, since = excluded.since, "
                         "locked_until = excluded.locked_until", (source, src_failures, since, src_locked))
            conn.execute("COMMIT")
            return True
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _attempt_succeeded(self, name: str, source: str) -> None:
        """A right password: the pair's count is cleared; the source's count takes back this one attempt."""
        conn = self._autocommit
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM login_failures WHERE name = ? AND source = ?", (name, source))
            conn.execute("UPDATE source_failures SET failures = MAX(failures - 1, 0) "
                         "WHERE source = ? AND locked_until = 0", (source,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def is_locked(self, name: str, now: float | None = None, source: str = "") -> bool:
        """Whether a login of ``name`` from ``source`` is refused for now (the pair or the source locked)."""
        now = time.time() if now is None else now
        rows = list(self.db.query(
            "SELECT 1 FROM login_failures WHERE name = ? AND source = ? AND locked_until > ? "
            "UNION ALL SELECT 1 FROM source_failures WHERE source = ? AND locked_until > ?",
            [name, source or "", now, source or "", now]))
        return bool(rows)

    # --- browser sessions: a server-side id per login, revoked at logout and on a password change ---

    def open_session(self, name: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self.db.conn:
            self.db.execute("INSERT INTO sessions (sid, name, created_at) VALUES (?, ?, ?)", [sid, name, time.time()])
        return sid

    def for_session(self, sid: str) -> User | None:
        """The user of a live session id; None when unknown or revoked."""
        if not sid:
            return None
        rows = list(self.db.query("SELECT u.name, u.role, u.unit FROM sessions s JOIN users u ON u.name = s.name "
                                  "WHERE s.sid = ? AND s.revoked_at IS NULL", [sid]))
        return _user(rows[0]) if rows else None

    def revoke_session(self, sid: str) -> None:
        with self.db.conn:
            self.db.execute("UPDATE sessions SET revoked_at = ? WHERE sid = ? AND revoked_at IS NULL",
                            [time.time(), sid])

    def revoke_sessions(self, name: str) -> None:
        """Every session of ``name`` (a password change ends them all)."""
        with self.db.conn:
            self.db.execute("UPDATE sessions SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                            [time.time(), name])

    def get(self, name: str) -> User | None:
        row = self._row(name)
        return _user(row) if row else None

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
        rows = list(self.db.query("SELECT name, role, unit FROM users WHERE token_digest = ?", [_token_digest(token)]))
        return _user(rows[0]) if rows else None

    def all(self) -> list[User]:
        return [_user(r) for r in self.db.query("SELECT name, role, unit FROM users ORDER BY name")]

    def ensure_admin(self) -> tuple[str, str] | None:
        """On first start: an admin with a random password, answered once; None when users exist."""
        if self.db["users"].count:
            return None
        password = secrets.token_urlsafe(12)
        self.add("admin", "admin", password)
        return "admin", password
