"""Importing an Excel/CSV 台账 (blueprint ``sheets``, staff and admins): upload a sheet and choose its
kind of work, check the column each field is read from (suggested from the titles, or as the office
mapped this kind last time), see every row as it would be stored with every bad cell named (row,
column, why), then import all of it or nothing. Importing the same sheet again adds nothing.

The reading, mapping and checking are service/sheets.py's (the CLI's ``taizhang import FILE.xlsx``
uses the same); this file only carries them over HTTP. The upload is kept between the steps by
``services().sheets`` (by its SHA-256, under the data folder), so the page works without JavaScript.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from api.auth import error_page, writer
from api.extensions import services
from api.scope import current_scope
from api.web.display import show_date, show_firms, show_measure
from api.web.forms import form_template
from api.web.language import is_zh, label
from service import sheets

bp = Blueprint("sheets", __name__, url_prefix="/import")
PREVIEW_ROWS = 100  # good rows shown in the preview
SHOWN_ERRORS = 500  # problems listed, and rows with a problem shown (a wrong kind makes every row bad)


def one_language(text: str) -> str:
    """The page's half of a service message written "中文 / English"."""
    zh, sep, en = str(text).partition(" / ")
    return (zh if is_zh() else en) if sep else str(text)


@bp.context_processor
def _helpers():
    return {"zh": is_zh(), "label": label, "one_language": one_language}


def _kinds() -> list[sheets.SheetKind]:
    return list(sheets.sheet_kinds(form_template()).values())


def _upload_page(status: int = 200, error: str | None = None, **form):
    if "kind" not in form:
        form["kind"] = request.args.get("kind", "")
    form.setdefault("organisation", current_scope().default_organisation(services().reports.default_organisation()) or "")
    form.setdefault("sheet", "")
    return render_template("web/sheet_upload.html", kinds=_kinds(), form=form,
                           error=one_language(error) if error else None), status


@bp.route("", methods=["GET", "POST"])
@writer
def upload():
    if request.method == "GET":
        return _upload_page()
    kind_key = request.form.get("kind", "")
    organisation = (request.form.get("organisation") or "").strip()[:200]
    sheet_name = (request.form.get("sheet") or "").strip()[:100]
    form = {"kind": kind_key, "organisation": organisation, "sheet": sheet_name}
    if kind_key not in sheets.sheet_kinds(form_template()):
        return _upload_page(422, _("Choose the kind of work the rows are."), **form)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _upload_page(422, _("Choose an .xlsx or .csv file."), **form)
    data = file.read()
    try:
        sheets.read_sheet(data, file.filename, sheet_name or None)
    except sheets.SheetError as e:
        return _upload_page(422, str(e), **form)
    digest = services().sheets.put(data, file.filename)
    query = {k: v for k, v in form.items() if v}
    return redirect(url_for("sheets.preview", digest=digest, **query), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """A file over the app's request limit (MAX_CONTENT_LENGTH): said on the upload page, in the page's language."""
    limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    return _upload_page(413, _("The file is larger than the upload limit of %(mb)s MB.", mb=f"{limit:g}"), kind="")


def _header_row() -> int | None:
    try:
        value = int(request.values.get("header_row", ""))
    except ValueError:
        return None
    return value if value > 0 else None


@bp.route("/<digest>", methods=["GET", "POST"])
@writer
def preview(digest: str):
    svc = services()
    stored = svc.sheets.get(digest)
    if stored is None:
        return error_page(404, _("This upload is no longer kept: upload the sheet again."))
    data, filename = stored
    kinds = sheets.sheet_kinds(form_template())
    kind_key = request.values.get("kind", "")
    if kind_key not in kinds:
        return redirect(url_for("sheets.upload"), code=303)
    kind = kinds[kind_key]
    organisation = (request.values.get("organisation") or "").strip()[:200] or \
        current_scope().default_organisation(svc.reports.default_organisation()) or ""
    sheet_name = (request.values.get("sheet") or "").strip()[:100] or None
    try:
        sheet = sheets.read_sheet(data, filename, sheet_name, _header_row())
    except sheets.SheetError as e:
        return error_page(422, one_language(str(e)))
    same_form = request.method == "POST" and request.form.get("shown_kind") == kind_key \
        and request.form.get("shown_header_row") == str(sheet.header_row) \
        and request.form.get("shown_sheet", "") == (sheet.name or "")
    if same_form:  # the mapping as the page sent it; a column left on "not imported" stays out
        mapping = {c.title: request.form.get(f"map_{c.index}", "") for c in sheet.columns}
        defaults = {f.name: request.form.get(f"default_{f.name}", "") for f in kind.fields}
    else:  # a new sheet or another kind: as this office mapped the kind last time, else suggested
        suggested = sheets.suggest_mapping(sheet.columns, kind, svc.sheets.mapping(organisation, kind.key))
        mapping = {c.title: suggested.get(c.title, "") for c in sheet.columns}
        defaults = {}
    defaults.pop("organisation", None)
    conversion = sheets.convert(sheet, kind, mapping, defaults, organisation)
    sheets.mark_known(svc.ledger, conversion)
    if request.method == "POST" and request.form.get("action") == "import":
        try:
            report = sheets.import_rows(svc.ledger, conversion, actor=current_user.name, scope=current_scope())
        except sheets.SheetRefused as e:
            return _preview_page(digest, filename, sheet, kind, organisation, conversion, defaults, 422,
                                 refused=e.errors)
        svc.sheets.remember(organisation, kind.key, conversion.mapping, current_user.name)
        flash(_("Imported from %(file)s: %(added)s added, %(known)s already recorded.", file=filename,
                added=report.added, known=report.already_there))
        return redirect(url_for("web.records", kind=kind.key), code=303)
    return _preview_page(digest, filename, sheet, kind, organisation, conversion, defaults, 200)


def _shown(f: sheets.SheetField, value) -> str:
    """A converted value as the page shows it (dates and amounts the Chinese way in the zh page)."""
    if value in (None, "", []):
        return "—"
    if f.type == "date":
        return show_date(value)
    if f.type in ("count", "money"):
        return show_measure(f, value)
    if f.type == "choice":
        choice = f.choices.get(str(value))
        return label(choice) if choice else str(value)
    if f.type == "firms":
        return show_firms(value)
    if f.type == "firm_codes":
        return "、".join(value) if isinstance(value, list) else str(value)
    return str(value)


def _preview_page(digest, filename, sheet, kind, organisation, conversion, defaults, status, refused=None):
    mapped = [(c, kind.field(conversion.mapping[c.title])) for c in sheet.columns
              if conversion.mapping.get(c.title) in kind.names]
    by_cell = {}
    for e in conversion.errors if refused is None else refused:
        by_cell.setdefault((e.row, e.letter), []).append(e)
    rows, shown_good, shown_bad = [], 0, 0
    raw_rows = {row.number: row for row in sheet.rows}
    for r in conversion.rows:
        bad = bool(r.errors)
        if not bad:
            shown_good += 1
            if shown_good > PREVIEW_ROWS:
                continue
        else:
            shown_bad += 1
            if shown_bad > SHOWN_ERRORS:
                continue
        raw = raw_rows[r.number]
        cells = []
        for column, f in mapped:
            errs = by_cell.get((r.number, column.letter), [])
            if errs:
                value = raw.cells[column.index]
                text = sheets.as_text(value) if value is not None else ""
            elif f.type == "firms":
                text = _shown(f, r.payload.get("firms"))
            elif f.type == "firm_codes":
                text = "—"
            else:
                text = _shown(f, r.payload.get(f.name))
            cells.append({"letter": column.letter, "text": text, "errors": errs})
        row_errors = [e for e in r.errors if e.letter is None]
        status_key = "bad" if bad else ("known" if r.known else "new")
        rows.append({"number": r.number, "status": status_key, "cells": cells, "row_errors": row_errors})
    good = [r for r in conversion.rows if not r.errors]
    counts = {"rows": len(conversion.rows), "bad": len(conversion.rows) - len(good),
              "known": sum(r.known for r in good), "new": sum(not r.known for r in good),
              "skipped": len(conversion.skipped), "errors": len(conversion.errors if refused is None else refused)}
    unmapped_required = [f for f in kind.fields if f.required and f.name != "organisation"]
    errors = conversion.errors if refused is None else refused
    return render_template(
        "web/sheet_preview.html", digest=digest, filename=filename, sheet=sheet, kind=kind, kinds=_kinds(),
        organisation=organisation, mapping=conversion.mapping, defaults=defaults, mapped=mapped, rows=rows,
        counts=counts, errors=errors[:SHOWN_ERRORS], hidden_errors=max(len(errors) - SHOWN_ERRORS, 0),
        default_fields=unmapped_required, hidden_good=max(shown_good - PREVIEW_ROWS, 0),
        hidden_bad=max(shown_bad - SHOWN_ERRORS, 0),
        skipped=conversion.skipped, refused=refused is not None), status

