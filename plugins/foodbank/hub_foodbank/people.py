"""Personal data duties: what the food bank holds about a person or a household,
erasure, retention.

A household is linked to a person only with consent, and most never are: a
household's own export and erasure (by its code, on request) do not go through the
registry. Erasing it blanks every personal field and gives it an anonymous code; its
parcels, vouchers and referral reasons stay, so every published figure is unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from hub.plugin_api import Person, erasure, now, record_audit
from hub_foodbank.models import Household, Parcel, Voucher


def _household_data(session: Session, household: Household) -> dict[str, Any]:
    vouchers = session.scalars(select(Voucher).where(Voucher.household_id == household.id)).all()
    parcels = session.scalars(select(Parcel).where(Parcel.household_id == household.id)).all()
    return {
        "code": household.code,
        "adults": household.adults,
        "children_0_4": household.children_0_4,
        "children_5_11": household.children_5_11,
        "children_12_17": household.children_12_17,
        "dietary": list(household.dietary or []),
        "allergies": household.allergies,
        "postcode_district": household.postcode_district,
        "registered_at": household.created_at.isoformat(),
        "vouchers": [
            {
                "code": v.code,
                "agency": v.agency.name,
                "reasons": v.reasons,
                "issued_on": v.issued_on.isoformat(),
                "valid_until": v.valid_until.isoformat(),
                "redeemed_on": v.redeemed_on.isoformat() if v.redeemed_on else None,
                "notes": v.notes,
            }
            for v in vouchers
        ],
        "parcels": [
            {
                "given_on": p.given_on.isoformat(),
                "type": p.parcel_type,
                "location": p.location.name,
                "adults": p.adults,
                "children": p.children,
                "weight_grams": p.weight_grams,
                "method": p.method,
                "signposting": p.signposting,
            }
            for p in parcels
        ],
    }


def _linked(session: Session, person: Person) -> list[Household]:
    return list(session.scalars(select(Household).where(Household.person_id == person.id)))


def person_data(session: Session, person: Person) -> dict[str, Any] | None:
    households = _linked(session, person)
    if not households:
        return None
    return {"households": [_household_data(session, h) for h in households]}


def anonymise(session: Session, household: Household) -> int:
    """Blank a household's personal fields and its vouchers' notes; returns records touched."""
    household.code = f"X{household.id}"
    household.dietary = []
    household.allergies = ""
    household.postcode_district = ""
    household.person_id = None
    household.anonymised_at = now()
    notes = session.execute(
        update(Voucher)
        .where(Voucher.household_id == household.id, Voucher.notes != "")
        .values(notes="")
    )
    return 1 + (cast(CursorResult[Any], notes).rowcount or 0)


class AlreadyErased(ValueError):
    """A household that was anonymised already (erased, or past retention)."""


HOUSEHOLD_ENTITY = Household.__tablename__


def export_household(session: Session, household: Household) -> dict[str, Any]:
    """Everything the food bank holds about one household (its subject access request);
    the export is audited, by the household's id."""
    record_audit(session, "export", HOUSEHOLD_ENTITY, household.id)
    return {"exported_at": now().isoformat(), "household": _household_data(session, household)}


def erase_household(session: Session, household: Household) -> int:
    """Anonymise one household on request, with what the core does after erasing a
    person (the audit log scrubbed, old copies cleared from the database files), and
    commit. Returns the records touched."""
    if household.anonymised_at is not None:
        raise AlreadyErased(f"household {household.id} was anonymised already")
    with erasure(session, HOUSEHOLD_ENTITY, household.id) as details:
        details["records"] = anonymise(session, household)
    return int(details["records"])


def erase_person(session: Session, person: Person) -> int:
    return sum(anonymise(session, household) for household in _linked(session, person))


def apply_retention(session: Session, today: dt.date, days: int) -> int:
    """Anonymise households with no parcel or voucher for ``days`` (or none at all since
    they were registered that long ago)."""
    cutoff = today - dt.timedelta(days=days)
    last_parcel = (
        select(func.max(Parcel.given_on))
        .where(Parcel.household_id == Household.id)
        .scalar_subquery()
    )
    last_voucher = (
        select(func.max(Voucher.issued_on))
        .where(Voucher.household_id == Household.id)
        .scalar_subquery()
    )
    candidates = session.scalars(
        select(Household).where(
            Household.anonymised_at.is_(None),
            Household.created_at < dt.datetime.combine(cutoff, dt.time(), dt.UTC),
            func.coalesce(last_parcel, cutoff) <= cutoff,
            func.coalesce(last_voucher, cutoff) <= cutoff,
        )
    ).all()
    return sum(anonymise(session, household) for household in candidates)
