"""The built-in kinds of work, as the built-in template (domain/templates/default.yaml) declares them.

Kinds are data: this module only reads the built-in template once and offers its kinds by key and
by event class, for the code that needs the built-in ones (the event classes of domain/actions.py,
stored events, the OpenAPI spec). An office's own kinds come from its template (domain/template.py),
resolved by the ledger for the organisation and year of a record.
"""
from __future__ import annotations

from domain.kinds import (
    APPROX_MARKERS,
    COMMON_FIELDS,
    COMMON_NAMES,
    GENERIC_EVENT,
    Field,
    Kind,
)
from domain.template import default_template

__all__ = ["APPROX_MARKERS", "COMMON_FIELDS", "COMMON_NAMES", "GENERIC_EVENT", "Field", "Kind", "KINDS",
           "KINDS_BY_KEY", "KINDS_BY_EVENT", "THEMES", "WORK_THEMES", "kind"]

_DEFAULT = default_template()
KINDS: tuple[Kind, ...] = _DEFAULT.kinds
KINDS_BY_KEY: dict[str, Kind] = {k.key: k for k in KINDS}
KINDS_BY_EVENT: dict[str, Kind] = {k.event: k for k in KINDS}
THEMES: dict[str, tuple[str, str]] = _DEFAULT.themes
WORK_THEMES: tuple[str, ...] = tuple(s.key for s in _DEFAULT.work_sections)


def kind(key: str) -> Kind:
    return KINDS_BY_KEY[key]
