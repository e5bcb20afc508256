"""Personal data duties: what the seed library holds about a person, erasure, retention."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_seedlibrary.models import Loan


def person_data(session: Session, person: api.Person) -> dict[str, Any] | None:
    loans = session.scalars(
        select(Loan).where(Loan.person_id == person.id).order_by(Loan.lent_on)
    ).all()
    if not loans:
        return None
    return {
        "loans": [
            {
                "variety": loan.variety.name,
                "packets": loan.packets,
                "lent_on": loan.lent_on.isoformat(),
                "returned_on": loan.returned_on.isoformat() if loan.returned_on else None,
                "packets_returned": loan.packets_returned,
                "note": loan.note,
            }
            for loan in loans
        ]
    }


def erase_person(session: Session, person: api.Person) -> int:
    """Blank the notes; the loans stay (anonymous now), so the figures do not change."""
    loans = session.scalars(select(Loan).where(Loan.person_id == person.id)).all()
    for loan in loans:
        loan.note = ""
    return len(loans)


def apply_retention(session: Session, today: dt.date) -> int:
    """Notes on loans are kept for ``note_retention_days``, then blanked."""
    days = api.plugin_settings("seedlibrary")["note_retention_days"]
    cutoff = today - dt.timedelta(days=days)
    result = session.execute(
        update(Loan).where(Loan.lent_on < cutoff, Loan.note != "").values(note="")
    )
    blanked = cast(CursorResult[Any], result).rowcount
    if blanked:
        # A bulk update bypasses the ORM, so it is written to the audit log by hand.
        api.record_audit(session, "retention", "seedlibrary_loan", notes_blanked=blanked)
    return blanked
