"""Every hook a Community Hub plugin can implement.

This file is the reference for plugin authors (``docs/plugins.md`` is generated
from the same docstrings and a test keeps the two in step). A plugin is a module
or object registered on the entry-point group ``hub.plugins``; the entry point's
name is the plugin's name, and it is also the prefix of its tables, its URL
segment (``/api/v1/<name>/``, ``/<name>/``) and its permissions (``<name>.*``).

Implementations take any subset of a hook's arguments, by name, as pluggy allows.
Hooks that collect contributions (navigation, panels, metrics, exporters...) are
called once per enabled plugin through the core's plugin manager; a contribution
that raises is logged under the plugin's name and skipped, so one broken plugin
cannot take a page or the instance down. Hooks marked *required at start-up*
instead stop start-up with one clear message naming the plugin.

Plugins import only :mod:`hub.plugin_api`, never other parts of the core and
never another plugin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask
    from sqlalchemy.orm import Session

    from hub.migrate import PluginModels
    from hub.models import Person
    from hub.plugin_api import (
        Exporter,
        Importer,
        Metric,
        NavItem,
        Panel,
        Period,
        Permission,
        User,
    )

hookspec = pluggy.HookspecMarker("hub")


# ---------------------------------------------------------------------------
# Start-up: what a plugin adds to the application (required at start-up)
# ---------------------------------------------------------------------------


@hookspec
def hub_models() -> PluginModels:
    """Declare the plugin's database tables and migrations.

    Return a :class:`hub.plugin_api.PluginModels` naming the plugin's model
    classes (subclasses of :class:`hub.plugin_api.Model`) and the folder of its
    Alembic migrations. Every table name must start with ``<plugin name>_``; the
    core checks this when the plugin loads. The plugin's migrations form their
    own branch with their own version table (``alembic_version_<name>``), so a
    plugin can be enabled, upgraded or disabled without touching the others.
    ``hub db upgrade`` upgrades the core first, then every enabled plugin.
    Required at start-up.
    """


@hookspec
def hub_settings() -> dict[str, Any]:
    """Return the plugin's settings and their defaults, in one place.

    An admin overrides them in ``hub.toml`` under a table named after the
    plugin (``[repaircafe]``) or with ``HUB_<PLUGIN>_<KEY>`` environment
    variables; read them with :func:`hub.plugin_api.plugin_settings`.
    """


@hookspec
def hub_blueprints(app: Flask) -> Iterable[Blueprint]:
    """Return the Flask blueprints the plugin contributes.

    API blueprints are :class:`hub.plugin_api.ApiBlueprint` instances with
    ``url_prefix="/api/v1/<name>"``; their operations are validated by
    marshmallow and appear in ``/api/v1/openapi.json``. Page blueprints use
    ``url_prefix="/<name>"`` and extend the core's ``hub/base.html`` template.
    A disabled plugin's blueprints are never registered. Required at start-up.

    Arguments:

    - ``app``: the Flask application being built (for its config; register nothing on it).
    """


@hookspec
def hub_permissions() -> Iterable[Permission]:
    """Return the finer permissions the plugin defines.

    Each :class:`hub.plugin_api.Permission` has a name (``<plugin>.<action>``),
    a description shown to admins, and the roles that hold it by default.
    Admins always hold every permission. Checked with
    :func:`hub.plugin_api.require_permission` on pages and API operations.
    """


@hookspec
def hub_cli_commands() -> Iterable[click.Command]:
    """Return click commands added to the ``hub`` command line.

    They appear as ``hub <plugin name> <command>``, run inside an application
    context, and should print one clear line and exit non-zero on error.
    """


# ---------------------------------------------------------------------------
# Pages: contributions to the web shell (robust: one that raises is skipped)
# ---------------------------------------------------------------------------


@hookspec
def hub_nav_items(user: User) -> Iterable[NavItem]:
    """Return navigation entries for the signed-in ``user``.

    Each :class:`hub.plugin_api.NavItem` has a label, an endpoint and an
    optional permission; entries the user may not use are hidden by the core.

    Arguments:

    - ``user``: the signed-in user; check :func:`hub.plugin_api.can` for finer choices.
    """


@hookspec
def hub_dashboard_panels(user: User, session: Session, today: dt.date) -> Iterable[Panel]:
    """Return dashboard panels for ``user``.

    A :class:`hub.plugin_api.Panel` carries a title, a template name (rendered
    with its ``context``) and an optional permission. Panels are small: a
    figure or two, a chart from :mod:`hub.plugin_api` chart helpers, a link.

    Arguments:

    - ``user``: the signed-in user the dashboard is for.
    - ``session``: the SQLAlchemy session of the current request or command.
    - ``today``: the server's local date, so panels can show this week or month.
    """


# ---------------------------------------------------------------------------
# Metrics: what an instance publishes (non-personal, aggregated)
# ---------------------------------------------------------------------------


@hookspec
def hub_metrics() -> Iterable[Metric]:
    """Declare the metrics the plugin publishes.

    Each :class:`hub.plugin_api.Metric` has a name, a unit, a description,
    what it counts (``events``, ``people``, ``households`` or ``quantity``)
    and over what window. People and household counts are subject to
    disclosure control (suppressed below the threshold, otherwise rounded to
    the nearest 5). A metric with a ``codelist`` expands to one figure per code
    (``<name>.<code>``), so networks add up like with like. Values are
    integers: weights in grams, rates as numerator and denominator.
    """


@hookspec
def hub_compute_metrics(session: Session, period: Period) -> dict[str, int]:
    """Compute the plugin's raw figures for ``period``.

    Return a mapping of every declared metric name (codelist metrics expanded
    as ``<name>.<code>``) to an integer, including zeros: a summary is always
    whole. The core applies disclosure control afterwards; return true counts.
    Must be read-only and must not depend on personal data that erasure
    removes, so that published figures survive erasure.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``period``: the :class:`hub.plugin_api.Period` (an ISO week or a month); count
      records dated from ``period.start`` up to, not including, ``period.end``.
    """


@hookspec
def hub_metric_periods(session: Session) -> Iterable[dt.date]:
    """Return the dates on which the plugin has activity.

    The core turns them into the ISO weeks and months for which summaries are
    computed (``hub metrics``, ``hub federation publish``). Returning the
    distinct dates from the plugin's own records is enough.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    """


# ---------------------------------------------------------------------------
# Data in and out
# ---------------------------------------------------------------------------


@hookspec
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    """Fill a new demo instance with realistic data for the plugin.

    Called once by ``hub demo`` after the core has created its users, people
    and ``locations``. Use a seeded random generator so the demo is
    reproducible; cover about a year up to ``today``.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
      Add rows and flush as needed; the core commits once every plugin is done.
    - ``today``: the last day the demo data should reach.
    - ``locations``: the core :class:`hub.plugin_api.Location` rows the demo created.
    """


@hookspec
def hub_exporters() -> Iterable[Exporter]:
    """Return the export formats the plugin offers.

    An :class:`hub.plugin_api.Exporter` has a format name (``ords``,
    ``ical``, ``foodbank-parcels``...), a description, a media type and a
    function ``write(session, stream: TextIO, options: dict) -> int`` that
    writes the export and returns the number of records written. Used by
    ``hub export FORMAT`` and the admin's export page.
    """


@hookspec
def hub_importers() -> Iterable[Importer]:
    """Return the import formats the plugin accepts.

    An :class:`hub.plugin_api.Importer` has a format name, a description and a
    function ``read(session, stream: TextIO, options: dict, progress) ->
    ImportReport``. Imports are idempotent (importing a file twice adds
    nothing), report every row they could not take and why without stopping,
    and call ``progress(done, total)`` as they go. ``options["dry_run"]`` asks
    for the report without storing anything. An importer whose columns may be
    named differently from sheet to sheet lists ``fields``; the admin's choice
    of column for each arrives as ``options["map.FIELD"]`` (the Imports page
    offers one per field, ``--option map.FIELD=HEADER`` on the command line).
    """


# ---------------------------------------------------------------------------
# Personal data duties (UK GDPR): subject access, erasure, retention
# ---------------------------------------------------------------------------


@hookspec
def hub_person_data(session: Session, person: Person) -> dict[str, Any] | None:
    """Return everything the plugin holds about ``person``, as JSON-ready data.

    Used for subject-access requests (``hub person export ID``). Return
    ``None`` if the plugin holds nothing about this person.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``person``: the core :class:`hub.plugin_api.Person` asked about.
    """


@hookspec
def hub_erase_person(session: Session, person: Person) -> int:
    """Erase or anonymise everything the plugin holds about ``person``.

    Delete personal fields but keep the anonymous records that figures are
    computed from (a parcel stays a parcel; the household it went to loses its
    identifying details), so that published metrics are unchanged. Return the
    number of records touched. Runs inside the core's transaction: do not
    commit.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``person``: the core :class:`hub.plugin_api.Person` being erased.
    """


@hookspec
def hub_apply_retention(session: Session, today: dt.date) -> int:
    """Anonymise the plugin's own personal records that are past retention.

    People in the core registry are handled by the core (which calls
    :func:`hub_erase_person` for each); implement this only for personal data
    the plugin keeps with its own retention rule. Return the number of records
    anonymised. Do not commit.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``today``: the date retention is judged against (tests pass their own).
    """
