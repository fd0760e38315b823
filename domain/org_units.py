"""Organisation units (组织单元): the tree of federations — 区县 under 市, 市 under 省, 省 under 全国.

One aggregate per unit (its id a uuid5 of its code). A unit is added with its name, level, code and
parent; later it moves (a new parent), is renamed, or is merged into another unit of its level (its
names, records and units below then belong to that unit), each with who and why, so the tree as it
stood at any moment is in the log. Records belong to a unit by the unit's name (the ``organisation`` every
record already carries): existing ledgers are attached by adding units with their names, nothing
rewritten.
"""
from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actions import check_reason
from domain.errors import InvalidChange

LEVELS = {"district": ("区县", "全区"), "city": ("市", "全市"), "province": ("省", "全省"),
          "national": ("全国", "全国")}
LEVEL_ORDER = ("district", "city", "province", "national")
NAMESPACE = uuid5(NAMESPACE_URL, "https://taizhang.invalid/org-units")


def unit_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"unit:{code}")


def level_key(text: str) -> str:
    """A level given as its key (city) or its Chinese name (市)."""
    for key, (zh, _) in LEVELS.items():
        if text in (key, zh):
            return key
    raise InvalidChange(f"级别应为 区县、市、省 或 全国 / the level must be one of {', '.join(LEVELS)}: {text!r}")


class OrgUnit(Aggregate):
    TOPIC = "taizhang:OrgUnit"

    class Event(Aggregate.Event):
        TOPIC = "taizhang:OrgUnit.Event"

    class Added(Event, Aggregate.Created):
        TOPIC = "taizhang:OrgUnit.Added"
        code: str
        name: str
        level: str
        parent: str | None
        actor: str

    def __init__(self, code: str, name: str, level: str, parent: str | None, actor: str):
        self.code, self.name, self.level, self.parent = code, name, level, parent
        self.merged_into: str | None = None

    def _check_live(self) -> None:
        if getattr(self, "merged_into", None):
            raise InvalidChange(f"单位 {self.name} 已并入 {self.merged_into} / the unit {self.name} was merged into "
                                f"{self.merged_into}")

    def merge(self, into: "OrgUnit", actor: str, reason: str) -> None:
        """Merge this unit into ``into`` (of the same level): its names, records and units below go with it."""
        self._check_live()
        into._check_live()
        if into.code == self.code:
            raise InvalidChange("单位不能并入自己 / a unit cannot merge into itself")
        if into.level != self.level:
            raise InvalidChange(f"只能并入同级单位（{LEVELS[self.level][0]}） / a unit merges into a unit of its "
                                f"own level ({self.level})")
        self.trigger_event(self.Merged, code=self.code, into=into.code, actor=actor, reason=check_reason(reason))

    class Merged(Event):
        TOPIC = "taizhang:OrgUnit.Merged"
        code: str
        into: str
        actor: str
        reason: str

        def apply(self, aggregate: "OrgUnit") -> None:
            aggregate.merged_into = self.into

    @classmethod
    def add(cls, code: str, name: str, level: str, parent: str | None, actor: str) -> "OrgUnit":
        code, name = (code or "").strip(), (name or "").strip()
        if not code or not name:
            raise InvalidChange("单位须有名称和代码 / a unit needs a name and a code")
        return cls._create(cls.Added, id=unit_id(code), code=code, name=name, level=level_key(level),
                           parent=(parent or None), actor=actor)

    def move(self, parent: str | None, actor: str, reason: str) -> None:
        self._check_live()
        if parent == self.parent:
            raise InvalidChange("上级单位没有变化 / the parent is unchanged")
        if parent == self.code:
            raise InvalidChange("单位不能是自己的上级 / a unit cannot be its own parent")
        self.trigger_event(self.Moved, code=self.code, parent=parent, actor=actor, reason=check_reason(reason))

    class Moved(Event):
        TOPIC = "taizhang:OrgUnit.Moved"
        code: str
        parent: str | None
        actor: str
        reason: str

        def apply(self, aggregate: "OrgUnit") -> None:
            aggregate.parent = self.parent

    def attach_name(self, name: str, actor: str, reason: str) -> None:
        """Records logged under another name (a free-text organisation of an older ledger, spelt with
        its city's name or shortened) belong to this unit from now on; nothing is rewritten."""
        self._check_live()
        name = (name or "").strip()
        if not name or name == self.name:
            raise InvalidChange("名称为空或就是本单位名称 / the name is empty or the unit's own")
        self.trigger_event(self.NameAttached, code=self.code, name=name, actor=actor, reason=check_reason(reason))

    class NameAttached(Event):
        TOPIC = "taizhang:OrgUnit.NameAttached"
        code: str
        name: str
        actor: str
        reason: str

    def rename(self, name: str, actor: str, reason: str) -> None:
        self._check_live()
        name = (name or "").strip()
        if not name or name == self.name:
            raise InvalidChange("新名称为空或没有变化 / the new name is empty or unchanged")
        self.trigger_event(self.Renamed, code=self.code, name=name, actor=actor, reason=check_reason(reason))

    class Renamed(Event):
        TOPIC = "taizhang:OrgUnit.Renamed"
        code: str
        name: str
        actor: str
        reason: str

        def apply(self, aggregate: "OrgUnit") -> None:
            aggregate.name = self.name
