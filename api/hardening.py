"""Answers for what a hostile client or a failing disk brings, wired by ``install(app)``.

- JSON nested deeper than MAX_JSON_DEPTH is refused with 400 before any view parses it (Python's json
  would raise RecursionError at ~1,000 levels: a 500);
- a storage fault (disk full, read-only folder, I/O error) during a write answers 503 with a plain
  Chinese/English message and Retry-After; reads answer from the read models as they are;
- once the folder can be written again, the services are rebuilt from the composition root, so
  writes resume without a restart;
- /healthz says "unhealthy" (503) with the reason when the data folder cannot be written;
- authenticated pages and every API answer carry ``Cache-Control: no-store``.
Errors keep the one body shape: they go through the app's HTTP error handler.
"""
from __future__ import annotations

import json
import sqlite3
import threading

from eventsourcing.persistence import PersistenceError
from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest, ServiceUnavailable

from projections.faults import storage_fault
from service.bootstrap import bootstrap
from service.storage import write_probe

FAULT = "taizhang_fault"  # app.extensions key: the storage fault a write met, until the store is rebuilt
_rebuilding = threading.Lock()

MAX_JSON_DEPTH = 64
RETRY_AFTER = 30
TOO_DEEP = "JSON 嵌套过深（最多 {n} 层）/ the JSON is nested too deeply (at most {n} levels)"
UNWRITABLE_API = ("数据存储暂时无法写入（{reason}），本次未写入任何内容，请稍后重试 / the data store cannot be "
                  "written just now ({reason}): nothing was written, please try again later")


def json_depth(value, limit: int) -> int:
    """How deep ``value`` nests (lists and objects), counting no further than ``limit + 1``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _refuse_deep_json():
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return None
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        parsed = json.loads(data)
    except RecursionError:
        raise BadRequest(TOO_DEEP.format(n=MAX_JSON_DEPTH)) from None
    except ValueError:
        return None  # not JSON at all: the view answers as it always has
    if json_depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise BadRequest(TOO_DEEP.format(n=MAX_JSON_DEPTH))
    return None


def _too_deep(e: RecursionError):
    """A fallback: any recursion too deep while handling a request is the request's fault, not a 500."""
    return current_app.handle_http_exception(BadRequest(TOO_DEEP.format(n=MAX_JSON_DEPTH)))


def _storage_error(e: Exception):
    reason = storage_fault(e)
    if reason is None:
        raise e
    current_app.logger.error("storage fault on %s %s: %s (%s)", request.method, request.path, reason, e)
    current_app.extensions[FAULT] = reason
    message = UNWRITABLE_API.format(reason=reason) if _is_api() else _(
        "The data store cannot be written just now (%(reason)s): nothing was saved. Please try again later.",
        reason=reason)
    return current_app.handle_http_exception(ServiceUnavailable(message, retry_after=RETRY_AFTER))


def _recover():
    """After a storage fault, once the data folder can be written again, rebuild the services from the
    composition root: connections SQLite opened while the folder was read-only stay read-only, so
    new ones are made (no restart). Runs before a request, at most once per recovery."""
    if FAULT not in current_app.extensions:
        return None
    with _rebuilding:
        if FAULT not in current_app.extensions:
            return None
        old = current_app.extensions["taizhang"]
        if write_probe(old.settings.data) is not None:
            return None  # still faulty: the request meets the fault and answers 503
        current_app.extensions["taizhang"] = bootstrap(old.settings)
        del current_app.extensions[FAULT]
        current_app.logger.warning("storage writable again: services rebuilt (%s)", old.settings.data)
    return None


def health():
    """/healthz: 200 "ok", or 503 "unhealthy" with the reason (the data folder cannot be written)."""
    services = current_app.extensions["taizhang"]
    reason = write_probe(services.settings.data)
    if reason is None and getattr(services.reports, "fault", None):
        reason = f"read models not caught up: {services.reports.fault}"
    if reason:
        return jsonify(status="unhealthy", reason=reason), 503
    return jsonify(status="ok")


def _no_store(response):
    if request.path.startswith("/static/") or "Cache-Control" in response.headers:
        return response
    if _is_api() or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    app.before_request(_recover)
    app.before_request(_refuse_deep_json)
    app.register_error_handler(RecursionError, _too_deep)
    for error in (sqlite3.Error, OSError, PersistenceError):
        app.register_error_handler(error, _storage_error)
    app.after_request(_no_store)
