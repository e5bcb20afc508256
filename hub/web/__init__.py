"""The web shell: sign-in, the dashboard, the core's pages, and the frame plugin
pages sit in. One module per concern, each with its own blueprint."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from hub import auth, clock
from hub.web import (
    account,
    admin,
    approvals,
    audit_log,
    dashboard,
    embed,
    exports,
    imports,
    language,
    locations,
    people,
    plugins,
    public,
    public_report,
    settings,
    signin,
    users,
)

log = logging.getLogger(__name__)

# The core's pages, registered through hub_blueprints by its default plugin (hub.defaults).
BLUEPRINTS = (
    signin.bp,
    language.bp,
    dashboard.bp,
    account.bp,
    people.bp,
    locations.bp,
    admin.bp,
    users.bp,
    plugins.bp,
    audit_log.bp,
    exports.bp,
    imports.bp,
    public.bp,
    public_report.bp,
    embed.bp,
    approvals.bp,
    settings.bp,
)
ERROR_PAGES = (400, 403, 404, 405, 413, 429, 500, 503)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_shell_context)
    for status in ERROR_PAGES:
        app.register_error_handler(status, _error_page)


def _shell_context() -> dict[str, Any]:
    user = auth.current_user()
    # Panels render with this context too: ask the plugins once per request.
    if "hub_nav" not in g:
        g.hub_nav = dashboard.navigation(user)
    return {
        "current_user": user,
        "can": lambda permission: auth.can(user, permission),
        "nav_items": g.hub_nav,
        "instance_name": current_app.config["INSTANCE_NAME"],
        "today": clock.today(),
    }


def error_page(status: int, description: str) -> Any:
    """The error page for ``status``, saying ``description`` (an API error raised on a page)."""
    error = default_exceptions.get(status, InternalServerError)(description=description)
    return _error_page(error)


def _error_page(exc: Exception) -> Any:
    from hub.api import API_PREFIXES
    from hub.rest import handle_http_error

    error = exc if isinstance(exc, HTTPException) else InternalServerError()
    if request.path.startswith(API_PREFIXES):
        return handle_http_error(error)
    status = error.code or 500
    try:
        return render_template("hub/error.html", error=error), status
    except Exception:
        # The shell itself is broken (the database is down, say): answer plainly.
        log.exception("the error page for %s could not be rendered", status)
        return f"{status} {error.name}\n", status, {"Content-Type": "text/plain; charset=utf-8"}
