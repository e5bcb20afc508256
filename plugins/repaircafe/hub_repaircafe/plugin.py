"""The repair café plugin's hook implementations (thin: the work is in the modules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe import api as repaircafe_api
from hub_repaircafe import demo, exchange, metrics, panels, service, settings, views
from hub_repaircafe.i18n import TRANSLATIONS, _
from hub_repaircafe.models import MODELS

# The plugin API it is written for: one-time form tokens and corrections came in 1.2.
HUB_API = ">=1.2,<2"
ALL_ROLES = ("coordinator", "volunteer", "viewer")


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels(MODELS, Path(__file__).parent / "migrations" / "versions")


@api.hookimpl
def hub_settings() -> type[settings.SettingsSchema]:
    return settings.SettingsSchema


@api.hookimpl
def hub_translations() -> api.Translations:
    return TRANSLATIONS


@api.hookimpl
def hub_blueprints(app: Flask) -> list[Blueprint]:
    return [repaircafe_api.bp, views.bp]


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
        api.NavItem(_("Repair café"), "repaircafe.events", "repaircafe.view", order=30),
        api.NavItem(
            _("Log an item"), "repaircafe.log_start", "repaircafe.log", order=31, quick=True
        ),
        api.NavItem(_("Repairs"), "repaircafe.records", "repaircafe.view", order=32),
    ]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> list[api.Panel]:
    return panels.dashboard_panels(session, today)


@api.hookimpl
def hub_service_label() -> str:
    return "Repair café"


@api.hookimpl
def hub_service_locations(session: Session, today: dt.date) -> list[int]:
    return service.locations_in_use(session, today)


@api.hookimpl
def hub_metrics() -> list[api.Metric]:
    return metrics.definitions()


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[api.Period]
) -> dict[api.Period, dict[str, int]]:
    return metrics.compute(session, periods)


@api.hookimpl
def hub_metric_periods(session: Session) -> Iterable[dt.date]:
    return metrics.activity_dates(session)


@api.hookimpl
def hub_importers() -> Iterable[api.Importer]:
    return exchange.IMPORTERS


@api.hookimpl
def hub_exporters() -> Iterable[api.Exporter]:
    return exchange.EXPORTERS


@api.hookimpl
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    demo.load(session, today, locations)


@api.hookimpl
def hub_user_data(session: Session, user: api.User) -> dict[str, Any] | None:
    return service.fixer_records(session, user)


@api.hookimpl
def hub_erase_user(session: Session, user: api.User) -> int:
    return service.forget_fixer(session, user)
