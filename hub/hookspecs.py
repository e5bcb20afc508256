"""Every hook a Community Hub plugin can implement.

This file is the reference for plugin authors (``docs/plugins.md`` is generated
from the same docstrings and a test keeps the two in step). A plugin is a module
or object registered on the entry-point group ``hub.plugins``; the entry point's
name is the plugin's name, and it is also the prefix of its tables, its URL
segment (``/api/v1/<name>/``, ``/<name>/``) and its permissions (``<name>.*``).

Implementations take any subset of a hook's arguments, by name, as pluggy allows,
and may use pluggy's ``tryfirst``/``trylast`` ordering and new-style wrappers
(``@api.hookimpl(wrapper=True)``: ``result = yield`` is the list of every other
plugin's results, which the wrapper may change and must return). The core calls
each hook once through pluggy, for every enabled plugin at once, and tags each
result with the plugin that made it; its own navigation, permissions and pages
are a plugin too (named ``core``), so a plugin can add to, wrap or reorder them.

Each hook declares what happens when an implementation raises: its *policy*,
one of :data:`POLICIES`. Plugins import only :mod:`hub.plugin_api`, never other
parts of the core and never another plugin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask
    from marshmallow import Schema
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
        Translations,
        User,
    )

Policy = Literal["startup", "strict", "robust", "isolated"]

POLICIES: dict[Policy, str] = {
    "startup": "called while the application is built; an implementation that raises "
    "stops start-up with one line naming the plugin and the hook, because running "
    "half a plugin is worse than running none",
    "strict": "part of one operation that must be whole (an export, an erasure); an "
    "implementation that raises aborts the operation with an error naming the plugin, "
    "and nothing is changed",
    "robust": "an optional contribution; an implementation that raises is logged under "
    "the plugin's name, shown on the admin's plugins page and by `hub plugins`, and "
    "skipped: the page or command carries on without it",
    "isolated": "each plugin's outcome stands alone; a plugin whose implementation raises "
    "is reported as failed (log, `hub plugins`, the admin's plugins page, and the output "
    "of `hub metrics`, `hub federation publish` and `/api/v1/metrics`) and every other "
    "plugin's figures are still computed and published",
}

F = TypeVar("F", bound=Callable[..., Any])
_marker = pluggy.HookspecMarker("hub")


def hookspec(policy: Policy, **options: Any) -> Callable[[F], F]:
    """Declare a hook with its failure ``policy`` and any of pluggy's spec options."""
    if policy not in POLICIES:
        raise ValueError(f"unknown hook policy {policy!r}")

    def declare(function: F) -> F:
        function.hub_policy = policy  # type: ignore[attr-defined]
        return _marker(**options)(function)

    return declare


def policy_of(hook: str) -> Policy | None:
    """The failure policy of the hook named ``hook``, or ``None`` if there is no such hook."""
    return getattr(globals().get(hook), "hub_policy", None)


# ---------------------------------------------------------------------------
# Start-up: what a plugin adds to the application
# ---------------------------------------------------------------------------


@hookspec("startup")
def hub_models() -> PluginModels:
    """Declare the plugin's database tables and migrations.

    Return a :class:`hub.plugin_api.PluginModels` naming the plugin's model
    classes (subclasses of :class:`hub.plugin_api.Model`) and the folder of its
    Alembic migrations. Every table name must start with ``<plugin name>_``; the
    core checks this when the plugin loads. The plugin's migrations form their
    own branch with their own version table (``alembic_version_<name>``), so a
    plugin can be enabled, upgraded or disabled without touching the others.
    ``hub db upgrade`` upgrades the core first, then every enabled plugin.
    """


@hookspec("startup")
def hub_settings() -> type[Schema]:
    """Declare the plugin's settings: a marshmallow ``Schema`` class.

    Every field needs a ``load_default`` (a plugin must run with no settings at
    all). An admin overrides them in ``hub.toml`` under a table named after the
    plugin (``[repaircafe]``) or with ``HUB_<PLUGIN>_<KEY>`` environment
    variables, which are read as the field's type (``HUB_FOODBANK_POLICY_DAYS=90``
    is the number 90). They are validated when the hub starts, together with the
    rest of the configuration: a misspelt key ("did you mean ...?"), a value of
    the wrong type or one the field's validators refuse stops start-up with one
    line per mistake. Read the validated values with
    :func:`hub.plugin_api.plugin_settings`. Returning a plain ``dict`` of
    defaults (the first version of this hook) still works, typed from the
    defaults, with a ``DeprecationWarning``.
    """


@hookspec("startup")
def hub_translations() -> Translations:
    """Return the plugin's message catalogues: a :class:`hub.plugin_api.Translations`
    naming its translations folder (``<folder>/cy/LC_MESSAGES/<domain>.mo``) and its
    gettext domain, by convention the plugin's name.

    The plugin's templates (those under ``templates/<plugin name>/``) then look each
    ``_()`` up in the plugin's catalogue first and the core's second, so a page
    extending ``hub/base.html`` is translated whole; its Python code translates with
    the same object's ``gettext``, ``ngettext`` and ``lazy_gettext``. Labels the
    plugin publishes (metric labels, its service label) stay in English in
    federation documents; pages show them translated through this catalogue.
    A plugin without catalogues leaves the hook out and its pages stay in English.
    """


@hookspec("startup")
def hub_blueprints(app: Flask) -> Iterable[Blueprint]:
    """Return the Flask blueprints the plugin contributes.

    API blueprints are :class:`hub.plugin_api.ApiBlueprint` instances with
    ``url_prefix="/api/v1/<name>"``; their operations are validated by
    marshmallow and appear in ``/api/v1/openapi.json``. Page blueprints use
    ``url_prefix="/<name>"`` and extend the core's ``hub/base.html`` template.
    A disabled plugin's blueprints are never registered.

    Arguments:

    - ``app``: the Flask application being built (for its config; register nothing on it).
    """


@hookspec("startup")
def hub_permissions() -> Iterable[Permission]:
    """Return the finer permissions the plugin defines.

    Each :class:`hub.plugin_api.Permission` has a name (``<plugin>.<action>``),
    a description shown to admins, and the roles that hold it by default.
    Admins always hold every permission. Checked with
    :func:`hub.plugin_api.require_permission` on pages and API operations.
    """


@hookspec("startup")
def hub_cli_commands() -> Iterable[click.Command]:
    """Return click commands added to the ``hub`` command line.

    They appear as ``hub <plugin name> <command>``, run inside an application
    context, and should print one clear line and exit non-zero on error
    (raise ``click.ClickException``).
    """


# ---------------------------------------------------------------------------
# Pages: contributions to the web shell
# ---------------------------------------------------------------------------


@hookspec("robust")
def hub_nav_items(user: User) -> Iterable[NavItem]:
    """Return navigation entries for the signed-in ``user``.

    Each :class:`hub.plugin_api.NavItem` has a label, an endpoint, an optional
    permission and an ``order`` (the core's own entries run from 0, Dashboard,
    to 950, Account); entries the user may not use are hidden by the core, and
    an entry whose endpoint does not exist is reported and left out. Mark the
    plugin's quick log (the one form used most at a session) with ``quick=True``
    (since 1.2): it is also a big button at the top of the home page and a button
    under every page's header, outside the menu.

    Arguments:

    - ``user``: the signed-in user; check :func:`hub.plugin_api.can` for finer choices.
    """


@hookspec("robust")
def hub_dashboard_panels(user: User, session: Session, today: dt.date) -> Iterable[Panel]:
    """Return dashboard panels for ``user``.

    A :class:`hub.plugin_api.Panel` carries a title, a template name (rendered
    with its ``context``) and an optional permission. Panels are small: a
    figure or two, a chart from :mod:`hub.plugin_api` chart helpers, a link.
    A panel whose template fails to render is reported and left out too.

    Arguments:

    - ``user``: the signed-in user the dashboard is for.
    - ``session``: the SQLAlchemy session of the current request or command.
    - ``today``: the server's local date, so panels can show this week or month.
    """


# ---------------------------------------------------------------------------
# Metrics: what an instance publishes (non-personal, aggregated)
# ---------------------------------------------------------------------------


@hookspec("isolated")
def hub_service_label() -> str:
    """Return the name people know the plugin's service by: ``"Food bank"``.

    Public pages, reports and aggregators head the plugin's figures with it
    (it is published in the instance descriptor); text of at most 80 bytes.
    Without it, pages fall back to the plugin's name with its first letter
    capitalised.
    """


@hookspec("robust")
def hub_service_locations(session: Session, today: dt.date) -> Iterable[int]:
    """Return the ids of the locations where the plugin's service runs.

    The service directory (``/public/directory.json``) lists each service only at
    the places it names, so that a person looking for a food bank is not sent to
    the hall where only the repair café meets. Name the active locations the
    service has used lately (a year is a good rule: a service that met there last
    spring still does); ids of inactive or unknown locations are ignored. A plugin
    that does not implement this hook, fails, or names no active location is
    listed at every active location, because a service that exists is better
    listed everywhere than nowhere.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``today``: the server's local date, from which "lately" is counted.
    """


@hookspec("isolated")
def hub_metrics() -> Iterable[Metric]:
    """Declare the metrics the plugin publishes.

    Each :class:`hub.plugin_api.Metric` has a name, a label people read on
    public pages ("Food given out"), a unit, a description of exactly what is
    counted, what it counts (``events``, ``people``, ``households`` or
    ``quantity``) and over what window. People and household counts are subject to
    disclosure control (suppressed below the threshold, otherwise rounded to
    the nearest 5). A metric with a ``codelist`` expands to one figure per code
    (``<name>.<code>``), so networks add up like with like. Values are
    integers: weights in grams, rates as numerator and denominator.
    """


@hookspec("isolated")
def hub_compute_metrics_for_periods(
    session: Session, periods: Sequence[Period]
) -> Mapping[Period, Mapping[str, int]]:
    """Compute the plugin's raw figures for every period in ``periods`` at once.

    Return a mapping with exactly the requested periods as keys, each mapped to
    every declared metric name (codelist metrics expanded as ``<name>.<code>``)
    and its integer value, zeros included: a summary is always whole. Compute
    with one query per metric grouped by period (the SQL helpers in
    :mod:`hub.plugin_api` give the start of the week or month containing a date
    column on SQLite and PostgreSQL alike), not one query per period. The core
    applies disclosure control afterwards; return true counts. Must be
    read-only and must not depend on personal data that erasure removes, so
    that published figures survive erasure.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``periods``: the :class:`hub.plugin_api.Period` objects wanted (ISO weeks and
      months, in no particular order); each covers records dated from
      ``period.start`` up to, not including, ``period.end``.
    """


@hookspec(
    "isolated",
    warn_on_impl=DeprecationWarning(
        "hub_compute_metrics is deprecated and will be removed in plugin API 2.0: "
        "implement hub_compute_metrics_for_periods, which computes every period at once"
    ),
)
def hub_compute_metrics(session: Session, period: Period) -> dict[str, int]:
    """Compute the plugin's raw figures for one ``period`` (deprecated).

    The first version of :func:`hub_compute_metrics_for_periods`: the core calls
    it once per period for a plugin that does not implement the batch hook, and
    warns (``DeprecationWarning``) when such a plugin is loaded. It returns what
    the batch hook returns for one period.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``period``: the :class:`hub.plugin_api.Period` (an ISO week or a month); count
      records dated from ``period.start`` up to, not including, ``period.end``.
    """


@hookspec("isolated")
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


@hookspec("strict")
def hub_demo_data(session: Session, today: dt.date, locations: list[Any]) -> None:
    """Fill a new demo instance with realistic data for the plugin.

    Called once by ``hub demo`` after the core has created its users, people
    and ``locations``. Use a seeded random generator so the demo is
    reproducible; cover about a year up to ``today``. If one plugin fails, no
    demo data is stored and ``hub demo`` names it.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
      Add rows and flush as needed; the core commits once every plugin is done.
    - ``today``: the last day the demo data should reach.
    - ``locations``: the core :class:`hub.plugin_api.Location` rows the demo created.
    """


@hookspec("robust")
def hub_exporters() -> Iterable[Exporter]:
    """Return the export formats the plugin offers.

    An :class:`hub.plugin_api.Exporter` has a format name (``ords``,
    ``ical``, ``foodbank-parcels``...), a description, a media type and a
    function ``write(session, stream: TextIO, options: dict) -> int`` that
    writes the export and returns the number of records written. Used by
    ``hub export FORMAT`` and the admin's export page. A plugin whose listing
    raises offers no formats until it is fixed; the others are still offered.
    """


@hookspec("robust")
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
    A plugin whose listing raises offers no formats until it is fixed.
    """


# ---------------------------------------------------------------------------
# Personal data duties (UK GDPR): subject access, erasure, retention
# ---------------------------------------------------------------------------


@hookspec("strict")
def hub_person_data(session: Session, person: Person) -> dict[str, Any] | None:
    """Return everything the plugin holds about ``person``, as JSON-ready data.

    Used for subject-access requests (``hub person export ID``, the API and
    the person's page). Return ``None`` if the plugin holds nothing about this
    person. A plugin that raises stops the export: a partial answer to a
    subject-access request is a wrong one.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``person``: the core :class:`hub.plugin_api.Person` asked about.
    """


@hookspec("strict")
def hub_erase_person(session: Session, person: Person) -> int:
    """Erase or anonymise everything the plugin holds about ``person``.

    Delete personal fields but keep the anonymous records that figures are
    computed from (a parcel stays a parcel; the household it went to loses its
    identifying details), so that published metrics are unchanged. Return the
    number of records touched. Runs inside the core's transaction: do not
    commit. If any plugin raises, nothing is erased anywhere.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``person``: the core :class:`hub.plugin_api.Person` being erased.
    """


@hookspec("strict")
def hub_apply_retention(session: Session, today: dt.date) -> int:
    """Anonymise the plugin's own personal records that are past retention.

    People in the core registry are handled by the core (which calls
    :func:`hub_erase_person` for each); implement this only for personal data
    the plugin keeps with its own retention rule. Return the number of records
    anonymised. Do not commit; if any plugin raises, the whole run is undone.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``today``: the date retention is judged against (tests pass their own).
    """


@hookspec("strict")
def hub_user_data(session: Session, user: User) -> dict[str, Any] | None:
    """Return everything the plugin links to the volunteer ``user``, as JSON-ready data.

    A user is someone who signs in (a volunteer, a coordinator, an admin), not
    one of the people a group serves (those are :func:`hub_person_data`'s). A
    plugin that records who did something (the fixer of a repair, the volunteer
    on a rota, the hours someone gave) reports it here for a volunteer's own
    subject-access request: ``hub user export EMAIL``,
    ``GET /api/v1/users/<id>/export`` and the user's admin page. The core adds
    the account, its API tokens and what the audit log says the user did. Return
    ``None`` if the plugin holds nothing about this user. A plugin that raises
    stops the export.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``user``: the core :class:`hub.plugin_api.User` asked about.
    """


@hookspec("strict")
def hub_erase_user(session: Session, user: User) -> int:
    """Erase or unlink what the plugin links to ``user``, whose account is being erased.

    Called when an admin erases a volunteer's account (``hub user erase EMAIL``,
    ``POST /api/v1/users/<id>/erase``, the user's admin page), which also disables
    it. Remove what identifies them (unset the link to the user, blank free text
    about them) but keep the records figures are computed from, so published
    metrics are unchanged. The account row stays, blanked, so links that are kept
    point at "someone". Return the number of records touched. Runs inside the
    core's transaction: do not commit. If any plugin raises, nothing is erased.

    Arguments:

    - ``session``: the SQLAlchemy session of the current request or command.
    - ``user``: the core :class:`hub.plugin_api.User` being erased.
    """
