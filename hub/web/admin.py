"""The admin area's front page: the admin pages this user may open, and (for
admins) what ``hub doctor`` finds needs doing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, url_for

from hub import auth, doctor


@dataclass(frozen=True)
class Section:
    title: str
    endpoint: str
    permission: str
    description: str


SECTIONS = (
    Section("Users", "users.index", "users.manage", "Who can sign in, and with what role."),
    Section(
        "Plugins",
        "plugins.index",
        "plugins.view",
        "Which services are enabled, their versions, errors and the figures they publish.",
    ),
    Section("Audit log", "audit_log.index", "audit.view", "Every change: who, what and when."),
    Section(
        "Exports",
        "exports.index",
        "exports.download",
        "Download a service's records in a standard format (ORDS CSV, calendars).",
    ),
    Section(
        "Imports",
        "imports.index",
        "imports.run",
        "Bring in the spreadsheets a service keeps today, checked row by row first.",
    ),
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@auth.require_permission()
def index() -> str:
    user = auth.current_user()
    allowed = [section for section in SECTIONS if auth.can(user, section.permission)]
    if not allowed:
        abort(403)
    links = [(section, url_for(section.endpoint)) for section in allowed]
    # A page must not wait long on a peer that does not answer.
    findings = (
        doctor.examine(current_app, doctor.Limits(timeout=2.0))
        if auth.can(user, "health.view")
        else None
    )
    return render_template("hub/admin/index.html", sections=links, findings=findings)
