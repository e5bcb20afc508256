"""Demo data: a year of monthly repair cafés, as a real small group would log them."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe.models import RepairEvent, RepairRecord

# (ORDS category id, how often it turns up, typical brands, typical problems)
ITEMS: list[tuple[int, int, tuple[str, ...], tuple[str, ...]]] = [
    (28, 14, ("Morphy Richards", "Breville", ""), ("Not switching on", "Intermittent fault")),
    (34, 10, ("Dyson", "Henry", "Vax", "Shark"), ("Lost suction", "Brush bar not turning")),
    (15, 9, ("IKEA", "Anglepoise", ""), ("Flickers", "Broken switch", "Loose wiring")),
    (24, 6, ("Bosch", "Black+Decker", "Makita"), ("Motor stops under load", "Chuck stuck")),
    (23, 5, ("Roberts", "Sony", "Pure"), ("No sound", "Tuning dial slipping")),
    (27, 5, ("Singer", "Brother", "Janome"), ("Skipping stitches", "Needle jams")),
    (14, 5, ("Russell Hobbs", "Kenwood", "Bosch"), ("Not heating", "Leaking at the base")),
    (31, 4, ("Dualit", "Breville", "Swan"), ("Element not heating", "Lever won't stay down")),
    (16, 4, ("Lenovo", "Dell", "HP", "Apple"), ("Slow and noisy fan", "Won't charge")),
    (40, 3, ("Philips", "Tefal", "Morphy Richards"), ("No steam", "Leaking")),
    (37, 3, ("Kenwood", "Magimix"), ("Motor hums, bowl doesn't turn",)),
    (35, 3, ("Seiko", "Casio", ""), ("Stopped", "Battery compartment corroded")),
    (13, 3, ("Technics", "Marantz", "Denon"), ("One channel dead", "Turntable belt slipping")),
    (39, 2, ("Remington", "BaByliss"), ("Cuts out", "Smells of burning")),
    (32, 2, ("", "Hornby"), ("Stopped moving", "Broken wheel")),
    (19, 2, ("Samsung", "Apple"), ("Cracked screen", "Charging port loose")),
    (2, 2, ("", "Anker"), ("Charger not working",)),
    (36, 2, ("De'Longhi", "Nespresso"), ("Not pumping water", "Descaling needed")),
]
OUTCOMES = (("fixed", 55), ("repairable", 17), ("end_of_life", 18), ("unknown", 10))
BARRIERS = (
    ("too-worn-out", 40),
    ("spare-parts-not-available", 25),
    ("no-way-to-open", 15),
    ("spare-parts-too-expensive", 12),
    ("repair-info-not-available", 6),
    ("lack-of-equipment", 2),
)
ADVICE = ("", "", "Descale monthly", "Clean the filter after each use", "Replace the fuse with 3A")
PARTS = ("", "", "", "Drive belt", "Replacement fuse", "New switch", "Carbon brushes")


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def second_saturday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(5 - first.weekday()) % 7 + 7)


def load(session: Session, today: dt.date, locations: list[Any]) -> None:
    rng = random.Random(2025)
    fixers = list(
        session.scalars(select(api.User).where(api.User.role.in_(("volunteer", "coordinator"))))
    )
    venue = locations[0] if locations else None
    month = api.Period.month_of(today)
    months = [month.next()]
    for _ in range(12):
        months.append(month)
        month = month.previous()
    for period in sorted(months):
        day = second_saturday(period.start.year, period.start.month)
        past = day < today
        event = RepairEvent(
            title="Riverside Repair Café",
            date=day,
            starts_at=dt.time(10, 0),
            ends_at=dt.time(13, 0),
            location_id=venue.id if venue is not None else None,
            fixers_present=rng.randint(6, 11) if past else None,
            visitors=rng.randint(22, 48) if past else None,
            notes="Bring your broken things: electricals, textiles, bikes, toys.",
        )
        session.add(event)
        if past:
            for _ in range(rng.randint(24, 42)):
                event.records.append(_record(rng, fixers))
    session.flush()


def _record(rng: random.Random, fixers: list[Any]) -> RepairRecord:
    category, _, brands, problems = rng.choices(ITEMS, [w for _, w, _, _ in ITEMS])[0]
    status = _pick(rng, OUTCOMES)
    return RepairRecord(
        product_category_id=category,
        brand=rng.choice(brands),
        problem=rng.choice(problems),
        product_age=float(rng.randint(1, 25)) if rng.random() < 0.4 else None,
        status=status,
        barrier=_pick(rng, BARRIERS) if status == "end_of_life" and rng.random() < 0.85 else None,
        fixer_id=rng.choice(fixers).id if fixers else None,
        parts_needed=rng.choice(PARTS) if status == "repairable" else "",
        advice=rng.choice(ADVICE),
    )
