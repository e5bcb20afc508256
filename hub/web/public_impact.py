"""One impact summary per place, across services: food parcels and people fed, food
given out, items repaired, waste and emissions avoided, loans, hours exchanged.

Each metric declares the measure of :data:`hub.metrics.IMPACTS` it adds to; a
place's figure is the sum of every such metric of every service there (a
codelist metric with all its codes), over the last twelve full months, against
the twelve before. Sums go through the network's one rule for suppressed cells
(:func:`hub.federation.aggregates.combine`), so a total never gives back a count
that was suppressed where it was made.

The whole network and its regions are added up from the subtotals kept at ingest
(:mod:`hub.federation.rollup`), a few rows per region and month whatever the
network's size; towns are added up from their own summaries, so ``/public`` lists
the towns with the most groups and says how many more the evidence report has.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from hub.federation import aggregates
from hub.federation.models import Holding, Origin, Subtotal, Summary
from hub.metrics import IMPACTS
from hub.periods import Period
from hub.web.public_figures import Catalogue, Reading, change, display_unit, month_label

WINDOW_MONTHS = 12
# Towns a whole network's summary lists on a page (the report lists every one).
TOWNS_SHOWN = 12


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
    towns_not_shown: int = 0  # the network's towns left out of ``places``

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
    towns_shown: int | None = None,
) -> ImpactSummary | None:
    """The summary for ``area`` (default: the whole network, each region and each of
    its towns, or the ``towns_shown`` with the most groups) over ``months`` (default:
    the last twelve full ones) against a year before; ``None`` with nothing to show."""
    months = months or full_months_before(today)
    earlier = [Period("month", m.start.replace(year=m.start.year - 1)) for m in months]
    window = {str(m): "now" for m in months} | {str(m): "before" for m in earlier}
    if area is None or area.kind == "network":
        return _network_summary(session, catalogue, months, window, towns_shown)
    known = {
        origin: info
        for origin, info in aggregates.origins(session).items()
        if origin in area.origins
    }
    cells = _origin_cells(session, catalogue, window, known)
    if not cells:
        return None
    measures = _measures_of(cells.values())
    return ImpactSummary(
        months,
        measures,
        [
            _place(name, kind, members, cells, measures)
            for name, kind, members in _places(known, area)
            if any((origin, "now") in cells for origin in members)
        ],
    )


def _network_summary(
    session: Session,
    catalogue: Catalogue,
    months: list[Period],
    window: Mapping[str, str],
    towns_shown: int | None,
) -> ImpactSummary | None:
    tallies = _region_tallies(session, catalogue, window)
    if not tallies:
        return None
    # The services that add to a measure: whose groups count and whose towns are listed.
    with_impact = [plugin for plugin in catalogue.definitions if catalogue.impacts(plugin)]
    groups = _groups_by_region(
        session, with_impact, [m for m, half in window.items() if half == "now"]
    )
    codes = {code for by_code in tallies.values() for code in by_code}
    measures = [(code, _measure(code)) for code in IMPACTS if code in codes]
    regions = sorted({region for region, _ in tallies})
    if not any(half == "now" for _, half in tallies):
        return ImpactSummary(months, measures, [])
    places = [
        _place_of_tallies(
            "The whole network", "network", sum(groups.values()), tallies, regions, measures
        )
    ]
    places += [
        _place_of_tallies(region, "region", groups.get(region, 0), tallies, [region], measures)
        for region in regions
        if region and (region, "now") in tallies
    ]
    towns, not_shown = _towns(session, with_impact, towns_shown)
    known = {
        origin: info for origin, info in aggregates.origins(session).items() if origin in towns
    }
    cells = _origin_cells(session, catalogue, window, known)
    by_town: dict[str, list[str]] = defaultdict(list)
    for origin, info in known.items():
        by_town[info.label].append(origin)
    places += [
        _place(name, "town", members, cells, measures)
        for name, members in sorted(by_town.items())
        if any((origin, "now") in cells for origin in members)
    ]
    return ImpactSummary(months, measures, places, not_shown)


def _region_tallies(
    session: Session, catalogue: Catalogue, window: Mapping[str, str]
) -> dict[tuple[str, str], dict[str, aggregates.Tally]]:
    """Each region's tally of each measure, for the months now and a year before."""
    found: dict[tuple[str, str], dict[str, aggregates.Tally]] = defaultdict(dict)
    impacts: dict[str, dict[str, str]] = {}
    rows = select(Subtotal.plugin, Subtotal.period, Subtotal.region, Subtotal.metrics)
    for plugin, period, region, metrics in session.execute(
        rows.where(Subtotal.period.in_(list(window)))
    ):
        if plugin not in impacts:
            impacts[plugin] = catalogue.impacts(plugin)
        by_code = found[(region, window[period])]
        for name, stored in metrics.items():
            code = _measure_of(impacts[plugin], name)
            if code is not None:
                by_code.setdefault(code, aggregates.Tally()).absorb(aggregates.Tally.of(stored))
    return dict(found)


def _groups_by_region(session: Session, plugins: list[str], months: list[str]) -> dict[str, int]:
    """How many groups in each region published a service with an impact in ``months``."""
    counted = (
        select(Origin.region, func.count(distinct(Summary.origin)))
        .join(Origin, Origin.origin == Summary.origin)
        .where(Summary.plugin.in_(plugins), Summary.period.in_(months))
        .group_by(Origin.region)
    )
    return {region: count for region, count in session.execute(counted)}


def _towns(session: Session, plugins: list[str], shown: int | None) -> tuple[set[str], int]:
    """The origins of the towns listed (those with the most groups holding a service
    with an impact, ``shown`` of them; every one for ``None``), and how many are not."""
    groups = func.count(distinct(Holding.origin))
    ranked = (
        select(Holding.label)
        .where(Holding.plugin.in_(plugins))
        .group_by(Holding.label)
        .order_by(groups.desc(), Holding.label)
    )
    labels = list(session.scalars(ranked))
    listed = labels if shown is None else labels[:shown]
    origins = select(Holding.origin).where(Holding.plugin.in_(plugins), Holding.label.in_(listed))
    return set(session.scalars(origins)), len(labels) - len(listed)


def _origin_cells(
    session: Session,
    catalogue: Catalogue,
    window: Mapping[str, str],
    known: Mapping[str, aggregates.OriginInfo],
) -> dict[tuple[str, str], list[aggregates.Cell]]:
    """Each of the ``known`` origins' impact cells, for the months now and a year before."""
    cells: dict[tuple[str, str], list[aggregates.Cell]] = defaultdict(list)
    if not known:
        return cells
    impacts: dict[str, dict[str, str]] = {}  # each plugin's, looked up once
    for origin, plugin, period, metrics in session.execute(
        select(Summary.origin, Summary.plugin, Summary.period, Summary.metrics).where(
            Summary.origin.in_(list(known)), Summary.period.in_(list(window))
        )
    ):
        if plugin not in impacts:
            impacts[plugin] = catalogue.impacts(plugin)
        for cell in _impact_cells(impacts[plugin], origin, metrics, known[origin].threshold):
            cells[(origin, window[period])].append(cell)
    return cells


def _measures_of(cells: Iterable[list[aggregates.Cell]]) -> list[tuple[str, Reading]]:
    found = {code for listed in cells for cell in listed for code in cell.metrics}
    return [(code, _measure(code)) for code in IMPACTS if code in found]


def _measure_of(impacts: Mapping[str, str], name: str) -> str | None:
    """The measure metric ``name`` (or its codelist's base name) adds to, if any."""
    code = impacts.get(name) or impacts.get(name.split(".")[0])
    return code if code in IMPACTS else None


def _impact_cells(
    impacts: Mapping[str, str], origin: str, metrics: Mapping[str, Any], threshold: int
) -> Iterable[aggregates.Cell]:
    """One cell per published figure that adds to a measure (``impacts``: the plugin's
    base names to their measures), as ``{measure: value}``."""
    for name, value in metrics.items():
        code = _measure_of(impacts, name)
        if code is not None:
            yield aggregates.Cell(origin, {code: value}, threshold)


def _places(
    known: Mapping[str, aggregates.OriginInfo], area: Area
) -> list[tuple[str, str, list[str]]]:
    """The places an instance, a town or a region lists: itself, and a region its towns."""
    if area.kind != "region":
        return [(area.name, area.kind, list(known))]
    towns: dict[str, list[str]] = defaultdict(list)
    for origin, info in known.items():
        towns[info.label].append(origin)
    return [(area.name, "region", list(known))] + [
        (name, "town", members) for name, members in sorted(towns.items())
    ]


def _place(
    name: str,
    kind: str,
    members: list[str],
    cells: Mapping[tuple[str, str], list[aggregates.Cell]],
    measures: list[tuple[str, Reading]],
) -> Place:
    now = aggregates.combine(c for origin in members for c in cells.get((origin, "now"), ()))
    before = aggregates.combine(c for origin in members for c in cells.get((origin, "before"), ()))
    groups = sum(1 for origin in members if (origin, "now") in cells)
    return Place(name, kind, groups, _shown(now, before, measures))


def _place_of_tallies(
    name: str,
    kind: str,
    groups: int,
    tallies: Mapping[tuple[str, str], Mapping[str, aggregates.Tally]],
    regions: list[str],
    measures: list[tuple[str, Reading]],
) -> Place:
    """A place made of whole regions, added up from their tallies."""
    halves: dict[str, dict[str, aggregates.Total]] = {}
    for half in ("now", "before"):
        added: dict[str, aggregates.Tally] = defaultdict(aggregates.Tally)
        for region in regions:
            for code, tally in tallies.get((region, half), {}).items():
                added[code].absorb(tally)
        halves[half] = {code: tally.total() for code, tally in added.items()}
    return Place(name, kind, groups, _shown(halves["now"], halves["before"], measures))


def _shown(
    now: Mapping[str, aggregates.Total],
    before: Mapping[str, aggregates.Total],
    measures: list[tuple[str, Reading]],
) -> dict[str, ImpactCell]:
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
    return shown
