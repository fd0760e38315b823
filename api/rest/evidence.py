"""Evidence in the JSON API: list a record's attachments, attach files (multipart, field ``file``).

The same use cases as the record page (service/evidence.py): files accepted by content, the size
limit from ``TAIZHANG_EVIDENCE_MAX_BYTES``, a refusal answers 422 naming ``file`` and stores nothing.
Staff and admins attach; everyone logged in reads (the API's guard)."""
from __future__ import annotations

from uuid import UUID

from flask import request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from api.api_schemas import Plain
from api.extensions import csrf, services
from api.rest.errors import INVALID, PREFIX, fail
from api.rest.guard import guard
from api.scope import current_scope
from domain.errors import ConflictError, RecordNotFound, RecordRetracted
from service import evidence as cases

evidence_blp = Blueprint("evidence_api", __name__, url_prefix=PREFIX,
                         description="Evidence (佐证材料): files attached to a record.")
evidence_blp.before_request(guard)
csrf.exempt(evidence_blp)
FILES_PER_UPLOAD = 10


class AttachmentSchema(Plain):
    digest = fields.String(required=True, metadata={"description": "SHA-256 of the bytes (hex)"})
    size = fields.Integer(required=True)
    media_type = fields.String(required=True, metadata={"description": "judged from the content"})
    filename = fields.String(required=True)
    attached_by = fields.String(allow_none=True)
    attached_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    url = fields.String(required=True, metadata={"description": "where to download the bytes"})
    created = fields.Boolean(metadata={"description": "on upload: false when these bytes were attached already"})


UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"},
                                "description": "one or more files: PDF, PNG, JPEG, xlsx or docx"}}}}},
}


def _limit(endpoint, values):
    if endpoint == "evidence_api.Evidence" and request.method == "POST":
        request.max_content_length = cases.max_bytes() * FILES_PER_UPLOAD + 256 * 1024


evidence_blp.url_value_preprocessor(_limit)


def _row(record_id: UUID, row: dict) -> dict:
    return {**row, "url": url_for("evidence.download", record_id=record_id, digest=row["digest"])}


def _exists(record_id: UUID) -> None:
    try:
        services().ledger.get(record_id)
    except RecordNotFound:
        fail(404, f"没有这条记录 / no record {record_id}")


@evidence_blp.route("/records/<uuid:record_id>/evidence")
class Evidence(MethodView):
    @evidence_blp.response(200, AttachmentSchema(many=True))
    @evidence_blp.alt_response(401, response="UNAUTHORIZED")
    @evidence_blp.alt_response(404, response="NOT_FOUND")
    def get(self, record_id: UUID):
        """A record's evidence

        Its live attachments, oldest first, each with its digest, size, media type and download URL.
        """
        _exists(record_id)
        return [_row(record_id, r) for r in services().reports.evidence.for_record(str(record_id))]

    @evidence_blp.doc(requestBody=UPLOAD_BODY)
    @evidence_blp.response(201, AttachmentSchema(many=True), description="Attached")
    @evidence_blp.alt_response(400, response="BAD_REQUEST")
    @evidence_blp.alt_response(401, response="UNAUTHORIZED")
    @evidence_blp.alt_response(403, response="FORBIDDEN")
    @evidence_blp.alt_response(404, response="NOT_FOUND")
    @evidence_blp.alt_response(409, response="CONFLICT")
    @evidence_blp.alt_response(413, response="DEFAULT_ERROR")
    @evidence_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, record_id: UUID):
        """Attach files to a record

        multipart/form-data with one or more ``file`` parts. Every file is checked first (type by
        content, size, not empty): one bad file answers 422 naming ``file`` and nothing is stored.
        """
        _exists(record_id)
        uploads = [f for f in request.files.getlist(cases.FIELD) if f]
        try:
            if not uploads:
                cases.check_upload(None, None)
            if len(uploads) > FILES_PER_UPLOAD:
                fail(422, INVALID, {"file": [f"一次最多上传 {FILES_PER_UPLOAD} 个文件 / at most "
                                             f"{FILES_PER_UPLOAD} files at a time"]})
            bodies = [(f.read(), f.filename) for f in uploads]
            for data, name in bodies:
                cases.check_upload(data, name)
            added = [cases.attach(services(), record_id, data, name, actor=current_user.name, scope=current_scope())
                     for data, name in bodies]
        except cases.EvidenceRefused as e:
            fail(422, INVALID, e.messages)
        except RecordRetracted:
            fail(409, f"记录已撤销，不能附加材料 / record {record_id} was retracted: nothing can be attached")
        except ConflictError as e:
            fail(409, f"请重试 / busy, try again: {e}")
        rows = {r["digest"]: r for r in services().reports.evidence.for_record(str(record_id))}
        return [{**_row(record_id, rows[a["digest"]]), "created": a["created"]} for a in added], 201
