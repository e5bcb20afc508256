"""One table: a visit by a person on a day, with a personal note and who logged it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.plugin_api import Model, now, personal


class Visit(Model):
    __tablename__ = "testvisits_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Cleared on erasure; ``visitor`` is an opaque key that keeps the count of
    # different visitors right afterwards without saying who they were.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    visitor: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date]
    note: Mapped[str] = personal(Text, default="")
    # The volunteer who logged it: unlinked when their account is erased.
    logged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    logged_at: Mapped[dt.datetime] = mapped_column(default=now)
