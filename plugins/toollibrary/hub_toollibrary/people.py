"""Members' personal data: subject access and erasure (UK GDPR).

A member's name and contact details are the core's (the people registry); what the tool
library adds about them is its member row and what they borrowed. Erasure blanks the
member's notes and the loans' return notes and unlinks the person, keeping every loan,
renewal, hold and reservation as an anonymous record: the figures stay as published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.plugin_api import Person, now
from hub_toollibrary.models import Hold, Loan, Member, Reservation


def _members(session: Session, person: Person) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.person_id == person.id)))


def _loan(loan: Loan) -> dict[str, Any]:
    return {
        "item_number": loan.item.number,
        "item": loan.item.name,
        "out_on": loan.out_on.isoformat(),
        "due_on": loan.due_on.isoformat(),
        "returned_on": loan.returned_on.isoformat() if loan.returned_on else None,
        "renewals": loan.renewal_count,
        "deposit_pence": loan.deposit_pence,
        "deposit_returned": loan.deposit_returned,
        "fine_pence": loan.fine_pence,
        "condition_in": loan.condition_in,
        "return_note": loan.return_note,
        "missing_parts": list(loan.missing_parts),
    }


def person_data(session: Session, person: Person) -> dict[str, Any] | None:
    members = _members(session, person)
    if not members:
        return None
    return {"members": [_member_data(session, member) for member in members]}


def _member_data(session: Session, member: Member) -> dict[str, Any]:
    loans = session.scalars(
        select(Loan).where(Loan.member_id == member.id).order_by(Loan.out_on, Loan.id)
    )
    holds = session.scalars(select(Hold).where(Hold.member_id == member.id).order_by(Hold.id))
    bookings = session.scalars(
        select(Reservation).where(Reservation.member_id == member.id).order_by(Reservation.id)
    )
    return {
        "code": member.code,
        "membership_type": member.membership_type.name,
        "status": member.status,
        "applied_on": member.applied_on.isoformat(),
        "approved_on": member.approved_on.isoformat() if member.approved_on else None,
        "agreement_accepted_on": (
            member.agreement_accepted_on.isoformat() if member.agreement_accepted_on else None
        ),
        "expires_on": member.expires_on.isoformat() if member.expires_on else None,
        "notes": member.notes,
        "loans": [_loan(loan) for loan in loans],
        "holds": [
            {"item_number": h.item.number, "placed_on": h.placed_on.isoformat(), "status": h.status}
            for h in holds
        ],
        "reservations": [
            {
                "item_number": r.item.number,
                "starts_on": r.starts_on.isoformat(),
                "ends_on": r.ends_on.isoformat(),
                "status": r.status,
            }
            for r in bookings
        ],
    }


def erase_person(session: Session, person: Person) -> int:
    touched = 0
    for member in _members(session, person):
        member.notes = ""
        member.person = None
        member.anonymised_at = now()
        notes = session.execute(
            update(Loan)
            .where(Loan.member_id == member.id, Loan.return_note != "")
            .values(return_note="")
        )
        touched += 1 + int(getattr(notes, "rowcount", 0) or 0)
    return touched
