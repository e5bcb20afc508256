"""The tool library's tables: the catalogue, members, loans and what hangs off them.

Members are linked to the core's people registry, which holds their name and contact
details; a member row holds only what lending needs. Loans, renewals, holds and
tickets are the records every published figure is computed from: erasing a person
unlinks and blanks their member row and keeps those records, anonymous.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    case,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from hub.plugin_api import Location, Model, Person, now, personal
from hub_toollibrary.codes import OPEN_TICKET_STATUSES


class Photo(Model):
    """An item's photo, resized when uploaded (the full size and a thumbnail, JPEG)."""

    __tablename__ = "toollibrary_photo"
    __audit_exclude__ = ("image", "thumbnail")

    item_id: Mapped[int] = mapped_column(
        ForeignKey("toollibrary_item.id", ondelete="CASCADE"), primary_key=True
    )
    image: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=now)


class MembershipType(Model):
    """A tier of membership, and the loan policy that comes with it."""

    __tablename__ = "toollibrary_membership_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    fee_pence: Mapped[int] = mapped_column(default=0)
    length_days: Mapped[int] = mapped_column(default=365)
    borrowing_limit: Mapped[int] = mapped_column(default=3)  # items out at once
    loan_days: Mapped[int] = mapped_column(default=7)
    renewal_limit: Mapped[int] = mapped_column(default=2)
    active: Mapped[bool] = mapped_column(default=True)


class Member(Model):
    __tablename__ = "toollibrary_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short code on the member's card, read aloud or typed at the counter; never a name.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    membership_type_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_membership_type.id"))
    status: Mapped[str] = mapped_column(String(10), default="applied")  # codes.MEMBER_STATUSES
    applied_on: Mapped[dt.date]
    approved_on: Mapped[dt.date | None] = mapped_column(index=True)
    agreement_accepted_on: Mapped[dt.date | None]
    expires_on: Mapped[dt.date | None]
    notes: Mapped[str] = personal(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    anonymised_at: Mapped[dt.datetime | None]

    person: Mapped[Person | None] = relationship(lazy="joined")
    membership_type: Mapped[MembershipType] = relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.person.name if self.person is not None else "(erased)"


class Loan(Model):
    __tablename__ = "toollibrary_loan"
    __table_args__ = (
        # At most one open loan per item, whichever volunteer gets there first: the
        # database holds it across every worker process, on SQLite and PostgreSQL.
        Index(
            "uq_toollibrary_loan_open_item",
            "item_id",
            unique=True,
            sqlite_where=text("returned_on IS NULL"),
            postgresql_where=text("returned_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_item.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_member.id"), index=True)
    out_on: Mapped[dt.date] = mapped_column(index=True)
    due_on: Mapped[dt.date] = mapped_column(index=True)
    returned_on: Mapped[dt.date | None]
    backdated: Mapped[bool] = mapped_column(default=False)  # out_on set by staff, not today
    renewal_count: Mapped[int] = mapped_column(default=0)
    deposit_pence: Mapped[int] = mapped_column(default=0)
    deposit_returned: Mapped[bool] = mapped_column(default=False)
    fine_pence: Mapped[int] = mapped_column(default=0)
    condition_out: Mapped[str] = mapped_column(String(10), default="good")
    condition_in: Mapped[str | None] = mapped_column(String(10))
    return_note: Mapped[str] = personal(Text, default="")
    missing_parts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Unique: a double tap or a retried request finds the first loan instead of a second.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    item: Mapped[Item] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")

    def overdue(self, today: dt.date) -> bool:
        return self.returned_on is None and today > self.due_on


class Renewal(Model):
    """A loan made longer: at once within the member's limit, else a request a
    coordinator approves or refuses."""

    __tablename__ = "toollibrary_renewal"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_loan.id"), index=True)
    requested_on: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10))  # codes.RENEWAL_STATUSES
    old_due_on: Mapped[dt.date]
    new_due_on: Mapped[dt.date]
    decided_on: Mapped[dt.date | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    loan: Mapped[Loan] = relationship(lazy="joined")


class Hold(Model):
    """A place in the queue for an item that is out (or in repair)."""

    __tablename__ = "toollibrary_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_item.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_member.id"), index=True)
    placed_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # codes.HOLD_STATUSES
    ready_on: Mapped[dt.date | None]  # the item came back for this member
    expires_on: Mapped[dt.date | None]  # uncollected by then, it passes to the next
    notified_on: Mapped[dt.date | None]  # the member was told it is ready
    closed_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    item: Mapped[Item] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")


class Reservation(Model):
    """An item booked for future dates (a gazebo for a party), with buffer days kept
    free around it for the return and a check."""

    __tablename__ = "toollibrary_reservation"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_item.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_member.id"), index=True)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), default="booked")
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("toollibrary_loan.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    item: Mapped[Item] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")
    loan: Mapped[Loan | None] = relationship()


class Ticket(Model):
    """A maintenance ticket: while one is open its item is out of circulation."""

    __tablename__ = "toollibrary_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_item.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("toollibrary_loan.id"))
    opened_on: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(15), default="open")  # codes.TICKET_STATUSES
    problem: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    item: Mapped[Item] = relationship(lazy="joined")
    loan: Mapped[Loan | None] = relationship()


class Reminder(Model):
    """A reminder sent (by email) or made (by phone) about a loan: once per loan and kind."""

    __tablename__ = "toollibrary_reminder"
    __table_args__ = (UniqueConstraint("loan_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("toollibrary_loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # codes.REMINDER_KINDS
    channel: Mapped[str] = mapped_column(String(10))  # email or phone
    sent_on: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Wanted(Model):
    """A category of thing the library asks to be given (drills, sewing machines), from
    the day a coordinator asks until the day they say it is no longer needed. Kept once
    closed, so a past period's needs are computed again the same."""

    __tablename__ = "toollibrary_wanted"
    __table_args__ = (
        # One open ask per category: asking again while it is open is a conflict.
        Index(
            "uq_toollibrary_wanted_open_category",
            "category",
            unique=True,
            sqlite_where=text("closed_on IS NULL"),
            postgresql_where=text("closed_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(30))  # codes.ITEM_CATEGORIES
    note: Mapped[str] = mapped_column(String(300), default="")  # "cordless, with batteries"
    opened_on: Mapped[dt.date]
    closed_on: Mapped[dt.date | None]  # no longer needed from this day
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


def _exists(model: type[Model], *conditions: Any) -> Any:
    """EXISTS over ``model``'s table, correlated only to the item: inside a query of loans
    (which loads each loan's item) the loans table is the subquery's own, not the outer one."""
    return select(model.__table__).where(*conditions).correlate_except(model.__table__).exists()


class Item(Model):
    """One thing lent: a drill, a gazebo, a kit of parts lent together."""

    __tablename__ = "toollibrary_item"
    # Computed when read (below), not stored: nothing to log.
    __audit_exclude__ = ("availability", "has_photo")

    id: Mapped[int] = mapped_column(primary_key=True)
    # What is on the label and typed or scanned at the counter.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30), index=True)  # codes.ITEM_CATEGORIES
    condition: Mapped[str] = mapped_column(String(10), default="good")  # codes.CONDITIONS
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    kit_parts: Mapped[list[Any]] = mapped_column(JSON, default=list)  # checked at return
    replacement_value_pence: Mapped[int] = mapped_column(default=0)
    deposit_pence: Mapped[int] = mapped_column(default=0)
    # Restricted items go out only when someone holding toollibrary.approve checks them out.
    restricted: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    added_on: Mapped[dt.date] = mapped_column(index=True)
    retired_on: Mapped[dt.date | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    location: Mapped[Location | None] = relationship(lazy="joined")

    # Where the item is now, computed by the database with the item, so that lists and
    # searches cost one query: retired, on loan, in repair (an open ticket), put aside
    # for a hold, or on the shelf (service.AVAILABILITY labels them).
    availability: Mapped[str] = column_property(
        case(
            (retired_on.is_not(None), "retired"),
            (_exists(Loan, Loan.item_id == id, Loan.returned_on.is_(None)), "on_loan"),
            (
                _exists(Ticket, Ticket.item_id == id, Ticket.status.in_(OPEN_TICKET_STATUSES)),
                "in_repair",
            ),
            (_exists(Hold, Hold.item_id == id, Hold.status == "ready"), "on_hold"),
            else_="available",
        )
    )
    has_photo: Mapped[bool] = column_property(_exists(Photo, Photo.item_id == id))


MODELS: tuple[type[Model], ...] = (
    Item,
    Photo,
    MembershipType,
    Member,
    Loan,
    Renewal,
    Hold,
    Reservation,
    Ticket,
    Reminder,
    Wanted,
)
