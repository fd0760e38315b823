"""The audit API's schemas (request arguments and answers), documented in the OpenAPI spec."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from api.audit.reads import MAX_PAGE_SIZE
from projections.chain import CHECKPOINT_FORMAT


class AuditEventSchema(Schema):
    class Meta:
        ordered = True

    position = fields.Integer(required=True, metadata={"description": "the event's position in the log"})
    recorded_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    actor = fields.String(allow_none=True)
    event = fields.String(required=True, metadata={"description": "the event's class (JobFairHeld, Corrected…)"})
    kind = fields.String(allow_none=True, metadata={"description": "the record's kind, where the event is a record's"})
    record_id = fields.String(allow_none=True, metadata={"format": "uuid"})
    is_record = fields.Boolean(metadata={"description": "record_id names a record (its story can be read)"})
    title = fields.String(allow_none=True, metadata={"description": "the record's title now"})
    originator_id = fields.String(metadata={"format": "uuid", "description": "the aggregate that stored the event"})
    version = fields.Integer(metadata={"description": "the aggregate's version this event made"})
    reason = fields.String(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                          metadata={"description": "a correction's changed fields and their new values"})
    occurred_on = fields.String(allow_none=True, metadata={"format": "date",
                                                           "description": "when it happened (logged events)"})


class AuditEventPageSchema(Schema):
    class Meta:
        ordered = True

    items = fields.List(fields.Nested(AuditEventSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class AuditEventArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    since = fields.String(data_key="from", metadata={
        "description": "recorded on or after: a date (a whole local day) or an ISO moment"})
    until = fields.String(data_key="to", metadata={
        "description": "recorded on or before: a date (the whole local day) or an ISO moment"})
    actor = fields.String()
    kind = fields.String(metadata={"description": "a kind of record (job_fair, donation…)"})
    event = fields.String(metadata={"description": "an event class (Corrected, Retracted, Closed…)"})
    record_id = fields.UUID()
    order = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]),
                          metadata={"description": "by position; newest first by default"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**6), metadata={"minimum": 1,
                                                                                        "maximum": 10**6})
    page_size = fields.Integer(validate=validate.Range(1, MAX_PAGE_SIZE),
                               metadata={"minimum": 1, "maximum": MAX_PAGE_SIZE, "description": "default 50"})


class AuditFromToSchema(Schema):
    from_ = fields.Raw(data_key="from", attribute="from", allow_none=True)
    to = fields.Raw(allow_none=True)


class AuditStoryEventSchema(Schema):
    class Meta:
        ordered = True

    position = fields.Integer(allow_none=True)
    version = fields.Integer(required=True)
    event = fields.String(required=True)
    recorded_at = fields.String(required=True, metadata={"format": "date-time", "description": "when it was recorded"})
    occurred_on = fields.String(allow_none=True, metadata={"format": "date",
                                                           "description": "the record's date as of this event"})
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(AuditFromToSchema),
                          metadata={"description": "field → {from, to}"})
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                         metadata={"description": "the values as first logged (the logging event only)"})


class AuditStorySchema(Schema):
    class Meta:
        ordered = True

    record_id = fields.String(required=True, metadata={"format": "uuid"})
    record = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True,
                         metadata={"description": "the record as it stands (the read model's row)"})
    events = fields.List(fields.Nested(AuditStoryEventSchema), required=True)


class AuditProblemSchema(Schema):
    position = fields.Integer(allow_none=True)
    why = fields.String(required=True)


class AuditVerificationSchema(Schema):
    class Meta:
        ordered = True

    ok = fields.Boolean(required=True)
    position = fields.Integer(required=True, metadata={"description": "the last event's position"})
    head = fields.String(required=True, metadata={"description": "the recomputed chain head"})
    events = fields.Integer(required=True, metadata={"description": "events read"})
    problems = fields.List(fields.Nested(AuditProblemSchema), required=True,
                           metadata={"description": "first bad position first"})
    notes = fields.List(fields.String(), required=True)


class AuditVerifyArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    position = fields.String(metadata={"description": "a checkpoint's position (with head)"})
    head = fields.String(metadata={"description": "a checkpoint's head (with position)"})


class AuditCheckpointSchema(Schema):
    class Meta:
        ordered = True

    format = fields.String(required=True, metadata={"description": CHECKPOINT_FORMAT})
    position = fields.Integer(required=True)
    head = fields.String(required=True)
    taken_at = fields.String(required=True, metadata={"format": "date-time"})


class AuditSealSchema(Schema):
    class Meta:
        ordered = True

    organisation = fields.String(required=True)
    year = fields.Integer(required=True)
    position = fields.Integer(required=True, metadata={"description": "the chain position sealed"})
    head = fields.String(required=True, metadata={"description": "the chain head at that position"})
    hmac = fields.String(required=True, metadata={"description": "HMAC-SHA256 under the seal key"})
    closed_by = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    event_position = fields.Integer(metadata={"description": "the position of the close's own event"})
    override = fields.String(metadata={"description": "the admin's reason when the year closed before the "
                                                      "units below it had; empty otherwise"})


class AuditSealedValueSchema(Schema):
    value = fields.String(allow_none=True)
    text = fields.String(allow_none=True)


class AuditAdjustedFigureSchema(Schema):
    class Meta:
        ordered = True

    key = fields.String(required=True)
    label = fields.String(allow_none=True)
    value = fields.String(allow_none=True, metadata={"description": "the adjusted value"})
    text = fields.String(allow_none=True)
    sealed = fields.Nested(AuditSealedValueSchema, metadata={"description": "the value at the close"})


class AuditAdjustmentSchema(Schema):
    class Meta:
        ordered = True

    position = fields.Integer(required=True)
    record_id = fields.String(metadata={"format": "uuid"})
    title = fields.String(allow_none=True)
    event = fields.String()
    kind = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    recorded_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class AuditSummarySchema(Schema):
    class Meta:
        ordered = True

    year = fields.Integer(required=True)
    organisation = fields.String(required=True)
    title = fields.String()
    as_of = fields.String(allow_none=True)
    position = fields.Integer(metadata={"description": "the last event the summary includes"})
    seal = fields.Nested(AuditSealSchema, allow_none=True, metadata={"description": "absent while the year is open"})
    adjusted_figures = fields.List(fields.Nested(AuditAdjustedFigureSchema), required=True,
                                   metadata={"description": "figures changed after the close"})
    adjustments = fields.List(fields.Nested(AuditAdjustmentSchema),
                              metadata={"description": "events after the close that touch the year's records"})
    intro = fields.String(allow_none=True)
    sections = fields.List(fields.Dict(), metadata={
        "description": "the summary's sections as /api/summary gives them; an adjusted figure carries "
                       "adjusted: true and sealed: {value, text}"})
    targets = fields.List(fields.Dict())


class AuditCloseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    organisation = fields.String(metadata={"description": "default: the organisation with most records"})
    override_reason = fields.String(validate=validate.Length(max=1000), metadata={
        "description": "an admin's reason for closing while units below are still open (kept with the seal)"})

