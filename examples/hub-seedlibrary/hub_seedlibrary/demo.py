"""A year of a small seed library, reproducible (seeded random generator)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_seedlibrary.models import Loan, Variety

VARIETIES = (
    ("Cherokee Trail of Tears (climbing bean)", "beans", True),
    ("Czar runner bean", "beans", False),
    ("Hurst Green Shaft pea", "peas", False),
    ("Gardener's Delight tomato", "tomatoes", True),
    ("Tigerella tomato", "tomatoes", False),
    ("Uchiki Kuri squash", "squash", True),
    ("Cavolo Nero kale", "brassicas", False),
    ("Boltardy beetroot", "roots", False),
    ("Little Gem lettuce", "salad", True),
    ("Genovese basil", "herbs", False),
    ("Calendula", "flowers", True),
    ("Welsh onion", "other", True),
)

NOTES = (
    "Growing on plot 14 at the allotments",
    "First year saving seed: showed how to dry pods",
    "School garden club",
)


def load(session: Session, today: dt.date) -> None:
    rng = random.Random(7)
    varieties = [
        Variety(name=name, crop=crop, saved_locally=saved, packets_in_stock=rng.randint(8, 30))
        for name, crop, saved in VARIETIES
    ]
    session.add_all(varieties)
    members = session.scalars(select(api.Person.id).where(api.Person.anonymised_at.is_(None))).all()
    if not members:
        return
    # Sowing season is busiest: most loans fall between February and May.
    for days_ago in range(365, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        busy = 3 if day.month in (2, 3, 4, 5) else 1
        for _ in range(rng.randint(0, busy)):
            variety = rng.choice(varieties)
            loan = Loan(
                variety=variety,
                person_id=rng.choice(members),
                packets=rng.randint(1, 3),
                lent_on=day,
            )
            if rng.random() < 0.1:
                loan.note = rng.choice(NOTES)
            if day.month in (2, 3, 4) and rng.random() < 0.4:
                loan.returned_on = min(today, day + dt.timedelta(days=rng.randint(150, 200)))
                loan.packets_returned = rng.randint(1, 4)
            session.add(loan)
