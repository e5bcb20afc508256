"""The iCalendar feed of upcoming public events, for calendars and websites."""

from __future__ import annotations

import datetime as dt
from typing import Any, TextIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import plugin_api as api
from hub_repaircafe.models import RepairEvent

DEFAULT_HOURS = (dt.time(10, 0), dt.time(13, 0))


def upcoming_public(session: Session, today: dt.date) -> list[RepairEvent]:
    """This group's public events from ``today`` on, soonest first."""
    return list(
        session.scalars(
            select(RepairEvent)
            .where(
                RepairEvent.date >= today,
                RepairEvent.public.is_(True),
                RepairEvent.group_identifier == "",
            )
            .options(selectinload(RepairEvent.location))
            .order_by(RepairEvent.date, RepairEvent.starts_at, RepairEvent.id)
        )
    )


def calendar(events: list[RepairEvent], today: dt.date) -> bytes:
    info = api.instance_info()
    settings = api.plugin_settings("repaircafe")
    zone = ZoneInfo(settings["timezone"])
    host = urlsplit(info["base_url"]).hostname or "localhost"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Community Hub//repaircafe//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{info['name']}: repair café")
    stamp = dt.datetime.combine(today, dt.time(0, 0), tzinfo=dt.UTC)
    for event in events:
        starts = event.starts_at or DEFAULT_HOURS[0]
        ends = event.ends_at or DEFAULT_HOURS[1]
        entry = icalendar.Event()
        entry.add("uid", f"repaircafe-event-{event.id}@{host}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", dt.datetime.combine(event.date, starts, tzinfo=zone))
        entry.add("dtend", dt.datetime.combine(event.date, ends, tzinfo=zone))
        entry.add("summary", event.title)
        if event.location is not None:
            place = ", ".join(
                part
                for part in (event.location.name, event.location.address, event.location.postcode)
                if part
            )
            entry.add("location", place)
        if event.notes:
            entry.add("description", event.notes)
        cal.add_component(entry)
    return cal.to_ical()


def write(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    """``hub export repaircafe-ical``: the same feed as the public page offers."""
    today = api.today()
    events = upcoming_public(session, today)
    stream.write(calendar(events, today).decode())
    return len(events)
