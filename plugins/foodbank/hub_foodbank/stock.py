"""Stock on hand by category, estimated from what came in and what went out.

Donations are weighed in by category. Parcels are weighed out whole, so each
parcel type's usual contents (``parcel_contents`` in the settings) say how its
weight is drawn from each category; stock counts and waste are recorded as
adjustments. Items close to expiry are found by assuming the oldest stock goes
out first: the newest donations that make up what is on hand are what is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub_foodbank import codes
from hub_foodbank.models import Donation, DonationLine, Parcel, StockAdjustment
from hub_foodbank.settings import Settings


@dataclass
class Expiring:
    best_before: dt.date
    grams: int


@dataclass
class CategoryStock:
    category: str
    label: str
    donated: int
    distributed: int
    adjusted: int
    low_threshold: int
    expiring: list[Expiring] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return max(0, self.donated + self.adjusted - self.distributed)

    @property
    def low(self) -> bool:
        return self.on_hand < self.low_threshold

    @property
    def expiring_grams(self) -> int:
        return sum(item.grams for item in self.expiring)


def _sums(session: Session, statement: Select[str, int]) -> dict[str, int]:
    return {key: int(total or 0) for key, total in session.execute(statement)}


def distributed_by_category(session: Session, settings: Settings) -> dict[str, int]:
    by_type = _sums(
        session,
        select(Parcel.parcel_type, func.sum(Parcel.weight_grams))
        .where(Parcel.counted())
        .group_by(Parcel.parcel_type),
    )
    out: dict[str, int] = {}
    for parcel_type, grams in by_type.items():
        for category, percent in settings.contents(parcel_type).items():
            out[category] = out.get(category, 0) + grams * percent // 100
    return out


def _expiring(session: Session, category: str, on_hand: int, horizon: dt.date) -> list[Expiring]:
    if on_hand <= 0:
        return []
    newest_first = session.execute(
        select(DonationLine.grams, DonationLine.best_before)
        .join(Donation)
        .where(Donation.counted(), DonationLine.category == category)
        .order_by(Donation.received_on.desc(), DonationLine.id.desc())
        .execution_options(yield_per=200)
    )
    found: list[Expiring] = []
    remaining = on_hand
    for grams, best_before in newest_first:
        still_here = min(grams, remaining)
        if best_before is not None and best_before <= horizon:
            found.append(Expiring(best_before, still_here))
        remaining -= still_here
        if remaining <= 0:
            break
    newest_first.close()
    return sorted(found, key=lambda item: item.best_before)


def levels(session: Session, settings: Settings, today: dt.date) -> list[CategoryStock]:
    """Stock on hand in every category, with low-stock flags and items close to expiry."""
    donated = _sums(
        session,
        select(DonationLine.category, func.sum(DonationLine.grams))
        .join(Donation)
        .where(Donation.counted())
        .group_by(DonationLine.category),
    )
    adjusted = _sums(
        session,
        select(StockAdjustment.category, func.sum(StockAdjustment.grams)).group_by(
            StockAdjustment.category
        ),
    )
    distributed = distributed_by_category(session, settings)
    horizon = today + dt.timedelta(days=int(settings.expiry_warning_days))
    result = []
    for category, label in codes.STOCK_CATEGORIES.items():
        stock = CategoryStock(
            category=category,
            label=label,
            donated=donated.get(category, 0),
            distributed=distributed.get(category, 0),
            adjusted=adjusted.get(category, 0),
            low_threshold=settings.low_stock(category),
        )
        stock.expiring = _expiring(session, category, stock.on_hand, horizon)
        result.append(stock)
    return result


def low_before(
    session: Session, settings: Settings, days: Iterable[dt.date]
) -> dict[dt.date, set[str]]:
    """The categories low on stock at the start of each of ``days`` (what came in and
    went out before it, as :func:`levels` counts them), read in one query per table
    grouped by day. Before the food bank has weighed in any donation it keeps no stock
    in the hub, so nothing is reported low."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    until = wanted[-1]
    into = [
        *session.execute(
            select(Donation.received_on, DonationLine.category, func.sum(DonationLine.grams))
            .join(Donation)
            .where(Donation.counted(), Donation.received_on < until)
            .group_by(Donation.received_on, DonationLine.category)
        ),
        *session.execute(
            select(
                StockAdjustment.made_on, StockAdjustment.category, func.sum(StockAdjustment.grams)
            )
            .where(StockAdjustment.made_on < until)
            .group_by(StockAdjustment.made_on, StockAdjustment.category)
        ),
    ]
    first_donation = session.scalar(
        select(func.min(Donation.received_on)).where(Donation.counted())
    )
    out = session.execute(
        select(Parcel.given_on, Parcel.parcel_type, func.sum(Parcel.weight_grams))
        .where(Parcel.counted(), Parcel.given_on < until)
        .group_by(Parcel.given_on, Parcel.parcel_type)
    ).all()
    came_in: dict[str, int] = {}
    went_out: dict[str, int] = {}  # grams by parcel type, drawn from categories at the end
    moves = sorted(
        [(day, True, key, grams) for day, key, grams in into]
        + [(day, False, key, grams) for day, key, grams in out],
        key=lambda move: move[0],
    )
    found: dict[dt.date, set[str]] = {}
    index = 0
    for day in wanted:
        while index < len(moves) and moves[index][0] < day:
            _, inward, key, grams = moves[index]
            totals = came_in if inward else went_out
            totals[key] = totals.get(key, 0) + int(grams or 0)
            index += 1
        if first_donation is None or first_donation >= day:
            found[day] = set()
            continue
        drawn: dict[str, int] = {}
        for parcel_type, grams in went_out.items():
            for category, percent in settings.contents(parcel_type).items():
                drawn[category] = drawn.get(category, 0) + grams * percent // 100
        found[day] = {
            category
            for category in codes.STOCK_CATEGORIES
            if max(0, came_in.get(category, 0) - drawn.get(category, 0))
            < settings.low_stock(category)
        }
    return found
