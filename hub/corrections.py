"""Corrections and voids: how a coordinator puts a wrong record right.

A record is never deleted for being wrong. A correction changes its fields and a void
marks it as not to be counted, each with the coordinator's reason, and both are in
the audit log (the ORM logs the change; :func:`correct` and :func:`void` add an entry
with the reason and, for a correction, each field's value before and after). Voided
records stay on the lists, marked, and leave every figure: a plugin's queries count
``Model.counted()`` rows only, so the next published summary is a new revision.

    class Parcel(api.Voidable, api.Model): ...

    api.void(session, parcel, "logged against the wrong household")
    api.correct(session, parcel, {"weight_grams": 9000}, "weighed again")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from marshmallow import validate
from sqlalchemy import ColumnElement, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from hub import audit, fields
from hub.clock import now
from hub.db import Model, UTCDateTime
from hub.errors import FieldError
from hub.forms import Schema

REASON_LENGTH = (3, 300)
REASON_ERROR = "Say why, in 3 to 300 characters."
REASON = validate.Length(min=REASON_LENGTH[0], max=REASON_LENGTH[1], error=REASON_ERROR)


def reason_field(**kwargs: Any) -> fields.String:
    """The reason a coordinator gives for a correction or a void (required)."""
    return fields.String(
        required=True,
        validate=REASON,
        error_messages={"required": "Say why (the audit log keeps it)."},
        **kwargs,
    )


class VoidIn(Schema):
    """What voiding a record takes: the reason."""

    reason = reason_field(metadata={"description": "Why the record is voided (kept in the log)"})


V = TypeVar("V", bound="Voidable")


class Voidable:
    """A mixin for records a coordinator can void: when and why, kept on the row."""

    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True))
    void_reason: Mapped[str] = mapped_column(String(300), default="")

    @classmethod
    def counted(cls) -> ColumnElement[bool]:
        """The condition of a row that counts (not voided), for a query's ``where``."""
        column: Any = cls.voided_at
        return column.is_(None)

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


def void(session: Session, record: V, reason: str) -> V:
    """Void ``record`` with ``reason`` (not committed); a record is voided once."""
    if record.voided_at is not None:
        raise FieldError("reason", "this record was already voided")
    reason = _checked(reason)
    record.voided_at = now()
    record.void_reason = reason
    _log(session, "void", record, {"reason": reason})
    return record


def correct(session: Session, record: Model, values: Mapping[str, Any], reason: str) -> list[str]:
    """Set ``values`` on ``record`` (not committed) and log each change with ``reason``:
    the names of the fields that changed (none: nothing is logged)."""
    if getattr(record, "voided_at", None) is not None:
        raise FieldError("reason", "a voided record cannot be corrected")
    reason = _checked(reason)
    columns = record.__table__.columns
    changes: dict[str, Any] = {}
    for key, value in values.items():
        before = getattr(record, key)
        if before != value:
            personal = key in columns and columns[key].info.get("personal")
            changes[key] = audit.PERSONAL if personal else [before, value]
            setattr(record, key, value)
    if changes:
        _log(session, "correct", record, {"reason": reason, **changes})
        # Written now, and read back: a changed key must not leave a stale relationship
        # (a voucher's agency) on the record for the rest of the request.
        session.flush()
        session.expire(record)
    return sorted(changes)


def _checked(reason: str) -> str:
    reason = reason.strip()
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise FieldError("reason", REASON_ERROR)
    return reason


def _log(session: Session, action: str, record: Any, changes: dict[str, Any]) -> None:
    audit.record(session, action, record.__tablename__, record.id, **changes)
