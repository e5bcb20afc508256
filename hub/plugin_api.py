"""The public API for plugins: everything a plugin may import from the core.

A plugin imports this module and nothing else of ``hub``, exactly as a third
party's plugin would; the core may change its insides, not these names.

    from hub import plugin_api as api

    HUB_API = ">=1.1,<2"  # the versions of this module the plugin is written for

    @api.hookimpl
    def hub_metrics():
        return [api.Metric("loans", "loans", "Tools lent", counts="events")]
"""

from __future__ import annotations

import copy
from typing import Any

import pluggy
from flask import current_app

from hub import audit, charts
from hub.auth import Permission, can, current_user, require_permission
from hub.db import Model, UTCDateTime, get_session, utcnow
from hub.errors import ApiError, not_found
from hub.exchange import Exporter, Importer, ImportReport, Progress, RowProblem
from hub.metrics import Metric
from hub.migrate import PluginModels
from hub.models import Location, Person, User, personal
from hub.periods import Period, PeriodError, PeriodFigures, period_start, periods_for_dates
from hub.plugin_manager import API_VERSION
from hub.rest import ApiBlueprint, PageQuery, load, read_json_body
from hub.shell import NavItem, Panel

hookimpl = pluggy.HookimplMarker("hub")

record_audit = audit.record
record_created = audit.record_created


def plugin_settings(plugin: str) -> dict[str, Any]:
    """The plugin's settings as its ``hub_settings`` schema loaded them at start-up
    (its defaults, then ``hub.toml``, then the environment); a copy to read."""
    return copy.deepcopy(current_app.config["PLUGIN_SETTINGS"][plugin])


def instance_info() -> dict[str, Any]:
    """This instance's public identity: name, locality, base URL."""
    config = current_app.config
    return {
        "name": config["INSTANCE_NAME"],
        "locality": dict(config["LOCALITY"]),
        "base_url": config["BASE_URL"],
    }


__all__ = [
    "API_VERSION",
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
    "PeriodFigures",
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
    "period_start",
    "periods_for_dates",
    "personal",
    "plugin_settings",
    "read_json_body",
    "record_audit",
    "record_created",
    "require_permission",
    "utcnow",
]
