"""Finding, loading and calling plugins.

Plugins are distributions registered on the entry-point group ``hub.plugins``.
:func:`build` makes a fresh manager for one application (never at import
time): hook specs first, then each enabled plugin by its entry point, each
loaded on its own so that one that fails to import is reported and the rest
still load, then the core's own default plugin. Disabled plugins are blocked
by name and contribute nothing.

Every hook is called through :meth:`PluginManager.call`, which goes through
pluggy (so ``tryfirst``/``trylast`` and ``wrapper=True`` implementations work as
pluggy documents) and applies the hook's failure policy from
:mod:`hub.hookspecs`. The policy is applied per implementation: each plugin is
registered with its hook implementations guarded, so that one that raises is
turned into a :class:`PluginError` naming it (``startup`` and ``strict`` hooks)
or recorded as a :class:`Failure` and skipped (``robust`` and ``isolated``)
while pluggy carries on with the others.
"""

from __future__ import annotations

import contextvars
import functools
import importlib.metadata
import inspect
import logging
import re
import warnings
from collections.abc import Callable, Collection, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from hub import hookspecs

ENTRY_POINT_GROUP = "hub.plugins"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")
# The core's own navigation, permissions and pages are registered as this plugin.
CORE = "core"
UNKNOWN = "(unknown)"
# The version of hub.plugin_api; a plugin may require a range with HUB_API.
API_VERSION = "1.2"
RECENT_FAILURES = 20

log = logging.getLogger(__name__)

State = Literal["enabled", "disabled", "failed"]
T = TypeVar("T")


class PluginError(RuntimeError):
    """A plugin broke a rule the core relies on; the message names it."""


@dataclass(frozen=True)
class Failure:
    """One plugin's implementation of a hook (or part of its contribution) failed."""

    plugin: str
    where: str  # the hook, or a part of a contribution: "dashboard panel 'Stock'"
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r}: {self.where} failed: {self.error}"


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass
class PluginRecord:
    """What the core knows about one installed plugin."""

    name: str
    version: str
    distribution: str
    state: State
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    # Failures of robust and isolated hooks in this process, newest last.
    failures: list[Failure] = field(default_factory=list)
    # The core's own default plugin: listed only when asked for.
    default: bool = False

    @property
    def hook_errors(self) -> list[str]:
        return [f"{failure.where}: {failure.error}" for failure in self.failures]


@dataclass(frozen=True)
class Results:
    """What one hook call returned: each plugin's value in the order pluggy
    called them, and the failures the hook's policy let through."""

    hook: str
    values: list[tuple[str, Any]]
    failures: list[Failure]
    # Which plugin made each item of a list value (a wrapper may pass on another's).
    item_origins: list[tuple[str, object]] = field(default_factory=list, repr=False)

    def by_plugin(self) -> dict[str, Any]:
        return dict(self.values)

    def failed(self) -> dict[str, Failure]:
        """The first failure of each plugin that failed."""
        found: dict[str, Failure] = {}
        for failure in self.failures:
            found.setdefault(failure.plugin, failure)
        return found

    def items(self) -> list[tuple[str, Any]]:
        """Each item of each plugin's list (see :meth:`PluginManager.collect`)."""
        return [(plugin, item) for plugin, items in self.values for item in items]


class _Call:
    """What the guarded implementations of one hook call noted as they ran: each
    value with its plugin, and each item of a value that is a list."""

    def __init__(self) -> None:
        self.origins: list[tuple[str, object]] = []
        self.failures: list[Failure] = []

    def made(self, plugin: str, value: object) -> None:
        if value is not None:
            self.origins.append((plugin, value))
            self.origins.extend((plugin, item) for item in _listed(value))

    def tag(
        self, values: Iterable[object]
    ) -> tuple[list[tuple[str, Any]], list[tuple[str, object]]]:
        """Each value with the plugin whose implementation (or wrapper) returned
        it; and the origins left, those of the items in the values."""
        unused = list(self.origins)
        tagged = [(_take(unused, value) or UNKNOWN, value) for value in values]
        return tagged, unused


def _take(pairs: list[tuple[str, object]], value: object) -> str | None:
    """Remove the first pair holding ``value`` itself, and give its plugin."""
    for index, (plugin, seen) in enumerate(pairs):
        if seen is value:
            del pairs[index]
            return plugin
    return None


_current_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "hub_hook_call", default=None
)


class _Guarded:
    """A plugin as registered with pluggy: its hook implementations, guarded."""

    def __init__(self, plugin: object, name: str) -> None:
        self.__wrapped__ = plugin
        self._name = name
        self.originals: dict[str, Callable[..., Any]] = {}  # hook name: the plugin's function

    def __repr__(self) -> str:
        return f"<plugin {self._name} ({getattr(self.__wrapped__, '__name__', self.__wrapped__)})>"


class _Pluggy(pluggy.PluginManager):
    """pluggy's manager, registering each plugin through :meth:`PluginManager.guard`."""

    def __init__(self, guard: Callable[[object, str], _Guarded]) -> None:
        super().__init__("hub")
        self._guard = guard

    def register(self, plugin: object, name: str | None = None) -> str | None:
        name = name or self.get_canonical_name(plugin)
        guarded = self._guard(plugin, name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            registered = super().register(guarded, name)
        for warning in caught:
            self._warn_at_implementation(guarded, warning)
        return registered

    def _warn_at_implementation(self, guarded: _Guarded, warning: warnings.WarningMessage) -> None:
        """Warn as pluggy did (a deprecated hook's ``warn_on_impl``), but pointing
        at the plugin's own implementation rather than at its guard."""
        filename, lineno = warning.filename, warning.lineno
        for hook, original in guarded.originals.items():
            spec = getattr(self.hook, hook).spec
            if spec is not None and spec.warn_on_impl is warning.message:
                code = getattr(inspect.unwrap(original), "__code__", None)
                if code is not None:
                    filename, lineno = code.co_filename, code.co_firstlineno
        warnings.warn_explicit(warning.message, warning.category, filename, lineno)


class PluginManager:
    """The one place hooks are called from."""

    def __init__(self, enabled: Collection[str] | None) -> None:
        self.pm = _Pluggy(self.guard)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._enabled = None if enabled is None else set(enabled)
        # Failures noted but not yet stored in the database (see hub.plugin_status).
        self.unsaved: list[Failure] = []

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
        if not PLUGIN_NAME.match(name) or name == CORE:
            return self._fail(record, "plugin names are 2 to 31 lowercase letters or digits")
        if self._enabled is not None and name not in self._enabled:
            self.pm.set_blocked(name)
            return None
        try:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
            self.pm.check_pending()
        except PluginError as exc:
            self._unregister(name)
            return self._fail(record, str(exc))
        except Exception as exc:
            self._unregister(name)
            return self._fail(record, describe(exc))
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

    def register_default(self, plugin: object) -> None:
        """Register the core's own behaviour, as a plugin that others can wrap."""
        self.register(plugin, CORE)
        self.records[CORE].default = True

    def guard(self, plugin: object, name: str) -> _Guarded:
        """What pluggy registers for ``plugin``: each of its hook implementations
        wrapped to apply its hook's failure policy and to tag what it returns."""
        _check_api_version(plugin, name)
        guarded = _Guarded(plugin, name)
        for attribute in dir(plugin):
            options = pluggy.PluginManager.parse_hookimpl_opts(self.pm, plugin, attribute)
            if options is None:
                continue
            hook = options.get("specname") or attribute
            function = getattr(plugin, attribute)
            if options.get("hookwrapper"):
                raise PluginError(
                    f"plugin {name!r}: {hook} is an old-style hookwrapper; "
                    "use @api.hookimpl(wrapper=True)"
                )
            if options.get("wrapper") and not inspect.isgeneratorfunction(function):
                raise PluginError(f"plugin {name!r}: {hook} is a wrapper but does not yield")
            if hookspecs.policy_of(hook) is not None:
                guarded.originals[hook] = function
                wrap = self._guard_wrapper if options.get("wrapper") else self._guard_impl
                function = wrap(name, hook, function)
                function.hub_impl = options
            setattr(guarded, attribute, function)
        return guarded

    def _guard_impl(self, plugin: str, hook: str, function: Callable[..., Any]) -> Any:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                value = function(*args, **kwargs)
            except Exception as exc:
                self._failed(Failure(plugin, hook, describe(exc)), exc)
                return None
            _note(plugin, value)
            return value

        return guarded

    def _guard_wrapper(self, plugin: str, hook: str, function: Callable[..., Any]) -> Any:
        """A new-style wrapper whose own code fails is skipped: the result passes
        through unchanged (or, for startup and strict hooks, the call stops)."""

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
            try:
                teardown = function(*args, **kwargs)
                next(teardown)
            except Exception as exc:  # StopIteration too: it did not yield
                self._failed(Failure(plugin, hook, describe(exc)), exc)
                return (yield)
            try:
                result = yield
            except Exception as exc:
                # An implementation inside failed (a startup or strict hook): the
                # wrapper sees it, as pluggy promises, and may handle it.
                try:
                    teardown.throw(exc)
                except StopIteration as stop:
                    return stop.value
                raise PluginError(str(Failure(plugin, hook, "the wrapper yields twice"))) from exc
            try:
                teardown.send(result)
            except StopIteration as stop:
                _note_added(plugin, result, stop.value)
                return stop.value
            except Exception as exc:
                self._failed(Failure(plugin, hook, describe(exc)), exc)
                return result
            self._failed(Failure(plugin, hook, "the wrapper yields twice"), None)
            return result

        return guarded

    def _failed(self, failure: Failure, exc: BaseException | None) -> None:
        """Apply the failure's hook policy: raise for startup and strict hooks,
        otherwise note it (log, plugins page, this call's results) and go on."""
        policy = hookspecs.policy_of(failure.where) or "robust"  # a part of a contribution
        if policy in ("startup", "strict"):
            raise PluginError(str(failure)) from exc
        self.note_failure(failure, exc)
        call = _current_call.get()
        if call is not None:
            call.failures.append(failure)

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
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)

    # --- calling -----------------------------------------------------------

    def enabled_names(self) -> list[str]:
        """The enabled plugins, not counting the core's own default plugin."""
        return sorted(
            name
            for name, record in self.records.items()
            if record.state == "enabled" and not record.default
        )

    def implements(self, name: str, hook: str) -> bool:
        return any(impl.plugin_name == name for impl in getattr(self.pm.hook, hook).get_hookimpls())

    def call(self, hook: str, /, *, plugin: str | None = None, **kwargs: Any) -> Results:
        """Call ``hook`` through pluggy for every enabled plugin (or only ``plugin``,
        with every plugin's wrappers still around it), applying its failure policy.

        Raises :class:`PluginError` naming the plugin when a ``startup`` or
        ``strict`` hook fails; failures of ``robust`` and ``isolated`` hooks are
        in the results (and logged, and kept for the plugins page).
        """
        caller = getattr(self.pm.hook, hook)
        if plugin is not None:
            others = {
                impl.plugin
                for impl in caller.get_hookimpls()
                if impl.plugin_name != plugin and not impl.wrapper
            }
            caller = self.pm.subset_hook_caller(hook, others)
        call = _Call()
        token = _current_call.set(call)
        try:
            returned = caller(**kwargs)
        finally:
            _current_call.reset(token)
        if caller.spec is not None and caller.spec.opts.get("firstresult"):
            returned = [] if returned is None else [returned]
        values, item_origins = call.tag(returned)
        return Results(hook, values, call.failures, item_origins)

    def collect(self, hook: str, kind: type[T], /, **kwargs: Any) -> Results:
        """Call a hook whose implementations return lists of ``kind``; each
        plugin's value becomes a list. A value that is not a list of ``kind`` is
        a failure of its plugin under the hook's policy (a ``robust`` hook loses
        the wrong item, an ``isolated`` one the plugin's whole answer)."""
        results = self.call(hook, **kwargs)
        isolated = hookspecs.policy_of(hook) == "isolated"
        by_plugin: dict[str, list[Any]] = {}
        failures = list(results.failures)
        for plugin, value in results.values:
            items, wrong = _items_of(value, kind)
            if wrong is not None:
                failure = Failure(plugin, hook, wrong)
                self._failed(failure, None)
                failures.append(failure)
                if isolated:
                    continue
            for item in items:
                # A wrapper may pass another plugin's items on in a list of its own.
                maker = _take(results.item_origins, item) or plugin
                by_plugin.setdefault(maker, []).append(item)
        failed = {failure.plugin for failure in failures} if isolated else set()
        values = [(plugin, items) for plugin, items in by_plugin.items() if plugin not in failed]
        return Results(hook, values, failures)

    def note_failure(self, failure: Failure, exc: BaseException | None = None) -> None:
        """Log a failure that was skipped, and keep it for ``hub plugins`` and the
        admin's plugins page (a hook call, or rendering one of its panels)."""
        kept = self.records[failure.plugin].failures
        kept.append(failure)
        del kept[:-RECENT_FAILURES]
        self.unsaved.append(failure)
        log.error("plugin %s: %s failed; skipped", failure.plugin, failure.where, exc_info=exc)

    def note_hook_error(self, name: str, where: str, exc: Exception) -> None:
        """Note that part of plugin ``name``'s contribution failed and was skipped."""
        self.note_failure(Failure(name, where, describe(exc)), exc)

    def formats(self, hook: str, kind: type[T]) -> dict[str, tuple[str, T]]:
        """The import or export formats (``kind``) enabled plugins offer through
        ``hook``, by format name, each with the plugin offering it."""
        return {item.format: (plugin, item) for plugin, item in self.collect(hook, kind).items()}


def _note(plugin: str, value: object) -> None:
    call = _current_call.get()
    if call is not None:
        call.made(plugin, value)


def _note_added(plugin: str, before: object, after: object) -> None:
    """Note what a wrapper's result holds that the result it wrapped did not:
    new values, and new items in lists (items passed on keep their origin)."""
    call = _current_call.get()
    if call is None:
        return
    inner = [(plugin, value) for value in _as_list(before)]
    inner += [(plugin, item) for value in _as_list(before) for item in _listed(value)]
    for value in _as_list(after):
        if _take(inner, value) is None and value is not None:
            call.origins.append((plugin, value))
        for item in _listed(value):
            if _take(inner, item) is None:
                call.origins.append((plugin, item))


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _listed(value: object) -> list[object]:
    """The items of a list or tuple value (never iterating a generator)."""
    return list(value) if isinstance(value, list | tuple) else []


def _items_of(value: object, kind: type[T]) -> tuple[list[T], str | None]:
    """The items of ``value`` that are ``kind``, and what was wrong, if anything."""
    if not hasattr(value, "__iter__") or isinstance(value, str | bytes | dict):
        return [], f"returned {type(value).__name__}, not a list of {kind.__name__}"
    items, wrong = [], None
    for item in value:
        if isinstance(item, kind):
            items.append(item)
        else:
            wrong = f"returned {type(item).__name__} in its list, not {kind.__name__}"
    return items, wrong


def _check_api_version(plugin: object, name: str) -> None:
    """A plugin declaring ``HUB_API = ">=1.1,<2"`` loads only on a plugin API in that range."""
    wanted = getattr(plugin, "HUB_API", None)
    if wanted is None:
        return
    try:
        compatible = Version(API_VERSION) in SpecifierSet(str(wanted))
    except InvalidSpecifier:
        raise PluginError(
            f"plugin {name!r}: HUB_API = {wanted!r} is not a version range such as '>=1.1,<2'"
        ) from None
    if not compatible:
        raise PluginError(
            f"plugin {name!r} needs plugin API {wanted}; this hub offers {API_VERSION}"
        )


def installed_entry_points() -> list[importlib.metadata.EntryPoint]:
    """Every installed plugin's entry point, once per name, in name order."""
    seen: dict[str, importlib.metadata.EntryPoint] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(entry_point.name, entry_point)
    return [seen[name] for name in sorted(seen)]


def build(enabled: Collection[str] | None, extra: dict[str, object] | None = None) -> PluginManager:
    """A manager with every installed plugin loaded (or only ``enabled`` ones),
    then the ``extra`` plugin objects (tests), then the core's default plugin."""
    from hub import defaults

    manager = PluginManager(enabled)
    manager.load_installed()
    for name, plugin in (extra or {}).items():
        if enabled is None or name in enabled:
            manager.register(plugin, name)
    manager.register_default(defaults)
    return manager


def load_models(app: Any, manager: PluginManager) -> None:
    """Collect each enabled plugin's models; check their tables carry its prefix."""
    from hub.migrate import PluginModels

    parts = {}
    for name, part in manager.call("hub_models").values:
        if not isinstance(part, PluginModels):
            raise PluginError(f"plugin {name!r}: hub_models must return api.PluginModels")
        for table in part.tables:
            if not table.startswith(f"{name}_"):
                raise PluginError(f"plugin {name!r}: table {table!r} must start with {name}_")
        parts[name] = part
    app.extensions["hub.plugin_models"] = parts


def check_blueprint(name: str, blueprint: Any) -> None:
    """A plugin's routes live under its own name, so plugins cannot collide."""
    if name == CORE:
        return
    allowed = (f"/api/v1/{name}", f"/{name}")
    prefix = (blueprint.url_prefix or "").rstrip("/")
    if prefix not in allowed and not prefix.startswith(tuple(p + "/" for p in allowed)):
        raise PluginError(
            f"plugin {name!r}: blueprint {blueprint.name!r} must use url_prefix /{name} or /api/v1/{name}"
        )
