"""What this instance holds of the network: pinned keys, summaries, and its changes feed.

Every path a document can arrive by (a push to the inbox, a pull from a
followed feed, this instance's own ``publish``) ends in :func:`ingest` or
:func:`store_own`, so the rules are applied in one place: the signature must
match the origin's pinned key, the highest revision wins, a lower or equal
revision never overwrites, and the same revision with other content is refused.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import JSON, Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.federation import aggregates, identity, rollup
from hub.federation.checking import Checked, Rules, check_summaries
from hub.federation.documents import (
    DESCRIPTOR_FIELDS,
    Figures,
    Refused,
    Signed,
    check_descriptor,
    check_statement,
    declared_figures,
    envelope,
    read_payload,
    timestamp,
    verify,
)
from hub.federation.grammar import TIME_FORMAT, instance_id, shown
from hub.federation.models import Block, FeedState, Origin, Refusal, Summary

if TYPE_CHECKING:
    from hub.plugin_manager import Failure

log = logging.getLogger("hub.federation")

# Remote relations an operator chose; only these sign statements a receiver reads.
DIRECT = ("member", "followed", "aggregator")
STRENGTH = {"vouched": 0, "aggregator": 1, "followed": 1, "member": 2, "self": 3}
# Keys this instance signs statements for, in its feed: its own (so that whoever
# pulls or is pushed its feed learns a changed descriptor), its members' and what it pulls.
RELAYED = ("self", "member", "followed", "vouched")
ROLES = ("instance", "aggregator")
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


# Receiving a feed page allocates tens of thousands of objects (parsed items, checked
# results, rows, subtotals) that all live until the page is stored. At the collector's
# default threshold (700 allocations) each page sets off dozens of collections that
# walk every one of them again, which cost the storing process a third of its time.
# Reference counting frees them when the page is done; only cycles wait for a collection.
BULK_COLLECTION_THRESHOLD = 50_000


@contextmanager
def receiving_in_bulk() -> Iterator[None]:
    """Collect garbage less often while a command receives many pages in a row (the
    first generation's threshold raised); put back as it was afterwards."""
    first, *older = gc.get_threshold()
    gc.set_threshold(max(first, BULK_COLLECTION_THRESHOLD), *older)
    try:
        yield
    finally:
        gc.set_threshold(first, *older)


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


# Revisions count changes of one period's figures, so before a restore they are small.
# A restored database cannot know the revisions issued after its backup (a follower
# may hold one nobody else does), so the floor rises to the seconds since this epoch:
# above any revision issued before, unless a period changed more than once a second
# since the last restore.
FLOOR_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def raise_floor(state: FeedState, now: dt.datetime) -> None:
    """After a restore: every revision issued from now on is above any issued before."""
    state.revision_floor = max(state.revision_floor, int((now - FLOOR_EPOCH).total_seconds()))


def next_revision(state: FeedState, current: int | None) -> int:
    """The revision after ``current`` (None: the first), above the floor."""
    return max(current or 0, state.revision_floor) + 1


def cursor_of(state: FeedState | None, seq: int) -> str:
    return f"{state.epoch if state else '0'}-{seq}"


CURSOR = re.compile(r"([0-9a-f]{1,32})-(0|[1-9][0-9]{0,14})")


def parse_cursor(text: str, state: FeedState | None) -> int:
    """The sequence number after which a feed request starts.

    A cursor from another epoch (the feed was reset) or from the future (the
    instance was restored from a backup) starts again from the beginning:
    receiving is idempotent, skipping is not.
    """
    if not text:
        return 0
    match = CURSOR.fullmatch(text)
    if match is None:
        raise ValueError("not a cursor this feed gave out")
    if state is None or match[1] != state.epoch or int(match[2]) >= state.next_seq:
        return 0
    return int(match[2])


# --- pinning keys ------------------------------------------------------------------


def public_descriptor(descriptor: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a descriptor that are relayed and pinned."""
    return {key: descriptor[key] for key in sorted(DESCRIPTOR_FIELDS) if key in descriptor}


def blocked(session: Session, *values: str) -> Block | None:
    """The operator's block on any of these ids or keys, if there is one."""
    return session.scalar(select(Block).where(Block.value.in_(values)).limit(1))


def pin(
    session: Session,
    node: Node,
    descriptor: Mapping[str, Any],
    *,
    relation: str,
    role: str = "instance",
    vouched_by: str | None = None,
    issued_at: str | None = None,
) -> tuple[Origin, bool]:
    """Pin ``descriptor``'s key for its origin, or confirm the key already pinned;
    return the row and whether anything about it changed.

    A different key for a pinned origin is refused: keys do not change in
    protocol version 1. Nobody but this instance may claim its own id, and a
    blocked id or key is never pinned. A stronger relation (followed, member)
    replaces a weaker one (vouched); a statement (``issued_at``) replaces a
    descriptor only if it is newer than the statement that gave the one held.
    The statement vouching for the key to the level above is signed and given
    a feed position only when something changed.
    """
    described = check_descriptor(public_descriptor(descriptor))
    origin_id, key = described["id"], described["public_key"]
    if origin_id == node.id and relation != "self":
        raise Refused(f"{origin_id} is this instance's own id: no one else may claim it")
    block = blocked(session, origin_id, key)
    if block is not None:
        raise Refused(block.refusal())
    # The feed lock first, as every writer takes it: a join and a relayed statement
    # about the same member then queue instead of deadlocking on each other's rows.
    state = lock_feed(session)
    row = session.scalar(select(Origin).where(Origin.origin == origin_id))
    if row is not None and row.public_key != key:
        raise Refused(
            f"{origin_id} is pinned with another key ({row.public_key}); keys cannot change"
        )
    before = None if row is None else (row.region, row.threshold)
    listing = None if row is None else (row.town, row.name, row.region)
    if row is None:
        row = Origin(origin=origin_id, public_key=key, relation=relation, role=role)
        session.add(row)
    elif STRENGTH[relation] < STRENGTH[row.relation]:
        return row, False  # what we know directly beats what we were told
    elif issued_at is not None and row.described_at is not None and issued_at <= row.described_at:
        if row.descriptor == described:
            return row, False
        raise Refused(
            f"a statement issued at {issued_at} about {origin_id} is not newer than "
            f"the one its descriptor came from ({row.described_at})"
        )
    changed = (row.descriptor, row.relation) != (described, relation)
    row.relation, row.role = relation, role
    row.vouched_by = vouched_by if relation == "vouched" else None
    row.described_at = issued_at
    row.descriptor = described
    row.name = described.get("name", "")
    locality = described.get("locality", {})
    row.town, row.region = locality.get("town", ""), locality.get("region", "")
    row.country = locality.get("country", "")
    row.threshold = aggregates.disclosure_threshold(described)
    if relation in RELAYED and (changed or row.statement is None):
        statement = Signed.make(
            {"aggregator": node.id, "descriptor": described, "issued_at": _issue_time(row)},
            node.key,
        )
        row.statement, row.statement_signature = statement.payload, statement.signature
        row.seq = take_seqs(state, 1)[0]
    if changed:
        described_anew(state)
    session.flush()
    if before != (row.region, row.threshold):
        rollup.moved(session, origin_id, before, (row.region, row.threshold))
    if listing != (row.town, row.name, row.region):
        rollup.listed(session, row)
    return row, changed


def described_anew(state: FeedState) -> None:
    """Tell every worker that the pinned descriptors changed (their metric declarations
    are read from them once per change, not per request: :func:`descriptors_tag`)."""
    state.descriptors_tag = secrets.token_hex(8)


def descriptors_tag(session: Session) -> str:
    """What the pinned descriptors are now, in one indexed read: the same tag, the same
    descriptors."""
    return session.scalar(select(FeedState.descriptors_tag).where(FeedState.id == 1)) or ""


def _issue_time(row: Origin) -> str:
    """Now, or a second after this instance's last statement about the same origin:
    receivers order statements by their time, so they must never repeat one."""
    now = utcnow().replace(microsecond=0)
    if row.statement is not None:
        last = dt.datetime.strptime(json.loads(row.statement)["issued_at"], TIME_FORMAT)
        now = max(now, last.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=1))
    return timestamp(now)


def pin_self(session: Session, node: Node, descriptor: Mapping[str, Any]) -> Origin:
    """Pin this instance's own key. A key pinned for its id under another relation
    (possible only before ids were checked on arrival) was someone else's claim to
    be this instance: it is unpinned, with everything held under it."""
    forged = session.scalar(
        select(Origin.public_key).where(Origin.origin == node.id, Origin.relation != "self")
    )
    if forged is not None:
        log.warning("unpinned %s, claimed for this instance's own id %s", forged, node.id)
        forget(session, node.id)
    return pin(session, node, descriptor, relation="self")[0]


def forget(session: Session, origin_id: str) -> int:
    """Unpin an origin, with the summaries held for it and the ids it alone vouched
    for (and theirs): a summary is held only while its origin is pinned.
    Returns how many origins were unpinned."""
    state = lock_feed(session)
    gone = [
        origin_id,
        *session.scalars(select(Origin.origin).where(Origin.vouched_by == origin_id)),
    ]
    described_anew(state)
    rollup.forgetting(session, gone)
    session.execute(delete(Summary).where(Summary.origin.in_(gone)))
    for row in session.scalars(select(Origin).where(Origin.origin.in_(gone))):
        session.delete(row)
    session.flush()
    return len(gone)


# --- receiving ----------------------------------------------------------------------


def _refuse(
    session: Session, source: str, reason: str, info: Mapping[str, Any], outcome: Outcome
) -> None:
    # What a refused document claims is not trusted: it is kept and logged only
    # as printable ASCII, bounded to the columns it goes in.
    claimed = {name: shown(info[name], limit) for name, limit in CLAIMED if info.get(name)}
    revision = info.get("revision")
    session.add(
        Refusal(
            source=shown(source, 300),
            revision=revision if isinstance(revision, int) and abs(revision) < 2**31 else None,
            reason=shown(reason, 2000),
            **claimed,
        )
    )
    where = " ".join(claimed[name] for name, _ in CLAIMED if name in claimed)
    message = f"{where or 'item'}: {shown(reason, 2000)}"
    outcome.refused.append(message)
    log.warning("refused a document from %s: %s", shown(source, 300), message)


CLAIMED = (("origin", 300), ("plugin", 40), ("period", 10))


def _receive_statement(session: Session, node: Node, signed: Signed, source: str) -> bool:
    """Verify a statement and pin what it vouches for; return whether anything changed.

    An aggregator's statement about another id is read only if this instance
    trusts its signer as an aggregator; a statement about its own signer (a
    changed descriptor) only from that signer itself, by push or pull.
    """
    document = read_payload(signed)
    signer_id = instance_id(document.get("aggregator"), "the statement's signer")
    if signer_id == node.id:
        raise Refused("a statement signed in this instance's own name is not taken back")
    signer = session.scalar(select(Origin).where(Origin.origin == signer_id))
    if signer is None or signer.relation not in DIRECT:
        block = blocked(session, signer_id)
        raise Refused(
            block.refusal()
            if block
            else f"statement signed by {signer_id}, which this instance does not trust directly"
        )
    verify(signed, identity.decode_public_key(signer.public_key))
    check_statement(document)
    described, issued_at = document["descriptor"], document["issued_at"]
    subject = described["id"]
    if subject == node.id:
        raise Refused(f"a statement about this instance itself ({subject}): no one vouches for it")
    if subject == signer_id:
        if source != signer_id:
            raise Refused(f"{signer_id}'s statement about itself is taken only from {signer_id}")
        return pin(
            session,
            node,
            described,
            relation=signer.relation,
            role=signer.role,
            issued_at=issued_at,
        )[1]
    if signer.role != "aggregator":
        raise Refused(
            f"{signer_id} is not trusted here as an aggregator, so it cannot vouch for {subject}"
        )
    return pin(
        session, node, described, relation="vouched", vouched_by=signer_id, issued_at=issued_at
    )[1]


CheckFunction = Callable[[Sequence[tuple[str, str]], Mapping[str, Rules]], list[Any]]


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
            changed = _receive_statement(session, node, signed, source)
        except Refused as exc:
            _refuse(session, source, str(exc), {"origin": _peek_origin(signed)}, outcome)
            continue
        outcome.accepted += changed
        outcome.unchanged += not changed
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
        described = json.loads(signed.payload).get("descriptor", {})
        return str(described.get("id", "")) if isinstance(described, dict) else ""
    except (ValueError, AttributeError, RecursionError):
        return ""


def claimed_origins(pairs: Iterable[tuple[str, str]]) -> set[str]:
    return {origin for origin in (_claimed_origin(payload) for payload, _ in pairs) if origin}


# Declared figures by the signature of this instance's statement about the descriptor
# they come from: the signature covers the descriptor, so it names one figures for
# good, and a batch need not read and parse every origin's descriptor again.
_FIGURES: dict[str, Figures] = {}
_MAX_CACHED = 50_000


def rules_for(session: Session, origins: set[str]) -> dict[str, Rules]:
    """The key and declared figures of each of these origins that is pinned."""
    if not origins:
        return {}
    rows = session.execute(
        select(Origin.origin, Origin.public_key, Origin.statement_signature).where(
            Origin.origin.in_(origins)
        )
    ).all()
    loaded: dict[str, Figures] = {}
    missing = {origin for origin, _, signature in rows if signature not in _FIGURES}
    if missing:
        if len(_FIGURES) > _MAX_CACHED:
            _FIGURES.clear()
        described = select(Origin.origin, Origin.descriptor, Origin.statement_signature)
        for origin, descriptor, signature in session.execute(
            described.where(Origin.origin.in_(missing))
        ):
            loaded[origin] = declared_figures(descriptor)
            if signature is not None:
                _FIGURES[signature] = loaded[origin]
    return {
        origin: Rules(identity.raw_public_key(key), loaded.get(origin) or _FIGURES[str(signature)])
        for origin, key, signature in rows
    }


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
    pairs = [(s.payload, s.signature) for s in fresh]
    origins = claimed_origins(pairs)
    results = check(pairs, rules_for(session, origins))
    after_check()  # e.g. start checking the next page while this one is stored
    checked: list[Checked] = []
    blocks: dict[str, Block] | None = None
    for result in results:
        if isinstance(result, Checked):
            checked.append(result)
            continue
        reason, info = result
        if blocks is None:  # looked up only for a batch with refusals: the reason names the block
            blocks = {
                b.value: b for b in session.scalars(select(Block).where(Block.value.in_(origins)))
            }
        block = blocks.get(info["origin"]) if isinstance(info.get("origin"), str) else None
        if block is not None:
            reason = block.refusal()
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


# In canonical form a summary's keys are sorted: metrics (whose names hold no
# quotes), then origin, period and plugin side by side. A claim is read from the
# raw text with these, and is only ever a lookup: nothing is trusted until verified.
_ORIGIN = re.compile(r'"origin":"([^"\\\x00-\x1f]{1,255})"')
_CLAIM = re.compile(
    r'"origin":"([^"\\\x00-\x1f]{1,255})","period":"([^"\\\x00-\x1f]{1,16})",'
    r'"plugin":"([^"\\\x00-\x1f]{1,40})","revision":'
)


def _claimed_origin(payload: str) -> str | None:
    """The origin a payload claims: whose key and declared figures to check it with."""
    match = _ORIGIN.search(payload)
    return match[1] if match else None


def _claimed_key(payload: str) -> tuple[str, str, str] | None:
    """The origin, plugin and period a payload claims: where to look for the summary
    held for them (one indexed lookup instead of an index over random signatures)."""
    match = _CLAIM.search(payload)
    return (match[1], match[3], match[2]) if match else None


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
    superseded: list[Any] = []
    if replaced:
        superseded = list(
            connection.execute(
                select(table.c.origin, table.c.plugin, table.c.period, table.c.metrics).where(
                    table.c.id.in_([row["row_id"] for row in replaced])
                )
            ).mappings()
        )
    rollup.stored(session, rows, superseded)
    if new and connection.dialect.name == "postgresql":
        _copy_rows(connection, table, new)
    elif new:
        connection.execute(insert(table), new)
    if replaced:
        columns: dict[str, Any] = {key: bindparam(key) for key in replaced[0] if key != "row_id"}
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
    driver = connection.connection.driver_connection  # psycopg's own connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[name]) if name in json_columns else row[name] for name in columns]
            )


# --- the changes feed ------------------------------------------------------------------


def feed(
    session: Session, since: int, limit: int, origin: str | None = None
) -> tuple[list[dict[str, Any]], int, bool]:
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
    found.sort(key=lambda row: int(row[0] or 0))  # every row has a seq: seq > since
    page = found[:limit]
    items = [{"payload": payload, "signature": signature} for _, payload, signature in page]
    last = int(page[-1][0] or since) if page else since
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
    awaiting: int = 0  # figures not published: they wait for a coordinator's approval
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
        revision = next_revision(state, current.revision if current is not None else None)
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
    own_key = {node.id: Rules(identity.raw_public_key(node.public_key), None)}
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
