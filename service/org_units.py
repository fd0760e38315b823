"""Organisation-unit use cases: add a unit, move it under another, rename it, merge it into another.
The CLI (``taizhang org …``), the admin pages and the JSON API call these; the rules (a parent exists,
no unit under itself or its own descendants, a level above its children, a merge within a level, an
admin of a unit changes the tree within it only) hold here for every entry point."""
from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.errors import InvalidChange
from domain.org_units import LEVEL_ORDER, OrgUnit, level_key, unit_id
from service.scope import EVERYTHING, Scope


def _unit(ledger: Any, code: str) -> OrgUnit:
    try:
        found = ledger.repository.get(unit_id(code))
    except AggregateNotFoundError:
        raise InvalidChange(f"没有代码为 {code} 的单位 / no unit with code {code}") from None
    if not isinstance(found, OrgUnit):
        raise InvalidChange(f"没有代码为 {code} 的单位 / no unit with code {code}")
    return found


def _check_parent(ledger: Any, level: str, parent: str | None, code: str) -> None:
    if not parent:
        return
    above = _unit(ledger, parent)
    if getattr(above, "merged_into", None):
        raise InvalidChange(f"上级单位 {above.name} 已并入 {above.merged_into} / the parent {above.name} was merged "
                            f"into {above.merged_into}")
    if LEVEL_ORDER.index(above.level) <= LEVEL_ORDER.index(level):
        raise InvalidChange(f"上级单位 {above.name} 的级别应高于下级 / the parent {above.name} must be of a higher "
                            "level than the unit")
    seen, current = set(), above
    while current.parent and current.parent not in seen:  # no unit under its own descendants
        if current.parent == code:
            raise InvalidChange("不能把单位移到自己的下级之下 / a unit cannot move under its own descendant")
        seen.add(current.code)
        current = _unit(ledger, current.parent)


def _check_scope(ledger: Any, scope: Scope, *codes: str | None) -> None:
    """An admin of a unit changes the tree within it only (a root or a unit outside it: OutOfScope)."""
    if scope.everything:
        return
    for code in codes:
        name = _unit(ledger, code).name if code else "全国"
        scope.check_read(name)


def add_unit(ledger: Any, name: str, level: str, code: str, parent: str | None, actor: str,
             scope: Scope = EVERYTHING) -> dict:
    level = level_key(level)
    _check_scope(ledger, scope, parent)
    _check_parent(ledger, level, parent, code)
    unit = OrgUnit.add(code, name, level, parent, actor)
    try:
        ledger.save(unit)
    except IntegrityError:
        raise InvalidChange(f"代码 {code} 已有单位 / code {code} is taken") from None
    return {"code": unit.code, "name": unit.name, "level": unit.level, "parent": unit.parent}


def move_unit(ledger: Any, code: str, parent: str | None, actor: str, reason: str,
              scope: Scope = EVERYTHING) -> dict:
    unit = _unit(ledger, code)
    _check_scope(ledger, scope, code, parent)
    _check_parent(ledger, unit.level, parent, code)
    unit.move(parent or None, actor, reason)
    ledger.save(unit)
    return {"code": unit.code, "name": unit.name, "level": unit.level, "parent": unit.parent}


def merge_unit(ledger: Any, code: str, into: str, actor: str, reason: str, scope: Scope = EVERYTHING) -> dict:
    """Merge unit ``code`` into ``into`` (same level): the records logged under its names, and the units
    below it, then belong to ``into``; nothing is rewritten, and its history stays in the log."""
    unit, target = _unit(ledger, code), _unit(ledger, into)
    _check_scope(ledger, scope, code, into)
    unit.merge(target, actor, reason)
    ledger.save(unit)
    return {"code": unit.code, "name": unit.name, "level": unit.level, "parent": unit.parent,
            "merged_into": target.code}


def attach_name(ledger: Any, code: str, name: str, actor: str, reason: str, scope: Scope = EVERYTHING) -> dict:
    """Records logged under ``name`` (an organisation typed differently) belong to unit ``code``."""
    unit = _unit(ledger, code)
    _check_scope(ledger, scope, code)
    unit.attach_name(name, actor, reason)
    ledger.save(unit)
    return {"code": unit.code, "name": unit.name, "level": unit.level, "parent": unit.parent, "attached": name}


def rename_unit(ledger: Any, code: str, name: str, actor: str, reason: str, scope: Scope = EVERYTHING) -> dict:
    unit = _unit(ledger, code)
    _check_scope(ledger, scope, code)
    unit.rename(name, actor, reason)
    ledger.save(unit)
    return {"code": unit.code, "name": unit.name, "level": unit.level, "parent": unit.parent}
