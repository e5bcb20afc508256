"""The food bank's tables: households, agencies, vouchers, parcels, donations, stock.

Households hold only what a parcel needs. Parcels, vouchers and their reasons are
the anonymous records every published figure is computed from; erasing a
household blanks its personal fields and keeps those records. A parcel, voucher or
donation recorded in error is voided (kept, with the reason) and counts no more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin_api import Location, Model, Person, Voidable, now, personal
from hub_foodbank.i18n import N_


class Household(Model):
    __tablename__ = "foodbank_household"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short reference volunteers read out and type on a phone; never a name.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    adults: Mapped[int] = mapped_column(default=1)
    children_0_4: Mapped[int] = mapped_column(default=0)
    children_5_11: Mapped[int] = mapped_column(default=0)
    children_12_17: Mapped[int] = mapped_column(default=0)
    # Dietary needs can reveal religion or health (special category data).
    dietary: Mapped[list[Any]] = personal(JSON, default=list)
    allergies: Mapped[str] = personal(Text, default="")
    postcode_district: Mapped[str] = personal(String(4), default="")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    anonymised_at: Mapped[dt.datetime | None]

    person: Mapped[Person | None] = relationship()
    vouchers: Mapped[list[Voucher]] = relationship(back_populates="household")

    @property
    def children(self) -> int:
        return self.children_0_4 + self.children_5_11 + self.children_12_17

    @property
    def size(self) -> int:
        return self.adults + self.children


class Agency(Model):
    __tablename__ = "foodbank_agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    agency_type: Mapped[str] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Voucher(Voidable, Model):
    __tablename__ = "foodbank_voucher"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("foodbank_agency.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("foodbank_household.id"), index=True)
    issued_on: Mapped[dt.date] = mapped_column(index=True)
    valid_until: Mapped[dt.date]
    redeemed_on: Mapped[dt.date | None]
    notes: Mapped[str] = personal(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    agency: Mapped[Agency] = relationship(lazy="joined")
    household: Mapped[Household] = relationship(back_populates="vouchers")
    reason_rows: Mapped[list[VoucherReason]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def reasons(self) -> list[str]:
        return sorted(row.reason for row in self.reason_rows)

    @reasons.setter
    def reasons(self, codes: list[str]) -> None:
        self.reason_rows = [VoucherReason(reason=code) for code in sorted(set(codes))]

    def status(self, today: dt.date) -> str:
        if self.voided_at is not None:
            return N_("void")
        if self.redeemed_on is not None:
            return N_("redeemed")
        if today > self.valid_until:
            return N_("expired")
        if today < self.issued_on:
            return N_("not yet valid")
        return N_("valid")


class VoucherReason(Model):
    """One referral reason on a voucher (a row each, so figures are a GROUP BY)."""

    __tablename__ = "foodbank_voucher_reason"

    voucher_id: Mapped[int] = mapped_column(
        ForeignKey("foodbank_voucher.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)


class Parcel(Voidable, Model):
    __tablename__ = "foodbank_parcel"
    __table_args__ = (Index("ix_foodbank_parcel_household_given", "household_id", "given_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    given_on: Mapped[dt.date] = mapped_column(index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("foodbank_household.id"))
    # Unique: a voucher is redeemed once, whichever volunteer or worker gets there first.
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("foodbank_voucher.id"), unique=True)
    parcel_type: Mapped[str] = mapped_column(String(20))
    adults: Mapped[int]
    children: Mapped[int]
    weight_grams: Mapped[int]
    method: Mapped[str] = mapped_column(String(10), default="collected")
    # Unique: a repeated submission (double tap, retried request) finds the first parcel
    # instead of making a second, across every worker process.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    location: Mapped[Location] = relationship(lazy="joined")
    household: Mapped[Household] = relationship()
    voucher: Mapped[Voucher | None] = relationship()
    signpost_rows: Mapped[list[ParcelSignpost]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def signposting(self) -> list[str]:
        return sorted(row.code for row in self.signpost_rows)

    @signposting.setter
    def signposting(self, codes: list[str]) -> None:
        self.signpost_rows = [ParcelSignpost(code=code) for code in sorted(set(codes))]

    @property
    def household_code(self) -> str:
        return self.household.code

    @property
    def voucher_code(self) -> str | None:
        return self.voucher.code if self.voucher else None


class ParcelSignpost(Model):
    """Further help offered with a parcel (debt advice, energy support...)."""

    __tablename__ = "foodbank_parcel_signpost"

    parcel_id: Mapped[int] = mapped_column(
        ForeignKey("foodbank_parcel.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class Donation(Voidable, Model):
    __tablename__ = "foodbank_donation"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_on: Mapped[dt.date] = mapped_column(index=True)
    donor_type: Mapped[str] = mapped_column(String(20))
    # An organisation's name (a supermarket, a church); blank for members of the public.
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)

    lines: Mapped[list[DonationLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DonationLine.id"
    )

    @property
    def weight_grams(self) -> int:
        return sum(line.grams for line in self.lines)

    @property
    def line_items(self) -> list[dict[str, Any]]:
        """The lines as values (category, grams, best_before), to compare and correct."""
        return sorted(
            (
                {"category": line.category, "grams": line.grams, "best_before": line.best_before}
                for line in self.lines
            ),
            key=lambda item: (item["category"], item["grams"]),
        )

    @line_items.setter
    def line_items(self, items: list[dict[str, Any]]) -> None:
        self.lines = [DonationLine(**item) for item in items]


class DonationLine(Model):
    __tablename__ = "foodbank_donation_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(
        ForeignKey("foodbank_donation.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(30), index=True)
    grams: Mapped[int]
    best_before: Mapped[dt.date | None]


class StockAdjustment(Model):
    """A correction to stock on hand: a stock count, waste, a transfer out."""

    __tablename__ = "foodbank_stock_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    made_on: Mapped[dt.date]
    category: Mapped[str] = mapped_column(String(30), index=True)
    grams: Mapped[int]  # positive adds to stock, negative removes
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


MODELS: tuple[type[Model], ...] = (
    Household,
    Agency,
    Voucher,
    VoucherReason,
    Parcel,
    ParcelSignpost,
    Donation,
    DonationLine,
    StockAdjustment,
)
