"""Lending and returns: the rules the API and the quick-log page share."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_seedlibrary.models import Loan, Variety


class LendingError(ValueError):
    """A loan that cannot be made; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def lend(
    session: Session,
    *,
    variety_id: int,
    person_id: int,
    packets: int,
    lent_on: dt.date,
    note: str = "",
) -> Loan:
    """Lend ``packets`` of a variety to a person, taking them out of stock."""
    variety = session.get(Variety, variety_id)
    if variety is None:
        raise LendingError("variety_id", f"no variety with id {variety_id}")
    person = session.get(api.Person, person_id)
    if person is None or person.anonymised_at is not None:
        raise LendingError("person_id", f"no person with id {person_id}")
    limit = api.plugin_settings("seedlibrary")["max_packets_per_loan"]
    if packets > limit:
        raise LendingError("packets", f"at most {limit} packets per loan")
    if packets > variety.packets_in_stock:
        raise LendingError("packets", f"only {variety.packets_in_stock} packets in stock")
    if lent_on > dt.date.today():
        raise LendingError("lent_on", "cannot be in the future")
    variety.packets_in_stock -= packets
    loan = Loan(
        variety=variety, person_id=person_id, packets=packets, lent_on=lent_on, note=note.strip()
    )
    session.add(loan)
    return loan


def record_return(session: Session, loan: Loan, *, packets: int, returned_on: dt.date) -> Loan:
    """Saved seed came back after the harvest: it goes back on the shelf."""
    if loan.returned_on is not None:
        raise LendingError("loan", "this loan was already returned")
    if returned_on < loan.lent_on:
        raise LendingError("returned_on", "cannot be before the loan")
    loan.returned_on = returned_on
    loan.packets_returned = packets
    loan.variety.packets_in_stock += packets
    return loan
