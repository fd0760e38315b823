"""The JSON API of summary templates: list, read, import (define or revise), choose for a year, and
preview a year's summary with an edited template. Everyone logged in reads; only admins change
templates. Every rule is service/templates.py's, the same as the CLI's and the admin pages'."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.api_schemas import Plain, SummarySchema
from api.extensions import csrf, services
from api.rest.errors import PREFIX, SAFE_METHODS, error_responses, fail
from api.rest.guard import guard
from domain.errors import DomainError
from domain.template import TemplateInvalid
from service import templates as cases

blp = Blueprint("api_templates", __name__, url_prefix=PREFIX,
                description="Summary templates (总结模板): kinds, sections, figures and wording as data")
blp.before_request(guard)
csrf.exempt(blp)


@blp.before_request
def _only_admins_change_templates():
    if request.method not in SAFE_METHODS and not current_user.is_admin:
        fail(403, "只有管理员可以修改模板 / only admins change templates")


def _answers(*codes: int):
    return error_responses(blp, *codes)


READ = (401,)
WRITE = (400, 401, 403, 404, 422)


class TemplateListSchema(Plain):
    name = fields.String(required=True)
    version = fields.Integer(metadata={"description": "latest revision (0: the built-in template as shipped)"})
    position = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    recorded_at = fields.String(allow_none=True)
    used_by = fields.List(fields.Dict(), metadata={"description": "[{organisation, year}] that use it"})


class TemplateDataSchema(Plain):
    """A template's data (docs/templates.md), as `taizhang template export` writes it."""

    format = fields.String()
    name = fields.String(required=True)
    title = fields.String()
    title_en = fields.String()
    level = fields.String()
    document = fields.Dict()
    sections = fields.List(fields.Dict())
    kinds = fields.List(fields.Dict())
    figures = fields.List(fields.Dict())


class ImportedSchema(Plain):
    name = fields.String(required=True)
    version = fields.Integer(metadata={"description": "the revision now (0: the built-in one as shipped)"})
    changed = fields.Boolean(metadata={"description": "false when the same template was imported again"})
    digest = fields.String()
    chosen = fields.List(fields.Dict(), metadata={"description": "[{organisation, year}] newly using it"})
    kinds = fields.Integer()
    figures = fields.Integer()


class ChosenSchema(Plain):
    organisation = fields.String(required=True)
    year = fields.Integer(required=True)
    template = fields.String(required=True)


class ImportBodySchema(Schema):
    class Meta:
        unknown = RAISE

    template = fields.Dict(required=True, metadata={"description": "the template's data (docs/templates.md)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    organisation = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    years = fields.List(fields.Integer(strict=True, validate=validate.Range(2000, 2100)), load_default=list)


class ChooseBodySchema(Schema):
    class Meta:
        unknown = RAISE

    organisation = fields.String(required=True, validate=validate.Length(min=1, max=200))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    template = fields.String(required=True, validate=validate.Length(min=1, max=60))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PreviewBodySchema(Schema):
    class Meta:
        unknown = RAISE

    template = fields.Dict(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    organisation = fields.String(load_default=None)


def _invalid(e: TemplateInvalid):
    fail(422, "模板有误，未保存 / the template is not valid: nothing stored", {"template": e.errors})


@blp.route("/templates")
class Templates(MethodView):
    @blp.response(200, TemplateListSchema(many=True))
    @_answers(*READ)
    def get(self):
        """Every template, its latest revision and who uses it for which year"""
        return services().reports.templates()

    @blp.arguments(ImportBodySchema)
    @blp.response(200, ImportedSchema)
    @_answers(*WRITE)
    def post(self, body):
        """Import a template: define it, or revise the one of its name; optionally choose it for years

        A bad template stores nothing; every bad entry is named in `errors.template`.
        """
        try:
            return cases.import_template(services().ledger, body["template"], current_user.name, body["reason"],
                                         body["organisation"], body["years"])
        except TemplateInvalid as e:
            _invalid(e)
        except DomainError as e:
            fail(422, str(e))


@blp.route("/templates/<name>")
class OneTemplate(MethodView):
    @blp.response(200, TemplateDataSchema)
    @_answers(401, 404)
    def get(self, name):
        """A template's data (its latest revision), as `taizhang template export` writes it"""
        try:
            return cases.export_template(services().ledger, name)
        except cases.TemplateNotFound as e:
            fail(404, str(e))


@blp.route("/template-choices")
class Choices(MethodView):
    @blp.arguments(ChooseBodySchema)
    @blp.response(200, ChosenSchema)
    @_answers(*WRITE)
    def post(self, body):
        """Choose a template for an organisation's year"""
        try:
            return cases.choose_template(services().ledger, body["organisation"], body["year"], body["template"],
                                         current_user.name, body["reason"])
        except cases.TemplateNotFound as e:
            fail(404, str(e))
        except DomainError as e:
            fail(422, str(e))


@blp.route("/template-preview")
class Preview(MethodView):
    @blp.arguments(PreviewBodySchema)
    @blp.response(200, SummarySchema)
    @_answers(*WRITE)
    def post(self, body):
        """The year's summary as it would read with an edited template (nothing is stored)"""
        try:
            return cases.preview(services(), body["template"], body["year"], body["organisation"])
        except TemplateInvalid as e:
            _invalid(e)
