"""The fridge's rules, shared by its API, its page and its demo. A value that does not
fit is an ``api.FieldError`` naming its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_fridge.models import Donation, Visit

# Where food comes from: the codelist a network adds up (README.md).
SOURCES = {"public": "A neighbour", "shop": "A shop or café", "grower": "A garden or allotment"}


def _day(values: dict[str, Any], field: str, today: dt.date) -> dt.date:
    day = values.get(field, today)
    if day > today:
        raise api.FieldError(field, "The date cannot be in the future.")
    return day


def add_donation(session: Session, values: dict[str, Any], today: dt.date) -> Donation:
    donation = Donation(
        given_on=_day(values, "given_on", today), source=values["source"], grams=values["grams"]
    )
    session.add(donation)
    session.commit()
    return donation


def add_visit(session: Session, values: dict[str, Any], today: dt.date) -> Visit:
    visit = Visit(visited_on=_day(values, "visited_on", today), people=values["people"])
    session.add(visit)
    session.commit()
    return visit
