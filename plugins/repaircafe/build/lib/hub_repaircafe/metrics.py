"""The figures a repair café publishes, per ISO week or month.

Everything is an integer: weights and emissions in grams, the fix rate as a
numerator and a denominator (rates cannot be added across towns; counts can).
The fix rate follows the Restart Project's definition: fixed items over items
whose outcome is known (fixed, repairable or end of life).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Date, cast, func, select, true
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe.codes import BARRIERS, categories, category_codelist
from hub_repaircafe.impact import impact_table
from hub_repaircafe.models import RepairEvent, RepairRecord

PeriodKind = Literal["week", "month"]
STATUS_METRICS = {
    "fixed": "items_fixed",
    "repairable": "items_repairable",
    "end_of_life": "items_end_of_life",
    "unknown": "items_unknown",
}


def definitions() -> list[api.Metric]:
    return [
        api.Metric("events_held", "events", "Repair café events held"),
        api.Metric("items_brought", "items", "Items brought to be repaired"),
        api.Metric("items_fixed", "items", "Items fixed"),
        api.Metric("items_repairable", "items", "Items found repairable, needing more work"),
        api.Metric("items_end_of_life", "items", "Items that could not be repaired"),
        api.Metric("items_unknown", "items", "Items whose outcome was not recorded"),
        api.Metric(
            "fix_rate_numerator", "items", "Fix rate numerator: items fixed", counts="events"
        ),
        api.Metric(
            "fix_rate_denominator",
            "items",
            "Fix rate denominator: items with a known outcome (fixed, repairable, end of life)",
        ),
        api.Metric(
            "waste_prevented_g",
            "grams",
            "Estimated weight of fixed items kept out of the waste stream",
            counts="quantity",
        ),
        api.Metric(
            "co2e_avoided_g",
            "grams CO2e",
            "Estimated greenhouse gas emissions avoided by fixing instead of replacing",
            counts="quantity",
        ),
        api.Metric(
            "visitors",
            "people",
            "Visitors counted at events (each event's count, added up)",
            counts="people",
            window="event",
        ),
        api.Metric(
            "items_by_category",
            "items",
            "Items brought, by ORDS product category",
            codelist=category_codelist(),
        ),
        api.Metric(
            "items_by_barrier",
            "items",
            "End-of-life items, by the ORDS barrier that prevented repair",
            codelist=dict(BARRIERS),
        ),
    ]


@dataclass
class Tally:
    """Raw counts for one period, before they are turned into metrics."""

    events: int = 0
    visitors: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_category: Counter[int] = field(default_factory=Counter)
    by_barrier: Counter[str] = field(default_factory=Counter)
    fixed_by_category: Counter[int] = field(default_factory=Counter)
    # grams recorded on fixed items that carry their own weight estimate
    fixed_weighed_g: Counter[int] = field(default_factory=Counter)
    fixed_weighed: Counter[int] = field(default_factory=Counter)


def _bucket(column: Any, kind: str, dialect: str) -> Any:
    """The first day of the week or month that ``column``'s date falls in, in SQL."""
    if dialect == "postgresql":
        return cast(func.date_trunc(kind, column), Date)
    if kind == "month":
        return func.substr(column, 1, 7) + "-01"  # SQLite keeps dates as ISO text
    return func.date(column, "weekday 0", "-6 days")  # the Monday of its ISO week


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def tallies(
    session: Session, kind: PeriodKind, start: dt.date | None = None, end: dt.date | None = None
) -> dict[api.Period, Tally]:
    """Raw counts for every week or month with activity in ``[start, end)``, in two
    grouped queries (one over events, one over records), whatever the number of periods."""
    record, event = RepairRecord.__table__, RepairEvent.__table__
    bucket = _bucket(event.c.date, kind, session.get_bind().dialect.name).label("bucket")
    in_range = true()
    if start is not None:
        in_range = in_range & (event.c.date >= start)
    if end is not None:
        in_range = in_range & (event.c.date < end)
    found: dict[api.Period, Tally] = {}
    by_bucket: dict[Any, Tally] = {}

    def of(value: Any) -> Tally:
        counts = by_bucket.get(value)
        if counts is None:
            counts = by_bucket[value] = found.setdefault(api.Period(kind, _as_date(value)), Tally())
        return counts

    events = (
        select(bucket, func.count(), func.coalesce(func.sum(event.c.visitors), 0))
        .where(in_range)
        .group_by(bucket)
    )
    for day, count, visitors in session.execute(events):
        counts = of(day)
        counts.events, counts.visitors = int(count), int(visitors)
    grouped = (
        select(
            bucket,
            record.c.status,
            record.c.product_category_id,
            record.c.barrier,
            func.count(),
            func.coalesce(func.sum(record.c.weight_g), 0),
            func.count(record.c.weight_g),
        )
        .join(event, event.c.id == record.c.event_id)
        .where(in_range)
        .group_by(bucket, record.c.status, record.c.product_category_id, record.c.barrier)
    )
    for day, status, category, barrier, n, weighed_g, weighed in session.execute(grouped).all():
        counts = of(day)
        counts.by_status[status] += n
        counts.by_category[category] += n
        if status == "end_of_life" and barrier:
            counts.by_barrier[barrier] += n
        if status == "fixed":
            counts.fixed_by_category[category] += n
            counts.fixed_weighed_g[category] += int(weighed_g)
            counts.fixed_weighed[category] += weighed
    return found


# Figures for every period are computed in one pass and kept for the rest of the
# transaction, so ``hub metrics`` or a publish over years of data costs two
# queries, not two per period. Any write or the end of the transaction drops them.
MEMO = "repaircafe.tallies"


def _memo(session: Session) -> dict[str, Any]:
    if MEMO not in session.info:
        if not session.info.get(MEMO + ".listening"):
            session.info[MEMO + ".listening"] = True
            for name in ("after_flush", "after_transaction_end"):
                sa_event.listen(session, name, lambda *_args: forget(session))
            sa_event.listen(session, "do_orm_execute", _forget_on_write)
        session.info[MEMO] = {}
    return session.info[MEMO]


def _forget_on_write(state: Any) -> None:
    if not state.is_select:
        forget(state.session)


def forget(session: Session) -> None:
    """Drop memoised figures (after writing records outside the ORM)."""
    session.info.pop(MEMO, None)


def compute(session: Session, period: api.Period) -> dict[str, int]:
    """The plugin's figures for ``period`` (the ``hub_compute_metrics`` hook)."""
    memo = _memo(session)
    if period.kind not in memo:
        memo[period.kind] = tallies(session, period.kind)
    if "impact" not in memo:
        memo["impact"] = impact_table(session)
    return figures(memo[period.kind].get(period) or Tally(), memo["impact"])


def impact_grams(counts: Tally, factors: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(grams of waste prevented, grams of CO2e avoided) for the fixed items.

    An item's own weight estimate is used when the fixer gave one, otherwise
    its category's average weight; emissions are weight times the category's
    emission factor.
    """
    waste = co2e_g_times_1000 = 0
    for category, fixed in counts.fixed_by_category.items():
        weight_g, co2e_g_per_kg = factors[category]
        grams = counts.fixed_weighed_g[category] + (
            (fixed - counts.fixed_weighed[category]) * weight_g
        )
        waste += grams
        co2e_g_times_1000 += grams * co2e_g_per_kg
    # g x (g CO2e per kg) / 1000 = g CO2e; dividing once at the end keeps the sum exact.
    return waste, round(co2e_g_times_1000 / 1000)


def figures(counts: Tally, factors: dict[int, tuple[int, int]]) -> dict[str, int]:
    waste, co2e = impact_grams(counts, factors)
    brought = sum(counts.by_status.values())
    values = {
        "events_held": counts.events,
        "items_brought": brought,
        **{name: counts.by_status[status] for status, name in STATUS_METRICS.items()},
        "fix_rate_numerator": counts.by_status["fixed"],
        "fix_rate_denominator": brought - counts.by_status["unknown"],
        "waste_prevented_g": waste,
        "co2e_avoided_g": co2e,
        "visitors": counts.visitors,
    }
    for category in categories().values():
        values[f"items_by_category.{category.code}"] = counts.by_category[category.id]
    for code in BARRIERS:
        values[f"items_by_barrier.{code}"] = counts.by_barrier[code]
    return values


def activity_dates(session: Session) -> Iterable[dt.date]:
    return session.scalars(select(RepairEvent.date).distinct())
