"""Storage faults (disk full, read-only folder, I/O errors) told apart from bugs.

Read models are rebuildable: when the disk is full or the folder read-only, a catch-up that cannot be
written is skipped and reads answer from the rows that are there. Writes of the ledger cannot be
skipped: the web layer answers them with 503. Both ask ``storage_fault`` whether an exception is one.
"""
from __future__ import annotations

import errno
import sqlite3

STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM}
# what SQLite says (sqlite3, or eventsourcing's wrappers of it) when the disk or the folder is at fault
STORAGE_MESSAGES = {
    "database or disk is full": "disk full",
    "readonly database": "read-only",
    "read-only file system": "read-only",
    "disk i/o error": "I/O error",
    "unable to open database file": "cannot open the database file",
    "no space left on device": "disk full",
}


def storage_fault(exc: BaseException | None) -> str | None:
    """``"disk full"``, ``"read-only"`` … when ``exc`` (or what caused it) is a storage fault; else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            return {errno.ENOSPC: "disk full", errno.EDQUOT: "disk full", errno.EROFS: "read-only",
                    errno.EACCES: "read-only", errno.EPERM: "read-only"}.get(exc.errno, "I/O error")
        if isinstance(exc, (sqlite3.OperationalError, sqlite3.DatabaseError)) or type(exc).__module__.startswith(
                "eventsourcing"):
            text = str(exc).lower()
            for needle, reason in STORAGE_MESSAGES.items():
                if needle in text:
                    return reason
        exc = exc.__cause__ or exc.__context__
    return None
