"""Who may use the JSON API: a bearer token or a logged-in session; a session's writes carry its CSRF
token; staff and admins write, auditors only read."""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError as CSRFValidationError

from api.auth import LoginUser
from api.extensions import services
from api.rest.errors import SAFE_METHODS, fail


def _bearer_user():
    """The user of the request's bearer token; None when it has no Authorization header; else 401."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        fail(401, "请使用 Authorization: Bearer <令牌> / use Authorization: Bearer <token>")
    user = services().accounts.for_token(token.strip())
    if user is None:
        fail(401, "令牌无效 / the token is not valid")
    return LoginUser(user)


def _check_csrf() -> None:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    names = config.get("WTF_CSRF_HEADERS") or ["X-CSRFToken", "X-CSRF-Token"]
    token = next((request.headers[n] for n in names if request.headers.get(n)), None)
    try:
        validate_csrf(token)
    except CSRFValidationError as e:
        fail(400, f"缺少或无效的 CSRF 令牌（X-CSRFToken 头）/ missing or invalid CSRF token "
                  f"(X-CSRFToken header): {e}")


def guard():
    """Logged in (token or session); a session's writes carry its CSRF token; only staff and admins write."""
    if request.method == "OPTIONS":
        return None
    token_user = _bearer_user()
    if token_user is not None:
        g._login_user = token_user  # the token speaks for this request, whatever the session holds
    elif not current_user.is_authenticated:
        fail(401, "请先登录或提供 API 令牌 / log in or send an API token")
    if request.method not in SAFE_METHODS:
        if token_user is None:
            _check_csrf()
        if not current_user.can_write:
            fail(403, "只有工作人员和管理员可以修改台账 / only staff and admins may change the ledger")
    return None

