"""Cancelling a whole workshop: its host or a coordinator calls it off.

In one transaction, under the workshop's lock (so a sign-up or attendance at the same
moment waits and then finds it cancelled): every place and turn on the waitlist is
released, and the host's standing credit, if attendance was taken, is reversed with a
reversing exchange, never edited. Only once that is committed are the members told:
by email through the hub's mail where the people registry has their address, or on a
list to phone (members without an address, and anyone whose message was not sent). A
mail server that is down leaves the cancellation made and everyone on the phone list.

A cancelled workshop is not shown as coming up, and counts in no figure: the metrics
count held workshops only, and a reversed credit and its reversal count nowhere.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.models import Exchange, Member, Signup, Workshop
from hub_skillshare.service import Actor, ExchangeError, reversing, transaction
from hub_skillshare.settings import Settings
from hub_skillshare.workshops import credit_stands, lock, may_manage


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None: ...


@dataclass(frozen=True)
class ToPhone:
    """A member to phone about the cancellation. Their number only for brokers and
    coordinators, who see members' contact details anyway; a host who is neither
    gets the names, and a coordinator makes the calls."""

    member: int
    name: str
    phone: str | None


@dataclass
class Cancellation:
    """What cancelling did, for the answer: who was emailed and who is to be phoned."""

    workshop: Workshop
    reversal: Exchange | None
    emailed: list[Member] = field(default_factory=list)
    to_phone: list[ToPhone] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)


def cancel(
    session: Session,
    workshop_id: int,
    actor: Actor,
    settings: Settings,
    reason: str,
    connect: Callable[[], AbstractContextManager[Mailer]],
) -> Cancellation:
    """Cancel ``workshop_id`` (see the module's docstring); ``connect`` opens the mail
    connection (``api.mail_connection``), only if someone has an address."""
    moment = api.now()
    with transaction(session):
        workshop = lock(session, workshop_id)
        if not may_manage(workshop, actor):
            raise ExchangeError("Only the host or a coordinator cancels a workshop.")
        if workshop.state == "cancelled":
            raise ExchangeError("This workshop was cancelled already.")
        released = [s for s in workshop.signups if s.state in ("booked", "waiting")]
        for signup in released:
            signup.state = "released"
        reversal = None
        if workshop.exchange_id is not None:
            # The credit's lock too: a coordinator reversing it at this moment takes turns.
            credit = ledger.lock_exchange(session, workshop.exchange_id)
            if credit is not None and credit_stands(session, workshop):
                reversal = reversing(
                    session, credit, actor, settings, f"Workshop cancelled: {reason}", moment
                )
        workshop.state = "cancelled"
    done = Cancellation(workshop, reversal)
    phone = _tell(done, released, reason, connect)
    shown = actor.broker or actor.coordinator
    done.to_phone = [
        ToPhone(m.id, m.person.name, m.person.phone if shown else None)
        for m in sorted(phone, key=lambda m: m.id)
    ]
    return done


def _tell(
    done: Cancellation,
    released: list[Signup],
    reason: str,
    connect: Callable[[], AbstractContextManager[Mailer]],
) -> list[Member]:
    """Email everyone released who has an address; returns who is left to phone."""
    members = [s.member for s in released]
    by_email = [(m, m.person.email) for m in members if m.person.email]
    to_phone = [m for m in members if not m.person.email]
    if not by_email:
        return to_phone
    try:
        with connect() as mail:
            for member, address in by_email:
                subject, text = _message(done.workshop, member, reason)
                try:
                    mail.send(address, subject, text)
                except api.MailError as exc:
                    done.not_sent.append(str(exc))
                    to_phone.append(member)
                else:
                    done.emailed.append(member)
    except api.MailError as exc:  # not configured, or the server is out of reach
        done.not_sent.append(str(exc))
        to_phone += [m for m, _ in by_email if m not in done.emailed and m not in to_phone]
    return to_phone


def _message(workshop: Workshop, member: Member, reason: str) -> tuple[str, str]:
    bank = api.instance_info()["name"]
    name = member.person.name.split()[0] if member.person.name else "there"
    when = f"{workshop.date:%A %d %B} at {workshop.starts_at:%H:%M}"
    subject = f"Cancelled: {workshop.title}, {workshop.date:%A %d %B}"
    text = (
        f"Hello {name},\n\nThe workshop {workshop.title} on {when} at {workshop.place} "
        f"has been cancelled.\n\nWhy: {reason}\n\nYour place (or your turn on the waitlist) "
        "is released; there is nothing you need to do.\n"
        f"\nThank you,\n{bank}\n"
    )
    return subject, text
