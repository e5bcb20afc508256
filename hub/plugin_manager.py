"""Finding, loading and calling plugins.

Plugins are distributions registered on the entry-point group ``hub.plugins``.
:func:`build` makes a fresh manager for one application (never at import
time): hook specs first, then each enabled plugin by its entry point, each
loaded on its own so that one that fails to import is reported and the rest
still load. Disabled plugins are blocked by name and contribute nothing.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import pluggy
from sqlalchemy.orm import Session

from hub import hookspecs
from hub.metrics import Metric
from hub.periods import Period, periods_for_dates

ENTRY_POINT_GROUP = "hub.plugins"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")

log = logging.getLogger(__name__)

State = Literal["enabled", "disabled", "failed"]
T = TypeVar("T")


class PluginError(RuntimeError):
    """A plugin broke a rule the core relies on; the message names it."""


@dataclass
class PluginRecord:
    """What the core knows about one installed plugin."""

    name: str
    version: str
    distribution: str
    state: State
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    # Errors from robust hook calls since start-up, newest last (for the admin page).
    hook_errors: list[str] = field(default_factory=list)


class PluginManager:
    """The one place hooks are called from."""

    def __init__(self, enabled: Collection[str] | None) -> None:
        self.pm = pluggy.PluginManager("hub")
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._enabled = None if enabled is None else set(enabled)

    # --- loading -----------------------------------------------------------

    def load_installed(self) -> None:
        for entry_point in installed_entry_points():
            self._load(entry_point)

    def _load(self, entry_point: importlib.metadata.EntryPoint) -> None:
        name = entry_point.name
        dist = entry_point.dist
        record = PluginRecord(
            name=name,
            version=dist.version if dist else "",
            distribution=dist.name if dist else "",
            state="disabled",
        )
        self.records[name] = record
        if not PLUGIN_NAME.match(name):
            return self._fail(record, "plugin names are 2 to 31 lowercase letters or digits")
        if self._enabled is not None and name not in self._enabled:
            self.pm.set_blocked(name)
            return None
        try:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
            self.pm.check_pending()
        except Exception as exc:
            self._unregister(name)
            return self._fail(record, f"{type(exc).__name__}: {exc}")
        self._mark_enabled(record)
        return None

    def register(self, plugin: object, name: str, version: str = "") -> None:
        """Register an object as a plugin directly (tests and embedding)."""
        record = PluginRecord(name=name, version=version, distribution="", state="disabled")
        self.records[name] = record
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self._unregister(name)
            raise PluginError(f"plugin {name!r}: {exc}") from exc
        self._mark_enabled(record)

    def _mark_enabled(self, record: PluginRecord) -> None:
        record.state = "enabled"
        plugin = self.pm.get_plugin(record.name)
        record.hooks = sorted(
            caller.name for caller in self.pm.get_hookcallers(plugin) or () if caller.name
        )

    def _fail(self, record: PluginRecord, error: str) -> None:
        record.state = "failed"
        record.error = error
        log.error("plugin %s failed to load: %s", record.name, error)

    def _unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)

    def disable(self, name: str, reason: str) -> None:
        """Take a loaded plugin out after a required hook failed."""
        self._unregister(name)
        self.pm.set_blocked(name)
        self._fail(self.records[name], reason)

    # --- calling -----------------------------------------------------------

    def enabled_names(self) -> list[str]:
        return sorted(name for name, rec in self.records.items() if rec.state == "enabled")

    def _impls(self, hook_name: str) -> Iterator[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook_name)
        enabled = set(self.enabled_names())
        # pluggy lists implementations last-registered first; keep name order instead.
        yield from sorted(
            (impl for impl in caller.get_hookimpls() if impl.plugin_name in enabled),
            key=lambda impl: impl.plugin_name,
        )

    def implements(self, name: str, hook_name: str) -> bool:
        return any(impl.plugin_name == name for impl in self._impls(hook_name))

    def call(self, name: str, hook_name: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a hook; exceptions propagate."""
        for impl in self._impls(hook_name):
            if impl.plugin_name == name:
                return impl.function(*[kwargs[arg] for arg in impl.argnames])
        return None

    def each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every enabled plugin's implementation, strictly: a failure names
        the plugin and stops (for hooks required at start-up and for commands)."""
        results = []
        for impl in self._impls(hook_name):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} failed: {exc}"
                ) from exc
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def each_robust(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every enabled plugin's implementation; one that raises is logged
        with the plugin's name and skipped (navigation, panels, optional data)."""
        results = []
        for impl in self._impls(hook_name):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
                if result is not None:
                    results.append(
                        (impl.plugin_name, list(result) if _iterable(result) else result)
                    )
            except Exception as exc:
                self.note_hook_error(impl.plugin_name, hook_name, exc)
        return results

    def note_hook_error(self, name: str, where: str, exc: Exception) -> None:
        """Log a failure of plugin ``name`` that was skipped, and keep it for the
        admin's plugins page (a hook call, or rendering one of its panels)."""
        errors = self.records[name].hook_errors
        errors.append(f"{where}: {type(exc).__name__}: {exc}")
        del errors[:-20]
        log.error("plugin %s: %s failed; skipped", name, where, exc_info=exc)

    def contributions(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Flatten the lists robust calls return into ``(plugin, item)`` pairs."""
        return [
            (name, item) for name, items in self.each_robust(hook_name, **kwargs) for item in items
        ]

    def formats(self, hook_name: str, kind: type[T]) -> dict[str, tuple[str, T]]:
        """The import or export formats (``kind``) enabled plugins offer through
        ``hook_name``, by format name, each with the plugin offering it."""
        return {
            item.format: (plugin, item)
            for plugin, item in self.contributions(hook_name)
            if isinstance(item, kind)
        }

    # --- metrics -----------------------------------------------------------

    def metric_definitions(self, name: str) -> list[Metric]:
        return list(self.call(name, "hub_metrics") or ())

    def activity_periods(self, name: str, session: Session) -> list[Period]:
        dates = self.call(name, "hub_metric_periods", session=session) or ()
        return periods_for_dates(dates)


def _iterable(value: Any) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, str | bytes | dict)


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    """Every installed plugin's entry point, once per name, in name order."""
    seen: dict[str, importlib.metadata.EntryPoint] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(entry_point.name, entry_point)
    return [seen[name] for name in sorted(seen)]


def build(enabled: Collection[str] | None) -> PluginManager:
    """A manager with every installed plugin loaded, or only ``enabled`` ones."""
    manager = PluginManager(enabled)
    manager.load_installed()
    return manager


def overview(manager: PluginManager) -> list[dict[str, Any]]:
    """Each known plugin: name, version, state, error, hooks and metric definitions
    (for ``hub plugins`` and the API). Disabled plugins are not loaded in
    ``manager``, so their definitions are read from a separate, unused manager."""
    everything: PluginManager | None = None
    rows = []
    for name, record in sorted(manager.records.items()):
        source: PluginManager | None = manager if record.state == "enabled" else None
        if record.state == "disabled":
            everything = everything or build(None)
            source = everything
        definitions = []
        if source is not None:
            try:
                definitions = [metric.describe() for metric in source.metric_definitions(name)]
            except Exception:
                log.exception("plugin %s: hub_metrics failed", name)
        rows.append(
            {
                "name": name,
                "version": record.version,
                "state": record.state,
                "error": record.error,
                "hooks": list(record.hooks),
                "metrics": definitions,
            }
        )
    return rows


def load_models(app: Any, manager: PluginManager) -> None:
    """Collect each enabled plugin's models; check their tables carry its prefix."""
    parts = {}
    for name, part in manager.each("hub_models"):
        for table in part.tables:
            if not table.startswith(f"{name}_"):
                raise PluginError(f"plugin {name!r}: table {table!r} must start with {name}_")
        parts[name] = part
    app.extensions["hub.plugin_models"] = parts


def check_blueprint(name: str, blueprint: Any) -> None:
    """A plugin's routes live under its own name, so plugins cannot collide."""
    allowed = (f"/api/v1/{name}", f"/{name}")
    prefix = (blueprint.url_prefix or "").rstrip("/")
    if prefix not in allowed and not prefix.startswith(tuple(p + "/" for p in allowed)):
        raise PluginError(
            f"plugin {name!r}: blueprint {blueprint.name!r} must use url_prefix /{name} or /api/v1/{name}"
        )
