"""A summary template (总结模板): an office's kinds of work, sections and figures, with their wording.

Data, not code. The built-in template is ``domain/templates/default.yaml``; an office exports it,
edits it and imports it as its own (``taizhang template import``), and the ledger keeps every
revision in the event log (domain/template_log.py). This module reads a template from its YAML or
JSON form, checks it — naming every bad entry — and writes it back; it computes nothing.

The schema (documented in docs/templates.md)::

    format: taizhang-template/1
    name, title, title_en, level (全区 / 全市 / 全省)
    document: {title, intro, work, problems, plans}      # wording of the document's frame
    sections: [{key, title, title_en, role: work|problems|plans}]
    kinds: [{key, event?, zh, en, section, aggregate?, narrative, counter, fields: [...]}]
    figures: [{key, section, kinds, agg, label, label_en, unit, text, measure?, where?, ...}]

Figures (``agg``):
  count            live records of the year (of any of ``kinds``, matching ``where``)
  count_with       … that carry ``measure``
  sum              sum of ``measure`` (``default`` when a record lacks it); with ``measure_name``, the
                   named measures of that name ("总投资"), converted to the figure's unit (元/万元/亿元)
  distinct_firms   distinct firms (统一社会信用代码, else name)
  distinct_values  distinct values of ``field``
  stock_sum        at year end: per chamber the latest ``measure``, summed
  stock_count      at year end: subjects with a matching record on or before that day
  each             one figure per record, for each of ``measures``
  change           ``of`` this year minus ``of`` the year before (``mode: pct`` for the change in %)
  share            ``of`` as a percentage of ``over``
Wording: ``{v}`` is the value written the Chinese way with its unit, ``{level}`` the template's level
(全县), ``{titles}`` up to three titles of the records behind a one-kind figure (“A”、“B”等).
``year_offset: -1`` computes a figure for the year before. ``incomplete: true`` writes
"据不完全统计，" before its sentence.
"""
from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from domain.kinds import (
    COMMON_NAMES,
    FIELD_TYPES,
    GENERIC_EVENT,
    MEASURE_TYPES,
    Field,
    Kind,
)

FORMAT = "taizhang-template/1"
DEFAULT_NAME = "default"
DEFAULT_FILE = Path(__file__).with_name("templates") / "default.yaml"
AGGS = ("count", "count_with", "sum", "distinct_firms", "distinct_values", "stock_sum", "stock_count", "each",
        "change", "share")
ROLES = ("work", "problems", "plans")
AGGREGATES = ("action", "chamber", "enterprise")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIGURE_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
NAME = re.compile(r"^[\w\-\u4e00-\u9fff（）()·]{1,60}$")
PLACEHOLDERS = {"figure": {"v", "level", "titles"}, "each": {"v", "firm", "title", "level"},
                "title": {"organisation", "year", "level"}, "intro": {"organisation", "year", "count", "level"},
                "work": {"year", "level"}, "problems": {"year", "level"}, "plans": {"year", "next_year", "level"}}
MONEY_UNITS = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
DOCUMENT_DEFAULTS = {"title": "{organisation} {year} 年工作总结",
                     "intro": "{year} 年，{organisation}在台账中记录各项工作 {count} 项。现总结如下。",
                     "work": "主要工作", "problems": "存在问题", "plans": "{next_year} 年工作思路"}


class TemplateInvalid(ValueError):
    """A template that cannot be used; ``errors`` names every bad entry ("kinds[2] (visit).section: …")."""

    def __init__(self, errors: list[str]):
        super().__init__("模板有误 / the template is not valid:\n" + "\n".join(f"  {e}" for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    title_en: str = ""
    role: str = "work"


@dataclass(frozen=True)
class Figure:
    key: str
    theme: str  # its section
    kinds: tuple[str, ...]
    agg: str
    label_zh: str
    label_en: str
    unit: str
    text: str  # Chinese wording; {v} is the value written the Chinese way, with its unit
    measure: str | None = None
    where: dict = field(default_factory=dict, compare=False, hash=False)
    default: int | None = None
    year_offset: int = 0
    measures: tuple[str, ...] = ()
    field: str | None = None  # distinct_values
    measure_name: str | None = None  # sum of named measures
    of: str | None = None  # change, share
    over: str | None = None  # share
    mode: str = "abs"  # change: abs | pct
    incomplete: bool = False  # "据不完全统计"


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    kinds: tuple[Kind, ...]
    sections: tuple[Section, ...]
    figures: tuple[Figure, ...]
    title_en: str = ""
    level: str = "全区"
    document: dict = field(default_factory=dict, compare=False, hash=False)
    source: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    # --- lookups ---
    @cached_property
    def kinds_by_key(self) -> dict[str, Kind]:
        return {k.key: k for k in self.kinds}

    def kind(self, key: str) -> Kind:
        for k in self.kinds:
            if k.key == key:
                return k
        raise KeyError(key)

    @cached_property
    def figures_by_key(self) -> dict[str, Figure]:
        return {f.key: f for f in self.figures}

    @cached_property
    def themes(self) -> dict[str, tuple[str, str]]:
        """Every section as {key: (title, English title)}, in order."""
        return {s.key: (s.title, s.title_en or s.title) for s in self.sections}

    @cached_property
    def work_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.role == "work")

    def role_kinds(self, role: str) -> tuple[str, ...]:
        keys = {s.key for s in self.sections if s.role == role}
        return tuple(k.key for k in self.kinds if k.theme in keys)

    def wording(self, part: str, **values: Any) -> str:
        text = self.document.get(part) or DOCUMENT_DEFAULTS[part]
        return text.format(level=self.level, **values)

    @cached_property
    def digest(self) -> str:
        return digest_of(self.source)

    def as_data(self) -> dict:
        return dict(self.source)

    def __hash__(self) -> int:  # a template is its data: hash by its digest (cheap, and stable)
        return hash(self.digest)


def digest_of(data: dict) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- reading ------------------------------------------------------------------------------------


def load_text(text: str) -> dict:
    """A template file's data: JSON when it is JSON, else YAML (which JSON is a subset of)."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise TemplateInvalid([f"文件无法读取 / the file cannot be read: {e}"]) from None
    if not isinstance(data, dict):
        raise TemplateInvalid(["文件应为一个模板对象 / the file must hold one template (a mapping)"])
    return data


def dump_text(template_or_data: Template | dict, fmt: str = "yaml") -> str:
    data = template_or_data.as_data() if isinstance(template_or_data, Template) else template_or_data
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def bad(self, where: str, zh: str, en: str) -> None:
        self.errors.append(f"{where}: {zh} / {en}")

    def text(self, data: dict, name: str, where: str, required: bool = True, default: str = "") -> str:
        value = data.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, str) or (required and not value.strip()):
            self.bad(f"{where}.{name}", "应为非空文字" if required else "应为文字",
                     "must be non-empty text" if required else "must be text")
            return default
        return value.strip()

    def placeholders(self, text: str, allowed: set[str], where: str) -> None:
        try:
            names = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
        except ValueError as e:
            self.bad(where, f"措辞中的花括号有误（{e}）", f"the braces in the wording are wrong ({e})")
            return
        unknown = sorted(names - allowed)
        if unknown:
            self.bad(where, f"措辞中有未知占位符 {{{'}、{'.join(unknown)}}}",
                     f"unknown placeholder(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _label(item: Any, name: str = "key") -> str:
    return f" ({item.get(name)})" if isinstance(item, dict) and isinstance(item.get(name), str) else ""


def parse(data: dict, builtin_events: dict[str, Kind] | None = None, *, defines_builtins: bool = False) -> Template:
    """Check a template's data and build it; every bad entry is named in one TemplateInvalid.

    ``builtin_events`` maps the built-in kinds' event names to their built-in definitions: a kind
    naming one keeps its event class (stored events still load) and may not change its fields' types.
    Only the built-in template itself ``defines_builtins`` (its events are the built-in ones).
    """
    builtin_events = {} if defines_builtins else (
        builtin_events if builtin_events is not None else builtin_kinds_by_event())
    builtin_by_key = {k.key: k for k in builtin_events.values()}
    c = _Checker()
    if not isinstance(data, dict):
        raise TemplateInvalid(["模板应为一个对象 / a template is a mapping"])
    unknown = sorted(set(data) - {"format", "name", "title", "title_en", "level", "document", "sections", "kinds",
                                  "figures"})
    for name in unknown:
        c.bad(name, "未知条目", "unknown entry")
    if data.get("format", FORMAT) != FORMAT:
        c.bad("format", f"应为 {FORMAT}", f"must be {FORMAT}")
    name = c.text(data, "name", "template")
    if name and not NAME.match(name):
        c.bad("name", "名称只能含汉字、字母、数字、-、_，最长 60 字", "letters, digits, - and _ only, up to 60")
    title = c.text(data, "title", "template", default=name)
    document = data.get("document") or {}
    if not isinstance(document, dict):
        c.bad("document", "应为对象", "must be a mapping")
        document = {}
    for part, text in document.items():
        if part not in DOCUMENT_DEFAULTS:
            c.bad(f"document.{part}", "未知条目", f"unknown entry; known: {', '.join(DOCUMENT_DEFAULTS)}")
        elif not isinstance(text, str) or not text.strip():
            c.bad(f"document.{part}", "应为非空文字", "must be non-empty text")
        else:
            c.placeholders(text, PLACEHOLDERS[part], f"document.{part}")

    sections = _sections(c, data.get("sections"))
    section_keys = {s.key for s in sections}
    kinds = _kinds(c, data.get("kinds"), section_keys, builtin_events, builtin_by_key, defines_builtins)
    figures = _figures(c, data.get("figures"), section_keys, {k.key: k for k in kinds})
    if c.errors:
        raise TemplateInvalid(c.errors)
    source = {k: data[k] for k in ("format", "name", "title", "title_en", "level", "document", "sections", "kinds",
                                   "figures") if k in data}
    source.setdefault("format", FORMAT)
    return Template(name=name, title=title, title_en=str(data.get("title_en") or ""),
                    level=str(data.get("level") or "全区"), document=dict(document), kinds=tuple(kinds),
                    sections=tuple(sections), figures=tuple(figures), source=source)


def _list(c: _Checker, value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        c.bad(where, "应为非空列表", "must be a non-empty list")
        return []
    return value


def _sections(c: _Checker, value: Any) -> list[Section]:
    out, seen = [], set()
    for i, s in enumerate(_list(c, value, "sections")):
        where = f"sections[{i}]{_label(s)}"
        if not isinstance(s, dict):
            c.bad(where, "应为对象", "must be a mapping")
            continue
        key = c.text(s, "key", where)
        if key and not KEY.match(key):
            c.bad(f"{where}.key", "键只能含小写字母、数字和 _", "lower-case letters, digits and _ only")
        if key in seen:
            c.bad(f"{where}.key", "重复", "duplicate")
        seen.add(key)
        role = s.get("role", "work")
        if role not in ROLES:
            c.bad(f"{where}.role", f"应为 {'、'.join(ROLES)} 之一", f"must be one of {', '.join(ROLES)}")
        out.append(Section(key, c.text(s, "title", where), str(s.get("title_en") or ""), role))
    if value and not any(s.role == "work" for s in out):
        c.bad("sections", "至少要有一个工作板块", "at least one section has role work")
    return out


def _choices(c: _Checker, value: Any, where: str) -> dict[str, tuple[str, str]] | None:
    if value is None:
        return None
    out: dict[str, tuple[str, str]] = {}
    for j, ch in enumerate(_list(c, value, where)):
        w = f"{where}[{j}]{_label(ch)}"
        if isinstance(ch, str):
            ch = {"key": ch, "zh": ch}
        if not isinstance(ch, dict):
            c.bad(w, "应为对象或文字", "must be a mapping or text")
            continue
        key = c.text(ch, "key", w)
        if key in out:
            c.bad(f"{w}.key", "重复", "duplicate")
        zh = c.text(ch, "zh", w)
        out[key] = (zh, str(ch.get("en") or zh))
    return out


def _field(c: _Checker, f: Any, where: str) -> Field | None:
    if not isinstance(f, dict):
        c.bad(where, "应为对象", "must be a mapping")
        return None
    name = c.text(f, "name", where)
    if name and not KEY.match(name):
        c.bad(f"{where}.name", "字段名只能含小写字母、数字和 _", "lower-case letters, digits and _ only")
    if name in COMMON_NAMES or name in ("kind", "key"):
        c.bad(f"{where}.name", "与通用字段重名", "is the name of a field every record has")
    ftype = f.get("type")
    if ftype not in FIELD_TYPES:
        c.bad(f"{where}.type", f"应为 {'、'.join(FIELD_TYPES)} 之一", f"must be one of {', '.join(FIELD_TYPES)}")
        ftype = "text"
    choices = _choices(c, f.get("choices"), f"{where}.choices")
    if ftype == "choice" and choices is None and name not in ("target_kind", "section"):
        c.bad(f"{where}.choices", "选择字段须列出选项", "a choice field lists its choices")
    minimum = f.get("minimum", 0 if ftype in ("count", "money") else None)
    maximum = f.get("maximum")
    for bound, value in (("minimum", minimum), ("maximum", maximum)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            c.bad(f"{where}.{bound}", "应为整数", "must be a whole number")
    unit = f.get("unit")
    if ftype == "money":
        unit = "元"
    return Field(name, ftype, c.text(f, "zh", where), str(f.get("en") or name), unit=unit,
                 unit_en=f.get("unit_en") or ("yuan" if ftype == "money" else None), required=bool(f.get("required")),
                 choices=choices, minimum=minimum if isinstance(minimum, int) else None,
                 maximum=maximum if isinstance(maximum, int) else None, help_zh=str(f.get("help") or ""),
                 help_en=str(f.get("help_en") or ""))


def _kinds(c: _Checker, value: Any, section_keys: set[str], builtin_events: dict[str, Kind],
           builtin_by_key: dict[str, Kind], defines_builtins: bool = False) -> list[Kind]:
    out, seen = [], set()
    for i, k in enumerate(_list(c, value, "kinds")):
        where = f"kinds[{i}]{_label(k)}"
        if not isinstance(k, dict):
            c.bad(where, "应为对象", "must be a mapping")
            continue
        key = c.text(k, "key", where)
        if key and not KEY.match(key):
            c.bad(f"{where}.key", "键只能含小写字母、数字和 _（如 investment）", "lower-case letters, digits and _ only")
        if key in seen:
            c.bad(f"{where}.key", "重复", "duplicate")
        seen.add(key)
        builtin = builtin_by_key.get(key)
        event = k.get("event") or (builtin.event if builtin else GENERIC_EVENT)
        if defines_builtins:
            pass
        elif event != GENERIC_EVENT and event not in builtin_events:
            c.bad(f"{where}.event", f"{event} 不是内置事件；本单位新增的类型不写 event",
                  f"{event} is no built-in event; leave event out for a kind of your own")
        elif event != GENERIC_EVENT and builtin_events[event].key != key:
            c.bad(f"{where}.event", f"{event} 属于内置类型 {builtin_events[event].key}",
                  f"{event} records the built-in kind {builtin_events[event].key}")
        elif builtin and event == GENERIC_EVENT:
            c.bad(f"{where}.key", f"{key} 是内置类型，应写 event: {builtin.event}",
                  f"{key} is a built-in kind: give event {builtin.event}")
        section = c.text(k, "section", where)
        if section and section not in section_keys:
            c.bad(f"{where}.section", f"没有板块 {section}", f"no section {section}")
        aggregate = k.get("aggregate", builtin.aggregate if builtin else "action")
        if aggregate not in AGGREGATES:
            c.bad(f"{where}.aggregate", f"应为 {'、'.join(AGGREGATES)} 之一", f"must be one of {', '.join(AGGREGATES)}")
        if event == GENERIC_EVENT and aggregate != "action":
            c.bad(f"{where}.aggregate", "本单位新增的类型只能是 action", "a kind of your own is an action")
        flds, names = [], set()
        raw_fields = k.get("fields") or []
        if not isinstance(raw_fields, list):
            c.bad(f"{where}.fields", "应为列表", "must be a list")
            raw_fields = []
        for j, f in enumerate(raw_fields):
            fld = _field(c, f, f"{where}.fields[{j}]{_label(f, 'name')}")
            if fld is None:
                continue
            if fld.name in names:
                c.bad(f"{where}.fields[{j}]", f"字段 {fld.name} 重复", f"field {fld.name} twice")
            names.add(fld.name)
            flds.append(fld)
        if builtin and event == builtin.event:
            for old in builtin.fields:
                new = next((f for f in flds if f.name == old.name), None)
                if new is None:
                    c.bad(f"{where}.fields", f"内置字段 {old.name} 不能删除（已记录的事件要用）",
                          f"built-in field {old.name} cannot be removed (stored events use it)")
                elif new.type != old.type:
                    c.bad(f"{where}.fields ({old.name})", f"内置字段类型应为 {old.type}",
                          f"a built-in field keeps its type {old.type}")
        out.append(Kind(key, event, c.text(k, "zh", where), str(k.get("en") or key), section, tuple(flds),
                        aggregate if aggregate in AGGREGATES else "action",
                        str(k.get("narrative") or k.get("zh") or key), str(k.get("counter") or "项")))
    return out


def _figures(c: _Checker, value: Any, section_keys: set[str], kinds: dict[str, Kind]) -> list[Figure]:
    raw = value if isinstance(value, list) else []
    if value is not None and not isinstance(value, list):
        c.bad("figures", "应为列表", "must be a list")
    keys = [f.get("key") for f in raw if isinstance(f, dict)]
    out, seen = [], set()
    for i, f in enumerate(raw):
        where = f"figures[{i}]{_label(f)}"
        if not isinstance(f, dict):
            c.bad(where, "应为对象", "must be a mapping")
            continue
        fig = check_figure(f, section_keys, kinds, keys, where, c)
        if fig is None:
            continue
        if fig.key in seen:
            c.bad(f"{where}.key", "重复", "duplicate")
        seen.add(fig.key)
        out.append(fig)
    return out


FIGURE_ENTRIES = {"key", "section", "kinds", "agg", "label", "label_en", "unit", "text", "measure", "where", "default",
                  "year_offset", "measures", "field", "measure_name", "of", "over", "mode", "incomplete"}


def check_figure(f: dict, section_keys: set[str], kinds: dict[str, Kind], figure_keys: list, where: str,
                 c: _Checker | None = None) -> Figure | None:
    """One figure's declaration checked against the template's sections, kinds and other figures."""
    own = c is None
    c = c or _Checker()
    for name in sorted(set(f) - FIGURE_ENTRIES):
        c.bad(f"{where}.{name}", "未知条目", "unknown entry")
    key = c.text(f, "key", where)
    if key and not FIGURE_KEY.match(key):
        c.bad(f"{where}.key", "键只能含小写字母、数字、_ 和 .", "lower-case letters, digits, _ and . only")
    agg = f.get("agg")
    if agg not in AGGS:
        c.bad(f"{where}.agg", f"应为 {'、'.join(AGGS)} 之一", f"must be one of {', '.join(AGGS)}")
    section = c.text(f, "section", where)
    if section and section not in section_keys:
        c.bad(f"{where}.section", f"没有板块 {section}", f"no section {section}")
    kind_keys = f.get("kinds") or []
    if isinstance(kind_keys, str):
        kind_keys = [kind_keys]
    if not isinstance(kind_keys, list):
        c.bad(f"{where}.kinds", "应为列表", "must be a list")
        kind_keys = []
    if agg not in ("change", "share") and not kind_keys:
        c.bad(f"{where}.kinds", "至少一个类型", "at least one kind")
    own_kinds = []
    for k in kind_keys:
        if k not in kinds:
            c.bad(f"{where}.kinds", f"类型 {k} 不在模板中", f"kind {k} is not in the template")
        else:
            own_kinds.append(kinds[k])

    def field_of_all(name: str, entry: str, numeric: bool = False, ftype: str | None = None) -> None:
        if name in COMMON_NAMES:
            if numeric or ftype:
                c.bad(f"{where}.{entry}", f"{name} 是通用字段，不是数值字段", f"{name} is a common field, not a number")
            return
        for kd in own_kinds:
            if not kd.has_field(name):
                c.bad(f"{where}.{entry}", f"类型 {kd.key} 没有字段 {name}", f"kind {kd.key} has no field {name}")
            elif numeric and kd.field(name).type not in MEASURE_TYPES:
                c.bad(f"{where}.{entry}", f"{kd.key}.{name} 不是数值字段（{kd.field(name).type}）",
                      f"{kd.key}.{name} is not numeric ({kd.field(name).type})")
            elif ftype and kd.field(name).type != ftype:
                c.bad(f"{where}.{entry}", f"{kd.key}.{name} 应为 {ftype} 字段", f"{kd.key}.{name} must be a {ftype} field")

    measure, measure_name = f.get("measure"), f.get("measure_name")
    if agg in ("count_with", "stock_sum") or (agg == "sum" and not measure_name):
        if not isinstance(measure, str) or not measure:
            c.bad(f"{where}.measure", f"{agg} 须指明 measure", f"{agg} needs a measure")
        else:
            field_of_all(measure, "measure", numeric=True)
    if measure_name is not None:
        if agg != "sum" or not isinstance(measure_name, str) or not measure_name.strip():
            c.bad(f"{where}.measure_name", "只用于 sum，应为计量名称", "only for sum: the name of a named measure")
        elif not all(any(x.type == "measures" for x in kd.fields) for kd in own_kinds):
            c.bad(f"{where}.measure_name", "所列类型须有 measures 字段", "its kinds must have a measures field")
    where_clause = f.get("where") or {}
    if not isinstance(where_clause, dict):
        c.bad(f"{where}.where", "应为对象（字段: 值）", "must be a mapping of field: value")
        where_clause = {}
    for name, wanted in where_clause.items():
        field_of_all(name, f"where.{name}")
        for kd in own_kinds:
            if kd.has_field(name) and kd.field(name).choices:
                values = wanted if isinstance(wanted, list) else [wanted]
                bad = [v for v in values if v not in kd.field(name).choices]
                if bad:
                    c.bad(f"{where}.where.{name}", f"{kd.key}.{name} 没有选项 {', '.join(map(str, bad))}",
                          f"{kd.key}.{name} has no choice {', '.join(map(str, bad))}")
    if agg == "distinct_values":
        if not isinstance(f.get("field"), str):
            c.bad(f"{where}.field", "distinct_values 须指明 field", "distinct_values needs a field")
        else:
            field_of_all(f["field"], "field")
    measures = f.get("measures") or []
    if agg == "each":
        if not isinstance(measures, list) or not measures:
            c.bad(f"{where}.measures", "each 须列出 measures", "each needs measures")
            measures = []
        for m in measures:
            field_of_all(m, "measures", numeric=True)
    for ref in ("of", "over"):
        needed = (agg in ("change", "share") and ref == "of") or (agg == "share" and ref == "over")
        target = f.get(ref)
        if needed and not target:
            c.bad(f"{where}.{ref}", f"{agg} 须指明 {ref}", f"{agg} needs {ref}")
        elif target and target not in figure_keys:
            c.bad(f"{where}.{ref}", f"没有指标 {target}", f"no figure {target}")
        elif target and target == key:
            c.bad(f"{where}.{ref}", "不能引用自己", "cannot refer to itself")
    mode = f.get("mode", "abs")
    if mode not in ("abs", "pct"):
        c.bad(f"{where}.mode", "应为 abs 或 pct", "must be abs or pct")
    year_offset = f.get("year_offset", 0)
    if year_offset not in (0, -1):
        c.bad(f"{where}.year_offset", "应为 0 或 -1", "must be 0 or -1")
    default = f.get("default")
    if default is not None and (not isinstance(default, int) or isinstance(default, bool)):
        c.bad(f"{where}.default", "应为整数", "must be a whole number")
    unit = f.get("unit", "")
    if not isinstance(unit, str):
        c.bad(f"{where}.unit", "应为文字", "must be text")
        unit = ""
    if agg == "share":
        unit = "%"
    text = c.text(f, "text", where)
    c.placeholders(text, PLACEHOLDERS["each" if agg == "each" else "figure"], f"{where}.text")
    label = c.text(f, "label", where)
    if own and c.errors:
        raise TemplateInvalid(c.errors)
    if c.errors and any(e.startswith(where) for e in c.errors):
        return None
    return Figure(key, section, tuple(kind_keys), agg, label, str(f.get("label_en") or label), unit, text,
                  measure=measure if isinstance(measure, str) else None, where=dict(where_clause), default=default,
                  year_offset=year_offset, measures=tuple(measures), field=f.get("field"),
                  measure_name=measure_name.strip() if isinstance(measure_name, str) else None, of=f.get("of"),
                  over=f.get("over"), mode=mode, incomplete=bool(f.get("incomplete")))


def check_revision(old: Template, new: Template) -> list[str]:
    """What a revision may not do to the kinds records were logged with: change a field's type."""
    problems = []
    for kind in new.kinds:
        if kind.key not in old.kinds_by_key:
            continue
        before = old.kinds_by_key[kind.key]
        for f in before.fields:
            if kind.has_field(f.name) and kind.field(f.name).type != f.type:
                problems.append(f"kinds ({kind.key}).fields ({f.name}): 字段类型不能由 {f.type} 改为 "
                                f"{kind.field(f.name).type} / a field keeps its type ({f.type}): add a new field instead")
    return problems


# --- the built-in template ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _default_data() -> dict:
    return load_text(DEFAULT_FILE.read_text(encoding="utf-8"))


def builtin_kinds_by_event() -> dict[str, Kind]:
    """The built-in kinds (those with an event class of their own), read from the built-in template."""
    return {k.event: k for k in default_template().kinds}


@lru_cache(maxsize=1)
def default_template() -> Template:
    return parse(_default_data(), defines_builtins=True)


def parse_text(text: str) -> Template:
    return parse(load_text(text))
