"""The fridge's hook implementations: thin, each handing over to a module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_fridge import api as fridge_api
from hub_fridge import demo, exchange, metrics, panels, views
from hub_fridge.models import Donation, Visit

HUB_API = ">=1.1,<2"  # the versions of hub.plugin_api this plugin is written for
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
EVERYONE = ("coordinator", "volunteer", "viewer")


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels(models=(Donation, Visit), migrations=MIGRATIONS)


@api.hookimpl
def hub_blueprints(app: Flask) -> list[Blueprint]:
    return [fridge_api.bp, views.bp]


@api.hookimpl
def hub_permissions() -> list[api.Permission]:
    return [
        api.Permission("fridge.view", "See the fridge's visits, food and figures", EVERYONE),
        api.Permission("fridge.log", "Log visits and food given in", ("coordinator", "volunteer")),
    ]


@api.hookimpl
def hub_nav_items(user: api.User) -> list[api.NavItem]:
    return [api.NavItem("Fridge", "fridge.index", "fridge.view", order=50)]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> list[api.Panel]:
    return [panels.this_week(session, today)]


@api.hookimpl
def hub_service_label() -> str:
    return "Community fridge"


@api.hookimpl
def hub_metrics() -> Iterable[api.Metric]:
    return metrics.DEFINITIONS


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[api.Period]
) -> Mapping[api.Period, Mapping[str, int]]:
    return metrics.compute(session, periods)


@api.hookimpl
def hub_metric_periods(session: Session) -> Iterable[dt.date]:
    return metrics.activity_dates(session)


@api.hookimpl
def hub_exporters() -> list[api.Exporter]:
    return [exchange.EXPORTER]


@api.hookimpl
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    demo.load(session, today)
