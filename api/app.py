"""The Flask app factory: wires service (ledger, accounts) and projections (reports) to HTTP.

Serve it with waitress through the factory (``waitress-serve --call api:create_app``), never as
``python app.py`` (eventsourcing topics stored from ``__main__`` cannot be resolved elsewhere).
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFError

from api.extensions import EXTENSION, LANGUAGES, csrf, login_manager
from service.bootstrap import Settings, bootstrap


def select_locale() -> str:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return session.get("lang") or "zh_CN"


def _secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    secret = os.environ.get("TAIZHANG_SECRET_KEY")
    env = os.environ.get("TAIZHANG_ENV", "")
    if secret:
        app.config["SECRET_KEY"] = secret
    elif env == "development" or app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    else:
        raise RuntimeError(
            "TAIZHANG_SECRET_KEY is not set: set it to a long random string "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))'), "
            f"or set TAIZHANG_ENV=development for a throwaway key (TAIZHANG_ENV is {env!r})."
        )


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` is applied over the defaults (e.g. ``{"TESTING": True}``).

    SECRET_KEY comes from ``TAIZHANG_SECRET_KEY``; only in development (``TAIZHANG_ENV=development``)
    or under test may it be left out, and then a random one is made for this process.
    """
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("TAIZHANG_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(os.path.dirname(__file__), "translations"),
        API_TITLE="taizhang 台账 API",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        WTF_CSRF_TIME_LIMIT=None,
        PAGE_SIZE=50,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    if test_config is not None:
        app.config.update(test_config)
    _secret_key(app)

    settings = Settings.from_env(app.config.get("TAIZHANG_DATA"), app.config.get("LEDGER_ENV"))
    app.extensions[EXTENSION] = bootstrap(settings)

    Babel(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)

    from api import auth, reports_pages, rest, web  # noqa: E402  (blueprints need the app's extensions)

    app.register_blueprint(auth.bp)
    app.register_blueprint(web.bp)
    from api.web import sheet_import  # noqa: E402  (the Excel/CSV 台账 import)

    app.register_blueprint(sheet_import.bp)
    app.register_blueprint(reports_pages.bp)
    rest.init_api(app)
    _optional_blueprints(app)

    from api import hardening  # noqa: E402  (503 on storage faults, deep JSON, no-store, health)

    hardening.install(app)
    from api import scope  # noqa: E402  (403 outside the user's organisation unit)

    scope.install(app)
    app.add_url_rule("/healthz", "healthz", hardening.health, methods=["GET"])

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.context_processor
    def shared_context():
        from datetime import date

        years = app.extensions[EXTENSION].reports.years() if request.endpoint not in ("static",) else []
        labels = {"staff": "工作人员 / staff", "auditor": "审计 / auditor", "admin": "管理员 / admin"}
        from flask_babel import get_locale

        return {"default_year": years[0] if years else date.today().year, "years": years, "get_locale": get_locale,
                "view_names": set(app.view_functions), "role_label": lambda r: labels.get(r, r)}

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        from api.auth import error_page
        return error_page(400, e.description)

    return app


def _optional_blueprints(app: Flask) -> None:
    """Blueprints that grow with later issues (audit pages, admin)."""
    import importlib

    for name in ("api.admin", "api.audit", "api.template_pages", "api.unit_pages", "api.web.evidence"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(app)

