"""The figures an instance publishes: definitions, computation, disclosure control.

Plugins declare :class:`Metric` definitions and compute raw integers for a
period; this module applies disclosure control so that nothing published can
single anyone out: people and household counts below the threshold are
suppressed (published as ``None``), and the rest are rounded to the nearest 5.
Counts of events and quantities (parcels, repairs, grams) are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from hub.periods import Period

Counts = Literal["events", "people", "households", "quantity"]
PEOPLE_COUNTS: frozenset[str] = frozenset({"people", "households"})
MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True)
class Metric:
    """One published figure (or family of figures, with a ``codelist``)."""

    name: str
    unit: str
    description: str
    counts: Counts = "events"
    window: str = "period"
    codelist: Mapping[str, str] | None = field(default=None, hash=False)

    @property
    def counts_people(self) -> bool:
        return self.counts in PEOPLE_COUNTS

    def names(self) -> list[str]:
        """The published names: ``name``, or ``name.<code>`` for each code."""
        if self.codelist is None:
            return [self.name]
        return [f"{self.name}.{code}" for code in self.codelist]

    def describe(self) -> dict[str, Any]:
        """The definition as published in the instance descriptor."""
        return {
            "name": self.name,
            "unit": self.unit,
            "description": self.description,
            "counts": self.counts,
            "counts_people": self.counts_people,
            "window": self.window,
            "codes": dict(self.codelist) if self.codelist is not None else None,
        }


class MetricsError(ValueError):
    """A plugin computed figures that do not match what it declared."""


def suppress(value: int, threshold: int) -> int | None:
    """Disclosure control for a people count: ``None`` if 0 < value < threshold,
    otherwise rounded to the nearest 5 (halves away from zero)."""
    if value == 0:
        return 0
    if value < threshold:
        return None
    return ((value + 2) // 5) * 5


def publishable(
    definitions: Iterable[Metric], raw: Mapping[str, int], threshold: int, plugin: str
) -> dict[str, int | None]:
    """Check ``raw`` against ``definitions`` and apply disclosure control.

    Every declared name must be present (summaries are whole) as an integer
    within ±(2^53-1); undeclared names are refused.
    """
    published: dict[str, int | None] = {}
    for definition in definitions:
        for name in definition.names():
            if name not in raw:
                raise MetricsError(f"plugin {plugin!r} did not compute metric {name!r}")
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise MetricsError(f"plugin {plugin!r}: metric {name!r} is not an integer")
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise MetricsError(f"plugin {plugin!r}: metric {name!r} is out of range")
            published[name] = suppress(value, threshold) if definition.counts_people else value
    extra = set(raw) - set(published)
    if extra:
        raise MetricsError(f"plugin {plugin!r} computed undeclared metrics: {sorted(extra)}")
    return published


@dataclass(frozen=True)
class PluginFigures:
    plugin: str
    period: Period
    metrics: dict[str, int | None]

    def as_json(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "period": str(self.period), "metrics": self.metrics}


def compute(
    session: Session,
    plugins: Any,
    threshold: int,
    *,
    plugin: str | None = None,
    period: Period | None = None,
) -> list[PluginFigures]:
    """The published figures of every enabled plugin (or one) for every period
    with activity (or one), in plugin then period order."""
    results = []
    for name in plugins.enabled_names():
        if plugin is not None and name != plugin:
            continue
        definitions = _calling(name, "hub_metrics", plugins.metric_definitions, name)
        if not definitions:
            continue
        periods = (
            [period]
            if period
            else _calling(name, "hub_metric_periods", plugins.activity_periods, name, session)
        )
        for each in periods:
            raw = _calling(
                name,
                "hub_compute_metrics",
                plugins.call,
                name,
                "hub_compute_metrics",
                session=session,
                period=each,
            )
            if not isinstance(raw, Mapping):
                raise MetricsError(f"plugin {name!r}: hub_compute_metrics must return a mapping")
            results.append(
                PluginFigures(name, each, publishable(definitions, raw, threshold, name))
            )
    return results


def _calling(plugin: str, hook: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a plugin's metrics hook; a failure becomes a MetricsError naming it."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        raise MetricsError(f"plugin {plugin!r}: {hook} failed: {exc}") from exc
