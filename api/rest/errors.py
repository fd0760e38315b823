"""The API's one error body, for every HTTP error of the app under /api (the site's page elsewhere).

Every error answers ``{"code": 404, "status": "Not Found", "message": "…", "errors": {field: [messages]}}``
(``errors`` only where fields are at fault; ``current_version`` on a version conflict)."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Api, abort
from werkzeug.exceptions import HTTPException

from api.api_schemas import ErrorSchema
from api.auth import error_page

PREFIX = "/api"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WEBARGS_LOCATIONS = frozenset({"json", "query", "querystring", "path", "view_args", "headers", "form",
                               "files", "cookies", "json_or_form"})
INVALID = "请求无效 / the request is not valid"


def fail(code: int, message: str, errors: dict | None = None, **extra: Any):
    """Stop with an error in the API's one shape."""
    kwargs: dict[str, Any] = {"message": message, **extra}
    if errors is not None:
        kwargs["errors"] = errors
    abort(code, **kwargs)


def _plain_keys(messages: Any) -> Any:
    """Messages with text keys only (marshmallow keys list items by int: JSON sorting cannot mix them)."""
    if isinstance(messages, dict):
        return {str(k): _plain_keys(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [_plain_keys(v) for v in messages]
    return messages


def _by_field(errors: Any) -> Any:
    """webargs nests messages under the request location ("json", "query"): name the fields directly."""
    if isinstance(errors, dict) and errors and set(errors) <= WEBARGS_LOCATIONS:
        merged: dict = {}
        for location, messages in errors.items():
            if isinstance(messages, dict):
                merged.update(messages)
            else:
                merged[location] = messages
        return merged
    return errors


def _is_api_path() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


class TaizhangApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        """Every HTTP error of the app: the API's JSON shape under /api, the site's page elsewhere.

        Werkzeug's own headers are kept (``Allow`` on a 405); webargs may pass ``headers=None``.
        """
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        data = getattr(error, "data", None) or {}
        headers.update(data.get("headers") or {})
        if not _is_api_path():
            body, status = error_page(error.code, error.description)
            return body, status, headers
        payload: dict[str, Any] = {"code": error.code, "status": error.name}
        payload["message"] = data.get("message") or (INVALID if error.code == 422 else error.description)
        errors = data.get("errors", data.get("messages"))
        if errors:
            payload["errors"] = _plain_keys(_by_field(errors))
        for key in ("current_version", "stored", "given"):
            if key in data:
                payload[key] = data[key]
        if error.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="taizhang"')
        return payload, error.code, headers



ERROR_RESPONSES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
                   422: "UNPROCESSABLE_ENTITY", 503: "SERVICE_UNAVAILABLE"}


def error_responses(blueprint, *codes: int):
    """Document an operation's error answers (the common Error body) for the given status codes."""
    def decorator(view):
        for code in codes:
            view = blueprint.alt_response(code, response=ERROR_RESPONSES[code])(view)
        return view

    return decorator
