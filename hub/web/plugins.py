"""Admin: the installed plugins, their state, errors and published metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from hub import auth
from hub.metrics import Metric
from hub.plugin_manager import PluginRecord
from hub.web.dashboard import plugin_manager

bp = Blueprint("plugins", __name__, url_prefix="/admin/plugins")


@dataclass
class PluginStatus:
    record: PluginRecord
    metrics: list[Metric]
    permissions: list[auth.Permission]


@bp.get("/")
@auth.require_permission("plugins.view")
def index() -> str:
    manager = plugin_manager()
    statuses = []
    for name, record in sorted(manager.records.items()):
        metrics: list[Metric] = []
        if record.state == "enabled":
            try:
                metrics = manager.metric_definitions(name)
            except Exception as exc:
                manager.note_hook_error(name, "hub_metrics", exc)
        permissions = [
            permission
            for permission in auth.permissions().values()
            if permission.name.startswith(f"{name}.")
        ]
        statuses.append(PluginStatus(record, metrics, permissions))
    return render_template("hub/admin/plugins.html", plugins=statuses)
