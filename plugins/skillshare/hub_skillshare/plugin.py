"""The time bank's hook implementations: thin, each handing over to a module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import api as skillshare_api
from hub_skillshare import cli, demo, metrics, panels, people, settings, views
from hub_skillshare.i18n import N_, TRANSLATIONS, _
from hub_skillshare.models import MODELS
from hub_skillshare.service import BROKER, COORDINATE

HUB_API = ">=1.1,<2"  # the versions of hub.plugin_api this plugin is written for
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
EVERYONE = ("coordinator", "volunteer", "viewer")

PERMISSIONS = (
    api.Permission("skillshare.view", "See the time bank: members, offers, figures", EVERYONE),
    api.Permission(
        "skillshare.exchange",
        "Be a member: record and confirm one's own exchanges, offers and requests",
        ("coordinator", "volunteer"),
    ),
    api.Permission(
        BROKER,
        "Record and confirm exchanges for members who are offline; take attendance",
        ("coordinator",),
    ),
    api.Permission(
        COORDINATE,
        "Approve members, set limits, reverse exchanges, record the bank's exchanges",
        ("coordinator",),
    ),
)


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels(models=MODELS, migrations=MIGRATIONS)


@api.hookimpl
def hub_settings() -> type[settings.SettingsSchema]:
    return settings.SettingsSchema


@api.hookimpl
def hub_translations() -> api.Translations:
    return TRANSLATIONS


@api.hookimpl
def hub_blueprints(app: Flask) -> list[Blueprint]:
    return [skillshare_api.bp, views.bp]


@api.hookimpl
def hub_permissions() -> Iterable[api.Permission]:
    return PERMISSIONS


@api.hookimpl
def hub_cli_commands() -> Iterable[click.Command]:
    return cli.COMMANDS


@api.hookimpl
def hub_nav_items(user: api.User) -> list[api.NavItem]:
    return [
        api.NavItem(_("My time"), "skillshare.index", "skillshare.view", order=400),
        api.NavItem(
            _("Offers and requests"), "skillshare.listings_page", "skillshare.view", order=401
        ),
        api.NavItem(_("Workshops"), "skillshare.workshops_page", "skillshare.view", order=402),
        api.NavItem(_("Brokers"), "skillshare.broker", BROKER, order=403),
        api.NavItem(_("Members"), "skillshare.members_page", BROKER, order=404),
    ]


@api.hookimpl
def hub_dashboard_panels(user: api.User, session: Session, today: dt.date) -> list[api.Panel]:
    return [panels.time_bank(session, today), panels.pending(session, user)]


@api.hookimpl
def hub_service_label() -> str:
    return N_("Skill-share and time bank")  # published in English, read in each language


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
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    demo.load(session, today)


@api.hookimpl
def hub_person_data(session: Session, person: api.Person) -> dict[str, Any] | None:
    return people.person_data(session, person)


@api.hookimpl
def hub_erase_person(session: Session, person: api.Person) -> int:
    return people.erase_person(session, person)
