"""``hub export fridge-donations``: the food given in, as a spreadsheet."""

from __future__ import annotations

from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_fridge.models import Donation


def write_donations(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    writer = api.csv_writer(stream)
    writer.writerow(["date", "source", "grams"])
    rows = session.execute(
        select(Donation.given_on, Donation.source, Donation.grams).order_by(Donation.given_on)
    ).all()
    writer.writerows(rows)
    return len(rows)


EXPORTER = api.Exporter(
    "fridge-donations", "Food given in, one row a donation", "text/csv", write_donations
)
