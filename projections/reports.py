"""Reports over the read model: catch up, then answer; as-of by rebuilding to a position."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from projections.summary import build_summary, difference
from projections.views import Projector, ViewStore, as_of_store

VIEWS_FILE = "views.sqlite"


class Reports:
    """The year-end summary and its figures, from a source recorder (any eventsourcing recorder)."""

    def __init__(self, recorder: Any, folder: str | Path | None, batch: int = 2000):
        path = Path(folder) / VIEWS_FILE if folder is not None else None
        self.store = ViewStore(path)
        self.projector = Projector(recorder, self.store, batch=batch)
        self.recorder = recorder
        self._ensure_cache()

    def _ensure_cache(self) -> None:
        if "summary_cache" not in self.store.db.table_names():
            self.store.db["summary_cache"].create(
                {"organisation": str, "year": int, "position": int, "body": str},
                pk=("organisation", "year", "position"))

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        return self.projector.catch_up(progress=progress)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        with self.store.db.conn:
            self.store.db.execute("DELETE FROM summary_cache")
        return self.projector.rebuild(progress=progress)

    def organisations(self) -> list[str]:
        self.catch_up()
        return [r["organisation"] for r in self.store.db.query(
            "SELECT organisation, COUNT(*) n FROM records GROUP BY organisation ORDER BY n DESC")]

    def default_organisation(self) -> str | None:
        orgs = self.organisations()
        return orgs[0] if orgs else None

    def resolve_position(self, as_of: str | int | None) -> tuple[int, str | None]:
        """(position, moment) for an as-of given as a position, an ISO moment, or nothing (now)."""
        head = self.catch_up()
        if as_of is None:
            return head, None
        if isinstance(as_of, int) or (isinstance(as_of, str) and as_of.isdigit()):
            return min(int(as_of), head), None
        moment = datetime.fromisoformat(str(as_of))
        if moment.tzinfo is None:
            moment = moment.astimezone()
        iso = moment.isoformat()
        return self.store.position_at(iso), iso

    def summary(self, year: int, organisation: str | None = None, as_of: str | int | None = None) -> dict:
        position, moment = self.resolve_position(as_of)
        organisation = organisation or self.default_organisation() or ""
        if position == self.store.position:
            cached = self.store.db.execute(
                "SELECT body FROM summary_cache WHERE organisation = ? AND year = ? AND position = ?",
                [organisation, year, position]).fetchone()
            if cached:
                body = json.loads(cached[0])
                body["as_of"] = moment
                return body
            body = build_summary(self.store.db, organisation, year, position, moment)
            with self.store.db.conn:
                self.store.db.execute("INSERT OR REPLACE INTO summary_cache VALUES (?, ?, ?, ?)",
                                      [organisation, year, position, json.dumps(body, ensure_ascii=False)])
            return body
        past = as_of_store(self.recorder, position)
        return build_summary(past.db, organisation, year, position, moment)

    def difference(self, year: int, before: str | int, after: str | int | None = None,
                   organisation: str | None = None) -> dict:
        a = self.summary(year, organisation, before)
        b = self.summary(year, organisation, after)
        return {"year": year, "before": {"as_of": a["as_of"], "position": a["position"]},
                "after": {"as_of": b["as_of"], "position": b["position"]}, "changes": difference(a, b)}

    def events(self, positions: list[int]) -> list[dict]:
        marks = ",".join("?" * len(positions))
        return list(self.store.db.query(f"SELECT * FROM events WHERE position IN ({marks})", positions))
