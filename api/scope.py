"""The signed-in user's unit scope (service/scope.py holds the rule), once per request, and the 403
every entry point answers when a record or organisation lies outside it."""
from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user

from api.extensions import services
from domain.errors import OutOfScope
from service.scope import EVERYTHING, Scope, scope_for


def current_scope() -> Scope:
    """The scope of the user of this request (the whole ledger for a user of no unit)."""
    if not getattr(current_user, "is_authenticated", False):
        return EVERYTHING
    scope = g.get("taizhang_scope")
    if scope is None:
        scope = g.taizhang_scope = scope_for(services(), current_user.user)
    return scope


def organisation_or_default(organisation: str | None) -> str | None:
    """The organisation asked for, checked against the scope; none asked: the user's unit (or the
    ledger's main organisation for a user of no unit)."""
    scope = current_scope()
    organisation = (organisation or "").strip() or scope.default_organisation(None)
    if organisation:
        scope.check_read(organisation)
    return organisation or None


def guard_record() -> None:
    """Before any view of a record (a route with ``record_id``) reads its input: another unit's record
    is refused (403) here, so a sibling's staff learn nothing from a body's 422 either. The ledger's use
    cases check the same scope again below the web layer."""
    record_id = (request.view_args or {}).get("record_id")
    if record_id is None or not getattr(current_user, "is_authenticated", False):
        return
    scope = current_scope()
    if scope.everything:
        return
    row = services().reports.record(str(record_id))
    if row is None:
        return  # unknown here: the view answers 404 as for anyone
    if request.method in ("GET", "HEAD"):
        scope.check_read(row["organisation"])
    else:
        scope.check_write(row["organisation"])


def install(app: Flask) -> None:
    from api.auth import error_page

    @app.errorhandler(OutOfScope)
    def out_of_scope(e: OutOfScope):
        return error_page(403, str(e))

    app.before_request(guard_record)
