"""The organisation tree as the read model holds it (folded from domain/org_units.py's events): each
unit's name, level and parent, and every name it was known by (records carry the name they were
logged under). A unit's roll-up is its own names and those of every unit below it."""
from __future__ import annotations

from domain.org_units import LEVELS

UNIT_COLUMNS = {"code": str, "name": str, "level": str, "parent": str, "position": int, "merged_into": str}
LIVE = "merged_into IS NULL"  # a merged unit stays in the table (its history) but leaves the tree


def create_tables(db) -> None:
    if "org_units" not in db.table_names():
        db["org_units"].create(UNIT_COLUMNS, pk="code")
    elif "merged_into" not in db["org_units"].columns_dict:  # a read model made before merges existed
        db.execute("ALTER TABLE org_units ADD COLUMN merged_into TEXT")
    if "org_unit_names" not in db.table_names():
        db["org_unit_names"].create({"code": str, "name": str}, pk=("code", "name"))


def fold(db, step: str, data: dict, position: int) -> None:
    """One unit event into the tables (inside the fold's transaction)."""
    code = data["code"]
    if step == "unit_added":
        db.conn.execute("INSERT OR REPLACE INTO org_units (code, name, level, parent, position) VALUES (?, ?, ?, ?, ?)",
                        [code, data["name"], data["level"], data.get("parent"), position])
        db.conn.execute("INSERT OR IGNORE INTO org_unit_names VALUES (?, ?)", [code, data["name"]])
    elif step == "unit_moved":
        db.conn.execute("UPDATE org_units SET parent = ?, position = ? WHERE code = ?",
                        [data.get("parent"), position, code])
    elif step == "unit_renamed":
        db.conn.execute("UPDATE org_units SET name = ?, position = ? WHERE code = ?", [data["name"], position, code])
        db.conn.execute("INSERT OR IGNORE INTO org_unit_names VALUES (?, ?)", [code, data["name"]])
    elif step == "unit_name_attached":
        db.conn.execute("INSERT OR IGNORE INTO org_unit_names VALUES (?, ?)", [code, data["name"]])
    elif step == "unit_merged":  # its names (so its records) and the units below it go to the unit merged into
        into = data["into"]
        db.conn.execute("UPDATE org_units SET merged_into = ?, position = ? WHERE code = ?", [into, position, code])
        db.conn.execute("INSERT OR IGNORE INTO org_unit_names SELECT ?, name FROM org_unit_names WHERE code = ?",
                        [into, code])
        db.conn.execute("UPDATE org_units SET parent = ? WHERE parent = ?", [into, code])


def units(db) -> list[dict]:
    cursor = db.execute(f"SELECT code, name, level, parent FROM org_units WHERE {LIVE} ORDER BY code")
    return [dict(zip(("code", "name", "level", "parent"), row)) for row in cursor]


def unit_named(db, name: str) -> dict | None:
    """The unit a name belongs to (its name now, or one it had)."""
    row = db.execute("SELECT u.code, u.name, u.level, u.parent FROM org_units u JOIN org_unit_names n "
                     "ON n.code = u.code WHERE n.name = ? AND u.merged_into IS NULL ORDER BY u.name = ? DESC LIMIT 1",
                     [name, name]).fetchone()
    return dict(zip(("code", "name", "level", "parent"), row)) if row else None


def children(db, code: str) -> list[dict]:
    cursor = db.execute(f"SELECT code, name, level, parent FROM org_units WHERE parent = ? AND {LIVE} ORDER BY code",
                        [code])
    return [dict(zip(("code", "name", "level", "parent"), row)) for row in cursor]


def names_below(db, code: str) -> list[str]:
    """Every name of the unit and of every unit below it (cycles cannot loop: each code once)."""
    seen, todo, names = set(), [code], []
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        names.extend(r[0] for r in db.execute("SELECT name FROM org_unit_names WHERE code = ? ORDER BY name",
                                               [current]))
        todo.extend(c["code"] for c in children(db, current))
    return names


def level_word(level: str) -> str:
    """全区 / 全市 / 全省 / 全国: how a summary of the level speaks of itself."""
    return LEVELS.get(level, ("", "全区"))[1]
