"""The summary page per year, its downloads and its chart. (stub)"""
from __future__ import annotations

from flask import Blueprint

from api.auth import reader

bp = Blueprint("reports", __name__)


@bp.get("/summary/<int:year>")
@reader
def summary_page(year: int):
    return str(year)
