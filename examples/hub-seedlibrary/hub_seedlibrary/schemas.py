"""What the seed library's API accepts and returns."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from hub_seedlibrary.models import CROPS


class VarietySchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    crop = fields.String(
        required=True,
        validate=validate.OneOf(list(CROPS)),
        metadata={"description": "A code from the crop codelist: " + ", ".join(CROPS)},
    )
    packets_in_stock = fields.Integer(load_default=0, validate=validate.Range(min=0))
    saved_locally = fields.Boolean(load_default=False)


class VarietyQuery(Schema):
    crop = fields.String(validate=validate.OneOf(list(CROPS)))
    in_stock = fields.Boolean()


class LoanSchema(Schema):
    id = fields.Integer(dump_only=True)
    variety_id = fields.Integer(required=True)
    person_id = fields.Integer(required=True)
    packets = fields.Integer(required=True, validate=validate.Range(min=1))
    lent_on = fields.Date(load_default=dt.date.today)
    note = fields.String(load_default="", validate=validate.Length(max=500), load_only=True)
    returned_on = fields.Date(dump_only=True, allow_none=True)
    packets_returned = fields.Integer(dump_only=True)


class ReturnSchema(Schema):
    packets_returned = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    returned_on = fields.Date(load_default=dt.date.today)
