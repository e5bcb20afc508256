"""Skill-share sessions: workshops with places, sign-up, a waitlist, attendance, and the
host's credit in the ledger.

Every change to who has a place (signing up, cancelling) first locks the workshop's
row, as ``ledger.lock_exchange`` locks an exchange: a no-op UPDATE, which is the row
lock on PostgreSQL and the database's write lock on SQLite. The places taken are then
counted afresh, so two members signing up for the last place at once take turns and
the second goes on the waitlist; a cancellation promotes the first in line in the same
transaction. Places are never oversold.

Attendance is taken by the host or a coordinator once the session's day has come. The
first time anyone is marked present, the bank credits the host with the session's
minutes: one exchange, posted at once through the ledger (two movements that sum to
zero), which a coordinator corrects as any other, with a reversing exchange. Taking
attendance again corrects who came; it never credits twice while a credit stands, and
after a reversal it credits the host once more (the workshop then names the new credit;
the reversed one and its reversal stay in the ledger, both counted nowhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.models import Confirmation, Exchange, Member, Signup, Transfer, Workshop
from hub_skillshare.service import Actor, ExchangeError, post, transaction
from hub_skillshare.settings import Settings

SIGNUP_STATES = {
    "booked": "Has a place",
    "waiting": "On the waitlist",
    "cancelled": "Cancelled",
    "released": "Released: the workshop was cancelled",
}
WORKSHOP_STATES = {
    "scheduled": "Coming up",
    "held": "Held: attendance taken",
    "cancelled": "Cancelled",
}


def _active_member(session: Session, member_id: int, field: str) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.status != "active" or member.account is None:
        raise api.FieldError(field, f"There is no active member {member_id}.")
    return member


def _own_member(session: Session, actor: Actor) -> Member:
    member = session.scalar(
        select(Member).where(Member.user_id == actor.user_id, Member.status == "active")
    )
    if member is None:
        raise ExchangeError("Only an active member of the time bank can do this.")
    return member


def is_host(workshop: Workshop, actor: Actor) -> bool:
    return workshop.host.user_id == actor.user_id


def may_manage(workshop: Workshop, actor: Actor) -> bool:
    """The host and coordinators take attendance and see who signed up."""
    return actor.coordinator or is_host(workshop, actor)


def add(session: Session, values: dict[str, Any], actor: Actor) -> Workshop:
    """A new workshop (``values`` as ``schemas.WorkshopIn`` loads them): the actor hosts
    it, or a coordinator names its ``host``."""
    if values["date"] < api.today():
        raise api.FieldError("date", "The date cannot be in the past.")
    with transaction(session):
        if "host" in values and values["host"] is not None:
            if not actor.coordinator:
                raise api.FieldError("host", "Only a coordinator offers a workshop for another.")
            host = _active_member(session, values["host"], "host")
        else:
            host = _own_member(session, actor)
        workshop = Workshop(
            host=host,
            title=values["title"],
            description=values.get("description", ""),
            category=values["category"],
            date=values["date"],
            starts_at=values["starts_at"],
            minutes=values["minutes"],
            place=values["place"],
            places=values["places"],
            created_by_id=actor.user_id,
        )
        session.add(workshop)
    return workshop


def lock(session: Session, workshop_id: int) -> Workshop:
    """Lock ``workshop_id`` (see the module's docstring) and read it afresh; 404 if none."""
    session.execute(update(Workshop).where(Workshop.id == workshop_id).values(state=Workshop.state))
    workshop = session.scalars(
        select(Workshop).where(Workshop.id == workshop_id).execution_options(populate_existing=True)
    ).one_or_none()
    if workshop is None:
        raise api.ApiError(404, "workshop not found", {"id": workshop_id})
    return workshop


def booked(session: Session, workshop_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.workshop_id == workshop_id, Signup.state == "booked")
        )
        or 0
    )


def sign_up(
    session: Session, workshop_id: int, actor: Actor, member_id: int | None = None
) -> Signup:
    """Sign the actor up (or, for a broker, a member who is offline; for a coordinator,
    any member): a place if one is free, else the end of the waitlist. Signing up again
    while booked or waiting changes nothing."""
    with transaction(session):
        workshop = lock(session, workshop_id)
        if workshop.state != "scheduled" or workshop.date < api.today():
            raise ExchangeError("This workshop is no longer open for sign-up.")
        if member_id is None:
            member = _own_member(session, actor)
        else:
            member = _active_member(session, member_id, "member")
            if member.user_id != actor.user_id and not _may_act_for(member, actor):
                raise api.FieldError(
                    "member", "You can sign up yourself, or as a broker a member who is offline."
                )
        if member.id == workshop.host_id:
            raise ExchangeError("The host does not sign up for their own workshop.")
        signup = session.scalar(
            select(Signup).where(Signup.workshop_id == workshop.id, Signup.member_id == member.id)
        )
        if signup is not None and signup.state != "cancelled":
            return signup
        last = session.scalar(
            select(func.max(Signup.position)).where(Signup.workshop_id == workshop.id)
        )
        state = "booked" if booked(session, workshop.id) < workshop.places else "waiting"
        if signup is None:
            signup = Signup(workshop_id=workshop.id, member_id=member.id)
            session.add(signup)
        signup.state = state
        signup.position = (last or 0) + 1  # to the back of the queue, like anyone new
        signup.signed_up_by_id = actor.user_id
    return signup


def _may_act_for(member: Member, actor: Actor) -> bool:
    return actor.coordinator or (actor.broker and member.offline)


def cancel(session: Session, workshop_id: int, signup_id: int, actor: Actor) -> Signup:
    """Give up a place (or a turn on the waitlist): the member, their broker if they are
    offline, or a coordinator. A freed place goes to the first on the waitlist."""
    with transaction(session):
        workshop = lock(session, workshop_id)
        signup = session.get(Signup, signup_id)
        if signup is None or signup.workshop_id != workshop.id:
            raise api.ApiError(404, "sign-up not found", {"id": signup_id})
        if signup.member.user_id != actor.user_id and not _may_act_for(signup.member, actor):
            raise ExchangeError("This is another member's sign-up.")
        if workshop.state != "scheduled":
            raise ExchangeError(
                f"This workshop is {workshop.state}: its sign-ups stay as they are."
            )
        if signup.state == "cancelled":
            return signup
        freed = signup.state == "booked"
        signup.state = "cancelled"
        session.flush()
        if freed:
            _promote(session, workshop)
    return signup


def _promote(session: Session, workshop: Workshop) -> None:
    """Give the free places to the first on the waitlist, in the order they signed up."""
    free = workshop.places - booked(session, workshop.id)
    if free <= 0:
        return
    first = session.scalars(
        select(Signup)
        .where(Signup.workshop_id == workshop.id, Signup.state == "waiting")
        .order_by(Signup.position)
        .limit(free)
    )
    for signup in first:
        signup.state = "booked"


def take_attendance(
    session: Session,
    workshop_id: int,
    present: Iterable[int],
    actor: Actor,
    settings: Settings,
) -> Workshop:
    """Record who came (``present``: member ids among those booked; everyone else booked
    did not). When someone came and no credit stands, the bank credits the host; raises
    ``ledger.LimitError`` (and records nothing) if that would pass the host's limit."""
    moment = api.now()
    with transaction(session):
        workshop = lock(session, workshop_id)
        if not may_manage(workshop, actor):
            raise ExchangeError("Only the host or a coordinator takes attendance.")
        if workshop.state == "cancelled":
            raise ExchangeError("This workshop was cancelled.")
        if workshop.date > api.today():
            raise ExchangeError("Attendance is taken on the day of the workshop or after it.")
        came = set(present)
        places = {s.member_id: s for s in workshop.signups if s.state == "booked"}
        strangers = came - set(places)
        if strangers:
            raise api.FieldError(
                "present", f"Not booked on this workshop: member {min(strangers)}."
            )
        for member_id, signup in places.items():
            signup.attended = member_id in came
        workshop.state = "held"
        workshop.attendance_taken_at = moment
        workshop.attendance_taken_by_id = actor.user_id
        if came and not credit_stands(session, workshop):
            workshop.exchange = _credit_host(session, workshop, actor, settings, moment)
    return workshop


def credit_stands(session: Session, workshop: Workshop) -> bool:
    """Whether the host's credit for ``workshop`` is in the ledger and not reversed.

    A coordinator's reversal is a correction, so it frees the session to be credited
    once more when attendance is taken again; while a credit stands, taking attendance
    again never credits a second time."""
    if workshop.exchange_id is None:
        return False
    reversed_ = session.scalar(
        select(Exchange.id).where(Exchange.reverses_id == workshop.exchange_id)
    )
    return reversed_ is None


def _credit_host(
    session: Session, workshop: Workshop, actor: Actor, settings: Settings, moment: dt.datetime
) -> Exchange:
    """The bank's exchange crediting the host with the session's minutes, posted now."""
    host_account = workshop.host.account
    assert host_account is not None  # an active member has an account
    bank = ledger.bank_account(session)
    taker_is_host = is_host(workshop, actor)
    exchange = Exchange(
        category=workshop.category,
        occurred_on=workshop.date,
        description=f"Workshop: {workshop.title}",
        recorded_by_id=actor.user_id,
        brokered=not taker_is_host,
        transfers=[Transfer(payer_id=bank.id, payee_id=host_account.id, minutes=workshop.minutes)],
        confirmations=[
            Confirmation(
                account_id=account_id,
                state="confirmed",
                decided_at=moment,
                decided_by_id=actor.user_id,
                # The bank's side is confirmed by the attendance taken, not by a holder.
                on_behalf=account_id == bank.id or not taker_is_host,
            )
            for account_id in sorted((bank.id, host_account.id))
        ],
    )
    session.add(exchange)
    session.flush()
    post(session, exchange, settings, moment)
    return exchange


def workshops(filters: dict[str, Any]) -> Select[Workshop]:
    """Workshops matching ``filters`` (as ``schemas.WorkshopQuery`` loads them): coming
    ones soonest first, or with ``past``, the most recent first."""
    # What a list shows of each: its host's name and its places taken, in two queries.
    statement = select(Workshop).options(
        joinedload(Workshop.host).joinedload(Member.person), selectinload(Workshop.signups)
    )
    today = api.today()
    if filters.get("past"):
        statement = statement.where(Workshop.date < today).order_by(
            Workshop.date.desc(), Workshop.starts_at.desc(), Workshop.id.desc()
        )
    else:
        statement = statement.where(Workshop.date >= today).order_by(
            Workshop.date, Workshop.starts_at, Workshop.id
        )
    for key in ("category", "state"):
        if key in filters:
            statement = statement.where(getattr(Workshop, key) == filters[key])
    if not filters.get("past") and "state" not in filters:
        # A cancelled workshop is not coming up; asking for state=cancelled finds it.
        statement = statement.where(Workshop.state != "cancelled")
    if "host" in filters:
        statement = statement.where(Workshop.host_id == filters["host"])
    return statement


def signups(workshop: Workshop, actor: Actor) -> Select[Signup]:
    """A workshop's sign-ups in the order they were made: all of them for the host and
    coordinators (brokers too), a member's own otherwise."""
    statement = select(Signup).where(Signup.workshop_id == workshop.id)
    if not (may_manage(workshop, actor) or actor.broker):
        mine = select(Member.id).where(Member.user_id == actor.user_id)
        statement = statement.where(Signup.member_id.in_(mine))
    return statement.order_by(Signup.position)


def places_left(session: Session, workshop: Workshop) -> int:
    return max(workshop.places - booked(session, workshop.id), 0)


def waiting_before(session: Session, signup: Signup) -> int:
    """How many are ahead of ``signup`` on the waitlist."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(
                Signup.workshop_id == signup.workshop_id,
                Signup.state == "waiting",
                Signup.position < signup.position,
            )
        )
        or 0
    )


def signup_of(session: Session, workshop: Workshop, actor: Actor) -> Signup | None:
    """The actor's own sign-up for ``workshop``, if they have one."""
    return session.scalar(
        select(Signup)
        .join(Member, Member.id == Signup.member_id)
        .where(Signup.workshop_id == workshop.id, Member.user_id == actor.user_id)
    )
