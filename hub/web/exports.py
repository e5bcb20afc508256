"""Admin: download the whole-service exports plugins offer (ORDS CSV, calendars...)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for

from hub import audit, auth, clock
from hub.db import get_session
from hub.exchange import Exporter
from hub.web.dashboard import plugin_manager

bp = Blueprint("exports", __name__, url_prefix="/admin/exports")


def offered() -> dict[str, tuple[str, Exporter]]:
    """Each enabled plugin's export formats by name, with the plugin offering it."""
    return plugin_manager().formats("hub_exporters", Exporter)


@bp.get("/")
@auth.require_permission("exports.download")
def index() -> str:
    formats = sorted(offered().items())
    return render_template("hub/admin/exports.html", formats=formats)


@bp.post("/<format_name>")
@auth.require_permission("exports.download")
def download(format_name: str) -> Any:
    found = offered().get(format_name)
    if found is None:
        abort(404)
    plugin, exporter = found
    session = get_session()
    stream = io.StringIO()
    try:
        count = exporter.write(session, stream, {})
    except Exception as exc:
        session.rollback()
        plugin_manager().note_hook_error(plugin, f"export {format_name!r}", exc)
        flash(f"The {format_name} export failed; the error is on the plugins page.", "error")
        return redirect(url_for("exports.index"))
    audit.record(session, "export", format_name, records=count)
    session.commit()
    filename = f"{format_name}-{clock.today().isoformat()}.{exporter.extension}"
    return Response(
        stream.getvalue(),
        mimetype=exporter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
