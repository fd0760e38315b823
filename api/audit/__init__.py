"""The auditor's view: the whole ledger as a timeline, any record's story, the hash chain verified.

Pages under ``/audit`` (blueprint ``audit``) and the same answers as JSON under ``/api/audit``
(flask-smorest blueprint ``audit_api``): auditors and admins read; only admins close a year. Closing
seals the year at the current chain head with an HMAC under ``TAIZHANG_SEAL_KEY`` (kept outside the
database); it is refused while the ledger does not verify.

Nothing here asks the auditor to trust the server more than the CLI does: the checkpoint offered for
download is what ``taizhang verify --checkpoint`` checks offline against the raw store.
"""
from __future__ import annotations

from flask import Flask

from api.audit.endpoints import api_bp
from api.audit.pages import bp
from api.extensions import csrf


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf.exempt(api_bp)  # the guard below checks the CSRF token of a session's writes; tokens need none
    app.extensions["taizhang_api"].register_blueprint(api_bp)

