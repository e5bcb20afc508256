"""What the seed library publishes: whole, integer, non-personal figures per period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_seedlibrary.models import CROPS, Loan, Variety

METRICS = [
    api.Metric(
        "packets_lent",
        "packets",
        "Seed packets lent, by crop",
        counts="events",
        codelist=CROPS,
    ),
    api.Metric(
        "packets_returned",
        "packets",
        "Packets of saved seed returned after the harvest",
        counts="events",
    ),
    api.Metric(
        "borrowers",
        "people",
        "Different people who borrowed seed in the period",
        counts="people",
        window="period",
    ),
]


def compute(session: Session, periods: Sequence[api.Period]) -> api.PeriodFigures:
    """True counts for every period asked for, one query per figure and kind of
    period; the core applies disclosure control to ``borrowers``."""
    figures = api.PeriodFigures(periods, METRICS)
    for kind in figures.kinds():
        since, until = figures.span(kind)
        lent = api.period_start(Loan.lent_on, kind)
        lent_in_span = (Loan.lent_on >= since, Loan.lent_on < until)
        by_crop = (
            select(lent, Variety.crop, func.sum(Loan.packets))
            .join(Loan.variety)
            .where(*lent_in_span)
            .group_by(lent, Variety.crop)
        )
        figures.add_codes("packets_lent", kind, session.execute(by_crop))
        returned = api.period_start(Loan.returned_on, kind)
        back = (
            select(returned, func.sum(Loan.packets_returned))
            .where(Loan.returned_on >= since, Loan.returned_on < until)
            .group_by(returned)
        )
        figures.add("packets_returned", kind, session.execute(back))
        # Loans keep their link to an erased person's (blanked) entry, so this survives erasure.
        people = (
            select(lent, func.count(func.distinct(Loan.person_id)))
            .where(*lent_in_span)
            .group_by(lent)
        )
        figures.add("borrowers", kind, session.execute(people))
    return figures


def activity_dates(session: Session) -> Iterable[dt.date]:
    lent = select(Loan.lent_on.label("day"))
    returned = select(Loan.returned_on.label("day")).where(Loan.returned_on.is_not(None))
    return session.scalars(select(union(lent, returned).subquery().c.day)).all()
