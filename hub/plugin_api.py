"""The public API for plugins: everything a plugin may import from the core.

A plugin imports this module and nothing else of ``hub``, exactly as a third
party's plugin would; the core may change its insides, not these names.

    from hub import plugin_api as api

    @api.hookimpl
    def hub_metrics():
        return [api.Metric("loans", "loans", "Tools lent", counts="events")]
"""

from __future__ import annotations

from typing import Any

import pluggy
from flask import current_app

from hub import audit, charts
from hub.auth import Permission, can, current_user, require_permission
from hub.config import plugin_settings as _plugin_settings
from hub.db import Model, UTCDateTime, get_session, utcnow
from hub.errors import ApiError, not_found
from hub.exchange import Exporter, Importer, ImportReport, Progress, RowProblem
from hub.metrics import Metric
from hub.migrate import PluginModels
from hub.models import Location, Person, User, personal
from hub.periods import Period, PeriodError, periods_for_dates
from hub.rest import ApiBlueprint, PageQuery, load, read_json_body
from hub.shell import NavItem, Panel

hookimpl = pluggy.HookimplMarker("hub")

record_audit = audit.record
record_created = audit.record_created


def plugin_settings(plugin: str) -> dict[str, Any]:
    """The plugin's settings: its ``hub_settings`` defaults, overridden by the config."""
    manager = current_app.extensions["hub.plugins"]
    defaults = manager.call(plugin, "hub_settings") or {}
    return _plugin_settings(current_app.config, plugin, defaults)


def instance_info() -> dict[str, Any]:
    """This instance's public identity: name, locality, base URL."""
    config = current_app.config
    return {
        "name": config["INSTANCE_NAME"],
        "locality": dict(config["LOCALITY"]),
        "base_url": config["BASE_URL"],
    }


__all__ = [
    "ApiBlueprint",
    "ApiError",
    "Exporter",
    "ImportReport",
    "Importer",
    "Location",
    "Metric",
    "Model",
    "NavItem",
    "PageQuery",
    "Panel",
    "Period",
    "PeriodError",
    "Permission",
    "Person",
    "PluginModels",
    "Progress",
    "RowProblem",
    "UTCDateTime",
    "User",
    "can",
    "charts",
    "current_user",
    "get_session",
    "hookimpl",
    "instance_info",
    "load",
    "not_found",
    "periods_for_dates",
    "personal",
    "plugin_settings",
    "read_json_body",
    "record_audit",
    "record_created",
    "require_permission",
    "utcnow",
]
