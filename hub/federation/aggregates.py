"""Network totals and trends from the de-duplicated leaf summaries.

An instance holds exactly one summary per (origin, plugin, period): the
highest revision it has verified. Aggregators never publish summaries of their
own totals, every summary names the instance whose records it counts, so
adding the held summaries up gives the same totals whatever way they arrived
(pushed, pulled, relayed through a region) and never counts anything twice.

Suppressed cells (``null``: a people count below its origin's threshold) are
never guessed. A total over cells some of which are suppressed is the sum of
the published cells, and it is published only when the suppressed cells
together could add at most a tenth to it (each hides less than its origin's
threshold); otherwise the total is suppressed too. ``docs/federation.md``
gives the rule with examples.

The sums are kept per plugin, period and region in :class:`Subtotal` rows,
updated in the same transaction as the summaries (:mod:`hub.federation.rollup`),
so what a page costs follows what it shows, not how many summaries are held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from hub.federation.models import Holding, Origin, Subtotal, Summary
from hub.periods import Period

DEFAULT_THRESHOLD = 5
MAX_SAFE_INTEGER = 2**53 - 1
HIDDEN_SHARE = 10  # a total is published if suppressed cells could add at most 1/10 of it


@dataclass
class Total:
    """The network figure of one metric: its value (or ``None``) and how it was made."""

    value: int | None
    cells: int
    suppressed: int
    out_of_range: bool = False  # the sum left ±(2^53-1): no JSON reader could hold it


@dataclass
class Tally:
    """What the cells of one metric add up to so far: enough to apply the rule."""

    cells: int = 0
    suppressed: int = 0
    hidden: int = 0  # the most the suppressed cells could hide together
    known: int = 0  # the sum of the published cells

    def count(self, figure: int | None, threshold: int, sign: int = 1) -> None:
        """Add one cell (``sign`` -1: take it away again)."""
        self.cells += sign
        if figure is None:
            self.suppressed += sign
            self.hidden += sign * (max(threshold, 1) - 1)
        else:
            self.known += sign * figure

    def absorb(self, other: Tally) -> None:
        self.cells += other.cells
        self.suppressed += other.suppressed
        self.hidden += other.hidden
        self.known += other.known

    def stored(self) -> list[int]:
        return [self.cells, self.suppressed, self.hidden, self.known]

    @classmethod
    def of(cls, stored: Sequence[int]) -> Tally:
        return cls(*stored)

    def total(self) -> Total:
        out_of_range = abs(self.known) > MAX_SAFE_INTEGER
        hides_too_much = self.suppressed and self.hidden * HIDDEN_SHARE > self.known
        value = None if out_of_range or hides_too_much else self.known
        return Total(value, self.cells, self.suppressed, out_of_range)


@dataclass
class Cell:
    origin: str
    metrics: Mapping[str, int | None]
    threshold: int = DEFAULT_THRESHOLD


@dataclass
class OriginInfo:
    origin: str
    name: str
    town: str
    region: str
    threshold: int = DEFAULT_THRESHOLD
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = listed_as(self.town, self.name, self.origin)


def listed_as(town: str, name: str, origin: str) -> str:
    """How pages name and sort a town: the town, else the group's name, else its id."""
    return town or name or origin


def disclosure_threshold(descriptor: Mapping[str, Any] | None) -> int:
    """The threshold a descriptor declares, or the default if it declares none usable."""
    disclosure = (descriptor or {}).get("disclosure") or {}
    threshold = disclosure.get("threshold", DEFAULT_THRESHOLD)
    usable = isinstance(threshold, int) and not isinstance(threshold, bool) and threshold >= 3
    return threshold if usable else DEFAULT_THRESHOLD


def combine(cells: Iterable[Cell]) -> dict[str, Total]:
    """Add up cells metric by metric, applying the rule for suppressed cells."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for cell in cells:
        for name, figure in cell.metrics.items():
            tallies[name].count(figure, cell.threshold)
    return {name: tallies[name].total() for name in sorted(tallies)}


def _answer(plugin: str, period: str, origins: int, tallies: Mapping[str, Tally]) -> dict[str, Any]:
    """The totals of one plugin and period, as the API and the open data give them."""
    combined = {name: tallies[name].total() for name in sorted(tallies)}
    return {
        "plugin": plugin,
        "period": period,
        "origins": origins,
        "metrics": {name: total.value for name, total in combined.items()},
        "suppressed": {name: t.suppressed for name, t in combined.items() if t.suppressed},
        "out_of_range": [name for name, total in combined.items() if total.out_of_range],
    }


def _folded(
    session: Session, *conditions: ColumnElement[bool]
) -> dict[tuple[str, str], tuple[int, dict[str, Tally]]]:
    """The subtotals matching ``conditions``, added up over regions, by plugin and period."""
    found: dict[tuple[str, str], tuple[int, dict[str, Tally]]] = {}
    query = select(Subtotal.plugin, Subtotal.period, Subtotal.origins, Subtotal.metrics)
    for plugin, period, origins, metrics in session.execute(query.where(*conditions)):
        held, tallies = found.get((plugin, period), (0, {}))
        for name, stored in metrics.items():
            tallies.setdefault(name, Tally()).absorb(Tally.of(stored))
        found[(plugin, period)] = (held + origins, tallies)
    return found


def totals(session: Session, plugin: str, period: str, region: str | None = None) -> dict[str, Any]:
    """The network's totals for one plugin and period (optionally one region)."""
    conditions = [Subtotal.plugin == plugin, Subtotal.period == period]
    if region:
        conditions.append(Subtotal.region == region)
    origins, tallies = _folded(session, *conditions).get((plugin, period), (0, {}))
    result = _answer(plugin, period, origins, tallies)
    if region:
        result["region"] = region
    return result


def all_totals(session: Session) -> list[dict[str, Any]]:
    """Totals for every plugin and period held (open-data downloads, ``/public``)."""
    folded = _folded(session)
    return [
        _answer(plugin, period, *folded[(plugin, period)])
        for plugin, period in sorted(folded, key=lambda key: (key[0], Period.parse(key[1])))
    ]


@dataclass
class Grid:
    """One metric over periods: each listed origin's figure and the network total."""

    plugin: str
    metric: str
    periods: list[str]
    rows: list[tuple[OriginInfo, list[int | None]]]
    totals: list[int | None]


def towns(plugin: str, region: str | None = None) -> Select[Any]:
    """The origins holding summaries of ``plugin`` (in one region), in the order pages
    list them: a statement for the pager. Read from the holdings kept at ingest, in
    the order of their index, so a page costs what it shows, whatever the network's
    size; a town that has not published the periods shown is listed with no figure
    for them."""
    query = select(Origin).join(Holding, Holding.origin == Origin.origin)
    query = query.where(Holding.plugin == plugin)
    if region:
        query = query.where(Holding.region == region)
    return query.order_by(Holding.label, Holding.origin)


def origins(session: Session, region: str | None = None) -> dict[str, OriginInfo]:
    """Every origin held (or ``region``'s), for reports that read a chosen few summaries;
    the columns named, not the rows: a row carries its whole signed descriptor."""
    query = select(Origin.origin, Origin.name, Origin.town, Origin.region, Origin.threshold)
    if region:
        query = query.where(Origin.region == region)
    return {row.origin: OriginInfo(*row) for row in session.execute(query)}


def _info(row: Origin) -> OriginInfo:
    return OriginInfo(row.origin, row.name, row.town, row.region, row.threshold)


def grid(
    session: Session,
    plugin: str,
    metric: str,
    periods: list[str],
    listed: Sequence[Origin],
    region: str | None = None,
) -> Grid:
    """``metric`` per period for the ``listed`` origins (a page of :func:`towns`), and the
    network's (or ``region``'s) totals, which count every origin."""
    info = {row.origin: _info(row) for row in listed}
    values: dict[str, dict[str, int | None]] = defaultdict(dict)
    if info:
        held = select(Summary.origin, Summary.period, Summary.metrics).where(
            Summary.origin.in_(info), Summary.plugin == plugin, Summary.period.in_(periods)
        )
        for origin, period, metrics in session.execute(held):
            values[origin][period] = metrics.get(metric)
    rows = [
        (info[row.origin], [values[row.origin].get(period) for period in periods]) for row in listed
    ]
    conditions = [Subtotal.plugin == plugin, Subtotal.period.in_(periods)]
    if region:
        conditions.append(Subtotal.region == region)
    folded = _folded(session, *conditions)
    totals_row = []
    for period in periods:
        tally = folded.get((plugin, period), (0, {}))[1].get(metric)
        totals_row.append(tally.total().value if tally is not None else None)
    return Grid(plugin, metric, periods, rows, totals_row)


def plugins_and_metrics(session: Session) -> dict[str, list[str]]:
    """Every plugin with summaries held, and every metric name held for it: the names
    are read out of the subtotals by the database (``json_each``, on SQLite and
    PostgreSQL alike), not by decoding every subtotal's figures."""
    names = func.json_each(Subtotal.metrics).table_valued("key")
    query = select(Subtotal.plugin, names.c.key).join(names, true()).distinct()
    found: dict[str, set[str]] = defaultdict(set)
    for plugin, name in session.execute(query):
        found[plugin].add(name)
    return {plugin: sorted(found[plugin]) for plugin in sorted(found)}


def recent_periods(session: Session, plugin: str, kind: str, count: int) -> list[str]:
    """The latest ``count`` periods of ``kind`` with summaries, oldest first."""
    held = session.scalars(select(Subtotal.period).where(Subtotal.plugin == plugin).distinct())
    parsed = sorted(p for p in map(Period.parse, held) if p.kind == kind)
    return [str(p) for p in parsed[-count:]]


def regions(session: Session) -> list[str]:
    """The regions of the origins whose summaries are held."""
    return sorted(r for r in session.scalars(select(Subtotal.region).distinct()) if r)
