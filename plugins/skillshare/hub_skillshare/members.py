"""Members: joining (asked for, then approved by a coordinator), and their details, which
live in the core's people registry (``Person``), not here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare import ledger
from hub_skillshare.codes import MEMBER_STATUSES
from hub_skillshare.i18n import _
from hub_skillshare.models import Member
from hub_skillshare.service import ExchangeError, transaction

PURPOSE = "Membership of the time bank: exchanges, offers and requests, workshops"


def _person(values: dict[str, Any]) -> api.Person:
    return api.Person(
        name=values["name"],
        email=values.get("email") or None,
        phone=values.get("phone") or None,
        consent_given=True,
        consent_purpose=PURPOSE,
        consent_at=api.now(),
    )


def _user_is_free(session: Session, user_id: int | None, field: str = "user") -> None:
    if user_id is None:
        return
    if session.get(api.User, user_id) is None:
        raise api.FieldError(field, _("There is no user %(id)s.", id=user_id))
    if session.scalar(select(Member.id).where(Member.user_id == user_id)):
        raise api.FieldError(field, _("This user is a member already."))


def add(session: Session, values: dict[str, Any]) -> Member:
    """A coordinator adds a member directly (someone without a phone, say): active at once."""
    with transaction(session):
        _user_is_free(session, values.get("user"))
        member = Member(
            person=_person(values),
            user_id=values.get("user"),
            area=values.get("area", ""),
            offline=values.get("offline", False),
            status="active",
            joined_on=api.today(),
        )
        session.add(member)
        ledger.open_account(session, member)
    return member


def request_to_join(session: Session, user: api.User, values: dict[str, Any]) -> Member:
    """A signed-in user asks to join; a coordinator approves or refuses."""
    with transaction(session):
        existing = session.scalar(select(Member).where(Member.user_id == user.id))
        if existing is not None:
            raise ExchangeError(_status_words(existing))
        member = Member(
            person=_person(values),
            user_id=user.id,
            area=values.get("area", ""),
            offline=False,
            status="pending",
        )
        session.add(member)
    return member


def _status_words(member: Member) -> str:
    """Why someone cannot ask to join again (each a whole sentence, to translate whole)."""
    return {
        "pending": _("You are waiting for a coordinator to approve you already."),
        "active": _("You are a member already."),
        "left": _("You are a former member already."),
        "refused": _("You are refused membership already."),
    }[member.status]


def approve(session: Session, member_id: int) -> Member:
    with transaction(session):
        member = api.get_or_404(Member, member_id)
        if member.status != "pending":
            raise ExchangeError(
                _(
                    "This member is %(status)s, not waiting for approval.",
                    status=_(MEMBER_STATUSES.get(member.status, member.status)).lower(),
                )
            )
        member.status = "active"
        member.joined_on = api.today()
        ledger.open_account(session, member)
    return member


def refuse(session: Session, member_id: int) -> Member:
    with transaction(session):
        member = api.get_or_404(Member, member_id)
        if member.status != "pending":
            raise ExchangeError(
                _(
                    "This member is %(status)s, not waiting for approval.",
                    status=_(MEMBER_STATUSES.get(member.status, member.status)).lower(),
                )
            )
        member.status = "refused"
    return member


def update(session: Session, member_id: int, values: dict[str, Any]) -> Member:
    """Change a member's details, area, offline flag, status or limits (a coordinator's)."""
    with transaction(session):
        member = api.get_or_404(Member, member_id)
        person = member.person
        for key in ("name", "email", "phone"):
            if key in values:
                setattr(person, key, values[key] or (None if key != "name" else ""))
        for key in ("area", "offline"):
            if key in values:
                setattr(member, key, values[key])
        if "status" in values:
            if member.status not in ("active", "left"):
                raise ExchangeError(_("Approve or refuse this member first."))
            member.status = values["status"]
        if member.account is not None:
            for key in ("debit_limit", "credit_limit"):
                if key in values:
                    setattr(member.account, key, values[key])
    return member


def members(filters: dict[str, Any]) -> Select[Member]:
    """Members matching ``filters`` (as ``schemas.MemberQuery`` loads them), by name."""
    statement = select(Member).join(api.Person, api.Person.id == Member.person_id)
    if "status" in filters:
        statement = statement.where(Member.status == filters["status"])
    if "q" in filters:
        statement = statement.where(api.text_search(filters["q"], api.Person.name, Member.area))
    if filters.get("offline") is not None:
        statement = statement.where(Member.offline == filters["offline"])
    return statement.order_by(api.Person.name, Member.id)


def member_of(session: Session, user: api.User) -> Member | None:
    return session.scalar(select(Member).where(Member.user_id == user.id))
