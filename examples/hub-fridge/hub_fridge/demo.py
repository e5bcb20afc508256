"""``hub demo``: a year of the fridge, the same every time."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from hub_fridge.models import Donation, Visit
from hub_fridge.service import SOURCES


def load(session: Session, today: dt.date) -> None:
    rng = random.Random("fridge")
    for back in range(365):
        day = today - dt.timedelta(days=back)
        for _ in range(rng.randint(0, 3)):
            source = rng.choice(list(SOURCES))
            session.add(Donation(given_on=day, source=source, grams=rng.randint(5, 80) * 100))
        for _ in range(rng.randint(2, 9)):
            session.add(Visit(visited_on=day, people=rng.choice((1, 1, 2, 3, 4))))
