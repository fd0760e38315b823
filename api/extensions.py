"""The app-wide objects every blueprint shares, and the one accessor to the services.

Blueprints import from here, never from api/app.py (the factory imports the blueprints, so the other
way round is an import circle; an import-linter contract forbids it). ``services()`` answers what
``service.bootstrap.bootstrap()`` built for the running app, kept in ``app.extensions``.
"""
from __future__ import annotations

from flask import current_app
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from service.bootstrap import Services

EXTENSION = "taizhang"
LANGUAGES = ("zh_CN", "en")

csrf = CSRFProtect()
login_manager = LoginManager()


def services() -> Services:
    """The services of the app handling this request (``current_app.extensions["taizhang"]``)."""
    return current_app.extensions[EXTENSION]
