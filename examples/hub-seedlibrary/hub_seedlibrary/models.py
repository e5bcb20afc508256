"""The seed library's tables: every name starts with ``seedlibrary_``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub import plugin_api as api

# Crops are a codelist: a network adds up packets of beans from every town as
# the same thing, whatever each group calls its shelves.
CROPS = {
    "beans": "Beans",
    "peas": "Peas",
    "tomatoes": "Tomatoes",
    "squash": "Squashes and courgettes",
    "brassicas": "Brassicas",
    "roots": "Root vegetables",
    "salad": "Salad leaves",
    "herbs": "Herbs",
    "flowers": "Flowers",
    "other": "Other",
}


class Variety(api.Model):
    """A seed variety on the library's shelves, with its stock of packets."""

    __tablename__ = "seedlibrary_variety"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    crop: Mapped[str] = mapped_column(String(20))
    packets_in_stock: Mapped[int] = mapped_column(default=0)
    saved_locally: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=api.utcnow)


class Loan(api.Model):
    """Packets lent to a member of the core people registry.

    The loan stays linked to the person's registry entry after erasure (which
    blanks the entry rather than deleting it), so counts of borrowers survive.
    """

    __tablename__ = "seedlibrary_loan"

    id: Mapped[int] = mapped_column(primary_key=True)
    variety_id: Mapped[int] = mapped_column(ForeignKey("seedlibrary_variety.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    packets: Mapped[int]
    lent_on: Mapped[dt.date] = mapped_column(index=True)
    returned_on: Mapped[dt.date | None] = mapped_column(index=True)
    packets_returned: Mapped[int] = mapped_column(default=0)
    # Free text ("growing on plot 14") can say who someone is: personal data.
    note: Mapped[str] = api.personal(Text, default="")

    variety: Mapped[Variety] = relationship()
