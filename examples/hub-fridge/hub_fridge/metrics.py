"""What the fridge publishes, and how: every period asked for at once, one grouped query
per table and kind of period (weeks, months)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_fridge.models import Donation, Visit
from hub_fridge.service import SOURCES

DEFINITIONS = (
    api.Metric(
        "donations",
        "donations",
        "Food given in, by where it came from",
        codelist=SOURCES,
        label="Donations of food",
    ),
    api.Metric(
        "grams_donated",
        "grams",
        "Weight of the food given in",
        counts="quantity",
        label="Food given in",
    ),
    api.Metric("visits", "visits", "Visits to take food", label="Visits to take food"),
    api.Metric(
        "people_fed",
        "people",
        "People the food taken was for, each visit's count added up (twice for two visits)",
        counts="people",
        window="visit",
        label="People the food was for",
        impact="people_fed",
    ),
)


def compute(session: Session, periods: Sequence[api.Period]) -> api.PeriodFigures:
    figures = api.PeriodFigures(periods, DEFINITIONS)
    for kind in figures.kinds():
        since, until = figures.span(kind)
        start = api.period_start(Donation.given_on, kind)
        given = session.execute(
            select(start, Donation.source, func.count(), func.sum(Donation.grams))
            .where(Donation.given_on >= since, Donation.given_on < until)
            .group_by(start, Donation.source)
        ).all()
        figures.add_codes("donations", kind, [(s, code, n) for s, code, n, _ in given])
        figures.add("grams_donated", kind, [(s, grams) for s, _, _, grams in given])
        start = api.period_start(Visit.visited_on, kind)
        visits = session.execute(
            select(start, func.count(), func.sum(Visit.people))
            .where(Visit.visited_on >= since, Visit.visited_on < until)
            .group_by(start)
        ).all()
        figures.add("visits", kind, [(s, n) for s, n, _ in visits])
        figures.add("people_fed", kind, [(s, people) for s, _, people in visits])
    return figures


def this_week(session: Session, today: dt.date) -> dict[str, int]:
    """This week's raw figures, for the page and the dashboard (not published as such)."""
    week = api.Period.week_of(today)
    return compute(session, [week])[week]


def activity_dates(session: Session) -> Iterable[dt.date]:
    return session.scalars(union(select(Donation.given_on), select(Visit.visited_on)))
