"""Admin: the installed plugins, their state, failures and published metrics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from hub import auth, plugin_status
from hub.db import get_session
from hub.web.dashboard import plugin_manager

bp = Blueprint("plugins", __name__, url_prefix="/admin/plugins")


@bp.get("/")
@auth.require_permission("plugins.view")
def index() -> str:
    rows = plugin_status.overview(current_app, get_session())
    permissions = auth.permissions().values()
    for row in rows:
        row["permissions"] = [p for p in permissions if p.name.startswith(f"{row['name']}.")]
    return render_template("hub/admin/plugins.html", plugins=rows)


@bp.post("/<name>/failures/clear")
@auth.require_permission("plugins.view")
def clear_failures(name: str) -> Any:
    """Forget a plugin's failures once they are dealt with (new ones show again)."""
    if name not in plugin_manager().records:
        abort(404)
    session = get_session()
    plugin_status.forget(session, plugin_manager(), name)
    session.commit()
    flash(f"The errors of {name} are cleared.", "success")
    return redirect(url_for("plugins.index"))
