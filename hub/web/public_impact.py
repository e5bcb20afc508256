"""One impact summary per place, across services: food parcels and people fed, food
given out, items repaired, waste and emissions avoided, loans, hours exchanged.

Each metric declares the measure of :data:`hub.metrics.IMPACTS` it adds to; a
place's figure is the sum of every such metric of every service there (a
codelist metric with all its codes), over the last twelve full months, against
the twelve before. Sums go through the network's one rule for suppressed cells
(:func:`hub.federation.aggregates.combine`), so a total never gives back a count
that was suppressed where it was made.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.federation import aggregates
from hub.federation.models import Summary
from hub.metrics import IMPACTS
from hub.periods import Period
from hub.web.public_figures import Catalogue, Reading, change, display_unit, month_label

WINDOW_MONTHS = 12


@dataclass
class ImpactCell:
    text: str
    change: str
    value: int | None  # as published (grams, not kg), for reports that add up


@dataclass
class Place:
    name: str
    kind: str  # "network", "region", "town" or "instance"
    groups: int
    cells: dict[str, ImpactCell]


@dataclass
class ImpactSummary:
    months: list[Period]
    measures: list[tuple[str, Reading]]  # impact code and how its figures read
    places: list[Place]

    @property
    def window(self) -> str:
        return f"{month_label(self.months[0])} to {month_label(self.months[-1])}"


def full_months_before(today: dt.date, count: int = WINDOW_MONTHS) -> list[Period]:
    """The ``count`` full months before the one ``today`` is in, oldest first."""
    months = [Period.month_of(today).previous()]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


def _measure(code: str) -> Reading:
    impact = IMPACTS[code]
    unit, scale = display_unit(impact.unit)
    return Reading(impact.label, unit, scale, "events", "period", impact.description)


@dataclass(frozen=True)
class Area:
    """Where figures are for: this instance, or an aggregator's network, region or town."""

    kind: str  # "instance", "network", "region" or "town"
    name: str
    origins: frozenset[str]


def impact_summary(
    session: Session,
    catalogue: Catalogue,
    today: dt.date,
    *,
    area: Area | None = None,
    months: list[Period] | None = None,
) -> ImpactSummary | None:
    """The summary for ``area`` (default: the whole network, each region and each town)
    over ``months`` (default: the last twelve full ones) against a year before;
    ``None`` with nothing to show."""
    months = months or full_months_before(today)
    earlier = [Period("month", m.start.replace(year=m.start.year - 1)) for m in months]
    window = {str(m): "now" for m in months} | {str(m): "before" for m in earlier}
    known = aggregates.origins(session)
    if area is not None:
        known = {origin: info for origin, info in known.items() if origin in area.origins}
    cells: dict[tuple[str, str], list[aggregates.Cell]] = defaultdict(list)
    impacts: dict[str, dict[str, str]] = {}  # each plugin's, looked up once
    for origin, plugin, period, metrics in session.execute(
        select(Summary.origin, Summary.plugin, Summary.period, Summary.metrics).where(
            Summary.period.in_(list(window))
        )
    ):
        if origin in known:
            if plugin not in impacts:
                impacts[plugin] = catalogue.impacts(plugin)
            for cell in _impact_cells(impacts[plugin], origin, metrics, known[origin].threshold):
                cells[(origin, window[period])].append(cell)
    if not cells:
        return None
    places = _places(known, area)
    codes = [
        code for code in IMPACTS if any(code in c.metrics for cs in cells.values() for c in cs)
    ]
    measures = [(code, _measure(code)) for code in codes]
    return ImpactSummary(
        months,
        measures,
        [
            _place(name, kind, members, cells, measures)
            for name, kind, members in places
            if any((origin, "now") in cells for origin in members)
        ],
    )


def _impact_cells(
    impacts: Mapping[str, str], origin: str, metrics: Mapping[str, Any], threshold: int
) -> Iterable[aggregates.Cell]:
    """One cell per published figure that adds to a measure (``impacts``: the plugin's
    base names to their measures), as ``{measure: value}``."""
    for name, value in metrics.items():
        code = impacts.get(name) or impacts.get(name.split(".")[0])
        if code is not None and code in IMPACTS:
            yield aggregates.Cell(origin, {code: value}, threshold)


def _places(
    known: Mapping[str, aggregates.OriginInfo], area: Area | None
) -> list[tuple[str, str, list[str]]]:
    if area is not None and area.kind in ("instance", "town"):
        return [(area.name, area.kind, list(known))]
    regions: dict[str, list[str]] = defaultdict(list)
    towns: dict[str, list[str]] = defaultdict(list)
    for origin, info in known.items():
        if info.region:
            regions[info.region].append(origin)
        towns[info.label].append(origin)
    if area is not None and area.kind == "region":
        return [(area.name, "region", list(known))] + [
            (name, "town", members) for name, members in sorted(towns.items())
        ]
    return (
        [("The whole network", "network", list(known))]
        + [(name, "region", members) for name, members in sorted(regions.items())]
        + [(name, "town", members) for name, members in sorted(towns.items())]
    )


def _place(
    name: str,
    kind: str,
    members: list[str],
    cells: Mapping[tuple[str, str], list[aggregates.Cell]],
    measures: list[tuple[str, Reading]],
) -> Place:
    now = aggregates.combine(c for origin in members for c in cells.get((origin, "now"), ()))
    before = aggregates.combine(c for origin in members for c in cells.get((origin, "before"), ()))
    shown = {}
    for code, reading in measures:
        if code not in now:
            shown[code] = ImpactCell("none", "", 0)
            continue
        value = now[code].value
        earlier = before[code].value if code in before else None
        shown[code] = ImpactCell(
            reading.figure(value) if value is not None else "not published",
            change(value, earlier) if code in before else "no figures a year before",
            value,
        )
    groups = sum(1 for origin in members if (origin, "now") in cells)
    return Place(name, kind, groups, shown)
