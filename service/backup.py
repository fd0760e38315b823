"""A consistent copy of the ledger and the accounts while the server keeps writing.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies each database in one step under a
read transaction, so the copy is the database as of one commit — with every event's chain link, since
links are committed with their events — while writers go on in WAL mode. A plain ``cp`` of a WAL
database during writes can miss acknowledged records still in the -wal file. PostgreSQL: ``pg_dump``
(one snapshot) of the ledger's schema. The read model (views.sqlite) is not copied: it is rebuilt.
Restore steps: README, "Backup and restore".
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any


class BackupRefused(RuntimeError):
    pass


def _copy_sqlite(source: str | Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, one consistent snapshot
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def backup(services: Any, dest: str | Path) -> dict:
    """Copy the event store and the accounts into the folder ``dest`` (new or empty); answers what was copied."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupRefused(f"{dest} is not empty: a backup goes into a new or empty folder")
    dest.mkdir(parents=True, exist_ok=True)
    ledger, copied = services.ledger, []
    if ledger.is_sqlite:
        _copy_sqlite(ledger.recorder.datastore.pool.db_name, dest / "ledger.sqlite")
        copied.append("ledger.sqlite")
    else:
        copied.append(_pg_dump(ledger, dest / "ledger.pgdump"))
    accounts = Path(services.accounts.path)
    if accounts.exists():
        _copy_sqlite(accounts, dest / "accounts.sqlite")
        copied.append("accounts.sqlite")
    return {"folder": str(dest), "files": copied}


def _pg_dump(ledger: Any, target: Path) -> str:
    if not shutil.which("pg_dump"):
        raise BackupRefused("pg_dump is not installed (Debian: postgresql-client)")
    store = ledger.recorder.datastore
    info = store.pool.kwargs or {}
    env = {**os.environ, "PGHOST": str(info.get("host") or ""), "PGPORT": str(info.get("port") or "5432"),
           "PGUSER": str(info.get("user") or ""), "PGDATABASE": str(info.get("dbname") or "")}
    if info.get("password"):
        env["PGPASSWORD"] = str(info["password"])
    done = subprocess.run(["pg_dump", "--format=custom", f"--schema={store.schema}", f"--file={target}"],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupRefused(f"pg_dump failed: {done.stderr.strip()}")
    return target.name
