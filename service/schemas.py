"""marshmallow schemas for every kind, built from the domain's catalogue.

One schema per kind: the common fields, the firms involved and the kind's own fields. Unknown fields
are rejected; every message is given in Chinese and English ("中文 / English"). The JSON a schema
takes is the same for the CLI's import, the API and the forms; ``dump_action`` writes it back.
"""
from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from domain.kinds import (
    APPROX_MARKERS,
    COMMON_FIELDS,
    PREFIX_MARKERS,
    SUFFIX_MARKERS,
    Field,
    Kind,
)
from domain.template import Template, default_template
from domain.uscc import uscc_problem

MIN_DATE = date(1949, 10, 1)
MAX_DATE = date(2100, 12, 31)
MONEY_MAX = Decimal("1e13")  # ten thousand 亿元: far above any figure a district handles
COUNT_MAX = 10**9

REQUIRED = "必填 / required"
NULL = "不能为空 / may not be empty"
UNKNOWN = "未知字段 / unknown field"
NOT_OBJECT = "应为 JSON 对象 / must be a JSON object"
NOT_TEXT = "应为文字 / must be text"
NOT_INTEGER = "应为整数 / must be a whole number"
NOT_LIST = "应为列表 / must be a list"
LENGTH = "长度应在 {min} 到 {max} 字之间 / length must be {min} to {max}"
USCC_MESSAGES = {
    "length": "统一社会信用代码应为 18 位 / a unified social credit code has 18 characters",
    "characters": "统一社会信用代码含非法字符 / the code contains characters that are not allowed",
    "checksum": "统一社会信用代码校验位不符 / the check character of the code is wrong",
}


class InvalidInput(ValueError):
    """Input that a schema refused; ``messages`` maps each field to its messages."""

    def __init__(self, messages: dict):
        super().__init__(format_messages(messages))
        self.messages = messages


def format_messages(messages, prefix: str = "") -> str:
    """Flatten marshmallow's nested messages into 'field: message' lines."""
    lines = []
    if isinstance(messages, dict):
        for name, value in messages.items():
            lines.append(format_messages(value, f"{prefix}.{name}" if prefix else str(name)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        lines.append(f"{prefix or '_schema'}: {'; '.join(messages)}")
    else:
        for value in messages:
            lines.append(format_messages(value, prefix))
    return "\n".join(line for line in lines if line)


# C0 controls but tab, newline and carriage return; DEL; lone UTF-16 surrogates; the two non-characters
# XML refuses. None of them is ever meant in a title, a name or a note, and each breaks something downstream
# (python-docx refuses NUL, SQLite cannot encode a lone surrogate).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# The same rules for the OpenAPI spec (JSON Schema ``pattern``), so what the spec allows the schemas take.
# (Lone surrogates are left out of the pattern: they are no Unicode characters, JSON Schema tools cannot
# use such a range, and they are refused all the same.)
_C = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f\\ufffe\\uffff"
TEXT_PATTERN = f"^[^{_C}]*$"  # no control characters
FILLED_TEXT_PATTERN = f"^[^{_C}]*[^\\s{_C}][^{_C}]*$"  # … and not blank


_MONTH_DAY = "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
_LEAP = "(19([68][048]|[579][26])|20([02468][048]|[13579][26]))"
# a date from MIN_DATE (1949-10-01) to MAX_DATE (2100-12-31), as the spec's pattern
DATE_PATTERN = (f"^((19[5-9][0-9]|20[0-9]{{2}}|2100)-{_MONTH_DAY}|1949-(1[02]-(0[1-9]|[12][0-9]|3[01])|"
                f"11-(0[1-9]|[12][0-9]|30))|{_LEAP}-02-29)$")


class NoControlCharacters(validate.Validator):
    """Refuse text holding a control character, naming the field in Chinese and English."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en

    def __call__(self, value):
        if isinstance(value, str):
            found = CONTROL_CHARACTERS.search(value)
            if found:
                code = f"U+{ord(found.group()):04X}"
                raise ValidationError(f"{self.zh}含控制字符或无效字符（{code}）/ "
                                      f"{self.en} contains a control or invalid character ({code})")
        return value


def _errors(**extra) -> dict:
    return {"required": REQUIRED, "null": NULL, **extra}


_PREFIX = "|".join(PREFIX_MARKERS)
_SUFFIX = "|".join(SUFFIX_MARKERS)
_MEASURE_TEXT = re.compile(rf"\s*({_PREFIX})?\s*([0-9]+(?:\.[0-9]+)?)\s*({_SUFFIX})?\s*")


class Measure(fields.Field):
    """A number with an optional approximation marker (余/多/近).

    Takes ``1000``, ``"1000"``, ``"1000余"``, ``"近300000"`` or ``{"value": 1000, "approx": "余"}``;
    gives ``{"value": 1000, "approx": "余"}`` (value an int for counts, a Decimal in yuan for money).
    """

    default_error_messages = {
        "invalid": "应为数字，可带“余/多/近/约/以上/左右” / must be a number, optionally with 余/多/近/约/以上/左右",
        "approx": "约数标记只能是 余、多、近、约、以上 或 左右 / the approximation marker must be 余, 多, 近, 约, 以上 or 左右",
        "range": "超出允许范围（{min} – {max}）/ out of range ({min} – {max})",
        "integer": "应为整数 / must be a whole number",
        "places": "金额最多两位小数 / at most two decimal places",
    }

    def __init__(self, *, money: bool, minimum: int | None = 0, maximum=None, approx: bool = True, **kw):
        super().__init__(**kw)
        self.money = money
        self.minimum = 0 if minimum is None else minimum
        self.maximum = maximum if maximum is not None else (MONEY_MAX if money else COUNT_MAX)
        self.allow_approx = approx

    def number_pattern(self) -> str:
        """The digits this measure takes, as a regex: in range, whole for counts, two places for money."""
        digits = len(str(int(self.maximum))) - 1  # 1e9 → 9 digits, 1e13 → 13
        return f"[0-9]{{1,{digits}}}" + (r"(\.[0-9]{1,2}0*)?" if self.money else r"(\.0+)?")

    def text_pattern(self) -> str:
        """The text forms this measure takes ("1000", "1000余", "近300000"), for the spec."""
        if not self.allow_approx:
            return rf"^\s*{self.number_pattern()}\s*$"
        return rf"^\s*({_PREFIX})?\s*{self.number_pattern()}\s*({_SUFFIX})?\s*$"

    def _parse_text(self, text: str):
        m = _MEASURE_TEXT.fullmatch(text)
        if not m:
            raise self.make_error("invalid")
        marker = m.group(1) or m.group(3)
        return m.group(2), marker

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, dict):
            if set(value) - {"value", "approx"} or "value" not in value:
                raise self.make_error("invalid")
            raw, marker = value["value"], value.get("approx")
            if isinstance(raw, bool):
                raise self.make_error("invalid")
            if marker is not None and marker not in APPROX_MARKERS:
                raise self.make_error("approx")
        elif isinstance(value, str):
            raw, marker = self._parse_text(value)
        elif isinstance(value, (int, float, Decimal)):
            raw, marker = value, None
        else:
            raise self.make_error("invalid")
        if marker and not self.allow_approx:
            raise self.make_error("approx")
        try:
            number = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise self.make_error("invalid") from None
        if not number.is_finite():
            raise self.make_error("invalid")
        if number < self.minimum or number > self.maximum:
            raise self.make_error("range", min=self.minimum, max=self.maximum)
        if self.money:
            if number != number.quantize(Decimal("0.01")):
                raise self.make_error("places")
            return {"value": number.quantize(Decimal("0.01")), "approx": marker}
        if number != number.to_integral_value():
            raise self.make_error("integer")
        return {"value": int(number), "approx": marker}

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        number = value["value"]
        return {"value": str(number) if self.money else int(number), "approx": value.get("approx")}


class WholeNumber(fields.Integer):
    """A whole number that may come as text ("2021"), never one cut down from a fraction (2021.5)."""

    def _validated(self, value):
        if isinstance(value, (float, Decimal)):
            try:
                whole = value == int(value)
            except (OverflowError, ValueError):
                whole = False
            if not whole:
                raise self.make_error("invalid")
        return super()._validated(value)


class FirmSchema(Schema):
    """A firm involved: by name, by 统一社会信用代码, or both."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN, "type": NOT_OBJECT}
    name = fields.String(load_default=None, validate=[validate.Length(min=0, max=100, error=LENGTH),
                                                      NoControlCharacters("企业名称", "the firm name")],
                         error_messages=_errors(invalid=NOT_TEXT),
                         metadata={"zh": "企业名称", "en": "firm name", "pattern": TEXT_PATTERN})
    uscc = fields.String(load_default=None, error_messages=_errors(invalid=NOT_TEXT),
                         validate=NoControlCharacters("统一社会信用代码", "the unified social credit code"),
                         metadata={"zh": "统一社会信用代码", "en": "unified social credit code"})

    @validates_schema
    def _name_or_code(self, data, **kwargs):
        name = (data.get("name") or "").strip()
        code = (data.get("uscc") or "").strip().upper()
        if not name and not code:
            raise ValidationError("请填写企业名称或统一社会信用代码 / give the firm's name or its code", "name")
        if code:
            problem = uscc_problem(code)
            if problem:
                raise ValidationError(USCC_MESSAGES[problem], "uscc")

    def load(self, data, *args, **kwargs):  # normalise after validation
        out = super().load(data, *args, **kwargs)
        out["name"] = (out.get("name") or "").strip() or None
        out["uscc"] = (out.get("uscc") or "").strip().upper() or None
        return out


def _meta(f: Field) -> dict:
    meta = {"zh": f.zh, "en": f.en, "type": f.type, "help_zh": f.help_zh, "help_en": f.help_en}
    if f.unit:
        meta.update(unit=f.unit, unit_en=f.unit_en)
    if f.type in ("count", "money"):
        meta["approx_markers"] = list(APPROX_MARKERS)
    return meta


def _choices_for(f: Field, template: Template) -> dict[str, tuple[str, str]]:
    if f.choices is not None:
        return f.choices
    if f.name == "theme":
        return template.themes
    if f.name == "target_kind":
        meta = set(template.role_kinds("problems")) | set(template.role_kinds("plans"))
        return {k.key: (k.zh, k.en) for k in template.kinds if k.key not in meta}
    if f.name == "section":
        return {s.key: (s.title, s.title_en or s.title) for s in template.work_sections}
    raise KeyError(f.name)


# "总投资 4.72 亿元", "用地约 120 亩", "项目 2 个以上": a name (up to 40 characters), the number (with a marker
# before or after it) and a unit (up to 10); no control characters anywhere. The spec uses the same pattern.
_NAME_CHAR = f"[^{_C}0-9约近\\s]"
NAMED_MEASURE_TEXT = re.compile(
    rf"\s*(?P<name>{_NAME_CHAR}(?:[^{_C}0-9约近]{{0,38}}{_NAME_CHAR})?)\s*(?P<pre>{_PREFIX})?\s*"
    rf"(?P<value>[0-9]{{1,13}}(?:\.[0-9]{{1,6}})?)\s*(?P<post>{_SUFFIX})?\s*(?P<unit>[^{_C}0-9\s]{{0,10}}?)"
    rf"(?P<after>以上|左右)?\s*")


class NamedMeasure(fields.Field):
    """One named measure of a record: {name, value, unit, approx}, or its text "总投资 4.72 亿元"."""

    default_error_messages = {
        "invalid": "应为“名称 数值 单位”，如“总投资 4.72 亿元” / must be name, value and unit, e.g. 总投资 4.72 亿元",
        "name": "计量名称应为 1 到 40 字 / a measure's name has 1 to 40 characters",
        "unit": "单位最多 10 字 / a unit has at most 10 characters",
        "approx": Measure.default_error_messages["approx"],
        "range": "数值超出允许范围 / the value is out of range",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            m = NAMED_MEASURE_TEXT.fullmatch(value)
            if not m:
                raise self.make_error("invalid")
            value = {"name": m.group("name"), "value": m.group("value"), "unit": m.group("unit") or "",
                     "approx": m.group("pre") or m.group("post") or m.group("after")}
        if not isinstance(value, dict) or set(value) - {"name", "value", "unit", "approx"} or "value" not in value:
            raise self.make_error("invalid")
        name, unit, marker = value.get("name"), value.get("unit") or "", value.get("approx")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 40 or CONTROL_CHARACTERS.search(name):
            raise self.make_error("name")
        if not isinstance(unit, str) or len(unit) > 10 or CONTROL_CHARACTERS.search(unit):
            raise self.make_error("unit")
        if marker is not None and marker not in APPROX_MARKERS:
            raise self.make_error("approx")
        raw = value["value"]
        if isinstance(raw, bool):
            raise self.make_error("invalid")
        try:
            number = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            raise self.make_error("invalid") from None
        if not number.is_finite() or number < 0 or number > MONEY_MAX:
            raise self.make_error("range")
        return {"name": name.strip(), "value": str(number.normalize()) if number == number.to_integral_value()
                else str(number), "unit": unit.strip(), "approx": marker}

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def make_field(f: Field, template: Template | None = None) -> fields.Field:
    """The marshmallow field for one field of a kind (choices of theme/target_kind from ``template``)."""
    template = template or default_template()
    common = dict(required=f.required, error_messages=_errors(), metadata=_meta(f))
    if not f.required:
        common["load_default"] = None
        common["allow_none"] = True
    if f.type in ("count", "money"):
        return Measure(money=f.type == "money", minimum=f.minimum, maximum=f.maximum,
                       approx=f.name not in ("quantity",), **common)
    if f.type == "integer":
        rng = validate.Range(f.minimum, f.maximum,
                             error=f"应在 {f.minimum} 与 {f.maximum} 之间 / must be between {f.minimum} and {f.maximum}")
        common["metadata"].update(minimum=f.minimum, maximum=f.maximum)
        common["error_messages"] = _errors(invalid=NOT_INTEGER, too_large=NOT_INTEGER)
        return WholeNumber(strict=False, validate=rng, **common)
    if f.type == "date":
        rng = validate.Range(MIN_DATE, MAX_DATE, error="日期超出范围 / date out of range")
        common["metadata"]["pattern"] = DATE_PATTERN
        return fields.Date(validate=rng, error_messages=_errors(invalid="日期格式应为 2020-05-12 / a date like 2020-05-12"),
                           **{k: v for k, v in common.items() if k != "error_messages"})
    if f.type == "measures":
        common["metadata"]["type"] = "measures"
        return fields.List(NamedMeasure(), validate=validate.Length(max=50, error="最多 50 项 / at most 50"),
                           **{**common, "error_messages": _errors(invalid=NOT_LIST)})
    if f.type == "choice":
        choices = _choices_for(f, template)
        common["metadata"]["choices"] = {k: {"zh": zh, "en": en} for k, (zh, en) in choices.items()}
        common["error_messages"] = _errors(invalid=NOT_TEXT)
        return fields.String(validate=validate.OneOf(
            list(choices), error="应为以下之一 / must be one of: {choices}"), **common)
    if f.type == "text":
        limit = 4000 if f.name == "notes" else 200
        length = validate.Length(min=1 if f.required else 0, max=limit, error=LENGTH)
        common["error_messages"] = _errors(invalid=NOT_TEXT)
        filled = f.required or f.name in ("organisation", "title")
        common["metadata"]["pattern"] = FILLED_TEXT_PATTERN if filled else TEXT_PATTERN
        return fields.String(validate=[length, NoControlCharacters(f.zh, f.en)], **common)
    raise ValueError(f"unknown field type {f.type}")


class ActionSchemaBase(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    error_messages = {"unknown": UNKNOWN, "type": NOT_OBJECT}
    KIND: Kind

    key = fields.String(load_default=None, validate=[validate.Length(min=1, max=200, error=LENGTH),
                                                     NoControlCharacters("幂等键", "the idempotency key")],
                        error_messages=_errors(invalid=NOT_TEXT),
                        metadata={"zh": "幂等键", "en": "idempotency key", "pattern": TEXT_PATTERN,
                                  "help_en": "the same key always means the same record"})
    kind = fields.String(required=True, error_messages=_errors(invalid=NOT_TEXT), metadata={"zh": "类型", "en": "kind"})
    firms = fields.List(fields.Nested(FirmSchema, error_messages={"type": NOT_OBJECT}), load_default=list,
                        error_messages=_errors(invalid=NOT_LIST),
                        metadata={"zh": "涉及企业", "en": "firms involved", "type": "firms"})

    @validates_schema(pass_original=True)
    def _whole_record(self, data, original_data, **kwargs):
        kind = self.KIND
        if data.get("kind") != kind.key:
            raise ValidationError(f"应为 {kind.key} / must be {kind.key}", "kind")
        start, end = data.get("occurred_on"), data.get("ends_on")
        if start and end and end < start:
            raise ValidationError("结束日期早于开始日期 / the end date is before the start date", "ends_on")
        # a correction (partial) that does not touch the firms keeps the one it has
        firms_given = not self.partial or "firms" in original_data
        if kind.aggregate == "enterprise" and firms_given and len(data.get("firms") or []) != 1:
            raise ValidationError("请填写一家企业 / name exactly one firm", "firms")
        required_texts = tuple(f.name for f in kind.fields if f.type == "text" and f.required)
        for name in ("organisation", "title") + required_texts:
            if name in data and isinstance(data[name], str) and data[name] and not data[name].strip():
                raise ValidationError(NULL, name)


_schemas: dict[tuple, Schema] = {}
_schemas_lock = threading.Lock()


def schema_class(kind: Kind, template: Template | None = None) -> type[Schema]:
    template = template or default_template()
    attrs: dict = {"KIND": kind}
    for f in COMMON_FIELDS + kind.fields:
        attrs[f.name] = make_field(f, template)
    return type(f"{kind.event if kind.builtin else kind.key.title().replace('_', '')}Schema",
                (ActionSchemaBase,), attrs)


def schema_for(kind: Kind | str, partial: bool = False, template: Template | None = None) -> Schema:
    """One schema instance per kind of a template, made once: building a marshmallow schema costs more
    than a load, and these keep no per-call state (no context), so threads share them safely."""
    template = template or default_template()
    if isinstance(kind, str):
        kind = template.kind(kind)
    key = (kind, partial, template.digest)
    found = _schemas.get(key)
    if found is None:
        found = schema_class(kind, template)(partial=partial)
        with _schemas_lock:
            _schemas[key] = found
    return found


def kind_in(template: Template, payload) -> Kind:
    """The kind a payload names, from the template: unknown kinds are refused by name."""
    kind_key = payload.get("kind")
    if not isinstance(kind_key, str) or kind_key not in template.kinds_by_key:  # {"kind": {}} is no kind (was a 500)
        known = default_template().kinds_by_key
        if isinstance(kind_key, str) and kind_key in known:
            raise InvalidInput({"kind": [f"所用模板“{template.name}”中没有类型 {kind_key} / the template "
                                         f"{template.name} in use has no kind {kind_key!r}"]})
        raise InvalidInput({"kind": [f"未知类型 / unknown kind: {kind_key!r}"]})
    return template.kind(kind_key)


def load_action(payload, template: Template | None = None) -> tuple[Kind, str | None, dict]:
    """Validate one action's JSON: (kind, idempotency key or None, field values), with the kinds of
    ``template`` (the one the record's organisation uses for its year; the built-in one by default)."""
    template = template or default_template()
    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["应为 JSON 对象 / must be a JSON object"]})
    kind = kind_in(template, payload)
    try:
        data = schema_for(kind, template=template).load(payload)
    except ValidationError as e:
        raise InvalidInput(e.messages) from None
    data.pop("kind")
    key = data.pop("key")
    for name in ("organisation", "title", "notes", "chamber"):
        if isinstance(data.get(name), str):
            data[name] = data[name].strip()
    data["notes"] = data.get("notes") or ""
    data["theme"] = data.get("theme") or kind.theme
    return kind, key, data


def load_changes(kind: Kind, payload, template: Template | None = None) -> dict:
    """Validate a correction's changed fields (a partial record of the same kind)."""
    if not isinstance(payload, dict) or not payload:
        raise InvalidInput({"changes": ["请至少修改一个字段 / change at least one field"]})
    schema = schema_for(kind, partial=True, template=template)
    try:
        data = schema.load({**payload, "kind": kind.key})
    except ValidationError as e:
        raise InvalidInput(e.messages) from None
    data.pop("kind", None)
    data.pop("key", None)
    # partial loading still fills load_default values: keep only what the caller sent.
    changes = {k: v for k, v in data.items() if k in payload}
    # normalised as load_action does, so a corrected record reads (and exports) like a new one
    for name in ("organisation", "title", "notes", "chamber"):
        if isinstance(changes.get(name), str):
            changes[name] = changes[name].strip()
    if "notes" in changes and changes["notes"] is None:
        changes["notes"] = ""
    if "theme" in changes and changes["theme"] is None:
        changes["theme"] = kind.theme
    return changes


def dump_action(kind: Kind, key: str, values: dict, template: Template | None = None) -> dict:
    """The JSON of one action as ``load_action`` takes it (export, API answers)."""
    schema = schema_for(kind, template=template)
    out = {"kind": kind.key, "key": key}
    for name, fld in schema.fields.items():
        if name in ("kind", "key"):
            continue
        value = values.get(name)
        if name == "firms":
            out["firms"] = [{"name": f.get("name"), "uscc": f.get("uscc")} for f in (value or [])]
        elif value is None:
            continue
        else:
            out[name] = fld.serialize(name, values)
    return out


def catalogue(template: Template | None = None) -> list[dict]:
    """Every kind of a template with its fields, types, units and labels, read from the schemas themselves."""
    template = template or default_template()
    themes = template.themes
    out = []
    for kind in template.kinds:
        schema = schema_for(kind, template=template)
        flds = []
        for name, fld in schema.fields.items():
            meta = dict(fld.metadata)
            flds.append({
                "name": name,
                "type": meta.pop("type", type(fld).__name__.lower()),
                "required": fld.required,
                "zh": meta.pop("zh", name), "en": meta.pop("en", name),
                **{k: v for k, v in meta.items() if v not in ("", None)},
            })
        out.append({"kind": kind.key, "event": kind.event, "zh": kind.zh, "en": kind.en,
                    "theme": kind.theme, "theme_zh": themes[kind.theme][0], "theme_en": themes[kind.theme][1],
                    "aggregate": kind.aggregate, "fields": flds})
    return out
