"""What the repair café does with events and records: finding them, and the rules for
creating and changing them. api.py and views.py both call these functions; a value that
does not fit is an ``api.FieldError`` naming its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from hub import plugin_api as api
from hub.plugin_api import FieldError
from hub_repaircafe.models import RepairEvent, RepairRecord

# The service directory lists the repair café where its own events met in the last year
# or are planned: a café that meets in the library every month runs there.
RECENT_USE = dt.timedelta(days=365)


def events_query(filters: dict[str, Any], today: dt.date) -> Select[RepairEvent]:
    """Events matching ``filters`` (as ``schemas.EventQuery`` loads them), newest first."""
    statement = select(RepairEvent).options(selectinload(RepairEvent.location))
    if "date_from" in filters:
        statement = statement.where(RepairEvent.date >= filters["date_from"])
    if "date_to" in filters:
        statement = statement.where(RepairEvent.date <= filters["date_to"])
    if filters.get("upcoming"):
        statement = statement.where(RepairEvent.date >= today)
    if "location_id" in filters:
        statement = statement.where(RepairEvent.location_id == filters["location_id"])
    if filters.get("own"):
        statement = statement.where(RepairEvent.group_identifier == "")
    order = RepairEvent.date.asc() if filters.get("upcoming") else RepairEvent.date.desc()
    return statement.order_by(order, RepairEvent.id.desc())


def records_query(filters: dict[str, Any]) -> Select[RepairRecord]:
    """Records matching ``filters`` (as ``schemas.RecordQuery`` loads them): every word of
    ``q`` in the problem, brand or group category."""
    statement = (
        select(RepairRecord)
        .join(RepairEvent, RepairEvent.id == RepairRecord.event_id)
        .options(selectinload(RepairRecord.event), selectinload(RepairRecord.fixer))
    )
    if "event_id" in filters:
        statement = statement.where(RepairRecord.event_id == filters["event_id"])
    if "category" in filters:
        statement = statement.where(RepairRecord.product_category_id == filters["category"])
    if "status" in filters:
        statement = statement.where(RepairRecord.status == filters["status"])
    if "barrier" in filters:
        statement = statement.where(RepairRecord.barrier == filters["barrier"])
    if filters.get("brand"):
        statement = statement.where(func.lower(RepairRecord.brand) == filters["brand"].lower())
    if filters.get("q"):
        statement = statement.where(
            api.text_search(
                filters["q"],
                RepairRecord.problem,
                RepairRecord.brand,
                RepairRecord.partner_category,
            )
        )
    if "date_from" in filters:
        statement = statement.where(RepairEvent.date >= filters["date_from"])
    if "date_to" in filters:
        statement = statement.where(RepairEvent.date <= filters["date_to"])
    return statement.order_by(RepairEvent.date.desc(), RepairRecord.id.desc())


def _check_location(session: Session, location_id: int | None) -> None:
    if location_id is not None and session.get(api.Location, location_id) is None:
        raise FieldError("location_id", f"there is no location {location_id}")


def apply_event(session: Session, event: RepairEvent, values: dict[str, Any]) -> RepairEvent:
    """Set ``values`` on ``event`` (new or existing) after checking references."""
    if "location_id" in values:
        _check_location(session, values["location_id"])
    for key, value in values.items():
        setattr(event, key, value)
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        raise FieldError("ends_at", "must be after starts_at")
    if event.id is None:
        session.add(event)
    return event


def add_record(session: Session, values: dict[str, Any]) -> RepairRecord:
    """A new record of ``values`` (not committed); a barrier only at end of life."""
    record = RepairRecord()
    for key, value in _checked_record(session, record, values).items():
        setattr(record, key, value)
    session.add(record)
    return record


def correct_record(
    session: Session, record: RepairRecord, values: dict[str, Any], reason: str
) -> list[str]:
    """Correct a logged record with a coordinator's ``reason``: the same checks as logging
    it, and each changed field's value before and after in the audit log. The names of
    the fields that changed; a voided record cannot be corrected."""
    return api.correct(session, record, _checked_record(session, record, values), reason)


def _checked_record(
    session: Session, record: RepairRecord, values: dict[str, Any]
) -> dict[str, Any]:
    """``values`` checked against the references and the barrier rule, as they would
    leave ``record``; moving the status away from end of life clears the barrier."""
    if "event_id" in values and session.get(RepairEvent, values["event_id"]) is None:
        raise FieldError("event_id", f"there is no event {values['event_id']}")
    if values.get("fixer_id") is not None and session.get(api.User, values["fixer_id"]) is None:
        raise FieldError("fixer_id", f"there is no user {values['fixer_id']}")
    values = dict(values)
    if values.get("status", record.status) != "end_of_life":
        if values.get("barrier"):
            raise FieldError("barrier", "a barrier is given only when the status is end_of_life")
        values["barrier"] = None
    elif not values.get("barrier", record.barrier):
        raise FieldError("barrier", "say what stopped the repair (the barrier)")
    return values


def fixer_records(session: Session, user: api.User) -> dict[str, Any] | None:
    """What the café holds about a volunteer: the repairs they are named as fixer of."""
    rows = session.execute(
        select(
            RepairRecord.id, RepairEvent.date, RepairRecord.product_category_id, RepairRecord.status
        )
        .join(RepairRecord.event)
        .where(RepairRecord.fixer_id == user.id)
        .order_by(RepairEvent.date, RepairRecord.id)
    ).all()
    if not rows:
        return None
    return {
        "repairs_fixed": [
            {
                "record": id_,
                "date": day.isoformat(),
                "product_category_id": category,
                "status": status,
            }
            for id_, day, category, status in rows
        ]
    }


def forget_fixer(session: Session, user: api.User) -> int:
    """Unlink an erased volunteer from their repairs; the repairs stay, and count."""
    records = session.scalars(select(RepairRecord).where(RepairRecord.fixer_id == user.id)).all()
    for record in records:
        record.fixer_id = None
    return len(records)


def locations_in_use(session: Session, today: dt.date) -> list[int]:
    """The locations of this group's own events of the last year, planned ones included."""
    return list(
        session.scalars(
            select(RepairEvent.location_id)
            .where(
                RepairEvent.group_identifier == "",
                RepairEvent.location_id.is_not(None),
                RepairEvent.date > today - RECENT_USE,
            )
            .distinct()
        )
    )
