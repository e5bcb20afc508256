"""What the seed library publishes: whole, integer, non-personal figures per period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

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


def compute(session: Session, period: api.Period) -> dict[str, int]:
    """True counts for ``period``; the core applies disclosure control to ``borrowers``."""
    in_period = (Loan.lent_on >= period.start, Loan.lent_on < period.end)
    by_crop = dict(
        session.execute(
            select(Variety.crop, func.sum(Loan.packets))
            .join(Loan.variety)
            .where(*in_period)
            .group_by(Variety.crop)
        ).all()
    )
    # Every code, zeros included: a summary is always whole.
    figures = {f"packets_lent.{code}": int(by_crop.get(code) or 0) for code in CROPS}
    figures["packets_returned"] = int(
        session.scalar(
            select(func.coalesce(func.sum(Loan.packets_returned), 0)).where(
                Loan.returned_on >= period.start, Loan.returned_on < period.end
            )
        )
    )
    # Loans keep their link to an erased person's (blanked) entry, so this survives erasure.
    figures["borrowers"] = int(
        session.scalar(select(func.count(func.distinct(Loan.person_id))).where(*in_period))
    )
    return figures


def activity_dates(session: Session) -> Iterable[dt.date]:
    lent = select(Loan.lent_on.label("day"))
    returned = select(Loan.returned_on.label("day")).where(Loan.returned_on.is_not(None))
    return session.scalars(select(union(lent, returned).subquery().c.day)).all()
