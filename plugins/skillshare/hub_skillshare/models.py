"""The time bank's tables: every name starts with ``skillshare_``.

The ledger is double entry. Every account (one per member, one for the bank itself,
later one per peer bank) has movements; an exchange is one or more transfers, and a
transfer posts exactly two movements, its minutes out of the payer's account and into
the payee's, so every exchange sums to zero. Movements are appended, never changed:
a correction is a reversing exchange. ``Account.balance`` is a cache of the sum of the
account's movements, updated in the transaction that posts them, under a lock of the
account's row, and checked by ``hub skillshare check``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin_api import Model, Person, User, now, personal


class Member(Model):
    """Someone in the time bank. Their name and contact details are the core's
    ``Person``; a member who signs in is also a ``User``."""

    __tablename__ = "skillshare_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), unique=True
    )
    # pending (asked to join), active, left, refused.
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    # A neighbourhood or village, never a street address.
    area: Mapped[str] = personal(String(60), default="")
    # No phone or no internet: a broker records and confirms exchanges for them.
    offline: Mapped[bool] = mapped_column(default=False)
    joined_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    person: Mapped[Person] = relationship()
    user: Mapped[User | None] = relationship()
    account: Mapped[Account | None] = relationship(back_populates="member")


class Account(Model):
    """A place minutes are held: a member's, the bank's own, or a peer bank's."""

    __tablename__ = "skillshare_account"
    # The balance is a cache of the movements (which are the record); limits are audited.
    __audit_exclude__ = ("balance",)
    __table_args__ = (
        CheckConstraint(
            "(kind = 'member') = (member_id IS NOT NULL) AND (kind = 'peer') = (peer IS NOT NULL)",
            name="owner",
        ),
        # One bank account: the bank is the counterpart of community work and workshops.
        Index(
            "uq_skillshare_account_bank",
            "kind",
            unique=True,
            sqlite_where=text("kind = 'bank'"),
            postgresql_where=text("kind = 'bank'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # codes.ACCOUNT_KINDS
    member_id: Mapped[int | None] = mapped_column(ForeignKey("skillshare_member.id"), unique=True)
    # The peer instance's id (its base URL), for exchanges between banks.
    peer: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The sum of this account's movements, kept in the transaction that posts them.
    balance: Mapped[int] = mapped_column(default=0)
    # How far a member may go into debit and credit, in minutes; None: the settings'.
    debit_limit: Mapped[int | None]
    credit_limit: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    member: Mapped[Member | None] = relationship(back_populates="account")


class Exchange(Model):
    """Time given and received: transfers between accounts, confirmed by every party
    (or a broker for them) before its movements are posted."""

    __tablename__ = "skillshare_exchange"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    category: Mapped[str] = mapped_column(String(20))  # a code of codes.CATEGORIES
    occurred_on: Mapped[dt.date] = mapped_column(index=True)
    description: Mapped[str] = personal(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Recorded by a broker or coordinator for the members, not by a member themself.
    brokered: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    decided_at: Mapped[dt.datetime | None]
    # A reversal points at the exchange it undoes; an exchange is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("skillshare_exchange.id"), unique=True
    )
    # The offer or request it was for, if any.
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("skillshare_listing.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="exchange", order_by="Transfer.id"
    )
    confirmations: Mapped[list[Confirmation]] = relationship(
        back_populates="exchange", order_by="Confirmation.id"
    )
    recorded_by: Mapped[User | None] = relationship()


class Transfer(Model):
    """Minutes from one account to another within an exchange: posted as two movements."""

    __tablename__ = "skillshare_transfer"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("payer_id <> payee_id", name="parties"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("skillshare_exchange.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("skillshare_account.id"))
    payee_id: Mapped[int] = mapped_column(ForeignKey("skillshare_account.id"))
    minutes: Mapped[int]

    exchange: Mapped[Exchange] = relationship(back_populates="transfers")
    payer: Mapped[Account] = relationship(foreign_keys=[payer_id])
    payee: Mapped[Account] = relationship(foreign_keys=[payee_id])


class Confirmation(Model):
    """One party's answer to an exchange: every account in it has one."""

    __tablename__ = "skillshare_confirmation"
    __table_args__ = (UniqueConstraint("exchange_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("skillshare_exchange.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("skillshare_account.id"), index=True)
    # awaiting, confirmed, declined.
    state: Mapped[str] = mapped_column(String(10), default="awaiting")
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # A broker or coordinator answered for the member (who is offline), and the record says so.
    on_behalf: Mapped[bool] = mapped_column(default=False)

    exchange: Mapped[Exchange] = relationship(back_populates="confirmations")
    account: Mapped[Account] = relationship()


class Movement(Model):
    """One line of an account's statement: signed minutes, appended, never changed."""

    __tablename__ = "skillshare_movement"
    # Append-only and made only by posting an exchange, which the audit log records.
    __audited__ = False
    __table_args__ = (
        # A transfer posts once: one movement out of the payer, one into the payee.
        UniqueConstraint("transfer_id", "account_id"),
        CheckConstraint("minutes <> 0", name="minutes"),
        Index("ix_skillshare_movement_account", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("skillshare_exchange.id"), index=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("skillshare_transfer.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("skillshare_account.id"))
    minutes: Mapped[int]
    # The account's balance once this movement was posted: written under the account's
    # lock, so a statement reads its running balance instead of adding up the past.
    balance_after: Mapped[int]
    posted_at: Mapped[dt.datetime] = mapped_column(default=now)

    exchange: Mapped[Exchange] = relationship()


class Listing(Model):
    """An offer of help, or a request for it, by a member."""

    __tablename__ = "skillshare_listing"
    __table_args__ = (Index("ix_skillshare_listing_find", "kind", "category", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("skillshare_member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # codes.LISTING_KINDS
    skill: Mapped[str] = mapped_column(String(20))  # codes.SKILLS
    category: Mapped[str] = mapped_column(String(20))  # the skill's network category
    title: Mapped[str] = personal(String(120))
    description: Mapped[str] = personal(Text, default="")
    # Where, roughly: a neighbourhood or village, never a street address.
    area: Mapped[str] = mapped_column(String(60), default="")
    availability: Mapped[list[Any]] = mapped_column(JSON, default=list)  # codes.AVAILABILITY
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)

    member: Mapped[Member] = relationship()


class Workshop(Model):
    """A skill-share session a member hosts: a date, a place, a number of places.

    Sign-ups beyond the places wait in order and are promoted when someone cancels;
    both happen under a lock of the workshop's row, so places are never oversold. Once
    the host (or a coordinator) has taken attendance, the bank credits the host with
    the session's minutes, an ordinary exchange (``exchange``) a coordinator can reverse.
    """

    __tablename__ = "skillshare_workshop"
    __table_args__ = (
        CheckConstraint("places > 0", name="places"),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("skillshare_member.id"), index=True)
    title: Mapped[str] = personal(String(120))
    description: Mapped[str] = personal(Text, default="")
    category: Mapped[str] = mapped_column(String(20))  # a code of codes.CATEGORIES
    date: Mapped[dt.date] = mapped_column(index=True)
    starts_at: Mapped[dt.time]
    # How long it runs: what the host is credited once attendance is taken.
    minutes: Mapped[int]
    # A hall, a library room: somewhere public, never a member's home address.
    place: Mapped[str] = mapped_column(String(200))
    places: Mapped[int]
    # scheduled, cancelled, held (attendance taken).
    state: Mapped[str] = mapped_column(String(10), default="scheduled", index=True)
    attendance_taken_at: Mapped[dt.datetime | None]
    attendance_taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    # The bank's credit to the host for the session: the standing one, or the last one
    # made if a coordinator reversed it (attendance taken again then credits anew).
    exchange_id: Mapped[int | None] = mapped_column(
        ForeignKey("skillshare_exchange.id"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    host: Mapped[Member] = relationship()
    exchange: Mapped[Exchange | None] = relationship()
    signups: Mapped[list[Signup]] = relationship(
        back_populates="workshop", order_by="Signup.position"
    )


class Signup(Model):
    """A member's place at a workshop, or their turn on its waitlist."""

    __tablename__ = "skillshare_signup"
    __table_args__ = (
        # One sign-up per member per workshop: cancelling and signing up again reuses it.
        UniqueConstraint("workshop_id", "member_id"),
        # The order of signing up, and so of the waitlist: each sign-up takes the next.
        UniqueConstraint("workshop_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("skillshare_workshop.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("skillshare_member.id"), index=True)
    # booked (has a place), waiting (on the waitlist), cancelled (by the member or for
    # them), released (the whole workshop was cancelled).
    state: Mapped[str] = mapped_column(String(10))
    position: Mapped[int]
    # Taken after the session: None until then.
    attended: Mapped[bool | None]
    # A broker signed up a member who is offline, and the record says so.
    signed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)

    workshop: Mapped[Workshop] = relationship(back_populates="signups")
    member: Mapped[Member] = relationship()


MODELS = (
    Member,
    Account,
    Exchange,
    Transfer,
    Confirmation,
    Movement,
    Listing,
    Workshop,
    Signup,
)
