"""Marshmallow schemas of the repair café API."""

from __future__ import annotations

from typing import Any

from marshmallow import validates_schema

from hub.plugin_api import FieldError, Schema, fields, reason_field, validate
from hub_repaircafe.codes import BARRIERS, STATUSES, categories


def _category_ids() -> validate.OneOf:
    return validate.OneOf(
        list(categories()),
        labels=[category.label for category in categories().values()],
        error="not an ORDS product category id (1-40)",
    )


# --- events -----------------------------------------------------------------------


class EventOut(Schema):
    id = fields.Integer()
    title = fields.String()
    date = fields.Date()
    starts_at = fields.Time(allow_none=True)
    ends_at = fields.Time(allow_none=True)
    location_id = fields.Integer(allow_none=True)
    location_name = fields.Function(lambda e: e.location.name if e.location else None)
    fixers_present = fields.Integer(allow_none=True)
    visitors = fields.Integer(allow_none=True)
    group_identifier = fields.String(metadata={"description": "Empty for this group's own events"})
    public = fields.Boolean()
    notes = fields.String()


class EventIn(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    date = fields.Date(required=True)
    starts_at = fields.Time(allow_none=True)
    ends_at = fields.Time(allow_none=True)
    location_id = fields.Integer(allow_none=True)
    fixers_present = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=500))
    visitors = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000))
    public = fields.Boolean()
    notes = fields.String(validate=validate.Length(max=5000))

    @validates_schema
    def _times_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is not None and ends is not None and ends <= starts:
            raise FieldError("ends_at", "must be after starts_at")


class EventQuery(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to", metadata={"description": "Inclusive"})
    upcoming = fields.Boolean(metadata={"description": "Only events from today on"})
    location_id = fields.Integer()
    own = fields.Boolean(metadata={"description": "Only this group's events (not imported ones)"})


# --- repair records ---------------------------------------------------------------


class RecordOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    event_date = fields.Function(lambda r: r.event.date.isoformat())
    ords_id = fields.String(allow_none=True)
    product_category_id = fields.Integer()
    product_category = fields.Function(lambda r: categories()[r.product_category_id].label)
    partner_category = fields.String()
    brand = fields.String()
    year_of_manufacture = fields.Integer(allow_none=True)
    product_age = fields.Float(allow_none=True)
    problem = fields.String()
    status = fields.String(metadata={"enum": list(STATUSES)})
    barrier = fields.String(allow_none=True, metadata={"enum": list(BARRIERS)})
    fixer_id = fields.Integer(allow_none=True)
    parts_needed = fields.String()
    advice = fields.String()
    weight_g = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String()


class RecordIn(Schema):
    event_id = fields.Integer(required=True)
    product_category_id = fields.Integer(required=True, validate=_category_ids())
    partner_category = fields.String(validate=validate.Length(max=200))
    brand = fields.String(validate=validate.Length(max=120))
    year_of_manufacture = fields.Integer(
        allow_none=True, validate=validate.Range(min=1800, max=2100)
    )
    product_age = fields.Float(allow_none=True, validate=validate.Range(min=0, max=200))
    problem = fields.String(validate=validate.Length(max=5000))
    status = fields.Code(STATUSES, required=True)
    barrier = fields.Code(BARRIERS, allow_none=True)
    fixer_id = fields.Integer(allow_none=True)
    parts_needed = fields.String(validate=validate.Length(max=2000))
    advice = fields.String(validate=validate.Length(max=2000))
    weight_g = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1_000_000))

    @validates_schema
    def _barrier_only_at_end_of_life(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("barrier") and "status" in data and data["status"] != "end_of_life":
            raise FieldError("barrier", "a barrier is given only when the status is end_of_life")


class RecordCorrection(RecordIn):
    """A coordinator's correction of a record on its page: the record, and why."""

    reason = reason_field()


class RecordChange(RecordCorrection):
    """A correction through the API: only the fields that change, and why (required)."""

    event_id = fields.Integer()
    product_category_id = fields.Integer(validate=_category_ids())
    status = fields.Code(STATUSES)


class RecordQuery(Schema):
    event_id = fields.Integer()
    category = fields.Integer(metadata={"description": "ORDS product category id"})
    status = fields.Code(STATUSES)
    barrier = fields.Code(BARRIERS)
    brand = fields.String(
        validate=validate.Length(max=120), metadata={"description": "Exact brand, any case"}
    )
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Words in the problem, brand or group category"},
    )
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to", metadata={"description": "Inclusive"})


# --- categories and impact ---------------------------------------------------------


class CategoryOut(Schema):
    id = fields.Integer(attribute="category_id")
    code = fields.Function(lambda row: categories()[row.category_id].code)
    label = fields.String()
    weight_g = fields.Integer()
    co2e_g_per_kg = fields.Integer(metadata={"description": "grams CO2e avoided per kg fixed"})
    source = fields.String()
    overridden = fields.Boolean()


class ImpactIn(Schema):
    weight_g = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    co2e_g_per_kg = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    source = fields.String(required=True, validate=validate.Length(min=3, max=300))
