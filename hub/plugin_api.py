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
import warnings
from typing import Any

import pluggy
from flask import current_app
from marshmallow import validate

from hub import audit, charts, fields, mail, settings_store
from hub.auth import Permission, can, current_user, require_permission
from hub.clock import now, today
from hub.corrections import Voidable, VoidIn, correct, reason_field, void
from hub.db import Model, UTCDateTime, get_or_404, get_session
from hub.errors import ApiError, FieldError
from hub.exchange import (
    Exporter,
    Importer,
    ImportReport,
    Progress,
    RowProblem,
    csv_text,
    csv_writer,
)
from hub.forms import Form, Schema
from hub.i18n import N_, Translations, format_date, format_number
from hub.metrics import Metric
from hub.migrate import PluginModels
from hub.models import Location, Person, User, personal
from hub.paging import Page, paginate, requested_page
from hub.people import erasure
from hub.periods import (
    Period,
    PeriodError,
    PeriodFigures,
    PeriodKind,
    period_start,
    periods_for_dates,
)
from hub.plugin_manager import API_VERSION
from hub.rest import ApiBlueprint
from hub.search import text_search
from hub.shell import NavItem, Panel

hookimpl = pluggy.HookimplMarker("hub")

MailError = mail.MailError
mail_configured = mail.configured
mail_connection = mail.connection
record_audit = audit.record
record_created = audit.record_created


def plugin_settings(plugin: str) -> dict[str, Any]:
    """The plugin's settings as its ``hub_settings`` schema loads them: its defaults,
    then ``hub.toml``, then the environment, then what coordinators saved in the
    settings page (since 1.2); a copy to read."""
    return copy.deepcopy(settings_store.effective(plugin))


def instance_info() -> dict[str, Any]:
    """This instance's public identity: name, locality, base URL."""
    config = current_app.config
    return {
        "name": config["INSTANCE_NAME"],
        "locality": dict(config["LOCALITY"]),
        "base_url": config["BASE_URL"],
    }


def _deprecated() -> dict[str, tuple[Any, str]]:
    from hub import db, errors, forms, paging, rest

    return {
        "load": (forms.load_json, "ApiBlueprint.operation(body=..., query=...) or api.Form"),
        "not_found": (errors.not_found, "api.get_or_404(Model, id)"),
        "PageQuery": (paging.PageQuery, "ApiBlueprint.operation(paginate=True)"),
        "read_json_body": (rest.read_json_body, "ApiBlueprint.operation(body=...)"),
        "utcnow": (db.utcnow, "api.now"),
    }


def __getattr__(name: str) -> Any:
    """Names of the plugin API before version 1.1, kept working for one release."""
    replaced = _deprecated().get(name)
    if replaced is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value, instead = replaced
    warnings.warn(
        f"hub.plugin_api.{name} is deprecated; use {instead}", DeprecationWarning, stacklevel=2
    )
    return value


__all__ = [
    "API_VERSION",
    "N_",
    "ApiBlueprint",
    "ApiError",
    "Exporter",
    "FieldError",
    "Form",
    "ImportReport",
    "Importer",
    "Location",
    "MailError",
    "Metric",
    "Model",
    "NavItem",
    "Page",
    "Panel",
    "Period",
    "PeriodError",
    "PeriodFigures",
    "PeriodKind",
    "Permission",
    "Person",
    "PluginModels",
    "Progress",
    "RowProblem",
    "Schema",
    "Translations",
    "UTCDateTime",
    "User",
    "VoidIn",
    "Voidable",
    "can",
    "charts",
    "correct",
    "csv_text",
    "csv_writer",
    "current_user",
    "erasure",
    "fields",
    "format_date",
    "format_number",
    "get_or_404",
    "get_session",
    "hookimpl",
    "instance_info",
    "mail_configured",
    "mail_connection",
    "now",
    "paginate",
    "period_start",
    "periods_for_dates",
    "personal",
    "plugin_settings",
    "reason_field",
    "record_audit",
    "record_created",
    "requested_page",
    "require_permission",
    "text_search",
    "today",
    "validate",
    "void",
]
