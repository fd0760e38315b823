"""The audit JSON API under /api/audit (flask-smorest blueprint ``audit_api``): the pages' answers, documented."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import (
    current_app,
    g,
    request,
)
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError as CSRFValidationError

from api.api_schemas import DiffArgsSchema, DifferenceSchema, SummaryArgsSchema
from api.audit.reads import (
    MAX_PAGE_SIZE,
    MAX_YEAR,
    MIN_YEAR,
    SAFE_METHODS,
    BadInput,
    _as_of,
    audit_summary,
    checkpoint_from,
    record_story,
    run_verify,
    timeline_rows,
)
from api.audit.schemas import (
    AuditCheckpointSchema,
    AuditCloseSchema,
    AuditEventArgsSchema,
    AuditEventPageSchema,
    AuditSealSchema,
    AuditStorySchema,
    AuditSummarySchema,
    AuditVerificationSchema,
    AuditVerifyArgsSchema,
)
from api.auth import LoginUser
from api.extensions import services
from api.rest.errors import error_responses
from api.scope import current_scope, organisation_or_default
from domain.errors import RecordNotFound
from service import audit as audit_cases
from service.audit import AuditRefused

api_bp = ApiBlueprint("audit_api", __name__, url_prefix="/api/audit",
                      description="For auditors: the ledger's timeline, a record's story, the hash chain verified, "
                                  "checkpoints, the year's summary with its seal and post-close adjustments; "
                                  "closing a year (admins).")


def _errors(*codes: int):
    """Document error answers with the API's one error body (the Api's registered responses)."""
    return error_responses(api_bp, *codes)


def _fail(code: int, message: str, errors: dict | None = None):
    kwargs: dict[str, Any] = {"message": message}
    if errors is not None:
        kwargs["errors"] = errors
    api_abort(code, **kwargs)


@api_bp.before_request
def _api_guard():
    """Auditors and admins, by bearer token or session; writes: admins, and a session's CSRF token."""
    if request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _sep, token = header.strip().partition(" ")
        user = services().accounts.for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            _fail(401, "令牌无效 / the token is not valid")
        g._login_user = LoginUser(user)  # the token speaks for this request, whatever the session holds
    elif not current_user.is_authenticated:
        _fail(401, "请先登录或提供 API 令牌 / log in or send an API token")
    if not current_user.can_audit:
        _fail(403, "只有审计人员和管理员可以查看 / only auditors and admins may read the audit")
    if request.method not in SAFE_METHODS:
        if not current_user.is_admin:
            _fail(403, "只有管理员可以关闭年度 / only admins may close a year")
        if header is None and current_app.config.get("WTF_CSRF_ENABLED", True):
            names = current_app.config.get("WTF_CSRF_HEADERS") or ["X-CSRFToken", "X-CSRF-Token"]
            token = next((request.headers[n] for n in names if request.headers.get(n)), None) \
                or request.form.get("csrf_token")
            try:
                validate_csrf(token)
            except CSRFValidationError as e:
                _fail(400, f"缺少或无效的 CSRF 令牌（X-CSRFToken 头）/ missing or invalid CSRF token: {e}")
    return None


def _api_input(do):
    try:
        return do()
    except BadInput as e:
        _fail(422, "请求无效 / the request is not valid", {e.name: [e.message]})
    except (ValueError, OverflowError) as e:
        _fail(422, "请求无效 / the request is not valid", {"as_of": [str(e)]})


def _api_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        _fail(404, f"年份应在 {MIN_YEAR} 与 {MAX_YEAR} 之间 / the year must be {MIN_YEAR} to {MAX_YEAR}")


@api_bp.route("/events", methods=["GET"])
@api_bp.arguments(AuditEventArgsSchema, location="query")
@api_bp.response(200, AuditEventPageSchema)
@_errors(401, 403, 422)
def api_events(args):
    """The ledger's timeline

    Every stored event from the read model (position, when recorded, who, what, which record, why),
    filtered by when it was recorded, actor, kind, event or record, and paged.
    """
    size = args.get("page_size") or min(int(current_app.config.get("PAGE_SIZE") or 50), MAX_PAGE_SIZE)
    rows, total = _api_input(lambda: timeline_rows(
        since=args.get("since"), until=args.get("until"), actor=args.get("actor"), kind=args.get("kind"),
        event=args.get("event"), record_id=args.get("record_id"), page=args["page"], size=size,
        ascending=args["order"] == "asc"))
    return {"items": rows, "total": total, "page": args["page"], "page_size": size}


@api_bp.route("/records/<uuid:record_id>/story", methods=["GET"])
@api_bp.response(200, AuditStorySchema)
@_errors(401, 403, 404)
def api_story(record_id: UUID):
    """A record's story

    Each event of the record: its position, what it did, which fields changed from what to what, who,
    when it was recorded and the record's date as of then.
    """
    try:
        return record_story(record_id)
    except RecordNotFound:
        _fail(404, f"没有这条记录 / no record {record_id}")


@api_bp.route("/verify", methods=["GET"])
@api_bp.arguments(AuditVerifyArgsSchema, location="query")
@api_bp.response(200, AuditVerificationSchema)
@_errors(401, 403, 422)
def api_verify(args):
    """Verify the hash chain

    Recomputes the chain from the raw stored events and checks it against the stored chain, the seals
    (their HMAC when the server has the key) and, given its position and head, a checkpoint. `ok` false
    lists the problems, first bad position first. (An auditor who trusts no server runs
    `taizhang verify --checkpoint FILE` on a copy of the store.)
    """
    checkpoint = _api_input(lambda: checkpoint_from(args.get("position"), args.get("head")))
    return run_verify(checkpoint).as_json()


@api_bp.route("/checkpoint", methods=["GET"])
@api_bp.response(200, AuditCheckpointSchema)
@_errors(401, 403)
def api_checkpoint():
    """Take a checkpoint

    The chain's position and head now, to keep offline and give to `taizhang verify --checkpoint`.
    """
    return services().reports.checkpoint()


@api_bp.route("/summary/<int:year>", methods=["GET"])
@api_bp.arguments(SummaryArgsSchema, location="query")
@api_bp.response(200, AuditSummarySchema)
@_errors(401, 403, 404, 422)
def api_summary(args, year: int):
    """The year's summary with its seal

    As /api/summary, with the seal of a closed year, the figures adjusted after the close (sealed and
    adjusted values) and the events that adjusted them.
    """
    _api_year(year)
    return _api_input(lambda: audit_summary(year, args.get("organisation"), _as_of("as_of", args.get("as_of"))))


@api_bp.route("/summary/<int:year>/diff", methods=["GET"])
@api_bp.arguments(DiffArgsSchema, location="query")
@api_bp.response(200, DifferenceSchema)
@_errors(401, 403, 404, 422)
def api_summary_diff(args, year: int):
    """What changed in the year's summary between two moments

    Figure by figure, between the summary as of `before` and as of `after` (default: now).
    """
    _api_year(year)

    def compare():
        before = _as_of("before", args.get("before"))
        if before is None:
            raise BadInput("before", "必填 / required")
        return services().reports.difference(year, before, _as_of("after", args.get("after")),
                                             organisation_or_default(args.get("organisation")))

    return _api_input(compare)


@api_bp.route("/years/<int:year>/close", methods=["POST"])
@api_bp.arguments(AuditCloseSchema, location="json", required=False)
@api_bp.response(201, AuditSealSchema)
@_errors(400, 401, 403, 404, 409, 422, 503)
def api_close_year(body, year: int):
    """Close a year (admins)

    Seals the year at the current chain head: position, head and an HMAC under the server's seal key.
    409 when it was closed already or the ledger does not verify; 503 when the server has no seal key.
    Later corrections of the year's records show as adjustments beside the sealed figures.
    """
    _api_year(year)
    try:
        return audit_cases.close_year(services(), year, (body or {}).get("organisation"), current_user.name,
                                      override_reason=(body or {}).get("override_reason"), scope=current_scope())
    except AuditRefused as e:
        errors = {"problems": e.problems} if e.problems else None
        _fail(e.status, str(e), errors)
