"""The repair café plugin's hook implementations (thin: the work is in the modules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from marshmallow import Schema, fields
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe import demo, ical, metrics, ords, panels, service
from hub_repaircafe.models import MODELS

ALL_ROLES = ("coordinator", "volunteer", "viewer")


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels(MODELS, Path(__file__).parent / "migrations" / "versions")


class SettingsSchema(Schema):
    # Empty data_provider and group_identifier fall back to the instance's name;
    # an empty id_prefix is made from the data provider's letters.
    data_provider = fields.String(load_default="")
    group_identifier = fields.String(load_default="")
    country = fields.String(load_default="GBR")
    id_prefix = fields.String(load_default="")
    timezone = fields.String(load_default="Europe/London")


@api.hookimpl
def hub_settings() -> type[Schema]:
    return SettingsSchema


@api.hookimpl
def hub_blueprints(app: Flask) -> list[Blueprint]:
    from hub_repaircafe.api import bp as api_bp
    from hub_repaircafe.views import bp as pages_bp

    return [api_bp, pages_bp]


@api.hookimpl
def hub_permissions() -> list[api.Permission]:
    return [
        api.Permission("repaircafe.view", "See repair café events, records and impact", ALL_ROLES),
        api.Permission(
            "repaircafe.log", "Log items at the repair table", ("coordinator", "volunteer")
        ),
        api.Permission(
            "repaircafe.manage", "Plan events; edit and delete repair records", ("coordinator",)
        ),
        api.Permission(
            "repaircafe.impact", "Change the weights and emission factors used for impact", ()
        ),
    ]


@api.hookimpl
def hub_nav_items(user: api.User) -> list[api.NavItem]:
    return [
        api.NavItem("Repair café", "repaircafe.events", "repaircafe.view", order=30),
        api.NavItem("Log an item", "repaircafe.log_start", "repaircafe.log", order=31),
        api.NavItem("Repairs", "repaircafe.records", "repaircafe.view", order=32),
    ]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> list[api.Panel]:
    return panels.dashboard_panels(session, today)


@api.hookimpl
def hub_metrics() -> list[api.Metric]:
    return metrics.definitions()


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[api.Period]
) -> dict[api.Period, dict[str, int]]:
    return {period: metrics.compute(session, period) for period in periods}


@api.hookimpl
def hub_metric_periods(session: Session) -> Iterable[dt.date]:
    return metrics.activity_dates(session)


@api.hookimpl
def hub_importers() -> list[api.Importer]:
    return [api.Importer("ords", "Open Repair Data Standard v0.3 CSV (repair records)", ords.read)]


@api.hookimpl
def hub_exporters() -> list[api.Exporter]:
    return [
        api.Exporter(
            "ords",
            "Open Repair Data Standard v0.3 CSV of every repair record",
            "text/csv",
            ords.write,
        ),
        api.Exporter(
            "repaircafe-ical",
            "Upcoming public repair café events as iCalendar",
            "text/calendar",
            ical.write,
            extension="ics",
        ),
    ]


@api.hookimpl
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    demo.load(session, today, locations)


@api.hookimpl
def hub_user_data(session: Session, user: api.User) -> dict[str, Any] | None:
    return service.fixer_records(session, user)


@api.hookimpl
def hub_erase_user(session: Session, user: api.User) -> int:
    return service.forget_fixer(session, user)
