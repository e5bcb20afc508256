"""This instance: its plugins and the figures it publishes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields, validate

from hub import auth, plugin_status
from hub.db import get_session
from hub.errors import ApiError
from hub.metrics import compute
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


class PluginFailureSchema(Schema):
    part = fields.String(metadata={"description": "The hook, or the part of what it contributed."})
    error = fields.String(metadata={"description": "What went wrong (shown to admins only)."})
    count = fields.Integer()
    first_at = fields.String(allow_none=True)
    last_at = fields.String(allow_none=True)


class PluginSchema(Schema):
    name = fields.String()
    version = fields.String()
    state = fields.String(metadata={"enum": ["enabled", "disabled", "failed"]})
    error = fields.String(
        allow_none=True, metadata={"description": "Why it failed to load (shown to admins only)."}
    )
    default = fields.Boolean(metadata={"description": "The core's own default plugin."})
    hooks = fields.List(fields.String())
    metrics = fields.List(fields.Nested(MetricDefinitionSchema))
    failures = fields.List(
        fields.Nested(PluginFailureSchema),
        metadata={"description": "Parts of the plugin that failed and were skipped."},
    )


class FiguresSchema(Schema):
    plugin = fields.String()
    period = fields.String(
        allow_none=True,
        metadata={"description": "ISO week (2025-W07) or month (2025-02); null for a failure."},
    )
    metrics = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        allow_none=True,
        metadata={"description": "null values: suppressed (a small count of people)."},
    )
    error = fields.String(
        metadata={
            "description": "Only on an entry for a plugin whose figures could not be "
            "computed (period and metrics are null); the other plugins' figures are listed."
        }
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
    rows = plugin_status.overview(current_app, get_session())
    if not auth.can(auth.current_user(), "plugins.view"):
        for row in rows:
            row["error"] = "failed to load" if row["error"] else None
            for failure in row["failures"]:
                failure["error"] = "failed"
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
    """The same list of ``{"plugin", "period", "metrics"}`` as ``hub metrics --json``,
    with one ``{"plugin", "period": null, "metrics": null, "error"}`` entry for
    each plugin whose figures could not be computed."""
    manager = current_app.extensions["hub.plugins"]
    try:
        period = Period.parse(query["period"]) if "period" in query else None
    except PeriodError as exc:
        raise ApiError(422, "invalid query string", {"period": [str(exc)]}) from None
    plugin = query.get("plugin")
    if plugin is not None and plugin not in manager.enabled_names():
        raise ApiError(422, "invalid query string", {"plugin": [f"{plugin!r} is not enabled"]})
    found = compute(
        get_session(),
        manager,
        current_app.config["SUPPRESSION_THRESHOLD"],
        plugin=plugin,
        period=period,
    )
    # A plugin's failure is the admin's to fix, not the caller's: the others' figures stand.
    return found.as_json(details=auth.can(auth.current_user(), "plugins.view"))


def blueprints() -> list[Blueprint]:
    return [bp]
