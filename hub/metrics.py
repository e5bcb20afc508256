"""The figures an instance publishes: definitions, computation, disclosure control.

Plugins declare :class:`Metric` definitions and compute raw integers for a
period; this module applies disclosure control so that nothing published can
single anyone out: people and household counts below the threshold are
suppressed (published as ``None``), and the rest are rounded to the nearest 5;
they are published for months only, and only once a month has settled
(:data:`SETTLING` after it ends). Counts of events and quantities (parcels,
repairs, grams) are exact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from sqlalchemy.orm import Session

from hub import clock
from hub.federation.grammar import WORD
from hub.periods import Period, periods_for_dates
from hub.plugin_manager import Failure, Results

if TYPE_CHECKING:
    from hub.plugin_manager import PluginManager

Counts = Literal["events", "people", "households", "quantity"]
PEOPLE_COUNTS: frozenset[str] = frozenset({"people", "households"})
MAX_SAFE_INTEGER = 2**53 - 1

# A month's people counts wait this long after it ends: while a month is open its
# revisions grow day by day, and two successive revisions differ by the people of
# the days between, a small count that rounding cannot hide. Late entries from a
# busy last session usually arrive within the week.
SETTLING = dt.timedelta(days=7)


LABEL_BYTES = 120  # as the federation grammar allows a published label


@dataclass(frozen=True)
class Impact:
    """A measure of what services achieve that adds up across services and towns."""

    label: str
    unit: str
    description: str


# A metric declares which of these it adds to (``impact=``); a place's impact summary
# adds every such metric up, whatever service or town it comes from.
IMPACTS: Mapping[str, Impact] = {
    "food_parcels": Impact("Food parcels given", "parcels", "Parcels of food given out"),
    "people_fed": Impact(
        "People fed (each time)",
        "people",
        "People fed, counted each time (someone fed twice counts twice)",
    ),
    "food_distributed": Impact("Food given out", "grams", "Weight of food given out"),
    "items_repaired": Impact("Items repaired", "items", "Broken things fixed and back in use"),
    "waste_prevented": Impact("Waste prevented", "grams", "Weight kept out of the waste stream"),
    "co2e_avoided": Impact(
        "Emissions avoided", "grams CO2e", "Greenhouse gases not emitted by mending, not buying"
    ),
    "loans": Impact("Loans", "loans", "Things lent instead of bought"),
    "purchases_avoided": Impact("Purchases avoided", "purchases", "New things nobody had to buy"),
    # Time is published in minutes, as weights are in grams; pages show it in hours.
    "hours_exchanged": Impact("Hours exchanged", "minutes", "Hours of help given and received"),
}


@dataclass(frozen=True)
class Metric:
    """One published figure (or family of figures, with a ``codelist``).

    ``label`` is what a person reads on public pages and reports ("Food given
    out"); ``unit`` names what one of the integer counts ("parcels", "grams":
    pages show grams as kg, "minutes" as hours); ``description`` says exactly
    what is counted; ``counts`` whether it counts events, different people or households, or a
    quantity; ``window`` over what (each ``period``, or each ``event`` added up);
    ``impact`` the measure of :data:`IMPACTS` it adds to in a place's impact
    summary across services (a codelist metric adds all its codes).
    A declaration written before labels existed reads with :attr:`title`.
    """

    name: str
    unit: str
    description: str
    counts: Counts = "events"
    window: str = "period"
    codelist: Mapping[str, str] | None = field(default=None, hash=False)
    label: str = ""
    impact: str | None = None

    def __post_init__(self) -> None:
        if len(self.label.encode()) > LABEL_BYTES or not self.label.isprintable():
            raise ValueError(
                f"metric {self.name!r}: a label is one line of at most {LABEL_BYTES} bytes"
            )
        if not WORD.fullmatch(self.window):
            raise ValueError(
                f"metric {self.name!r}: window {self.window!r} is not a word such as "
                "'period' or 'visit' (lowercase letters, digits and _, as published)"
            )
        if self.impact is not None and self.impact not in IMPACTS:
            raise ValueError(
                f"metric {self.name!r}: impact must be one of {sorted(IMPACTS)}, not {self.impact!r}"
            )

    @property
    def counts_people(self) -> bool:
        return self.counts in PEOPLE_COUNTS

    @property
    def title(self) -> str:
        """The label, or for an older declaration without one, the first clause of
        its description ("Adults fed: each parcel's..." reads "Adults fed")."""
        return self.label or fallback_label(self.description, self.name)

    def names(self) -> list[str]:
        """The published names: ``name``, or ``name.<code>`` for each code."""
        if self.codelist is None:
            return [self.name]
        return [f"{self.name}.{code}" for code in self.codelist]

    def describe(self) -> dict[str, Any]:
        """The definition as published in the instance descriptor."""
        return {
            "name": self.name,
            "label": self.title,
            "unit": self.unit,
            "description": self.description,
            "counts": self.counts,
            "counts_people": self.counts_people,
            "window": self.window,
            "codes": dict(self.codelist) if self.codelist is not None else None,
        } | ({"impact": self.impact} if self.impact else {})


def fallback_label(description: str, name: str) -> str:
    """A readable label from a description (or, with none, from the name)."""
    clause = re.split(r"[:;(]| - | \u2014 ", description, maxsplit=1)[0].strip(" .,")
    if not clause:
        clause = name.replace("_", " ").capitalize()
    encoded = clause.encode()
    if len(encoded) > LABEL_BYTES:
        clause = encoded[: LABEL_BYTES - 3].decode(errors="ignore").rstrip() + "\u2026"
    return clause


class MetricsError(ValueError):
    """Figures that do not match what their plugin declared."""


def suppress(value: int, threshold: int) -> int | None:
    """Disclosure control for a people count: ``None`` if 0 < value < threshold,
    otherwise rounded to the nearest 5 (halves away from zero)."""
    if value == 0:
        return 0
    if value < threshold:
        return None
    return ((value + 2) // 5) * 5


def settled(period: Period, today: dt.date) -> bool:
    """Whether ``period`` ended at least :data:`SETTLING` before ``today``."""
    return period.end + SETTLING <= today


def publishable(
    definitions: Iterable[Metric],
    raw: Any,
    threshold: int,
    kind: str = "month",
    *,
    settled: bool = True,
) -> dict[str, int | None]:
    """Check ``raw`` against ``definitions`` and apply disclosure control.

    Every declared name must be present (summaries are whole) as an integer
    within ±(2^53-1); undeclared names are refused.

    A count of people or households is published for months only, suppressed and
    rounded (:func:`suppress`); for a week (``kind="week"``) it is withheld
    (``None``). ISO weeks straddle months, so a week's figure beside its months'
    would give, by difference, the count for the few days between, and rounding
    cannot hide a small count from enough such differences. Months never overlap.
    Nor is it published for a month that has not ``settled`` (:data:`SETTLING`).
    """
    withheld = kind == "week" or not settled
    if not isinstance(raw, Mapping):
        raise MetricsError(
            f"figures must be a mapping of names to integers, not {type(raw).__name__}"
        )
    published: dict[str, int | None] = {}
    for definition in definitions:
        for name in definition.names():
            if name not in raw:
                raise MetricsError(f"did not compute metric {name!r}")
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise MetricsError(f"metric {name!r} is not an integer")
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise MetricsError(f"metric {name!r} is out of range")
            if not definition.counts_people:
                published[name] = value
            else:
                published[name] = None if withheld else suppress(value, threshold)
    extra = set(raw) - set(published)
    if extra:
        raise MetricsError(f"computed undeclared metrics: {sorted(extra, key=str)}")
    return published


@dataclass(frozen=True)
class PluginFigures:
    plugin: str
    period: Period
    metrics: dict[str, int | None]

    def as_json(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "period": str(self.period), "metrics": self.metrics}


@dataclass
class Figures:
    """What :func:`compute` found: each plugin's figures per period, in plugin
    then period order, and the plugins whose figures could not be computed."""

    figures: list[PluginFigures] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def as_json(self, *, details: bool = True) -> list[dict[str, Any]]:
        """The ``hub metrics --json`` list: each figure, then one entry per failed
        plugin with ``period`` and ``metrics`` null and ``error`` saying why
        (``details=False``: only that it failed, for those who may not see why)."""
        failed = [
            {
                "plugin": failure.plugin,
                "period": None,
                "metrics": None,
                "error": str(failure) if details else "its figures could not be computed",
            }
            for failure in self.failures
        ]
        return [figure.as_json() for figure in self.figures] + failed


def definitions(plugins: PluginManager, plugin: str | None = None) -> Results:
    """Each enabled plugin's metric definitions (``hub_metrics``, isolated)."""
    return plugins.collect("hub_metrics", Metric, plugin=plugin)


SERVICE_LABEL_BYTES = 80


def service_label(plugin: str, given: Any = None) -> str:
    """``given`` if it is a label a descriptor may carry, else ``plugin`` capitalised."""
    if (
        isinstance(given, str)
        and given.strip()
        and given.isprintable()
        and len(given.encode()) <= SERVICE_LABEL_BYTES
    ):
        return given.strip()
    return plugin.capitalize()


def service_labels(plugins: PluginManager) -> dict[str, str]:
    """Each enabled plugin's ``hub_service_label`` (isolated), or its fallback."""
    given = plugins.call("hub_service_label").by_plugin()
    return {name: service_label(name, given.get(name)) for name in plugins.enabled_names()}


def compute(
    session: Session,
    plugins: PluginManager,
    threshold: int,
    *,
    plugin: str | None = None,
    period: Period | None = None,
    also: Mapping[str, Iterable[Period]] | None = None,
) -> Figures:
    """The published figures of every enabled plugin (or one) for every period
    with activity (or only ``period``), and for a plugin's periods in ``also``;
    each plugin computes all its periods in one call. A plugin that fails is
    reported in the result, and every other plugin is computed all the same."""
    found = Figures()
    declared = definitions(plugins, plugin)
    steps = [declared]
    if period is None:
        steps.append(plugins.collect("hub_metric_periods", dt.date, plugin=plugin, session=session))
    for step in steps:
        found.failures.extend(step.failed().values())
    failed = {failure.plugin for failure in found.failures}
    active = (
        {name: periods_for_dates(days) for name, days in steps[-1].values} if period is None else {}
    )
    for name, metrics in declared.values:
        if not metrics or name in failed:
            continue
        wanted = {period} if period else set(active.get(name, ()))
        wanted.update((also or {}).get(name, ()))
        periods = sorted(wanted, key=lambda each: (each.start, each.kind))
        try:
            raw = _compute(session, plugins, name, periods)
            published = [
                _published(plugins, name, metrics, raw, each, threshold) for each in periods
            ]
        except _Failed as failed_plugin:
            found.failures.append(failed_plugin.failure)
            continue
        found.figures.extend(
            PluginFigures(name, each, figures)
            for each, figures in zip(periods, published, strict=True)
        )
    return found


BATCH_HOOK = "hub_compute_metrics_for_periods"
LEGACY_HOOK = "hub_compute_metrics"


class _Failed(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure


def _refuse(plugins: PluginManager, plugin: str, problem: str) -> NoReturn:
    """A plugin's figures break the contract: note it like a failing hook, and stop."""
    hook = BATCH_HOOK if plugins.implements(plugin, BATCH_HOOK) else LEGACY_HOOK
    failure = Failure(plugin, hook, problem)
    plugins.note_failure(failure)
    raise _Failed(failure)


def _compute(
    session: Session, plugins: PluginManager, name: str, periods: list[Period]
) -> Mapping[Period, Any]:
    """``name``'s raw figures for ``periods``: the batch hook, or the deprecated
    per-period hook called once per period for a plugin written before it."""
    if not periods:
        return {}
    if plugins.implements(name, BATCH_HOOK):
        results = plugins.call(BATCH_HOOK, plugin=name, session=session, periods=periods)
        _raise_failure(results)
        raw = results.by_plugin().get(name)
        if not isinstance(raw, Mapping):
            _refuse(plugins, name, f"returned {type(raw).__name__}, not a mapping of periods")
        missing = [str(each) for each in periods if each not in raw]
        if missing:
            _refuse(plugins, name, f"computed no figures for {', '.join(missing)}")
        return raw
    figures = {}
    for each in periods:
        results = plugins.call(LEGACY_HOOK, plugin=name, session=session, period=each)
        _raise_failure(results)
        figures[each] = results.by_plugin().get(name)
    return figures


def _raise_failure(results: Results) -> None:
    for failure in results.failures:
        raise _Failed(failure)


def _published(
    plugins: PluginManager,
    plugin: str,
    metrics: list[Metric],
    raw: Mapping[Period, Any],
    period: Period,
    threshold: int,
) -> dict[str, int | None]:
    try:
        return publishable(
            metrics, raw[period], threshold, period.kind, settled=settled(period, clock.today())
        )
    except MetricsError as exc:
        _refuse(plugins, plugin, f"{period}: {exc}")
