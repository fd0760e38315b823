"""Admin page of the organisation tree: the units, indented under their parents; adding a unit, and
moving, renaming or merging one with its reason. The rules are service/org_units.py's (as the CLI's
and the API's); a refused change names its field and stores nothing."""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from api.auth import admin
from api.extensions import services
from api.scope import current_scope
from domain.errors import DomainError
from domain.org_units import LEVELS
from service import org_units as cases

bp = Blueprint("units", __name__, url_prefix="/admin/units")
CHANGES = ("move", "rename", "merge")


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def _tree(units: list[dict]) -> list[tuple[int, dict]]:
    """(depth, unit) in tree order: every unit under its parent."""
    by_parent: dict = {}
    for u in units:
        by_parent.setdefault(u["parent"], []).append(u)
    codes = {u["code"] for u in units}
    out: list[tuple[int, dict]] = []

    def walk(unit: dict, depth: int) -> None:
        out.append((depth, unit))
        for child in by_parent.get(unit["code"], []):
            walk(child, depth + 1)

    for root in [u for u in units if u["parent"] not in codes]:
        walk(root, 0)
    return out


def _page(status: int = 200, **context):
    context.setdefault("add", {"name": "", "level": "district", "code": "", "parent": ""})
    context.setdefault("change", {"code": "", "action": "move", "value": "", "reason": ""})
    context.setdefault("errors", {})
    units = services().reports.units()
    loose = services().reports.unattached() if units else []
    response = make_response(render_template("admin/units.html", tree=_tree(units), units=units, levels=LEVELS,
                                             changes=CHANGES, unattached=loose, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@admin
def index():
    return _page()


@bp.post("")
@admin
def add():
    form = {k: (request.form.get(k) or "").strip() for k in ("name", "level", "code", "parent")}
    errors = {k: _("Required.") for k in ("name", "code") if not form[k]}
    if form["level"] not in LEVELS:
        errors["level"] = _("Choose a level.")
    if errors:
        return _page(422, add=form, errors=errors)
    try:
        unit = cases.add_unit(services().ledger, form["name"], form["level"], form["code"], form["parent"] or None,
                              current_user.name, scope=current_scope())
    except DomainError as e:
        message = str(e)  # the unit above is missing or of a level not above; else the code is taken
        field = "parent" if form["parent"] and ("上级" in message or "没有代码" in message) else "code"
        return _page(422, add=form, errors={field: str(e)})
    flash(_("Unit %(name)s added.", name=unit["name"]))
    return redirect(url_for("units.index"), code=303)


@bp.post("/change")
@admin
def change():
    form = {k: (request.form.get(k) or "").strip() for k in ("code", "action", "value", "reason")}
    errors = {}
    if not form["code"]:
        errors["code"] = _("Choose a unit.")
    if form["action"] not in CHANGES:
        errors["action"] = _("Choose what to change.")
    if form["action"] in ("rename", "merge") and not form["value"]:
        errors["value"] = _("Required.")
    if not form["reason"]:
        errors["reason"] = _("Give the reason: it is kept in the log.")
    if errors:
        return _page(422, change=form, errors=errors)
    ledger, who, scope = services().ledger, current_user.name, current_scope()
    try:
        if form["action"] == "move":
            cases.move_unit(ledger, form["code"], form["value"] or None, who, form["reason"], scope=scope)
        elif form["action"] == "rename":
            cases.rename_unit(ledger, form["code"], form["value"], who, form["reason"], scope=scope)
        else:
            cases.merge_unit(ledger, form["code"], form["value"], who, form["reason"], scope=scope)
    except DomainError as e:
        return _page(422, change=form, errors={"value": str(e)})
    flash(_("The change is recorded with its reason."))
    return redirect(url_for("units.index"), code=303)
