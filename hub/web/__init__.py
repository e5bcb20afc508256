"""The web shell: sign-in, the dashboard, and the frame plugin pages sit in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, render_template

from hub import auth
from hub.web import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.context_processor(_shell_context)
    for status in (403, 404, 405):
        app.register_error_handler(status, _error_page(status))


def navigation(user: Any) -> list[Any]:
    """Navigation entries from the core and plugins that ``user`` may use."""
    if user is None:
        return []
    plugins = current_app.extensions["hub.plugins"]
    items = [item for _, item in plugins.contributions("hub_nav_items", user=user)]
    items += views.CORE_NAV
    visible = [item for item in items if auth.can(user, item.permission)]
    return sorted(visible, key=lambda item: (item.order, item.label))


def _shell_context() -> dict[str, Any]:
    user = auth.current_user()
    return {
        "current_user": user,
        "can": lambda permission: auth.can(user, permission),
        "nav_items": navigation(user),
        "instance_name": current_app.config["INSTANCE_NAME"],
        "today": dt.date.today(),
    }


def _error_page(status: int) -> Any:
    from flask import request

    from hub.api import API_PREFIXES
    from hub.rest import handle_http_error

    def handler(exc: Any) -> Any:
        if request.path.startswith(API_PREFIXES):
            return handle_http_error(exc)
        return render_template("hub/error.html", error=exc), status

    return handler
