"""What a sheet import keeps: the uploaded file between the steps of the web page (upload → map →
preview → import), and the column mapping an office last used for a kind, so that next month's
sheet of the same shape maps itself.

Why not in the ledger: a column mapping says how one office's spreadsheet reads, not what the
office did. The records an import makes carry everything (their values, who imported them, when),
in the hash-chained log; the mapping is overwritten at every import, and events of it would fill the
auditors' timeline with bookkeeping about spreadsheets. So it is a small table, ``sheet_mappings``,
in ``<data>/settings.sqlite`` beside accounts.sqlite (sqlite-utils; one row per organisation and
kind, with who saved it and when). Uploads are files under ``<data>/sheet-uploads/``, named by
their SHA-256 (the same sheet uploaded twice is one file), deleted after ``KEEP_DAYS``.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import sqlite_utils

KEEP_DAYS = 7
DIGEST = re.compile(r"^[0-9a-f]{64}$")


class SheetStore:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.uploads = self.folder / "sheet-uploads"
        self.path = self.folder / "settings.sqlite"
        self._local = threading.local()
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.db.conn:
            self.db.execute("CREATE TABLE IF NOT EXISTS sheet_mappings (organisation TEXT NOT NULL, kind TEXT NOT NULL, "
                            "mapping TEXT NOT NULL, saved_by TEXT, saved_at REAL NOT NULL, "
                            "PRIMARY KEY (organisation, kind))")

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30))
        return db

    # --- the column mapping an office last used for a kind ---

    def mapping(self, organisation: str | None, kind: str) -> dict[str, str]:
        """Column title → field name, as last saved for this organisation and kind (empty if never)."""
        rows = list(self.db.query("SELECT mapping FROM sheet_mappings WHERE organisation = ? AND kind = ?",
                                  [organisation or "", kind]))
        return json.loads(rows[0]["mapping"]) if rows else {}

    def remember(self, organisation: str | None, kind: str, mapping: dict[str, str], actor: str | None) -> None:
        """Keep the mapping of an import, over what was kept before (titles of other sheets stay)."""
        mapping = {**self.mapping(organisation, kind), **mapping}
        with self.db.conn:
            self.db.execute("INSERT INTO sheet_mappings (organisation, kind, mapping, saved_by, saved_at) "
                            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (organisation, kind) DO UPDATE SET "
                            "mapping = excluded.mapping, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
                            [organisation or "", kind, json.dumps(mapping, ensure_ascii=False, sort_keys=True), actor,
                             time.time()])

    # --- uploads between the steps of the page ---

    def put(self, data: bytes, filename: str) -> str:
        """Keep an uploaded file; answers its SHA-256, by which the next steps find it."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        self._prune()
        digest = hashlib.sha256(data).hexdigest()
        suffix = Path(filename or "").suffix.lower()
        meta = json.dumps({"name": Path(filename or "").name, "suffix": suffix}, ensure_ascii=False).encode()
        for path, content in ((self.uploads / f"{digest}.bin", data), (self.uploads / f"{digest}.json", meta)):
            partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
            partial.write_bytes(content)
            partial.replace(path)  # whole or not at all, for a reader of the next step
        return digest

    def get(self, digest: str) -> tuple[bytes, str] | None:
        """(content, original file name) of a kept upload; None when unknown or deleted."""
        if not DIGEST.match(digest or ""):
            return None
        data, meta = self.uploads / f"{digest}.bin", self.uploads / f"{digest}.json"
        try:
            return data.read_bytes(), json.loads(meta.read_text(encoding="utf-8"))["name"]
        except (OSError, ValueError, KeyError):
            return None

    def _prune(self) -> None:
        limit = time.time() - KEEP_DAYS * 86400
        for path in self.uploads.glob("*"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except OSError:
                pass
