"""The JSON API under /api (flask-smorest): errors (one body shape), the guard, the endpoints,
the spec's fix-ups and the docs page, one file each; ``init_api`` puts them together."""
from __future__ import annotations

from api.rest.docs import docs_page
from api.rest.endpoints import blp
from api.rest.errors import PREFIX, TaizhangApi
from api.rest.evidence import evidence_blp
from api.rest.org_units import blp as units_blp
from api.rest.spec import (
    BEARER,
    SESSION,
    _catalogue_properties,
    _register_kind_schemas,
    _spec_options,
)
from api.rest.templates import blp as templates_blp


def init_api(app):
    api = TaizhangApi(app, spec_kwargs=_spec_options())
    api.spec.components.security_scheme(BEARER, {
        "type": "http", "scheme": "bearer",
        "description": "an API token (Authorization: Bearer tz_…), issued per user"})
    api.spec.components.security_scheme(SESSION, {
        "type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME", "session"),
        "description": "a browser session (log in at /login); writes must send the page's CSRF token "
                       "in the X-CSRFToken header"})
    api.ma_plugin.converter.add_attribute_function(_catalogue_properties)
    _register_kind_schemas(api)
    api.register_blueprint(blp)
    api.register_blueprint(templates_blp)
    api.register_blueprint(evidence_blp)
    api.register_blueprint(units_blp)
    app.add_url_rule(f"{PREFIX}/docs", "api_docs", docs_page, methods=["GET"])
    app.extensions["taizhang_api"] = api
    return api
