"""The fridge's tables: food given in, and visits. Nothing here names anyone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub import plugin_api as api


class Donation(api.Model):
    __tablename__ = "fridge_donation"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_on: Mapped[dt.date] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(20))  # a code of service.SOURCES
    grams: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=api.now)


class Visit(api.Model):
    __tablename__ = "fridge_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    visited_on: Mapped[dt.date] = mapped_column(index=True)
    people: Mapped[int]  # how many people the food taken is for
    created_at: Mapped[dt.datetime] = mapped_column(default=api.now)
