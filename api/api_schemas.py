"""The JSON API's own schemas: request bodies, query arguments and answers (not the kinds' schemas).

A kind's record is validated by ``service.schemas`` (through ``Ledger.log``/``correct``); the schemas
here describe the envelopes around it and dump every answer, so dates and decimals always leave as
ISO text and decimal text, never through Flask's own JSON encoder.
"""
from __future__ import annotations

from datetime import date, datetime

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    validate,
    validates,
)

from domain.catalogue import KINDS, THEMES
from service.schemas import (
    FILLED_TEXT_PATTERN,
    NOT_INTEGER,
    NOT_OBJECT,
    NOT_TEXT,
    NULL,
    REQUIRED,
    UNKNOWN,
    NoControlCharacters,
)

MAX_PAGE_SIZE = 200
MIN_YEAR, MAX_YEAR = 1949, 2100
KIND_KEYS = [k.key for k in KINDS]


def _errors(**extra) -> dict:
    return {"required": REQUIRED, "null": NULL, **extra}


class ISODate(fields.Date):
    """A date written as ISO text; takes a ``date`` or text that is already ISO (the read model's)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class Plain(Schema):
    """Reads a dict's keys only: a missing ``values`` or ``items`` must not find the dict's methods."""

    def get_attribute(self, obj, attr, default):
        if isinstance(obj, dict):
            return obj.get(attr, default)
        return super().get_attribute(obj, attr, default)


class PassThrough(Plain):
    """Dumps its declared fields and copies the rest of the (already JSON-plain) object as it is."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true (dump only: nothing is loaded)
        ordered = True

    @post_dump(pass_original=True)
    def _keep_the_rest(self, data, original, **kwargs):
        if isinstance(original, dict):
            declared = {f.data_key or name for name, f in self.fields.items()}
            for key, value in original.items():
                if key not in declared and key not in data:
                    data[key] = _plain(value)
        return data


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


# --- errors ---

class ErrorSchema(Plain):
    """The one shape of every error of the API."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status name, e.g. Not Found"})
    message = fields.String(metadata={"description": "what went wrong (中文 / English where it comes from the ledger)"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "field name → list of messages (nested for firms and changes)"})
    current_version = fields.Integer(metadata={"description": "on a 409 conflict: the record's version now"})
    stored = fields.Dict(metadata={"description": "on a 409 for a reused key: the record as first logged with it"})
    given = fields.Dict(metadata={"description": "on a 409 for a reused key: the body sent now"})


# --- the catalogue ---

class CatalogueFieldSchema(PassThrough):
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "count, money, integer, text, choice, date, firms, string"})
    required = fields.Boolean(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)


class KindSchema(Plain):
    class Meta:
        ordered = True

    kind = fields.String(required=True, metadata={"description": "the value of the `kind` field of a record"})
    event = fields.String(required=True, metadata={"description": "the domain event that records it"})
    zh = fields.String(required=True)
    en = fields.String(required=True)
    theme = fields.String(required=True, validate=validate.OneOf(list(THEMES)))
    theme_zh = fields.String(required=True)
    theme_en = fields.String(required=True)
    aggregate = fields.String(required=True, validate=validate.OneOf(["action", "chamber", "enterprise"]))
    fields_ = fields.List(fields.Nested(CatalogueFieldSchema), required=True, data_key="fields",
                          attribute="fields")


# --- records ---

class FirmOutSchema(Plain):
    name = fields.String(allow_none=True)
    uscc = fields.String(allow_none=True, metadata={"description": "统一社会信用代码"})


class RecordSchema(PassThrough):
    """One record as the ledger has it now: its id and version, then the kind's fields as logged."""

    id = fields.UUID(required=True)
    version = fields.Integer(required=True, metadata={"description": "the version to send as expected_version"})
    kind = fields.String(required=True, validate=validate.OneOf(KIND_KEYS))
    event = fields.String()
    key = fields.String(metadata={"description": "idempotency key"})
    retracted = fields.Boolean(required=True)
    retraction_reason = fields.String(allow_none=True)
    logged_by = fields.String(allow_none=True)
    organisation = fields.String()
    title = fields.String()
    occurred_on = ISODate()
    ends_on = ISODate(allow_none=True)
    theme = fields.String()
    notes = fields.String(allow_none=True)
    firms = fields.List(fields.Nested(FirmOutSchema))


class LoggedSchema(RecordSchema):
    created = fields.Boolean(required=True, metadata={"description": "false when the key was logged before"})


class VersionSchema(Plain):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)


class HistoryItemSchema(PassThrough):
    version = fields.Integer(required=True)
    event = fields.String(required=True)
    recorded_at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(allow_none=True)
    reason = fields.String()
    occurred_on = ISODate()
    changes = fields.Dict(keys=fields.String(), values=fields.Dict(),
                          metadata={"description": "field → {from, to}"})
    values = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "values as logged"})


class ListItemSchema(Plain):
    class Meta:
        ordered = True

    id = fields.String(required=True, metadata={"format": "uuid"})
    kind = fields.String(required=True)
    title = fields.String(allow_none=True)
    occurred_on = ISODate(allow_none=True)
    theme = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    retracted = fields.Boolean()
    logged_by = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    firms = fields.List(fields.Nested(FirmOutSchema))
    facts = fields.Dict(keys=fields.String(), values=fields.Raw(),
                        metadata={"description": "the kind's own fields as stored (measures as {value, approx})"})


class RecordPageSchema(Plain):
    class Meta:
        ordered = True

    items = fields.List(fields.Nested(ListItemSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class ListArgsSchema(Plain):
    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(validate=validate.Range(MIN_YEAR, MAX_YEAR), metadata={"minimum": MIN_YEAR,
                                                                                   "maximum": MAX_YEAR})
    theme = fields.String(validate=validate.OneOf(list(THEMES)))
    kind = fields.String(validate=validate.OneOf(KIND_KEYS))
    organisation = fields.String()
    actor = fields.String(metadata={"description": "who logged it"})
    q = fields.String(metadata={"description": "text in the title, notes, firms or subject"})
    include_retracted = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**6),
                          metadata={"minimum": 1, "maximum": 10**6})
    page_size = fields.Integer(validate=validate.Range(1, MAX_PAGE_SIZE),
                               metadata={"minimum": 1, "maximum": MAX_PAGE_SIZE,
                                         "description": "default 50 (the app's PAGE_SIZE), at most 200"})


# --- writing ---

def _reason_field() -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=1000),
                                                  NoControlCharacters("原因", "the reason")],
                         error_messages=_errors(invalid=NOT_TEXT),
                         metadata={"description": "why (required, not blank)", "pattern": FILLED_TEXT_PATTERN})


class _WriteBody(Plain):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN, "type": NOT_OBJECT}
    reason = _reason_field()
    expected_version = fields.Integer(strict=True, validate=validate.Range(1, 2**31 - 1),
                                      error_messages=_errors(invalid=NOT_INTEGER),
                                      metadata={"minimum": 1, "maximum": 2**31 - 1,
                                                "description": "the version you read: 409 when it moved on"})

    @validates("reason")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("请填写原因 / a reason is required")


class CorrectionSchema(_WriteBody):
    changes = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                          error_messages=_errors(invalid=NOT_OBJECT),
                          metadata={"description": "changed fields, as the kind's schema takes them",
                                    "minProperties": 1})


class RetractionSchema(_WriteBody):
    pass


# --- the summary ---

class SealedValueSchema(Plain):
    value = fields.String(allow_none=True)
    text = fields.String(allow_none=True)


class FigureSchema(Plain):
    class Meta:
        ordered = True

    key = fields.String(required=True)
    label = fields.String(required=True)
    label_en = fields.String()
    value = fields.String(required=True, allow_none=True,
                          metadata={"description": "a whole number or decimal, as text (null: no value, e.g. a "
                                                   "change on a year without figures)"})
    unit = fields.String()
    approx = fields.String(allow_none=True, metadata={"description": "余, 多, 近, 约, 以上 or 左右 when approximate"})
    text = fields.String(metadata={"description": "the value written the Chinese way, with its unit"})
    phrase = fields.String()
    event_count = fields.Integer(required=True, metadata={
        "description": "how many events are behind the figure (listed by /api/summary/{year}/figures/{key}/events)"})
    event_digest = fields.String(required=True, metadata={
        "description": "SHA-256 (hex) of the multiset hash of the events' positions (docs/figures.md)"})
    adjusted = fields.Boolean(metadata={"description": "true when the figure changed after its year was sealed"})
    sealed = fields.Nested(SealedValueSchema, metadata={"description": "the figure as sealed at the year's close"})
    parts = fields.List(fields.Dict(), metadata={
        "description": "a roll-up's per-unit shares: [{organisation, code, value, text, records}]"})


class TargetSchema(PassThrough):
    id = fields.String()
    target_kind = fields.String()
    label = fields.String()
    quantity = fields.Integer()
    unit = fields.String()
    actual = fields.Integer()
    met = fields.Boolean()
    text = fields.String()
    notes = fields.String(allow_none=True)


class SectionSchema(PassThrough):
    key = fields.String(required=True)
    title = fields.String(required=True)
    text = fields.String()
    figures = fields.List(fields.Nested(FigureSchema))
    subsections = fields.List(fields.Nested(lambda: SectionSchema()))
    targets = fields.List(fields.Nested(TargetSchema))


class SummarySchema(PassThrough):
    year = fields.Integer(required=True)
    organisation = fields.String(required=True)
    title = fields.String()
    as_of = fields.String(allow_none=True)
    position = fields.Integer(metadata={"description": "the last event the summary includes"})
    intro = fields.String()
    template = fields.Dict(metadata={"description": "the template the summary was made with: {name, digest}"})
    unit = fields.Dict(allow_none=True, metadata={
        "description": "the organisation unit and the organisations the summary covers (roll-up)"})
    sections = fields.List(fields.Nested(SectionSchema), required=True)
    targets = fields.List(fields.Nested(TargetSchema))
    seal = fields.Raw(allow_none=True, metadata={"description": "the year's seal once it is closed"})


# An as-of: a log position, or an ISO date / moment of 1900–2099 (so it always converts to UTC).
MOMENT_PATTERN = (r"^([0-9]{1,18}|(19|20)[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-"
                  r"(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
                  r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?)$")
MOMENT_MESSAGE = "应为事件序号或 ISO 时间 / an event position or an ISO moment (2020-12-31T23:59:59+08:00)"


def _moment_field(description: str, **kw) -> fields.String:
    return fields.String(validate=validate.Regexp(MOMENT_PATTERN, error=MOMENT_MESSAGE),
                         metadata={"description": description, "pattern": MOMENT_PATTERN}, **kw)


class SummaryArgsSchema(Plain):
    class Meta:
        unknown = EXCLUDE

    organisation = fields.String(metadata={"description": "default: the organisation with most records"})
    as_of = _moment_field("an event position (integer) or an ISO moment")
    include_children = fields.Boolean(metadata={
        "description": "a unit with every unit below it (the default above 区县), or false: its own work"})


class FigureEventsArgsSchema(SummaryArgsSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**6), metadata={"minimum": 1, "maximum": 10**6})
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500),
                              metadata={"minimum": 1, "maximum": 500, "description": "default 50, at most 500"})
    after = fields.Integer(load_default=None, validate=validate.Range(0, 2**62),
                           metadata={"minimum": 0, "description": "a cursor: the page starts after this position "
                                                                  "(the previous page's `next_after`); `page` is "
                                                                  "then not used"})


class FigureEventSchema(Plain):
    class Meta:
        ordered = True

    position = fields.Integer(required=True, metadata={"description": "the event's position in the log"})
    record_id = fields.String(required=True, metadata={"description": "the record it belongs to"})
    event = fields.String(required=True)
    kind = fields.String(allow_none=True)
    recorded_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    occurred_on = fields.String(allow_none=True)


class FigureEventsSchema(Plain):
    class Meta:
        ordered = True

    year = fields.Integer(required=True)
    key = fields.String(required=True)
    organisation = fields.String(required=True)
    as_of = fields.String(allow_none=True)
    position = fields.Integer(required=True, metadata={"description": "the last event the summary includes"})
    page = fields.Integer(allow_none=True, metadata={"description": "null when the page was asked for by `after`"})
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "the figure's event_count"})
    after = fields.Integer(allow_none=True, metadata={"description": "the cursor this page was asked for with"})
    next_after = fields.Integer(allow_none=True, metadata={"description": "the cursor of the next page; null on "
                                                                          "the last"})
    events = fields.List(fields.Nested(FigureEventSchema), required=True,
                         metadata={"description": "this page of the figure's events, in log order"})


class DiffArgsSchema(Plain):
    class Meta:
        unknown = EXCLUDE

    organisation = fields.String()
    before = _moment_field("an event position or an ISO moment", required=True)
    after = _moment_field("default: now")


class MomentSchema(Plain):
    as_of = fields.String(allow_none=True)
    position = fields.Integer()


class ChangeSchema(Plain):
    key = fields.String(required=True)
    label = fields.String()
    before = fields.String(allow_none=True)
    after = fields.String(allow_none=True)
    before_value = fields.String(allow_none=True)
    after_value = fields.String(allow_none=True)


class DifferenceSchema(Plain):
    year = fields.Integer(required=True)
    before = fields.Nested(MomentSchema)
    after = fields.Nested(MomentSchema)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
