"""Figure state: each declared figure's running value per (template, organisation, year), kept by the fold.

A summary after one new event used to recompute every figure from the year's ``records`` rows; here
the fold (projections/views.py) keeps, in the same transaction as its tracking position:

  figure_scopes   (digest, organisation, year): the states kept. A state is made on first demand
                  (``ensure``: computed once from the rows, in a write transaction) and from then on
                  maintained by the fold; a template revision or a new choice has another digest, so its
                  state is made afresh when a summary first asks for it.
  figure_contrib  one row per (state, slot, record) that the figure draws on: the record's value, its
                  largest approximate part (and the order a summary walks parts in, for ties), its subject.
  figure_items    distinct firms / values / subjects with their reference counts; for a stock_sum each
                  subject's latest record (the one that counts) with its value and events.
  figure_totals   per (state, slot): value, records, and the count and multiset hash of the events behind
                  it (projections/provenance.py: the digest is additive, so it is kept by deltas too).
  record_counts   live records per (organisation, year, kind, theme): the narrative's counts and the targets'
                  actuals, kept for the (organisation, year)s in count_scopes (made on demand like a state);
  record_months   and per (organisation, year, kind, month), for the summary page's chart, kept alike.
A new state drops those of superseded template revisions (``_prune``); a rebuild starts with none.

A slot is a figure key, or ``key@prev`` for the year before (what a ``change`` figure compares with).
A correction or retraction subtracts the record's old contribution and adds the new; an event that
only adds to a record's history (evidence, a stated fact's entry) changes its event count and hash.
``each`` figures list records: they keep contrib rows only and are read back (bounded by their records).
The summary is then assembled (``values``) in O(figures), and a figure's events are listed on demand
(``figure_events``). projections/summary.py's compute()/all_values() stay as the oracle and the
editor's preview.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Iterable

from domain.template import Figure, Template
from projections import provenance
from projections.summary import (
    DERIVED_AGGS,
    STOCK_AGGS,
    Row,
    Value,
    _int_or_decimal,
    _matches,
    _named_parts,
    _number,
    compute,
    derive,
    wording,
)

PREV = "@prev"
POPULATE_CHUNK = 5000  # rows a state is made from at a time
TABLES = ("figure_scopes", "figure_contrib", "figure_items", "figure_totals", "record_counts", "record_months",
          "count_scopes")
SCOPE = "digest = ? AND organisation = ? AND year = ? AND slot = ?"


def create_tables(db) -> None:
    names = set(db.table_names())
    ex = db.execute
    if "figure_scopes" not in names:
        ex("CREATE TABLE figure_scopes (digest TEXT, organisation TEXT, year INTEGER, position INTEGER, "
           "PRIMARY KEY (digest, organisation, year))")
    if "figure_contrib" not in names:
        # keyed by the record's created position, not its id: a new record appends to its slot's rows
        ex("CREATE TABLE figure_contrib (digest TEXT, organisation TEXT, year INTEGER, slot TEXT, pos INTEGER, "
           "record_id TEXT, value TEXT, approx_value REAL, approx TEXT, ord TEXT, subject TEXT, exp INTEGER, "
           "PRIMARY KEY (digest, organisation, year, slot, pos)) WITHOUT ROWID")
        # a sum is written with as many decimals as its most precise part (Decimal's rule): the smallest exponent
        ex("CREATE INDEX idx_figure_contrib_exp ON figure_contrib (digest, organisation, year, slot, exp) "
           "WHERE exp < 0")
        ex("CREATE INDEX idx_figure_contrib_approx ON figure_contrib "
           "(digest, organisation, year, slot, approx_value DESC, ord) WHERE approx_value IS NOT NULL")
        ex("CREATE INDEX idx_figure_contrib_subject ON figure_contrib (digest, organisation, year, slot, subject, ord) "
           "WHERE subject IS NOT NULL")
    if "figure_items" not in names:
        ex("CREATE TABLE figure_items (digest TEXT, organisation TEXT, year INTEGER, slot TEXT, item TEXT, "
           "refs INTEGER, record_id TEXT, value TEXT, approx_value REAL, approx TEXT, ord TEXT, ev_n INTEGER, "
           "ev_acc TEXT, PRIMARY KEY (digest, organisation, year, slot, item)) WITHOUT ROWID")
        ex("CREATE INDEX idx_figure_items_approx ON figure_items (digest, organisation, year, slot, approx_value DESC, "
           "ord)")
    if "figure_totals" not in names:
        ex("CREATE TABLE figure_totals (digest TEXT, organisation TEXT, year INTEGER, slot TEXT, value TEXT, "
           "n INTEGER, ev_n INTEGER, ev_acc TEXT, PRIMARY KEY (digest, organisation, year, slot)) WITHOUT ROWID")
    if "record_counts" not in names:
        ex("CREATE TABLE record_counts (organisation TEXT, year INTEGER, kind TEXT, theme TEXT, n INTEGER, "
           "PRIMARY KEY (organisation, year, kind, theme)) WITHOUT ROWID")
    if "count_scopes" not in names:
        ex("CREATE TABLE count_scopes (organisation TEXT, year INTEGER, PRIMARY KEY (organisation, year))")
    if "record_months" not in names:
        ex("CREATE TABLE record_months (organisation TEXT, year INTEGER, kind TEXT, month INTEGER, n INTEGER, "
           "PRIMARY KEY (organisation, year, kind, month)) WITHOUT ROWID")
        # a file kept counts before it kept months: its counts are made again, with their months, on demand
        ex("DELETE FROM count_scopes")
        ex("DELETE FROM record_counts")


def reset(db) -> None:
    for table in TABLES:
        db.execute(f"DELETE FROM [{table}]")


# --- what one record gives one figure ------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    key: str  # the figure's key, or key@prev
    figure: Figure
    shift: int  # 0, or -1 for the year before

    def year(self, year: int) -> int:
        return year + self.figure.year_offset + self.shift


@dataclass
class Part:
    value: Decimal
    approx: tuple[Decimal, str] | None = None  # the record's largest approximate part
    items: tuple[str, ...] = ()
    subject: str | None = None
    ord: str = ""


def slots(template: Template) -> tuple[Slot, ...]:
    out = []
    changes = {f.of for f in template.figures if f.agg == "change"}
    for f in template.figures:
        if f.agg in DERIVED_AGGS:
            continue
        out.append(Slot(f.key, f, 0))
        if f.key in changes and f.agg != "each":
            out.append(Slot(f.key + PREV, f, -1))
    return tuple(out)


_slots_cache: dict[str, tuple[tuple[Slot, ...], dict[str, tuple[Slot, ...]]]] = {}


def slots_by_kind(template: Template) -> dict[str, tuple[Slot, ...]]:
    found = _slots_cache.get(template.digest)
    if found is None:
        all_slots = slots(template)
        by_kind: dict[str, list[Slot]] = {}
        for s in all_slots:
            for k in dict.fromkeys(s.figure.kinds):
                by_kind.setdefault(k, []).append(s)
        found = (all_slots, {k: tuple(v) for k, v in by_kind.items()})
        _slots_cache[template.digest] = found
    return found[1]


def _first_max(parts: list[tuple[Decimal, str | None]]) -> tuple[Decimal, str] | None:
    approx = [(v, m) for v, m in parts if m]
    return max(approx, key=lambda p: p[0]) if approx else None


def contribution(slot: Slot, year: int, row: Row) -> Part | None:
    """What ``row`` (live) gives the figure of ``slot`` in the state of ``year``; None when nothing."""
    figure = slot.figure
    if not _matches(figure, row):
        return None
    year = slot.year(year)
    order = f"{figure.kinds.index(row.kind):03d}|{row.created_position:015d}"
    if figure.agg in STOCK_AGGS:
        if row.occurred_on > f"{year}-12-31":
            return None
        subject = row.subject_id or row.id
        if figure.agg == "stock_count":
            return Part(Decimal(1), items=(subject,), ord=order)
        if figure.measure not in row.facts:
            return None
        m = row.facts[figure.measure]
        v = _number(m["value"])
        return Part(v, (v, m["approx"]) if m["approx"] else None, subject=subject,
                    ord=f"{row.occurred_on}|{row.created_position:015d}")
    if row.year != year:
        return None
    agg = figure.agg
    if agg in ("count", "each"):
        return Part(Decimal(1), ord=order)
    if agg == "count_with":
        return Part(Decimal(1), ord=order) if figure.measure in row.facts else None
    if agg == "distinct_firms":
        if not row.firms:
            return None
        items = sorted({json.dumps(f.get("uscc") or f.get("name"), ensure_ascii=False) for f in row.firms})
        return Part(Decimal(1), items=tuple(items), ord=order)
    if agg == "distinct_values":
        value = row.get(figure.field)
        if value in (None, ""):
            return None
        return Part(Decimal(1), items=(json.dumps(value, sort_keys=True, ensure_ascii=False),), ord=order)
    if agg == "sum":
        if figure.measure_name:
            parts = _named_parts(figure, row)
            if not parts:
                return None
        else:
            m = row.facts.get(figure.measure)
            if m is not None:
                parts = [(_number(m["value"]), m.get("approx"))]
            elif figure.default is not None:
                parts = [(Decimal(figure.default), None)]
            else:
                return None
        return Part(sum((p[0] for p in parts), Decimal(0)), _first_max(parts), ord=order)
    raise ValueError(f"unknown aggregation {agg}")


# --- the state, changed by deltas ----------------------------------------------------------------


class _Totals:
    """What one batch changes, written back once: figure_totals rows, the contrib rows of every slot but
    stock_sum's (which reads its own back at once), and the reference counts of distinct items."""

    def __init__(self, db):
        self.db = db
        self.rows: dict[tuple, list] = {}
        self.contrib: dict[tuple, tuple | None] = {}  # (state, slot, pos) -> the row, or None: deleted
        self.refs: dict[tuple, int] = {}

    def ref(self, key: tuple, item: str, sign: int) -> int:
        """Count one more (or one less) reference to ``item``: 1 when it appears, -1 when it goes, else 0."""
        k = (*key, item)
        before = self.refs.get(k)
        if before is None:
            got = self.db.execute(f"SELECT refs FROM figure_items WHERE {SCOPE} AND item = ?", k).fetchone()
            before = got[0] if got else 0
        after = before + sign
        self.refs[k] = after
        return 1 if before <= 0 < after else -1 if after <= 0 < before else 0

    def get(self, key: tuple) -> list:
        row = self.rows.get(key)
        if row is None:
            got = self.db.execute(f"SELECT value, n, ev_n, ev_acc FROM figure_totals WHERE {SCOPE}", key).fetchone()
            row = [Decimal(got[0]), got[1], got[2], int(got[3], 16)] if got else [Decimal(0), 0, 0, 0]
            self.rows[key] = row
        return row

    def add(self, key: tuple, value: Decimal, n: int, ev: tuple[int, int]) -> None:
        row = self.get(key)
        row[0] += value
        row[1] += n
        row[2] += ev[0]
        row[3] = (row[3] + ev[1]) % provenance.MODULUS

    def write(self) -> None:
        conn = self.db.conn
        gone = [k for k, row in self.contrib.items() if row is None]
        if gone:
            conn.executemany(f"DELETE FROM figure_contrib WHERE {SCOPE} AND pos = ?", gone)
        rows = [row for row in self.contrib.values() if row is not None]
        if rows:
            conn.executemany("INSERT OR REPLACE INTO figure_contrib VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        if self.refs:
            conn.executemany(f"DELETE FROM figure_items WHERE {SCOPE} AND item = ?",
                             [k for k, n in self.refs.items() if n <= 0])
            conn.executemany("INSERT OR REPLACE INTO figure_items (digest, organisation, year, slot, item, refs) "
                             "VALUES (?, ?, ?, ?, ?, ?)", [(*k, n) for k, n in self.refs.items() if n > 0])
        self.contrib, self.refs = {}, {}
        if self.rows:
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO figure_totals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(*k, str(v[0]), v[1], v[2], format(v[3], "x")) for k, v in self.rows.items()])
        self.rows = {}


def _exp(value: Decimal) -> int:
    return min(value.as_tuple().exponent, 0)


def _neg(ev: tuple[int, int]) -> tuple[int, int]:
    return -ev[0], -ev[1]


def _apply(db, totals: _Totals, key: tuple, slot: Slot, record_id: str, pos: int, part: Part,
           ev: tuple[int, int], sign: int, events_of) -> None:
    """Add (sign 1) or take away (sign -1) one record's part of one slot of one state."""
    agg = slot.figure.agg
    row = None
    if sign > 0:
        approx_value, approx = (float(part.approx[0]), part.approx[1]) if part.approx else (None, None)
        row = (*key, pos, record_id, str(part.value), approx_value, approx, part.ord, part.subject, _exp(part.value))
    if agg == "stock_sum":  # written at once: finding the subject's latest record reads it back
        if row is not None:
            db.conn.execute("INSERT OR REPLACE INTO figure_contrib VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        else:
            db.conn.execute(f"DELETE FROM figure_contrib WHERE {SCOPE} AND pos = ?", [*key, pos])
        _restock(db, totals, key, part.subject, events_of)
        return
    totals.contrib[(*key, pos)] = row
    if agg in ("distinct_firms", "distinct_values", "stock_count"):
        changed = sum(totals.ref(key, item, sign) for item in part.items)
        totals.add(key, Decimal(changed), sign, ev if sign > 0 else _neg(ev))
        return
    totals.add(key, part.value * sign, sign, ev if sign > 0 else _neg(ev))


def _restock(db, totals: _Totals, key: tuple, subject: str, events_of) -> None:
    """A stock_sum counts each subject's latest record: find it again and move the totals by the difference."""
    before = db.execute(f"SELECT record_id, value, ev_n, ev_acc FROM figure_items WHERE {SCOPE} AND item = ?",
                        [*key, subject]).fetchone()
    latest = db.execute(f"SELECT record_id, value, approx_value, approx FROM figure_contrib WHERE {SCOPE} "
                        "AND subject = ? ORDER BY ord DESC LIMIT 1", [*key, subject]).fetchone()
    if before:
        totals.add(key, -Decimal(before[1]), -1, (-before[2], -int(before[3], 16)))
        db.conn.execute(f"DELETE FROM figure_items WHERE {SCOPE} AND item = ?", [*key, subject])
    if latest:
        first = db.execute(f"SELECT ord FROM figure_contrib WHERE {SCOPE} AND subject = ? ORDER BY ord LIMIT 1",
                           [*key, subject]).fetchone()[0]
        ev = events_of(latest[0])
        db.conn.execute("INSERT INTO figure_items VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                        [*key, subject, latest[0], latest[1], latest[2], latest[3], first, ev[0], format(ev[1], "x")])
        totals.add(key, Decimal(latest[1]), 1, ev)


def _ev(positions: Iterable[int]) -> tuple[int, int]:
    positions = list(positions)
    return len(positions), provenance.event_sum(positions)


def _positions(db, record_ids: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {rid: [] for rid in record_ids}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start:start + 500]
        for pos, rid in db.execute(
                f"SELECT position, record_id FROM events WHERE record_id IN ({','.join('?' * len(chunk))})", chunk):
            out[rid].append(pos)
    return out


def _rows(db, record_ids: list[str]) -> dict[str, dict]:
    out = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start:start + 500]
        cursor = db.execute(f"SELECT * FROM records WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        names = [d[0] for d in cursor.description]
        for r in cursor:
            row = dict(zip(names, r))
            out[row["id"]] = row
    return out


# --- the fold's side ----------------------------------------------------------------------------


def before(db, record_ids: Iterable[str]) -> dict | None:
    """Inside the fold's transaction, before its rows are written: the touched records as they were."""
    if db.execute("SELECT 1 FROM figure_scopes LIMIT 1").fetchone() is None and \
            db.execute("SELECT 1 FROM count_scopes LIMIT 1").fetchone() is None:
        return None
    ids = list(dict.fromkeys(r for r in record_ids if r))
    return {"rows": _rows(db, ids), "positions": _positions(db, ids), "ids": ids}


def after(db, state: dict | None, new_rows: dict[str, dict], events: list[tuple]) -> None:
    """Inside the fold's transaction, after its rows are written: move every kept state by the difference."""
    if state is None:
        return
    from projections.templates import _parse

    old_rows, old_positions = state["rows"], state["positions"]
    added: dict[str, list[int]] = {}
    for e in events:
        added.setdefault(e[1], []).append(e[0])
    missing = [rid for rid in state["ids"] if rid not in new_rows and rid in old_rows]
    new_rows = {**_rows(db, missing), **new_rows} if missing else new_rows
    scopes: dict[str, list[tuple[str, int]]] = {}
    for digest, org, year in db.execute("SELECT digest, organisation, year FROM figure_scopes"):
        scopes.setdefault(org, []).append((digest, year))
    counted = {tuple(r) for r in db.execute("SELECT organisation, year FROM count_scopes")}
    templates: dict[str, Template] = {}
    totals = _Totals(db)
    cache: dict[str, tuple[int, int]] = {}

    def events_of(rid: str) -> tuple[int, int]:  # the events now written: the same for the whole batch
        if rid not in cache:
            cache[rid] = _ev(_positions(db, [rid])[rid])
        return cache[rid]

    for rid in state["ids"]:
        old, new = old_rows.get(rid), new_rows.get(rid)
        if old is None and new is None:
            continue
        old_live = Row.from_db(old) if old and not old["retracted"] else None
        new_live = Row.from_db(new) if new and not new["retracted"] else None
        for row, sign in ((old_live, -1), (new_live, 1)):
            if row is not None and (row.organisation, row.year) in counted:
                db.conn.execute("INSERT INTO record_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + ?",
                                [row.organisation, row.year, row.kind, row.theme, sign, sign])
                db.conn.execute("INSERT INTO record_months VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + ?",
                                [row.organisation, row.year, row.kind, int(row.occurred_on[5:7]), sign, sign])
        ev_old = _ev(old_positions.get(rid, []))
        ev_new = _ev(old_positions.get(rid, []) + added.get(rid, []))
        orgs = {r.organisation for r in (old_live, new_live) if r is not None}
        for org in orgs:
            for digest, year in scopes.get(org, ()):
                template = templates.get(digest)
                if template is None:
                    template = templates[digest] = _template(db, digest, _parse)
                if template is None:
                    continue
                kinds = {r.kind for r in (old_live, new_live) if r is not None}
                for kind in kinds:
                    for slot in slots_by_kind(template).get(kind, ()):
                        key = (digest, org, year, slot.key)
                        oc = contribution(slot, year, old_live) if old_live and old_live.organisation == org \
                            and old_live.kind == kind else None
                        nc = contribution(slot, year, new_live) if new_live and new_live.organisation == org \
                            and new_live.kind == kind else None
                        if oc is None and nc is None:
                            continue
                        if oc is not None:
                            _apply(db, totals, key, slot, rid, old_live.created_position, oc, ev_old, -1, events_of)
                        if nc is not None:
                            _apply(db, totals, key, slot, rid, new_live.created_position, nc, ev_new, 1, events_of)
    db.conn.execute("DELETE FROM record_counts WHERE n = 0")
    db.conn.execute("DELETE FROM record_months WHERE n = 0")
    totals.write()


def _template(db, digest: str, parse) -> Template | None:
    from domain.template import default_template

    if default_template().digest == digest:
        return default_template()
    row = db.execute("SELECT digest, body FROM templates WHERE digest = ? LIMIT 1", [digest]).fetchone()
    return parse(row[0], row[1]) if row else None


# --- made on demand -----------------------------------------------------------------------------


def ensure(db, template: Template, organisations: list[str], year: int) -> None:
    """Make the states a summary of ``organisations``' ``year`` with ``template`` reads, where missing:
    computed from the rows once, in a write transaction (so the fold cannot run in between)."""
    digest = template.digest
    need = [o for o in organisations if db.execute(
        "SELECT 1 FROM figure_scopes WHERE digest = ? AND organisation = ? AND year = ?", [digest, o, year]).fetchone()
        is None]
    counts = [(o, y) for o in organisations for y in (year, year + 1) if db.execute(
        "SELECT 1 FROM count_scopes WHERE organisation = ? AND year = ?", [o, y]).fetchone() is None]
    if not need and not counts:
        return
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        _count(conn, counts)
        position = (conn.execute("SELECT MAX(position) FROM tracking").fetchone()[0]) or 0
        if need:
            _prune(db)
        for org in need:
            if conn.execute("SELECT 1 FROM figure_scopes WHERE digest = ? AND organisation = ? AND year = ?",
                            [digest, org, year]).fetchone():
                continue
            _populate(db, template, org, year)
            conn.execute("INSERT INTO figure_scopes VALUES (?, ?, ?, ?)", [digest, org, year, position])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def kept(db) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
    """The states a file keeps: (digest, organisation, year) and the counted (organisation, year)s."""
    return ([tuple(r) for r in db.execute("SELECT digest, organisation, year FROM figure_scopes")],
            [tuple(r) for r in db.execute("SELECT organisation, year FROM count_scopes")])


def remake(db, scopes: Iterable[tuple[str, str, int]], counts: Iterable[tuple[str, int]]) -> int:
    """Make these states in a freshly folded file (a rebuild, before it replaces the live views), so the
    first summary after a rebuild reads kept state as the one before it did. Each state is computed
    from its own rows (memory bounded by one organisation's year), those of superseded template revisions
    are left out. Answers the states made."""
    from projections.templates import _parse

    by_scope: dict[tuple[str, int], list[str]] = {}
    for digest, org, year in scopes:
        by_scope.setdefault((digest, year), []).append(org)
    made = 0
    for (digest, year), orgs in sorted(by_scope.items()):
        template = _template(db, digest, _parse)
        if template is None:  # a digest this log no longer has (a template revision rewritten): made on demand
            continue
        ensure(db, template, orgs, year)
        made += db.execute(f"SELECT COUNT(*) FROM figure_scopes WHERE digest = ? AND year = ? AND organisation IN "
                           f"({_marks(orgs)})", [digest, year, *orgs]).fetchone()[0]
    _ensure_counts(db, list(counts))
    return made


def _ensure_counts(db, counts: list[tuple[str, int]]) -> None:
    counts = [(o, y) for o, y in counts if db.execute(
        "SELECT 1 FROM count_scopes WHERE organisation = ? AND year = ?", [o, y]).fetchone() is None]
    if not counts:
        return
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        _count(conn, counts)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _count(conn, counts: Iterable[tuple[str, int]]) -> None:
    """record_counts of these (organisation, year)s from the rows, where not kept yet (in a transaction)."""
    for org, y in counts:
        if conn.execute("SELECT 1 FROM count_scopes WHERE organisation = ? AND year = ?", [org, y]).fetchone():
            continue
        conn.execute("INSERT INTO record_counts SELECT organisation, year, kind, theme, COUNT(*) FROM records "
                     "WHERE organisation = ? AND year = ? AND retracted = 0 GROUP BY kind, theme", [org, y])
        conn.execute("INSERT INTO record_months SELECT organisation, year, kind, CAST(substr(occurred_on, 6, 2) AS "
                     "INTEGER) m, COUNT(*) FROM records WHERE organisation = ? AND year = ? AND retracted = 0 "
                     "GROUP BY kind, m", [org, y])
        conn.execute("INSERT INTO count_scopes VALUES (?, ?)", [org, y])


def _prune(db) -> None:
    """Drop the states of superseded template revisions: no summary at the head reads them again (an as-of
    summary folds its own store), and the fold would keep moving them for nothing."""
    from domain.template import DEFAULT_NAME, default_template

    latest = {name: digest for name, digest in db.execute(
        "SELECT name, digest FROM templates t WHERE version = (SELECT MAX(version) FROM templates u "
        "WHERE u.name = t.name)")}
    live = set(latest.values()) | ({default_template().digest} if DEFAULT_NAME not in latest else set())
    for (digest,) in db.execute("SELECT DISTINCT digest FROM figure_scopes").fetchall():
        if digest not in live:
            for table in ("figure_scopes", "figure_contrib", "figure_items", "figure_totals"):
                db.conn.execute(f"DELETE FROM {table} WHERE digest = ?", [digest])


def _populate(db, template: Template, org: str, year: int) -> None:
    """One state from the rows, read a chunk at a time: each slot's contributions written per chunk, its
    totals and distinct items added up in memory (bounded by the distinct firms and values), then written."""
    digest = template.digest
    by_kind = slots_by_kind(template)
    stock_kinds = sorted({k for s in slots(template) if s.figure.agg in STOCK_AGGS for k in s.figure.kinds})
    kinds = sorted(by_kind)
    if not kinds:
        return
    marks = ",".join("?" * len(kinds))
    cursor = db.execute(
        f"SELECT * FROM records WHERE organisation = ? AND retracted = 0 AND kind IN ({marks}) AND "
        f"((year BETWEEN ? AND ?) OR (kind IN ({','.join('?' * len(stock_kinds)) or 'NULL'}) AND occurred_on <= ?))",
        [org, *kinds, year - 2, year, *stock_kinds, f"{year}-12-31"])
    names = [d[0] for d in cursor.description]
    conn = db.conn
    contrib, items, totals = [], {}, {}
    stock: dict[tuple, dict[str, list]] = {}
    while True:  # a chunk of rows at a time: memory stays bounded by the chunk, not the year
        chunk = cursor.fetchmany(POPULATE_CHUNK)
        if not chunk:
            break
        rows = [Row.from_db(dict(zip(names, r))) for r in chunk]
        positions = _positions(db, [r.id for r in rows])
        for r in rows:
            ev = None
            for slot in by_kind.get(r.kind, ()):
                part = contribution(slot, year, r)
                if part is None:
                    continue
                key = (digest, org, year, slot.key)
                if ev is None:
                    ev = _ev(positions[r.id])
                approx_value, approx = (float(part.approx[0]), part.approx[1]) if part.approx else (None, None)
                contrib.append((*key, r.created_position, r.id, str(part.value), approx_value, approx, part.ord,
                                part.subject, _exp(part.value)))
                t = totals.setdefault(key, [Decimal(0), 0, 0, 0])
                agg = slot.figure.agg
                if agg == "stock_sum":
                    stock.setdefault(key, {}).setdefault(part.subject, []).append((part, r.id, ev))
                    continue
                t[1] += 1
                t[2] += ev[0]
                t[3] = (t[3] + ev[1]) % provenance.MODULUS
                if part.items:
                    for item in part.items:
                        refs = items.setdefault((*key, item), 0)
                        items[(*key, item)] = refs + 1
                        if refs == 0:
                            t[0] += 1
                else:
                    t[0] += part.value
        conn.executemany("INSERT OR REPLACE INTO figure_contrib VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", contrib)
        contrib = []
    stock_items = []
    for key, subjects in stock.items():
        t = totals[key]
        for subject, got in subjects.items():
            got.sort(key=lambda g: g[0].ord)
            part, rid, ev = got[-1]
            approx_value, approx = (float(part.approx[0]), part.approx[1]) if part.approx else (None, None)
            stock_items.append((*key, subject, 1, rid, str(part.value), approx_value, approx, got[0][0].ord, ev[0],
                                format(ev[1], "x")))
            t[0] += part.value
            t[1] += 1
            t[2] += ev[0]
            t[3] = (t[3] + ev[1]) % provenance.MODULUS
    conn.executemany("INSERT OR REPLACE INTO figure_items (digest, organisation, year, slot, item, refs) "
                     "VALUES (?, ?, ?, ?, ?, ?)", [(*k, n) for k, n in items.items()])
    conn.executemany("INSERT OR REPLACE INTO figure_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", stock_items)
    for s in slots(template):  # every slot has a total, zero when nothing counts
        totals.setdefault((digest, org, year, s.key), [Decimal(0), 0, 0, 0])
    conn.executemany("INSERT OR REPLACE INTO figure_totals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [(*k, str(v[0]), v[1], v[2], format(v[3], "x")) for k, v in totals.items()])


# --- reading: the figures of a summary ------------------------------------------------------------


def _marks(orgs: list[str]) -> str:
    return ",".join("?" * len(orgs))


def _total(db, digest: str, orgs: list[str], year: int, slot: Slot) -> Value:
    figure = slot.figure
    got = db.execute(f"SELECT value, n, ev_n, ev_acc FROM figure_totals WHERE digest = ? AND year = ? AND slot = ? "
                     f"AND organisation IN ({_marks(orgs)})", [digest, year, slot.key, *orgs]).fetchall()
    value = sum((Decimal(g[0]) for g in got), Decimal(0))
    n = sum(g[1] for g in got)
    events = sum(g[2] for g in got)
    acc = sum(int(g[3], 16) for g in got) % provenance.MODULUS
    agg = figure.agg
    approx = None
    if agg in ("distinct_firms", "distinct_values", "stock_count") and len(orgs) > 1:
        value = Decimal(db.execute(
            f"SELECT COUNT(DISTINCT item) FROM figure_items WHERE digest = ? AND year = ? AND slot = ? "
            f"AND organisation IN ({_marks(orgs)})", [digest, year, slot.key, *orgs]).fetchone()[0])
    if agg in ("sum", "stock_sum"):
        table = "figure_items" if agg == "stock_sum" else "figure_contrib"
        best = None
        for org in orgs:  # the largest approximate part (the first of equals, in the order a summary adds them)
            m = db.execute(f"SELECT approx_value, ord, approx FROM {table} WHERE {SCOPE} AND approx_value IS NOT NULL "
                           "ORDER BY approx_value DESC, ord LIMIT 1", [digest, org, year, slot.key]).fetchone()
            if m and (best is None or m[0] > best[0] or (m[0] == best[0] and m[1] < best[1])):
                best = m
        approx = best[2] if best else None
    if agg == "stock_sum":
        out = int(value)
    elif agg == "sum":
        exp = min([0] + [db.execute(f"SELECT MIN(exp) FROM figure_contrib WHERE {SCOPE} AND exp < 0",
                                    [digest, org, year, slot.key]).fetchone()[0] or 0 for org in orgs])
        out = _int_or_decimal(value.quantize(Decimal(1).scaleb(exp)), figure.unit)
    else:
        out = int(value)
    return Value(figure.key, figure, out, figure.unit, approx, [], n=n, events=events, acc=acc)


def _each(db, digest: str, orgs: list[str], year: int, slot: Slot, kinds: dict) -> tuple[list[Value], dict]:
    ids = [r[0] for r in db.execute(
        f"SELECT record_id FROM figure_contrib WHERE digest = ? AND year = ? AND slot = ? "
        f"AND organisation IN ({_marks(orgs)})", [digest, year, slot.key, *orgs])]
    rows = sorted((Row.from_db(r) for r in _rows(db, ids).values()), key=lambda r: r.created_position)
    values = compute(slot.figure, rows, [], year, kinds)
    positions = _positions(db, ids)
    for v in values:
        v.n, (v.events, v.acc) = 1, _ev(positions[v.records[0]])
    return values, {r.id: r for r in rows}


def values(db, template: Template, orgs: list[str], year: int) -> tuple[list[Value], dict[str, Row]]:
    """Every figure of the template for the organisations' year, from the state (what all_values gives)."""
    digest = template.digest
    kinds = template.kinds_by_key
    out: list[Value] = []
    current: dict[str, Value] = {}
    previous: dict[str, Value] = {}
    each_rows: dict[str, Row] = {}
    for slot in slots(template):
        if slot.shift:
            previous[slot.figure.key] = _total(db, digest, orgs, year, slot)
            continue
        if slot.figure.agg == "each":
            got, rows = _each(db, digest, orgs, year, slot, kinds)
            out.extend(got)
            each_rows.update(rows)
            continue
        v = _total(db, digest, orgs, year, slot)
        out.append(v)
        current[slot.key] = v
    derived = {}
    for figure in template.figures:
        if figure.agg in DERIVED_AGGS and figure.of in current and (figure.agg == "change" or figure.over in current):
            v = derive(figure, current, previous)
            others = [current[figure.of], previous.get(figure.of) if figure.agg == "change" else current[figure.over]]
            others = [o for o in others if o is not None]
            v.n = sum(o.record_count for o in others)
            v.events = sum(o.events for o in others)
            v.acc = sum(o.acc for o in others) % provenance.MODULUS
            derived[figure.key] = v
    order = {f.key: i for i, f in enumerate(template.figures)}
    out.extend(derived.values())
    out.sort(key=lambda v: order[v.figure.key])
    for v in out:
        v.phrase = wording(v, template)
    return out, each_rows


# --- reading: the narrative's counts and titles ------------------------------------------------


def kind_samples(db, template: Template, orgs: list[str], year: int) -> dict[str, dict[str, "Sample"]]:
    """Per work section, per kind in it: how many live records of the year it has and the first four titles
    (a record is filed under its own theme when the template has it, else under its kind's section)."""
    work_keys = [s.key for s in template.work_sections]
    meta = set(template.role_kinds("problems")) | set(template.role_kinds("plans"))
    kinds = {k.key: k for k in template.kinds if k.key not in meta}
    counts: dict[tuple[str, str], int] = {}
    for kind, theme, n in db.execute(
            f"SELECT kind, theme, SUM(n) FROM record_counts WHERE organisation IN ({_marks(orgs)}) AND year = ? "
            "GROUP BY kind, theme", [*orgs, year]):
        if kind in kinds and n:
            section = theme if theme in work_keys else kinds[kind].theme
            counts[(section, kind)] = counts.get((section, kind), 0) + n
    out: dict[str, dict[str, Sample]] = {}
    for (section, kind), n in counts.items():
        own = kinds[kind].theme == section
        titles = []
        for org in orgs:
            titles.extend(db.execute(
                "SELECT created_position, title FROM records WHERE organisation = ? AND year = ? AND kind = ? AND "
                f"retracted = 0 AND (theme = ? OR (? AND COALESCE(theme, '') NOT IN ({_marks(work_keys)}))) "
                "ORDER BY created_position LIMIT 4", [org, year, kind, section, int(own), *work_keys]).fetchall())
        titles.sort()
        out.setdefault(section, {})[kind] = Sample([SimpleNamespace(title=t) for _, t in titles[:4]], n)
    return out


class Sample(list):
    """The first rows of a kind (enough for three titles and 等) that knows how many there are in all."""

    def __init__(self, rows: list, total: int):
        super().__init__(rows)
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0


def live_count(db, orgs: list[str], year: int, meta_kinds: set[str]) -> int:
    got = db.execute(f"SELECT kind, SUM(n) FROM record_counts WHERE organisation IN ({_marks(orgs)}) AND year = ? "
                     "GROUP BY kind", [*orgs, year]).fetchall()
    return sum(n for kind, n in got if kind not in meta_kinds)


def kind_rows(db, orgs: list[str], year: int, kinds: Iterable[str]) -> list[Row]:
    """The live rows of a few kinds of the year (problems, theme titles: a handful), in log order."""
    kinds = list(kinds)
    if not kinds:
        return []
    cursor = db.execute(f"SELECT * FROM records WHERE organisation IN ({_marks(orgs)}) AND year = ? AND retracted = 0 "
                        f"AND kind IN ({_marks(kinds)}) ORDER BY created_position", [*orgs, year, *kinds])
    names = [d[0] for d in cursor.description]
    return [Row.from_db(dict(zip(names, r))) for r in cursor]


def activity(db, organisation: str, year: int, left_out: Iterable[str]) -> tuple[dict[int, int], dict[str, int]]:
    """Live records per month and per theme of the year, but of the kinds ``left_out``, from the kept counts
    (made first where missing)."""
    _ensure_counts(db, [(organisation, year)])
    left_out = set(left_out)
    months = {m: 0 for m in range(1, 13)}
    for kind, month, n in db.execute("SELECT kind, month, n FROM record_months WHERE organisation = ? AND year = ?",
                                     [organisation, year]):
        if kind not in left_out:
            months[month] = months.get(month, 0) + n
    themes: dict[str, int] = {}
    for kind, theme, n in db.execute("SELECT kind, theme, n FROM record_counts WHERE organisation = ? AND year = ?",
                                     [organisation, year]):
        if kind not in left_out:
            themes[theme] = themes.get(theme, 0) + n
    return months, themes


def kind_count(db, organisation: str, year: int, kind: str) -> int | None:
    """Live records of a kind in the year, when the counts are kept for it (None: count the rows)."""
    if db.execute("SELECT 1 FROM count_scopes WHERE organisation = ? AND year = ?", [organisation, year]).fetchone() \
            is None:
        return None
    got = db.execute("SELECT SUM(n) FROM record_counts WHERE organisation = ? AND year = ? AND kind = ?",
                     [organisation, year, kind]).fetchone()[0]
    return got or 0


# --- a figure's events, on demand ---------------------------------------------------------------


def figure_events(db, template: Template, orgs: list[str], year: int, key: str, offset: int = 0,
                  limit: int = 50, after: int | None = None) -> tuple[int, list[dict]] | None:
    """(how many events, one page of them in log order) behind the figure ``key``; None when no such figure.
    ``after``: the page starts after that position (a cursor: no rows are skipped to get there)."""
    digest = template.digest
    figures = template.figures_by_key
    sources: list[tuple[str, str | None]] = []  # (slot, one record only)
    if key in figures:
        f = figures[key]
        if f.agg == "each":
            return None
        if f.agg == "change":
            sources = [(f.of, None), (f.of + PREV, None)]
        elif f.agg == "share":
            sources = [(f.of, None), (f.over, None)]
        else:
            sources = [(key, None)]
        if any(s.split("@")[0] not in figures or figures[s.split("@")[0]].agg in ("each", *DERIVED_AGGS)
               for s, _ in sources):
            return None
    else:
        base = next((f for f in template.figures if f.agg == "each" and key.startswith(f.key + ".")), None)
        if base is None:
            return None
        ensure(db, template, orgs, year)
        got, _rows_ = _each(db, digest, orgs, year, Slot(base.key, base, 0), template.kinds_by_key)
        match = next((v for v in got if v.key == key), None)
        if match is None:
            return None
        sources = [(base.key, match.records[0])]
    ensure(db, template, orgs, year)
    selects, params = [], []
    for slot, only in sources:
        figure = figures[slot.split("@")[0]]
        table = "figure_items" if figure.agg == "stock_sum" else "figure_contrib"
        sql = (f"SELECT record_id FROM {table} WHERE digest = ? AND year = ? AND slot = ? "
               f"AND organisation IN ({_marks(orgs)})")
        p = [digest, year, slot, *orgs]
        if only:
            sql += " AND record_id = ?"
            p.append(only)
        selects.append(sql)
        params += p
    union = " UNION ALL ".join(selects)
    total = db.execute(f"SELECT COUNT(*) FROM events e JOIN ({union}) c ON e.record_id = c.record_id",
                       params).fetchone()[0]
    if after is not None:
        cursor = db.execute(f"SELECT e.* FROM events e JOIN ({union}) c ON e.record_id = c.record_id "
                            "WHERE e.position > ? ORDER BY e.position LIMIT ?", [*params, after, limit])
    else:
        cursor = db.execute(f"SELECT e.* FROM events e JOIN ({union}) c ON e.record_id = c.record_id "
                            "ORDER BY e.position LIMIT ? OFFSET ?", [*params, limit, offset])
    names = [d[0] for d in cursor.description]
    return total, [dict(zip(names, r)) for r in cursor]
