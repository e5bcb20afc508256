"""The service directory at ``/public/directory.json``: this instance's services, the
places they run and their opening times, as Open Referral UK (HSDS 3) JSON.

The document is the answer HSDS's ``GET /services`` gives: one page holding every
service, each with its organisation, its locations and their weekly schedules. It
carries only what the instance already publishes: the services its enabled plugins
offer (by their label), the instance's name and locality, and its active locations
(name, address, postcode) with their opening times. Location notes stay private:
they are written for volunteers and may name people. Each service is listed at the
places its plugin says it runs (``hub_service_locations``), else at every one.

Identifiers are UUIDs derived from the instance's base URL, so they stay the same from
one request to the next and never collide between the instances of a network.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import clock
from hub.metrics import service_labels
from hub.models import Location, OpeningTime

if TYPE_CHECKING:
    from hub.plugin_manager import PluginManager

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def identifier(*parts: object) -> str:
    """A stable UUID for the thing named by ``parts`` (the first is a base URL)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(part) for part in parts)))


def page(listed: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """HSDS's paginated answer, holding every service on one page (each id once)."""
    first: dict[str, dict[str, Any]] = {}
    for each in listed:
        first.setdefault(each["id"], each)
    services = list(first.values())
    return {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "first_page": True,
        "last_page": True,
        "empty": not services,
        "contents": services,
    }


def services(app: Flask, session: Session) -> list[dict[str, Any]]:
    """This instance's services, each with the places it runs and their opening times."""
    config = app.config
    base = config["BASE_URL"]
    labels = service_labels(app.extensions["hub.plugins"])
    locations = session.scalars(
        select(Location)
        .where(Location.active.is_(True))
        .options(selectinload(Location.opening_times))
        .order_by(Location.name, Location.id)
    ).all()
    organization = _organization(base, config["INSTANCE_NAME"], config["LOCALITY"])
    where = _where_services_run(app.extensions["hub.plugins"], session, locations)
    return [
        _service(base, plugin, label, organization, where[plugin], config["LOCALITY"])
        for plugin, label in sorted(labels.items())
    ]


def _where_services_run(
    plugins: PluginManager, session: Session, locations: Sequence[Location]
) -> dict[str, list[Location]]:
    """Each enabled plugin's active locations, as its ``hub_service_locations`` names
    them; every active location for a plugin that names none, or whose answer failed."""
    answer = plugins.collect("hub_service_locations", int, session=session, today=clock.today())
    failed = answer.failed()
    named = {plugin: set(ids) for plugin, ids in answer.values if plugin not in failed}
    where: dict[str, list[Location]] = {}
    for plugin in plugins.enabled_names():
        used = [location for location in locations if location.id in named.get(plugin, ())]
        where[plugin] = used or list(locations)
    return where


def _organization(base: str, name: str, locality: Mapping[str, str]) -> dict[str, Any]:
    where = ", ".join(part for part in (locality.get("town"), locality.get("region")) if part)
    return {
        "id": identifier(base),
        "name": name,
        "description": f"Community services in {where}" if where else "Community services",
        "website": f"{base}/public",
    }


def _service(
    base: str,
    plugin: str,
    label: str,
    organization: dict[str, Any],
    locations: Iterable[Location],
    locality: Mapping[str, str],
) -> dict[str, Any]:
    service_id = identifier(base, "services", plugin)
    at_locations: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] = []
    for location in locations:
        here = identifier(base, "services", plugin, "locations", location.id)
        at_locations.append(
            {
                "id": here,
                "service_id": service_id,
                "location_id": identifier(base, "locations", location.id),
                "location": _location(base, location, locality),
            }
        )
        schedules.extend(_schedule(service_id, here, time) for time in location.opening_times)
    return {
        "id": service_id,
        "organization_id": organization["id"],
        "name": label,
        "status": "active",
        "url": f"{base}/public",
        "organization": organization,
        "service_at_locations": at_locations,
        "schedules": schedules,
    }


def _location(base: str, location: Location, locality: Mapping[str, str]) -> dict[str, Any]:
    location_id = identifier(base, "locations", location.id)
    found: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "name": location.name,
    }
    lines = [line.strip() for line in location.address.splitlines() if line.strip()]
    if lines or location.postcode:
        found["addresses"] = [
            {
                "id": identifier(base, "locations", location.id, "address"),
                "location_id": location_id,
                "address_1": ", ".join(lines),
                "city": locality.get("town", ""),
                "state_province": locality.get("region", ""),
                "postal_code": location.postcode,
                "country": locality.get("country", "GB"),
                "address_type": "physical",
            }
        ]
    return found


def _schedule(service_id: str, at_location: str, time: OpeningTime) -> dict[str, Any]:
    return {
        "id": identifier(at_location, "schedules", time.weekday, time.opens.isoformat()),
        "service_id": service_id,
        "service_at_location_id": at_location,
        "freq": "WEEKLY",
        "byday": DAYS[time.weekday],
        "opens_at": _hhmm(time.opens),
        "closes_at": _hhmm(time.closes),
        "description": f"Every {_day_name(time.weekday)}, {_hhmm(time.opens)} to {_hhmm(time.closes)}",
    }


def _hhmm(moment: dt.time) -> str:
    return moment.strftime("%H:%M")


def _day_name(weekday: int) -> str:
    return dt.date(2024, 1, 1 + weekday).strftime("%A")  # 2024-01-01 was a Monday
