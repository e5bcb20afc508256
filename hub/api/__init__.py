"""The core's JSON API at ``/api/v1``, its OpenAPI document and browsable docs.

Plugins add their own :class:`~hub.rest.ApiBlueprint` under ``/api/v1/<plugin>``.
Every failure on the API paths is JSON ``{"error", "details"}``: client
mistakes are 4xx, database constraint failures 409 or 422, and an unexpected
fault a logged 500 that still answers in JSON.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from hub import openapi
from hub.api import account, audit, instance, locations, people, users
from hub.db import get_session, is_busy
from hub.errors import ApiError, FieldError, ServiceBusy
from hub.plugin_manager import PluginError
from hub.rest import handle_http_error

API_PREFIXES = ("/api/", "/federation/", "/.well-known/")

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    for module in (account, people, locations, users, audit, instance):
        for blueprint in module.blueprints():
            app.register_blueprint(blueprint)
    app.add_url_rule("/api/v1/openapi.json", "openapi_json", _openapi_json)
    app.add_url_rule("/api/v1/docs", "api_docs", _api_docs)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(FieldError, _field_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(PluginError, _plugin_error)
    app.register_error_handler(ServiceBusy, _busy)
    app.register_error_handler(PoolTimeout, lambda _exc: _busy(ServiceBusy("no free connection")))
    app.register_error_handler(OperationalError, _operational_error)
    app.register_error_handler(Exception, _unexpected_error)


def _openapi_json() -> Response:
    return jsonify(_document())


def _api_docs() -> str:
    return render_template("hub/api_docs.html", spec=_document())


def _document() -> dict[str, Any]:
    document = current_app.extensions.get("hub.openapi")
    if document is None:
        document = current_app.extensions["hub.openapi"] = openapi.build(current_app)
    return document


def _http_error(exc: HTTPException) -> Any:
    if request.path.startswith(API_PREFIXES):
        return handle_http_error(exc)
    return exc


def _on_api() -> bool:
    return request.path.startswith(API_PREFIXES)


def _reraise(exc: Exception) -> NoReturn:
    # Pages keep Flask's own handling (the web shell's error page, or the
    # traceback in tests); only the API paths answer in JSON here.
    raise exc


def _api_error(exc: ApiError) -> Any:
    if _on_api():
        return exc.response()
    from hub.web import error_page

    return error_page(exc.status, exc.error)


def _field_error(exc: FieldError) -> Any:
    """A service refused a value and the view did not catch it: 422, naming the field."""
    get_session().rollback()
    return _api_error(ApiError(422, "invalid value", exc.details))


def _integrity_error(exc: IntegrityError) -> Any:
    if not _on_api():
        _reraise(exc)
    get_session().rollback()
    log.info("refused a change that breaks a database constraint: %s", exc.orig)
    return ApiError(
        409,
        "conflict",
        {
            "database": [
                "the change conflicts with existing records: a duplicate value, "
                "or a record that others still refer to"
            ]
        },
    ).response()


def _data_error(exc: DataError) -> Any:
    if not _on_api():
        _reraise(exc)
    get_session().rollback()
    log.info("refused a value the database cannot store: %s", exc.orig)
    return ApiError(
        422, "invalid value", {"database": ["a value is out of range or too long"]}
    ).response()


def _plugin_error(exc: PluginError) -> Any:
    if not _on_api():
        _reraise(exc)
    get_session().rollback()
    log.error("%s (on %s %s)", exc, request.method, request.path)
    # Not the caller's fault, but the admin needs to know which plugin to look at.
    return ApiError(500, "a plugin failed", {"plugin": [str(exc)]}).response()


def _operational_error(exc: OperationalError) -> Any:
    if is_busy(exc):
        return _busy(ServiceBusy(str(exc.orig).splitlines()[0]))
    return _unexpected_error(exc)


def _busy(exc: ServiceBusy) -> Response:
    """503 with Retry-After, on pages and the API alike: the request was fine, the
    database or the sign-in queue was too busy, and the same request will work soon."""
    get_session().rollback()
    log.warning("answered 503 on %s %s: %s", request.method, request.path, exc.reason)
    busy = ServiceUnavailable(
        "The hub is busy for a moment. Try again in a few seconds.", retry_after=exc.retry_after
    )
    response = make_response(
        handle_http_error(busy) if _on_api() else current_app.handle_http_exception(busy)
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _unexpected_error(exc: Exception) -> Any:
    if not _on_api():
        _reraise(exc)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return jsonify({"error": "internal error", "details": None}), 500
