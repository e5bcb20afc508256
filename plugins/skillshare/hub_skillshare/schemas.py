"""What the time bank's API takes and answers, and what its pages' forms are read into."""

from __future__ import annotations

from hub.plugin_api import Schema, fields, validate
from hub_skillshare import ledger, service, settings
from hub_skillshare.codes import (
    AVAILABILITY,
    CATEGORIES,
    EXCHANGE_STATES,
    LISTING_KINDS,
    SKILL_LABELS,
)
from hub_skillshare.settings import MAX_MINUTES
from hub_skillshare.workshops import SIGNUP_STATES, WORKSHOP_STATES

# One transfer of a day's work at most: 24 hours.
MAX_TRANSFER_MINUTES = 24 * 60
ACCOUNT_ID = {"validate": validate.Range(min=1), "required": True}


# --- the ledger -------------------------------------------------------------------


class TransferIn(Schema):
    from_account = fields.Integer(
        **ACCOUNT_ID, metadata={"description": "Debited: who was helped (or the bank)"}
    )
    to_account = fields.Integer(
        **ACCOUNT_ID, metadata={"description": "Credited: who gave their time"}
    )
    minutes = fields.Integer(
        required=True, validate=validate.Range(min=1, max=MAX_TRANSFER_MINUTES)
    )


class ExchangeIn(Schema):
    listing = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The offer or request it was for; its category by default"},
    )
    category = fields.Code(CATEGORIES, metadata={"description": "Required without a listing"})
    occurred_on = fields.Date(metadata={"description": "Default: today"})
    description = fields.String(validate=validate.Length(max=1000))
    transfers = fields.List(
        fields.Nested(TransferIn),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "One for a plain exchange; several for one-to-many or many-to-one"
        },
    )


class AnswerIn(Schema):
    account = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The party answered for (default: every one you answer for)"},
    )


class ReversalIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class TransferOut(Schema):
    from_account = fields.Integer(attribute="payer_id")
    to_account = fields.Integer(attribute="payee_id")
    minutes = fields.Integer()


class ConfirmationOut(Schema):
    account = fields.Integer(attribute="account_id")
    state = fields.String(metadata={"enum": ["awaiting", "confirmed", "declined"]})
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.Integer(attribute="decided_by_id", allow_none=True)
    on_behalf = fields.Boolean(
        metadata={"description": "A broker or coordinator answered for this party"}
    )


class ExchangeOut(Schema):
    id = fields.Integer()
    state = fields.Function(service.state_of, metadata={"enum": list(EXCHANGE_STATES)})
    category = fields.String()
    occurred_on = fields.Date()
    description = fields.String()
    minutes = fields.Function(lambda e: sum(t.minutes for t in e.transfers))
    recorded_by = fields.Integer(attribute="recorded_by_id", allow_none=True)
    brokered = fields.Boolean(
        metadata={"description": "Recorded by a broker or coordinator for the members"}
    )
    expires_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reverses = fields.Integer(attribute="reverses_id", allow_none=True)
    listing = fields.Integer(attribute="listing_id", allow_none=True)
    transfers = fields.List(fields.Nested(TransferOut))
    confirmations = fields.List(fields.Nested(ConfirmationOut))
    created_at = fields.DateTime()


class ExchangeQuery(Schema):
    account = fields.Integer(validate=validate.Range(min=1))
    state = fields.Code(EXCHANGE_STATES)
    category = fields.Code(CATEGORIES)


class AccountOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["member", "bank", "peer"]})
    member = fields.Integer(attribute="member_id", allow_none=True)
    balance = fields.Integer(metadata={"description": "Minutes: the sum of its movements"})
    debit_limit = fields.Function(
        lambda a: ledger.Limits.of(a, settings.current()).debit,
        allow_none=True,
        metadata={"description": "Minutes it may go below zero (null: no limit)"},
    )
    credit_limit = fields.Function(
        lambda a: ledger.Limits.of(a, settings.current()).credit,
        allow_none=True,
        metadata={"description": "Minutes it may hold at most (null: no limit)"},
    )


def _limit(description: str) -> fields.Integer:
    return fields.Integer(
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_MINUTES),
        metadata={"description": f"{description} (null: the bank's default)"},
    )


class MovementOut(Schema):
    id = fields.Integer()
    exchange = fields.Integer(attribute="exchange_id")
    occurred_on = fields.Date()
    category = fields.String()
    description = fields.String()
    minutes = fields.Integer(metadata={"description": "Signed: credited or given"})
    balance_after = fields.Integer()
    posted_at = fields.DateTime()


# --- members ----------------------------------------------------------------------

AREA = fields.String(
    validate=validate.Length(max=60),
    metadata={"description": "A neighbourhood or village, never a street address"},
)


class JoinIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Length(max=40))
    area = AREA


class MemberIn(JoinIn):
    user = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "The hub user who signs in as this member, if any"},
    )
    offline = fields.Boolean(
        metadata={"description": "No phone or internet: brokers record and confirm for them"}
    )


class MemberPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    phone = fields.String(validate=validate.Length(max=40), allow_none=True)
    area = AREA
    offline = fields.Boolean()
    status = fields.Code({"active": "Active", "left": "Left the time bank"})
    debit_limit = _limit("Minutes the member may go below zero")
    credit_limit = _limit("Minutes the member may hold at most")


MEMBER_STATUSES = {
    "pending": "Asked to join",
    "active": "Active",
    "left": "Left",
    "refused": "Refused",
}


class MemberOut(Schema):
    """What every member sees of another: enough to record an exchange with them."""

    id = fields.Integer()
    name = fields.Function(lambda m: m.person.name)
    area = fields.String()
    offline = fields.Boolean()
    status = fields.String(metadata={"enum": list(MEMBER_STATUSES)})
    account = fields.Function(lambda m: m.account.id if m.account else None, allow_none=True)
    joined_on = fields.Date(allow_none=True)


class MemberDetailsOut(MemberOut):
    """What the member themself, brokers and coordinators see: contact details, balance."""

    person = fields.Integer(
        attribute="person_id", metadata={"description": "In the core's people registry"}
    )
    email = fields.Function(lambda m: m.person.email)
    phone = fields.Function(lambda m: m.person.phone)
    user = fields.Integer(attribute="user_id", allow_none=True)
    balance = fields.Function(lambda m: m.account.balance if m.account else None, allow_none=True)


class MemberQuery(Schema):
    status = fields.Code(MEMBER_STATUSES)
    offline = fields.Boolean()
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "Words in the name or area"}
    )


# --- the pages' forms ---------------------------------------------------------------

DIRECTIONS = {"gave": "I gave time", "received": "I received time"}


class RecordIn(Schema):
    """A member's page: an exchange between them and one other member."""

    listing = fields.Integer(validate=validate.Range(min=1))
    other = fields.Integer(required=True, validate=validate.Range(min=1))
    direction = fields.Code(DIRECTIONS, required=True)
    minutes = fields.Integer(
        required=True, validate=validate.Range(min=1, max=MAX_TRANSFER_MINUTES)
    )
    category = fields.Code(CATEGORIES)
    occurred_on = fields.Date()
    description = fields.String(validate=validate.Length(max=1000))


class BrokerRecordIn(Schema):
    """A broker's page: an exchange between two members, one of them (or both) offline."""

    helper = fields.Integer(required=True, validate=validate.Range(min=1))
    helped = fields.Integer(required=True, validate=validate.Range(min=1))
    minutes = fields.Integer(
        required=True, validate=validate.Range(min=1, max=MAX_TRANSFER_MINUTES)
    )
    category = fields.Code(CATEGORIES, required=True)
    occurred_on = fields.Date()
    description = fields.String(validate=validate.Length(max=1000))


# --- offers and requests -------------------------------------------------------------


class ListingIn(Schema):
    kind = fields.Code(LISTING_KINDS, required=True)
    skill = fields.Code(SKILL_LABELS, required=True)
    title = fields.String(required=True, validate=validate.Length(min=3, max=120))
    description = fields.String(validate=validate.Length(max=2000))
    area = AREA
    availability = fields.List(fields.Code(AVAILABILITY), validate=validate.Length(max=4))


class ListingPatch(ListingIn):
    active = fields.Boolean(metadata={"description": "false: withdrawn"})


class ListingOut(Schema):
    id = fields.Integer()
    member = fields.Integer(attribute="member_id")
    member_name = fields.Function(lambda listing: listing.member.person.name)
    kind = fields.String(metadata={"enum": list(LISTING_KINDS)})
    skill = fields.String(metadata={"enum": list(SKILL_LABELS)})
    category = fields.String(
        metadata={"enum": list(CATEGORIES), "description": "The skill's network category"}
    )
    title = fields.String()
    description = fields.String()
    area = fields.String()
    availability = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class ListingQuery(Schema):
    kind = fields.Code(LISTING_KINDS)
    skill = fields.Code(SKILL_LABELS)
    category = fields.Code(CATEGORIES)
    area = fields.String(validate=validate.Length(max=60))
    member = fields.Integer(validate=validate.Range(min=1))
    mine = fields.Boolean(metadata={"description": "Only your own, withdrawn ones too"})
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Words in the title or description"},
    )


# --- workshops -------------------------------------------------------------------------

MAX_PLACES = 500  # a hall, not a stadium
WORKSHOP_ID = {"validate": validate.Range(min=1)}


class WorkshopIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=120))
    description = fields.String(validate=validate.Length(max=2000))
    category = fields.Code(CATEGORIES, required=True)
    date = fields.Date(required=True, metadata={"description": "Today or later"})
    starts_at = fields.Time(required=True, metadata={"description": "Local time"})
    minutes = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_TRANSFER_MINUTES),
        metadata={"description": "How long it runs: the host is credited this once it is held"},
    )
    place = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200),
        metadata={"description": "A public place: a hall, a library room, never a home"},
    )
    places = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_PLACES))
    host = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "The hosting member (coordinators); default: you"},
    )


class WorkshopOut(Schema):
    id = fields.Integer()
    host = fields.Integer(attribute="host_id")
    host_name = fields.Function(lambda w: w.host.person.name)
    title = fields.String()
    description = fields.String()
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    date = fields.Date()
    starts_at = fields.Time()
    minutes = fields.Integer()
    place = fields.String()
    places = fields.Integer()
    booked = fields.Function(
        lambda w: sum(s.state == "booked" for s in w.signups),
        metadata={"description": "Places taken"},
    )
    waiting = fields.Function(lambda w: sum(s.state == "waiting" for s in w.signups))
    state = fields.String(metadata={"enum": list(WORKSHOP_STATES)})
    attended = fields.Function(
        lambda w: sum(bool(s.attended) for s in w.signups),
        metadata={"description": "Members marked present (0 until attendance is taken)"},
    )
    attendance_taken_at = fields.DateTime(allow_none=True)
    exchange = fields.Integer(
        attribute="exchange_id",
        allow_none=True,
        metadata={"description": "The bank's exchange crediting the host"},
    )
    created_at = fields.DateTime()


class WorkshopQuery(Schema):
    past = fields.Boolean(metadata={"description": "Workshops before today, newest first"})
    category = fields.Code(CATEGORIES)
    state = fields.Code(WORKSHOP_STATES)
    host = fields.Integer(validate=validate.Range(min=1))


class SignupIn(Schema):
    member = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Who (brokers: a member who is offline); default: you"},
    )


class SignupOut(Schema):
    id = fields.Integer()
    workshop = fields.Integer(attribute="workshop_id")
    member = fields.Integer(attribute="member_id")
    member_name = fields.Function(lambda s: s.member.person.name)
    state = fields.String(metadata={"enum": list(SIGNUP_STATES)})
    position = fields.Integer(metadata={"description": "The order of signing up"})
    attended = fields.Boolean(allow_none=True)
    signed_up_by = fields.Integer(attribute="signed_up_by_id", allow_none=True)
    created_at = fields.DateTime()


class AttendanceIn(Schema):
    present = fields.List(
        fields.Integer(validate=validate.Range(min=1)),
        load_default=list,
        validate=validate.Length(max=MAX_PLACES),
        metadata={"description": "Members who came, among those booked; the rest did not"},
    )


class WorkshopCancelIn(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=500),
        metadata={"description": "Why: told to everyone signed up"},
    )


class ToPhoneOut(Schema):
    member = fields.Integer()
    name = fields.String()
    phone = fields.String(
        allow_none=True, metadata={"description": "For brokers and coordinators only"}
    )


class WorkshopCancellationOut(Schema):
    workshop = fields.Nested(WorkshopOut)
    reversal = fields.Function(
        lambda c: c.reversal.id if c.reversal else None,
        metadata={"description": "The exchange reversing the host's credit, if one stood"},
    )
    emailed = fields.Function(
        lambda c: [m.id for m in c.emailed],
        metadata={"description": "Members told by email"},
    )
    to_phone = fields.List(
        fields.Nested(ToPhoneOut),
        metadata={"description": "Members with no email, or whose email was not sent"},
    )
    not_sent = fields.List(fields.String(), metadata={"description": "Why mail was not sent"})
