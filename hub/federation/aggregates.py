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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.federation.models import Origin, Summary
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
class Cell:
    origin: str
    metrics: dict[str, int | None]
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
        self.label = self.town or self.name or self.origin


def combine(cells: Iterable[Cell]) -> dict[str, Total]:
    """Add up cells metric by metric, applying the rule for suppressed cells."""
    known: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    suppressed: dict[str, int] = defaultdict(int)
    hidden: dict[str, int] = defaultdict(int)
    for cell in cells:
        for name, figure in cell.metrics.items():
            counted[name] += 1
            if figure is None:
                suppressed[name] += 1
                hidden[name] += max(cell.threshold, 1) - 1
            else:
                known[name] += figure
    totals = {}
    for name in sorted(counted):
        value: int | None = known[name]
        out_of_range = abs(known[name]) > MAX_SAFE_INTEGER
        if out_of_range or (suppressed[name] and hidden[name] * HIDDEN_SHARE > known[name]):
            value = None
        totals[name] = Total(value, counted[name], suppressed[name], out_of_range)
    return totals


def _answer(plugin: str, period: str, cells: list[Cell]) -> dict[str, Any]:
    """The totals of one plugin and period, as the API and the open data give them."""
    combined = combine(cells)
    return {
        "plugin": plugin,
        "period": period,
        "origins": len(cells),
        "metrics": {name: total.value for name, total in combined.items()},
        "suppressed": {name: t.suppressed for name, t in combined.items() if t.suppressed},
        "out_of_range": [name for name, total in combined.items() if total.out_of_range],
    }


def origins(session: Session, region: str | None = None) -> dict[str, OriginInfo]:
    query = select(Origin)
    if region:
        query = query.where(Origin.region == region)
    found = {}
    for row in session.scalars(query):
        disclosure = (row.descriptor or {}).get("disclosure") or {}
        threshold = disclosure.get("threshold", DEFAULT_THRESHOLD)
        found[row.origin] = OriginInfo(
            row.origin,
            row.name,
            row.town,
            row.region,
            threshold if isinstance(threshold, int) and threshold >= 3 else DEFAULT_THRESHOLD,
        )
    return found


def _cells(
    session: Session, plugin: str, periods: list[str], known: dict[str, OriginInfo]
) -> list[tuple[str, Cell]]:
    rows = session.execute(
        select(Summary.origin, Summary.period, Summary.metrics).where(
            Summary.plugin == plugin, Summary.period.in_(periods)
        )
    ).all()
    return [
        (period, Cell(origin, metrics, known[origin].threshold))
        for origin, period, metrics in rows
        if origin in known
    ]


def totals(session: Session, plugin: str, period: str, region: str | None = None) -> dict[str, Any]:
    """The network's totals for one plugin and period (optionally one region)."""
    known = origins(session, region)
    result = _answer(plugin, period, [cell for _, cell in _cells(session, plugin, [period], known)])
    if region:
        result["region"] = region
    return result


@dataclass
class Grid:
    """One metric over periods: each origin's figure and the network total."""

    plugin: str
    metric: str
    periods: list[str]
    rows: list[tuple[OriginInfo, list[int | None]]]
    totals: list[int | None]


def grid(
    session: Session,
    plugin: str,
    metric: str,
    periods: list[str],
    region: str | None = None,
) -> Grid:
    known = origins(session, region)
    by_origin: dict[str, dict[str, int | None]] = defaultdict(dict)
    per_period: dict[str, list[Cell]] = defaultdict(list)
    for period, cell in _cells(session, plugin, periods, known):
        if metric in cell.metrics:
            by_origin[cell.origin][period] = cell.metrics[metric]
            per_period[period].append(
                Cell(cell.origin, {metric: cell.metrics[metric]}, cell.threshold)
            )
    rows = [
        (known[origin], [values.get(period) for period in periods])
        for origin, values in sorted(by_origin.items(), key=lambda kv: known[kv[0]].label)
    ]
    totals_row = []
    for period in periods:
        combined = combine(per_period[period])
        totals_row.append(combined[metric].value if metric in combined else None)
    return Grid(plugin, metric, periods, rows, totals_row)


def plugins_and_metrics(session: Session) -> dict[str, list[str]]:
    """Every plugin with summaries held, and the metric names its latest summary carries."""
    found = {}
    for (plugin,) in session.execute(select(Summary.plugin).distinct()):
        latest = session.scalar(
            select(Summary.metrics).where(Summary.plugin == plugin).order_by(Summary.seq.desc())
        )
        found[plugin] = sorted(latest or {})
    return dict(sorted(found.items()))


def recent_periods(session: Session, plugin: str, kind: str, count: int) -> list[str]:
    """The latest ``count`` periods of ``kind`` with summaries, oldest first."""
    held = {
        p
        for (p,) in session.execute(
            select(Summary.period).where(Summary.plugin == plugin).distinct()
        )
    }
    parsed = sorted(Period.parse(p) for p in held if Period.parse(p).kind == kind)
    return [str(p) for p in parsed[-count:]]


def regions(session: Session) -> list[str]:
    return sorted(r for (r,) in session.execute(select(Origin.region).distinct()) if r)


def all_totals(session: Session, own: str | None = None) -> list[dict[str, Any]]:
    """Totals for every plugin and period held, in one pass (open-data downloads).

    With ``own``, only that origin's summaries are added up (this instance's figures).
    """
    known = origins(session)
    query = select(Summary.origin, Summary.plugin, Summary.period, Summary.metrics)
    if own is not None:
        query = query.where(Summary.origin == own)
    groups: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for origin, plugin, period, metrics in session.execute(query):
        if origin in known:
            groups[(plugin, period)].append(Cell(origin, metrics, known[origin].threshold))
    return [
        _answer(plugin, period, cells)
        for (plugin, period), cells in sorted(
            groups.items(), key=lambda kv: (kv[0][0], Period.parse(kv[0][1]))
        )
    ]
