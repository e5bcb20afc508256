"""The food bank's JSON API under ``/api/v1/foodbank``."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from hub.plugin_api import ApiBlueprint, ApiError, Location, Person, get_session, not_found
from hub_foodbank import schemas, service, settings, stock
from hub_foodbank.models import (
    Agency,
    Donation,
    DonationLine,
    Household,
    Parcel,
    StockAdjustment,
    Voucher,
)
from hub_foodbank.permissions import HOUSEHOLDS, LOG, MANAGE, VIEW

bp = ApiBlueprint("foodbank_api", __name__, url_prefix="/api/v1/foodbank", tag="foodbank")

IDEMPOTENCY_HEADER = "Idempotency-Key"
PARCEL_OUT = schemas.ParcelOut()


def _get(model: type[Any], ident: int, what: str, field: str | None = None) -> Any:
    found = get_session().get(model, ident)
    if found is None:
        if field is not None:
            raise ApiError(422, f"no such {what}", {field: [f"no {what} with id {ident}"]})
        raise not_found(what, ident)
    return found


def _commit_or_conflict(field: str, message: str) -> None:
    session = get_session()
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, message, {field: [message]}) from None


# --- households ------------------------------------------------------------------


def check_person(person_id: int | None) -> None:
    if person_id is None:
        return
    person = _get(Person, person_id, "person", "person_id")
    if not person.consent_given or person.anonymised_at is not None:
        raise ApiError(
            422,
            "the person has not consented",
            {"person_id": ["link a household only to a person who has given consent"]},
        )


def create_household(body: dict[str, Any]) -> Household:
    session = get_session()
    check_person(body.get("person_id"))
    code = service.normalise_code(body.pop("code", "")) or service.new_code(session, Household, "H")
    household = Household(code=code, **body)
    session.add(household)
    _commit_or_conflict("code", f"a household already has the code {code}")
    return household


@bp.operation(
    "/households",
    summary="List households",
    permission=HOUSEHOLDS,
    query=schemas.HouseholdQuery,
    response=schemas.HouseholdOut,
    paginate=True,
)
def list_households(query: dict[str, Any]) -> Select[Any]:
    """Households not yet anonymised, newest first; ``flagged`` keeps those the policy flags."""
    statement = select(Household).where(Household.anonymised_at.is_(None))
    if "code" in query:
        statement = statement.where(Household.code == service.normalise_code(query["code"]))
    if query.get("flagged"):
        flagged = service.flagged_query(settings.current(), dt.date.today()).subquery()
        statement = statement.where(Household.id.in_(select(flagged.c.household_id)))
    return statement.order_by(Household.id.desc())


@bp.operation(
    "/households",
    method="POST",
    summary="Register a household",
    permission=LOG,
    body=schemas.HouseholdCreate,
    response=schemas.HouseholdOut,
    status=201,
)
def post_household(body: dict[str, Any]) -> Household:
    """Only what a parcel needs: size by age band, dietary needs, postcode district."""
    return create_household(body)


@bp.operation(
    "/households/<int:household_id>",
    summary="One household",
    permission=HOUSEHOLDS,
    response=schemas.HouseholdOut,
)
def get_household(household_id: int) -> Household:
    return _get(Household, household_id, "household")


@bp.operation(
    "/households/<int:household_id>",
    method="PATCH",
    summary="Change a household",
    permission=LOG,
    body=schemas.HouseholdFields,
    response=schemas.HouseholdOut,
)
def patch_household(household_id: int, body: dict[str, Any]) -> Household:
    return update_household(_get(Household, household_id, "household"), body)


def update_household(household: Household, body: dict[str, Any]) -> Household:
    if household.anonymised_at is not None:
        raise ApiError(409, "the household has been anonymised", {"id": [household.id]})
    check_person(body.get("person_id"))
    for key, value in body.items():
        setattr(household, key, value)
    get_session().commit()
    return household


# --- agencies --------------------------------------------------------------------


@bp.operation(
    "/agencies",
    summary="List referral agencies",
    permission=VIEW,
    response=schemas.AgencyOut,
    paginate=True,
)
def list_agencies(query: dict[str, Any]) -> Select[Any]:
    return select(Agency).order_by(Agency.name)


@bp.operation(
    "/agencies",
    method="POST",
    summary="Add a referral agency",
    permission=MANAGE,
    body=schemas.AgencyIn,
    response=schemas.AgencyOut,
    status=201,
)
def post_agency(body: dict[str, Any]) -> Agency:
    return create_agency(body)


def create_agency(body: dict[str, Any]) -> Agency:
    agency = Agency(**body)
    get_session().add(agency)
    _commit_or_conflict("name", f"there is already an agency called {body['name']}")
    return agency


@bp.operation(
    "/agencies/<int:agency_id>",
    method="PATCH",
    summary="Change a referral agency",
    permission=MANAGE,
    body=schemas.AgencyPatch,
    response=schemas.AgencyOut,
)
def patch_agency(agency_id: int, body: dict[str, Any]) -> Agency:
    agency = _get(Agency, agency_id, "agency")
    for key, value in body.items():
        setattr(agency, key, value)
    _commit_or_conflict("name", "there is already an agency with that name")
    return agency


# --- vouchers --------------------------------------------------------------------


def create_voucher(body: dict[str, Any], today: dt.date) -> Voucher:
    session = get_session()
    config = settings.current()
    unknown = service.check_reasons(config, body["reasons"])
    if unknown:
        raise ApiError(
            422,
            "invalid body",
            {
                "reasons": [
                    f"unknown reason {code!r}; use one of: {', '.join(config.reasons)}"
                    for code in unknown
                ]
            },
        )
    agency = _get(Agency, body["agency_id"], "agency", "agency_id")
    household = _get(Household, body["household_id"], "household", "household_id")
    if household.anonymised_at is not None:
        raise ApiError(422, "the household has been anonymised", {"household_id": ["anonymised"]})
    issued = body.get("issued_on", today)
    valid_until = body.get("valid_until") or issued + dt.timedelta(
        days=int(config.voucher_valid_days)
    )
    if valid_until < issued:
        raise ApiError(422, "invalid body", {"valid_until": ["must not be before issued_on"]})
    code = service.normalise_code(body.get("code", "")) or service.new_code(session, Voucher, "V")
    voucher = Voucher(
        code=code,
        agency=agency,
        household=household,
        issued_on=issued,
        valid_until=valid_until,
        notes=body.get("notes", ""),
    )
    service.set_reasons(voucher, body["reasons"])
    session.add(voucher)
    _commit_or_conflict("code", f"a voucher already has the code {code}")
    return voucher


@bp.operation(
    "/vouchers",
    summary="List vouchers",
    permission=HOUSEHOLDS,
    query=schemas.VoucherQuery,
    response=schemas.VoucherOut,
    paginate=True,
)
def list_vouchers(query: dict[str, Any]) -> Select[Any]:
    statement = select(Voucher)
    if "code" in query:
        statement = statement.where(Voucher.code == service.normalise_code(query["code"]))
    if "household_id" in query:
        statement = statement.where(Voucher.household_id == query["household_id"])
    if query.get("open"):
        statement = statement.where(Voucher.redeemed_on.is_(None))
    return statement.order_by(Voucher.issued_on.desc(), Voucher.id.desc())


@bp.operation(
    "/vouchers",
    method="POST",
    summary="Issue a voucher (a referral)",
    permission=LOG,
    body=schemas.VoucherCreate,
    response=schemas.VoucherOut,
    status=201,
)
def post_voucher(body: dict[str, Any]) -> Voucher:
    """Valid from ``issued_on`` (default today) for the configured number of days."""
    return create_voucher(body, dt.date.today())


@bp.operation(
    "/vouchers/<int:voucher_id>",
    summary="One voucher",
    permission=HOUSEHOLDS,
    response=schemas.VoucherOut,
)
def get_voucher(voucher_id: int) -> Voucher:
    return _get(Voucher, voucher_id, "voucher")


# --- parcels ---------------------------------------------------------------------


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


@functools.cache
def _household_and_location_query() -> Select[tuple[Household, Location]]:
    # Parcels are logged in bursts at busy sessions: both rows in one round trip, from
    # a statement built once (building it cost more than running it).
    return (
        select(Household, Location)
        .join(Location, Location.id == bindparam("location_id"))
        .where(Household.id == bindparam("household_id"))
    )


def _household_and_location(household_id: int, location_id: int) -> tuple[Household, Location]:
    found = (
        get_session()
        .execute(
            _household_and_location_query(),
            {"household_id": household_id, "location_id": location_id},
        )
        .first()
    )
    if found is None:
        _get(Household, household_id, "household", "household_id")
        _get(Location, location_id, "location", "location_id")
    assert found is not None
    return found[0], found[1]


def _voucher_by_code(code: str) -> Voucher:
    voucher = get_session().scalar(
        select(Voucher)
        .options(joinedload(Voucher.household))
        .where(Voucher.code == service.normalise_code(code))
    )
    if voucher is None:
        raise ApiError(422, "no such voucher", {"voucher_code": ["no voucher with this code"]})
    return voucher


def parcel_request(body: dict[str, Any], key: str | None, today: dt.date) -> service.ParcelRequest:
    """Resolve ids and codes, and fill in what the household's record already says."""
    voucher = _voucher_by_code(body["voucher_code"]) if "voucher_code" in body else None
    if (
        voucher is not None
        and body.get("household_id", voucher.household_id) != voucher.household_id
    ):
        raise ApiError(
            409,
            "the voucher is for another household",
            {"household_id": ["does not match the voucher"]},
        )
    household_id = voucher.household_id if voucher is not None else body.get("household_id")
    if household_id is None:
        raise ApiError(422, "invalid body", {"household_id": ["give household_id or voucher_code"]})
    household, location = _household_and_location(household_id, body["location_id"])
    if household.anonymised_at is not None:
        raise ApiError(422, "the household has been anonymised", {"household_id": ["anonymised"]})
    usual = service.prefill(settings.current(), household, body["parcel_type"])
    return service.ParcelRequest(
        household=household,
        location=location,
        given_on=body.get("given_on", today),
        parcel_type=body["parcel_type"],
        adults=body.get("adults", usual["adults"]),
        children=body.get("children", usual["children"]),
        weight_grams=body.get("weight_grams", usual["weight_grams"]),
        method=body["method"],
        signposting=tuple(body["signposting"]),
        voucher=voucher,
        idempotency_key=key,
    )


@bp.operation(
    "/parcels",
    summary="List parcels",
    permission=VIEW,
    query=schemas.ParcelQuery,
    response=schemas.ParcelOut,
    paginate=True,
)
def list_parcels(query: dict[str, Any]) -> Select[Any]:
    statement = select(Parcel)
    if "date_from" in query:
        statement = statement.where(Parcel.given_on >= query["date_from"])
    if "date_to" in query:
        statement = statement.where(Parcel.given_on <= query["date_to"])
    for key in ("household_id", "location_id", "parcel_type"):
        if key in query:
            statement = statement.where(getattr(Parcel, key) == query[key])
    return statement.order_by(Parcel.given_on.desc(), Parcel.id.desc())


@bp.operation(
    "/parcels",
    method="POST",
    summary="Log a parcel",
    permission=LOG,
    body=schemas.ParcelCreate,
    response=schemas.ParcelOut,
    status=201,
)
def post_parcel(body: dict[str, Any]) -> Any:
    """Send an ``Idempotency-Key`` header (a fresh random string per parcel): a retried
    request with the same key answers 200 with the parcel already logged instead of
    logging a second one. A voucher is redeemed once; a second try answers 409."""
    wanted = parcel_request(body, _idempotency_key(), dt.date.today())
    parcel, created = service.log_parcel(get_session(), wanted)
    response: Response = jsonify(PARCEL_OUT.dump(parcel))
    response.status_code = 201 if created else 200
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.operation(
    "/parcels/<int:parcel_id>",
    summary="One parcel",
    permission=VIEW,
    response=schemas.ParcelOut,
)
def get_parcel(parcel_id: int) -> Parcel:
    return _get(Parcel, parcel_id, "parcel")


# --- donations and stock -----------------------------------------------------------


@bp.operation(
    "/donations",
    summary="List donations",
    permission=VIEW,
    query=schemas.DonationQuery,
    response=schemas.DonationOut,
    paginate=True,
)
def list_donations(query: dict[str, Any]) -> Select[Any]:
    statement = select(Donation)
    if "date_from" in query:
        statement = statement.where(Donation.received_on >= query["date_from"])
    if "date_to" in query:
        statement = statement.where(Donation.received_on <= query["date_to"])
    if "donor_type" in query:
        statement = statement.where(Donation.donor_type == query["donor_type"])
    return statement.order_by(Donation.received_on.desc(), Donation.id.desc())


def create_donation(body: dict[str, Any], today: dt.date) -> Donation:
    donation = Donation(
        received_on=body.get("received_on", today),
        donor_type=body["donor_type"],
        source=body.get("source", "").strip(),
        lines=[DonationLine(**line) for line in body["lines"]],
    )
    session = get_session()
    session.add(donation)
    session.commit()
    return donation


@bp.operation(
    "/donations",
    method="POST",
    summary="Record a donation, weighed by category",
    permission=LOG,
    body=schemas.DonationCreate,
    response=schemas.DonationOut,
    status=201,
)
def post_donation(body: dict[str, Any]) -> Donation:
    return create_donation(body, dt.date.today())


@bp.operation(
    "/stock",
    summary="Stock on hand by category",
    permission=VIEW,
    response=schemas.StockOut,
    many=True,
)
def get_stock() -> list[stock.CategoryStock]:
    """Estimated from donations in, parcels out (by each type's usual contents) and
    adjustments; ``low`` marks a category under its threshold, ``expiring`` lists
    stock on hand whose best-before date is within the warning window."""
    return stock.levels(get_session(), settings.current(), dt.date.today())


@bp.operation(
    "/stock/adjustments",
    method="POST",
    summary="Correct stock on hand (a count, waste, a transfer)",
    permission=MANAGE,
    body=schemas.StockAdjustmentIn,
    response=schemas.StockAdjustmentOut,
    status=201,
)
def post_adjustment(body: dict[str, Any]) -> StockAdjustment:
    adjustment = StockAdjustment(
        category=body["category"],
        grams=body["grams"],
        made_on=body.get("made_on", dt.date.today()),
        reason=body.get("reason", ""),
    )
    session = get_session()
    session.add(adjustment)
    session.commit()
    return adjustment
