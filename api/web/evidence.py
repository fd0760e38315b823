"""Evidence pages (blueprint ``evidence``): attach files to a record, remove one, download one, and a
year's evidence bundle (zip) for inspectors.

Staff and admins attach and remove; everyone logged in reads. An upload may be larger than the app's
usual request limit: the limit of these routes follows ``TAIZHANG_EVIDENCE_MAX_BYTES`` (set before the
CSRF check reads the form). A refused file re-shows the record page with the message at the file
field; nothing is stored.
"""
from __future__ import annotations

from uuid import UUID

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from api.auth import error_page, reader, writer
from api.extensions import services
from api.reports_pages import attachment
from api.scope import current_scope, organisation_or_default
from api.web.language import in_language
from api.web.views import _helpers, record_page
from domain.errors import RecordNotFound, RecordRetracted
from domain.evidence import EvidenceNotFound
from service import evidence as cases

bp = Blueprint("evidence", __name__)
bp.context_processor(_helpers)  # the record page is re-shown from here: the staff pages' helpers
FILES_PER_UPLOAD = 10
UPLOADS = {"evidence.upload", "web.log_form"}  # the routes whose requests may carry files


def upload_limit() -> int:
    """The request size an upload may have: its files at the size limit each, and the form around them."""
    return cases.max_bytes() * FILES_PER_UPLOAD + 256 * 1024


def _allow_uploads(endpoint: str | None, values: dict | None) -> None:
    if endpoint in UPLOADS and request.method == "POST":
        request.max_content_length = upload_limit()


@bp.app_errorhandler(413)
def too_large(_error):
    zh, en = "文件过大，未保存任何内容", "the file is too large; nothing was stored"
    limit = cases.max_bytes()
    return error_page(413, in_language(f"文件：{zh}（单个文件上限 {limit // 1024} KB） / file: {en} "
                                       f"(at most {limit // 1024} KB a file)"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.url_value_preprocessor(_allow_uploads)  # runs before every before_request (the CSRF check among them)


def attach_uploads(record_id: UUID, uploads) -> list[dict]:
    """Attach each uploaded file (EvidenceRefused on the first bad one: the ones before it are kept)."""
    return [cases.attach(services(), record_id, f.read(), f.filename, actor=current_user.name, scope=current_scope())
            for f in uploads]


def check_uploads(uploads) -> None:
    """Refuse (EvidenceRefused) before anything is stored when any of the files is bad."""
    if len(uploads) > FILES_PER_UPLOAD:
        raise cases.EvidenceRefused({cases.FIELD: [f"一次最多上传 {FILES_PER_UPLOAD} 个文件 / at most "
                                                   f"{FILES_PER_UPLOAD} files at a time"]})
    for f in uploads:
        data = f.read()
        f.seek(0)
        cases.check_upload(data, f.filename)


def uploaded_files() -> list:
    return [f for f in request.files.getlist(cases.FIELD) if f and (f.filename or f.content_length)]


@bp.post("/records/<uuid:record_id>/evidence")
@writer
def upload(record_id: UUID):
    uploads = uploaded_files()
    try:
        if not uploads:
            cases.check_upload(None, None)
        check_uploads(uploads)
        added = attach_uploads(record_id, uploads)
    except RecordNotFound:
        abort(404)
    except RecordRetracted:
        return record_page(record_id, status=409, evidence_errors=[
            _("The record was retracted: no evidence can be attached to it.")])
    except cases.EvidenceRefused as e:
        return record_page(record_id, status=422, evidence_errors=e.messages.get(cases.FIELD, []))
    new = sum(1 for a in added if a["created"])
    flash(_("%(n)s file(s) attached.", n=new) if new else _("These files were attached already."))
    return redirect(url_for("web.record", record_id=record_id, _anchor="evidence"), code=303)


@bp.post("/records/<uuid:record_id>/evidence/<digest>/remove")
@writer
def remove(record_id: UUID, digest: str):
    try:
        cases.remove(services(), record_id, digest, request.form.get("reason", ""), actor=current_user.name,
                     scope=current_scope())
    except EvidenceNotFound:
        abort(404)
    except cases.EvidenceRefused as e:
        return record_page(record_id, status=422, evidence_errors=e.messages.get("reason", []))
    flash(_("The file was removed; its removal and reason stay in the log."))
    return redirect(url_for("web.record", record_id=record_id, _anchor="evidence"), code=303)


@bp.get("/records/<uuid:record_id>/evidence/<digest>")
@reader
def download(record_id: UUID, digest: str):
    """The stored bytes with their media type; images inline (for thumbnails) when ``?inline=1``."""
    try:
        row, path = cases.read(services(), record_id, digest, scope=current_scope())
    except EvidenceNotFound:
        abort(404)
    if not path.is_file():
        return error_page(410, _("The stored file is missing: run verify."))
    inline = request.args.get("inline") == "1" and row["media_type"].startswith("image/")
    response = send_file(path, mimetype=row["media_type"], as_attachment=not inline,
                         download_name=row["filename"], etag=row["digest"], conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/summary/<int:year>/evidence.zip")
@reader
def bundle(year: int):
    """Every live attachment of the year's live records, one folder per record, and a manifest."""
    organisation = organisation_or_default(request.args.get("organisation")) or \
        services().reports.default_organisation() or ""
    response = Response(cases.bundle(services(), organisation, year), mimetype="application/zip")
    response.headers["Content-Disposition"] = attachment(f"{year}年佐证材料.zip", f"evidence-{year}.zip")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
