"""The figures a repair café publishes, per ISO week or month.

Everything is an integer: weights and emissions in grams, the fix rate as a
numerator and a denominator (rates cannot be added across towns; counts can).
The fix rate follows the Restart Project's definition: fixed items over items
whose outcome is known (fixed, repairable or end of life).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe.codes import BARRIERS, categories, category_codelist
from hub_repaircafe.i18n import N_
from hub_repaircafe.impact import impact_table
from hub_repaircafe.models import RepairEvent, RepairRecord

STATUS_METRICS = {
    "fixed": "items_fixed",
    "repairable": "items_repairable",
    "end_of_life": "items_end_of_life",
    "unknown": "items_unknown",
}


def definitions() -> list[api.Metric]:
    return [
        api.Metric(
            "events_held",
            N_("events"),
            N_("Repair café events held"),
            label=N_("Repair cafés held"),
        ),
        api.Metric(
            "items_brought",
            N_("items"),
            N_("Items brought to be repaired"),
            label=N_("Items brought"),
        ),
        api.Metric(
            "items_fixed",
            N_("items"),
            N_("Items fixed"),
            label=N_("Items fixed"),
            impact="items_repaired",
        ),
        api.Metric(
            "items_repairable",
            N_("items"),
            N_("Items found repairable, needing more work"),
            label=N_("Items repairable with more work"),
        ),
        api.Metric(
            "items_end_of_life",
            N_("items"),
            N_("Items that could not be repaired"),
            label=N_("Items beyond repair"),
        ),
        api.Metric(
            "items_unknown",
            N_("items"),
            N_("Items whose outcome was not recorded"),
            label=N_("Items with no outcome recorded"),
        ),
        api.Metric(
            "fix_rate_numerator",
            N_("items"),
            N_("Fix rate numerator: items fixed"),
            counts="events",
            label=N_("Fix rate: items fixed"),
        ),
        api.Metric(
            "fix_rate_denominator",
            N_("items"),
            N_("Fix rate denominator: items with a known outcome (fixed, repairable, end of life)"),
            label=N_("Fix rate: items with a known outcome"),
        ),
        api.Metric(
            "waste_prevented_g",
            N_("grams"),
            N_("Estimated weight of fixed items kept out of the waste stream"),
            counts="quantity",
            label=N_("Waste prevented"),
            impact="waste_prevented",
        ),
        api.Metric(
            "co2e_avoided_g",
            N_("grams CO2e"),
            N_("Estimated greenhouse gas emissions avoided by fixing instead of replacing"),
            counts="quantity",
            label=N_("Emissions avoided"),
            impact="co2e_avoided",
        ),
        api.Metric(
            "visitors",
            N_("people"),
            N_("Visitors counted at events (each event's count, added up)"),
            counts="people",
            window="event",
            label=N_("Visitors"),
        ),
        api.Metric(
            "items_by_category",
            N_("items"),
            N_("Items brought, by ORDS product category"),
            codelist=category_codelist(),
            label=N_("Items brought, by kind"),
        ),
        api.Metric(
            "items_by_barrier",
            N_("items"),
            N_("End-of-life items, by the ORDS barrier that prevented repair"),
            codelist=dict(BARRIERS),
            label=N_("Why items could not be repaired"),
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


def tallies(
    session: Session, kind: api.PeriodKind, start: dt.date | None = None, end: dt.date | None = None
) -> dict[api.Period, Tally]:
    """Raw counts for every week or month with activity in ``[start, end)``, in two
    grouped queries (one over events, one over records), whatever the number of periods."""
    record, event = RepairRecord.__table__, RepairEvent.__table__
    bucket = api.period_start(event.c.date, kind).label("bucket")
    in_range: ColumnElement[bool] = true()
    if start is not None:
        in_range = in_range & (event.c.date >= start)
    if end is not None:
        in_range = in_range & (event.c.date < end)
    found: dict[api.Period, Tally] = {}
    by_bucket: dict[Any, Tally] = {}

    def of(value: Any) -> Tally:
        counts = by_bucket.get(value)
        if counts is None:
            counts = by_bucket[value] = found.setdefault(api.Period(kind, value), Tally())
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
        .where(in_range, record.c.voided_at.is_(None))  # voided records count nowhere
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


def compute(session: Session, periods: Sequence[api.Period]) -> dict[api.Period, dict[str, int]]:
    """The plugin's figures for every period in ``periods`` (the
    ``hub_compute_metrics_for_periods`` hook): two grouped queries per kind of period."""
    factors = impact_table(session)
    asked = api.PeriodFigures(periods, ())
    found: dict[api.Period, Tally] = {}
    for kind in asked.kinds():
        found.update(tallies(session, kind, *asked.span(kind)))
    return {period: figures(found.get(period) or Tally(), factors) for period in periods}


def impact_by_category(
    counts: Tally, factors: dict[int, tuple[int, int]]
) -> dict[int, tuple[int, int]]:
    """Category id -> (grams of waste prevented, grams of CO2e avoided x 1000) for the
    fixed items.

    An item's own weight estimate is used when the fixer gave one, otherwise
    its category's average weight; emissions are weight times the category's
    emission factor (kept x 1000, so sums stay exact until they are shown).
    """
    found = {}
    for category, fixed in counts.fixed_by_category.items():
        weight_g, co2e_g_per_kg = factors[category]
        grams = counts.fixed_weighed_g[category] + (
            (fixed - counts.fixed_weighed[category]) * weight_g
        )
        found[category] = (grams, grams * co2e_g_per_kg)
    return found


def impact_grams(counts: Tally, factors: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(grams of waste prevented, grams of CO2e avoided) for the fixed items."""
    by_category = impact_by_category(counts, factors).values()
    waste = sum(grams for grams, _ in by_category)
    # g x (g CO2e per kg) / 1000 = g CO2e; dividing once at the end keeps the sum exact.
    return waste, round(sum(co2e for _, co2e in by_category) / 1000)


@dataclass(frozen=True)
class CategoryImpactShown:
    """What fixing one category's items saved, in kilograms, for a page."""

    label: str
    fixed: int
    waste_kg: float
    co2e_kg: float


def impact_shown(counts: Tally, factors: dict[int, tuple[int, int]]) -> list[CategoryImpactShown]:
    """Each category with fixed items: waste prevented and CO2e avoided in kg, the most
    CO2e first."""
    labels = {category.id: category.label for category in categories().values()}
    rows = [
        CategoryImpactShown(
            labels[category], counts.fixed_by_category[category], grams / 1000, co2e / 1_000_000
        )
        for category, (grams, co2e) in impact_by_category(counts, factors).items()
    ]
    return sorted(rows, key=lambda row: (-row.co2e_kg, row.label))


def tally_of(records: Iterable[RepairRecord]) -> Tally:
    """The counts for some records (one event's), voided ones left out, as
    :func:`tallies` makes them for a period."""
    counts = Tally()
    for record in records:
        if record.voided:
            continue
        counts.by_status[record.status] += 1
        counts.by_category[record.product_category_id] += 1
        if record.status == "fixed":
            category = record.product_category_id
            counts.fixed_by_category[category] += 1
            if record.weight_g is not None:
                counts.fixed_weighed_g[category] += record.weight_g
                counts.fixed_weighed[category] += 1
    return counts


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
