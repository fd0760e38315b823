"""Staff pages: pick a kind, log it, the ledger list, a record's page, correct and retract. (stub)"""
from __future__ import annotations

from flask import Blueprint, redirect, url_for

from api.auth import reader, writer

bp = Blueprint("web", __name__)


@bp.get("/")
@reader
def index():
    return redirect(url_for("web.records"))


@bp.get("/log")
@writer
def choose_kind():
    return "log"


@bp.get("/records")
@reader
def records():
    return "records"
