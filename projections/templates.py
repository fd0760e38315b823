"""Templates as the read model holds them: every revision with its position, and each organisation's
choice per year; the template a summary uses is the one chosen for its year as it stood then.

The view tables are filled by the fold in projections/views.py (events of domain/template_log.py);
an as-of view (rebuilt to a position) holds only the revisions made before it, so a summary as of a
moment before a revision uses the template as it was.
"""
from __future__ import annotations

import json
import threading

from domain.template import DEFAULT_NAME, Template, default_template, parse

TEMPLATE_COLUMNS = {"name": str, "version": int, "position": int, "digest": str, "body": str, "actor": str,
                    "reason": str, "recorded_at": str}
CHOICE_COLUMNS = {"organisation": str, "year": int, "template": str, "position": int, "actor": str, "reason": str}

_parsed: dict[str, Template] = {}
_lock = threading.Lock()


def create_tables(db) -> None:
    if "templates" not in db.table_names():
        db["templates"].create(TEMPLATE_COLUMNS, pk=("name", "version"))
    if "template_choices" not in db.table_names():
        db["template_choices"].create(CHOICE_COLUMNS, pk=("organisation", "year"))


def _parse(digest: str, body: str) -> Template:
    """A stored revision as a template (parsed once per revision: revisions never change)."""
    with _lock:
        found = _parsed.get(digest)
    if found is None:
        found = parse(json.loads(body))
        with _lock:
            _parsed[digest] = found
    return found


def template_named(db, name: str) -> Template | None:
    """The latest revision of a template in the view (the built-in one unless an office revised it)."""
    row = db.execute("SELECT digest, body FROM templates WHERE name = ? ORDER BY version DESC LIMIT 1",
                     [name]).fetchone()
    if row:
        return _parse(row[0], row[1])
    return default_template() if name == DEFAULT_NAME else None


def chosen_name(db, organisation: str, year: int) -> str:
    row = db.execute("SELECT template FROM template_choices WHERE organisation = ? AND year = ?",
                     [organisation, year]).fetchone()
    return row[0] if row else DEFAULT_NAME


def template_for(db, organisation: str, year: int) -> Template:
    """The template ``organisation`` uses for ``year`` (the built-in one until it chose another)."""
    return template_named(db, chosen_name(db, organisation, year)) or default_template()


def templates(db) -> list[dict]:
    """Every template with its latest revision's number, author and reason, and who uses it for which year."""
    out = {}
    for name, version, position, actor, reason, recorded_at in db.execute(
            "SELECT name, version, position, actor, reason, recorded_at FROM templates ORDER BY name, version"):
        out[name] = {"name": name, "version": version, "position": position, "actor": actor, "reason": reason,
                     "recorded_at": recorded_at, "used_by": []}
    out.setdefault(DEFAULT_NAME, {"name": DEFAULT_NAME, "version": 0, "position": None, "actor": None,
                                  "reason": "内置模板 / built in", "recorded_at": None, "used_by": []})
    for organisation, year, template in db.execute(
            "SELECT organisation, year, template FROM template_choices ORDER BY organisation, year"):
        if template in out:
            out[template]["used_by"].append({"organisation": organisation, "year": year})
    return [out[k] for k in sorted(out, key=lambda k: (k != DEFAULT_NAME, k))]


def revisions(db, name: str) -> list[dict]:
    return [dict(zip(("version", "position", "digest", "actor", "reason", "recorded_at"), row)) for row in db.execute(
        "SELECT version, position, digest, actor, reason, recorded_at FROM templates WHERE name = ? ORDER BY version",
        [name])]
