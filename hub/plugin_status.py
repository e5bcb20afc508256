"""What an admin sees about each plugin: its state, version, hooks, metrics and
the failures of its parts, for ``hub plugins``, ``/api/v1/plugins`` and the
admin's plugins page.

The plugin manager notes a failure of a robust or isolated hook in the process
it happens in (a gunicorn worker, a command). At the end of each application
context the notes are stored in the ``plugin_failure`` table, so every process
sees what failed in every other; a part that keeps failing is stored at most
once a minute, with its count.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from hub.db import database, utcnow
from hub.metrics import Metric, definitions
from hub.models import PluginFailure
from hub.plugin_manager import Failure, PluginManager, build

SAVE_EVERY_SECONDS = 60
MAX_ERROR = 2000

log = logging.getLogger(__name__)


@dataclass
class _Held:
    """Failures noted but not stored yet, by (plugin, part)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[tuple[str, str], tuple[int, Failure]] = field(default_factory=dict)
    saved_at: dict[tuple[str, str], float] = field(default_factory=dict)

    def take(
        self, noted: list[Failure], *, everything: bool
    ) -> dict[tuple[str, str], tuple[int, Failure]]:
        """Add ``noted`` to what is held and give back what is due to be stored."""
        now = time.monotonic()
        with self.lock:
            for failure in noted:
                key = (failure.plugin, failure.where)
                count = self.pending.get(key, (0, failure))[0]
                self.pending[key] = (count + 1, failure)
            due = {
                key: held
                for key, held in self.pending.items()
                if everything
                or now - self.saved_at.get(key, -SAVE_EVERY_SECONDS) >= SAVE_EVERY_SECONDS
            }
            for key in due:
                del self.pending[key]
                self.saved_at[key] = now
        return due


def init_app(app: Flask) -> None:
    """Store failures when each application context ends. Registered before the
    database's own teardown so that it runs after the context's session is closed,
    and never waits for that session's locks."""
    app.extensions["hub.plugin_failures"] = _Held()
    app.teardown_appcontext(lambda _exc: save(app))


def save(app: Flask, *, everything: bool = False) -> None:
    """Store the failures noted in this process (those due, or ``everything``)."""
    manager: PluginManager = app.extensions["hub.plugins"]
    noted, manager.unsaved[:] = list(manager.unsaved), []
    due = app.extensions["hub.plugin_failures"].take(noted, everything=everything)
    if not due:
        return
    try:
        with database(app).engine.begin() as connection:
            for count, failure in due.values():
                record = manager.records.get(failure.plugin)
                _store(connection, failure, record.version if record else "", count)
    except SQLAlchemyError as exc:  # a database not upgraded yet, or unreachable
        log.warning("could not store %d plugin failures: %s", len(due), exc)


def _store(connection: Connection, failure: Failure, version: str, count: int) -> None:
    key = (
        PluginFailure.plugin == failure.plugin[:40],
        PluginFailure.version == version[:40],
        PluginFailure.part == failure.where[:200],
    )
    now = utcnow()
    change = update(PluginFailure).where(*key)
    values = {"error": failure.error[:MAX_ERROR], "last_at": now}
    if connection.execute(change.values(count=PluginFailure.count + count, **values)).rowcount:
        return
    try:
        with connection.begin_nested():
            connection.execute(
                insert(PluginFailure).values(
                    plugin=failure.plugin[:40],
                    version=version[:40],
                    part=failure.where[:200],
                    count=count,
                    first_at=now,
                    **values,
                )
            )
    except IntegrityError:  # another process stored it first
        connection.execute(change.values(count=PluginFailure.count + count, **values))


def stored(session: Session, manager: PluginManager) -> dict[str, list[dict[str, Any]]]:
    """The stored failures of each plugin's current version, most recent first."""
    found: dict[str, list[dict[str, Any]]] = {}
    rows = session.scalars(select(PluginFailure).order_by(PluginFailure.last_at.desc()))
    for row in rows:
        record = manager.records.get(row.plugin)
        if record is None or record.version != row.version:
            continue
        found.setdefault(row.plugin, []).append(
            {
                "part": row.part,
                "error": row.error,
                "count": row.count,
                "first_at": row.first_at.isoformat(timespec="seconds"),
                "last_at": row.last_at.isoformat(timespec="seconds"),
            }
        )
    return found


def forget(session: Session, manager: PluginManager, plugin: str) -> None:
    """Clear a plugin's failures, once an admin has dealt with them."""
    session.execute(delete(PluginFailure).where(PluginFailure.plugin == plugin))
    if plugin in manager.records:
        manager.records[plugin].failures.clear()


def overview(
    app: Flask, session: Session, *, include_defaults: bool = False
) -> list[dict[str, Any]]:
    """Each known plugin: name, version, state, load error, hooks, metric
    definitions and failures. The core's own default plugin is left out unless
    asked for, or unless a part of it failed. Disabled plugins are not loaded in
    the app, so their definitions are read from a separate, unused manager."""
    manager: PluginManager = app.extensions["hub.plugins"]
    declared = definitions(manager).by_plugin()
    save(app, everything=True)
    try:
        failures = stored(session, manager)
    except SQLAlchemyError:
        session.rollback()
        failures = {name: _unstored(record.failures) for name, record in manager.records.items()}
    disabled = tuple(
        sorted(name for name, record in manager.records.items() if record.state == "disabled")
    )
    if disabled:
        declared.update(_disabled_definitions(disabled))
    rows = []
    for name, record in sorted(manager.records.items()):
        if record.default and not (include_defaults or failures.get(name)):
            continue
        rows.append(
            {
                "name": name,
                "version": record.version,
                "state": record.state,
                "error": record.error,
                "default": record.default,
                "hooks": list(record.hooks),
                "metrics": [metric.describe() for metric in declared.get(name, ())],
                "failures": failures.get(name, []),
            }
        )
    return rows


def _unstored(failures: Iterable[Failure]) -> list[dict[str, Any]]:
    return [
        {"part": f.where, "error": f.error, "count": 1, "first_at": None, "last_at": None}
        for f in reversed(list(failures))
    ]


@functools.cache
def _disabled_definitions(names: tuple[str, ...]) -> dict[str, list[Metric]]:
    """Loading every installed plugin costs more than the rest of the overview, and
    what a disabled plugin declares cannot change while this process runs (it is
    not loaded, and installing a new version means a restart): read once."""
    everything = build(None)
    return {name: metrics for name, metrics in definitions(everything).values if name in names}
