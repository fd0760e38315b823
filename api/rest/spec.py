"""The OpenAPI spec's fix-ups: the kinds' schemas as components, the catalogue's field types and
labels, measures in the forms they take, the security schemes."""
from __future__ import annotations

import re
from typing import Any

from flask_smorest import Api

from api.rest.endpoints import SCHEMA_NAMES
from domain.catalogue import APPROX_MARKERS, KINDS_BY_KEY
from service.schemas import (
    FILLED_TEXT_PATTERN,
    NAMED_MEASURE_TEXT,
    TEXT_PATTERN,
    Measure,
    NamedMeasure,
    schema_class,
)

BEARER = "bearerAuth"
SESSION = "sessionCookie"
OPENAPI_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object"})



def _catalogue_properties(converter, field, ret=None, **kwargs) -> dict:
    """Fix up the kinds' fields in the spec.

    The catalogue keeps its own field type in ``metadata["type"]`` (count, money, text …), which apispec
    would copy as the JSON Schema type: put the real type back and keep the catalogue's as
    ``x-field-type``. Labels become the title; a measure is documented with the forms it takes.
    """
    ret = ret if ret is not None else {}
    meta = field.metadata
    kind_type = meta.get("type")
    if isinstance(kind_type, str) and kind_type not in OPENAPI_TYPES:
        base = converter.field2type_and_format(field)
        ret.pop("type", None)
        if "type" in base:
            ret["type"] = base["type"]
        ret["x-field-type"] = kind_type
    if meta.get("zh") and meta.get("en") and "title" not in ret:
        ret["title"] = f"{meta['zh']} / {meta['en']}"
    helps = [h for h in (meta.get("help_zh"), meta.get("help_en")) if h]
    if helps and "description" not in ret:
        ret["description"] = " / ".join(helps)
    if meta.get("unit"):
        ret["x-unit"] = meta["unit"]
    if isinstance(field, NamedMeasure):
        ret.pop("type", None)
        ret["oneOf"] = [
            {"type": "string", "pattern": "^" + re.sub(r"\?P<\w+>", "", NAMED_MEASURE_TEXT.pattern) + "$",
             "description": "总投资 4.72 亿元"},
            {"type": "object", "additionalProperties": False, "required": ["name", "value"],
             "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": FILLED_TEXT_PATTERN},
                            "value": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1e13},
                                                {"type": "string", "pattern": r"^[0-9]{1,13}(\.[0-9]{1,6})?$"}]},
                            "unit": {"type": "string", "maxLength": 10, "nullable": True, "pattern": TEXT_PATTERN},
                            "approx": {"type": "string", "enum": [*APPROX_MARKERS, None], "nullable": True}}}]
    if isinstance(field, Measure):
        ret.pop("type", None)
        ret.pop("format", None)
        number: dict[str, Any] = {"type": "number" if field.money else "integer",
                                  "minimum": float(field.minimum) if field.money else int(field.minimum),
                                  "maximum": float(field.maximum) if field.money else int(field.maximum)}
        forms = [number, {"type": "string", "pattern": field.text_pattern()}]
        if field.allow_approx:
            forms.append({"type": "object", "additionalProperties": False, "required": ["value"],
                          "properties": {"value": {"anyOf": [{"type": "number"},
                                                             {"type": "string",
                                                              "pattern": f"^{field.number_pattern()}$"}]},
                                         "approx": {"type": "string", "enum": [*APPROX_MARKERS, None],
                                                    "nullable": True}}})
        ret["oneOf"] = forms
        if ret.get("nullable"):
            number["nullable"] = True
            ret.pop("nullable")
    return {}


def _register_kind_schemas(api: Api) -> None:
    for key, name in SCHEMA_NAMES.items():
        api.spec.components.schema(name, schema=schema_class(KINDS_BY_KEY[key]))
        props = api.spec.components.schemas[name].get("properties", {})
        if "kind" in props:
            props["kind"]["enum"] = [key]


def _spec_options() -> dict:
    return {
        "info": {"description": (
            "The 台账 work ledger's JSON API. Send `Authorization: Bearer <token>` (an admin issues "
            "tokens), or use a browser session and send its CSRF token in `X-CSRFToken` with every write. "
            "Staff and admins write; auditors read. Every error answers "
            "{code, status, message, errors?}.")},
        "security": [{BEARER: []}, {SESSION: []}],
    }

