"""Plugin settings that coordinators change in pages, stored in the database.

A plugin declares its settings with a schema (``hub_settings``); defaults, ``hub.toml``
and the environment are read at start-up (:mod:`hub.config`). What a coordinator
saves in the settings page is one more layer on top, kept in ``plugin_setting`` (so
every worker process sees it without a restart, and the audit log records each
change), and validated by the same schema before it is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from hub.config import SettingsLayer, layered
from hub.db import get_session
from hub.models import PluginSetting

log = logging.getLogger(__name__)
SOURCE = "settings page"


def init_app(app: Flask, schemas: Mapping[str, Any], layers: Mapping[str, list[Any]]) -> None:
    """Keep each plugin's schema and start-up layers, to add the stored layer to."""
    app.extensions["hub.settings"] = {"schemas": dict(schemas), "layers": dict(layers)}


def schema(plugin: str) -> Any:
    return current_app.extensions["hub.settings"]["schemas"][plugin]


def _start_up_layers(plugin: str) -> list[Any]:
    return list(current_app.extensions["hub.settings"]["layers"].get(plugin, []))


def stored(plugin: str) -> dict[str, Any]:
    """What coordinators saved for ``plugin`` (nothing when the table is not there yet:
    a command run before ``hub db upgrade``)."""
    try:
        rows = get_session().scalars(select(PluginSetting).where(PluginSetting.plugin == plugin))
        return {row.key: row.value for row in rows}
    except SQLAlchemyError:
        get_session().rollback()
        return {}


def effective(plugin: str) -> dict[str, Any]:
    """``plugin``'s settings now: start-up layers and what was saved in pages, validated.
    Read once per request."""
    cache = g.setdefault("hub_settings", {}) if has_request_context() else {}
    if plugin in cache:
        return cache[plugin]
    start_up = current_app.config["PLUGIN_SETTINGS"][plugin]
    saved = stored(plugin) if plugin in current_app.extensions["hub.settings"]["schemas"] else {}
    values = start_up
    if saved:
        problems: list[str] = []
        merged = layered(
            plugin,
            schema(plugin),
            [*_start_up_layers(plugin), SettingsLayer(SOURCE, saved)],
            problems,
        )
        if problems:  # an upgrade changed a setting's rules: the page shows it; run as before
            log.warning("plugin %s: saved settings ignored: %s", plugin, "; ".join(problems))
        else:
            values = merged
    cache[plugin] = values
    return values


def save(plugin: str, changes: Mapping[str, Any]) -> list[str]:
    """Save ``changes`` (setting -> value) for ``plugin`` after validating them with the
    rest; a value equal to what start-up gives is dropped (back to ``hub.toml``).
    Returns the problems (nothing is saved if there are any). Not committed."""
    wanted = {**stored(plugin), **changes}
    problems: list[str] = []
    layered(
        plugin, schema(plugin), [*_start_up_layers(plugin), SettingsLayer(SOURCE, wanted)], problems
    )
    if problems:
        return problems
    session = get_session()
    start_up = current_app.config["PLUGIN_SETTINGS"][plugin]
    for key, value in wanted.items():
        row = session.get(PluginSetting, (plugin, key))
        if value == start_up.get(key):
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(PluginSetting(plugin=plugin, key=key, value=value))
        elif row.value != value:
            row.value = value
    g.pop("hub_settings", None)
    return []
