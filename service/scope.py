"""Unit scope: which organisations' records a user may write and read.

A user belongs to an organisation unit (or to none: an installation for one office, or the operator
of the whole ledger, who sees everything). Staff log and correct in their own unit only; auditors
and admins read their unit and every unit below it (a city auditor sees its districts, a district's
staff never its sibling's). A unit's records are those logged under any name it has had.

The rule lives here, below the web layer, and the ledger's use cases take a scope
(``Ledger.log/correct/retract/get/history(scope=…)``), so the form, the JSON API and a sheet import
refuse the same things with the same words (``domain.errors.OutOfScope``, HTTP 403).

``services.reports`` (the read model's organisation tree) is used through ``unit_scope`` only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import OutOfScope


@dataclass(frozen=True)
class Scope:
    """``unit``: the unit's code, None for the whole ledger; ``own``: the names its records carry;
    ``below``: those and the names of every unit under it; ``name``: the unit's name now."""

    unit: str | None = None
    name: str = ""
    role: str = "admin"
    own: frozenset[str] = frozenset()
    below: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        return self.unit is None

    @property
    def readable(self) -> list[str] | None:
        """The organisations this user may read (None: every one)."""
        if self.everything:
            return None
        return sorted(self.own if self.role == "staff" else self.below)

    def may_write(self, organisation: str) -> bool:
        return self.everything or organisation in self.own

    def may_read(self, organisation: str) -> bool:
        if self.everything:
            return True
        return organisation in (self.own if self.role == "staff" else self.below)

    def check_write(self, organisation: str) -> None:
        if not self.may_write(organisation):
            raise OutOfScope(organisation, self.name, writing=True)

    def check_read(self, organisation: str) -> None:
        if not self.may_read(organisation):
            raise OutOfScope(organisation, self.name, writing=False)

    def default_organisation(self, fallback: str | None) -> str | None:
        """The organisation a form or a summary starts with: the user's unit, else ``fallback``."""
        return fallback if self.everything else self.name


EVERYTHING = Scope()


def scope_for(services: Any, user: Any) -> Scope:
    """The scope of an account (``service.accounts.User``): its unit as the organisation tree has it now.
    An account whose unit left the tree keeps a scope that covers nothing (refused, never widened)."""
    code = getattr(user, "unit", None)
    if not code:
        return EVERYTHING
    found = services.reports.unit_scope(code)
    if found is None:
        return Scope(unit=code, name=code, role=user.role)
    name, own, below = found
    return Scope(unit=code, name=name, role=user.role, own=frozenset(own), below=frozenset(below))


def check_unit(services: Any, code: str | None) -> str | None:
    """A unit code an account may be given: one the organisation tree has (None: the whole ledger).
    Raises ``service.accounts.AccountError`` naming the code otherwise."""
    from service.accounts import AccountError

    code = (code or "").strip() or None
    if code is not None and services.reports.unit_scope(code) is None:
        raise AccountError(f"没有代码为 {code} 的单位 / no organisation unit with code {code}")
    return code
