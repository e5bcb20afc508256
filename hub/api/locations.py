"""Locations where services run, with their weekly opening times."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from hub import fields, locations
from hub.db import get_or_404, get_session
from hub.errors import ApiError
from hub.forms import Schema
from hub.locations import LocationChangeSchema, LocationSchema, OpeningTimeSchema
from hub.models import Location, OpeningTime
from hub.rest import ApiBlueprint

bp = ApiBlueprint("api_locations", __name__, url_prefix="/api/v1", tag="locations")


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
    # Opening times in one more query, not one per location.
    statement = (
        select(Location)
        .options(selectinload(Location.opening_times))
        .order_by(Location.name, Location.id)
    )
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
    session = get_session()
    locations.apply(session, location, body)
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
    locations.apply(get_session(), location, body)
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
        raise ApiError(404, "opening time not found", {"id": opening_id})
    location.opening_times.remove(opening)
    get_session().commit()


def _get(location_id: int) -> Location:
    return get_or_404(Location, location_id)


def blueprints() -> list[Blueprint]:
    return [bp]
