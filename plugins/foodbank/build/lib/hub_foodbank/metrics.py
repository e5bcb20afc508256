"""The figures the food bank publishes, and how they are computed for a period.

Every figure comes from parcels, vouchers, their reasons and donations, never
from a household's personal fields, so erasing a household changes nothing
published. Referrals are counted when the agency issues the voucher: that is
when the need arose, whether or not the parcel was collected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.plugin_api import Metric, Period
from hub_foodbank import codes
from hub_foodbank.models import (
    Agency,
    Donation,
    DonationLine,
    Parcel,
    ParcelSignpost,
    Voucher,
    VoucherReason,
)
from hub_foodbank.settings import Settings

DEFINITIONS: tuple[Metric, ...] = (
    Metric("parcels", "parcels", "Food parcels given, by parcel type", codelist=codes.PARCEL_TYPES),
    Metric(
        "adults_fed",
        "adults",
        "Adults fed: each parcel's adults, summed over parcels (someone fed twice counts twice)",
    ),
    Metric(
        "children_fed",
        "children",
        "Children fed: each parcel's children, summed over parcels (someone fed twice counts twice)",
    ),
    Metric(
        "households_served",
        "households",
        "Different households that received at least one parcel in the period",
        counts="households",
    ),
    Metric(
        "households_new",
        "households",
        "Households whose first ever parcel was in the period",
        counts="households",
    ),
    Metric("grams_distributed", "grams", "Weight of food and goods given out", counts="quantity"),
    Metric("grams_donated", "grams", "Weight of donations received", counts="quantity"),
    Metric(
        "referrals",
        "referrals",
        "Referral reasons on vouchers issued in the period (a voucher may give several)",
        codelist=codes.REFERRAL_REASONS,
    ),
    Metric(
        "referrals_by_agency",
        "vouchers",
        "Vouchers issued in the period, by the type of agency that issued them",
        codelist=codes.AGENCY_TYPES,
    ),
    Metric(
        "signposting",
        "referrals onward",
        "Further help offered with parcels (debt advice, energy support...)",
        codelist=codes.SIGNPOSTING,
    ),
)


def _zeros(prefix: str, codelist: Iterable[str]) -> dict[str, int]:
    return {f"{prefix}.{code}": 0 for code in codelist}


def _in(column, period: Period):  # type: ignore[no-untyped-def]
    return column.between(period.start, period.last_day)


def _parcel_figures(session: Session, period: Period) -> dict[str, int]:
    figures = _zeros("parcels", codes.PARCEL_TYPES)
    totals = {"adults_fed": 0, "children_fed": 0, "grams_distributed": 0}
    rows = session.execute(
        select(
            Parcel.parcel_type,
            func.count(),
            func.sum(Parcel.adults),
            func.sum(Parcel.children),
            func.sum(Parcel.weight_grams),
        )
        .where(_in(Parcel.given_on, period))
        .group_by(Parcel.parcel_type)
    )
    for parcel_type, count, adults, children, grams in rows:
        key = f"parcels.{parcel_type}"
        if key in figures:
            figures[key] += int(count)
        totals["adults_fed"] += int(adults or 0)
        totals["children_fed"] += int(children or 0)
        totals["grams_distributed"] += int(grams or 0)
    return figures | totals


def _household_figures(session: Session, period: Period) -> dict[str, int]:
    in_period = select(Parcel.household_id).where(_in(Parcel.given_on, period))
    served = session.scalar(
        select(func.count(func.distinct(Parcel.household_id))).where(_in(Parcel.given_on, period))
    )
    firsts = (
        select(Parcel.household_id)
        .where(Parcel.household_id.in_(in_period))
        .group_by(Parcel.household_id)
        .having(func.min(Parcel.given_on) >= period.start)
        .subquery()
    )
    new = session.scalar(select(func.count()).select_from(firsts))
    return {"households_served": int(served or 0), "households_new": int(new or 0)}


def _donated(session: Session, period: Period) -> int:
    grams = session.scalar(
        select(func.sum(DonationLine.grams)).join(Donation).where(_in(Donation.received_on, period))
    )
    return int(grams or 0)


def _referral_figures(session: Session, settings: Settings, period: Period) -> dict[str, int]:
    figures = _zeros("referrals", codes.REFERRAL_REASONS)
    rows = session.execute(
        select(VoucherReason.reason, func.count())
        .join(Voucher, Voucher.id == VoucherReason.voucher_id)
        .where(_in(Voucher.issued_on, period))
        .group_by(VoucherReason.reason)
    )
    for reason, count in rows:
        figures[f"referrals.{settings.published_reason(reason)}"] += int(count)
    by_agency = _zeros("referrals_by_agency", codes.AGENCY_TYPES)
    rows = session.execute(
        select(Agency.agency_type, func.count())
        .join(Voucher, Voucher.agency_id == Agency.id)
        .where(_in(Voucher.issued_on, period))
        .group_by(Agency.agency_type)
    )
    for agency_type, count in rows:
        code = agency_type if agency_type in codes.AGENCY_TYPES else "other"
        by_agency[f"referrals_by_agency.{code}"] += int(count)
    return figures | by_agency


def _signposting(session: Session, period: Period) -> dict[str, int]:
    figures = _zeros("signposting", codes.SIGNPOSTING)
    rows = session.execute(
        select(ParcelSignpost.code, func.count())
        .join(Parcel, Parcel.id == ParcelSignpost.parcel_id)
        .where(_in(Parcel.given_on, period))
        .group_by(ParcelSignpost.code)
    )
    for code, count in rows:
        key = f"signposting.{code if code in codes.SIGNPOSTING else 'other'}"
        figures[key] += int(count)
    return figures


def compute(session: Session, settings: Settings, period: Period) -> dict[str, int]:
    """Every declared figure for ``period``, zeros included."""
    return (
        _parcel_figures(session, period)
        | _household_figures(session, period)
        | {"grams_donated": _donated(session, period)}
        | _referral_figures(session, settings, period)
        | _signposting(session, period)
    )


def activity_dates(session: Session) -> list[dt.date]:
    dates: set[dt.date] = set()
    for column in (Parcel.given_on, Voucher.issued_on, Donation.received_on):
        dates.update(session.scalars(select(column).distinct()))
    return sorted(dates)
