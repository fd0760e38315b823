"""A minimal Flask app: the real web app grows here later.

Serve it with waitress through the factory (``waitress-serve --call api:create_app``), never as
``python app.py`` (eventsourcing topics stored from ``__main__`` cannot be resolved elsewhere).
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

INDEX_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>台账 taizhang — 工作台账</title>
</head>
<body>
<h1>台账 taizhang — 工作台账</h1>
<p>区工商联工作台账：每一项服务工作都记为一条事件，年终工作总结的数字由事件推算。</p>
</body>
</html>
"""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` is applied over the defaults (e.g. ``{"TESTING": True}``).

    SECRET_KEY comes from ``TAIZHANG_SECRET_KEY``; only in development (``TAIZHANG_ENV=development``)
    or under test may it be left out, and then a random one is made for this process.
    """
    app = Flask(__name__)
    if test_config is not None:
        app.config.update(test_config)

    if not app.config.get("SECRET_KEY"):
        secret = os.environ.get("TAIZHANG_SECRET_KEY")
        env = os.environ.get("TAIZHANG_ENV", "")
        if secret:
            app.config["SECRET_KEY"] = secret
        elif env == "development" or app.testing:
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        else:
            raise RuntimeError(
                "TAIZHANG_SECRET_KEY is not set: set it to a long random string "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))'), "
                f"or set TAIZHANG_ENV=development for a throwaway key (TAIZHANG_ENV is {env!r})."
            )

    @app.get("/")
    def index():
        return INDEX_HTML, 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
