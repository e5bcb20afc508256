"""Locations where services run and their weekly opening times: the rules the API and
the locations pages share."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate, validates_schema
from sqlalchemy.orm import Session

from hub import fields
from hub.errors import FieldError
from hub.forms import Schema
from hub.models import Location, OpeningTime

WEEKDAY = validate.Range(min=0, max=6, error="must be 0 (Monday) to 6 (Sunday)")
POSTCODE = validate.Regexp(
    r"^$|^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$",
    error="Enter a UK postcode, like CF11 6AA.",
)


class OpeningTimeSchema(Schema):
    id = fields.Integer(dump_only=True)
    weekday = fields.Integer(
        required=True,
        validate=WEEKDAY,
        error_messages={"required": "Choose the day, or clear the times."},
        metadata={"description": "0 = Monday ... 6 = Sunday"},
    )
    opens = fields.Time(
        required=True,
        error_messages={"required": "Enter the opening time."},
        metadata={"description": "HH:MM[:SS], local time"},
    )
    closes = fields.Time(
        required=True,
        error_messages={"required": "Enter the closing time."},
        metadata={"description": "Later than opens"},
    )

    @validates_schema
    def _closes_after_opens(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["closes"] <= data["opens"]:
            raise FieldError("closes", "The closing time must be after the opening time.")


class LocationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        error_messages={"required": "Enter a name."},
    )
    address = fields.String(validate=validate.Length(max=2000))
    postcode = fields.String(validate=[validate.Length(max=10), POSTCODE])
    notes = fields.String(validate=validate.Length(max=10_000))
    active = fields.Boolean()
    opening_times = fields.List(
        fields.Nested(OpeningTimeSchema),
        validate=validate.Length(max=100),
        metadata={"description": "Replaces all opening times when given."},
    )

    @validates_schema
    def _no_duplicate_sessions(self, data: dict[str, Any], **_kwargs: Any) -> None:
        seen: set[tuple[int, Any]] = set()
        for index, each in enumerate(data.get("opening_times", ())):
            start = (each["weekday"], each["opens"])
            if start in seen:
                message = "This day already has a time opening then."
                raise ValidationError({"opening_times": {index: {"opens": [message]}}})
            seen.add(start)


class LocationChangeSchema(LocationSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))


def apply(session: Session, location: Location, values: dict[str, Any]) -> None:
    """Set ``values`` (as a location schema loads them) on ``location``."""
    for key, value in values.items():
        if key == "opening_times":
            _replace_opening_times(session, location, value)
        elif key == "postcode":
            location.postcode = value.upper()
        else:
            setattr(location, key, value)


def _replace_opening_times(session: Session, location: Location, wanted: list[Any]) -> None:
    """Keep rows whose day and opening time stay (changing only their closing time), so
    the audit log shows real changes and ids stay put; removals are flushed first, since
    a new row may reuse a removed row's start."""
    closing = {(each["weekday"], each["opens"]): each["closes"] for each in wanted}
    for time in list(location.opening_times):
        key = (time.weekday, time.opens)
        if key in closing:
            time.closes = closing.pop(key)
        else:
            location.opening_times.remove(time)
    session.flush()
    for (weekday, opens), closes in sorted(closing.items()):
        location.opening_times.append(OpeningTime(weekday=weekday, opens=opens, closes=closes))
