"""The repair café JSON API under ``/api/v1/repaircafe``: events, records, categories.
Each operation validates with a schema and calls the service; a service's
``api.FieldError`` answers 422 naming the field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hub import plugin_api as api
from hub_repaircafe import schemas
from hub_repaircafe.impact import impact_rows, set_impact
from hub_repaircafe.models import RepairEvent, RepairRecord
from hub_repaircafe.service import (
    add_record,
    apply_event,
    correct_record,
    events_query,
    records_query,
)

bp = api.ApiBlueprint("repaircafe_api", __name__, url_prefix="/api/v1/repaircafe", tag="repaircafe")


def _saved(record: Any) -> Any:
    api.get_session().commit()
    return record


def _event(event_id: int) -> RepairEvent:
    return api.get_or_404(RepairEvent, event_id, "event")


def _record(record_id: int) -> RepairRecord:
    return api.get_or_404(RepairRecord, record_id, "repair record")


# --- events -------------------------------------------------------------------------


@bp.operation(
    "/events",
    summary="List repair café events",
    permission="repaircafe.view",
    query=schemas.EventQuery,
    response=schemas.EventOut,
    paginate=True,
)
def list_events(query: dict[str, Any]) -> Any:
    """Newest first; with ``upcoming=true``, soonest first."""
    return events_query(query, api.today())


@bp.operation(
    "/events",
    method="POST",
    summary="Plan an event",
    permission="repaircafe.manage",
    body=schemas.EventIn,
    response=schemas.EventOut,
    status=201,
)
def create_event(body: dict[str, Any]) -> Any:
    return _saved(apply_event(api.get_session(), RepairEvent(), body))


@bp.operation(
    "/events/<int:event_id>",
    summary="One event",
    permission="repaircafe.view",
    response=schemas.EventOut,
)
def get_event(event_id: int) -> Any:
    return _event(event_id)


@bp.operation(
    "/events/<int:event_id>",
    method="PATCH",
    summary="Change an event",
    permission="repaircafe.manage",
    body=schemas.EventIn,
    partial=True,
    response=schemas.EventOut,
)
def update_event(event_id: int, body: dict[str, Any]) -> Any:
    return _saved(apply_event(api.get_session(), _event(event_id), body))


@bp.operation(
    "/events/<int:event_id>",
    method="DELETE",
    summary="Delete an event that has no repair records (one planned by mistake)",
    permission="repaircafe.manage",
    responses={409: "the event has repair records: void them instead"},
)
def delete_event(event_id: int) -> None:
    """Repair records are never deleted with their event: an event with any, voided or
    not, is kept, so that nothing counted or voided disappears without a trace."""
    session = api.get_session()
    event = _event(event_id)
    held = session.scalar(
        select(func.count()).select_from(RepairRecord).where(RepairRecord.event_id == event.id)
    )
    if held:
        raise api.ApiError(
            409,
            "the event has repair records",
            {"records": [f"{held} record(s): void those logged in error, the event stays"]},
        )
    session.delete(event)
    session.commit()


# --- repair records -------------------------------------------------------------------


@bp.operation(
    "/records",
    summary="List repair records",
    permission="repaircafe.view",
    query=schemas.RecordQuery,
    response=schemas.RecordOut,
    paginate=True,
)
def list_records(query: dict[str, Any]) -> Any:
    """Filter by event, ORDS category, status, barrier, brand, words or dates."""
    return records_query(query)


@bp.operation(
    "/records",
    method="POST",
    summary="Log a repaired (or not) item",
    permission="repaircafe.log",
    body=schemas.RecordIn,
    response=schemas.RecordOut,
    status=201,
)
def create_record(body: dict[str, Any]) -> Any:
    """The fixer defaults to the caller."""
    caller = api.current_user()
    assert caller is not None  # the operation needs a permission
    body.setdefault("fixer_id", caller.id)
    return _saved(add_record(api.get_session(), body))


@bp.operation(
    "/records/<int:record_id>",
    summary="One repair record",
    permission="repaircafe.view",
    response=schemas.RecordOut,
)
def get_record(record_id: int) -> Any:
    return _record(record_id)


@bp.operation(
    "/records/<int:record_id>",
    method="PATCH",
    summary="Correct a repair record",
    permission="repaircafe.manage",
    body=schemas.RecordChange,
    response=schemas.RecordOut,
)
def update_record(record_id: int, body: dict[str, Any]) -> Any:
    """Give the fields to change and a ``reason``: the audit log keeps it with each
    field's value before and after. Changing the status away from end of life clears
    the barrier; a voided record cannot be corrected."""
    values = dict(body)
    reason = values.pop("reason")
    record = _record(record_id)
    correct_record(api.get_session(), record, values, reason)
    return _saved(record)


@bp.operation(
    "/records/<int:record_id>",
    method="DELETE",
    summary="Void a repair record (it is kept, marked void)",
    permission="repaircafe.manage",
    query=api.VoidIn,
    response=schemas.RecordOut,
)
def delete_record(record_id: int, query: dict[str, Any]) -> Any:
    """The same as ``POST .../void``, with the ``reason`` in the query: a record is never
    deleted, so the answer is the record, kept and marked void."""
    return _void(record_id, query["reason"])


@bp.operation(
    "/records/<int:record_id>/void",
    method="POST",
    summary="Void a repair record logged in error",
    permission="repaircafe.manage",
    body=api.VoidIn,
    response=schemas.RecordOut,
)
def void_record(record_id: int, body: dict[str, Any]) -> Any:
    """Kept, marked void with the reason (in the audit log too, with who voided it), and
    left out of every figure; better than deleting it, which leaves no trace of why."""
    return _void(record_id, body["reason"])


def _void(record_id: int, reason: str) -> RepairRecord:
    record = _record(record_id)
    api.void(api.get_session(), record, reason)
    return _saved(record)


# --- categories and impact factors ------------------------------------------------------


@bp.operation(
    "/categories",
    summary="ORDS product categories with their weights and emission factors",
    permission="repaircafe.view",
    response=schemas.CategoryOut,
    many=True,
)
def list_categories() -> Any:
    return impact_rows(api.get_session())


@bp.operation(
    "/categories/<int:category_id>/impact",
    method="PUT",
    summary="Set a category's weight and emission factor (admins)",
    permission="repaircafe.impact",
    body=schemas.ImpactIn,
    response=schemas.CategoryOut,
)
def put_impact(category_id: int, body: dict[str, Any]) -> Any:
    """Setting the shipped defaults again removes the override."""
    session = api.get_session()
    rows = {row.category_id: row for row in impact_rows(session)}
    if category_id not in rows:
        raise api.ApiError(404, "product category not found", {"id": category_id})
    set_impact(session, category_id, body["weight_g"], body["co2e_g_per_kg"], body["source"])
    session.commit()
    return {row.category_id: row for row in impact_rows(session)}[category_id]
