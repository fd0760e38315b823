"""How often each firm is named in live records, per organisation: the firm suggestions of the log form.

``firm_uses`` (organisation, name, uscc, n) is kept by the fold (projections/views.py): a batch's
written records add their live firms, and the records it changed first take away what they named
before (a correction of the firms, a retraction). The suggestions then read a table of the ledger's
distinct firms, not every record's firms.
"""
from __future__ import annotations

import json
from typing import Iterable

TABLE = "firm_uses"
Part = tuple[str, tuple[tuple[str, str], ...]]  # (organisation, (name, uscc) of each firm named)


def create_table(db) -> None:
    if TABLE in db.table_names():
        return
    db.execute(f"CREATE TABLE {TABLE} (organisation TEXT, name TEXT, uscc TEXT, n INTEGER, "
               "PRIMARY KEY (organisation, name, uscc)) WITHOUT ROWID")
    # a file made before the table: its records counted once, here
    rows = db.execute("SELECT organisation, firms, retracted FROM records WHERE firms != '[]' AND retracted = 0")
    add(db, {}, {i: {"organisation": r[0], "firms": r[1], "retracted": r[2]} for i, r in enumerate(rows)})
    db.conn.commit()


def part(row: dict) -> Part | None:
    """What one record (a view row) counts: nothing once retracted."""
    if row["retracted"] or row["firms"] in ("[]", None):
        return None
    return row["organisation"], tuple((f.get("name") or "", f.get("uscc") or "") for f in json.loads(row["firms"]))


def add(db, before: dict[str, Part | None], records: dict) -> None:
    """Move the counts from what ``before`` counted (records changed by the batch, as they were) to what the
    batch's ``records`` count now."""
    delta: dict[tuple[str, str, str], int] = {}
    for old in before.values():
        if old is not None:
            for name, uscc in old[1]:
                k = (old[0], name, uscc)
                delta[k] = delta.get(k, 0) - 1
    for row in records.values():
        new = part(row)
        if new is not None:
            for name, uscc in new[1]:
                k = (new[0], name, uscc)
                delta[k] = delta.get(k, 0) + 1
    changed = [(*k, n) for k, n in delta.items() if n]
    if not changed:
        return
    db.conn.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
                        changed)
    if any(n < 0 for *_, n in changed):
        db.conn.execute(f"DELETE FROM {TABLE} WHERE n <= 0")


def suggestions(db, prefix: str, limit: int, organisations: Iterable[str] | None) -> list[dict]:
    """Firms ({name, uscc, uses}) most used first (then by name and code): those whose name holds
    ``prefix`` or whose code starts with it (upper case), in ``organisations``' records when given."""
    where, params = [], []
    if organisations is not None:
        organisations = list(organisations)
        where.append(f"organisation IN ({','.join('?' * len(organisations))})" if organisations else "0")
        params += organisations
    if prefix:
        where.append("(instr(name, ?) > 0 OR substr(uscc, 1, ?) = ?)")
        params += [prefix, len(prefix), prefix.upper()]
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = db.execute(f"SELECT name, uscc, SUM(n) uses FROM {TABLE} {clause} GROUP BY name, uscc "
                      "ORDER BY uses DESC, name, uscc LIMIT ?", [*params, limit]).fetchall()
    return [{"name": name or None, "uscc": uscc or None, "uses": uses} for name, uscc, uses in rows]
