"""The JSON API (flask-smorest): log, correct, retract, list, summary. (stub)"""
from __future__ import annotations

from flask_smorest import Api


def init_api(app):
    api = Api(app)
    app.extensions["taizhang_api"] = api
    return api
