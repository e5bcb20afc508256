"""Personal data duties: what the time bank holds about a person, and erasure.

Erasing a member blanks what identifies them here (their area, the free text of their
exchanges, their offers and requests, which are withdrawn, and the title and description
of the workshops they hosted) and unlinks their sign-in; the core blanks their
``Person``. Their account, its movements, their exchanges and their workshop sign-ups
stay, anonymous, so the ledger still sums to zero, every other member's balance and
statement is unchanged, and so is every published figure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.models import Confirmation, Exchange, Listing, Member, Signup, Workshop


def _member(session: Session, person: api.Person) -> Member | None:
    return session.scalar(select(Member).where(Member.person_id == person.id))


def person_data(session: Session, person: api.Person) -> dict[str, Any] | None:
    member = _member(session, person)
    if member is None:
        return None
    data: dict[str, Any] = {
        "member": {
            "id": member.id,
            "status": member.status,
            "area": member.area,
            "offline": member.offline,
            "joined_on": member.joined_on.isoformat() if member.joined_on else None,
        }
    }
    offered = session.scalars(select(Listing).where(Listing.member_id == member.id)).all()
    data["listings"] = [
        {"kind": x.kind, "skill": x.skill, "title": x.title, "description": x.description,
         "area": x.area, "active": x.active}
        for x in offered
    ]  # fmt: skip
    hosted = session.scalars(select(Workshop).where(Workshop.host_id == member.id)).all()
    data["workshops_hosted"] = [
        {"title": w.title, "description": w.description, "date": w.date.isoformat(),
         "place": w.place, "state": w.state}
        for w in hosted
    ]  # fmt: skip
    signed = session.scalars(select(Signup).where(Signup.member_id == member.id)).all()
    data["workshop_signups"] = [
        {"workshop": s.workshop_id, "date": s.workshop.date.isoformat(), "state": s.state,
         "attended": s.attended}
        for s in signed
    ]  # fmt: skip
    if member.account is not None:
        rows = session.execute(ledger.statement(member.account.id)).all()
        data["account"] = {
            "id": member.account.id,
            "balance_minutes": member.account.balance,
            "statement": [
                {
                    "exchange": row.exchange_id,
                    "date": row.occurred_on.isoformat(),
                    "category": row.category,
                    "description": row.description,
                    "minutes": row.minutes,
                    "balance_after": row.balance_after,
                }
                for row in reversed(rows)
            ],
        }
    return data


def erase_person(session: Session, person: api.Person) -> int:
    member = _member(session, person)
    if member is None:
        return 0
    member.area = ""
    member.user_id = None
    if member.status == "pending":
        member.status = "refused"
    touched = 1
    withdrawn = session.execute(
        update(Listing)
        .where(Listing.member_id == member.id)
        .values(title="", description="", area="", active=False)
        .execution_options(synchronize_session=False)
    )
    touched += int(getattr(withdrawn, "rowcount", 0))
    hosted = session.execute(
        update(Workshop)
        .where(Workshop.host_id == member.id)
        .values(title="", description="")
        .execution_options(synchronize_session=False)
    )
    touched += int(getattr(hosted, "rowcount", 0))
    if member.account is not None:
        theirs = select(Confirmation.exchange_id).where(
            Confirmation.account_id == member.account.id
        )
        result = session.execute(
            update(Exchange)
            .where(Exchange.id.in_(theirs), Exchange.description != "")
            .values(description="")
            .execution_options(synchronize_session=False)
        )
        touched += int(getattr(result, "rowcount", 0))
    return touched
