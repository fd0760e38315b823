"""Logins, roles and the language switch.

Staff log and correct; auditors read everything and write nothing; admins manage users and close
years. Browsers log in with a form (argon2-checked, five failures lock the name for five minutes);
programs send ``Authorization: Bearer <token>``.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlparse

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from api.extensions import LANGUAGES, login_manager, services

bp = Blueprint("auth", __name__)


class LoginUser:
    """The Flask-Login view of an account."""

    def __init__(self, user, sid: str | None = None):
        self.user = user
        self.sid = sid  # the server-side session id of a browser login (None for a token)
        self.name = user.name
        self.role = user.role
        self.unit = user.unit  # the organisation unit's code; None: the whole ledger (api/scope.py)

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.sid or ""

    @property
    def can_write(self) -> bool:
        return self.user.can_write

    @property
    def can_audit(self) -> bool:
        return self.user.can_audit

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


@login_manager.user_loader
def load_user(sid: str):
    user = services().accounts.for_session(sid)  # a revoked (logged-out) session id finds no one
    return LoginUser(user, sid) if user else None


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = services().accounts.for_token(header[7:].strip())
        return LoginUser(user) if user else None
    return None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path))


def error_page(status: int, message: str):
    if request.path.startswith("/api/"):
        return {"code": status, "status": str(status), "message": message}, status
    return render_template("error.html", status=status, message=message), status


def requires(check):
    """A view decorator: logged in, and ``check(user)`` true (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


reader = requires(lambda u: True)
writer = requires(lambda u: u.can_write)
auditor = requires(lambda u: u.can_audit)
admin = requires(lambda u: u.is_admin)


def _safe_next(target: str | None) -> str:
    if target and not urlparse(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    name = ""
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        password = request.form.get("password") or ""
        accounts = services().accounts
        if not name:
            error = _("Enter your user name.")
        elif accounts.is_locked(name, source=request.remote_addr or ""):
            error = _("Too many failed logins: try again in a few minutes.")
            return render_template("login.html", error=error, name=name), 429
        else:
            user = accounts.verify(name, password, source=request.remote_addr or "")
            if user:
                session.clear()
                login_user(LoginUser(user, accounts.open_session(user.name)))
                return redirect(_safe_next(request.args.get("next")))
            error = _("Wrong user name or password.")
        return render_template("login.html", error=error, name=name), 401
    return render_template("login.html", error=error, name=name)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and getattr(current_user, "sid", None):
        services().accounts.revoke_session(current_user.sid)
    logout_user()
    session.clear()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def language(code: str):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or request.referrer and urlparse(request.referrer).path))
