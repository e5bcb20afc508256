"""Offers and requests: what members can do for others and what they would like help
with, found by words, skill, category and area, and matched to each other."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_skillshare.codes import SKILL_CATEGORY
from hub_skillshare.i18n import _
from hub_skillshare.models import Listing, Member
from hub_skillshare.service import Actor, ExchangeError, transaction


def _owned_member(session: Session, actor: Actor) -> Member:
    member = session.scalar(
        select(Member).where(Member.user_id == actor.user_id, Member.status == "active")
    )
    if member is None:
        raise ExchangeError(_("Only an active member has offers and requests."))
    return member


def add(session: Session, values: dict[str, Any], actor: Actor) -> Listing:
    """A member's new offer or request (``values`` as ``schemas.ListingIn`` loads them)."""
    with transaction(session):
        member = _owned_member(session, actor)
        listing = Listing(
            member=member,
            kind=values["kind"],
            skill=values["skill"],
            category=SKILL_CATEGORY[values["skill"]],
            title=values["title"],
            description=values.get("description", ""),
            area=values.get("area") or member.area,
            availability=values.get("availability", []),
        )
        session.add(listing)
    return listing


def update(session: Session, listing_id: int, values: dict[str, Any], actor: Actor) -> Listing:
    """Change or withdraw (``active: false``) an offer or request: its member's, or any
    for a coordinator."""
    with transaction(session):
        listing = api.get_or_404(Listing, listing_id)
        if listing.member.user_id != actor.user_id and not actor.coordinator:
            raise ExchangeError(_("This is another member's offer or request."))
        for key in ("title", "description", "area", "availability", "active", "kind"):
            if key in values:
                setattr(listing, key, values[key])
        if "skill" in values:
            listing.skill = values["skill"]
            listing.category = SKILL_CATEGORY[values["skill"]]
    return listing


def listings(filters: dict[str, Any], actor: Actor | None = None) -> Select[Listing]:
    """Active offers and requests of active members matching ``filters`` (as
    ``schemas.ListingQuery`` loads them), newest first; ``mine`` are the actor's own,
    withdrawn ones included."""
    statement = select(Listing).join(Member, Member.id == Listing.member_id)
    if filters.get("mine") and actor is not None:
        statement = statement.where(Member.user_id == actor.user_id)
    else:
        statement = statement.where(Listing.active, Member.status == "active")
    for key in ("kind", "skill", "category", "area"):
        if key in filters:
            statement = statement.where(getattr(Listing, key) == filters[key])
    if "member" in filters:
        statement = statement.where(Listing.member_id == filters["member"])
    if "q" in filters:
        statement = statement.where(
            api.text_search(filters["q"], Listing.title, Listing.description)
        )
    return statement.order_by(Listing.id.desc())


def matches(listing: Listing) -> Select[Listing]:
    """For a request, the offers of its category by other members (for an offer, the
    requests): the same skill and the same area first, then the rest of the category."""
    wanted = "offer" if listing.kind == "request" else "request"
    statement = listings({"kind": wanted, "category": listing.category}).where(
        Listing.member_id != listing.member_id
    )
    nearer = case((Listing.area == listing.area, 0), else_=1)
    closer = case((Listing.skill == listing.skill, 0), else_=1)
    return statement.order_by(None).order_by(nearer, closer, Listing.id.desc())
