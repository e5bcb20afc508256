"""The seed library's hook implementations: thin, each handing over to a module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_seedlibrary import api as seed_api
from hub_seedlibrary import cli, demo, exchange, metrics, personal, views
from hub_seedlibrary.models import Loan, Variety

# The plugin API it is written for: the batch metrics hook and schema settings came in 1.1.
HUB_API = ">=1.1,<2"
HERE = Path(__file__).parent


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels(models=(Variety, Loan), migrations=HERE / "migrations" / "versions")


class SettingsSchema(Schema):
    max_packets_per_loan = fields.Integer(
        strict=True, validate=validate.Range(min=1), load_default=5
    )
    note_retention_days = fields.Integer(
        strict=True, validate=validate.Range(min=1), load_default=365
    )


@api.hookimpl
def hub_settings() -> type[Schema]:
    return SettingsSchema


@api.hookimpl
def hub_blueprints(app: Flask) -> list[Any]:
    return [seed_api.bp, views.bp]


@api.hookimpl
def hub_permissions() -> list[api.Permission]:
    return [
        api.Permission(
            "seedlibrary.lend", "Lend seed and record returns", ("coordinator", "volunteer")
        ),
        api.Permission("seedlibrary.manage", "Add varieties and change stock", ("coordinator",)),
    ]


@api.hookimpl
def hub_cli_commands() -> list[Any]:
    return [cli.low_stock]


@api.hookimpl
def hub_nav_items(user: api.User) -> list[api.NavItem]:
    return [api.NavItem("Seed library", "seedlibrary.index", order=60)]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> list[api.Panel]:
    month = api.Period.month_of(today)
    lent = session.scalar(
        select(func.coalesce(func.sum(Loan.packets), 0)).where(
            Loan.lent_on >= month.start, Loan.lent_on < month.end
        )
    )
    in_stock = session.scalar(
        select(func.count()).select_from(Variety).where(Variety.packets_in_stock > 0)
    )
    return [
        api.Panel(
            "Seed library",
            "seedlibrary/panel.html",
            {"lent_this_month": lent, "varieties_in_stock": in_stock},
            order=60,
        )
    ]


@api.hookimpl
def hub_metrics() -> list[api.Metric]:
    return metrics.METRICS


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[api.Period]
) -> api.PeriodFigures:
    return metrics.compute(session, periods)


@api.hookimpl
def hub_metric_periods(session: Session) -> Any:
    return metrics.activity_dates(session)


@api.hookimpl
def hub_demo_data(session: Session, today: dt.date) -> None:
    demo.load(session, today)


@api.hookimpl
def hub_exporters() -> list[api.Exporter]:
    return [exchange.EXPORTER]


@api.hookimpl
def hub_importers() -> list[api.Importer]:
    return [exchange.IMPORTER]


@api.hookimpl
def hub_person_data(session: Session, person: api.Person) -> dict[str, Any] | None:
    return personal.person_data(session, person)


@api.hookimpl
def hub_erase_person(session: Session, person: api.Person) -> int:
    return personal.erase_person(session, person)


@api.hookimpl
def hub_apply_retention(session: Session, today: dt.date) -> int:
    return personal.apply_retention(session, today)
