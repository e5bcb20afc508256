"""What the tool library's API takes and answers, and what its pages' forms are read into."""

from __future__ import annotations

from typing import Any

from hub.plugin_api import Schema, fields, validate
from hub_toollibrary import codes

PENCE = validate.Range(min=0, max=100_000_000)
ID = validate.Range(min=1)
CODE_TEXT = validate.Length(min=1, max=24)  # a code typed or scanned: a box, not a page


def _text(limit: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=limit), **kwargs)


class ItemIn(Schema):
    number = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "Letters and digits; default: the next T0001-style number"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.Code(codes.CATEGORY_LABELS, required=True)
    condition = fields.Code(codes.CONDITIONS, load_default="good")
    location_id = fields.Integer(allow_none=True, validate=ID)
    kit_parts = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=50),
        metadata={"description": "The parts lent together, each counted at return"},
    )
    replacement_value_pence = fields.Integer(load_default=0, validate=PENCE)
    deposit_pence = fields.Integer(load_default=0, validate=PENCE)
    restricted = fields.Boolean(
        load_default=False,
        metadata={"description": "Lent only by someone holding toollibrary.approve"},
    )
    notes = _text(5000)
    added_on = fields.Date(metadata={"description": "Default: today"})


class ItemChange(ItemIn):
    retired_on = fields.Date(allow_none=True)


class ItemOut(Schema):
    id = fields.Integer()
    number = fields.String()
    name = fields.String()
    category = fields.String()
    network_category = fields.Function(lambda item: codes.network_category(item.category))
    condition = fields.String()
    location_id = fields.Integer(allow_none=True)
    kit_parts = fields.List(fields.String())
    replacement_value_pence = fields.Integer()
    deposit_pence = fields.Integer()
    restricted = fields.Boolean()
    notes = fields.String()
    added_on = fields.Date()
    retired_on = fields.Date(allow_none=True)
    has_photo = fields.Boolean()
    availability = fields.String(metadata={"description": "available, on_loan, on_hold, ..."})


class ItemQuery(Schema):
    q = _text(200, metadata={"description": "Words in the name, number or notes"})
    category = fields.Code(codes.CATEGORY_LABELS)
    network_category = fields.Code(codes.NETWORK_CATEGORIES)
    availability = fields.Code(
        {"available": "", "on_loan": "", "on_hold": "", "in_repair": "", "retired": ""}
    )
    location_id = fields.Integer(validate=ID)
    include_retired = fields.Boolean()


class CategoryOut(Schema):
    code = fields.String()
    label = fields.String()
    network_category = fields.String()
    network_label = fields.String()


class MembershipTypeIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    fee_pence = fields.Integer(load_default=0, validate=PENCE)
    length_days = fields.Integer(load_default=365, validate=validate.Range(min=1, max=3660))
    borrowing_limit = fields.Integer(load_default=3, validate=validate.Range(min=1, max=100))
    loan_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=365))
    renewal_limit = fields.Integer(load_default=2, validate=validate.Range(min=0, max=100))
    active = fields.Boolean(load_default=True)


class MembershipTypeOut(MembershipTypeIn):
    id = fields.Integer()


class MemberIn(Schema):
    membership_type_id = fields.Integer(required=True, validate=ID)
    person_id = fields.Integer(
        validate=ID, metadata={"description": "An existing person; or give name, email, phone"}
    )
    name = _text(200)
    email = fields.Email(validate=validate.Length(max=254))
    phone = _text(40)
    agreement_accepted = fields.Boolean(
        required=True, metadata={"description": "The borrowing agreement was read and accepted"}
    )
    agreement_accepted_on = fields.Date(metadata={"description": "Default: today"})
    notes = _text(2000)


class MemberOut(Schema):
    id = fields.Integer()
    code = fields.String()
    person_id = fields.Integer(allow_none=True)
    name = fields.String()
    membership_type_id = fields.Integer()
    status = fields.String()
    applied_on = fields.Date()
    approved_on = fields.Date(allow_none=True)
    agreement_accepted_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    notes = fields.String()


class MemberQuery(Schema):
    q = _text(200, metadata={"description": "Words in the code, name or email"})
    status = fields.Code(codes.MEMBER_STATUSES)


class MemberStatusIn(Schema):
    status = fields.Code(
        {"approved": "", "refused": "", "suspended": ""},
        required=True,
        metadata={"description": "approved starts the membership from today"},
    )


class CheckoutIn(Schema):
    item_number = fields.String(required=True, validate=CODE_TEXT)
    member_code = fields.String(required=True, validate=CODE_TEXT)
    out_on = fields.Date(metadata={"description": "Default: today; earlier: staff only"})
    due_on = fields.Date(metadata={"description": "Default: from the member's loan policy"})


class CheckinIn(Schema):
    returned_on = fields.Date(metadata={"description": "Default: today; earlier: staff only"})
    condition = fields.Code(codes.CONDITIONS, required=True)
    note = _text(2000)
    missing_parts = fields.List(fields.String(validate=validate.Length(max=100)))
    needs_repair = fields.Boolean(load_default=False)
    deposit_returned = fields.Boolean(load_default=True)


class LoanOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    item_number = fields.Function(lambda loan: loan.item.number)
    member_id = fields.Integer()
    member_code = fields.Function(lambda loan: loan.member.code)
    out_on = fields.Date()
    due_on = fields.Date()
    returned_on = fields.Date(allow_none=True)
    backdated = fields.Boolean()
    renewal_count = fields.Integer()
    deposit_pence = fields.Integer()
    deposit_returned = fields.Boolean()
    fine_pence = fields.Integer()
    condition_out = fields.String()
    condition_in = fields.String(allow_none=True)
    return_note = fields.String()
    missing_parts = fields.List(fields.String())


class LoanQuery(Schema):
    state = fields.Code({"open": "", "overdue": "", "returned": ""})
    member_id = fields.Integer(validate=ID)
    item_id = fields.Integer(validate=ID)
    out_from = fields.Date()
    out_to = fields.Date()


class RenewalOut(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    requested_on = fields.Date()
    status = fields.String()
    old_due_on = fields.Date()
    new_due_on = fields.Date()
    decided_on = fields.Date(allow_none=True)


class RenewalQuery(Schema):
    status = fields.Code(codes.RENEWAL_STATUSES)
    loan_id = fields.Integer(validate=ID)


class DecisionIn(Schema):
    approve = fields.Boolean(required=True)


class HoldIn(Schema):
    item_id = fields.Integer(required=True, validate=ID)
    member_id = fields.Integer(required=True, validate=ID)


class HoldOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    member_id = fields.Integer()
    placed_on = fields.Date()
    status = fields.String()
    ready_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    notified_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class HoldQuery(Schema):
    item_id = fields.Integer(validate=ID)
    member_id = fields.Integer(validate=ID)
    status = fields.Code(codes.HOLD_STATUSES)


class ReservationIn(Schema):
    item_id = fields.Integer(required=True, validate=ID)
    member_id = fields.Integer(required=True, validate=ID)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class ReservationOut(ReservationIn):
    id = fields.Integer()
    status = fields.String()
    loan_id = fields.Integer(allow_none=True)


class ReservationQuery(Schema):
    item_id = fields.Integer(validate=ID)
    member_id = fields.Integer(validate=ID)
    status = fields.Code(codes.RESERVATION_STATUSES)


class TicketIn(Schema):
    item_id = fields.Integer(required=True, validate=ID)
    problem = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    opened_on = fields.Date(metadata={"description": "Default: today"})


class TicketChange(Schema):
    status = fields.Code(codes.TICKET_STATUSES)
    problem = _text(5000)
    resolution = _text(5000)
    closed_on = fields.Date()


class TicketOut(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    loan_id = fields.Integer(allow_none=True)
    opened_on = fields.Date()
    status = fields.String()
    problem = fields.String()
    resolution = fields.String()
    closed_on = fields.Date(allow_none=True)


class TicketQuery(Schema):
    item_id = fields.Integer(validate=ID)
    status = fields.Code(codes.TICKET_STATUSES)
    open = fields.Boolean()


class WantedIn(Schema):
    category = fields.Code(codes.CATEGORY_LABELS, required=True)
    note = _text(300, metadata={"description": "What would help most: 'cordless, with batteries'"})


class WantedOut(WantedIn):
    id = fields.Integer()
    opened_on = fields.Date(metadata={"description": "Asked for from this day"})
    closed_on = fields.Date(allow_none=True, metadata={"description": "Not needed from this day"})


class WantedQuery(Schema):
    open = fields.Boolean(metadata={"description": "true: asked for now; false: no longer"})


class ToPhoneOut(Schema):
    kind = fields.String(
        metadata={"description": "due_soon or overdue (a loan), hold_ready (a hold)"}
    )
    loan_id = fields.Integer(
        allow_none=True, metadata={"description": "The loan to remind about; null for a hold"}
    )
    hold_id = fields.Integer(
        allow_none=True, metadata={"description": "The hold now ready; null for a loan"}
    )
    item_number = fields.String()
    item = fields.String()
    due_on = fields.Date(allow_none=True, metadata={"description": "The loan's due date"})
    ready_until = fields.Date(
        allow_none=True, metadata={"description": "The hold's item is put aside until then"}
    )
    member_code = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)


class PhonedIn(Schema):
    loan_id = fields.Integer(required=True, validate=ID)
    kind = fields.Code(codes.REMINDER_KINDS, required=True)


class ReminderOut(PhonedIn):
    id = fields.Integer()
    channel = fields.String(metadata={"description": "email or phone"})
    sent_on = fields.Date()
