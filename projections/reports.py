"""Reports over the read model: catch up, then answer; as-of by rebuilding to a position."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from projections import figure_state, firm_uses, timeline
from projections import org_units as unit_views
from projections import templates as template_views
from projections.chain import chain_checkpoint, link, raw_rows, verify
from projections.evidence import EvidenceView
from projections.faults import storage_fault
from projections.summary import (
    build_summary,
    difference,
    figure_events,
    figure_index,
    scope_of,
)
from projections.templates import template_for
from projections.views import Projector, ViewStore, as_of_store

VIEWS_FILE = "views.sqlite"


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ESCAPE '\\': its % and _ (and the escape itself) match literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Reports:
    """The year-end summary and its figures, from a source recorder (any eventsourcing recorder)."""

    def __init__(self, recorder: Any, folder: str | Path | None, batch: int = 2000, owner: Any = None):
        # ``owner``: the application that owns the recorder, kept alive as long as these reports are
        # (an eventsourcing Application closes its connection pool when it is collected).
        self.owner = owner
        path = Path(folder) / VIEWS_FILE if folder is not None else None
        self.store = ViewStore(path)
        self.projector = Projector(recorder, self.store, batch=batch)
        self.recorder = recorder
        self.evidence = EvidenceView(self.store, self.catch_up)  # attached files (佐证材料), per record and year
        self._organisations: tuple[int, dict[str, int], list[str]] = (-1, {}, [])
        self._years: tuple[int, list[int]] = (-1, [])
        self._distinct: dict[str, tuple[int, set]] = {}  # values that only ever grow, by what they list
        self._timeline = (0, 0, 0, 0)  # the whole log's actions: (position, settled through, actions, owned)
        self._memo: dict[tuple[str, int, int], dict] = {}  # summaries at positions, parsed, in this process
        self.fault: str | None = None  # the storage fault that stopped the last catch-up, if any
        self._ensure_cache()

    def _copy_links(self) -> None:
        """The audit timeline shows each event's chain link: a copy of the store's, for display only
        (``verify`` never reads it)."""
        if not hasattr(self.recorder, "select_links"):
            return
        db = self.store.db
        start = (db.execute("SELECT MAX(position) FROM chain").fetchone()[0] or 0) + 1
        while True:
            batch = self.recorder.select_links(start=start, limit=5000)
            if not batch:
                return
            with db.conn:
                db.conn.executemany("INSERT OR REPLACE INTO chain (position, hash) VALUES (?, ?)", batch)
            start = batch[-1][0] + 1

    def _ensure_cache(self) -> None:
        if "chain" not in self.store.db.table_names():
            self.store.db["chain"].create({"position": int, "hash": str}, pk="position")
        if "summary_cache" not in self.store.db.table_names():
            self.store.db["summary_cache"].create(
                {"organisation": str, "year": int, "position": int, "body": str},
                pk=("organisation", "year", "position"))

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Fold what is new; when the disk is full or the folder read-only, answer from what is there."""
        try:
            position = self.projector.catch_up(progress=progress)
            self._copy_links()
        except Exception as e:
            fault = storage_fault(e)
            if fault is None:
                raise
            self.fault = fault  # read models are rebuildable: stale for now, caught up once writes work
            return self.store.position
        self.fault = None
        return position

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        position = self.projector.rebuild(progress=progress, carry=("chain",))  # a fresh file: no summary_cache
        self._ensure_cache()
        self._memo.clear()
        self._distinct.clear()
        self._timeline = (0, 0, 0, 0)
        return position

    def organisations(self) -> list[str]:
        """Organisations in the ledger, most records first (worked out once per log position)."""
        position = self.catch_up()
        seen, counts, _ = self._organisations
        if seen != position:
            db = self.store.db
            if 0 <= seen < position <= seen + 5000:  # only the records made since: a summary after an event stays flat
                counts = dict(counts)
                for organisation, n in db.execute(
                        "SELECT r.organisation, COUNT(*) FROM events e JOIN records r ON r.id = e.record_id "
                        "AND r.created_position = e.position WHERE e.position > ? AND e.position <= ? "
                        "GROUP BY r.organisation", [seen, position]):
                    counts[organisation] = counts.get(organisation, 0) + n
            else:
                counts = {r[0]: r[1] for r in db.execute(
                    "SELECT organisation, COUNT(*) n FROM records GROUP BY organisation ORDER BY organisation")}
            self._organisations = (position, counts, sorted(counts, key=lambda o: -counts[o]))
        return list(self._organisations[2])

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
        # recorded_at is stored in UTC (+00:00) and compared as text: compare in UTC too
        return self.store.position_at(moment.astimezone(timezone.utc).isoformat()), iso

    def summary(self, year: int, organisation: str | None = None, as_of: str | int | None = None,
                include_children: bool | None = None) -> dict:
        """The year's summary as the ledger stands (or stood at ``as_of``), with its seal when closed.
        A unit above 区县 rolls up the units below it unless ``include_children`` is False."""
        position, moment = self.resolve_position(as_of)
        organisation = organisation or self.default_organisation() or ""
        body = self._summary_at(organisation, year, position, include_children)
        body["as_of"] = moment
        return self._with_seal(body, organisation, year)

    def _summary_at(self, organisation: str, year: int, position: int, include_children: bool | None = None) -> dict:
        """The summary at a position: computed once, then kept (the log before a position never changes)."""
        scope = {None: "", True: "\x00+children", False: "\x00-children"}[include_children]
        cache_key = organisation + scope  # the cache's organisation column: the name and the roll-up asked for
        memo = self._memo.get((cache_key, year, position))
        if memo is not None:
            return _fresh(memo)
        db = self.store.db
        cached = db.execute("SELECT body FROM summary_cache WHERE organisation = ? AND year = ? AND position = ?",
                            [cache_key, year, position]).fetchone()
        if cached:
            body = json.loads(cached[0])
            self._remember((cache_key, year, position), body)
            return self._summary_at(organisation, year, position, include_children)
        source = self._store_at(position)
        body = build_summary(source.db, organisation, year, position, None, include_children=include_children)
        try:
            with db.conn:
                db.execute("INSERT OR REPLACE INTO summary_cache VALUES (?, ?, ?, ?)",
                           [cache_key, year, position, json.dumps(body, ensure_ascii=False)])
        except sqlite3.OperationalError as e:
            if storage_fault(e) is None:
                raise  # a cache that cannot be written (disk full, read-only) is only a cache
        self._remember((cache_key, year, position), body)
        return self._summary_at(organisation, year, position, include_children)

    def preview(self, template: Any, year: int, organisation: str | None = None) -> dict:
        """The year's summary as it would read with ``template`` (an editor's preview: nothing stored)."""
        self.catch_up()
        organisation = organisation or self.default_organisation() or ""
        return build_summary(self.store.db, organisation, year, self.store.position, None, template=template)

    def units(self) -> list[dict]:
        self.catch_up()
        return unit_views.units(self.store.db)

    def unattached(self) -> list[str]:
        """Organisations the ledger's records name that belong to no unit of the tree (to add or attach)."""
        self.catch_up()
        return [r[0] for r in self.store.db.execute(
            "SELECT DISTINCT organisation FROM records WHERE organisation NOT IN "
            "(SELECT n.name FROM org_unit_names n JOIN org_units u ON u.code = n.code WHERE u.merged_into IS NULL) "
            "ORDER BY organisation")]

    def unit_scope(self, code: str) -> tuple[str, list[str], list[str]] | None:
        """A unit's name now, the names its records carry, and those of it and every unit below it
        (a user's scope: service/scope.py); None when no unit has the code."""
        self.catch_up()
        db = self.store.db
        unit = db.execute("SELECT name FROM org_units WHERE code = ? AND merged_into IS NULL", [code]).fetchone()
        if unit is None:
            return None
        own = [r[0] for r in db.execute("SELECT name FROM org_unit_names WHERE code = ? ORDER BY name", [code])]
        return unit[0], own, unit_views.names_below(db, code)

    def covered(self, organisation: str) -> list[str]:
        """The organisations a summary of ``organisation`` covers (itself; for a unit above 区县, all below)."""
        self.catch_up()
        return scope_of(self.store.db, organisation, None)[1]

    def open_children(self, organisation: str, year: int) -> list[str]:
        """The units directly below ``organisation`` whose ``year`` is not sealed (a city closes after them)."""
        self.catch_up()
        unit = unit_views.unit_named(self.store.db, organisation)
        if unit is None:
            return []
        return [k["name"] for k in unit_views.children(self.store.db, unit["code"]) if not self.seal(k["name"], year)]

    def templates(self) -> list[dict]:
        self.catch_up()
        return template_views.templates(self.store.db)

    def template_revisions(self, name: str) -> list[dict]:
        self.catch_up()
        return template_views.revisions(self.store.db, name)

    def _remember(self, key: tuple[str, int, int], body: dict) -> None:
        """Keep a few parsed summaries: a read after catch-up then costs no parsing, only a copy."""
        body = _freeze_ids(body)
        if len(self._memo) >= 16:
            self._memo.pop(next(iter(self._memo)))
        self._memo[key] = body

    def seal(self, organisation: str, year: int) -> dict | None:
        """The seal of a closed year, with ``override``: the admin's reason when it closed before the
        units below it had ("" otherwise)."""
        rows = list(self.store.db.query("SELECT s.*, COALESCE(e.reason, '') AS override FROM seals s "
                                        "LEFT JOIN events e ON e.position = s.event_position "
                                        "WHERE s.organisation = ? AND s.year = ?", [organisation, year]))
        return rows[0] if rows else None

    def seals(self) -> list[dict]:
        return list(self.store.db.query("SELECT * FROM seals ORDER BY year"))

    def _with_seal(self, body: dict, organisation: str, year: int) -> dict:
        """A closed year shows its seal; figures changed after it show the sealed and the adjusted value.
        A roll-up also lists, as adjustments, what changed in a unit below after that unit closed."""
        seal = self.seal(organisation, year)
        if not seal or body["position"] < seal["event_position"]:
            below = self._adjustments_below(body, organisation, year, None)
            if below:
                body["adjustments"] = below
            return body
        body["seal"] = seal
        sealed = figure_index(self._summary_at(organisation, year, seal["position"]))
        for section in body["sections"]:
            for figures in [section["figures"]] + [sub["figures"] for sub in section.get("subsections", [])]:
                for f in figures:
                    before = sealed.get(f["key"])
                    if before is None or before["value"] != f["value"] or before["approx"] != f["approx"]:
                        f["sealed"] = {"value": before and before["value"], "text": before and before["text"]}
                        f["adjusted"] = True
        body["adjustments"] = self._adjustments_below(body, organisation, year, seal["event_position"])
        return body

    def _adjustments_below(self, body: dict, organisation: str, year: int, sealed_at: int | None) -> list[dict]:
        """The events on the year's records after a close: after ``sealed_at`` (the summary's own seal)
        for every organisation the summary covers, and after a unit's own seal for a unit below (a
        district corrected after it closed shows in the city's summary too)."""
        covered = (body.get("unit") or {}).get("includes") or [organisation]
        out: list[dict] = []
        for name in covered:
            own = self.seal(name, year) if name != organisation else None
            marks = [p for p in (sealed_at, own and own["event_position"]) if p is not None]
            if not marks:
                continue
            out.extend(self.store.db.query(
                "SELECT e.position, e.record_id, e.event, e.kind, e.actor, e.reason, e.recorded_at, r.title, "
                "r.organisation FROM events e JOIN records r ON r.id = e.record_id "
                "WHERE e.position > ? AND e.position <= ? AND r.organisation = ? AND r.year = ? ORDER BY e.position",
                [max(marks), body["position"], name, year]))
        return sorted(out, key=lambda a: a["position"])

    # --- tamper evidence ---
    def chain_head(self) -> tuple[int, str]:
        """(position, link) of the newest event, as the event store wrote it with the event."""
        return self.recorder.chain_head()

    def checkpoint(self) -> dict:
        """The chain head as an unsigned JSON checkpoint (signed ones: service/audit.py)."""
        return chain_checkpoint(self.recorder)

    def verify(self, *, checkpoint: dict | None = None, integrity: Callable[[], list[str]] | None = None,
               contiguous_positions: bool = True, decode: Callable[[Any], Any] | None = None,
               heads_at: set[int] = frozenset(), keep_topics: frozenset = frozenset()):
        """Recompute the chain from the raw rows against the links the store wrote with them. Reads only the
        event store: nothing is folded or written first (a read-only folder gets the same answer)."""
        return verify(self.recorder, checkpoint=checkpoint, integrity=integrity,
                      contiguous_positions=contiguous_positions, decode=decode, heads_at=heads_at,
                      keep_topics=keep_topics)

    def audit_lines(self):
        """The whole log, each event with its position, raw state and chain hash (JSON lines)."""
        head = "0" * 64
        for n in raw_rows(self.recorder):
            head = link(head, n.id, n.originator_id, n.originator_version, n.topic, n.state)
            yield json.dumps({"position": n.id, "originator_id": str(n.originator_id),
                              "version": n.originator_version, "topic": n.topic,
                              "state": bytes(n.state).decode("utf-8"), "chain": head}, ensure_ascii=False)

    def difference(self, year: int, before: str | int, after: str | int | None = None,
                   organisation: str | None = None) -> dict:
        a = self.summary(year, organisation, before)
        b = self.summary(year, organisation, after)
        return {"year": year, "before": {"as_of": a["as_of"], "position": a["position"]},
                "after": {"as_of": b["as_of"], "position": b["position"]}, "changes": difference(a, b)}

    # --- the ledger list and helpers for forms ---
    def list_records(self, *, year: int | None = None, theme: str | None = None, kind: str | None = None,
                     actor: str | None = None, text: str | None = None, organisation: str | None = None,
                     include_retracted: bool = False, page: int = 1, size: int = 50,
                     organisations: list[str] | None = None) -> tuple[list[dict], int]:
        """Records (newest happening first), filtered, paged: (rows of this page, total matching).
        ``organisations``: only records of these (a user's unit scope); None: every organisation."""
        self.catch_up()
        where, params = [], []
        if organisations is not None:
            where.append(f"organisation IN ({','.join('?' * len(organisations))})" if organisations else "0")
            params.extend(organisations)
        for column, value in (("year", year), ("theme", theme), ("kind", kind), ("logged_by", actor),
                              ("organisation", organisation)):
            if value not in (None, ""):
                where.append(f"{column} = ?")
                params.append(value)

        if text:
            # the words as typed: % and _ are literal, not LIKE wildcards
            where.append("(title LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\' OR firms LIKE ? ESCAPE '\\' "
                         "OR subject LIKE ? ESCAPE '\\')")
            params += [f"%{like_literal(text)}%"] * 4
        if not include_retracted:
            where.append("retracted = 0")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = self.store.db.execute(f"SELECT COUNT(*) FROM records {clause}", params).fetchone()[0]
        page = max(page, 1)
        if year not in (None, ""):  # the same rows, as a range of the list order's index or of the kind's
            # (the count reads a covering index better without it)
            clause += " AND occurred_on >= ? AND occurred_on < ?"
            params += [f"{int(year):04d}-01-01", f"{int(year) + 1:04d}-01-01"]
        rows = [self._plain(r) for r in self.store.db.query(
            f"SELECT * FROM records {clause} ORDER BY occurred_on DESC, created_position DESC LIMIT ? OFFSET ?",
            [*params, size, (page - 1) * size])]
        return rows, total

    @staticmethod
    def _plain(row: dict) -> dict:
        out = dict(row)
        out["firms"] = json.loads(row["firms"])
        out["facts"] = json.loads(row["facts"])
        out["retracted"] = bool(row["retracted"])
        return out

    def record(self, record_id: str) -> dict | None:
        self.catch_up()
        row = self.store.db.execute("SELECT 1 FROM records WHERE id = ?", [record_id]).fetchone()
        return self._plain(self.store.db["records"].get(record_id)) if row else None

    def years(self) -> list[int]:
        """Years with records, newest first (every page shows them: worked out once per log position)."""
        position = self.catch_up()
        if self._years[0] != position:
            self._years = (position, [r["year"] for r in self.store.db.query(
                "SELECT DISTINCT year FROM records ORDER BY year DESC")])
        return list(self._years[1])

    def actors(self) -> list[str]:
        """Who logged records (the list's filter)."""
        return sorted(self._grown(
            "logged_by", "SELECT DISTINCT logged_by FROM records WHERE logged_by IS NOT NULL",
            "SELECT DISTINCT r.logged_by FROM events e JOIN records r ON r.id = e.record_id AND "
            "r.created_position = e.position WHERE e.position > ? AND e.position <= ? AND r.logged_by IS NOT NULL"))

    def timeline_choices(self) -> dict[str, list[str]]:
        """The actors, kinds and event names the audit timeline can be filtered by."""
        return {column: sorted(self._grown(
            f"events.{column}", f"SELECT DISTINCT {column} FROM events WHERE {column} IS NOT NULL",
            f"SELECT DISTINCT {column} FROM events WHERE position > ? AND position <= ? AND {column} IS NOT NULL"))
            for column in ("actor", "kind", "event")}

    def timeline_totals(self) -> tuple[int, int]:
        """(user actions, stored events behind them) of the whole log, as projections/timeline.py counts
        them, from the events since the last call: an action counts when it is appended, a bookkeeping
        event once the positions it may belong to are all in (``WINDOW`` after it), the newest few afresh."""
        position = self.catch_up()
        seen, settled, actions, owned = self._timeline
        if position < seen:
            seen, settled, actions, owned = 0, 0, 0, 0
        db = self.store.db
        actions += timeline.actions_between(db, seen, position)
        now_settled = max(position - timeline.WINDOW, settled)
        owned += timeline.owned_between(db, settled, now_settled)
        self._timeline = (position, now_settled, actions, owned)
        return actions, actions + owned + timeline.owned_between(db, now_settled, position)

    def _grown(self, name: str, every: str, since: str) -> set:
        """The distinct values of a column that only ever gains values (the events are appended, a record's
        author never changes): read whole once, then only from the events since (a range of positions)."""
        position = self.catch_up()
        seen, values = self._distinct.get(name, (-1, set()))
        if seen == position:
            return values
        if 0 <= seen < position <= seen + 5000:
            values = values | {r[0] for r in self.store.db.execute(since, [seen, position])}
        else:
            values = {r[0] for r in self.store.db.execute(every)}
        self._distinct[name] = (position, values)
        return values

    def firm_records(self, *, uscc: str | None = None, name: str | None = None,
                     include_retracted: bool = False, organisations: list[str] | None = None) -> list[dict]:
        """Every record a firm took part in, across years, newest happening first (of ``organisations``
        only, when given: a user's unit scope).

        A firm is its 统一社会信用代码 when given (and then also a record naming it by ``name`` only,
        without a code); else its name. The LIKE only narrows the rows; the match is made on the parsed
        firms, so a name that is part of another firm's name does not match."""
        self.catch_up()
        uscc = (uscc or "").strip().upper() or None
        name = (name or "").strip() or None
        if not uscc and not name:
            return []
        needles = [v for v in (uscc, name) if v]
        where = ["(" + " OR ".join("firms LIKE ? ESCAPE '\\'" for _ in needles) + ")"]
        params: list = [f"%{like_literal(v)}%" for v in needles]
        if not include_retracted:
            where.append("retracted = 0")
        rows = self.store.db.query(f"SELECT * FROM records WHERE {' AND '.join(where)} "
                                   "ORDER BY occurred_on DESC, created_position DESC", params)

        def takes_part(firm: dict) -> bool:
            code = (firm.get("uscc") or "").upper()
            if uscc:
                return code == uscc or (not code and name is not None and firm.get("name") == name)
            return firm.get("name") == name

        return [r for r in (self._plain(row) for row in rows) if any(takes_part(f) for f in r["firms"])
                and (organisations is None or r["organisation"] in organisations)]

    def firm_suggestions(self, prefix: str = "", limit: int = 50, organisations: list[str] | None = None) -> list[dict]:
        """Firms already in the ledger ({name, uscc}), most used first, matching a prefix of name or code
        (in the records of ``organisations`` only, when given: a user's unit scope)."""
        self.catch_up()
        return firm_uses.suggestions(self.store.db, prefix, limit, organisations)

    def activity(self, year: int, organisation: str | None = None) -> dict:
        """Live actions per month and per theme of a year (for the summary page's chart)."""
        self.catch_up()
        organisation = organisation or self.default_organisation() or ""
        template = template_for(self.store.db, organisation, year)
        work = {s.key for s in template.work_sections}
        left_out = sorted(k.key for k in template.kinds if k.theme not in work)  # problems, plans: not actions
        try:  # from the kept counts (projections/figure_state.py), not the year's rows
            months, themes = figure_state.activity(self.store.db, organisation, year, left_out)
            return {"year": year, "organisation": organisation, "months": months, "themes": themes}
        except sqlite3.OperationalError:  # a view file that cannot be written: count the rows
            pass
        base = "FROM records WHERE organisation = ? AND year = ? AND retracted = 0 AND " \
               f"kind NOT IN ({', '.join('?' * len(left_out))})"
        months = {m: 0 for m in range(1, 13)}
        for r in self.store.db.query(f"SELECT CAST(substr(occurred_on, 6, 2) AS INTEGER) m, COUNT(*) n {base} "
                                     "GROUP BY m", [organisation, year, *left_out]):
            months[r["m"]] = r["n"]
        themes = {r["theme"]: r["n"] for r in self.store.db.query(
            f"SELECT theme, COUNT(*) n {base} GROUP BY theme", [organisation, year, *left_out])}
        return {"year": year, "organisation": organisation, "months": months, "themes": themes}

    def events(self, positions: list[int]) -> list[dict]:
        marks = ",".join("?" * len(positions))
        return list(self.store.db.query(f"SELECT * FROM events WHERE position IN ({marks})", positions))

    def figure_events(self, year: int, key: str, organisation: str | None = None, as_of: str | int | None = None,
                      include_children: bool | None = None, page: int = 1, per_page: int = 50,
                      after: int | None = None) -> dict | None:
        """One page of the events behind a figure of the summary (in log order, as the summary's
        ``event_count`` and ``event_digest`` count them); None when the summary has no such figure.
        ``after`` (a position: the ``next_after`` of the page before) starts the page after it, without
        counting the pages before; ``page`` otherwise."""
        position, moment = self.resolve_position(as_of)
        organisation = organisation or self.default_organisation() or ""
        source = self._store_at(position)
        page, per_page = max(int(page), 1), min(max(int(per_page), 1), 500)
        got = figure_events(source.db, organisation, year, key, include_children, (page - 1) * per_page,
                            per_page + 1, after)  # one more: is there a next page?
        if got is None:
            return None
        total, events = got
        more, events = len(events) > per_page, events[:per_page]
        return {"year": year, "key": key, "organisation": organisation, "as_of": moment, "position": position,
                "page": page if after is None else None, "per_page": per_page, "total": total,
                "pages": max(-(-total // per_page), 1), "after": after,
                "next_after": events[-1]["position"] if more else None, "events": events}

    def _store_at(self, position: int) -> ViewStore:
        """The views as they stood at ``position``: the live ones at the head, else folded afresh."""
        return self.store if position == self.store.position else as_of_store(self.recorder, position)

    def figure_event_ids(self, year: int, key: str, **scope: Any) -> list[int] | None:
        """Every event position behind a figure, in one query (exports and tests)."""
        position, _ = self.resolve_position(scope.get("as_of"))
        organisation = scope.get("organisation") or self.default_organisation() or ""
        source = self._store_at(position)
        got = figure_events(source.db, organisation, year, key, scope.get("include_children"), limit=-1)
        return None if got is None else [e["position"] for e in got[1]]


def _freeze_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: tuple(v) if k == "event_ids" else _freeze_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_freeze_ids(v) for v in value]
    return value


def _fresh(value: Any) -> Any:
    """A copy a caller may change freely (event id lists are copied in one C-level step each)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, tuple):
        return list(value)
    return value
