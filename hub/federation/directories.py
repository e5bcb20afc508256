"""Members' service directories, served together at an aggregator's
``/public/directory.json``.

The federation protocol carries signed figures, not directories, so an aggregator
fetches each directly pinned instance's ``/public/directory.json`` (hub/directory.py)
after a sync, with the federation's HTTP client (private addresses refused unless
allowed, a size limit of its own). The answer is read strictly: only the fields this
software publishes are kept, each checked for type and length, and only services under
the member's own id, one per plugin its pinned descriptor names (or, from an
aggregator, under the id of an instance it vouches for, checked against that
instance's own pinned descriptor). A member that cannot be reached (most run behind
home routers) keeps the directory last fetched; a directory that breaks the rules
replaces nothing. Either way the sync goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import get_session, utcnow
from hub.directory import identifier
from hub.federation.models import Origin
from hub.federation.net import Client, PeerError

log = logging.getLogger("hub.federation")

MAX_DIRECTORY_BYTES = 2 * 1024 * 1024
MAX_SERVICES = 50
MAX_LOCATIONS = 200
MAX_SCHEDULES = 2_000
# Instances this one trusts directly; ids an aggregator vouches for are reached through it.
FETCHED = ("member", "followed")

HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _text(most: int, *, required: bool = True, least: int = 0) -> fields.String:
    return fields.String(required=required, validate=validate.Length(min=least, max=most))


class _Strict(Schema):
    class Meta:
        unknown = EXCLUDE  # a newer version may publish more; only what is known is kept


class AddressSchema(_Strict):
    id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    address_1 = _text(2000)
    city = _text(120)
    state_province = _text(120)
    postal_code = _text(10)
    country = _text(10)
    address_type = fields.String(required=True, validate=validate.OneOf(["physical"]))


class LocationSchema(_Strict):
    id = fields.UUID(required=True)
    location_type = fields.String(required=True, validate=validate.OneOf(["physical"]))
    name = _text(200, least=1)
    addresses = fields.List(fields.Nested(AddressSchema), validate=validate.Length(max=1))


class ServiceAtLocationSchema(_Strict):
    id = fields.UUID(required=True)
    service_id = fields.UUID(required=True)
    location_id = fields.UUID(required=True)
    location = fields.Nested(LocationSchema, required=True)


class ScheduleSchema(_Strict):
    id = fields.UUID(required=True)
    service_id = fields.UUID(required=True)
    service_at_location_id = fields.UUID(required=True)
    freq = fields.String(required=True, validate=validate.OneOf(["WEEKLY"]))
    byday = fields.String(
        required=True, validate=validate.OneOf(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
    )
    opens_at = fields.String(required=True, validate=HHMM)
    closes_at = fields.String(required=True, validate=HHMM)
    description = _text(200)


class OrganizationSchema(_Strict):
    id = fields.UUID(required=True)
    name = _text(200, least=1)
    description = _text(500)
    website = fields.Url(required=True, require_tld=False)


class ServiceSchema(_Strict):
    id = fields.UUID(required=True)
    organization_id = fields.UUID(required=True)
    name = _text(80, least=1)
    status = fields.String(required=True, validate=validate.OneOf(["active"]))
    url = fields.Url(required=True, require_tld=False)
    organization = fields.Nested(OrganizationSchema, required=True)
    service_at_locations = fields.List(
        fields.Nested(ServiceAtLocationSchema),
        required=True,
        validate=validate.Length(max=MAX_LOCATIONS),
    )
    schedules = fields.List(
        fields.Nested(ScheduleSchema), required=True, validate=validate.Length(max=MAX_SCHEDULES)
    )

    @validates_schema
    def _links_hold(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Everything in a service points at that service and its own places."""
        places = {each["id"] for each in data["service_at_locations"]}
        if data["organization_id"] != data["organization"]["id"]:
            raise ValidationError("organization_id is not its organization's id")
        if any(each["service_id"] != data["id"] for each in data["service_at_locations"]):
            raise ValidationError("a service_at_location names another service")
        for schedule in data["schedules"]:
            if schedule["service_id"] != data["id"]:
                raise ValidationError("a schedule names another service")
            if schedule["service_at_location_id"] not in places:
                raise ValidationError("a schedule names a place the service is not at")


class PageSchema(_Strict):
    contents = fields.List(
        fields.Nested(ServiceSchema), required=True, validate=validate.Length(max=MAX_SERVICES)
    )


class DirectoryRefused(ValueError):
    """A member's directory breaks the rules; ``str()`` says how."""


def read(
    origin: Origin, answer: Any, vouched: Mapping[str, Origin] | None = None
) -> list[dict[str, Any]]:
    """The services of ``origin``'s directory ``answer``, checked and as JSON again.

    Each service must be ``origin``'s own or, when ``origin`` is an aggregator, one of
    an instance it vouches for (``vouched``, by URL): a network of networks reads the
    towns' services in their region's directory, each checked against the town's own
    pinned descriptor, never taken on the region's word alone."""
    if not isinstance(answer, dict):
        raise DirectoryRefused("the directory is not a JSON object")
    try:
        services = PageSchema().load(answer)["contents"]
    except ValidationError as exc:
        raise DirectoryRefused(f"the directory is malformed: {exc.messages}") from None
    owners = {origin.origin: origin, **(vouched or {})}
    by_id = {service_id: owner for owner in owners.values() for service_id in _services_of(owner)}
    for service in services:
        owner = by_id.get(str(service["id"]))
        if owner is None:
            raise DirectoryRefused(
                f"service {service['id']} is not one of {origin.origin}'s plugins"
                + (" or an instance it vouches for" if vouched is not None else "")
            )
        if str(service["organization"]["id"]) != identifier(owner.origin):
            raise DirectoryRefused(f"service {service['id']} is not {owner.origin}'s")
        for link in (service["url"], service["organization"]["website"]):
            if link != f"{owner.origin}/public":
                raise DirectoryRefused(f"{link!r} is not {owner.origin}'s public page")
    if len({service["id"] for service in services}) != len(services):
        raise DirectoryRefused("a service is listed twice")
    return [ServiceSchema().dump(service) for service in services]


def _services_of(owner: Origin) -> set[str]:
    """The ids of the services ``owner``'s pinned descriptor says it runs."""
    plugins = [each.get("name") for each in owner.descriptor.get("plugins", ())]
    return {str(identifier(owner.origin, "services", name)) for name in plugins}


def _vouched_through(session: Session, origin: Origin) -> dict[str, Origin] | None:
    """The instances ``origin`` vouches for, by URL; ``None`` unless it is trusted as
    an aggregator."""
    if origin.role != "aggregator":
        return None
    rows = session.scalars(
        select(Origin).where(Origin.relation == "vouched", Origin.vouched_by == origin.origin)
    )
    return {each.origin: each for each in rows}


@dataclass
class Refresh:
    """What one refresh did: directories stored, and each member that failed, and why."""

    stored: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        failures = "".join(f"\n  {origin}: {error}" for origin, error in self.failed.items())
        return f"directories: {self.stored} fetched, {len(self.failed)} not{failures}"


def refresh(app: Flask, client: Client) -> Refresh:
    """Fetch, check and store the directory of every directly trusted instance."""
    session = get_session()
    done = Refresh()
    origins = session.scalars(
        select(Origin).where(Origin.relation.in_(FETCHED)).order_by(Origin.origin)
    ).all()
    with Client(
        allow_private=client.allow_private,
        timeout=client.timeout,
        retries=0,
        max_bytes=MAX_DIRECTORY_BYTES,
    ) as fetcher:
        for origin in origins:
            try:
                answer = fetcher.get(f"{origin.origin}/public/directory.json")
                services = read(origin, answer, _vouched_through(session, origin))
            except (PeerError, DirectoryRefused) as exc:
                done.failed[origin.origin] = str(exc)
                log.warning("federation: directory of %s not stored: %s", origin.origin, exc)
                continue
            except Exception as exc:  # one member must never stop the others
                log.exception("federation: directory of %s: unexpected error", origin.origin)
                done.failed[origin.origin] = f"{type(exc).__name__}: {exc}"
                continue
            origin.directory, origin.directory_at = services, utcnow()
            session.commit()
            done.stored += 1
    return done


def members_services(session: Session) -> list[dict[str, Any]]:
    """The services of every stored member directory, by member."""
    rows = session.scalars(
        select(Origin.directory)
        .where(Origin.relation.in_(FETCHED), Origin.directory.is_not(None))
        .order_by(Origin.name, Origin.origin)
    )
    return [service for services in rows for service in services or ()]
