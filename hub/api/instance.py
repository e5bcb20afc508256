"""This instance: its plugins and the figures it publishes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields, validate

from hub import auth, plugin_manager
from hub.db import get_session
from hub.errors import ApiError
from hub.metrics import MetricsError, compute
from hub.periods import Period, PeriodError
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_instance", __name__, url_prefix="/api/v1", tag="instance")


class MetricDefinitionSchema(Schema):
    name = fields.String()
    unit = fields.String()
    description = fields.String()
    counts = fields.String(metadata={"enum": ["events", "people", "households", "quantity"]})
    counts_people = fields.Boolean()
    window = fields.String()
    codes = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)


class PluginSchema(Schema):
    name = fields.String()
    version = fields.String()
    state = fields.String(metadata={"enum": ["enabled", "disabled", "failed"]})
    error = fields.String(
        allow_none=True, metadata={"description": "Why it failed (shown to admins only)."}
    )
    hooks = fields.List(fields.String())
    metrics = fields.List(fields.Nested(MetricDefinitionSchema))


class FiguresSchema(Schema):
    plugin = fields.String()
    period = fields.String(metadata={"description": "ISO week (2025-W07) or month (2025-02)"})
    metrics = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        metadata={"description": "null: suppressed (a small count of people)."},
    )


class MetricsQuery(Schema):
    plugin = fields.String(validate=validate.Length(min=1, max=40))
    period = fields.String(
        validate=validate.Length(min=1, max=20),
        metadata={"description": "ISO week (2025-W07) or month (2025-02); default: all."},
    )


@bp.operation(
    "/plugins",
    summary="Installed plugins, their state and the metrics they publish",
    permission=None,
    response=PluginSchema,
    many=True,
)
def list_plugins() -> list[dict[str, Any]]:
    rows = plugin_manager.overview(current_app.extensions["hub.plugins"])
    if not auth.can(auth.current_user(), "users.manage"):
        for row in rows:
            row["error"] = "failed to load" if row["error"] else None
    return rows


@bp.operation(
    "/metrics",
    summary="The figures this instance publishes, after disclosure control",
    permission="metrics.view",
    query=MetricsQuery,
    response=FiguresSchema,
    many=True,
)
def list_metrics(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The same list of ``{"plugin", "period", "metrics"}`` as ``hub metrics --json``."""
    manager = current_app.extensions["hub.plugins"]
    try:
        period = Period.parse(query["period"]) if "period" in query else None
    except PeriodError as exc:
        raise ApiError(422, "invalid query string", {"period": [str(exc)]}) from None
    plugin = query.get("plugin")
    if plugin is not None and plugin not in manager.enabled_names():
        raise ApiError(422, "invalid query string", {"plugin": [f"{plugin!r} is not enabled"]})
    try:
        figures = compute(
            get_session(),
            manager,
            current_app.config["SUPPRESSION_THRESHOLD"],
            plugin=plugin,
            period=period,
        )
    except MetricsError as exc:
        # The plugin broke its contract: the admin needs its name, the caller cannot fix it.
        raise ApiError(500, "a plugin computed invalid figures", {"plugin": [str(exc)]}) from None
    return [each.as_json() for each in figures]


def blueprints() -> list[Blueprint]:
    return [bp]
