"""What an operator does about other instances: remove a member, block an id or a
key, stop following a peer, and say which instances are trusted as aggregators.

Modelled on the domain blocks of Mastodon's moderation: a block keeps its
reason, is shown in ``hub federation status``, and every refusal it causes is
logged with it. Removing or blocking an instance forgets its key, the summaries
held for it and the ids it alone vouched for, so none of it is counted in this
instance's totals any more. What followers already hold is theirs: the
protocol has no way to take a signed summary back (docs/federation.md §11).
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from hub.federation import identity, store
from hub.federation.grammar import Refused, text
from hub.federation.models import Block, Origin, Peer
from hub.federation.net import normalise_url

log = logging.getLogger("hub.federation")

MAX_REASON_BYTES = 500


class ModerationError(Exception):
    """The action cannot be taken; ``str()`` is one line for the operator."""


def instance(value: str) -> str:
    try:
        return normalise_url(value)
    except ValueError as exc:
        raise ModerationError(str(exc)) from None


def _pinned(session: Session, node: store.Node, origin_id: str) -> Origin:
    row = session.scalar(select(Origin).where(Origin.origin == origin_id))
    if row is None:
        raise ModerationError(f"{origin_id} is not pinned here")
    if row.relation == "self":
        raise ModerationError(f"{origin_id} is this instance itself")
    return row


def _forget(session: Session, origin_id: str) -> int:
    """Forget an origin (:func:`store.forget`) and stop pushing to or pulling from it."""
    session.execute(delete(Peer).where(Peer.url == origin_id))
    return store.forget(session, origin_id)


def remove(session: Session, node: store.Node, origin_id: str) -> int:
    """Unpin a member (or any instance) and everything held for it; it may join again
    with a new invite. Returns how many origins were unpinned."""
    row = _pinned(session, node, instance(origin_id))
    gone = _forget(session, row.origin)
    log.warning("operator removed %s (%d origins unpinned)", row.origin, gone)
    return gone


def block(session: Session, node: store.Node, value: str, reason: str) -> int:
    """Block an instance id or a public key for ``reason``: what is pinned under it is
    forgotten, and it is never pinned again. Returns how many origins were unpinned."""
    try:
        text(reason, "the reason", MAX_REASON_BYTES)
        kind = "key" if value.startswith(identity.KEY_PREFIX) else "id"
        if kind == "key":
            identity.raw_public_key(value)
    except Refused as exc:
        raise ModerationError(str(exc)) from None
    value = value if kind == "key" else instance(value)
    if value in (node.id, node.public_key):
        raise ModerationError("this instance cannot block itself")
    gone = sum(
        _forget(session, origin)
        for origin in session.scalars(
            select(Origin.origin).where(or_(Origin.origin == value, Origin.public_key == value))
        ).all()
    )
    found = session.scalar(select(Block).where(Block.value == value))
    if found is None:
        session.add(Block(kind=kind, value=value, reason=reason))
    else:
        found.reason = reason
    session.flush()
    log.warning("operator blocked %s: %s (%d origins unpinned)", value, reason, gone)
    return gone


def unblock(session: Session, value: str) -> None:
    key = value if value.startswith(identity.KEY_PREFIX) else instance(value)
    found = session.scalar(select(Block).where(Block.value == key))
    if found is None:
        raise ModerationError(f"{key} is not blocked")
    session.delete(found)
    log.warning("operator unblocked %s", key)


def unfollow(session: Session, url: str) -> int:
    """Stop pulling ``url``; unless it is also a member, forget it and what it relayed
    alone. Returns how many origins were unpinned."""
    url = instance(url)
    peer = session.scalar(select(Peer).where(Peer.url == url, Peer.direction == "pull"))
    if peer is None:
        raise ModerationError(f"this instance does not follow {url}")
    session.delete(peer)
    row = session.scalar(select(Origin).where(Origin.origin == url))
    gone = store.forget(session, url) if row is not None and row.relation == "followed" else 0
    log.warning("operator unfollowed %s (%d origins unpinned)", url, gone)
    return gone


def set_role(session: Session, node: store.Node, origin_id: str, role: str) -> str:
    """Trust a directly known instance as an aggregator (its statements vouch for
    other ids) or as an instance (they do not)."""
    row = _pinned(session, node, instance(origin_id))
    if row.relation not in store.DIRECT:
        raise ModerationError(
            f"{row.origin} is known only through {row.vouched_by}: trust is one hop, "
            "so only an instance this one joined, follows or has as a member can vouch"
        )
    row.role = role
    log.warning("operator set %s's role to %s", row.origin, role)
    return row.origin
