"""The core's JSON API at ``/api/v1``, its OpenAPI document and browsable docs.

Plugins add their own :class:`~hub.rest.ApiBlueprint` under ``/api/v1/<plugin>``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from hub import openapi
from hub.api import account
from hub.errors import ApiError
from hub.rest import handle_http_error

API_PREFIXES = ("/api/", "/federation/", "/.well-known/")


def init_app(app: Flask) -> None:
    for blueprint in account.blueprints():
        app.register_blueprint(blueprint)
    app.add_url_rule("/api/v1/openapi.json", "openapi_json", _openapi_json)
    app.add_url_rule("/api/v1/docs", "api_docs", _api_docs)
    app.register_error_handler(ApiError, lambda exc: exc.response())
    app.register_error_handler(HTTPException, _http_error)


def _openapi_json() -> Response:
    document = current_app.extensions.get("hub.openapi")
    if document is None:
        document = current_app.extensions["hub.openapi"] = openapi.build(current_app)
    return jsonify(document)


def _api_docs() -> str:
    document = current_app.extensions.get("hub.openapi") or openapi.build(current_app)
    return render_template("hub/api_docs.html", spec=document)


def _http_error(exc: HTTPException) -> Any:
    if request.path.startswith(API_PREFIXES):
        return handle_http_error(exc)
    return exc
