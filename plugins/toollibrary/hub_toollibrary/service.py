"""What the tool library does: its rules and its errors, shared by the API, the counter
pages, the importer, the reminders and the demo.

api.py and views.py validate input with the schemas and call these functions, which keep
every rule in one place: who may borrow what and for how long, one open loan per item
(held by the database), the holds queue, reservations that never overlap, items out of
circulation while a maintenance ticket is open. Nothing here knows about requests: a
value that does not fit is an ``api.FieldError`` naming its field, and a request that
clashes with what is recorded is a :class:`Conflict`.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Select, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from hub.plugin_api import FieldError, Location, Person, now, record_created, text_search
from hub_toollibrary import codes
from hub_toollibrary.i18n import N_, _, day, ngettext
from hub_toollibrary.models import (
    Hold,
    Item,
    Loan,
    Member,
    MembershipType,
    Renewal,
    Reservation,
    Ticket,
    Wanted,
)

# No 0/O, 1/I/L: member codes are read aloud and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_CODE = 20


class Conflict(Exception):
    """A request that clashes with what is recorded (the item is out, the limit reached)."""

    def __init__(self, message: str, field: str = "form") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = {field: [message]}


@dataclass(frozen=True)
class Policy:
    """The settings the rules need (settings.SettingsSchema), passed in by the caller."""

    hold_days: int = 7
    reservation_buffer_days: int = 1
    reservation_max_days: int = 14
    due_soon_days: int = 2
    fine_pence_per_day: int = 0

    @classmethod
    def of(cls, settings: dict[str, Any]) -> Policy:
        return cls(**{name: settings[name] for name in cls.__dataclass_fields__})


def normalise_code(text: str) -> str:
    """A code as typed or scanned: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())[:MAX_CODE]


# --- the catalogue ---------------------------------------------------------------


def item_by_number(session: Session, text: str) -> Item | None:
    number = normalise_code(text)
    if not number:
        return None
    # With its location's opening times, which the due date needs: one query, not three.
    found = session.scalars(
        select(Item)
        .where(Item.number == number)
        .options(joinedload(Item.location).joinedload(Location.opening_times))
    )
    return found.unique().first()


def next_item_number(session: Session, prefix: str = "T") -> str:
    count = session.scalar(select(func.count()).select_from(Item)) or 0
    while True:
        count += 1
        number = f"{prefix}{count:04d}"
        if session.scalar(select(Item.id).where(Item.number == number)) is None:
            return number


def _parts(values: dict[str, Any]) -> list[str]:
    parts = [part.strip() for part in values.get("kit_parts", []) if part.strip()]
    if len(set(parts)) != len(parts):
        raise FieldError("kit_parts", _("Each part is listed once."))
    return parts


def add_item(session: Session, values: dict[str, Any], today: dt.date) -> Item:
    """Add an item to the catalogue (``values`` as ``schemas.ItemIn`` loads them), commit."""
    number = normalise_code(values.get("number", "")) or next_item_number(session)
    if session.scalar(select(Item.id).where(Item.number == number)) is not None:
        raise Conflict(_("Item number %(number)s is already in use.", number=number), "number")
    _check_location(session, values.get("location_id"))
    item = Item(
        number=number,
        **{key: values[key] for key in ITEM_FIELDS if key in values},
        kit_parts=_parts(values),
        added_on=values.get("added_on", today),
    )
    session.add(item)
    _commit_or_conflict(
        session, _("Item number %(number)s is already in use.", number=number), "number"
    )
    return item


ITEM_FIELDS = (
    "name",
    "category",
    "condition",
    "location_id",
    "replacement_value_pence",
    "deposit_pence",
    "restricted",
    "notes",
)


def change_item(session: Session, item: Item, values: dict[str, Any]) -> Item:
    if "number" in values:
        number = normalise_code(values["number"])
        if not number:
            raise FieldError("number", _("Enter the item's number."))
        item.number = number
    if "location_id" in values:
        _check_location(session, values["location_id"])
    for key in ITEM_FIELDS:
        if key in values:
            setattr(item, key, values[key])
    if "kit_parts" in values:
        item.kit_parts = _parts(values)
    if "retired_on" in values:
        item.retired_on = values["retired_on"]
    _commit_or_conflict(
        session, _("Item number %(number)s is already in use.", number=item.number), "number"
    )
    return item


def _check_location(session: Session, location_id: int | None) -> None:
    if location_id is not None and session.get(Location, location_id) is None:
        raise FieldError("location_id", _("No location with id %(id)s.", id=location_id))


def _commit_or_conflict(session: Session, message: str, field: str) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(message, field) from None


def open_loan(session: Session, item_id: int) -> Loan | None:
    return session.scalar(select(Loan).where(Loan.item_id == item_id, Loan.returned_on.is_(None)))


def open_ticket_for(session: Session, item_id: int) -> Ticket | None:
    return session.scalar(
        select(Ticket)
        .where(Ticket.item_id == item_id, Ticket.status.in_(codes.OPEN_TICKET_STATUSES))
        .order_by(Ticket.id)
        .limit(1)
    )


def ready_hold(session: Session, item_id: int) -> Hold | None:
    return session.scalar(select(Hold).where(Hold.item_id == item_id, Hold.status == "ready"))


AVAILABILITY = {
    "available": N_("On the shelf"),
    "on_loan": N_("On loan"),
    "on_hold": N_("Put aside for a hold"),
    "in_repair": N_("In repair"),
    "retired": N_("Retired"),
}


def availability(session: Session, item: Item) -> str:
    """Where an item is now (one of ``AVAILABILITY``), as the database has it this moment."""
    return session.scalar(select(Item.availability).where(Item.id == item.id)) or "available"


def items(filters: dict[str, Any]) -> Select[Item]:
    """The catalogue matching ``filters`` (``schemas.ItemQuery``), by number."""
    statement = select(Item)
    if text := filters.get("q"):
        statement = statement.where(text_search(text, Item.name, Item.number, Item.notes))
    if "category" in filters:
        statement = statement.where(Item.category == filters["category"])
    if "network_category" in filters:
        wanted = [
            code
            for code, (_label, network) in codes.ITEM_CATEGORIES.items()
            if network == filters["network_category"]
        ]
        statement = statement.where(Item.category.in_(wanted))
    if "location_id" in filters:
        statement = statement.where(Item.location_id == filters["location_id"])
    if "availability" in filters:
        statement = statement.where(Item.availability == filters["availability"])
    elif not filters.get("include_retired"):
        statement = statement.where(Item.retired_on.is_(None))
    return statement.order_by(Item.number)


# --- members ---------------------------------------------------------------------


def new_member_code(session: Session) -> str:
    while True:
        code = "M" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
        if session.scalar(select(Member.id).where(Member.code == code)) is None:
            return code


def member_by_code(session: Session, text: str) -> Member | None:
    code = normalise_code(text)
    if not code:
        return None
    return session.scalar(select(Member).where(Member.code == code))


def _membership_type(session: Session, type_id: int) -> MembershipType:
    found = session.get(MembershipType, type_id)
    if found is None or not found.active:
        raise FieldError("membership_type_id", _("No membership type with id %(id)s.", id=type_id))
    return found


def add_membership_type(session: Session, values: dict[str, Any]) -> MembershipType:
    kind = MembershipType(**values)
    session.add(kind)
    _commit_or_conflict(
        session, _("There is already a membership type “%(name)s”.", name=kind.name), "name"
    )
    return kind


def change_membership_type(
    session: Session, kind: MembershipType, values: dict[str, Any]
) -> MembershipType:
    for key, value in values.items():
        setattr(kind, key, value)
    _commit_or_conflict(
        session, _("There is already a membership type “%(name)s”.", name=kind.name), "name"
    )
    return kind


def apply(session: Session, values: dict[str, Any], today: dt.date) -> Member:
    """A membership application (``schemas.MemberIn``): the person's details go into the
    core's registry (or an existing person is linked), the member waits for approval."""
    kind = _membership_type(session, values["membership_type_id"])
    if "person_id" in values:
        person = session.get(Person, values["person_id"])
        if person is None or person.anonymised_at is not None:
            raise FieldError("person_id", _("No person with id %(id)s.", id=values["person_id"]))
        if session.scalar(select(Member.id).where(Member.person_id == person.id)):
            raise Conflict(_("This person is already a member."), "person_id")
    else:
        if not values.get("name"):
            raise FieldError("name", _("Enter the member's name, or choose a person."))
        person = Person(
            name=values["name"],
            email=values.get("email") or None,
            phone=values.get("phone") or None,
            consent_given=True,
            consent_purpose="Tool library membership: lending, reminders, notices",
            consent_at=now(),
        )
        session.add(person)
    if not values.get("agreement_accepted"):
        raise FieldError("agreement_accepted", _("The member must accept the borrowing agreement."))
    member = Member(
        code=new_member_code(session),
        person=person,
        membership_type=kind,
        applied_on=today,
        agreement_accepted_on=values.get("agreement_accepted_on", today),
        notes=values.get("notes", ""),
    )
    session.add(member)
    session.commit()
    return member


def approve(session: Session, member: Member, today: dt.date) -> Member:
    """A coordinator approves an application; the membership runs from today."""
    if member.anonymised_at is not None:
        raise Conflict(_("This member was erased."))
    if member.status == "approved":
        raise Conflict(_("Member %(code)s is already approved.", code=member.code))
    if member.agreement_accepted_on is None:
        raise Conflict(_("The member has not accepted the borrowing agreement."))
    member.status = "approved"
    member.approved_on = today
    member.expires_on = today + dt.timedelta(days=member.membership_type.length_days)
    session.commit()
    return member


def set_status(session: Session, member: Member, status: str) -> Member:
    if member.anonymised_at is not None:
        raise Conflict(_("This member was erased."))
    member.status = status
    session.commit()
    return member


def renew_membership(session: Session, member: Member, today: dt.date) -> Member:
    if member.status != "approved":
        raise Conflict(_("Member %(code)s is not approved.", code=member.code))
    start = max(today, member.expires_on or today)
    member.expires_on = start + dt.timedelta(days=member.membership_type.length_days)
    session.commit()
    return member


def members(filters: dict[str, Any]) -> Select[Member]:
    statement = select(Member).outerjoin(Member.person)
    if text := filters.get("q"):
        statement = statement.where(text_search(text, Member.code, Person.name, Person.email))
    if "status" in filters:
        statement = statement.where(Member.status == filters["status"])
    return statement.order_by(Member.code)


def _may_borrow(member: Member, today: dt.date) -> None:
    if member.status != "approved":
        state = _(codes.MEMBER_STATUSES.get(member.status, member.status)).lower()
        raise Conflict(
            _("Member %(code)s cannot borrow: %(state)s.", code=member.code, state=state),
            "member_code",
        )
    if member.expires_on is not None and member.expires_on < today:
        raise Conflict(
            _(
                "Member %(code)s's membership ended on %(day)s: renew it first.",
                code=member.code,
                day=day(member.expires_on, "dd MMM y"),
            ),
            "member_code",
        )


# --- due dates ---------------------------------------------------------------------


def next_open_day(location: Location | None, day: dt.date) -> dt.date:
    """``day``, or the next day the location is open when it is closed that day (a loan
    cannot be brought back to a locked door). A location with no opening times is
    taken as open every day."""
    if location is None or not location.opening_times:
        return day
    open_days = {time.weekday for time in location.opening_times}
    for ahead in range(7):
        candidate = day + dt.timedelta(days=ahead)
        if candidate.weekday() in open_days:
            return candidate
    return day  # unreachable: open_days is not empty


def due_date(item: Item, member: Member, out_on: dt.date) -> dt.date:
    return next_open_day(
        item.location, out_on + dt.timedelta(days=member.membership_type.loan_days)
    )


# --- check out and in --------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    """A check-out asked for, before any rule is checked: who, what, when, by whom."""

    item: Item
    member: Member
    out_on: dt.date
    idempotency_key: str | None = None
    may_approve: bool = False  # the caller holds toollibrary.approve (restricted items)
    may_backdate: bool = False  # the caller holds toollibrary.manage
    due_on: dt.date | None = None  # staff may set it; otherwise from the policy
    loans_out: int | None = None  # the member's loans out, when the caller has counted them
    booked: bool = True  # False when the caller knows the item has no booking


def find_for_checkout(session: Session, item_number: str, member_code: str) -> Checkout:
    """The item and the member as typed or scanned at the counter, in one query with what
    lending them needs: the item's location and opening days, how many loans the member
    has out, whether the item has any booking. The caller fills in the rest."""
    number, code = normalise_code(item_number), normalise_code(member_code)
    loans_out = (
        select(func.count())
        .where(Loan.member_id == Member.id, Loan.returned_on.is_(None))
        .correlate(Member)
        .scalar_subquery()
    )
    booked = (
        select(Reservation.id)
        .where(Reservation.item_id == Item.id, Reservation.status == "booked")
        .correlate(Item)
        .exists()
    )
    found = (
        session.execute(
            select(Item, Member, loans_out, booked)
            .join(Member, Member.code == code)
            .where(Item.number == number)
            .options(joinedload(Item.location).joinedload(Location.opening_times))
        )
        .unique()
        .first()
    )
    if found is None:
        if item_by_number(session, number) is None:
            raise FieldError("item_number", _("No item numbered “%(number)s”.", number=number))
        raise FieldError("member_code", _("No member with the code “%(code)s”.", code=code))
    item, member, out, has_bookings = found
    return Checkout(item, member, out_on=dt.date.min, loans_out=out, booked=bool(has_bookings))


def _same(loan: Loan, wanted: Checkout) -> bool:
    return loan.item_id == wanted.item.id and loan.member_id == wanted.member.id


def loan_by_key(session: Session, key: str) -> Loan | None:
    return session.scalar(select(Loan).where(Loan.idempotency_key == key))


def _replay(loan: Loan, wanted: Checkout) -> tuple[Loan, bool]:
    if not _same(loan, wanted):
        raise Conflict(
            _("This request's key was used for a different loan: use a new key for each loan."),
            "Idempotency-Key",
        )
    return loan, False


def check_out(
    session: Session, wanted: Checkout, policy: Policy, today: dt.date
) -> tuple[Loan, bool]:
    """Lend an item and commit; returns ``(loan, created)``.

    A request repeating an idempotency key gets the loan the first one made
    (``created`` False). Two volunteers lending the same item at the same moment
    make one loan: the partial unique index on open loans, not the checks here, is
    what holds when two workers race, and the loser is told who has it. The counter's
    usual case (an item on the shelf, nobody waiting, no booking) costs four queries:
    the look-up (:func:`find_for_checkout`), the insert and its audit entry.
    """
    key = wanted.idempotency_key
    item, member = wanted.item, wanted.member
    # A retry of a loan already made finds the item out: only then is the key looked up
    # first; otherwise the insert finds a repeat, saving a query on every new loan.
    if (
        key is not None
        and item.availability == "on_loan"
        and (existing := loan_by_key(session, key)) is not None
    ):
        return _replay(existing, wanted)
    if wanted.out_on > today:
        raise FieldError(
            "out_on", _("A loan cannot start in the future: reserve the item instead.")
        )
    if wanted.out_on < today and not wanted.may_backdate:
        raise FieldError("out_on", _("Only a coordinator may backdate a loan."))
    _may_borrow(member, wanted.out_on)
    hold = _lendable(session, item, member, wanted.may_approve)
    out = wanted.loans_out
    if out is None:
        out = session.scalar(
            select(func.count()).where(Loan.member_id == member.id, Loan.returned_on.is_(None))
        )
    limit = member.membership_type.borrowing_limit
    if (out or 0) >= limit:
        raise Conflict(
            ngettext(
                "Member %(code)s already has %(num)s item out, the limit of a %(kind)s membership.",
                "Member %(code)s already has %(num)s items out, "
                "the limit of a %(kind)s membership.",
                out or 0,
                code=member.code,
                kind=member.membership_type.name,
            ),
            "member_code",
        )
    bookings = (
        list(
            session.scalars(
                select(Reservation)
                .where(
                    Reservation.item_id == item.id,
                    Reservation.status == "booked",
                    Reservation.ends_on >= wanted.out_on,
                )
                .order_by(Reservation.starts_on)
            )
        )
        if wanted.booked
        else []
    )
    reservation = next(
        (b for b in bookings if b.member_id == member.id and b.starts_on <= wanted.out_on), None
    )
    due_on = wanted.due_on or (
        reservation.ends_on if reservation else due_date(item, member, wanted.out_on)
    )
    if due_on < wanted.out_on:
        raise FieldError("due_on", _("The due date cannot be before the loan starts."))
    others = [b for b in bookings if b.member_id != member.id]
    due_on = _before_next_booking(item, others, wanted.out_on, due_on, policy)
    row: dict[str, Any] = {
        "item_id": item.id,
        "member_id": member.id,
        "out_on": wanted.out_on,
        "due_on": due_on,
        "returned_on": None,
        "backdated": wanted.out_on < today,
        "renewal_count": 0,
        "deposit_pence": item.deposit_pence,
        "deposit_returned": False,
        "fine_pence": 0,
        "condition_out": item.condition,
        "condition_in": None,
        "return_note": "",
        "missing_parts": [],
        "idempotency_key": key,
        "created_at": now(),
    }
    try:
        # A Core INSERT and its audit entry: at a busy counter the ORM's unit of work for
        # one new row cost more than the statement itself.
        inserted = session.connection().execute(_insert_loan(), row).inserted_primary_key
        assert inserted is not None
        row["id"] = inserted[0]
        record_created(session, {Loan: [row]})
        if hold is not None:
            hold.status, hold.closed_on = "collected", today
        if reservation is not None:
            reservation.status, reservation.loan_id = "collected", row["id"]
        session.commit()
    except IntegrityError:
        session.rollback()
        if key is not None and (existing := loan_by_key(session, key)) is not None:
            return _replay(existing, wanted)
        if (other := open_loan(session, item.id)) is not None:
            raise Conflict(_on_loan_message(other), "item_number") from None
        raise
    # The loan as written, not read back: what the API answers and the counter confirms.
    loan = Loan(**row)
    loan.item, loan.member = item, member
    return loan, True


@functools.cache
def _insert_loan() -> Insert:
    return insert(Loan.__table__)


def _on_loan_message(loan: Loan) -> str:
    return _(
        "%(number)s is already on loan to member %(code)s, due back %(day)s.",
        number=loan.item.number,
        code=loan.member.code,
        day=day(loan.due_on),
    )


def _lendable(session: Session, item: Item, member: Member, may_approve: bool) -> Hold | None:
    """Refuse an item that cannot go to ``member`` now; the hold it is put aside on for
    them, if any. Where the item is comes with it (``Item.availability``): only an item
    that is not on the shelf costs a query, to say why."""
    state = item.availability
    if state == "retired":
        raise Conflict(
            _(
                "%(number)s was retired on %(day)s.",
                number=item.number,
                day=day(item.retired_on, "dd MMM y"),
            ),
            "item_number",
        )
    if state == "on_loan" and (loan := open_loan(session, item.id)) is not None:
        raise Conflict(_on_loan_message(loan), "item_number")
    if state == "in_repair" and (ticket := open_ticket_for(session, item.id)) is not None:
        raise Conflict(
            _(
                "%(number)s is out of circulation: maintenance ticket #%(id)s is open.",
                number=item.number,
                id=ticket.id,
            ),
            "item_number",
        )
    if item.restricted and not may_approve:
        raise Conflict(
            _(
                "%(number)s is a restricted item: a coordinator must check it out.",
                number=item.number,
            ),
            "item_number",
        )
    hold = ready_hold(session, item.id) if state == "on_hold" else None
    if hold is not None and hold.member_id != member.id:
        raise Conflict(
            _(
                "%(number)s is put aside for member %(code)s until %(day)s.",
                number=item.number,
                code=hold.member.code,
                day=day(hold.expires_on),
            ),
            "item_number",
        )
    return hold


def _before_next_booking(
    item: Item,
    bookings: list[Reservation],
    out_on: dt.date,
    due_on: dt.date,
    policy: Policy,
) -> dt.date:
    """The due date, brought forward so that the item is back (with the buffer days to
    spare) before someone else's booking starts; a conflict if that leaves no loan."""
    buffer = dt.timedelta(days=policy.reservation_buffer_days)
    booking = bookings[0] if bookings else None
    if booking is None or booking.starts_on > due_on + buffer:
        return due_on
    latest = booking.starts_on - buffer - dt.timedelta(days=1)
    if latest < out_on:
        raise Conflict(
            _(
                "%(number)s is reserved from %(day)s: it cannot go out now.",
                number=item.number,
                day=day(booking.starts_on),
            ),
            "item_number",
        )
    return latest


@dataclass(frozen=True)
class Checkin:
    """What the volunteer saw when the item came back."""

    returned_on: dt.date
    condition: str
    note: str = ""
    missing_parts: tuple[str, ...] = ()
    needs_repair: bool = False  # open a maintenance ticket whatever the parts
    deposit_returned: bool = True
    may_backdate: bool = False


@dataclass(frozen=True)
class Returned:
    """A check-in's outcome: the loan, a ticket if one was opened, the hold now ready."""

    loan: Loan
    ticket: Ticket | None
    hold: Hold | None


def check_in(
    session: Session, loan: Loan, back: Checkin, policy: Policy, today: dt.date
) -> Returned:
    """Take an item back and commit: its condition, its parts counted, a fine for a late
    return (when the library charges one), a ticket when something is missing or broken,
    and the next member in the holds queue is put first in line."""
    if loan.returned_on is not None:
        raise Conflict(
            _(
                "%(number)s was already checked in on %(day)s.",
                number=loan.item.number,
                day=day(loan.returned_on, "dd MMM y"),
            )
        )
    if back.returned_on > today:
        raise FieldError("returned_on", _("The return cannot be in the future."))
    if back.returned_on < today and not back.may_backdate:
        raise FieldError("returned_on", _("Only a coordinator may backdate a return."))
    if back.returned_on < loan.out_on:
        raise FieldError("returned_on", _("The return cannot be before the loan started."))
    unknown = sorted(set(back.missing_parts) - set(loan.item.kit_parts))
    if unknown:
        raise FieldError(
            "missing_parts", _("Not a part of this kit: %(parts)s.", parts=", ".join(unknown))
        )
    item = loan.item
    loan.returned_on = back.returned_on
    loan.condition_in = back.condition
    loan.return_note = back.note
    loan.missing_parts = sorted(back.missing_parts)
    loan.deposit_returned = back.deposit_returned and loan.deposit_pence > 0
    loan.fine_pence = fine(loan, back.returned_on, policy)
    item.condition = back.condition
    ticket = None
    if back.missing_parts or back.needs_repair:
        problems = [back.note] if back.note else []
        if back.missing_parts:
            problems.append("Missing at return: " + ", ".join(sorted(back.missing_parts)) + ".")
        ticket = Ticket(
            item=item,
            loan_id=loan.id,
            opened_on=back.returned_on,
            problem=" ".join(problems) or "Needs a check after its return.",
        )
        session.add(ticket)
    session.flush()
    hold = None if ticket is not None else _next_hold_ready(session, item, today, policy)
    session.commit()
    return Returned(loan, ticket, hold)


def fine(loan: Loan, returned_on: dt.date, policy: Policy) -> int:
    late = (returned_on - loan.due_on).days
    if late <= 0 or policy.fine_pence_per_day <= 0:
        return 0
    charge = late * policy.fine_pence_per_day
    cap = loan.item.replacement_value_pence
    return min(charge, cap) if cap > 0 else charge


def loans(filters: dict[str, Any], today: dt.date) -> Select[Loan]:
    statement = select(Loan)
    if "member_id" in filters:
        statement = statement.where(Loan.member_id == filters["member_id"])
    if "item_id" in filters:
        statement = statement.where(Loan.item_id == filters["item_id"])
    state = filters.get("state")
    if state == "open":
        statement = statement.where(Loan.returned_on.is_(None))
    elif state == "overdue":
        statement = statement.where(Loan.returned_on.is_(None), Loan.due_on < today)
    elif state == "returned":
        statement = statement.where(Loan.returned_on.is_not(None))
    if "out_from" in filters:
        statement = statement.where(Loan.out_on >= filters["out_from"])
    if "out_to" in filters:
        statement = statement.where(Loan.out_on <= filters["out_to"])
    return statement.order_by(Loan.out_on.desc(), Loan.id.desc())


# --- renewals ------------------------------------------------------------------------


def _waiting_holds(session: Session, item_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Hold.item_id == item_id, Hold.status.in_(codes.OPEN_HOLD_STATUSES)
            )
        )
        or 0
    )


def renew(session: Session, loan: Loan, today: dt.date) -> Renewal:
    """Renew a loan: at once while the member is within their renewal limit and nobody
    is waiting for the item; otherwise a request a coordinator decides on."""
    if loan.returned_on is not None:
        raise Conflict(
            _(
                "%(number)s was returned on %(day)s.",
                number=loan.item.number,
                day=day(loan.returned_on, "dd MMM y"),
            )
        )
    pending = session.scalar(
        select(Renewal).where(Renewal.loan_id == loan.id, Renewal.status == "requested")
    )
    if pending is not None:
        raise Conflict(_("A renewal of this loan is already waiting for a coordinator."))
    new_due = due_date(loan.item, loan.member, max(loan.due_on, today))
    within_limit = loan.renewal_count < loan.member.membership_type.renewal_limit
    free = _waiting_holds(session, loan.item_id) == 0
    renewal = Renewal(
        loan=loan,
        requested_on=today,
        status="approved" if within_limit and free else "requested",
        old_due_on=loan.due_on,
        new_due_on=new_due,
    )
    if renewal.status == "approved":
        _apply_renewal(loan, renewal, today)
    session.add(renewal)
    session.commit()
    return renewal


def _apply_renewal(loan: Loan, renewal: Renewal, today: dt.date) -> None:
    renewal.status, renewal.decided_on = "approved", today
    renewal.old_due_on = loan.due_on
    loan.due_on = renewal.new_due_on
    loan.renewal_count += 1


def decide_renewal(session: Session, renewal: Renewal, approve: bool, today: dt.date) -> Renewal:
    """A coordinator's answer to a renewal request (beyond the limit, or with a queue)."""
    if renewal.status != "requested":
        raise Conflict(
            _(
                "This renewal was already decided: %(status)s.",
                status=_(codes.RENEWAL_STATUSES.get(renewal.status, renewal.status)).lower(),
            )
        )
    if renewal.loan.returned_on is not None:
        raise Conflict(_("The item was returned meanwhile."))
    if approve:
        _apply_renewal(renewal.loan, renewal, today)
    else:
        renewal.status, renewal.decided_on = "refused", today
    session.commit()
    return renewal


def renewals(filters: dict[str, Any]) -> Select[Renewal]:
    statement = select(Renewal)
    if "status" in filters:
        statement = statement.where(Renewal.status == filters["status"])
    if "loan_id" in filters:
        statement = statement.where(Renewal.loan_id == filters["loan_id"])
    return statement.order_by(Renewal.requested_on.desc(), Renewal.id.desc())


# --- holds ---------------------------------------------------------------------------


def place_hold(
    session: Session, item: Item, member: Member, today: dt.date, policy: Policy
) -> Hold:
    """Join the queue for an item; one on the shelf is put aside for the member at once."""
    _may_borrow(member, today)
    if item.retired_on is not None:
        raise Conflict(_("%(number)s was retired.", number=item.number), "item_id")
    session.scalar(select(Item.id).where(Item.id == item.id).with_for_update())
    mine = session.scalar(
        select(Hold.id).where(
            Hold.item_id == item.id,
            Hold.member_id == member.id,
            Hold.status.in_(codes.OPEN_HOLD_STATUSES),
        )
    )
    if mine is not None:
        raise Conflict(
            _(
                "Member %(code)s is already in the queue for %(number)s.",
                code=member.code,
                number=item.number,
            )
        )
    loan = open_loan(session, item.id)
    if loan is not None and loan.member_id == member.id:
        raise Conflict(
            _("Member %(code)s has %(number)s already.", code=member.code, number=item.number)
        )
    hold = Hold(item=item, member=member, placed_on=today)
    session.add(hold)
    session.flush()
    if availability(session, item) == "available":
        _make_ready(hold, today, policy)
    session.commit()
    return hold


def _make_ready(hold: Hold, today: dt.date, policy: Policy) -> None:
    hold.status = "ready"
    hold.ready_on = today
    hold.expires_on = today + dt.timedelta(days=policy.hold_days)


def _next_hold_ready(session: Session, item: Item, today: dt.date, policy: Policy) -> Hold | None:
    """The first member waiting for ``item`` gets it put aside (and is told, by the
    reminders' run: ``notified_on`` says whether they were)."""
    if ready_hold(session, item.id) is not None:
        return None
    hold = session.scalar(
        select(Hold)
        .where(Hold.item_id == item.id, Hold.status == "waiting")
        .order_by(Hold.placed_on, Hold.id)
        .limit(1)
    )
    if hold is not None:
        _make_ready(hold, today, policy)
    return hold


def cancel_hold(session: Session, hold: Hold, today: dt.date, policy: Policy) -> Hold:
    if hold.status not in codes.OPEN_HOLD_STATUSES:
        raise Conflict(
            _(
                "This hold is already %(status)s.",
                status=_(codes.HOLD_STATUSES.get(hold.status, hold.status)).lower(),
            )
        )
    was_ready = hold.status == "ready"
    hold.status, hold.closed_on = "cancelled", today
    session.flush()
    if was_ready and availability(session, hold.item) == "available":
        _next_hold_ready(session, hold.item, today, policy)
    session.commit()
    return hold


def expire_holds(session: Session, today: dt.date, policy: Policy) -> list[Hold]:
    """Holds not collected in time pass to the next member in the queue; commits."""
    expired = list(
        session.scalars(select(Hold).where(Hold.status == "ready", Hold.expires_on < today))
    )
    for hold in expired:
        hold.status, hold.closed_on = "expired", today
    session.flush()
    for hold in expired:
        if availability(session, hold.item) == "available":
            _next_hold_ready(session, hold.item, today, policy)
    session.commit()
    return expired


def queue_position(session: Session, hold: Hold) -> int:
    """1 for the first member waiting; 0 once the hold is ready or closed."""
    if hold.status != "waiting":
        return 0
    ahead = session.scalar(
        select(func.count()).where(
            Hold.item_id == hold.item_id,
            Hold.status == "waiting",
            or_(
                Hold.placed_on < hold.placed_on,
                (Hold.placed_on == hold.placed_on) & (Hold.id < hold.id),
            ),
        )
    )
    return (ahead or 0) + 1


def holds(filters: dict[str, Any]) -> Select[Hold]:
    statement = select(Hold)
    for key in ("item_id", "member_id", "status"):
        if key in filters:
            statement = statement.where(getattr(Hold, key) == filters[key])
    return statement.order_by(Hold.placed_on, Hold.id)


# --- reservations ----------------------------------------------------------------------


def reserve(
    session: Session,
    item: Item,
    member: Member,
    starts_on: dt.date,
    ends_on: dt.date,
    today: dt.date,
    policy: Policy,
) -> Reservation:
    """Book an item for future dates. No two bookings of an item come closer than the
    buffer days, nor does a booking start before a loan's due date and its buffer."""
    if starts_on < today:
        raise FieldError("starts_on", _("A reservation cannot start in the past."))
    if ends_on < starts_on:
        raise FieldError("ends_on", _("The end must be on or after the start."))
    if (ends_on - starts_on).days + 1 > policy.reservation_max_days:
        raise FieldError(
            "ends_on",
            _("A reservation is at most %(days)s days.", days=policy.reservation_max_days),
        )
    _may_borrow(member, starts_on)
    if item.retired_on is not None:
        raise Conflict(_("%(number)s was retired.", number=item.number), "item_id")
    # One booking of an item at a time across workers (PostgreSQL locks the row;
    # SQLite has one writer at a time anyway).
    session.scalar(select(Item.id).where(Item.id == item.id).with_for_update())
    buffer = dt.timedelta(days=policy.reservation_buffer_days)
    clash = session.scalar(
        select(Reservation)
        .where(
            Reservation.item_id == item.id,
            Reservation.status == "booked",
            Reservation.starts_on <= ends_on + buffer,
            Reservation.ends_on >= starts_on - buffer,
        )
        .limit(1)
    )
    if clash is not None:
        raise Conflict(
            ngettext(
                "%(number)s is booked %(start)s to %(end)s; bookings are kept %(num)s day apart.",
                "%(number)s is booked %(start)s to %(end)s; bookings are kept %(num)s days apart.",
                policy.reservation_buffer_days,
                number=item.number,
                start=day(clash.starts_on, "dd MMM"),
                end=day(clash.ends_on, "dd MMM"),
            ),
            "starts_on",
        )
    loan = open_loan(session, item.id)
    if loan is not None and loan.due_on + buffer >= starts_on:
        raise Conflict(
            _(
                "%(number)s is on loan until %(due)s: book it from %(start)s.",
                number=item.number,
                due=day(loan.due_on, "dd MMM"),
                start=day(loan.due_on + buffer + dt.timedelta(days=1), "dd MMM"),
            ),
            "starts_on",
        )
    reservation = Reservation(item=item, member=member, starts_on=starts_on, ends_on=ends_on)
    session.add(reservation)
    session.commit()
    return reservation


def cancel_reservation(session: Session, reservation: Reservation) -> Reservation:
    if reservation.status != "booked":
        raise Conflict(
            _(
                "This reservation is already %(status)s.",
                status=_(
                    codes.RESERVATION_STATUSES.get(reservation.status, reservation.status)
                ).lower(),
            )
        )
    reservation.status = "cancelled"
    session.commit()
    return reservation


def reservations(filters: dict[str, Any]) -> Select[Reservation]:
    statement = select(Reservation)
    for key in ("item_id", "member_id", "status"):
        if key in filters:
            statement = statement.where(getattr(Reservation, key) == filters[key])
    if "from" in filters:
        statement = statement.where(Reservation.ends_on >= filters["from"])
    return statement.order_by(Reservation.starts_on, Reservation.id)


# --- maintenance -------------------------------------------------------------------------


def open_ticket(session: Session, item: Item, values: dict[str, Any], today: dt.date) -> Ticket:
    """Take an item out of circulation for a repair or a check."""
    opened_on = values.get("opened_on", today)
    if opened_on > today:
        raise FieldError("opened_on", _("The date cannot be in the future."))
    ticket = Ticket(item=item, opened_on=opened_on, problem=values["problem"])
    session.add(ticket)
    session.commit()
    return ticket


def change_ticket(
    session: Session, ticket: Ticket, values: dict[str, Any], today: dt.date, policy: Policy
) -> Ticket:
    """Move a ticket on; closing it puts the item back (or retires it)."""
    if ticket.status not in codes.OPEN_TICKET_STATUSES:
        raise Conflict(_("Ticket #%(id)s is closed.", id=ticket.id))
    if "resolution" in values:
        ticket.resolution = values["resolution"]
    if "problem" in values:
        ticket.problem = values["problem"]
    status = values.get("status", ticket.status)
    ticket.status = status
    if status not in codes.OPEN_TICKET_STATUSES:
        ticket.closed_on = values.get("closed_on", today)
        if ticket.closed_on < ticket.opened_on:
            raise FieldError("closed_on", _("A ticket cannot close before it opened."))
        if status == "retired":
            ticket.item.retired_on = ticket.closed_on
        session.flush()
        if availability(session, ticket.item) == "available":
            _next_hold_ready(session, ticket.item, today, policy)
    session.commit()
    return ticket


def tickets(filters: dict[str, Any]) -> Select[Ticket]:
    statement = select(Ticket)
    if "item_id" in filters:
        statement = statement.where(Ticket.item_id == filters["item_id"])
    if filters.get("open"):
        statement = statement.where(Ticket.status.in_(codes.OPEN_TICKET_STATUSES))
    elif "status" in filters:
        statement = statement.where(Ticket.status == filters["status"])
    return statement.order_by(Ticket.opened_on.desc(), Ticket.id.desc())


def membership_types() -> Select[MembershipType]:
    return select(MembershipType).order_by(MembershipType.fee_pence, MembershipType.name)


def ask_for(session: Session, values: dict[str, Any], today: dt.date) -> Wanted:
    """Put a category on the wanted list from today; a conflict while it is on it."""
    wanted = Wanted(category=values["category"], note=values.get("note", ""), opened_on=today)
    session.add(wanted)
    label = codes.CATEGORY_LABELS[wanted.category]
    _commit_or_conflict(session, f"{label}: on the wanted list already.", "category")
    return wanted


def no_longer_wanted(session: Session, wanted: Wanted, today: dt.date) -> Wanted:
    """Take a category off the wanted list: not needed from today on."""
    if wanted.closed_on is not None:
        raise Conflict(f"This was taken off the wanted list on {wanted.closed_on}.")
    wanted.closed_on = today
    session.commit()
    return wanted


def wanted_list(filters: dict[str, Any]) -> Select[Wanted]:
    """What is asked for now first, by category; then what was, latest first."""
    statement = select(Wanted)
    if filters.get("open") is not None:
        closed = Wanted.closed_on.is_(None) if filters["open"] else Wanted.closed_on.is_not(None)
        statement = statement.where(closed)
    return statement.order_by(
        Wanted.closed_on.is_not(None), Wanted.closed_on.desc(), Wanted.category, Wanted.id
    )


@dataclass(frozen=True)
class BorrowingStats:
    """What a member has borrowed: for their page and the coordinator's eye."""

    loans: int
    out_now: int
    overdue_now: int
    returned_late: int
    renewals: int
    fines_pence: int


def borrowing_stats(session: Session, member: Member, today: dt.date) -> BorrowingStats:
    row = session.execute(
        select(
            func.count(),
            func.count().filter(Loan.returned_on.is_(None)),
            func.count().filter(Loan.returned_on.is_(None), Loan.due_on < today),
            func.count().filter(Loan.returned_on > Loan.due_on),
            func.coalesce(func.sum(Loan.renewal_count), 0),
            func.coalesce(func.sum(Loan.fine_pence), 0),
        ).where(Loan.member_id == member.id)
    ).one()
    return BorrowingStats(*(int(value or 0) for value in row))


def locations_in_use(session: Session) -> list[int]:
    """The locations where items that are still lent are kept."""
    return list(
        session.scalars(
            select(Item.location_id)
            .where(Item.retired_on.is_(None), Item.location_id.is_not(None))
            .distinct()
        )
    )
