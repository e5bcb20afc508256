"""The food bank plugin's hook implementations (thin: the work lives in its modules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_foodbank import api as api_module
from hub_foodbank import (
    cli,
    demo,
    exchange,
    metrics,
    models,
    panels,
    people,
    privacy,
    service,
    settings,
    views,
)
from hub_foodbank.i18n import TRANSLATIONS, _
from hub_foodbank.permissions import HOUSEHOLDS, LOG, PERMISSIONS, VIEW

# The plugin API it is written for: one-time form tokens and corrections came in 1.2.
HUB_API = ">=1.2,<2"
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels(models.MODELS, MIGRATIONS)


@api.hookimpl
def hub_settings() -> type[settings.SettingsSchema]:
    return settings.SettingsSchema


@api.hookimpl
def hub_translations() -> api.Translations:
    return TRANSLATIONS


@api.hookimpl
def hub_blueprints(app: Flask) -> Iterable[Blueprint]:
    return [api_module.bp, views.bp, privacy.bp]


@api.hookimpl
def hub_permissions() -> Iterable[api.Permission]:
    return PERMISSIONS


@api.hookimpl
def hub_cli_commands() -> Iterable[click.Command]:
    return cli.COMMANDS


@api.hookimpl
def hub_nav_items(user: api.User) -> Iterable[api.NavItem]:
    return [
        api.NavItem(_("Log a parcel"), "foodbank.quick", LOG, order=10, quick=True),
        api.NavItem(_("Food bank"), "foodbank.index", VIEW, order=11),
        api.NavItem(_("Households"), "foodbank.households", HOUSEHOLDS, order=12),
    ]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> Iterable[api.Panel]:
    config = settings.current()
    return [
        panels.parcels_over_time(session, today),
        panels.referral_reasons(session, config, today),
        panels.stock_levels(session, config, today),
    ]


@api.hookimpl
def hub_service_label() -> str:
    return "Food bank"


@api.hookimpl
def hub_service_locations(session: Session, today: dt.date) -> list[int]:
    return service.locations_in_use(session, today)


@api.hookimpl
def hub_metrics() -> Iterable[api.Metric]:
    return metrics.DEFINITIONS


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[api.Period]
) -> dict[api.Period, dict[str, int]]:
    return metrics.compute(session, settings.current(), periods)


@api.hookimpl
def hub_metric_periods(session: Session) -> Iterable[dt.date]:
    return metrics.activity_dates(session)


@api.hookimpl
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    demo.load(session, today, locations)


@api.hookimpl
def hub_exporters() -> Iterable[api.Exporter]:
    return exchange.EXPORTERS


@api.hookimpl
def hub_importers() -> Iterable[api.Importer]:
    return exchange.IMPORTERS


@api.hookimpl
def hub_person_data(session: Session, person: api.Person) -> dict[str, Any] | None:
    return people.person_data(session, person)


@api.hookimpl
def hub_erase_person(session: Session, person: api.Person) -> int:
    return people.erase_person(session, person)


@api.hookimpl
def hub_apply_retention(session: Session, today: dt.date) -> int:
    return people.apply_retention(session, today, int(settings.current().retention_days))
