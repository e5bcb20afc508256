"""What this instance holds of the network: pinned keys, summaries, and its changes feed.

Every path a document can arrive by (a push to the inbox, a pull from a
followed feed, this instance's own ``publish``) ends in :func:`ingest` or
:func:`store_own`, so the rules are applied in one place: the signature must
match the origin's pinned key, the highest revision wins, a lower or equal
revision never overwrites, and the same revision with other content is refused.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import JSON, Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.federation import identity
from hub.federation.checking import Checked, check_summaries
from hub.federation.documents import (
    DESCRIPTOR_FIELDS,
    Refused,
    Signed,
    check_descriptor,
    check_statement,
    envelope,
    read_payload,
    timestamp,
    verify,
)
from hub.federation.models import FeedState, Origin, Refusal, Summary

if TYPE_CHECKING:
    from hub.plugin_manager import Failure

log = logging.getLogger("hub.federation")

# Who vouches for whom: only instances this one trusts directly may vouch.
DIRECT = ("self", "member", "followed", "aggregator")
STRENGTH = {"vouched": 0, "aggregator": 1, "followed": 1, "member": 2, "self": 3}
# Keys this instance vouches for to the level above: its members' and what it pulls.
RELAYED = ("member", "followed", "vouched")
STATEMENT_PREFIX = '{"aggregator":'  # canonical form sorts keys, so statements start so


@dataclass(frozen=True)
class Node:
    """This instance as the federation code needs it: its id and signing key."""

    id: str
    key: Ed25519PrivateKey
    allow_private: bool

    @classmethod
    def of(cls, app: Flask) -> Node:
        return cls(
            id=app.config["BASE_URL"],
            key=identity.load_private_key(Path(app.instance_path)),
            allow_private=app.config["FEDERATION_ALLOW_PRIVATE"],
        )

    @property
    def public_key(self) -> str:
        return identity.encode_public_key(self.key.public_key())


@dataclass
class Outcome:
    """What became of a batch of documents."""

    accepted: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.accepted += other.accepted
        self.unchanged += other.unchanged
        self.refused += other.refused

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "unchanged": self.unchanged, "refused": self.refused}


# --- the feed counter ------------------------------------------------------------


def lock_feed(session: Session) -> FeedState:
    """Take the feed's write lock (a row lock on PostgreSQL, the write lock on SQLite).

    Writers hold it until commit, so sequence numbers commit in order and a
    follower never moves its cursor past a row that is still to commit.
    """
    session.execute(update(FeedState).values(next_seq=FeedState.next_seq))
    state = session.scalar(select(FeedState).with_for_update())
    if state is None:
        state = FeedState(id=1, next_seq=1, epoch=secrets.token_hex(4))
        session.add(state)
        session.flush()
    return state


def take_seqs(state: FeedState, count: int) -> range:
    first = state.next_seq
    state.next_seq = first + count
    return range(first, first + count)


def rotate_epoch(state: FeedState) -> None:
    """Make every follower start this feed again (after a restore from backup)."""
    state.epoch = secrets.token_hex(4)


def cursor_of(state: FeedState | None, seq: int) -> str:
    return f"{state.epoch if state else '0'}-{seq}"


def parse_cursor(text: str, state: FeedState | None) -> int:
    """The sequence number after which a feed request starts.

    A cursor from another epoch (the feed was reset) or from the future (the
    instance was restored from a backup) starts again from the beginning:
    receiving is idempotent, skipping is not.
    """
    if not text:
        return 0
    epoch, sep, number = text.partition("-")
    if not sep or not number.isdigit() or len(number) > 15:
        raise ValueError("not a cursor this feed gave out")
    if state is None or epoch != state.epoch or int(number) >= state.next_seq:
        return 0
    return int(number)


# --- pinning keys ------------------------------------------------------------------


def public_descriptor(descriptor: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a descriptor that are relayed and pinned."""
    return {key: descriptor[key] for key in sorted(DESCRIPTOR_FIELDS) if key in descriptor}


def pin(
    session: Session,
    node: Node,
    descriptor: Mapping[str, Any],
    *,
    relation: str,
    vouched_by: str | None = None,
) -> Origin:
    """Pin ``descriptor``'s key for its origin, or confirm the key already pinned.

    A different key for a pinned origin is refused: keys do not change in
    protocol version 1. A stronger relation (followed, member) replaces a
    weaker one (vouched). The statement vouching for the key to the level
    above is signed and given a feed position only when something changed.
    """
    described = check_descriptor(public_descriptor(descriptor))
    # The feed lock first, as every writer takes it: a join and a relayed statement
    # about the same member then queue instead of deadlocking on each other's rows.
    state = lock_feed(session)
    origin_id = described["id"]
    row = session.scalar(select(Origin).where(Origin.origin == origin_id))
    if row is not None and row.public_key != described["public_key"]:
        raise Refused(
            f"{origin_id} is pinned with another key ({row.public_key}); keys cannot change"
        )
    if row is None:
        row = Origin(origin=origin_id, public_key=described["public_key"], relation=relation)
        session.add(row)
    elif STRENGTH[relation] < STRENGTH[row.relation]:
        return row  # what we know directly beats what we were told
    changed = row.descriptor != described or row.relation != relation
    row.relation = relation
    row.vouched_by = vouched_by if relation == "vouched" else None
    row.descriptor = described
    row.name = str(described.get("name", ""))[:200]
    locality = described.get("locality") or {}
    row.town = str(locality.get("town", ""))[:120]
    row.region = str(locality.get("region", ""))[:120]
    row.country = str(locality.get("country", ""))[:10]
    if relation in RELAYED and (changed or row.statement is None):
        statement = Signed.make(
            {"aggregator": node.id, "descriptor": described, "issued_at": timestamp(utcnow())},
            node.key,
        )
        row.statement, row.statement_signature = statement.payload, statement.signature
        row.seq = take_seqs(state, 1)[0]
    session.flush()
    return row


def pin_self(session: Session, node: Node, descriptor: Mapping[str, Any]) -> Origin:
    return pin(session, node, descriptor, relation="self")


# --- receiving ----------------------------------------------------------------------


def _refuse(
    session: Session, source: str, reason: str, info: Mapping[str, Any], outcome: Outcome
) -> None:
    revision = info.get("revision")
    session.add(
        Refusal(
            source=source[:300],
            origin=str(info.get("origin", ""))[:300],
            plugin=str(info.get("plugin", ""))[:40],
            period=str(info.get("period", ""))[:10],
            revision=revision if isinstance(revision, int) and abs(revision) < 2**31 else None,
            reason=reason,
        )
    )
    where = " ".join(str(info[k]) for k in ("origin", "plugin", "period") if info.get(k))
    message = f"{where or 'item'}: {reason}"
    outcome.refused.append(message)
    log.warning("refused a document from %s: %s", source, message)


def _statement(session: Session, node: Node, signed: Signed) -> dict[str, Any]:
    document = check_statement(read_payload(signed))
    signer = session.scalar(select(Origin).where(Origin.origin == document["aggregator"]))
    if signer is None or signer.relation not in DIRECT:
        raise Refused(
            f"statement signed by {document['aggregator']}, which this instance does not trust directly"
        )
    verify(signed, identity.decode_public_key(signer.public_key))
    return document


CheckFunction = Callable[[Sequence[tuple[str, str]], Mapping[str, bytes]], list[Any]]


def ingest(
    session: Session,
    node: Node,
    raw_items: Iterable[Any],
    *,
    source: str,
    check: CheckFunction = check_summaries,
    after_check: Callable[[], None] = lambda: None,
) -> Outcome:
    """Verify and store a batch of signed documents; the caller commits.

    Statements (an aggregator vouching for a member's key) are handled first, so
    a batch may carry a new member and its summaries together. Every refusal is
    logged with its reason and recorded; it never stops the rest of the batch.
    """
    outcome = Outcome()
    state = lock_feed(session)
    summaries: list[Signed] = []
    for raw in raw_items:
        try:
            signed = envelope(raw)
        except Refused as exc:
            _refuse(session, source, str(exc), {}, outcome)
            continue
        if not signed.payload.startswith(STATEMENT_PREFIX):
            summaries.append(signed)
            continue
        try:
            document = _statement(session, node, signed)
            described = document["descriptor"]
            if described["id"] != node.id:
                before = session.scalar(select(Origin.seq).where(Origin.origin == described["id"]))
                row = pin(
                    session, node, described, relation="vouched", vouched_by=document["aggregator"]
                )
                outcome.accepted += row.seq != before
                outcome.unchanged += row.seq == before
        except (Refused, ValueError) as exc:
            _refuse(session, source, str(exc), {"origin": _peek_origin(signed)}, outcome)
    _store_summaries(session, state, summaries, source, check, outcome, after_check)
    return outcome


def summary_pairs(raw_items: Iterable[Any]) -> list[tuple[str, str]]:
    """The ``(payload, signature)`` of the summaries among feed items, as :func:`ingest`
    will check them (for :meth:`ParallelChecker.prefetch`)."""
    pairs = []
    for raw in raw_items:
        try:
            signed = envelope(raw)
        except Refused:
            continue
        if not signed.payload.startswith(STATEMENT_PREFIX):
            pairs.append((signed.payload, signed.signature))
    return pairs


def _peek_origin(signed: Signed) -> str:
    try:
        return str(read_payload(signed).get("descriptor", {}).get("id", ""))
    except (Refused, AttributeError):
        return ""


def pinned_keys(session: Session) -> dict[str, bytes]:
    rows = session.execute(select(Origin.origin, Origin.public_key)).all()
    return {origin: identity.raw_public_key(key) for origin, key in rows}


def _store_summaries(
    session: Session,
    state: FeedState,
    summaries: list[Signed],
    source: str,
    check: CheckFunction,
    outcome: Outcome,
    after_check: Callable[[], None],
) -> None:
    if not summaries:
        after_check()
        return
    claimed = [_claimed_key(signed.payload) for signed in summaries]
    held = _held(session, {key for key in claimed if key is not None})
    # A document byte-identical to one held was verified when it was stored: it is
    # unchanged, and relays and repeated pushes cost no second verification.
    fresh = []
    for signed, key in zip(summaries, claimed, strict=True):
        current = held.get(key) if key is not None else None
        if (
            current is not None
            and current["payload"] == signed.payload
            and current["signature"] == signed.signature
        ):
            outcome.unchanged += 1
        else:
            fresh.append(signed)
    results = check([(s.payload, s.signature) for s in fresh], pinned_keys(session))
    after_check()  # e.g. start checking the next page while this one is stored
    checked: list[Checked] = []
    for result in results:
        if isinstance(result, Checked):
            checked.append(result)
        else:
            reason, info = result
            _refuse(session, source, reason, info, outcome)
    pending: dict[tuple[str, str, str], dict[str, Any]] = {}
    for doc in checked:
        key = (doc.origin, doc.plugin, doc.period)
        current = pending.get(key) or held.get(key)
        if current is not None:
            if doc.revision == current["revision"] and doc.payload == current["payload"]:
                outcome.unchanged += 1
                continue
            if doc.revision == current["revision"]:
                _refuse(
                    session,
                    source,
                    f"revision {doc.revision} is already held with different content",
                    doc.info(),
                    outcome,
                )
                continue
            if doc.revision < current["revision"]:
                _refuse(
                    session,
                    source,
                    f"revision {doc.revision} is older than revision {current['revision']} held",
                    doc.info(),
                    outcome,
                )
                continue
        row = doc.row(source)
        row["id"] = current.get("id") if current else None
        pending[key] = row
        outcome.accepted += 1
    write_rows(session, state, list(pending.values()))


def _claimed_key(payload: str) -> tuple[str, str, str] | None:
    """The origin, plugin and period a payload claims, read before any check.

    Used only to find the row held for that key (one indexed lookup instead of
    an index over random signatures); nothing is trusted until it is verified.
    """
    try:
        document = json.loads(payload)
        key = (document["origin"], document["plugin"], document["period"])
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    return key if all(isinstance(part, str) for part in key) else None


def _held(
    session: Session, keys: set[tuple[str, str, str]]
) -> dict[tuple[str, str, str], dict[str, Any]]:
    if not keys:
        return {}
    rows = session.execute(
        select(
            Summary.id,
            Summary.origin,
            Summary.plugin,
            Summary.period,
            Summary.revision,
            Summary.payload,
            Summary.signature,
        ).where(
            Summary.origin.in_({origin for origin, _, _ in keys}),
            Summary.period.in_({period for _, _, period in keys}),
        )
    ).all()
    return {
        (r.origin, r.plugin, r.period): {
            "id": r.id,
            "revision": r.revision,
            "payload": r.payload,
            "signature": r.signature,
        }
        for r in rows
    }


def write_rows(session: Session, state: FeedState, rows: list[dict[str, Any]]) -> None:
    """Insert new summaries and replace held ones, each at a new feed position."""
    if not rows:
        return
    now = utcnow()
    new, replaced = [], []
    # The rows are the caller's own, built for this call: filled in place, not copied.
    for row, seq in zip(rows, take_seqs(state, len(rows)), strict=True):
        row["seq"] = seq
        row["received_at"] = now
        row_id = row.pop("id")
        if row_id is None:
            new.append(row)
        else:
            row["row_id"] = row_id
            replaced.append(row)
    # Core statements, not the ORM's bulk paths: an aggregator stores thousands of
    # rows a second and the ORM's per-row bookkeeping would dominate.
    table = Summary.__table__
    connection = session.connection()
    if new and connection.dialect.name == "postgresql":
        _copy_rows(connection, table, new)
    elif new:
        connection.execute(insert(table), new)
    if replaced:
        columns = {key: bindparam(key) for key in replaced[0] if key != "row_id"}
        connection.execute(
            update(table).where(table.c.id == bindparam("row_id")).values(columns), replaced
        )


def _copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert with PostgreSQL's COPY: an executemany through psycopg is one
    statement per row, which cost the storing process more than everything else."""
    quote = connection.dialect.identifier_preparer.quote
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    statement = f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[name]) if name in json_columns else row[name] for name in columns]
            )


# --- the changes feed ------------------------------------------------------------------


def feed(
    session: Session, since: int, limit: int, origin: str | None = None
) -> tuple[list[dict[str, str]], int, bool]:
    """Up to ``limit`` feed items after ``since``: ``(items, last seq, more to come)``."""
    summaries = select(Summary.seq, Summary.payload, Summary.signature).where(Summary.seq > since)
    statements = select(Origin.seq, Origin.statement, Origin.statement_signature).where(
        Origin.seq > since, Origin.statement.is_not(None)
    )
    if origin is not None:
        summaries = summaries.where(Summary.origin == origin)
        statements = statements.where(Origin.origin == origin)
    found = [
        *session.execute(summaries.order_by(Summary.seq).limit(limit + 1)).all(),
        *session.execute(statements.order_by(Origin.seq).limit(limit + 1)).all(),
    ]
    found.sort(key=lambda row: row[0])
    page = found[:limit]
    items = [{"payload": payload, "signature": signature} for _, payload, signature in page]
    last = page[-1][0] if page else since
    return items, last, len(found) > limit


def feed_state(session: Session) -> FeedState | None:
    return session.get(FeedState, 1)


# --- this instance's own summaries -----------------------------------------------------


@dataclass
class PublishReport:
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    adopted: int = 0
    failures: list[Failure] = field(default_factory=list)  # plugins that published nothing


def store_own(
    session: Session,
    node: Node,
    figures: Iterable[tuple[str, str, dict[str, int | None]]],
    report: PublishReport,
) -> None:
    """Sign and store this instance's figures; a new revision only where they changed."""
    state = lock_feed(session)
    held = {
        (row.plugin, row.period): row
        for row in session.scalars(select(Summary).where(Summary.origin == node.id))
    }
    rows = []
    generated_at = timestamp(utcnow())
    for plugin, period, metrics in figures:
        current = held.get((plugin, period))
        if current is not None and current.metrics == metrics:
            report.unchanged += 1
            continue
        revision = current.revision + 1 if current is not None else 1
        document = {
            "origin": node.id,
            "plugin": plugin,
            "period": period,
            "metrics": metrics,
            "revision": revision,
            "generated_at": generated_at,
        }
        signed = Signed.make(document, node.key)
        rows.append(
            {
                "id": current.id if current is not None else None,
                "origin": node.id,
                "plugin": plugin,
                "period": period,
                "revision": revision,
                "metrics": metrics,
                "payload": signed.payload,
                "signature": signed.signature,
                "generated_at": generated_at,
                "received_from": node.id,
            }
        )
        if current is None:
            report.new += 1
        else:
            report.revised += 1
    write_rows(session, state, rows)


def adopt_own(session: Session, node: Node, items: Iterable[Any], report: PublishReport) -> None:
    """Take back this instance's own summaries from an aggregator that holds newer
    revisions than the database (it was restored from a backup), so that no
    revision number is ever issued twice with different content."""
    state = lock_feed(session)
    own_key = {node.id: identity.raw_public_key(node.public_key)}
    signed = []
    for item in items:
        try:
            signed.append(envelope(item))
        except Refused as exc:
            log.warning("an aggregator sent a malformed item about this instance: %s", exc)
    held = {
        (row.plugin, row.period): row
        for row in session.scalars(select(Summary).where(Summary.origin == node.id))
    }
    newest: dict[tuple[str, str], Checked] = {}
    for result in check_summaries([(s.payload, s.signature) for s in signed], own_key):
        if not isinstance(result, Checked):
            # Not ours after all (forged or damaged): there is nothing to learn from it.
            log.warning("an aggregator holds a summary for this instance that fails: %s", result[0])
            continue
        key = (result.plugin, result.period)
        current = held.get(key)
        best = newest.get(key)
        if (current is None or result.revision > current.revision) and (
            best is None or result.revision > best.revision
        ):
            newest[key] = result
    rows = [
        {**doc.row(node.id), "id": held[key].id if key in held else None}
        for key, doc in newest.items()
    ]
    if rows:
        rotate_epoch(state)
        report.adopted += len(rows)
        write_rows(session, state, rows)
