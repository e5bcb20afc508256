"""Repair café records: events, the items repaired at them, and impact factors.

Nothing here is personal data: a repair record describes an object and what
happened to it, never the visitor who brought it. Fixers are users of the
instance (volunteers), referenced by id.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin_api import Location, Model, User, Voidable, now


class RepairEvent(Model):
    """A repair café session. ``group_identifier`` is empty for this group's own
    events and names the group for events imported from a network's ORDS file."""

    __tablename__ = "repaircafe_event"
    __table_args__ = (Index("ix_repaircafe_event_group_date", "group_identifier", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="Repair Café")
    date: Mapped[dt.date] = mapped_column(index=True)
    starts_at: Mapped[dt.time | None]
    ends_at: Mapped[dt.time | None]
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("location.id", ondelete="SET NULL"), index=True
    )
    fixers_present: Mapped[int | None]
    visitors: Mapped[int | None]
    group_identifier: Mapped[str] = mapped_column(String(200), default="")
    public: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)

    location: Mapped[Location | None] = relationship()
    records: Mapped[list[RepairRecord]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


class RepairRecord(Voidable, Model):
    """One item brought to an event, with the ORDS v0.3 fields and the group's extras."""

    __tablename__ = "repaircafe_record"
    # No index on the category: one group's records filter fast without one, and
    # every index slows the bulk import of a network's file.
    __table_args__ = (Index("ix_repaircafe_record_event_status", "event_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("repaircafe_event.id", ondelete="CASCADE"))
    # The record's ORDS id when it came from elsewhere (normalised to letters-digits);
    # records made here are exported as <id_prefix>-<id>.
    ords_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    data_provider: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(3), default="")
    product_category_id: Mapped[int]
    partner_category: Mapped[str] = mapped_column(String(200), default="")
    brand: Mapped[str] = mapped_column(String(120), default="")
    year_of_manufacture: Mapped[int | None]
    # Float, as the migration made it (SQLAlchemy 2.1 would map a bare float to Double).
    product_age: Mapped[float | None] = mapped_column(Float)
    problem: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))
    barrier: Mapped[str | None] = mapped_column(String(40))
    fixer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    parts_needed: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    weight_g: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)

    event: Mapped[RepairEvent] = relationship(back_populates="records")
    fixer: Mapped[User | None] = relationship()


class CategoryImpact(Model):
    """An admin's override of the shipped weight and emission factor for a category."""

    __tablename__ = "repaircafe_category_impact"

    product_category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    weight_g: Mapped[int]
    co2e_g_per_kg: Mapped[int]
    source: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)


MODELS = (RepairEvent, RepairRecord, CategoryImpact)
