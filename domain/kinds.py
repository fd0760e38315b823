"""What a kind of work is: its fields, with types, units, choices and labels in Chinese and English.

Kinds themselves are data (a template's ``kinds``, see domain/template.py); this module only holds
their shape, and the fields every record carries whatever its kind (the record's own shape, code).

Field types:
  count     an integer measure, may be approximate (余/多/近/约/以上/左右)
  money     an amount in yuan (Decimal), may be approximate
  integer   a plain whole number;  text  free text;  choice  one of ``choices``;  date  an ISO date
  measures  named measures: a list of {name, value, unit, approx} ("总投资 4.72 亿元")
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Markers of an approximate figure as Chinese summaries write them: before the number (近 300、约 300)
# or after it (1000 余、20 多、100 以上、50 左右).
PREFIX_MARKERS = ("近", "约")
SUFFIX_MARKERS = ("余", "多", "以上", "左右")
APPROX_MARKERS = ("余", "多", "近", "约", "以上", "左右")
FIELD_TYPES = ("count", "money", "integer", "text", "choice", "date", "measures")
MEASURE_TYPES = ("count", "money")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # one of FIELD_TYPES
    zh: str
    en: str
    unit: str | None = None
    unit_en: str | None = None
    required: bool = False
    choices: dict[str, tuple[str, str]] | None = None
    minimum: int | None = 0
    maximum: int | None = None
    help_zh: str = ""
    help_en: str = ""

    @property
    def is_measure(self) -> bool:
        return self.type in MEASURE_TYPES

    def __hash__(self) -> int:  # choices is a dict: hash by what names the field
        return hash((self.name, self.type, self.zh))


@dataclass(frozen=True)
class Kind:
    key: str
    event: str  # the event class that records it; "KindLogged" for a kind an office added
    zh: str
    en: str
    theme: str  # the key of the section it feeds (a record may be filed under another)
    fields: tuple[Field, ...] = ()
    aggregate: str = "action"  # action | chamber | enterprise
    narrative_zh: str = ""  # how the summary names work of this kind ("招聘会")
    counter: str = "项"  # its measure word when counted in a sentence ("场", "次", "家")
    extra: dict = field(default_factory=dict, compare=False)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    @property
    def builtin(self) -> bool:
        return self.event != GENERIC_EVENT

    def __hash__(self) -> int:
        return hash((self.key, self.event, self.fields))


GENERIC_EVENT = "KindLogged"  # the one event class of every kind an office declares in its template


def _text(name, zh, en, **kw) -> Field:
    return Field(name, "text", zh, en, minimum=None, **kw)


# Fields every kind carries (besides its own); the actor is set by the service, never by the caller.
COMMON_FIELDS: tuple[Field, ...] = (
    _text("organisation", "单位", "organisation", required=True),
    Field("occurred_on", "date", "日期", "date", required=True, minimum=None),
    Field("ends_on", "date", "结束日期", "end date", minimum=None, help_zh="跨天活动填写", help_en="for multi-day work"),
    _text("title", "标题", "title", required=True),
    _text("notes", "备注", "notes"),
    Field("theme", "choice", "所属板块", "theme", minimum=None, help_zh="默认按类型归入",
          help_en="defaults to the kind's theme"),
)
COMMON_NAMES = tuple(f.name for f in COMMON_FIELDS) + ("firms",)
