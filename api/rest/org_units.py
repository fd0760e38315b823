"""The JSON API of the organisation tree (区县 → 市 → 省 → 全国): list it; admins add, move, rename and
merge units. Every rule is service/org_units.py's, the same as ``taizhang org …`` and the admin page's."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.api_schemas import Plain
from api.extensions import csrf, services
from api.rest.errors import PREFIX, SAFE_METHODS, error_responses, fail
from api.rest.guard import guard
from api.scope import current_scope
from domain.errors import DomainError, OutOfScope
from domain.org_units import LEVELS
from service import org_units as cases

blp = Blueprint("api_units", __name__, url_prefix=PREFIX,
                description="Organisation units (组织单元): the tree a summary rolls up")
blp.before_request(guard)
csrf.exempt(blp)

LEVEL_WORDS = [*LEVELS, *(zh for zh, _ in LEVELS.values())]
CODE = validate.Length(min=1, max=40)
REASON = fields.String(required=True, validate=validate.Length(min=1, max=500))


@blp.before_request
def _only_admins_change_the_tree():
    if request.method not in SAFE_METHODS and not current_user.is_admin:
        fail(403, "只有管理员可以修改组织单元 / only admins change the organisation tree")


class UnitSchema(Plain):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"description": "district | city | province | national"})
    parent = fields.String(allow_none=True, metadata={"description": "the code of the unit above"})
    merged_into = fields.String(metadata={"description": "after a merge: the code of the unit merged into"})


class AddSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    level = fields.String(required=True, validate=validate.OneOf(LEVEL_WORDS))
    code = fields.String(required=True, validate=CODE)
    parent = fields.String(load_default=None, allow_none=True, validate=CODE)


class MoveSchema(Schema):
    class Meta:
        unknown = RAISE

    parent = fields.String(required=True, allow_none=True, metadata={"description": "null: a root"})
    reason = REASON


class RenameSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = REASON


class MergeSchema(Schema):
    class Meta:
        unknown = RAISE

    into = fields.String(required=True, validate=CODE)
    reason = REASON


def _do(call):
    try:
        return call()
    except DomainError as e:
        fail(403 if isinstance(e, OutOfScope) else 422, str(e))


@blp.route("/units")
class Units(MethodView):
    @blp.response(200, UnitSchema(many=True))
    @error_responses(blp, 401)
    def get(self):
        """The organisation tree: every unit with its level and parent"""
        return services().reports.units()

    @blp.arguments(AddSchema)
    @blp.response(201, UnitSchema)
    @error_responses(blp, 400, 401, 403, 422)
    def post(self, body):
        """Add a unit (admins); records logged under its name belong to it, existing ones too"""
        return _do(lambda: cases.add_unit(services().ledger, body["name"], body["level"], body["code"],
                                          body["parent"], current_user.name, scope=current_scope()))


@blp.route("/units/<code>/moves")
class Moves(MethodView):
    @blp.arguments(MoveSchema)
    @blp.response(200, UnitSchema)
    @error_responses(blp, 400, 401, 403, 422)
    def post(self, body, code):
        """Move a unit under another parent (admins), with the reason"""
        return _do(lambda: cases.move_unit(services().ledger, code, body["parent"], current_user.name,
                                           body["reason"], scope=current_scope()))


@blp.route("/units/<code>/renames")
class Renames(MethodView):
    @blp.arguments(RenameSchema)
    @blp.response(200, UnitSchema)
    @error_responses(blp, 400, 401, 403, 422)
    def post(self, body, code):
        """Rename a unit (admins); its records under the old name stay its own"""
        return _do(lambda: cases.rename_unit(services().ledger, code, body["name"], current_user.name,
                                             body["reason"], scope=current_scope()))


@blp.route("/units/<code>/merges")
class Merges(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, UnitSchema)
    @error_responses(blp, 400, 401, 403, 422)
    def post(self, body, code):
        """Merge a unit into another of its level (admins): its records and the units below go with it"""
        return _do(lambda: cases.merge_unit(services().ledger, code, body["into"], current_user.name,
                                            body["reason"], scope=current_scope()))
