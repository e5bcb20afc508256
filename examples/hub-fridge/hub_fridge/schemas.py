"""What the fridge's API takes and answers, and what its page's forms are read into."""

from __future__ import annotations

from hub.plugin_api import Schema, fields, validate
from hub_fridge.service import SOURCES


class DonationIn(Schema):
    given_on = fields.Date(metadata={"description": "Default: today"})
    source = fields.Code(SOURCES, required=True)
    grams = fields.Grams(required=True, maximum=500_000)


class DonationOut(DonationIn):
    id = fields.Integer()


class VisitIn(Schema):
    visited_on = fields.Date(metadata={"description": "Default: today"})
    people = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))


class VisitOut(VisitIn):
    id = fields.Integer()
