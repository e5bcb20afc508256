"""The figures the food bank publishes, and how they are computed for any number of
weeks and months at once: one grouped query per table counted and kind of period.

Every figure comes from parcels, vouchers, their reasons and donations, never
from a household's personal fields, so erasing a household changes nothing
published. Referrals are counted when the agency issues the voucher: that is
when the need arose, whether or not the parcel was collected. Voided records count
nowhere (``Model.counted()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.plugin_api import Metric, Period, PeriodFigures, PeriodKind, period_start
from hub_foodbank import codes
from hub_foodbank.i18n import N_
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
    Metric(
        "parcels",
        N_("parcels"),
        N_(
            "Food parcels given, by parcel type (a parcel is not a person: a household may come often)"
        ),
        codelist=codes.PARCEL_TYPES,
        label=N_("Food parcels given"),
        impact="food_parcels",
    ),
    Metric(
        "adults_fed",
        N_("adults"),
        N_(
            "Adults fed: each parcel's adults, summed over parcels (someone fed twice counts twice)"
        ),
        label=N_("Adults fed"),
        impact="people_fed",
    ),
    Metric(
        "children_fed",
        N_("children"),
        N_(
            "Children fed: each parcel's children, summed over parcels (someone fed twice counts twice)"
        ),
        label=N_("Children fed"),
        impact="people_fed",
    ),
    Metric(
        "households_served",
        N_("households"),
        N_("Different households that received at least one parcel in the period"),
        counts="households",
        label=N_("Households helped"),
    ),
    Metric(
        "households_new",
        N_("households"),
        N_("Households whose first ever parcel was in the period"),
        counts="households",
        label=N_("Households helped for the first time"),
    ),
    Metric(
        "grams_distributed",
        N_("grams"),
        N_("Weight of food and goods given out in parcels"),
        counts="quantity",
        label=N_("Food given out"),
        impact="food_distributed",
    ),
    Metric(
        "grams_donated",
        N_("grams"),
        N_("Weight of donations received"),
        counts="quantity",
        label=N_("Food donated"),
    ),
    Metric(
        "referrals",
        N_("referrals"),
        N_(
            "Referral reasons on vouchers issued in the period (a voucher may give several): "
            "each voucher is one household's, so these are counts of households"
        ),
        counts="households",
        codelist=codes.REFERRAL_REASONS,
        label=N_("Reasons for referral"),
    ),
    Metric(
        "referrals_by_agency",
        N_("vouchers"),
        N_(
            "Vouchers issued in the period, by the type of agency that issued them "
            "(a count of households referred)"
        ),
        counts="households",
        codelist=codes.AGENCY_TYPES,
        label=N_("Vouchers issued, by who referred"),
    ),
    Metric(
        "signposting",
        N_("referrals onward"),
        N_(
            "Further help offered with parcels (debt advice, energy support...), "
            "a count of the households it was offered to"
        ),
        counts="households",
        codelist=codes.SIGNPOSTING,
        label=N_("Further help offered"),
    ),
)


def compute(session: Session, settings: Settings, periods: Sequence[Period]) -> PeriodFigures:
    """Every declared figure for every period in ``periods``, zeros included: for each
    kind of period (weeks, months), one grouped query per table it counts."""
    figures = PeriodFigures(periods, DEFINITIONS)
    for kind in figures.kinds():
        since, until = figures.span(kind)
        _parcels(session, figures, kind, since, until)
        _households(session, figures, kind, since, until)
        _donated(session, figures, kind, since, until)
        _referrals(session, settings, figures, kind, since, until)
        _signposting(session, figures, kind, since, until)
    return figures


def _known(code: str, codelist: Iterable[str]) -> str:
    """A code the codelist has, or ``other`` (figures are published by the codelist)."""
    return code if code in codelist else "other"


def _parcels(
    session: Session, figures: PeriodFigures, kind: PeriodKind, since: Any, until: Any
) -> None:
    start = period_start(Parcel.given_on, kind)
    rows = session.execute(
        select(
            start,
            Parcel.parcel_type,
            func.count(),
            func.sum(Parcel.adults),
            func.sum(Parcel.children),
            func.sum(Parcel.weight_grams),
        )
        .where(Parcel.counted(), Parcel.given_on >= since, Parcel.given_on < until)
        .group_by(start, Parcel.parcel_type)
    ).all()
    figures.add_codes(
        "parcels", kind, [(s, t, n) for s, t, n, *_ in rows if t in codes.PARCEL_TYPES]
    )
    figures.add("adults_fed", kind, [(s, adults) for s, _, _, adults, _, _ in rows])
    figures.add("children_fed", kind, [(s, children) for s, _, _, _, children, _ in rows])
    figures.add("grams_distributed", kind, [(s, grams) for s, *_, grams in rows])


def _households(
    session: Session, figures: PeriodFigures, kind: PeriodKind, since: Any, until: Any
) -> None:
    start = period_start(Parcel.given_on, kind)
    served = session.execute(
        select(start, func.count(func.distinct(Parcel.household_id)))
        .where(Parcel.counted(), Parcel.given_on >= since, Parcel.given_on < until)
        .group_by(start)
    )
    figures.add("households_served", kind, served)
    # Each household's first parcel ever, counted in the period it falls in.
    first = (
        select(func.min(Parcel.given_on).label("first"))
        .where(Parcel.counted())
        .group_by(Parcel.household_id)
        .subquery()
    )
    first_start = period_start(first.c.first, kind)
    new = session.execute(
        select(first_start, func.count())
        .where(first.c.first >= since, first.c.first < until)
        .group_by(first_start)
    )
    figures.add("households_new", kind, new)


def _donated(
    session: Session, figures: PeriodFigures, kind: PeriodKind, since: Any, until: Any
) -> None:
    start = period_start(Donation.received_on, kind)
    rows = session.execute(
        select(start, func.sum(DonationLine.grams))
        .join(Donation)
        .where(Donation.counted(), Donation.received_on >= since, Donation.received_on < until)
        .group_by(start)
    )
    figures.add("grams_donated", kind, rows)


def _referrals(
    session: Session,
    settings: Settings,
    figures: PeriodFigures,
    kind: PeriodKind,
    since: Any,
    until: Any,
) -> None:
    start = period_start(Voucher.issued_on, kind)
    issued = (Voucher.counted(), Voucher.issued_on >= since, Voucher.issued_on < until)
    reasons = session.execute(
        select(start, VoucherReason.reason, func.count())
        .join(Voucher, Voucher.id == VoucherReason.voucher_id)
        .where(*issued)
        .group_by(start, VoucherReason.reason)
    )
    figures.add_codes(
        "referrals", kind, [(s, settings.published_reason(r), n) for s, r, n in reasons]
    )
    agencies = session.execute(
        select(start, Agency.agency_type, func.count())
        .join(Voucher, Voucher.agency_id == Agency.id)
        .where(*issued)
        .group_by(start, Agency.agency_type)
    )
    figures.add_codes(
        "referrals_by_agency",
        kind,
        [(s, _known(t, codes.AGENCY_TYPES), n) for s, t, n in agencies],
    )


def _signposting(
    session: Session, figures: PeriodFigures, kind: PeriodKind, since: Any, until: Any
) -> None:
    start = period_start(Parcel.given_on, kind)
    rows = session.execute(
        select(start, ParcelSignpost.code, func.count())
        .join(Parcel, Parcel.id == ParcelSignpost.parcel_id)
        .where(Parcel.counted(), Parcel.given_on >= since, Parcel.given_on < until)
        .group_by(start, ParcelSignpost.code)
    )
    figures.add_codes(
        "signposting", kind, [(s, _known(c, codes.SIGNPOSTING), n) for s, c, n in rows]
    )


def activity_dates(session: Session) -> list[dt.date]:
    dates: set[dt.date] = set()
    for column in (Parcel.given_on, Voucher.issued_on, Donation.received_on):
        dates.update(session.scalars(select(column).distinct()))
    return sorted(dates)
