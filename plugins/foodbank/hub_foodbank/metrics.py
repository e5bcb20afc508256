"""The figures the food bank publishes, and how they are computed for any number of
weeks and months at once: one query per table counted, grouped by day and rolled up
to every week and month asked for.

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

from hub.plugin_api import Metric, Period, PeriodFigures, PeriodKind, period_start, today
from hub_foodbank import codes, stock
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
        counts="people",
        window="parcel",
        label=N_("Adults fed"),
        impact="people_fed",
    ),
    Metric(
        "children_fed",
        N_("children"),
        N_(
            "Children fed: each parcel's children, summed over parcels (someone fed twice counts twice)"
        ),
        counts="people",
        window="parcel",
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
    Metric(
        "needed",
        N_("food banks"),
        N_(
            "Stock categories the food bank needs donations of: 1 if the stock on hand at the "
            "end of the period (for the period under way, today) is below its low-stock level, "
            "else 0; added up across a network, how many food banks need it"
        ),
        codelist=codes.STOCK_CATEGORIES,
        label=N_("Donations needed"),
    ),
)


def compute(session: Session, settings: Settings, periods: Sequence[Period]) -> PeriodFigures:
    """Every declared figure for every period in ``periods``, zeros included. What adds
    up is read in one query per table grouped by day and rolled up to weeks and months
    alike (:meth:`PeriodFigures.add_days`); only the households served, a count of
    different households, takes one query per kind of period."""
    figures = PeriodFigures(periods, DEFINITIONS)
    since, until = figures.days()
    _parcels(session, figures, since, until)
    for kind in figures.kinds():
        _households_served(session, figures, kind, *figures.span(kind))
    _households_new(session, figures, since, until)
    _donated(session, figures, since, until)
    _referrals(session, settings, figures, since, until)
    _signposting(session, figures, since, until)
    _needed(session, settings, figures)
    return figures


def _known(code: str, codelist: Iterable[str]) -> str:
    """A code the codelist has, or ``other`` (figures are published by the codelist)."""
    return code if code in codelist else "other"


def _parcels(session: Session, figures: PeriodFigures, since: Any, until: Any) -> None:
    day = Parcel.given_on
    rows = session.execute(
        select(
            day,
            Parcel.parcel_type,
            func.count(),
            func.sum(Parcel.adults),
            func.sum(Parcel.children),
            func.sum(Parcel.weight_grams),
        )
        .where(Parcel.counted(), day >= since, day < until)
        .group_by(day, Parcel.parcel_type)
    ).all()
    figures.add_day_codes("parcels", [(d, t, n) for d, t, n, *_ in rows if t in codes.PARCEL_TYPES])
    figures.add_days("adults_fed", [(d, adults) for d, _, _, adults, _, _ in rows])
    figures.add_days("children_fed", [(d, children) for d, _, _, _, children, _ in rows])
    figures.add_days("grams_distributed", [(d, grams) for d, *_, grams in rows])


def _households_served(
    session: Session, figures: PeriodFigures, kind: PeriodKind, since: Any, until: Any
) -> None:
    """Different households: a day's count does not add up to a week's."""
    start = period_start(Parcel.given_on, kind)
    served = session.execute(
        select(start, func.count(func.distinct(Parcel.household_id)))
        .where(Parcel.counted(), Parcel.given_on >= since, Parcel.given_on < until)
        .group_by(start)
    )
    figures.add("households_served", kind, served)


def _households_new(session: Session, figures: PeriodFigures, since: Any, until: Any) -> None:
    """Each household's first parcel ever, counted in the periods its day falls in."""
    first = (
        select(func.min(Parcel.given_on).label("first"))
        .where(Parcel.counted())
        .group_by(Parcel.household_id)
        .subquery()
    )
    new = session.execute(
        select(first.c.first, func.count())
        .where(first.c.first >= since, first.c.first < until)
        .group_by(first.c.first)
    )
    figures.add_days("households_new", new)


def _donated(session: Session, figures: PeriodFigures, since: Any, until: Any) -> None:
    day = Donation.received_on
    rows = session.execute(
        select(day, func.sum(DonationLine.grams))
        .join(Donation)
        .where(Donation.counted(), day >= since, day < until)
        .group_by(day)
    )
    figures.add_days("grams_donated", rows)


def _referrals(
    session: Session, settings: Settings, figures: PeriodFigures, since: Any, until: Any
) -> None:
    day = Voucher.issued_on
    issued = (Voucher.counted(), day >= since, day < until)
    reasons = session.execute(
        select(day, VoucherReason.reason, func.count())
        .join(Voucher, Voucher.id == VoucherReason.voucher_id)
        .where(*issued)
        .group_by(day, VoucherReason.reason)
    )
    figures.add_day_codes(
        "referrals", [(d, settings.published_reason(r), n) for d, r, n in reasons]
    )
    agencies = session.execute(
        select(day, Agency.agency_type, func.count())
        .join(Voucher, Voucher.agency_id == Agency.id)
        .where(*issued)
        .group_by(day, Agency.agency_type)
    )
    figures.add_day_codes(
        "referrals_by_agency", [(d, _known(t, codes.AGENCY_TYPES), n) for d, t, n in agencies]
    )


def _signposting(session: Session, figures: PeriodFigures, since: Any, until: Any) -> None:
    day = Parcel.given_on
    rows = session.execute(
        select(day, ParcelSignpost.code, func.count())
        .join(Parcel, Parcel.id == ParcelSignpost.parcel_id)
        .where(Parcel.counted(), day >= since, day < until)
        .group_by(day, ParcelSignpost.code)
    )
    figures.add_day_codes("signposting", [(d, _known(c, codes.SIGNPOSTING), n) for d, c, n in rows])


def _needed(session: Session, settings: Settings, figures: PeriodFigures) -> None:
    """Each period's low-stock categories as they stood at its end, or today for the
    period under way: a state, not a sum, so it is set per period, not added by day."""
    tomorrow = today() + dt.timedelta(days=1)
    ends = {period: min(period.end, tomorrow) for period in figures}
    low = stock.low_before(session, settings, ends.values())
    for period, end in ends.items():
        for category in low[end]:
            figures[period][f"needed.{category}"] = 1


def activity_dates(session: Session) -> list[dt.date]:
    dates: set[dt.date] = set()
    for column in (Parcel.given_on, Voucher.issued_on, Donation.received_on):
        dates.update(session.scalars(select(column).distinct()))
    return sorted(dates)
