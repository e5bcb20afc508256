"""Keeping the network's subtotals and holdings in step with the summaries.

Every change to what counts in a total goes through here, in the same
transaction as the change itself: a summary stored or replaced
(:func:`stored`), an origin forgotten (:func:`forgetting`), an origin's region or
disclosure threshold changed (:func:`moved`). Each works out what it adds to
and takes from each (plugin, period, region) and applies that to the
:class:`~hub.federation.models.Subtotal` rows. Writers hold the feed lock
(:func:`hub.federation.store.lock_feed`), so these read-modify-writes never race.

A summary counts while its origin is pinned, under the origin's current region
and threshold: exactly the summaries :mod:`hub.federation.aggregates` used to add
up one by one. The same calls keep a :class:`~hub.federation.models.Holding` row
for each pinned origin and plugin it holds summaries of (:func:`listed` when an
origin's label or region changes): the towns a page lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from hub.federation.aggregates import Tally, listed_as
from hub.federation.models import Holding, Origin, Subtotal, Summary

Key = tuple[str, str, str]  # plugin, period, region


class Changes:
    """What a set of summaries adds to (or takes from) each subtotal."""

    def __init__(self) -> None:
        self.origins: dict[Key, int] = defaultdict(int)
        self.metrics: dict[Key, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))

    def count(
        self,
        plugin: str,
        period: str,
        region: str,
        threshold: int,
        metrics: Mapping[str, int | None],
        sign: int = 1,
    ) -> None:
        key = (plugin, period, region)
        self.origins[key] += sign
        tallies = self.metrics[key]
        for name, figure in metrics.items():
            tallies[name].count(figure, threshold, sign)

    def apply(self, session: Session) -> None:
        """Add these changes to the subtotals; a subtotal left with no origin goes."""
        keys = set(self.origins)
        if not keys:
            return
        held = {
            (row.plugin, row.period, row.region): row
            for row in session.execute(
                select(
                    Subtotal.plugin,
                    Subtotal.period,
                    Subtotal.region,
                    Subtotal.origins,
                    Subtotal.metrics,
                ).where(
                    Subtotal.plugin.in_({plugin for plugin, _, _ in keys}),
                    Subtotal.period.in_({period for _, period, _ in keys}),
                    Subtotal.region.in_({region for _, _, region in keys}),
                )
            )
        }
        new, changed, gone = [], [], []
        for key in keys:
            current = held.get(key)
            origins = (current.origins if current else 0) + self.origins[key]
            metrics = dict(current.metrics) if current else {}
            for name, change in self.metrics[key].items():
                tally = Tally.of(metrics[name]) if name in metrics else Tally()
                tally.absorb(change)
                if tally.cells:
                    metrics[name] = tally.stored()
                else:
                    metrics.pop(name, None)
            values = {"k_plugin": key[0], "k_period": key[1], "k_region": key[2]}
            if origins <= 0:
                if current is not None:
                    gone.append(values)
            elif current is None:
                new.append(
                    {"plugin": key[0], "period": key[1], "region": key[2]}
                    | {"origins": origins, "metrics": metrics}
                )
            else:
                changed.append(values | {"origins": origins, "metrics": metrics})
        table = Subtotal.__table__
        matching = and_(
            table.c.plugin == bindparam("k_plugin"),
            table.c.period == bindparam("k_period"),
            table.c.region == bindparam("k_region"),
        )
        connection = session.connection()
        if new:
            connection.execute(insert(table), new)
        if changed:
            connection.execute(update(table).where(matching), changed)
        if gone:
            connection.execute(delete(table).where(matching), gone)


def _placement(session: Session, origins: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Each pinned origin's region and threshold: where its summaries count, and how."""
    wanted = set(origins)
    if not wanted:
        return {}
    rows = session.execute(
        select(Origin.origin, Origin.region, Origin.threshold).where(Origin.origin.in_(wanted))
    )
    return {origin: (region, threshold) for origin, region, threshold in rows}


def stored(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    replaced: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Count summaries just stored (``rows``), and stop counting the revisions they
    replaced (``replaced``); each is a mapping with origin, plugin, period and metrics."""
    placed = _placement(session, (row["origin"] for row in [*rows, *replaced]))
    changes = Changes()
    for sign, summaries in ((1, rows), (-1, replaced)):
        for row in summaries:
            if row["origin"] in placed:
                region, threshold = placed[row["origin"]]
                changes.count(row["plugin"], row["period"], region, threshold, row["metrics"], sign)
    changes.apply(session)
    _hold(session, {(row["origin"], row["plugin"]) for row in rows if row["origin"] in placed})


def _hold(session: Session, pairs: set[tuple[str, str]]) -> None:
    """Record that these (origin, plugin) hold summaries, where not recorded yet."""
    if not pairs:
        return
    origins = {origin for origin, _ in pairs}
    recorded = select(Holding.origin, Holding.plugin).where(Holding.origin.in_(origins))
    missing = pairs - {(origin, plugin) for origin, plugin in session.execute(recorded)}
    if not missing:
        return
    listing = session.execute(
        select(Origin.origin, Origin.town, Origin.name, Origin.region).where(
            Origin.origin.in_({origin for origin, _ in missing})
        )
    )
    placed = {
        origin: (listed_as(town, name, origin), region) for origin, town, name, region in listing
    }
    session.execute(
        insert(Holding.__table__),
        [
            {
                "origin": origin,
                "plugin": plugin,
                "label": placed[origin][0],
                "region": placed[origin][1],
            }
            for origin, plugin in sorted(missing)
        ],
    )


def forgetting(session: Session, origins: Sequence[str]) -> None:
    """Stop counting everything held for ``origins`` (before they are unpinned)."""
    placed = _placement(session, origins)
    changes = Changes()
    held = select(Summary.origin, Summary.plugin, Summary.period, Summary.metrics)
    for origin, plugin, period, metrics in session.execute(held.where(Summary.origin.in_(placed))):
        region, threshold = placed[origin]
        changes.count(plugin, period, region, threshold, metrics, -1)
    changes.apply(session)
    session.execute(delete(Holding).where(Holding.origin.in_(origins)))


def moved(
    session: Session,
    origin: str,
    before: tuple[str, int] | None,
    after: tuple[str, int],
) -> None:
    """Count ``origin``'s summaries under its new region and threshold (``before`` is
    ``None`` for an origin just pinned: nothing of it was counted yet)."""
    changes = Changes()
    held = select(Summary.plugin, Summary.period, Summary.metrics).where(Summary.origin == origin)
    for plugin, period, metrics in session.execute(held):
        if before is not None:
            changes.count(plugin, period, *before, metrics, -1)
        changes.count(plugin, period, *after, metrics)
    changes.apply(session)


def listed(session: Session, origin: Origin) -> None:
    """List ``origin`` under its current label and region for every plugin it holds
    summaries of (it was just pinned, or its descriptor renamed or moved it)."""
    session.execute(delete(Holding).where(Holding.origin == origin.origin))
    held = select(Summary.plugin).where(Summary.origin == origin.origin).distinct()
    label = listed_as(origin.town, origin.name, origin.origin)
    rows = [
        {"origin": origin.origin, "plugin": plugin, "label": label, "region": origin.region}
        for plugin in session.scalars(held)
    ]
    if rows:
        session.execute(insert(Holding.__table__), rows)
