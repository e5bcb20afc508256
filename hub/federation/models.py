"""Federation tables: pinned identities, peers, signed summaries, invites, refusals.

Every row that appears in this instance's changes feed (a summary, or a
statement vouching for an origin's key) carries a ``seq`` from one counter in
:class:`FeedState`. Writers take that row's lock first, so sequence numbers
become visible in order and a follower's cursor never skips a row that commits
late.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Model, utcnow


class FeedState(Model):
    """One row: the next feed sequence number, the feed's epoch and the revision floor.

    The epoch is part of every cursor; it changes when this instance learns it
    was restored from a backup, so followers start again instead of skipping.
    Every revision this instance issues is above ``revision_floor``, which a
    restore raises above any revision issued before it (:func:`store.raise_floor`).
    """

    __tablename__ = "federation_state"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    next_seq: Mapped[int] = mapped_column(default=1)
    epoch: Mapped[str] = mapped_column(String(32))
    revision_floor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A new random tag whenever a pinned descriptor changes, arrives or goes: every
    # worker keeps the metric declarations it read from them until the tag changes.
    # Random, not a counter: a database restored from a backup and changed again
    # must never come back to a tag a worker cached for other descriptors.
    descriptors_tag: Mapped[str] = mapped_column(String(32), default="", server_default="")


class Origin(Model):
    """An instance whose key this instance has pinned, and how it came to trust it."""

    __tablename__ = "federation_origin"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(300), unique=True)
    public_key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="", index=True)
    country: Mapped[str] = mapped_column(String(10), default="")
    # self | member (joined us with a token) | followed (we follow it)
    # | aggregator (we joined it) | vouched (an aggregator's statement)
    relation: Mapped[str] = mapped_column(String(20))
    # instance | aggregator: only an origin trusted as an aggregator vouches for others
    role: Mapped[str] = mapped_column(String(20), default="instance", server_default="instance")
    vouched_by: Mapped[str | None] = mapped_column(String(300))
    descriptor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # issued_at of the statement the descriptor came from (None: learnt directly);
    # an older statement never replaces a newer one.
    described_at: Mapped[str | None] = mapped_column(String(20))
    # This instance's signed statement vouching for the key, relayed in its feed.
    statement: Mapped[str | None] = mapped_column(Text)
    statement_signature: Mapped[str | None] = mapped_column(String(100))
    seq: Mapped[int | None] = mapped_column(index=True)
    pinned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The descriptor's disclosure threshold (5 if it gave none we can use): how much
    # each of this origin's suppressed cells may hide in a total.
    threshold: Mapped[int] = mapped_column(default=5, server_default="5")
    # Its service directory (hub/federation/directories.py), as last fetched and checked
    # during a sync: the services it lists under its own id, nothing else.
    directory: Mapped[list[Any] | None]
    directory_at: Mapped[dt.datetime | None]

    # The audit log records who pinned which key; the signed copies are not news.
    __audit_exclude__ = (
        "descriptor",
        "directory",
        "directory_at",
        "statement",
        "statement_signature",
        "seq",
        "described_at",
        "threshold",
    )


class Summary(Model):
    """The current (highest) revision of one origin's summary for a plugin and period.

    ``payload`` holds the exact canonical bytes that were signed; they are what
    is relayed, so every level can verify the origin's signature itself.
    """

    __tablename__ = "federation_summary"
    __audited__ = False  # signed, append-by-revision documents; the refusal log covers trust
    __table_args__ = (
        UniqueConstraint("origin", "plugin", "period"),
        Index("ix_federation_summary_plugin_period", "plugin", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(300))
    plugin: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(BigInteger)  # up to 2^53-1, as documents allow
    metrics: Mapped[dict[str, Any]]
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    generated_at: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(unique=True)
    received_from: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Subtotal(Model):
    """What the summaries held for one plugin, period and region add up to.

    Kept in the same transaction as the summaries it adds up (see
    :mod:`hub.federation.rollup`), so a page or the totals API reads a handful of
    these rows, never every summary. ``metrics`` maps each metric name to
    ``[cells, suppressed cells, most they hide, sum of the published cells]``:
    JSON integers are exact at any size, and a sum of many cells may pass the
    64-bit integers of both databases while it must stay exact ([R9.1]).
    """

    __tablename__ = "federation_subtotal"
    __audited__ = False  # derived from the summaries, which are not audited either
    # Every batch stored rewrites its rows: room in each page lets PostgreSQL update
    # them in place (HOT) instead of leaving the table a trail of dead rows to scan.
    __table_args__ = ({"postgresql_with": {"fillfactor": 50}},)

    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    region: Mapped[str] = mapped_column(String(120), primary_key=True)
    origins: Mapped[int]  # how many origins' summaries are added up here
    metrics: Mapped[dict[str, Any]]


class Holding(Model):
    """One origin that holds summaries of one plugin: the towns ``/network`` lists.

    Kept in the same transaction as the summaries (see :mod:`hub.federation.rollup`),
    with the origin's label and region, so a page of towns is read from an index in
    the order it is shown, and counted, without probing the summaries of every origin.
    """

    __tablename__ = "federation_holding"
    __audited__ = False  # derived from the summaries and the pinned descriptors
    __table_args__ = (
        Index("ix_federation_holding_listed", "plugin", "label", "origin"),
        Index("ix_federation_holding_region", "plugin", "region", "label", "origin"),
    )

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))  # town, else name, else the id
    region: Mapped[str] = mapped_column(String(120))


class Peer(Model):
    """An instance this one talks to: an aggregator it pushes to, or a feed it pulls."""

    __tablename__ = "federation_peer"
    __table_args__ = (UniqueConstraint("url", "direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(300))
    direction: Mapped[str] = mapped_column(String(10))  # push | pull
    name: Mapped[str] = mapped_column(String(200), default="")
    cursor: Mapped[str] = mapped_column(String(80), default="")  # pull: the peer's opaque cursor
    pushed_seq: Mapped[int] = mapped_column(default=0)  # push: our feed, sent up to here
    last_success_at: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    received: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    sent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __audit_exclude__ = (
        "cursor",
        "pushed_seq",
        "last_success_at",
        "last_attempt_at",
        "last_error",
        "last_error_at",
        "failures",
        "next_attempt_at",
        "received",
        "accepted",
        "refused",
        "sent",
    )


class Invite(Model):
    """A one-time token an aggregator hands to a group joining it (stored hashed)."""

    __tablename__ = "federation_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    # The role the group that joins with it is trusted in (see Origin.role).
    role: Mapped[str] = mapped_column(String(20), default="instance", server_default="instance")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(300))

    __audit_exclude__ = ("token_hash",)


class Block(Model):
    """An instance id or a public key an operator blocked, and why.

    A blocked id or key is never pinned; what was pinned under it is forgotten
    when the block is made. Refusals it causes are logged with the reason.
    """

    __tablename__ = "federation_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # id | key
    value: Mapped[str] = mapped_column(String(300), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def refusal(self) -> str:
        return f"{self.value} is blocked here: {self.reason}"


class Refusal(Model):
    """A document this instance refused, and why (also logged)."""

    __tablename__ = "federation_refusal"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(300))
    origin: Mapped[str] = mapped_column(String(300), default="")
    plugin: Mapped[str] = mapped_column(String(40), default="")
    period: Mapped[str] = mapped_column(String(10), default="")
    revision: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
