"""The tool library's JSON API under ``/api/v1/toollibrary``: each operation validates with
a schema and calls the service."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import Select, select

from hub.plugin_api import (
    ApiBlueprint,
    ApiError,
    can,
    current_user,
    get_or_404,
    get_session,
    today,
)
from hub_toollibrary import codes, photos, reminders, schemas, service, settings
from hub_toollibrary.models import (
    Hold,
    Item,
    Loan,
    Member,
    MembershipType,
    Reminder,
    Renewal,
    Reservation,
    Ticket,
    Wanted,
)
from hub_toollibrary.permissions import APPROVE, LEND, MANAGE, MEMBERS, VIEW

bp = ApiBlueprint("toollibrary_api", __name__, url_prefix="/api/v1/toollibrary", tag="toollibrary")

IDEMPOTENCY_HEADER = "Idempotency-Key"
LOAN_OUT = schemas.LoanOut()


@bp.errorhandler(service.Conflict)
def _conflict(exc: service.Conflict) -> Any:
    return ApiError(409, exc.message, exc.details).response()


def _policy() -> service.Policy:
    return service.Policy.of(settings.current())


def _may(permission: str) -> bool:
    return can(current_user(), permission)


# --- the catalogue -----------------------------------------------------------------


@bp.operation(
    "/categories",
    summary="The item categories codelist",
    permission=VIEW,
    response=schemas.CategoryOut,
    many=True,
)
def list_categories() -> list[dict[str, str]]:
    """Each item category with the network category it is published under."""
    return [
        {
            "code": code,
            "label": label,
            "network_category": network,
            "network_label": codes.NETWORK_CATEGORIES[network],
        }
        for code, (label, network) in codes.ITEM_CATEGORIES.items()
    ]


@bp.operation(
    "/items",
    summary="Search the catalogue",
    permission=VIEW,
    query=schemas.ItemQuery,
    response=schemas.ItemOut,
    paginate=True,
)
def list_items(query: dict[str, Any]) -> Select[Any]:
    """By number; retired items only when asked for."""
    return service.items(query)


@bp.operation(
    "/items",
    method="POST",
    summary="Add an item to the catalogue",
    permission=MANAGE,
    body=schemas.ItemIn,
    response=schemas.ItemOut,
    status=201,
)
def create_item(body: dict[str, Any]) -> Item:
    return service.add_item(get_session(), body, today())


@bp.operation("/items/<int:item_id>", summary="One item", permission=VIEW, response=schemas.ItemOut)
def get_item(item_id: int) -> Item:
    return get_or_404(Item, item_id)


@bp.operation(
    "/items/<int:item_id>",
    method="PATCH",
    summary="Change an item (retire it with retired_on)",
    permission=MANAGE,
    body=schemas.ItemChange,
    response=schemas.ItemOut,
    partial=True,
)
def change_item(item_id: int, body: dict[str, Any]) -> Item:
    return service.change_item(get_session(), get_or_404(Item, item_id), body)


@bp.operation(
    "/items/<int:item_id>/photo",
    method="PUT",
    summary="Upload an item's photo (the request body is the image)",
    permission=MANAGE,
    response=schemas.ItemOut,
)
def put_photo(item_id: int) -> Item:
    """Send the image itself as the body, ``Content-Type: image/jpeg`` (or png, webp):
    it is resized to at most 1,200 pixels a side, with a 240-pixel thumbnail, and its
    metadata dropped. Read it back at ``/toollibrary/items/<id>/photo.jpg``."""
    item = get_or_404(Item, item_id)
    if request.mimetype not in ("image/jpeg", "image/png", "image/webp"):
        raise ApiError(415, "unsupported media type", {"Content-Type": ["image/jpeg, png or webp"]})
    photos.store(get_session(), item, request.get_data())
    get_session().refresh(item)
    return item


# --- membership types and members ---------------------------------------------------


@bp.operation(
    "/membership-types",
    summary="Membership types and their loan policies",
    permission=VIEW,
    response=schemas.MembershipTypeOut,
    paginate=True,
)
def list_membership_types(query: dict[str, Any]) -> Select[Any]:
    return service.membership_types()


@bp.operation(
    "/membership-types",
    method="POST",
    summary="Add a membership type",
    permission=MANAGE,
    body=schemas.MembershipTypeIn,
    response=schemas.MembershipTypeOut,
    status=201,
)
def create_membership_type(body: dict[str, Any]) -> MembershipType:
    return service.add_membership_type(get_session(), body)


@bp.operation(
    "/membership-types/<int:type_id>",
    method="PATCH",
    summary="Change a membership type",
    permission=MANAGE,
    body=schemas.MembershipTypeIn,
    response=schemas.MembershipTypeOut,
    partial=True,
)
def change_membership_type(type_id: int, body: dict[str, Any]) -> MembershipType:
    kind = get_or_404(MembershipType, type_id)
    return service.change_membership_type(get_session(), kind, body)


@bp.operation(
    "/members",
    summary="Members (personal data)",
    permission=MEMBERS,
    query=schemas.MemberQuery,
    response=schemas.MemberOut,
    paginate=True,
)
def list_members(query: dict[str, Any]) -> Select[Any]:
    return service.members(query)


@bp.operation(
    "/members",
    method="POST",
    summary="Take a membership application",
    permission=LEND,
    body=schemas.MemberIn,
    response=schemas.MemberOut,
    status=201,
)
def create_member(body: dict[str, Any]) -> Member:
    """The person's details go into the core's people registry (or ``person_id`` links an
    existing person); the member can borrow once a coordinator approves them."""
    return service.apply(get_session(), body, today())


@bp.operation(
    "/members/<int:member_id>", summary="One member", permission=MEMBERS, response=schemas.MemberOut
)
def get_member(member_id: int) -> Member:
    return get_or_404(Member, member_id)


@bp.operation(
    "/members/<int:member_id>/status",
    method="POST",
    summary="Approve, refuse or suspend a member",
    permission=APPROVE,
    body=schemas.MemberStatusIn,
    response=schemas.MemberOut,
)
def set_member_status(member_id: int, body: dict[str, Any]) -> Member:
    member = get_or_404(Member, member_id)
    if body["status"] == "approved":
        return service.approve(get_session(), member, today())
    return service.set_status(get_session(), member, body["status"])


@bp.operation(
    "/members/<int:member_id>/renew",
    method="POST",
    summary="Renew a membership for another term",
    permission=LEND,
    response=schemas.MemberOut,
)
def renew_membership(member_id: int) -> Member:
    return service.renew_membership(get_session(), get_or_404(Member, member_id), today())


# --- loans -----------------------------------------------------------------------------


def _idempotency_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 8 <= len(key) <= 80 or not key.isprintable():
        raise ApiError(
            400, "invalid idempotency key", {IDEMPOTENCY_HEADER: ["8 to 80 printable characters"]}
        )
    return "api:" + key


@bp.operation(
    "/loans",
    summary="Loans, newest first",
    permission=VIEW,
    query=schemas.LoanQuery,
    response=schemas.LoanOut,
    paginate=True,
)
def list_loans(query: dict[str, Any]) -> Select[Any]:
    return service.loans(query, today())


@bp.operation(
    "/loans",
    method="POST",
    summary="Check an item out",
    permission=LEND,
    body=schemas.CheckoutIn,
    response=schemas.LoanOut,
    status=201,
)
def check_out(body: dict[str, Any]) -> Response:
    """The item by its number and the member by their code, as typed or scanned at the
    counter. Send an ``Idempotency-Key`` header (a fresh random string per loan): a
    retried request answers 200 with the loan already made. An item already out answers
    409, naming who has it."""
    session = get_session()
    wanted = checkout_request(session, body, _idempotency_key())
    loan, created = service.check_out(session, wanted, _policy(), today())
    response: Response = jsonify(LOAN_OUT.dump(loan))
    response.status_code = 201 if created else 200
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def checkout_request(session: Any, values: dict[str, Any], key: str | None) -> service.Checkout:
    found = service.find_for_checkout(session, values["item_number"], values["member_code"])
    return dataclasses.replace(
        found,
        out_on=values.get("out_on", today()),
        due_on=values.get("due_on") if _may(MANAGE) else None,
        idempotency_key=key,
        may_approve=_may(APPROVE),
        may_backdate=_may(MANAGE),
    )


@bp.operation("/loans/<int:loan_id>", summary="One loan", permission=VIEW, response=schemas.LoanOut)
def get_loan(loan_id: int) -> Loan:
    return get_or_404(Loan, loan_id)


@bp.operation(
    "/loans/<int:loan_id>/return",
    method="POST",
    summary="Check an item in",
    permission=LEND,
    body=schemas.CheckinIn,
    response=schemas.LoanOut,
)
def check_in(loan_id: int, body: dict[str, Any]) -> Loan:
    """Missing kit parts or ``needs_repair`` open a maintenance ticket; otherwise the next
    member in the holds queue gets the item put aside, and is emailed at once when they
    have an address (if the mail server fails or takes more than a few seconds, the
    daily reminders send it)."""
    loan = get_or_404(Loan, loan_id)
    back = service.Checkin(
        returned_on=body.get("returned_on", today()),
        condition=body["condition"],
        note=body.get("note", ""),
        missing_parts=tuple(body.get("missing_parts", ())),
        needs_repair=body["needs_repair"],
        deposit_returned=body["deposit_returned"],
        may_backdate=_may(MANAGE),
    )
    session = get_session()
    returned = service.check_in(session, loan, back, _policy(), today())
    if returned.hold is not None:
        reminders.tell_hold_ready(session, returned.hold, today())
    return returned.loan


@bp.operation(
    "/loans/<int:loan_id>/renew",
    method="POST",
    summary="Renew a loan (or ask a coordinator to)",
    permission=LEND,
    response=schemas.RenewalOut,
    status=201,
)
def renew_loan(loan_id: int) -> Renewal:
    """Renewed at once (``status: approved``) within the member's renewal limit while
    nobody waits for the item; otherwise a request (``status: requested``)."""
    return service.renew(get_session(), get_or_404(Loan, loan_id), today())


@bp.operation(
    "/renewals",
    summary="Renewals and renewal requests",
    permission=VIEW,
    query=schemas.RenewalQuery,
    response=schemas.RenewalOut,
    paginate=True,
)
def list_renewals(query: dict[str, Any]) -> Select[Any]:
    return service.renewals(query)


@bp.operation(
    "/renewals/<int:renewal_id>/decision",
    method="POST",
    summary="Approve or refuse a renewal request",
    permission=APPROVE,
    body=schemas.DecisionIn,
    response=schemas.RenewalOut,
)
def decide_renewal(renewal_id: int, body: dict[str, Any]) -> Renewal:
    renewal = get_or_404(Renewal, renewal_id)
    return service.decide_renewal(get_session(), renewal, body["approve"], today())


# --- holds and reservations -------------------------------------------------------------


def _item_and_member(body: dict[str, Any]) -> tuple[Item, Member]:
    session = get_session()
    item = session.get(Item, body["item_id"])
    if item is None:
        raise ApiError(422, "unknown item", {"item_id": ["No item with this id."]})
    member = session.get(Member, body["member_id"])
    if member is None:
        raise ApiError(422, "unknown member", {"member_id": ["No member with this id."]})
    return item, member


@bp.operation(
    "/holds",
    summary="Holds, in queue order",
    permission=VIEW,
    query=schemas.HoldQuery,
    response=schemas.HoldOut,
    paginate=True,
)
def list_holds(query: dict[str, Any]) -> Select[Any]:
    return service.holds(query)


@bp.operation(
    "/holds",
    method="POST",
    summary="Place a hold",
    permission=LEND,
    body=schemas.HoldIn,
    response=schemas.HoldOut,
    status=201,
)
def create_hold(body: dict[str, Any]) -> Hold:
    """Joins the item's queue; an item on the shelf is put aside at once (``ready``)."""
    item, member = _item_and_member(body)
    return service.place_hold(get_session(), item, member, today(), _policy())


@bp.operation(
    "/holds/<int:hold_id>/cancel",
    method="POST",
    summary="Cancel a hold",
    permission=LEND,
    response=schemas.HoldOut,
)
def cancel_hold(hold_id: int) -> Hold:
    return service.cancel_hold(get_session(), get_or_404(Hold, hold_id), today(), _policy())


@bp.operation(
    "/reservations",
    summary="Reservations, by start",
    permission=VIEW,
    query=schemas.ReservationQuery,
    response=schemas.ReservationOut,
    paginate=True,
)
def list_reservations(query: dict[str, Any]) -> Select[Any]:
    return service.reservations(query)


@bp.operation(
    "/reservations",
    method="POST",
    summary="Reserve an item for dates",
    permission=LEND,
    body=schemas.ReservationIn,
    response=schemas.ReservationOut,
    status=201,
)
def create_reservation(body: dict[str, Any]) -> Reservation:
    """Refused with 409 when it comes within the buffer days of another booking or of
    the due date of the loan the item is on."""
    item, member = _item_and_member(body)
    return service.reserve(
        get_session(), item, member, body["starts_on"], body["ends_on"], today(), _policy()
    )


@bp.operation(
    "/reservations/<int:reservation_id>/cancel",
    method="POST",
    summary="Cancel a reservation",
    permission=LEND,
    response=schemas.ReservationOut,
)
def cancel_reservation(reservation_id: int) -> Reservation:
    reservation = get_or_404(Reservation, reservation_id)
    return service.cancel_reservation(get_session(), reservation)


# --- maintenance ------------------------------------------------------------------------


@bp.operation(
    "/tickets",
    summary="Maintenance tickets, newest first",
    permission=VIEW,
    query=schemas.TicketQuery,
    response=schemas.TicketOut,
    paginate=True,
)
def list_tickets(query: dict[str, Any]) -> Select[Any]:
    return service.tickets(query)


@bp.operation(
    "/tickets",
    method="POST",
    summary="Open a maintenance ticket (the item leaves circulation)",
    permission=LEND,
    body=schemas.TicketIn,
    response=schemas.TicketOut,
    status=201,
)
def create_ticket(body: dict[str, Any]) -> Ticket:
    item = get_session().get(Item, body["item_id"])
    if item is None:
        raise ApiError(422, "unknown item", {"item_id": ["No item with this id."]})
    return service.open_ticket(get_session(), item, body, today())


@bp.operation(
    "/tickets/<int:ticket_id>",
    method="PATCH",
    summary="Move a ticket on; closing it puts the item back or retires it",
    permission=LEND,
    body=schemas.TicketChange,
    response=schemas.TicketOut,
    partial=True,
)
def change_ticket(ticket_id: int, body: dict[str, Any]) -> Ticket:
    ticket = get_or_404(Ticket, ticket_id)
    return service.change_ticket(get_session(), ticket, body, today(), _policy())


# --- the wanted list: what the library asks to be given -----------------------------------


@bp.operation(
    "/wanted",
    summary="Categories of thing the library asks to be given (published as needs)",
    permission=VIEW,
    query=schemas.WantedQuery,
    response=schemas.WantedOut,
    paginate=True,
)
def list_wanted(query: dict[str, Any]) -> Select[Any]:
    return service.wanted_list(query)


@bp.operation(
    "/wanted",
    method="POST",
    summary="Ask for a category of thing to be given, from today",
    permission=MANAGE,
    body=schemas.WantedIn,
    response=schemas.WantedOut,
    status=201,
)
def create_wanted(body: dict[str, Any]) -> Wanted:
    """A category already on the list answers 409: close it first to ask again."""
    return service.ask_for(get_session(), body, today())


@bp.operation(
    "/wanted/<int:wanted_id>/close",
    method="POST",
    summary="Take a category off the wanted list: not needed from today",
    permission=MANAGE,
    response=schemas.WantedOut,
)
def close_wanted(wanted_id: int) -> Wanted:
    return service.no_longer_wanted(get_session(), get_or_404(Wanted, wanted_id), today())


# --- reminders ----------------------------------------------------------------------------


@bp.operation(
    "/reminders",
    summary="Reminders made, by email or phone",
    permission=VIEW,
    response=schemas.ReminderOut,
    paginate=True,
)
def list_reminders(query: dict[str, Any]) -> Select[Any]:
    return select(Reminder).order_by(Reminder.sent_on.desc(), Reminder.id.desc())


@bp.operation(
    "/reminders/to-phone",
    summary="Members to phone: reminders and ready holds (personal data)",
    permission=MEMBERS,
    response=schemas.ToPhoneOut,
    many=True,
)
def to_phone() -> list[dict[str, Any]]:
    """The Reminders page's phone list: loans owed a due-soon or overdue reminder, then
    holds ready to collect, for members who cannot be emailed (no address, or no mail
    server on this hub). A loan's call is recorded with ``POST /reminders``; a hold
    leaves the list once its member is told (the Reminders page's **Phoned**)."""
    session = get_session()
    owed = reminders.to_phone(session, today(), _policy())
    loans = [reminders.phone_entry(loan, kind) for loan, kind in owed]
    return loans + [reminders.hold_phone_entry(hold) for hold in reminders.holds_to_phone(session)]


@bp.operation(
    "/reminders",
    method="POST",
    summary="Record that a member was phoned about a loan",
    permission=LEND,
    body=schemas.PhonedIn,
    response=schemas.ReminderOut,
    status=201,
)
def record_phoned(body: dict[str, Any]) -> Reminder:
    """A reminder is made once per loan and kind: a second answers 409."""
    session = get_session()
    loan = session.get(Loan, body["loan_id"])
    if loan is None:
        raise ApiError(422, "unknown loan", {"loan_id": ["No loan with this id."]})
    if not reminders.mark_phoned(session, loan, body["kind"], today()):
        raise ApiError(409, "already reminded", {"kind": ["This reminder was already made."]})
    found = session.scalar(
        select(Reminder).where(Reminder.loan_id == loan.id, Reminder.kind == body["kind"])
    )
    assert found is not None
    return found
