"""Community Hub: self-hosted, federated software for community services."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask

try:
    __version__ = version("community-hub")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    instance_path: str | Path | None = None,
    extra_plugins: Mapping[str, object] | None = None,
) -> Flask:
    """Build the application for one instance.

    Configuration comes from the instance folder's ``hub.toml`` and ``HUB_*``
    variables, or from ``test_config`` in tests. ``extra_plugins`` registers
    plugin objects directly (tests), beside those found by entry point.
    Raises :class:`hub.config.ConfigError` or
    :class:`hub.plugin_manager.PluginError` with a message for the admin.
    """
    from hub import (
        api,
        audit,
        auth,
        config,
        db,
        federation,
        i18n,
        plugin_manager,
        plugin_status,
        security,
        settings_store,
        web,
    )

    path = Path(instance_path) if instance_path else config.instance_path_from_env()
    installed = {ep.name for ep in plugin_manager.installed_entry_points()}
    installed |= set(extra_plugins or ())
    settings = config.load(path, test_config, installed=installed)

    app = Flask("hub", instance_path=str(path))
    app.config.update(settings)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["BASE_URL"].startswith("https://"),
        SESSION_COOKIE_NAME="hub_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings["SESSION_HOURS"]),
        MAX_CONTENT_LENGTH=settings["MAX_UPLOAD_MB"] * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    logging.getLogger("hub").setLevel(logging.INFO)

    enabled = None if "*" in settings["PLUGINS"] else settings["PLUGINS"]
    plugins = plugin_manager.build(enabled, dict(extra_plugins or {}))
    app.extensions["hub.plugins"] = plugins
    # Plugin settings are validated like the rest of the config, once their schemas are known.
    declared = plugins.call("hub_settings").values
    app.config["PLUGIN_SETTINGS"] = config.plugin_settings(settings, declared)
    settings_store.init_app(
        app,
        {plugin: config.settings_schema(plugin, declaration) for plugin, declaration in declared},
        settings.get("PLUGIN_SETTINGS", {}),
    )

    plugin_status.init_app(app)  # before the database: its teardown runs after the session's
    db.init_app(app)
    audit.init_app(app)
    plugin_manager.load_models(app, plugins)
    auth.init_app(app, plugins.collect("hub_permissions", auth.Permission).items())
    app.extensions["hub.cli_commands"] = plugins.collect("hub_cli_commands", click.Command).values
    security.init_app(app)
    i18n.init_app(app, plugins.call("hub_translations").values)
    web.init_app(app)
    api.init_app(app)
    federation.init_app(app)
    for name, blueprint in plugins.collect("hub_blueprints", Blueprint, app=app).items():
        plugin_manager.check_blueprint(name, blueprint)
        app.register_blueprint(blueprint)
    return app
