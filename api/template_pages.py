"""Admin pages of summary templates (总结模板): the list, the editor with a live preview of the
year's summary, saving a revision (with its reason) and choosing a template for a year.

The editor holds the template as YAML (docs/templates.md): kinds, fields, choices, sections, figures
and wording in one text an office can also export and share. Every check is service/templates.py's:
a bad template is refused with every bad entry named, and nothing is saved.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    jsonify,
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
from domain.errors import DomainError
from domain.template import DEFAULT_NAME, TemplateInvalid, dump_text, load_text
from service import templates as cases

bp = Blueprint("templates", __name__, url_prefix="/admin/templates")


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def _no_store(response, status: int = 200):
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("", methods=["GET"])
@admin
def index():
    reports = services().reports
    return _no_store(render_template("admin/templates.html", templates=reports.templates(),
                                     organisations=reports.organisations(), errors={}, form={}))


@bp.route("/choose", methods=["POST"])
@admin
def choose():
    form = {k: (request.form.get(k) or "").strip() for k in ("organisation", "year", "template", "reason")}
    errors = {}
    if not form["organisation"]:
        errors["organisation"] = _("Enter the organisation.")
    if not form["year"].isdigit() or not 2000 <= int(form["year"]) <= 2100:
        errors["year"] = _("Enter a year from 2000 to 2100.")
    if not form["reason"]:
        errors["reason"] = _("Give a reason.")
    if not errors:
        try:
            cases.choose_template(services().ledger, form["organisation"], int(form["year"]), form["template"],
                                  current_user.name, form["reason"])
            return redirect(url_for("templates.index"), 303)
        except cases.TemplateNotFound:
            errors["template"] = _("No such template.")
        except DomainError as e:
            errors["template"] = str(e)
    reports = services().reports
    return _no_store(render_template("admin/templates.html", templates=reports.templates(),
                                     organisations=reports.organisations(), errors=errors, form=form), 422)


def _editor(name: str, text: str, status: int = 200, errors: list[str] | None = None, saved: dict | None = None,
            reason: str = ""):
    reports = services().reports
    return _no_store(render_template(
        "admin/template_edit.html", name=name, text=text, errors=errors or [], saved=saved, reason=reason,
        revisions=reports.template_revisions(name), organisations=reports.organisations(),
        organisation=request.values.get("organisation") or reports.default_organisation() or "",
        year=request.values.get("year") or (reports.years() or [2020])[0]), status)


@bp.route("/<name>", methods=["GET"])
@admin
def edit(name: str):
    try:
        data = cases.export_template(services().ledger, name)
    except cases.TemplateNotFound:
        data = cases.export_template(services().ledger, DEFAULT_NAME)  # a new template starts from the built-in
        data = {**data, "name": name}
    return _editor(name, dump_text(data))


@bp.route("/<name>", methods=["POST"])
@admin
def save(name: str):
    text = request.form.get("text") or ""
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        return _editor(name, text, 422, [_("Give a reason for the revision (it is kept in the log).")], reason=reason)
    try:
        data = load_text(text)
        if data.get("name") != name:
            raise TemplateInvalid([f"name: 应为 {name}（另存为新模板请改地址）/ must be {name} "
                                   "(to save as a new template, open its own address)"])
        saved = cases.import_template(services().ledger, data, current_user.name, reason)
    except TemplateInvalid as e:
        return _editor(name, text, 422, e.errors, reason=reason)
    except DomainError as e:
        return _editor(name, text, 422, [str(e)], reason=reason)
    return _editor(name, text, saved=saved)


@bp.route("/<name>/preview", methods=["POST"])
@admin
def preview(name: str):
    """The live preview: the year's summary with the text being edited, as JSON (nothing stored)."""
    text = request.form.get("text") or ""
    year = request.form.get("year") or ""
    if not year.isdigit():
        return jsonify({"ok": False, "errors": [_("Enter a year from 2000 to 2100.")]}), 422
    try:
        body = cases.preview(services(), load_text(text), int(year), request.form.get("organisation") or None)
    except TemplateInvalid as e:
        return jsonify({"ok": False, "errors": e.errors}), 422
    return jsonify({"ok": True, "summary": body})
