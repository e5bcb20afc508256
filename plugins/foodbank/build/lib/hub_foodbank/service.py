"""What the food bank does, shared by its API, pages, importer and demo.

Views validate input and call these functions; these functions keep the rules
(one parcel per voucher, one parcel per idempotency key, the support policy)
in one place.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Insert, Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.plugin_api import ApiError, Location, record_created, utcnow
from hub_foodbank.models import Household, Parcel, ParcelSignpost, Voucher, VoucherReason
from hub_foodbank.settings import Settings

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def new_code(session: Session, model: type[Household] | type[Voucher], prefix: str) -> str:
    """A fresh random reference code (prefix + 5 characters) not yet in use."""
    while True:
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))
        if session.scalar(select(model.id).where(model.code == code)) is None:
            return code


def find_by_code(session: Session, text: str) -> Voucher | Household | None:
    """The voucher or household with this code (vouchers first: they carry the referral)."""
    code = normalise_code(text)
    if not code:
        return None
    voucher = session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is not None:
        return voucher
    return session.scalar(
        select(Household).where(Household.code == code, Household.anonymised_at.is_(None))
    )


# --- vouchers --------------------------------------------------------------------


def set_reasons(voucher: Voucher, reasons: Iterable[str]) -> None:
    voucher.reason_rows = [VoucherReason(reason=code) for code in sorted(set(reasons))]


def check_reasons(settings: Settings, reasons: Iterable[str]) -> list[str]:
    """The reasons that are not on the configured list."""
    return [code for code in reasons if code not in settings.reasons]


def open_voucher_for(session: Session, household: Household, today: dt.date) -> Voucher | None:
    """The household's voucher that a parcel today would redeem, if any."""
    return session.scalar(
        select(Voucher)
        .where(
            Voucher.household_id == household.id,
            Voucher.redeemed_on.is_(None),
            Voucher.issued_on <= today,
            Voucher.valid_until >= today,
        )
        .order_by(Voucher.issued_on)
        .limit(1)
    )


# --- parcels ---------------------------------------------------------------------


@dataclass
class ParcelRequest:
    household: Household
    location: Location
    given_on: dt.date
    parcel_type: str
    adults: int
    children: int
    weight_grams: int
    method: str = "collected"
    signposting: tuple[str, ...] = ()
    voucher: Voucher | None = None
    idempotency_key: str | None = None


def prefill(settings: Settings, household: Household, parcel_type: str = "emergency") -> dict:
    """The parcel a household would usually get: its size, and the usual weight for it."""
    return {
        "parcel_type": parcel_type,
        "adults": household.adults,
        "children": household.children,
        "weight_grams": settings.default_weight(parcel_type, household.size),
        "method": "collected",
    }


def _check_voucher(request: ParcelRequest) -> None:
    voucher = request.voucher
    if voucher is None:
        return
    if voucher.household_id != request.household.id:
        raise ApiError(409, "the voucher is for another household", {"voucher": [voucher.code]})
    if voucher.redeemed_on is not None:
        raise ApiError(
            409,
            "the voucher has already been redeemed",
            {"voucher": [f"{voucher.code} was redeemed on {voucher.redeemed_on.isoformat()}"]},
        )
    if not voucher.issued_on <= request.given_on <= voucher.valid_until:
        raise ApiError(
            409,
            "the voucher is not valid on this date",
            {
                "voucher": [
                    f"{voucher.code} is valid {voucher.issued_on.isoformat()} "
                    f"to {voucher.valid_until.isoformat()}"
                ]
            },
        )


def _same_parcel(parcel: Parcel, request: ParcelRequest) -> bool:
    return (
        parcel.household_id == request.household.id
        and parcel.given_on == request.given_on
        and parcel.parcel_type == request.parcel_type
    )


def find_by_key(session: Session, key: str) -> Parcel | None:
    return session.scalar(select(Parcel).where(Parcel.idempotency_key == key))


def _replay(existing: Parcel, request: ParcelRequest) -> tuple[LoggedParcel, bool]:
    if not _same_parcel(existing, request):
        raise ApiError(
            409,
            "this idempotency key was used for a different parcel",
            {"Idempotency-Key": ["use a new key for each new parcel"]},
        )
    return LoggedParcel.of(existing), False


def _parcel_values(request: ParcelRequest) -> dict:
    """The parcel's own columns, as both ways of writing one set them."""
    return {
        "given_on": request.given_on,
        "parcel_type": request.parcel_type,
        "adults": request.adults,
        "children": request.children,
        "weight_grams": request.weight_grams,
        "method": request.method,
        "idempotency_key": request.idempotency_key,
    }


def _redeem(request: ParcelRequest) -> None:
    if request.voucher is not None:
        request.voucher.redeemed_on = request.given_on  # an ORM change: audited as usual


def build_parcel(request: ParcelRequest) -> Parcel:
    """A parcel as an ORM object, for imports and demo data that add many at once."""
    parcel = Parcel(
        household=request.household,
        location=request.location,
        voucher=request.voucher,
        signpost_rows=[ParcelSignpost(code=code) for code in sorted(set(request.signposting))],
        **_parcel_values(request),
    )
    _redeem(request)
    return parcel


@dataclass(frozen=True)
class LoggedParcel:
    """A parcel just logged (or found again by its idempotency key): what the API
    answers and the quick log confirms, without reading the new row back."""

    id: int
    given_on: dt.date
    location: Location
    household_id: int
    voucher_id: int | None
    parcel_type: str
    adults: int
    children: int
    weight_grams: int
    method: str
    signposting: list[str]
    created_at: dt.datetime

    @property
    def location_id(self) -> int:
        return self.location.id

    @classmethod
    def of(cls, parcel: Parcel) -> LoggedParcel:
        columns = {name: getattr(parcel, name) for name in _LOGGED_COLUMNS}
        return cls(location=parcel.location, signposting=parcel.signposting, **columns)


_LOGGED_COLUMNS = (
    "id",
    "given_on",
    "household_id",
    "voucher_id",
    "parcel_type",
    "adults",
    "children",
    "weight_grams",
    "method",
    "created_at",
)


@functools.cache
def _insert_parcel() -> Insert:
    # Built once: constructing the statement on every parcel cost more than running it.
    return insert(Parcel.__table__)


def _parcel_row(request: ParcelRequest) -> dict:
    return {
        **_parcel_values(request),
        "location_id": request.location.id,
        "household_id": request.household.id,
        "voucher_id": request.voucher.id if request.voucher is not None else None,
        "created_at": utcnow(),
    }


def _insert(session: Session, request: ParcelRequest) -> LoggedParcel:
    """Write the parcel, its signposting and their audit entries with Core statements.

    Parcels are logged in bursts at busy sessions; the ORM's unit of work for one
    new row and its children cost more than the three INSERTs themselves.
    """
    connection = session.connection()
    row = _parcel_row(request)
    # The new id by RETURNING where the database has it, else the cursor's last row id.
    row["id"] = connection.execute(_insert_parcel(), row).inserted_primary_key[0]
    signposts = [
        {"parcel_id": row["id"], "code": code} for code in sorted(set(request.signposting))
    ]
    if signposts:
        connection.execute(insert(ParcelSignpost.__table__), signposts)
    record_created(session, {Parcel: [row], ParcelSignpost: signposts})
    _redeem(request)
    return LoggedParcel(
        location=request.location,
        signposting=[each["code"] for each in signposts],
        **{name: row[name] for name in _LOGGED_COLUMNS},
    )


def log_parcel(session: Session, request: ParcelRequest) -> tuple[LoggedParcel, bool]:
    """Record a parcel and commit; returns ``(parcel, created)``.

    A request repeating an idempotency key gets the parcel the first one made
    (``created`` is False). The unique constraint, not this check, is what
    holds when two workers race: the loser's insert fails and it answers with
    the winner's parcel.
    """
    key = request.idempotency_key
    spent = request.voucher is not None and request.voucher.redeemed_on is not None
    # Only a spent voucher needs a look first (it may be this very request, repeated);
    # otherwise the insert itself finds a repeat, saving a query on every new parcel.
    if key is not None and spent and (existing := find_by_key(session, key)) is not None:
        return _replay(existing, request)
    _check_voucher(request)
    try:
        parcel = _insert(session, request)
        session.commit()
    except IntegrityError:
        session.rollback()
        if key is not None and (existing := find_by_key(session, key)) is not None:
            return _replay(existing, request)
        if request.voucher is not None:
            session.refresh(request.voucher)
            _check_voucher(request)
        raise
    return parcel, True


# --- the support policy ---------------------------------------------------------


def policy_window(settings: Settings, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=int(settings.policy_days) - 1)


def parcels_in_window(
    session: Session, settings: Settings, household_id: int, today: dt.date
) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Parcel.household_id == household_id,
                Parcel.given_on >= policy_window(settings, today),
                Parcel.given_on <= today,
            )
        )
        or 0
    )


def is_flagged(session: Session, settings: Settings, household_id: int, today: dt.date) -> bool:
    return parcels_in_window(session, settings, household_id, today) >= int(settings.policy_parcels)


def flagged_query(settings: Settings, today: dt.date) -> Select[tuple[int, int]]:
    """Household ids and their parcel counts, for households the support policy flags."""
    count = func.count(Parcel.id).label("parcels")
    return (
        select(Parcel.household_id, count)
        .where(Parcel.given_on >= policy_window(settings, today), Parcel.given_on <= today)
        .group_by(Parcel.household_id)
        .having(count >= int(settings.policy_parcels))
    )


def flagged_count(session: Session, settings: Settings, today: dt.date) -> int:
    flagged = flagged_query(settings, today).subquery()
    return session.scalar(select(func.count()).select_from(flagged)) or 0


def flagged_households(
    session: Session, settings: Settings, today: dt.date, limit: int | None = None
) -> list[tuple[Household, int]]:
    """Households that reached the policy's number of parcels in its window, most first."""
    flagged = flagged_query(settings, today).subquery()
    rows = session.execute(
        select(Household, flagged.c.parcels)
        .join(flagged, flagged.c.household_id == Household.id)
        .where(Household.anonymised_at.is_(None))
        .order_by(flagged.c.parcels.desc(), Household.code)
        .limit(limit)
    ).all()
    return [(household, parcels) for household, parcels in rows]
