"""A member's statement as CSV: every movement, oldest first, with the balance after it,
written through the hub's CSV writer (no cell can start a spreadsheet formula)."""

from __future__ import annotations

from typing import TextIO

from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.codes import CATEGORIES
from hub_skillshare.models import Account

HEADER = ["movement", "exchange", "date", "category", "description", "minutes", "balance_after"]


def write_csv(session: Session, account: Account, stream: TextIO) -> int:
    """Write ``account``'s statement to ``stream``; returns the number of movements."""
    writer = api.csv_writer(stream)
    writer.writerow(HEADER)
    rows = session.execute(ledger.statement(account.id).order_by(None).order_by("id")).all()
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.exchange_id,
                row.occurred_on,
                CATEGORIES.get(row.category, row.category),
                row.description,
                row.minutes,
                row.balance_after,
            ]
        )
    return len(rows)
