"""The food bank's JSON API under ``/api/v1/foodbank``: each operation validates with a
schema and calls the service."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import Select, select

from hub.plugin_api import (
    ApiBlueprint,
    ApiError,
    VoidIn,
    can,
    current_user,
    get_or_404,
    get_session,
    today,
)
from hub_foodbank import people, schemas, service, settings, stock
from hub_foodbank.models import (
    Agency,
    Donation,
    Household,
    Parcel,
    StockAdjustment,
    Voucher,
)
from hub_foodbank.permissions import ERASE, EXPORT, HISTORY, HOUSEHOLDS, LIST, LOG, MANAGE, VIEW

bp = ApiBlueprint("foodbank_api", __name__, url_prefix="/api/v1/foodbank", tag="foodbank")

IDEMPOTENCY_HEADER = "Idempotency-Key"
# 8 to 80 printable ASCII characters (a UUID, say), as the OpenAPI document states.
IDEMPOTENCY_PATTERN = "^[!-~][ -~]{6,78}[!-~]$"
IDEMPOTENCY_DOC = {
    "description": "A fresh random string per parcel (a UUID): a retry with the same key "
    "answers 200 with the parcel already logged instead of logging it twice.",
    "required": False,
    "schema": {"type": "string", "pattern": IDEMPOTENCY_PATTERN},
}
PARCEL_OUT = schemas.ParcelOut()


@bp.errorhandler(service.Conflict)
def _conflict(exc: service.Conflict) -> Any:
    return ApiError(409, exc.message, exc.details).response()


# --- households ------------------------------------------------------------------


@bp.operation(
    "/households",
    summary="List households",
    permission=HOUSEHOLDS,
    query=schemas.HouseholdQuery,
    response=schemas.HouseholdOut,
    paginate=True,
)
def list_households(query: dict[str, Any]) -> Select[Any]:
    """Households not yet anonymised, newest first; ``flagged`` keeps those the policy
    flags. Without permission ``foodbank.households.list`` (volunteers), only a lookup
    by ``code``: 403 otherwise."""
    if "code" not in query and not can(current_user(), LIST):
        raise ApiError(403, "forbidden", {"code": ["find a household by its code"]})
    statement = select(Household).where(Household.anonymised_at.is_(None))
    if "code" in query:
        statement = statement.where(Household.code == service.normalise_code(query["code"]))
    if query.get("flagged"):
        flagged = service.flagged_query(settings.current(), today()).subquery()
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
    return service.register_household(get_session(), body)


@bp.operation(
    "/households/<int:household_id>",
    summary="One household",
    permission=HOUSEHOLDS,
    response=schemas.HouseholdOut,
)
def get_household(household_id: int) -> Household:
    return get_or_404(Household, household_id)


@bp.operation(
    "/households/<int:household_id>",
    method="PATCH",
    summary="Change a household",
    permission=LOG,
    body=schemas.HouseholdFields,
    response=schemas.HouseholdOut,
)
def patch_household(household_id: int, body: dict[str, Any]) -> Household:
    return service.change_household(get_session(), get_or_404(Household, household_id), body)


@bp.operation(
    "/households/<int:household_id>/export",
    summary="Everything held about a household (a subject access request)",
    permission=EXPORT,
)
def export_household(household_id: int) -> Response:
    """The household, its vouchers and its parcels, as one JSON document to download.
    Find the id from the code with ``GET /households?code=``."""
    session = get_session()
    data = people.export_household(session, get_or_404(Household, household_id))
    session.commit()
    response = Response(json.dumps(data, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="household-{household_id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.operation(
    "/households/<int:household_id>/erase",
    method="POST",
    summary="Erase a household's personal data",
    permission=ERASE,
    response=schemas.HouseholdErased,
    responses={409: "The household was anonymised already"},
)
def erase_household(household_id: int) -> dict[str, Any]:
    """Blanks its code (it becomes ``X<id>``), dietary needs, allergies, postcode
    district, its link to a person and its vouchers' notes, everywhere the hub keeps
    them (the audit log's earlier entries, old copies in the database files). Its
    parcels and vouchers stay, so published figures do not change. Cannot be undone."""
    household = get_or_404(Household, household_id)
    try:
        records = people.erase_household(get_session(), household)
    except people.AlreadyErased as exc:
        raise ApiError(409, "household was erased", {"id": [str(exc)]}) from None
    return {"id": household.id, "erased_at": household.anonymised_at, "records": records}


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
    return service.add_agency(get_session(), body)


@bp.operation(
    "/agencies/<int:agency_id>",
    method="PATCH",
    summary="Change a referral agency",
    permission=MANAGE,
    body=schemas.AgencyIn,
    partial=True,
    response=schemas.AgencyOut,
)
def patch_agency(agency_id: int, body: dict[str, Any]) -> Agency:
    return service.change_agency(get_session(), get_or_404(Agency, agency_id), body)


# --- vouchers --------------------------------------------------------------------


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
    return service.issue_voucher(get_session(), settings.current(), body, today())


@bp.operation(
    "/vouchers/<int:voucher_id>",
    summary="One voucher",
    permission=HOUSEHOLDS,
    response=schemas.VoucherOut,
)
def get_voucher(voucher_id: int) -> Voucher:
    return get_or_404(Voucher, voucher_id)


# --- parcels ---------------------------------------------------------------------


def _idempotency_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not re.fullmatch(IDEMPOTENCY_PATTERN, key):
        raise ApiError(
            400, "invalid idempotency key", {IDEMPOTENCY_HEADER: ["8 to 80 printable characters"]}
        )
    return "api:" + key


@bp.operation(
    "/parcels",
    summary="List parcels",
    permission=VIEW,
    query=schemas.ParcelQuery,
    response=schemas.ParcelOut,
    paginate=True,
)
def list_parcels(query: dict[str, Any]) -> Select[Any]:
    """``household_id`` (one household's visits) needs ``foodbank.history.view``;
    without it, each parcel's ``household_id`` and ``voucher_id`` are null."""
    if "household_id" in query and not can(current_user(), HISTORY):
        raise ApiError(403, "forbidden", {"household_id": [f"needs permission {HISTORY}"]})
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
    headers={IDEMPOTENCY_HEADER: IDEMPOTENCY_DOC},
    responses={
        200: "A retry: the parcel its Idempotency-Key logged before (Idempotent-Replayed)",
        409: "The voucher is redeemed already, or the key was used for another parcel",
    },
)
def post_parcel(body: dict[str, Any]) -> Any:
    """Send an ``Idempotency-Key`` header (a fresh random string per parcel): a retried
    request with the same key answers 200 with the parcel already logged instead of
    logging a second one. A voucher is redeemed once; a second try answers 409."""
    session = get_session()
    wanted = service.parcel_request(session, settings.current(), body, _idempotency_key(), today())
    parcel, created = service.log_parcel(session, wanted)
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
    return get_or_404(Parcel, parcel_id)


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
    return service.record_donation(get_session(), body, today())


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
    return stock.levels(get_session(), settings.current(), today())


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
    return service.adjust_stock(get_session(), body, today())


# --- corrections and voids (coordinators; each audited with its reason) ---------------


@bp.operation(
    "/parcels/<int:parcel_id>",
    method="PATCH",
    summary="Correct a parcel",
    permission=MANAGE,
    body=schemas.ParcelCorrection,
    response=schemas.ParcelOut,
)
def patch_parcel(parcel_id: int, body: dict[str, Any]) -> Parcel:
    """Give the fields to change and a ``reason`` (kept in the audit log)."""
    parcel = get_or_404(Parcel, parcel_id)
    service.correct_parcel(get_session(), parcel, body, today())
    return parcel


@bp.operation(
    "/parcels/<int:parcel_id>/void",
    method="POST",
    summary="Void a parcel logged in error",
    permission=MANAGE,
    body=VoidIn,
    response=schemas.ParcelOut,
)
def void_parcel(parcel_id: int, body: dict[str, Any]) -> Parcel:
    """The parcel is kept, marked void with the reason, and leaves every figure; the
    voucher it redeemed can be used again."""
    parcel = get_or_404(Parcel, parcel_id)
    service.void_parcel(get_session(), parcel, body["reason"])
    return parcel


@bp.operation(
    "/vouchers/<int:voucher_id>",
    method="PATCH",
    summary="Correct a voucher",
    permission=MANAGE,
    body=schemas.VoucherCorrection,
    response=schemas.VoucherOut,
)
def patch_voucher(voucher_id: int, body: dict[str, Any]) -> Voucher:
    voucher = get_or_404(Voucher, voucher_id)
    service.correct_voucher(get_session(), settings.current(), voucher, body)
    return voucher


@bp.operation(
    "/vouchers/<int:voucher_id>/void",
    method="POST",
    summary="Void a voucher issued in error",
    permission=MANAGE,
    body=VoidIn,
    response=schemas.VoucherOut,
)
def void_voucher(voucher_id: int, body: dict[str, Any]) -> Voucher:
    voucher = get_or_404(Voucher, voucher_id)
    service.void_voucher(get_session(), voucher, body["reason"])
    return voucher


@bp.operation(
    "/donations/<int:donation_id>",
    method="PATCH",
    summary="Correct a donation (lines given replace the old ones)",
    permission=MANAGE,
    body=schemas.DonationCorrection,
    response=schemas.DonationOut,
)
def patch_donation(donation_id: int, body: dict[str, Any]) -> Donation:
    donation = get_or_404(Donation, donation_id)
    service.correct_donation(get_session(), donation, body, today())
    return donation


@bp.operation(
    "/donations/<int:donation_id>/void",
    method="POST",
    summary="Void a donation recorded in error",
    permission=MANAGE,
    body=VoidIn,
    response=schemas.DonationOut,
)
def void_donation(donation_id: int, body: dict[str, Any]) -> Donation:
    donation = get_or_404(Donation, donation_id)
    service.void_donation(get_session(), donation, body["reason"])
    return donation
