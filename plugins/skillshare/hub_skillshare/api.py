"""The time bank's JSON API under ``/api/v1/skillshare``: each operation validates with a
schema and calls the service."""

from __future__ import annotations

import io
from typing import Any

from flask import Response
from sqlalchemy import Select

from hub import plugin_api as api
from hub_skillshare import (
    cancelling,
    ledger,
    listings,
    members,
    schemas,
    service,
    settings,
    statements,
    workshops,
)
from hub_skillshare.models import Account, Exchange, Listing, Member, Signup, Workshop

bp = api.ApiBlueprint("skillshare_api", __name__, url_prefix="/api/v1/skillshare", tag="skillshare")

VIEW = "skillshare.view"
EXCHANGE = "skillshare.exchange"


@bp.errorhandler(service.ExchangeError)
def _conflict(exc: service.ExchangeError) -> Any:
    return api.ApiError(409, str(exc)).response()


@bp.errorhandler(ledger.LimitError)
def _over_limit(exc: ledger.LimitError) -> Any:
    details = {"account": exc.account_id, "balance": exc.balance, "limit": exc.limit}
    return api.ApiError(409, str(exc), details).response()


def _actor() -> service.Actor:
    user = api.current_user()
    assert user is not None  # every operation here needs a signed-in user
    return service.actor_for(api.get_session(), user)


def _visible_account(account_id: int) -> Account:
    """An account whose statement the caller may read: their own, or any for brokers."""
    account = api.get_or_404(Account, account_id)
    actor = _actor()
    if account.id != actor.account_id and not (actor.broker or actor.coordinator):
        raise api.ApiError(403, "forbidden", {"account": ["not yours"]})
    return account


# --- accounts and statements ------------------------------------------------------


@bp.operation(
    "/accounts/bank", summary="The bank's own account", permission=VIEW, response=schemas.AccountOut
)
def bank_account() -> Account:
    return ledger.bank_account(api.get_session())


@bp.operation(
    "/accounts/<int:account_id>",
    summary="An account: balance and limits (yours, or any for a broker)",
    permission=VIEW,
    response=schemas.AccountOut,
)
def get_account(account_id: int) -> Account:
    return _visible_account(account_id)


@bp.operation(
    "/accounts/<int:account_id>/statement",
    summary="An account's movements, newest first, with the balance after each",
    permission=VIEW,
    response=schemas.MovementOut,
    paginate=True,
)
def get_statement(account_id: int, query: dict[str, Any]) -> Select[Any]:
    return ledger.statement(_visible_account(account_id).id)


@bp.operation(
    "/accounts/<int:account_id>/statement.csv",
    summary="An account's whole statement as CSV",
    permission=VIEW,
)
def get_statement_csv(account_id: int) -> Response:
    account = _visible_account(account_id)
    stream = io.StringIO()
    statements.write_csv(api.get_session(), account, stream)
    return Response(
        stream.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="statement-{account.id}.csv"'},
    )


# --- exchanges --------------------------------------------------------------------


@bp.operation(
    "/exchanges",
    summary="Exchanges, newest first",
    permission=VIEW,
    query=schemas.ExchangeQuery,
    response=schemas.ExchangeOut,
    paginate=True,
)
def list_exchanges(query: dict[str, Any]) -> Select[Any]:
    """Members see the exchanges they are in; brokers and coordinators see all."""
    actor = _actor()
    if not (actor.broker or actor.coordinator):
        query = {**query, "account": actor.account_id or 0}
    return service.exchanges(query)


@bp.operation(
    "/exchanges",
    method="POST",
    summary="Record an exchange: confirmed at once for the parties you answer for",
    permission=EXCHANGE,
    body=schemas.ExchangeIn,
    response=schemas.ExchangeOut,
    status=201,
)
def create_exchange(body: dict[str, Any]) -> Exchange:
    return service.record(api.get_session(), body, _actor(), settings.current())


@bp.operation(
    "/exchanges/<int:exchange_id>",
    summary="One exchange",
    permission=VIEW,
    response=schemas.ExchangeOut,
)
def get_exchange(exchange_id: int) -> Exchange:
    exchange = api.get_or_404(Exchange, exchange_id)
    actor = _actor()
    parties = {c.account_id for c in exchange.confirmations}
    if actor.account_id not in parties and not (actor.broker or actor.coordinator):
        # As if it were not there: someone else's exchange is not theirs to see.
        raise api.ApiError(404, "exchange not found", {"id": exchange_id})
    return exchange


@bp.operation(
    "/exchanges/<int:exchange_id>/confirm",
    method="POST",
    summary="Confirm an exchange (for yourself, or as a broker for an offline member)",
    permission=EXCHANGE,
    body=schemas.AnswerIn,
    response=schemas.ExchangeOut,
)
def confirm_exchange(exchange_id: int, body: dict[str, Any]) -> Exchange:
    return service.confirm(
        api.get_session(), exchange_id, _actor(), settings.current(), body.get("account")
    )


@bp.operation(
    "/exchanges/<int:exchange_id>/decline",
    method="POST",
    summary="Decline an exchange, or withdraw your own record of it",
    permission=EXCHANGE,
    body=schemas.AnswerIn,
    response=schemas.ExchangeOut,
)
def decline_exchange(exchange_id: int, body: dict[str, Any]) -> Exchange:
    return service.decline(api.get_session(), exchange_id, _actor(), body.get("account"))


@bp.operation(
    "/exchanges/<int:exchange_id>/reverse",
    method="POST",
    summary="Correct a confirmed exchange with a reversing one (coordinators)",
    permission=service.COORDINATE,
    body=schemas.ReversalIn,
    response=schemas.ExchangeOut,
    status=201,
)
def reverse_exchange(exchange_id: int, body: dict[str, Any]) -> Exchange:
    return service.reverse(
        api.get_session(), exchange_id, _actor(), settings.current(), body["reason"]
    )


# --- members ----------------------------------------------------------------------


@bp.operation(
    "/members",
    summary="Members, by name",
    permission=VIEW,
    query=schemas.MemberQuery,
    response=schemas.MemberOut,
    paginate=True,
)
def list_members(query: dict[str, Any]) -> Select[Any]:
    return members.members(query)


@bp.operation(
    "/members",
    method="POST",
    summary="Add a member directly, active at once (coordinators)",
    permission=service.COORDINATE,
    body=schemas.MemberIn,
    response=schemas.MemberDetailsOut,
    status=201,
)
def create_member(body: dict[str, Any]) -> Member:
    return members.add(api.get_session(), body)


@bp.operation(
    "/members/me",
    summary="Your own membership, with your balance",
    permission=None,
    response=schemas.MemberDetailsOut,
)
def get_me() -> Member:
    user = api.current_user()
    assert user is not None
    member = members.member_of(api.get_session(), user)
    if member is None:
        raise api.ApiError(404, "you are not a member", {"join": ["POST /api/v1/skillshare/join"]})
    return member


@bp.operation(
    "/join",
    method="POST",
    summary="Ask to join the time bank (a coordinator approves)",
    permission=None,
    body=schemas.JoinIn,
    response=schemas.MemberDetailsOut,
    status=201,
)
def join(body: dict[str, Any]) -> Member:
    user = api.current_user()
    assert user is not None
    return members.request_to_join(api.get_session(), user, body)


@bp.operation(
    "/members/<int:member_id>",
    summary="One member with contact details and balance (brokers and coordinators)",
    permission=service.BROKER,
    response=schemas.MemberDetailsOut,
)
def get_member(member_id: int) -> Member:
    return api.get_or_404(Member, member_id)


@bp.operation(
    "/members/<int:member_id>",
    method="PATCH",
    summary="Change a member's details, status or limits (coordinators)",
    permission=service.COORDINATE,
    body=schemas.MemberPatch,
    response=schemas.MemberDetailsOut,
    partial=True,
)
def update_member(member_id: int, body: dict[str, Any]) -> Member:
    return members.update(api.get_session(), member_id, body)


@bp.operation(
    "/members/<int:member_id>/approve",
    method="POST",
    summary="Approve a request to join (coordinators)",
    permission=service.COORDINATE,
    response=schemas.MemberDetailsOut,
)
def approve_member(member_id: int) -> Member:
    return members.approve(api.get_session(), member_id)


@bp.operation(
    "/members/<int:member_id>/refuse",
    method="POST",
    summary="Refuse a request to join (coordinators)",
    permission=service.COORDINATE,
    response=schemas.MemberDetailsOut,
)
def refuse_member(member_id: int) -> Member:
    return members.refuse(api.get_session(), member_id)


# --- offers and requests ----------------------------------------------------------


@bp.operation(
    "/listings",
    summary="Offers and requests: search and filter, newest first",
    permission=VIEW,
    query=schemas.ListingQuery,
    response=schemas.ListingOut,
    paginate=True,
)
def list_listings(query: dict[str, Any]) -> Select[Any]:
    return listings.listings(query, _actor())


@bp.operation(
    "/listings",
    method="POST",
    summary="Offer help, or ask for it",
    permission=EXCHANGE,
    body=schemas.ListingIn,
    response=schemas.ListingOut,
    status=201,
)
def create_listing(body: dict[str, Any]) -> Listing:
    return listings.add(api.get_session(), body, _actor())


@bp.operation(
    "/listings/<int:listing_id>",
    summary="One offer or request",
    permission=VIEW,
    response=schemas.ListingOut,
)
def get_listing(listing_id: int) -> Listing:
    return api.get_or_404(Listing, listing_id, "offer or request")


@bp.operation(
    "/listings/<int:listing_id>",
    method="PATCH",
    summary="Change or withdraw an offer or request (its member's, or a coordinator)",
    permission=EXCHANGE,
    body=schemas.ListingPatch,
    response=schemas.ListingOut,
    partial=True,
)
def update_listing(listing_id: int, body: dict[str, Any]) -> Listing:
    return listings.update(api.get_session(), listing_id, body, _actor())


@bp.operation(
    "/listings/<int:listing_id>/matches",
    summary="Offers matching a request (or requests matching an offer): same category, "
    "same area and skill first",
    permission=VIEW,
    response=schemas.ListingOut,
    paginate=True,
)
def listing_matches(listing_id: int, query: dict[str, Any]) -> Select[Any]:
    return listings.matches(api.get_or_404(Listing, listing_id, "offer or request"))


# --- workshops --------------------------------------------------------------------


@bp.operation(
    "/workshops",
    summary="Workshops: coming ones soonest first (or past ones, newest first)",
    permission=VIEW,
    query=schemas.WorkshopQuery,
    response=schemas.WorkshopOut,
    paginate=True,
)
def list_workshops(query: dict[str, Any]) -> Select[Any]:
    return workshops.workshops(query)


@bp.operation(
    "/workshops",
    method="POST",
    summary="Offer a workshop: you host it (or a coordinator names the host)",
    permission=EXCHANGE,
    body=schemas.WorkshopIn,
    response=schemas.WorkshopOut,
    status=201,
)
def create_workshop(body: dict[str, Any]) -> Workshop:
    return workshops.add(api.get_session(), body, _actor())


@bp.operation(
    "/workshops/<int:workshop_id>",
    summary="One workshop, with its places taken and its waitlist's length",
    permission=VIEW,
    response=schemas.WorkshopOut,
)
def get_workshop(workshop_id: int) -> Workshop:
    return api.get_or_404(Workshop, workshop_id)


@bp.operation(
    "/workshops/<int:workshop_id>/signups",
    summary="A workshop's sign-ups in order (all for its host, brokers and coordinators; "
    "your own otherwise)",
    permission=VIEW,
    response=schemas.SignupOut,
    paginate=True,
)
def list_signups(workshop_id: int, query: dict[str, Any]) -> Select[Any]:
    return workshops.signups(api.get_or_404(Workshop, workshop_id), _actor())


@bp.operation(
    "/workshops/<int:workshop_id>/signups",
    method="POST",
    summary="Sign up: a place if one is free, else the waitlist (brokers: for an offline member)",
    permission=EXCHANGE,
    body=schemas.SignupIn,
    response=schemas.SignupOut,
    status=201,
)
def create_signup(workshop_id: int, body: dict[str, Any]) -> Signup:
    return workshops.sign_up(api.get_session(), workshop_id, _actor(), body.get("member"))


@bp.operation(
    "/workshops/<int:workshop_id>/signups/<int:signup_id>/cancel",
    method="POST",
    summary="Give up a place or a turn on the waitlist; the first waiting gets the place",
    permission=EXCHANGE,
    response=schemas.SignupOut,
)
def cancel_signup(workshop_id: int, signup_id: int) -> Signup:
    return workshops.cancel(api.get_session(), workshop_id, signup_id, _actor())


@bp.operation(
    "/workshops/<int:workshop_id>/attendance",
    method="POST",
    summary="Take attendance (the host or a coordinator, from the day on): the bank "
    "credits the host when someone came and no credit stands (once more after a reversal)",
    permission=EXCHANGE,
    body=schemas.AttendanceIn,
    response=schemas.WorkshopOut,
)
def take_attendance(workshop_id: int, body: dict[str, Any]) -> Workshop:
    return workshops.take_attendance(
        api.get_session(), workshop_id, body["present"], _actor(), settings.current()
    )


@bp.operation(
    "/workshops/<int:workshop_id>/cancel",
    method="POST",
    summary="Cancel a workshop (its host or a coordinator): places and the waitlist are "
    "released, those signed up told by email or listed to phone, the host's credit reversed",
    permission=EXCHANGE,
    body=schemas.WorkshopCancelIn,
    response=schemas.WorkshopCancellationOut,
)
def cancel_workshop(workshop_id: int, body: dict[str, Any]) -> cancelling.Cancellation:
    return cancelling.cancel(
        api.get_session(),
        workshop_id,
        _actor(),
        settings.current(),
        body["reason"],
        api.mail_connection,
    )
