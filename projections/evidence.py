"""The read model of evidence (佐证材料): one row per file attached to a record, folded from the log.

The fold of projections/views.py hands the evidence events here (``fold``) and writes the rows in its
own transaction (``write``), so the table moves with the tracking position. A removed attachment
keeps its row (``removed`` = 1, who and why).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from domain.evidence import Evidence

TABLE = "evidence"
COLUMNS = {
    "record_id": str, "digest": str, "size": int, "media_type": str, "filename": str, "attached_by": str,
    "attached_at": str, "position": int, "removed": int, "removed_by": str, "removal_reason": str,
}
EVENTS = (Evidence.EvidenceAttached, Evidence.EvidenceRemoved)


def create_table(db: Any) -> None:
    if TABLE not in db.table_names():
        db[TABLE].create(COLUMNS, pk=("record_id", "digest"))


def is_evidence(cls: type) -> bool:
    return issubclass(cls, EVENTS)


def fold(rows: dict[tuple[str, str], dict], cls: type, data: dict, position: int, db: Any) -> str:
    """Fold one evidence event into ``rows`` (this batch's, by (record id, digest)); answers the record id."""
    record_id = data["record_id"]
    key = (record_id, data["digest"])
    if issubclass(cls, Evidence.EvidenceAttached):
        rows[key] = {"record_id": record_id, "digest": data["digest"], "size": data["size"],
                     "media_type": data["media_type"], "filename": data["filename"], "attached_by": data.get("actor"),
                     "attached_at": data.get("timestamp"), "position": position, "removed": 0, "removed_by": None,
                     "removal_reason": None}
    else:
        row = rows.get(key) or _row(db, key)
        if row is not None:
            row.update(removed=1, removed_by=data.get("actor"), removal_reason=data.get("reason"))
            rows[key] = row
    return record_id


def _row(db: Any, key: tuple[str, str]) -> dict | None:
    cursor = db.conn.execute(f"SELECT * FROM [{TABLE}] WHERE record_id = ? AND digest = ?", list(key))
    found = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], found)) if found else None


def write(db: Any, rows: dict[tuple[str, str], dict]) -> None:
    """Inside the fold's transaction."""
    if rows:
        cols = list(COLUMNS)
        db.conn.executemany(f"INSERT OR REPLACE INTO [{TABLE}] ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [tuple(r[c] for c in cols) for r in rows.values()])


class EvidenceView:
    """Reads of the evidence table; each catches the read model up first."""

    def __init__(self, store: Any, catch_up: Callable[[], Any]):
        self.store = store
        self.catch_up = catch_up

    def _query(self, sql: str, params: Iterable = ()) -> list[dict]:
        self.catch_up()
        return list(self.store.db.query(sql, list(params)))

    def for_record(self, record_id: str, include_removed: bool = False) -> list[dict]:
        where = "" if include_removed else " AND removed = 0"
        return self._query(f"SELECT * FROM [{TABLE}] WHERE record_id = ?{where} ORDER BY position", [record_id])

    def attachment(self, record_id: str, digest: str) -> dict | None:
        rows = self._query(f"SELECT * FROM [{TABLE}] WHERE record_id = ? AND digest = ? AND removed = 0",
                           [record_id, digest])
        return rows[0] if rows else None

    def counts(self, record_ids: Iterable[str]) -> dict[str, int]:
        """Live attachments per record (records without any are left out)."""
        ids = sorted({str(r) for r in record_ids if r})
        if not ids:
            return {}
        out: dict[str, int] = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            for row in self._query(f"SELECT record_id, COUNT(*) n FROM [{TABLE}] WHERE removed = 0 AND record_id IN "
                                   f"({', '.join('?' * len(part))}) GROUP BY record_id", part):
                out[row["record_id"]] = row["n"]
        return out

    def for_year(self, organisation: str, year: int) -> list[dict]:
        """The live attachments of a year's live records, with the record's date and title, in date order."""
        return self._query(
            f"SELECT e.*, r.occurred_on, r.title, r.kind FROM [{TABLE}] e JOIN records r ON r.id = e.record_id "
            "WHERE e.removed = 0 AND r.retracted = 0 AND r.organisation = ? AND r.year = ? "
            "ORDER BY r.occurred_on, r.created_position, e.position", [organisation, year])

    def live(self) -> list[dict]:
        return self._query(f"SELECT * FROM [{TABLE}] WHERE removed = 0 ORDER BY position")
