"""The tool library plugin's hook implementations (thin: the work lives in its modules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_toollibrary import api as api_module
from hub_toollibrary import (
    cli,
    demo,
    exchange,
    metrics,
    models,
    panels,
    people,
    service,
    settings,
    views,
)
from hub_toollibrary.i18n import TRANSLATIONS, _
from hub_toollibrary.permissions import LEND, MEMBERS, PERMISSIONS, VIEW

# The plugin API it is written for: the batch metrics hook and schema settings came in 1.1.
HUB_API = ">=1.1,<2"
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
    return [api_module.bp, views.bp]


@api.hookimpl
def hub_permissions() -> Iterable[api.Permission]:
    return PERMISSIONS


@api.hookimpl
def hub_cli_commands() -> Iterable[click.Command]:
    return cli.COMMANDS


@api.hookimpl
def hub_nav_items(user: api.User) -> Iterable[api.NavItem]:
    return [
        api.NavItem(_("Counter"), "toollibrary.counter", LEND, order=30),
        api.NavItem(_("Tool library"), "toollibrary.catalogue", VIEW, order=31),
        api.NavItem(_("Members"), "toollibrary.members_page", MEMBERS, order=32),
    ]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> Iterable[api.Panel]:
    return [
        panels.loans_per_week(session, today),
        panels.most_borrowed(session, today),
        panels.overdue_and_repairs(session, today),
    ]


@api.hookimpl
def hub_service_label() -> str:
    return "Tool library"


@api.hookimpl
def hub_service_locations(session: Session) -> list[int]:
    return service.locations_in_use(session)


@api.hookimpl
def hub_metrics() -> Iterable[api.Metric]:
    return metrics.DEFINITIONS


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[api.Period]
) -> Mapping[api.Period, Mapping[str, int]]:
    return metrics.compute(session, periods, api.today())


@api.hookimpl
def hub_metric_periods(session: Session) -> Iterable[dt.date]:
    return metrics.activity_dates(session)


@api.hookimpl
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    demo.load(session, today, locations)


@api.hookimpl
def hub_person_data(session: Session, person: api.Person) -> dict[str, Any] | None:
    return people.person_data(session, person)


@api.hookimpl
def hub_erase_person(session: Session, person: api.Person) -> int:
    return people.erase_person(session, person)


@api.hookimpl
def hub_exporters() -> Iterable[api.Exporter]:
    return exchange.EXPORTERS


@api.hookimpl
def hub_importers() -> Iterable[api.Importer]:
    return exchange.IMPORTERS
