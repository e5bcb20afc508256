"""What the food bank does: its rules and its errors, shared by the API, the pages, the
importer and the demo.

api.py and views.py validate input with the schemas and call these functions, which
keep every rule (a household linked only to a consenting person, one parcel per voucher
and per idempotency key, the support policy) in one place. Nothing here knows about
requests: a value that does not fit is an ``api.FieldError`` naming its field, and a
request that clashes with what is recorded is a :class:`Conflict`.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Insert, Select, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from hub.plugin_api import (
    FieldError,
    Location,
    Model,
    Person,
    correct,
    now,
    record_created,
    text_search,
    void,
)
from hub_foodbank.models import (
    Agency,
    Donation,
    DonationLine,
    Household,
    Parcel,
    ParcelSignpost,
    StockAdjustment,
    Voucher,
)
from hub_foodbank.settings import Settings

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
M = TypeVar("M", bound=Model)
# The service directory lists the food bank where it gave parcels in the last year.
RECENT_USE = dt.timedelta(days=365)


class Conflict(Exception):
    """A request that clashes with what is recorded (a spent voucher, a code in use)."""

    def __init__(self, message: str, field: str, detail: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = {field: [detail]}


def _referenced(session: Session, model: type[M], ident: int, field: str, what: str) -> M:
    found = session.get(model, ident)
    if found is None:
        raise FieldError(field, f"no {what} with id {ident}")
    return found


def _commit_or_conflict(session: Session, field: str, message: str) -> None:
    """Commit; a unique value already taken (a code, a name) is a :class:`Conflict`."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(message, field, message) from None


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


# --- households ------------------------------------------------------------------


def _check_person(session: Session, person_id: int | None) -> None:
    if person_id is None:
        return
    person = _referenced(session, Person, person_id, "person_id", "person")
    if not person.consent_given or person.anonymised_at is not None:
        raise FieldError("person_id", "link a household only to a person who has given consent")


def _not_anonymised(household: Household, field: str) -> None:
    if household.anonymised_at is not None:
        raise FieldError(field, f"household {household.id} has been anonymised")


def _new_household(session: Session, values: dict[str, Any]) -> Household:
    _check_person(session, values.get("person_id"))
    values = dict(values)
    code = normalise_code(values.pop("code", "")) or new_code(session, Household, "H")
    household = Household(code=code, **values)
    session.add(household)
    return household


def register_household(session: Session, values: dict[str, Any]) -> Household:
    """A new household, with the code it was given or a fresh one."""
    household = _new_household(session, values)
    _commit_or_conflict(session, "code", f"a household already has the code {household.code}")
    return household


def _last_visits() -> Any:
    """Each household's last counted parcel, as a subquery."""
    return (
        select(Parcel.household_id, func.max(Parcel.given_on).label("last_visit"))
        .where(Parcel.counted())
        .group_by(Parcel.household_id)
        .subquery()
    )


def households_query(filters: dict[str, Any]) -> Select[Household]:
    """Households not anonymised matching ``filters`` (as ``schemas.HouseholdSearch``
    loads them): part of a code, the postcode district, the number of people, when
    they last had a parcel. Newest first."""
    statement = select(Household).where(Household.anonymised_at.is_(None))
    if code := normalise_code(filters.get("code", "")):
        statement = statement.where(text_search(code, Household.code))
    if filters.get("postcode_district"):
        statement = statement.where(Household.postcode_district == filters["postcode_district"])
    if "size" in filters:
        size = (
            Household.adults
            + Household.children_0_4
            + Household.children_5_11
            + Household.children_12_17
        )
        statement = statement.where(size == filters["size"])
    if "last_visit_from" in filters or "last_visit_to" in filters:
        last = _last_visits()
        statement = statement.join(last, last.c.household_id == Household.id)
        if "last_visit_from" in filters:
            statement = statement.where(last.c.last_visit >= filters["last_visit_from"])
        if "last_visit_to" in filters:
            statement = statement.where(last.c.last_visit <= filters["last_visit_to"])
    return statement.order_by(Household.id.desc())


def last_visits(session: Session, household_ids: Iterable[int]) -> dict[int, dt.date]:
    """When each of these households last had a (counted) parcel."""
    rows = session.execute(
        select(Parcel.household_id, func.max(Parcel.given_on))
        .where(Parcel.counted(), Parcel.household_id.in_(list(household_ids)))
        .group_by(Parcel.household_id)
    )
    return {household_id: day for household_id, day in rows}


def change_household(session: Session, household: Household, values: dict[str, Any]) -> Household:
    if household.anonymised_at is not None:
        raise Conflict("the household has been anonymised", "id", str(household.id))
    _check_person(session, values.get("person_id"))
    for key, value in values.items():
        setattr(household, key, value)
    session.commit()
    return household


# --- agencies --------------------------------------------------------------------


def add_agency(session: Session, values: dict[str, Any]) -> Agency:
    agency = Agency(**values)
    session.add(agency)
    _commit_or_conflict(session, "name", f"there is already an agency called {values['name']}")
    return agency


def change_agency(session: Session, agency: Agency, values: dict[str, Any]) -> Agency:
    for key, value in values.items():
        setattr(agency, key, value)
    _commit_or_conflict(session, "name", "there is already an agency with that name")
    return agency


# --- vouchers --------------------------------------------------------------------


def set_reasons(voucher: Voucher, reasons: Iterable[str]) -> None:
    voucher.reasons = list(reasons)


def check_reasons(settings: Settings, reasons: Iterable[str]) -> list[str]:
    """The reasons that are not on the configured list."""
    return [code for code in reasons if code not in settings.reasons]


def issue_voucher(
    session: Session, settings: Settings, values: dict[str, Any], today: dt.date
) -> Voucher:
    """A referral: valid from ``issued_on`` (default today) for the configured days."""
    household = _referenced(session, Household, values["household_id"], "household_id", "household")
    voucher = _new_voucher(session, settings, household, values, today)
    _commit_or_conflict(session, "code", f"a voucher already has the code {voucher.code}")
    return voucher


def _new_voucher(
    session: Session,
    settings: Settings,
    household: Household,
    values: dict[str, Any],
    today: dt.date,
) -> Voucher:
    unknown = check_reasons(settings, values["reasons"])
    if unknown:
        raise FieldError(
            "reasons",
            f"unknown reason {unknown[0]!r}; use one of: {', '.join(settings.reasons)}",
        )
    agency = _referenced(session, Agency, values["agency_id"], "agency_id", "agency")
    _not_anonymised(household, "household_id")
    issued = values.get("issued_on", today)
    valid_until = values.get("valid_until") or issued + dt.timedelta(
        days=int(settings.voucher_valid_days)
    )
    if valid_until < issued:
        raise FieldError("valid_until", "must not be before issued_on")
    code = normalise_code(values.get("code", "")) or new_code(session, Voucher, "V")
    voucher = Voucher(
        code=code,
        agency=agency,
        household=household,
        issued_on=issued,
        valid_until=valid_until,
        notes=values.get("notes", ""),
    )
    set_reasons(voucher, values["reasons"])
    session.add(voucher)
    return voucher


def open_voucher_for(session: Session, household: Household, today: dt.date) -> Voucher | None:
    """The household's voucher that a parcel today would redeem, if any."""
    return session.scalar(
        select(Voucher)
        .where(
            Voucher.household_id == household.id,
            Voucher.counted(),
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


@functools.cache
def _household_and_location_query() -> Select[Household, Location]:
    # Parcels are logged in bursts at busy sessions: both rows in one round trip, from
    # a statement built once (building it cost more than running it).
    return (
        select(Household, Location)
        .join(Location, Location.id == bindparam("location_id"))
        .where(Household.id == bindparam("household_id"))
    )


def _household_and_location(
    session: Session, household_id: int, location_id: int
) -> tuple[Household, Location]:
    found = session.execute(
        _household_and_location_query(),
        {"household_id": household_id, "location_id": location_id},
    ).first()
    if found is None:
        _referenced(session, Household, household_id, "household_id", "household")
        _referenced(session, Location, location_id, "location_id", "location")
    assert found is not None
    return found[0], found[1]


def _voucher_by_code(session: Session, code: str) -> Voucher:
    voucher = session.scalar(
        select(Voucher)
        .options(joinedload(Voucher.household))
        .where(Voucher.code == normalise_code(code))
    )
    if voucher is None:
        raise FieldError("voucher_code", "no voucher with this code")
    return voucher


def parcel_request(
    session: Session, settings: Settings, values: dict[str, Any], key: str | None, today: dt.date
) -> ParcelRequest:
    """The parcel ``values`` ask for (as ``schemas.ParcelCreate`` loads them): ids and
    codes resolved, and what is not given filled in from the household's record."""
    voucher = (
        _voucher_by_code(session, values["voucher_code"]) if "voucher_code" in values else None
    )
    if (
        voucher is not None
        and values.get("household_id", voucher.household_id) != voucher.household_id
    ):
        raise Conflict(
            "the voucher is for another household", "household_id", "does not match the voucher"
        )
    household_id = voucher.household_id if voucher is not None else values.get("household_id")
    if household_id is None:
        raise FieldError("household_id", "give household_id or voucher_code")
    household, location = _household_and_location(session, household_id, values["location_id"])
    _not_anonymised(household, "household_id")
    usual = prefill(settings, household, values["parcel_type"])
    wanted = ParcelRequest(
        household=household,
        location=location,
        given_on=values.get("given_on", today),
        parcel_type=values["parcel_type"],
        adults=values.get("adults", usual["adults"]),
        children=values.get("children", usual["children"]),
        weight_grams=values.get("weight_grams", usual["weight_grams"]),
        method=values["method"],
        signposting=tuple(values["signposting"]),
        voucher=voucher,
        idempotency_key=key,
    )
    if wanted.adults + wanted.children < 1:
        raise FieldError("adults", "a parcel feeds at least one person")
    return wanted


def _check_voucher(request: ParcelRequest) -> None:
    voucher = request.voucher
    if voucher is None:
        return
    if voucher.household_id != request.household.id:
        raise Conflict("the voucher is for another household", "voucher", voucher.code)
    if voucher.voided_at is not None:
        raise Conflict(
            "the voucher was voided", "voucher", f"{voucher.code}: {voucher.void_reason}"
        )
    if voucher.redeemed_on is not None:
        raise Conflict(
            "the voucher has already been redeemed",
            "voucher",
            f"{voucher.code} was redeemed on {voucher.redeemed_on.isoformat()}",
        )
    if not voucher.issued_on <= request.given_on <= voucher.valid_until:
        raise Conflict(
            "the voucher is not valid on this date",
            "voucher",
            f"{voucher.code} is valid {voucher.issued_on.isoformat()} "
            f"to {voucher.valid_until.isoformat()}",
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
        raise Conflict(
            "this idempotency key was used for a different parcel",
            "Idempotency-Key",
            "use a new key for each new parcel",
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
    voided_at: dt.datetime | None = None  # a replay may find its parcel since voided
    void_reason: str = ""

    @property
    def location_id(self) -> int:
        return self.location.id

    @classmethod
    def of(cls, parcel: Parcel) -> LoggedParcel:
        columns = {name: getattr(parcel, name) for name in _LOGGED_COLUMNS}
        return cls(
            location=parcel.location,
            signposting=parcel.signposting,
            voided_at=parcel.voided_at,
            void_reason=parcel.void_reason,
            **columns,
        )


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
        "created_at": now(),
    }


def _insert(session: Session, request: ParcelRequest) -> LoggedParcel:
    """Write the parcel, its signposting and their audit entries with Core statements.

    Parcels are logged in bursts at busy sessions; the ORM's unit of work for one
    new row and its children cost more than the three INSERTs themselves.
    """
    connection = session.connection()
    row = _parcel_row(request)
    # The new id by RETURNING where the database has it, else the cursor's last row id.
    inserted = connection.execute(_insert_parcel(), row).inserted_primary_key
    assert inserted is not None
    row["id"] = inserted[0]
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


WALK_IN_HOUSEHOLD = (
    "adults",
    "children_0_4",
    "children_5_11",
    "children_12_17",
    "dietary",
    "allergies",
    "postcode_district",
)
WALK_IN_PARCEL = ("location_id", "parcel_type", "weight_grams", "method", "signposting")


@dataclass(frozen=True)
class WalkIn:
    household: Household
    voucher: Voucher
    parcel: LoggedParcel


def walk_in(session: Session, settings: Settings, values: dict[str, Any], today: dt.date) -> WalkIn:
    """Someone new with a paper voucher: the household registered, the voucher recorded
    under its printed code, and the parcel logged, in one transaction (all or nothing)."""
    household = _new_household(
        session, {key: values[key] for key in WALK_IN_HOUSEHOLD if key in values}
    )
    voucher_values = {
        "code": values["voucher_code"],
        "agency_id": values["agency_id"],
        "reasons": values["reasons"],
        "issued_on": values.get("issued_on", today),
    }
    if session.scalar(
        select(Voucher.id).where(Voucher.code == normalise_code(values["voucher_code"]))
    ):
        raise FieldError("voucher_code", "this voucher is already recorded: find it by its code")
    voucher = _new_voucher(session, settings, household, voucher_values, today)
    location = _referenced(session, Location, values["location_id"], "location_id", "location")
    session.flush()
    usual = prefill(settings, household, values["parcel_type"])
    wanted = ParcelRequest(
        household=household,
        location=location,
        given_on=today,
        parcel_type=values["parcel_type"],
        adults=household.adults,
        children=household.children,
        weight_grams=values.get("weight_grams", usual["weight_grams"]),
        method=values["method"],
        signposting=tuple(values["signposting"]),
        voucher=voucher,
    )
    try:
        _check_voucher(wanted)
    except Conflict as exc:
        raise FieldError("issued_on", f"{exc.message}: {exc.details['voucher'][0]}") from None
    parcel = _insert(session, wanted)
    _commit_or_conflict(session, "voucher_code", "this code is already in use")
    return WalkIn(household, voucher, parcel)


# --- donations and stock ---------------------------------------------------------


def record_donation(session: Session, values: dict[str, Any], today: dt.date) -> Donation:
    donation = Donation(
        received_on=values.get("received_on", today),
        donor_type=values["donor_type"],
        source=values.get("source", ""),
        lines=[DonationLine(**line) for line in values["lines"]],
    )
    session.add(donation)
    session.commit()
    return donation


def adjust_stock(session: Session, values: dict[str, Any], today: dt.date) -> StockAdjustment:
    """A stock count, waste or a transfer: grams added (positive) or removed."""
    adjustment = StockAdjustment(
        category=values["category"],
        grams=values["grams"],
        made_on=values.get("made_on", today),
        reason=values.get("reason", ""),
    )
    session.add(adjustment)
    session.commit()
    return adjustment


# --- corrections and voids -------------------------------------------------------
# A coordinator puts a record right with a reason; a voided record is kept and counts
# nowhere. Each commits, so the next figures (and published summaries) follow.


def _check_date(value: dt.date | None, field: str, today: dt.date) -> None:
    if value is not None and value > today:
        raise FieldError(field, "must not be in the future")


def correct_parcel(
    session: Session, parcel: Parcel, values: dict[str, Any], today: dt.date
) -> list[str]:
    values = dict(values)
    reason = values.pop("reason")
    if "location_id" in values:
        _referenced(session, Location, values["location_id"], "location_id", "location")
    _check_date(values.get("given_on"), "given_on", today)
    adults = values.get("adults", parcel.adults)
    if adults + values.get("children", parcel.children) < 1:
        raise FieldError("adults", "a parcel feeds at least one person")
    voucher = parcel.voucher
    given_on = values.get("given_on", parcel.given_on)
    if voucher is not None and not voucher.issued_on <= given_on <= voucher.valid_until:
        raise FieldError("given_on", f"voucher {voucher.code} is not valid on that date")
    changed = correct(session, parcel, values, reason)
    if voucher is not None and "given_on" in changed:
        voucher.redeemed_on = given_on
    session.commit()
    return changed


def void_parcel(session: Session, parcel: Parcel, reason: str) -> Parcel:
    """Void a parcel; the voucher it redeemed can be used again."""
    void(session, parcel, reason)
    if parcel.voucher is not None:
        parcel.voucher.redeemed_on = None
        parcel.voucher = None  # the log keeps which it was
    session.commit()
    return parcel


def correct_voucher(
    session: Session, settings: Settings, voucher: Voucher, values: dict[str, Any]
) -> list[str]:
    values = dict(values)
    reason = values.pop("reason")
    if "reasons" in values and (unknown := check_reasons(settings, values["reasons"])):
        raise FieldError("reasons", f"unknown reason {unknown[0]!r}")
    if "reasons" in values:
        values["reasons"] = sorted(set(values["reasons"]))
    if "agency_id" in values:
        _referenced(session, Agency, values["agency_id"], "agency_id", "agency")
    issued = values.get("issued_on", voucher.issued_on)
    if values.get("valid_until", voucher.valid_until) < issued:
        raise FieldError("valid_until", "must not be before issued_on")
    changed = correct(session, voucher, values, reason)
    session.commit()
    return changed


def void_voucher(session: Session, voucher: Voucher, reason: str) -> Voucher:
    """Void a voucher issued in error: its referral leaves the figures and it cannot be
    redeemed. A parcel it already redeemed still counts (void that too if wrong)."""
    void(session, voucher, reason)
    session.commit()
    return voucher


def correct_donation(
    session: Session, donation: Donation, values: dict[str, Any], today: dt.date
) -> list[str]:
    values = dict(values)
    reason = values.pop("reason")
    _check_date(values.get("received_on"), "received_on", today)
    if "lines" in values:
        lines = [{"best_before": None, **line} for line in values.pop("lines")]
        values["line_items"] = sorted(lines, key=lambda item: (item["category"], item["grams"]))
    changed = correct(session, donation, values, reason)
    session.commit()
    return changed


def void_donation(session: Session, donation: Donation, reason: str) -> Donation:
    void(session, donation, reason)
    session.commit()
    return donation


def deactivate_agency(session: Session, agency: Agency) -> None:
    """An agency that no longer refers: kept for its vouchers, offered no more."""
    agency.active = False
    session.commit()


# --- the support policy ---------------------------------------------------------


def policy_window(settings: Settings, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=int(settings.policy_days) - 1)


def parcels_in_window(
    session: Session, settings: Settings, household_id: int, today: dt.date
) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Parcel.counted(),
                Parcel.household_id == household_id,
                Parcel.given_on >= policy_window(settings, today),
                Parcel.given_on <= today,
            )
        )
        or 0
    )


def is_flagged(session: Session, settings: Settings, household_id: int, today: dt.date) -> bool:
    return parcels_in_window(session, settings, household_id, today) >= int(settings.policy_parcels)


def flagged_query(settings: Settings, today: dt.date) -> Select[int, int]:
    """Household ids and their parcel counts, for households the support policy flags."""
    count = func.count(Parcel.id).label("parcels")
    return (
        select(Parcel.household_id, count)
        .where(
            Parcel.counted(),
            Parcel.given_on >= policy_window(settings, today),
            Parcel.given_on <= today,
        )
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


def locations_in_use(session: Session, today: dt.date) -> list[int]:
    """The locations where parcels that count were given in the last year."""
    return list(
        session.scalars(
            select(Parcel.location_id)
            .where(Parcel.counted(), Parcel.given_on > today - RECENT_USE)
            .distinct()
        )
    )
