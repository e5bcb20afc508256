"""Reminders: due soon and overdue, by email where the member has one and on the "to
phone" list where they have not (or this hub has no mail server); and telling a member
that their hold is ready.

``hub toollibrary reminders`` runs it daily (deploy/systemd/hub-toollibrary-reminders.*).
Nobody is reminded twice for the same thing: a reminder is a row, unique per loan and
kind, claimed before its email is sent and kept only once the server took the message,
so two runs at once send it once, and a message the server refused is tried again the
next day. A member on the "to phone" list stays there until a volunteer marks the call
made, which records the reminder the same way.

A hold-ready notice goes when the item is checked in (:func:`tell_hold_ready`); the
daily run sends only those that could not go then (the mail server failed, or did not
answer within :data:`CHECK_IN_TIMEOUT_SECONDS`).
Either way a hold is marked told in the same transaction as its email is sent, so it
is sent once.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.plugin_api import MailError, instance_info, mail_configured, mail_connection
from hub_toollibrary import service
from hub_toollibrary.i18n import _, day
from hub_toollibrary.models import Hold, Loan, Member, Reminder

log = logging.getLogger(__name__)

# A volunteer at the counter waits for the hold-ready notice; a server slower than this
# at any step leaves it to the daily run, which waits the core's full mail timeout.
CHECK_IN_TIMEOUT_SECONDS = 3


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None: ...


@dataclass
class Report:
    due_soon: int = 0
    overdue: int = 0
    holds_ready: int = 0
    holds_expired: int = 0
    to_phone: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Sent {self.due_soon} due-soon and {self.overdue} overdue reminder(s), "
            f"{self.holds_ready} hold-ready notice(s); {self.holds_expired} hold(s) expired.",
            f"{self.to_phone} member(s) to phone (the Reminders page).",
        ]
        return "\n".join(lines + [f"Not sent: {failure}" for failure in self.failures])


def _email(member: Member) -> str | None:
    """Where to email the member: None if they have no address, or if this hub has no
    mail server, so that they are phoned instead."""
    person = member.person
    if person is None or not person.email or not mail_configured():
        return None
    return person.email


def due(session: Session, today: dt.date, policy: service.Policy) -> list[tuple[Loan, str]]:
    """Open loans owed a reminder today, with its kind: due within ``due_soon_days``
    (and not yet due-soon reminded), or overdue (and not yet overdue reminded)."""
    reminded = {
        (loan_id, kind)
        for loan_id, kind in session.execute(select(Reminder.loan_id, Reminder.kind))
    }
    open_loans = session.scalars(
        select(Loan).where(Loan.returned_on.is_(None)).order_by(Loan.due_on, Loan.id)
    )
    wanted = []
    soon = today + dt.timedelta(days=policy.due_soon_days)
    for loan in open_loans:
        if loan.member.anonymised_at is not None:
            continue
        if loan.due_on < today:
            kind = "overdue"
        elif policy.due_soon_days and loan.due_on <= soon:
            kind = "due_soon"
        else:
            continue
        if (loan.id, kind) not in reminded:
            wanted.append((loan, kind))
    return wanted


def to_phone(session: Session, today: dt.date, policy: service.Policy) -> list[tuple[Loan, str]]:
    """The reminders owed to members who cannot be emailed: for a volunteer to phone."""
    return [
        (loan, kind) for loan, kind in due(session, today, policy) if _email(loan.member) is None
    ]


def _text(loan: Loan, kind: str) -> tuple[str, str]:
    library = instance_info()["name"]
    words = {
        "name": loan.member.name.split()[0] if loan.member.person else _("there"),
        "item": f"{loan.item.name} ({loan.item.number})",
        "library": library,
        "day": day(loan.due_on, "EEEE dd MMMM"),
    }
    if kind == "due_soon":
        subject = _("Due back %(day)s: %(item)s", day=words["day"], item=loan.item.name)
        body = _(
            "Hello %(name)s,\n\nA reminder from %(library)s: the %(item)s you borrowed is due "
            "back on %(day)s.\nIf you need it longer, ask us to renew it.\n",
            **words,
        )
    else:
        subject = _("Overdue: %(item)s", item=loan.item.name)
        body = _(
            "Hello %(name)s,\n\nThe %(item)s you borrowed from %(library)s was due back on "
            "%(day)s. Please bring it back at the next session, or tell us if something has "
            "happened to it.\n",
            **words,
        )
    return subject, body + _("\nThank you,\n%(library)s\n", library=library)


def record(session: Session, loan: Loan, kind: str, channel: str, today: dt.date) -> bool:
    """Claim the reminder (loan, kind); False if it was already made."""
    session.add(Reminder(loan_id=loan.id, kind=kind, channel=channel, sent_on=today))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def mark_phoned(session: Session, loan: Loan, kind: str, today: dt.date) -> bool:
    """A volunteer phoned the member about this loan: they leave the list."""
    done = record(session, loan, kind, "phone", today)
    session.commit()
    return done


def run(
    session: Session,
    connect: Any,
    today: dt.date,
    policy: service.Policy,
) -> Report:
    """Expire uncollected holds, then send what is owed. ``connect()`` opens the mail
    connection (``api.mail_connection``), only when there is something to send."""
    report = Report(holds_expired=len(service.expire_holds(session, today, policy)))
    owed = due(session, today, policy)
    by_email = [(loan, kind) for loan, kind in owed if _email(loan.member) is not None]
    report.to_phone = len(owed) - len(by_email) + len(holds_to_phone(session))
    holds = list(
        session.scalars(
            select(Hold).where(Hold.status == "ready", Hold.notified_on.is_(None)).order_by(Hold.id)
        )
    )
    holds = [hold for hold in holds if _email(hold.member) is not None]
    if not by_email and not holds:
        return report
    connection: AbstractContextManager[Mailer] = connect()
    with connection as mail:
        for loan, kind in by_email:
            if _send_reminder(session, mail, loan, kind, today, report):
                setattr(report, kind, getattr(report, kind) + 1)
        for hold in holds:
            if _send_hold_ready(session, mail, hold, today, report):
                report.holds_ready += 1
    return report


def _send_reminder(
    session: Session, mail: Mailer, loan: Loan, kind: str, today: dt.date, report: Report
) -> bool:
    address = _email(loan.member)
    assert address is not None
    if not record(session, loan, kind, "email", today):
        return False
    subject, text = _text(loan, kind)
    try:
        mail.send(address, subject, text)
    except MailError as exc:
        session.rollback()  # not sent: owed again tomorrow
        report.failures.append(str(exc))
        return False
    session.commit()
    return True


def _send_hold_ready(
    session: Session, mail: Mailer, hold: Hold, today: dt.date, report: Report
) -> bool:
    try:
        return email_hold_ready(session, mail, hold, today)
    except MailError as exc:
        report.failures.append(str(exc))
        return False


def _claim_hold(session: Session, hold: Hold, today: dt.date) -> bool:
    """Mark the hold told, uncommitted; False if it already was. The conditional update
    holds the row until commit or rollback, so a check-in and the daily run telling the
    same member at once send one notice between them."""
    claimed = session.execute(
        update(Hold)
        .where(Hold.id == hold.id, Hold.status == "ready", Hold.notified_on.is_(None))
        .values(notified_on=today)
    )
    return bool(getattr(claimed, "rowcount", 0))


def email_hold_ready(session: Session, mail: Mailer, hold: Hold, today: dt.date) -> bool:
    """Email the member that their hold is ready and commit; False if they were told
    already. A message the server refuses raises :class:`MailError` and leaves the
    hold untold, for the next run."""
    address = _email(hold.member)
    assert address is not None and hold.expires_on is not None
    if not _claim_hold(session, hold, today):
        session.rollback()
        return False
    library = instance_info()["name"]
    text = _(
        "Hello %(name)s,\n\nThe %(item)s (%(number)s) you asked for is back and put aside "
        "for you until %(day)s. Collect it at a session before then.\n",
        name=hold.member.name.split()[0],
        item=hold.item.name,
        number=hold.item.number,
        day=day(hold.expires_on, "EEEE dd MMMM"),
    ) + _("\nThank you,\n%(library)s\n", library=library)
    try:
        mail.send(address, _("Ready to collect: %(item)s", item=hold.item.name), text)
    except MailError:
        session.rollback()
        raise
    session.commit()
    return True


def tell_hold_ready(session: Session, hold: Hold, today: dt.date) -> str:
    """Tell the member now that the item they held came back: ``"emailed"``, ``"phone"``
    (no email, or no mail server: they are on the Reminders page's list) or ``"later"``
    (the server failed or was slow: the daily run sends it). Called once the check-in is
    committed, so nothing here can undo it. The connection is opened before the hold is
    claimed, so a slow server does not hold the row locked while it answers."""
    if _email(hold.member) is None:
        return "phone"
    try:
        with mail_connection(timeout=CHECK_IN_TIMEOUT_SECONDS) as mail:
            email_hold_ready(session, mail, hold, today)
    except MailError as exc:
        log.warning("hold-ready notice for hold %s not sent at check-in: %s", hold.id, exc)
        return "later"
    return "emailed"


def holds_to_phone(session: Session) -> list[Hold]:
    """Ready holds whose member cannot be emailed and has not been told yet."""
    ready = session.scalars(
        select(Hold).where(Hold.status == "ready", Hold.notified_on.is_(None)).order_by(Hold.id)
    )
    return [hold for hold in ready if _email(hold.member) is None]


def mark_hold_phoned(session: Session, hold: Hold, today: dt.date) -> None:
    hold.notified_on = today
    session.commit()


def phone_entry(loan: Loan, kind: str) -> dict[str, Any]:
    person = loan.member.person
    return {
        "loan_id": loan.id,
        "kind": kind,
        "item_number": loan.item.number,
        "item": loan.item.name,
        "due_on": loan.due_on,
        "member_code": loan.member.code,
        "name": loan.member.name,
        "phone": person.phone if person is not None else None,
        "hold_id": None,
        "ready_until": None,
    }


def hold_phone_entry(hold: Hold) -> dict[str, Any]:
    person = hold.member.person
    return {
        "loan_id": None,
        "kind": "hold_ready",
        "item_number": hold.item.number,
        "item": hold.item.name,
        "due_on": None,
        "member_code": hold.member.code,
        "name": hold.member.name,
        "phone": person.phone if person is not None else None,
        "hold_id": hold.id,
        "ready_until": hold.expires_on,
    }
