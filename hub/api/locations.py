"""Locations where services run, with their weekly opening times."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Select, select

from hub.db import get_session
from hub.errors import ApiError, not_found
from hub.models import Location, OpeningTime
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_locations", __name__, url_prefix="/api/v1", tag="locations")

WEEKDAY = validate.Range(min=0, max=6, error="must be 0 (Monday) to 6 (Sunday)")
POSTCODE = validate.Regexp(
    r"^$|^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$", error="is not a UK postcode"
)


class OpeningTimeSchema(Schema):
    id = fields.Integer(dump_only=True)
    weekday = fields.Integer(
        required=True, validate=WEEKDAY, metadata={"description": "0 = Monday ... 6 = Sunday"}
    )
    opens = fields.Time(required=True, metadata={"description": "HH:MM[:SS], local time"})
    closes = fields.Time(required=True, metadata={"description": "Later than opens"})

    @validates_schema
    def _closes_after_opens(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "opens" in data and "closes" in data and data["closes"] <= data["opens"]:
            raise ValidationError("must be later than opens", "closes")


class LocationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(max=2000))
    postcode = fields.String(validate=POSTCODE)
    notes = fields.String(validate=validate.Length(max=10_000))
    active = fields.Boolean()
    opening_times = fields.List(
        fields.Nested(OpeningTimeSchema),
        validate=validate.Length(max=100),
        metadata={"description": "Replaces all opening times when given."},
    )

    @validates_schema
    def _no_duplicate_sessions(self, data: dict[str, Any], **_kwargs: Any) -> None:
        starts = [(t["weekday"], t["opens"]) for t in data.get("opening_times", ())]
        if len(starts) != len(set(starts)):
            raise ValidationError(
                "two opening times start on the same day and time", "opening_times"
            )


class LocationChangeSchema(LocationSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))


class LocationQuery(Schema):
    active = fields.Boolean(metadata={"description": "Only active (or inactive) locations."})


@bp.operation(
    "/locations",
    summary="Locations and their opening times",
    permission="locations.view",
    query=LocationQuery,
    response=LocationSchema,
    paginate=True,
)
def list_locations(query: dict[str, Any]) -> Select[Any]:
    statement = select(Location).order_by(Location.name, Location.id)
    if "active" in query:
        statement = statement.where(Location.active.is_(query["active"]))
    return statement


@bp.operation(
    "/locations",
    method="POST",
    summary="Add a location",
    permission="locations.edit",
    body=LocationSchema,
    response=LocationSchema,
    status=201,
)
def create_location(body: dict[str, Any]) -> Location:
    location = Location()
    _apply(location, body)
    session = get_session()
    session.add(location)
    session.commit()
    return location


@bp.operation(
    "/locations/<int:location_id>",
    summary="One location",
    permission="locations.view",
    response=LocationSchema,
)
def get_location(location_id: int) -> Location:
    return _get(location_id)


@bp.operation(
    "/locations/<int:location_id>",
    method="PATCH",
    summary="Change a location or its opening times",
    permission="locations.edit",
    body=LocationChangeSchema,
    response=LocationSchema,
)
def update_location(location_id: int, body: dict[str, Any]) -> Location:
    location = _get(location_id)
    _apply(location, body)
    get_session().commit()
    return location


@bp.operation(
    "/locations/<int:location_id>",
    method="DELETE",
    summary="Delete a location",
    permission="locations.edit",
)
def delete_location(location_id: int) -> None:
    """Refused with 409 while a plugin's records refer to the location; set
    ``active`` to false instead to keep its history."""
    session = get_session()
    session.delete(_get(location_id))
    session.commit()


@bp.operation(
    "/locations/<int:location_id>/opening-times",
    method="POST",
    summary="Add one opening time to a location",
    permission="locations.edit",
    body=OpeningTimeSchema,
    response=OpeningTimeSchema,
    status=201,
)
def add_opening_time(location_id: int, body: dict[str, Any]) -> OpeningTime:
    location = _get(location_id)
    if any(
        (t.weekday, t.opens) == (body["weekday"], body["opens"]) for t in location.opening_times
    ):
        raise ApiError(
            409, "opening time exists", {"opens": ["the location already opens then that day"]}
        )
    opening = OpeningTime(**body)
    location.opening_times.append(opening)
    get_session().commit()
    return opening


@bp.operation(
    "/locations/<int:location_id>/opening-times/<int:opening_id>",
    method="DELETE",
    summary="Remove one opening time",
    permission="locations.edit",
)
def delete_opening_time(location_id: int, opening_id: int) -> None:
    location = _get(location_id)
    opening = next((t for t in location.opening_times if t.id == opening_id), None)
    if opening is None:
        raise not_found("opening time", opening_id)
    location.opening_times.remove(opening)
    get_session().commit()


def _get(location_id: int) -> Location:
    location = get_session().get(Location, location_id)
    if location is None:
        raise not_found("location", location_id)
    return location


def _apply(location: Location, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key == "opening_times":
            _replace_opening_times(location, value)
        elif key == "postcode":
            location.postcode = value.upper()
        else:
            setattr(location, key, value)


def _replace_opening_times(location: Location, wanted: list[dict[str, Any]]) -> None:
    # Keep rows that are unchanged, so their ids (and audit history) stay put;
    # flush removals first, since a new row may reuse a removed row's start.
    keep = {(t["weekday"], t["opens"], t["closes"]) for t in wanted}
    for opening in list(location.opening_times):
        if (opening.weekday, opening.opens, opening.closes) not in keep:
            location.opening_times.remove(opening)
    get_session().flush()
    have = {(t.weekday, t.opens, t.closes) for t in location.opening_times}
    for each in wanted:
        if (each["weekday"], each["opens"], each["closes"]) not in have:
            location.opening_times.append(OpeningTime(**each))


def blueprints() -> list[Blueprint]:
    return [bp]
