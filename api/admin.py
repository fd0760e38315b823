"""Admin pages: the users and their roles; adding a user (its password is shown once)."""
from __future__ import annotations

from flask import Blueprint, Flask, make_response, render_template, request
from flask_babel import gettext as _

from api.auth import admin
from api.extensions import services
from service.accounts import ROLES, AccountError
from service.scope import check_unit

bp = Blueprint("admin", __name__, url_prefix="/admin")


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def _page(status: int = 200, **context):
    context.setdefault("form", {"name": "", "role": "staff", "unit": ""})
    context.setdefault("errors", {})
    context.setdefault("created", None)
    units = services().reports.units()
    response = make_response(render_template("admin/users.html", users=services().accounts.all(), roles=ROLES,
                                              units=units, unit_names={u["code"]: u["name"] for u in units},
                                              **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users", methods=["GET", "POST"])
@admin
def users():
    if request.method == "GET":
        return _page()
    name = (request.form.get("name") or "").strip()
    role = request.form.get("role") or ""
    unit = (request.form.get("unit") or "").strip()
    form = {"name": name, "role": role, "unit": unit}
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter a user name.")
    if role not in ROLES:
        errors["role"] = _("Choose a role.")
    try:
        unit = check_unit(services(), unit)
    except AccountError as e:
        errors["unit"] = str(e)
    if errors:
        return _page(422, form=form, errors=errors)
    try:
        password = services().accounts.add(name, role, unit=unit)
    except AccountError as e:
        return _page(422, form=form, errors={"name": str(e)})
    return _page(200, created={"name": name, "role": role, "password": password})
