"""The food bank's schemas: what its API takes and answers (documented in OpenAPI), and
what its pages' forms are read into."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, pre_load

from hub.plugin_api import (
    FieldError,
    Schema,
    can,
    current_user,
    fields,
    get_session,
    reason_field,
    today,
    validate,
)
from hub_foodbank import codes, service, settings
from hub_foodbank.permissions import HISTORY

OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*[0-9][A-Z]{2}$")
PEOPLE = validate.Range(min=0, max=30)


def outward_code(text: str) -> str:
    """The first part of a postcode (``CF11 6AA`` -> ``CF11``); a full one is cut down."""
    value = " ".join(text.upper().split())
    if not value:
        return ""
    if match := FULL_POSTCODE.match(value):
        return match[1]
    if not OUTWARD_CODE.match(value):
        raise ValidationError("Give the first part of a UK postcode, such as CF11.")
    return value


def policy_count(household: Any) -> int:
    """Parcels in the support policy's window, counted once per household per response."""
    cached = household.__dict__.get("_policy_count")
    if cached is None:
        cached = service.parcels_in_window(get_session(), settings.current(), household.id, today())
        household.__dict__["_policy_count"] = cached
    return cached


def organisation_name(value: str) -> None:
    """A donor's name is an organisation's: never a person's contact details."""
    if "@" in value:
        raise ValidationError("name an organisation, not a person's contact details")


class HouseholdFields(Schema):
    adults = fields.Integer(validate=validate.Range(min=1, max=30))
    children_0_4 = fields.Integer(validate=PEOPLE)
    children_5_11 = fields.Integer(validate=PEOPLE)
    children_12_17 = fields.Integer(validate=PEOPLE)
    dietary = fields.List(fields.Code(codes.DIETARY_NEEDS))
    allergies = fields.String(validate=validate.Length(max=500))
    postcode_district = fields.String(
        validate=validate.Length(max=8), metadata={"description": "First part of the postcode only"}
    )
    person_id = fields.Integer(
        allow_none=True,
        metadata={"description": "A person in the core registry who consented to the link"},
    )

    @pre_load
    def _postcode(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("postcode_district"), str):
            try:
                data = {**data, "postcode_district": outward_code(data["postcode_district"])}
            except ValidationError as exc:
                raise FieldError("postcode_district", str(exc.messages[0])) from None
        return data


class HouseholdCreate(HouseholdFields):
    code = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9]{3,16}$", error="3 to 16 letters or digits"),
        metadata={"description": "Leave out to have one made"},
    )


class HouseholdOut(Schema):
    id = fields.Integer()
    code = fields.String()
    adults = fields.Integer()
    children_0_4 = fields.Integer()
    children_5_11 = fields.Integer()
    children_12_17 = fields.Integer()
    children = fields.Integer()
    dietary = fields.List(fields.String())
    allergies = fields.String()
    postcode_district = fields.String()
    person_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    anonymised = fields.Function(lambda h: h.anonymised_at is not None)
    parcels_in_window = fields.Function(
        lambda h: policy_count(h),
        metadata={"description": "Parcels within the support policy's window"},
    )
    flagged = fields.Function(
        lambda h: policy_count(h) >= int(settings.current().policy_parcels),
        metadata={"description": "Reached the policy's number of parcels: offer extra support"},
    )


class HouseholdQuery(Schema):
    code = fields.String()
    flagged = fields.Boolean(metadata={"description": "Only households the policy flags"})


class HouseholdSearch(Schema):
    """The households page's search: for someone who has forgotten their code too."""

    code = fields.String(validate=validate.Length(max=24))
    postcode_district = fields.String(validate=validate.Length(max=8))
    size = fields.Integer(validate=validate.Range(min=1, max=120))
    last_visit_from = fields.Date()
    last_visit_to = fields.Date()

    @pre_load
    def _postcode(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("postcode_district"), str):
            try:
                data = {**data, "postcode_district": outward_code(data["postcode_district"])}
            except ValidationError as exc:
                raise ValidationError({"postcode_district": exc.messages}) from None
        return data


class AgencyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    agency_type = fields.Code(codes.AGENCY_TYPES, required=True)
    active = fields.Boolean()


class AgencyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    agency_type = fields.String()
    active = fields.Boolean()


VOUCHER_CODE = validate.Regexp(r"^[A-Za-z0-9-]{3,24}$", error="3 to 24 letters or digits")
REASONS = fields.List(
    fields.String(validate=validate.Length(max=40)),
    required=True,
    validate=validate.Length(min=1),
    metadata={"description": "Codes from the configured referral reasons"},
)


class VoucherCreate(Schema):
    code = fields.String(
        validate=VOUCHER_CODE,
        metadata={"description": "The code printed on the voucher; leave out to have one made"},
    )
    agency_id = fields.Integer(required=True)
    household_id = fields.Integer(required=True)
    reasons = REASONS
    issued_on = fields.Date()
    valid_until = fields.Date()
    notes = fields.String(validate=validate.Length(max=1000))


class VoucherCorrection(Schema):
    """What a coordinator may put right on a voucher, and why."""

    agency_id = fields.Integer()
    reasons = fields.List(
        fields.String(validate=validate.Length(max=40)), validate=validate.Length(min=1)
    )
    issued_on = fields.Date()
    valid_until = fields.Date()
    notes = fields.String(validate=validate.Length(max=1000))
    reason = reason_field()


class VoucherOut(Schema):
    id = fields.Integer()
    code = fields.String()
    agency_id = fields.Integer()
    agency_name = fields.Function(lambda v: v.agency.name)
    agency_type = fields.Function(lambda v: v.agency.agency_type)
    household_id = fields.Integer()
    household_code = fields.Function(lambda v: v.household.code)
    reasons = fields.List(fields.String())
    issued_on = fields.Date()
    valid_until = fields.Date()
    redeemed_on = fields.Date(allow_none=True)
    notes = fields.String()
    status = fields.Function(lambda v: v.status(today()))
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String()


class VoucherQuery(Schema):
    code = fields.String()
    household_id = fields.Integer()
    open = fields.Boolean(metadata={"description": "Only vouchers not yet redeemed"})


class ParcelCreate(Schema):
    voucher_code = fields.String(
        metadata={"description": "Redeem this voucher; the household comes from it"}
    )
    household_id = fields.Integer(metadata={"description": "Needed when there is no voucher"})
    location_id = fields.Integer(required=True)
    given_on = fields.Date(metadata={"description": "Default: today"})
    parcel_type = fields.Code(codes.PARCEL_TYPES, load_default="emergency")
    adults = fields.Integer(validate=PEOPLE, metadata={"description": "Default: the household's"})
    children = fields.Integer(validate=PEOPLE, metadata={"description": "Default: the household's"})
    weight_grams = fields.Grams(
        minimum=1,
        maximum=200_000,
        metadata={"description": "Default: the usual weight for this type and household size"},
    )
    method = fields.Code(codes.DELIVERY_METHODS, load_default="collected")
    signposting = fields.List(fields.Code(codes.SIGNPOSTING), load_default=list)


class ParcelCorrection(Schema):
    """What a coordinator may put right on a parcel, and why."""

    location_id = fields.Integer()
    given_on = fields.Date()
    parcel_type = fields.Code(codes.PARCEL_TYPES)
    adults = fields.Integer(validate=PEOPLE)
    children = fields.Integer(validate=PEOPLE)
    weight_grams = fields.Grams(minimum=1, maximum=200_000)
    method = fields.Code(codes.DELIVERY_METHODS)
    signposting = fields.List(fields.Code(codes.SIGNPOSTING))
    reason = reason_field()


class WalkInCreate(HouseholdFields):
    """A walk-in with a paper voucher, in one form: the household, the voucher as
    printed (its code typed once), and the parcel."""

    voucher_code = fields.String(required=True, validate=VOUCHER_CODE)
    agency_id = fields.Integer(required=True)
    reasons = REASONS
    issued_on = fields.Date()
    location_id = fields.Integer(required=True)
    parcel_type = fields.Code(codes.PARCEL_TYPES, load_default="emergency")
    weight_grams = fields.Grams(minimum=1, maximum=200_000)
    method = fields.Code(codes.DELIVERY_METHODS, load_default="collected")
    signposting = fields.List(fields.Code(codes.SIGNPOSTING), load_default=list)


HIDDEN_HISTORY = "null without permission foodbank.history.view"


def _if_history_visible(value: Any) -> Any:
    """A parcel's household (or voucher, which names it) for those who may see a
    household's visits; ``None`` for the rest, who can count parcels but never
    group them into one household's history."""
    return value if can(current_user(), HISTORY) else None


class ParcelOut(Schema):
    id = fields.Integer()
    given_on = fields.Date()
    location_id = fields.Integer()
    location_name = fields.Function(lambda p: p.location.name)
    household_id = fields.Function(
        lambda p: _if_history_visible(p.household_id),
        metadata={"type": "integer", "nullable": True, "description": HIDDEN_HISTORY},
    )
    voucher_id = fields.Function(
        lambda p: _if_history_visible(p.voucher_id),
        metadata={"type": "integer", "nullable": True, "description": HIDDEN_HISTORY},
    )
    parcel_type = fields.String()
    adults = fields.Integer()
    children = fields.Integer()
    weight_grams = fields.Integer()
    method = fields.String()
    signposting = fields.List(fields.String())
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String()


class ParcelQuery(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    household_id = fields.Integer()
    location_id = fields.Integer()
    parcel_type = fields.Code(codes.PARCEL_TYPES)


class DonationLineIn(Schema):
    category = fields.Code(codes.STOCK_CATEGORIES, required=True)
    grams = fields.Grams(
        required=True, maximum=5_000_000, error_messages={"required": "Enter the weight."}
    )
    best_before = fields.Date(allow_none=True)


class DonationCreate(Schema):
    received_on = fields.Date(metadata={"description": "Default: today"})
    donor_type = fields.Code(codes.DONOR_TYPES, required=True)
    source = fields.String(
        validate=[validate.Length(max=200), organisation_name],
        metadata={"description": "An organisation's name; leave blank for the public"},
    )
    lines = fields.List(
        fields.Nested(DonationLineIn),
        required=True,
        validate=[
            validate.Length(min=1, error="weigh at least one category"),
            validate.Length(max=100),
        ],
    )


class DonationCorrection(Schema):
    """What a coordinator may put right on a donation (its lines replace the old), and why."""

    received_on = fields.Date()
    donor_type = fields.Code(codes.DONOR_TYPES)
    source = fields.String(validate=[validate.Length(max=200), organisation_name])
    lines = fields.List(
        fields.Nested(DonationLineIn),
        validate=[
            validate.Length(min=1, error="weigh at least one category"),
            validate.Length(max=100),
        ],
    )
    reason = reason_field()


class DonationLineOut(Schema):
    category = fields.String()
    grams = fields.Integer()
    best_before = fields.Date(allow_none=True)


class DonationOut(Schema):
    id = fields.Integer()
    received_on = fields.Date()
    donor_type = fields.String()
    source = fields.String()
    weight_grams = fields.Integer()
    lines = fields.List(fields.Nested(DonationLineOut))
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String()


class DonationQuery(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    donor_type = fields.Code(codes.DONOR_TYPES)


class ExpiringOut(Schema):
    best_before = fields.Date()
    grams = fields.Integer()


class StockOut(Schema):
    category = fields.String()
    label = fields.String()
    on_hand_grams = fields.Integer(attribute="on_hand")
    low_threshold_grams = fields.Integer(attribute="low_threshold")
    low = fields.Boolean()
    donated_grams = fields.Integer(attribute="donated")
    distributed_grams = fields.Integer(attribute="distributed")
    adjusted_grams = fields.Integer(attribute="adjusted")
    expiring = fields.List(fields.Nested(ExpiringOut))


class StockAdjustmentIn(Schema):
    category = fields.Code(codes.STOCK_CATEGORIES, required=True)
    grams = fields.Integer(
        required=True,
        validate=validate.Range(min=-5_000_000, max=5_000_000),
        metadata={"description": "Positive adds to stock, negative removes (waste, transfers)"},
    )
    made_on = fields.Date()
    reason = fields.String(validate=validate.Length(max=200))


class StockCorrection(StockAdjustmentIn):
    """The stock page's correction: kilograms in the box (minus to take away), and why."""

    grams = fields.Grams(required=True, minimum=-5_000_000, maximum=5_000_000)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=200))


class StockAdjustmentOut(Schema):
    id = fields.Integer()
    category = fields.String()
    grams = fields.Integer()
    made_on = fields.Date()
    reason = fields.String()


class HouseholdErased(Schema):
    id = fields.Integer()
    erased_at = fields.DateTime()
    records = fields.Integer(metadata={"description": "Records blanked: the household, notes"})
