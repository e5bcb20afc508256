"""Membership, publishing, push and pull: what the ``hub federation`` commands do.

Each peer is handled on its own: a failure is recorded on the peer (last
error, back-off before the next attempt) and the run goes on with the others.
Progress is committed batch by batch, together with the cursor or push
position, so a run killed at any moment resumes without duplicates or gaps.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.db import get_session, utcnow
from hub.federation import descriptor as descriptors
from hub.federation import identity, store
from hub.federation.checking import ParallelChecker
from hub.federation.descriptor import PROTOCOL
from hub.federation.documents import Refused, Signed, b64encode, envelope, read_payload, verify
from hub.federation.grammar import shown
from hub.federation.models import Block, Invite, Origin, Peer, Refusal, Summary
from hub.federation.net import Client, PeerError, normalise_url
from hub.federation.protocol import hash_invite

log = logging.getLogger("hub.federation")

FEED_PATH = "/federation/v1/summaries"
INBOX_PATH = "/federation/v1/inbox"
JOIN_PATH = "/federation/v1/join"
DESCRIPTOR_PATH = "/.well-known/hub"
MAX_BACKOFF = dt.timedelta(hours=1)
CURSOR = re.compile(r"[!-~]{0,80}")  # opaque to followers, but stored: printable ASCII
RECENT_REFUSALS = 20

Progress = Callable[[str, int], None]  # (peer, items handled so far)


class FederationError(Exception):
    """A command cannot go on; ``str()`` is one line for the admin."""


@dataclass
class PeerReport:
    url: str
    ok: bool = True
    skipped: bool = False
    error: str = ""
    requests: int = 0
    outcome: store.Outcome = field(default_factory=store.Outcome)
    sent: int = 0


def own_descriptor(app: Flask, session: Session, node: store.Node) -> dict[str, Any]:
    """This instance's descriptor; also pins its own key, and signs a new statement
    about itself when the descriptor changed (a plugin enabled, a new version)."""
    described = descriptors.describe(app)
    try:
        store.pin_self(session, node, described)
    except Refused as exc:
        raise FederationError(f"this instance's own descriptor is not valid: {exc}") from None
    return described


def pin_own_key(app: Flask) -> None:
    """Pin this instance's own key for its id (``hub init`` does, before anyone can
    join): nobody else may then claim the id, whatever happens first."""
    session = get_session()
    own_descriptor(app, session, store.Node.of(app))
    session.commit()


# --- membership -----------------------------------------------------------------------


def invite(session: Session, note: str, days: int, role: str = "instance") -> str:
    """Make a one-time invite token (shown once, stored hashed); the group that joins
    with it is trusted in ``role`` (only an aggregator vouches for other ids)."""
    token = "hubinv_" + secrets.token_urlsafe(24)
    session.add(
        Invite(
            token_hash=hash_invite(token),
            note=note,
            role=role,
            expires_at=utcnow() + dt.timedelta(days=days),
        )
    )
    return token


def join(app: Flask, session: Session, client: Client, aggregator_url: str, token: str) -> Peer:
    """Register this instance's key with an aggregator and remember to push to it."""
    node = store.Node.of(app)
    url = _peer_url(aggregator_url)
    signed = Signed.make(own_descriptor(app, session, node), node.key)
    body = json.dumps({"token": token, "descriptor": signed.as_json()}).encode()
    try:
        answer = client.post(url + JOIN_PATH, body)
    except PeerError as exc:
        raise FederationError(f"could not join {url}: {exc}") from None
    described = _aggregator_descriptor(answer, url)
    try:
        store.pin(session, node, described, relation="aggregator", role="aggregator")
    except Refused as exc:
        raise FederationError(f"cannot pin {url}'s key: {exc}") from None
    peer = _peer(session, url, "push")
    peer.name = str(described.get("name", ""))[:200]
    return peer


def _aggregator_descriptor(answer: Any, url: str) -> dict[str, Any]:
    try:
        signed = envelope(answer.get("aggregator") if isinstance(answer, dict) else None)
        described = read_payload(signed)
        verify(signed, identity.decode_public_key(described.get("public_key")))
    except Refused as exc:
        raise FederationError(f"{url} answered the join with a bad descriptor: {exc}") from None
    if described.get("id") != url:
        raise FederationError(f"{url} says its id is {described.get('id')!r}; use that URL")
    return described


def follow(
    app: Flask,
    session: Session,
    client: Client,
    peer_url: str,
    expect_key: str | None,
    role: str = "instance",
) -> Peer:
    """Pin a peer's key from its descriptor and pull its feed from now on; trust it
    in ``role`` (an aggregator's statements vouch for its members' keys)."""
    node = store.Node.of(app)
    own_descriptor(app, session, node)
    url = _peer_url(peer_url)
    if url == node.id:
        raise FederationError("an instance cannot follow itself")
    try:
        described = client.get(url + DESCRIPTOR_PATH)
    except PeerError as exc:
        raise FederationError(f"could not read {url}{DESCRIPTOR_PATH}: {exc}") from None
    if not isinstance(described, dict) or described.get("protocol") != PROTOCOL:
        raise FederationError(f"{url} does not speak {PROTOCOL}")
    # A fetched descriptor may carry fields this version does not know: they are
    # left out, and the rest is pinned and relayed only if it is well formed.
    described = store.public_descriptor(described)
    if described.get("id") != url:
        raise FederationError(f"{url} says its id is {described.get('id')!r}; follow that URL")
    if expect_key and described.get("public_key") != expect_key:
        raise FederationError(
            f"{url} has key {described.get('public_key')}, not the expected {expect_key}"
        )
    try:
        store.pin(session, node, described, relation="followed", role=role)
    except Refused as exc:
        raise FederationError(f"cannot pin {url}'s key: {exc}") from None
    peer = _peer(session, url, "pull")
    peer.name = str(described.get("name", ""))[:200]
    return peer


def _peer_url(url: str) -> str:
    try:
        return normalise_url(url)
    except ValueError as exc:
        raise FederationError(str(exc)) from None


def _peer(session: Session, url: str, direction: str) -> Peer:
    peer = session.scalar(select(Peer).where(Peer.url == url, Peer.direction == direction))
    if peer is None:
        peer = Peer(url=url, direction=direction)
        session.add(peer)
    peer.next_attempt_at = None
    session.flush()
    return peer


# --- per-peer bookkeeping ------------------------------------------------------------------


def _due(peers: list[Peer], force: bool) -> Iterator[tuple[Peer, bool]]:
    now = utcnow()
    for peer in peers:
        yield peer, force or peer.next_attempt_at is None or peer.next_attempt_at <= now


def _succeeded(peer: Peer) -> None:
    peer.last_success_at = peer.last_attempt_at = utcnow()
    peer.failures = 0
    peer.next_attempt_at = None


def _failed(session: Session, peer_id: int, error: str) -> None:
    """Record a failure in its own transaction: the batch that failed was rolled back."""
    session.rollback()
    peer = session.get(Peer, peer_id)
    assert peer is not None
    now = utcnow()
    peer.last_attempt_at = peer.last_error_at = now
    peer.last_error = error[:1000]
    peer.failures += 1
    # Back off across runs too, so cron does not hammer a peer that is down.
    delay = min(MAX_BACKOFF, dt.timedelta(minutes=2 ** min(peer.failures - 1, 10)))
    peer.next_attempt_at = now + delay
    session.commit()
    log.warning("federation: %s %s failed: %s", peer.direction, peer.url, error)


def _run_each(
    session: Session,
    direction: str,
    force: bool,
    work: Callable[[Peer, PeerReport], None],
) -> list[PeerReport]:
    peers = list(session.scalars(select(Peer).where(Peer.direction == direction).order_by(Peer.id)))
    reports = []
    for peer, due in _due(peers, force):
        report = PeerReport(peer.url)
        reports.append(report)
        if not due:
            report.skipped = True
            report.error = (
                f"backing off after {peer.failures} failures until {peer.next_attempt_at:%H:%M} UTC"
            )
            continue
        peer_id = peer.id
        try:
            work(peer, report)
        except (PeerError, FederationError, Refused, ValueError) as exc:
            report.ok, report.error = False, str(exc)
            _failed(session, peer_id, report.error)
        except Exception as exc:  # a peer must never crash the run for the others
            log.exception("federation: %s %s: unexpected error", direction, peer.url)
            report.ok, report.error = False, f"{type(exc).__name__}: {exc}"
            _failed(session, peer_id, report.error)
    return reports


# --- pull ------------------------------------------------------------------------------------


def sync(
    app: Flask,
    client: Client,
    *,
    limit: int = 500,
    force: bool = False,
    max_pages: int = 10_000,
    progress: Progress = lambda _peer, _count: None,
) -> list[PeerReport]:
    """Pull the changes feed of every followed peer, committing batch by batch."""
    session = get_session()
    node = store.Node.of(app)
    own_descriptor(app, session, node)
    session.commit()
    checker = ParallelChecker()
    try:

        def fetch(cursor: str, report: PeerReport, url: str) -> tuple[list[Any], str, bool]:
            report.requests += 1
            return feed_page(client, url, {"since": cursor, "limit": limit})

        def pull(peer: Peer, report: PeerReport) -> None:
            page = fetch(peer.cursor, report, peer.url)
            for _ in range(max_pages):
                items, cursor, more = page
                failed: PeerError | None = None
                if more:
                    # Read the next page ahead (the cursor still moves only with the
                    # batch it covers) and check it while this one is being stored.
                    try:
                        page = fetch(cursor, report, peer.url)
                    except PeerError as exc:
                        failed = exc
                ahead = store.summary_pairs(page[0]) if more and failed is None else []

                def check_next(pairs: list[tuple[str, str]] = ahead) -> None:
                    if pairs:
                        rules = store.rules_for(session, store.claimed_origins(pairs))
                        checker.prefetch(pairs, rules)

                outcome = store.ingest(
                    session, node, items, source=peer.url, check=checker, after_check=check_next
                )
                report.outcome.add(outcome)
                peer.cursor = cursor
                peer.received += len(items)
                peer.accepted += outcome.accepted
                peer.refused += len(outcome.refused)
                _succeeded(peer)
                session.commit()  # the cursor moves only with the batch it covers
                progress(peer.url, report.outcome.accepted + report.outcome.unchanged)
                if failed is not None:
                    raise failed
                if not more:
                    return

        with store.receiving_in_bulk():
            return _run_each(session, "pull", force, pull)
    finally:
        checker.close()


def feed_page(client: Client, url: str, params: dict[str, Any]) -> tuple[list[Any], str, bool]:
    """One page of ``url``'s feed after ``params["since"]``: ``(items, next, more)``."""
    answer = client.get(url + FEED_PATH, params)
    if not isinstance(answer, dict) or not {"items", "next", "more"} <= set(answer):
        raise PeerError(f"{url} sent a feed page without items, next and more")
    items, cursor, more = answer["items"], answer["next"], answer["more"]
    if not isinstance(items, list) or not isinstance(cursor, str) or not isinstance(more, bool):
        raise PeerError(f"{url} sent a malformed feed page")
    if not CURSOR.fullmatch(cursor):
        raise PeerError(f"{url} sent a cursor that is not 0 to 80 printable ASCII characters")
    if answer.get("publisher") not in (None, url):
        raise PeerError(f"{url} publishes as {shown(answer.get('publisher'))!r}")
    if more and (not items or cursor == params["since"]):
        # A page that says more is waiting must move on, or the sync never ends.
        raise PeerError(f"{url} says more is waiting but its page did not move on")
    return items, cursor, more


# --- push ------------------------------------------------------------------------------------


def push(
    app: Flask,
    client: Client,
    *,
    batch: int = 500,
    force: bool = False,
    progress: Progress = lambda _peer, _count: None,
) -> list[PeerReport]:
    """Send each joined aggregator everything in this instance's feed it has not had."""
    session = get_session()
    node = store.Node.of(app)

    def send(peer: Peer, report: PeerReport) -> None:
        while True:
            items, last, _more = store.feed(session, peer.pushed_seq, batch)
            if not items:
                _succeeded(peer)
                session.commit()
                return
            body = json.dumps({"items": items}, separators=(",", ":")).encode()
            headers = {"Hub-Origin": node.id, "Hub-Signature": b64encode(node.key.sign(body))}
            answer = client.post(peer.url + INBOX_PATH, body, headers)
            report.requests += 1
            if (
                not isinstance(answer, dict)
                or not isinstance(answer.get("refused"), list)
                or isinstance(answer.get("accepted", 0), bool)
                or not isinstance(answer.get("accepted", 0), int)
            ):
                raise PeerError(f"{peer.url} answered the push with something unexpected")
            refused = [shown(reason, 2000) for reason in answer["refused"]]
            for reason in refused[:20]:
                log.warning("federation: %s refused: %s", peer.url, reason)
            report.sent += len(items)
            report.outcome.accepted += answer.get("accepted", 0)
            report.outcome.refused += refused
            peer.pushed_seq = last
            peer.sent += len(items)
            peer.refused += len(answer["refused"])
            _succeeded(peer)
            session.commit()
            progress(peer.url, report.sent)

    return _run_each(session, "push", force, send)


# --- publishing ------------------------------------------------------------------------------


def learn_own_revisions(app: Flask, client: Client, report: store.PublishReport) -> None:
    """Ask every joined aggregator what it holds for this instance, and take back newer
    revisions (the database was restored from a backup), before issuing any."""
    session = get_session()
    node = store.Node.of(app)
    for peer in session.scalars(select(Peer).where(Peer.direction == "push")).all():
        items: list[Any] = []
        cursor = ""
        try:
            while True:
                page, cursor, more = feed_page(
                    client, peer.url, {"origin": node.id, "since": cursor, "limit": 1000}
                )
                items += page
                if not more:
                    break
        except PeerError as exc:
            raise FederationError(
                f"cannot learn the revisions {peer.url} holds for this instance ({exc}); "
                "publish again when it is reachable, or use --offline"
            ) from None
        summaries = [
            item
            for item in items
            if not (
                isinstance(item, dict)
                and str(item.get("payload", "")).startswith(store.STATEMENT_PREFIX)
            )
        ]
        store.adopt_own(session, node, summaries, report)
        if report.adopted:
            session.execute(update(Peer).values(pushed_seq=0))
    session.commit()


def publish(app: Flask, plugins: Any) -> store.PublishReport:
    """Compute, sign and store this instance's figures for every period with activity.

    Periods published before but without activity now are recomputed too, so a
    figure that fell to zero is published as 0 rather than left stale. A plugin
    whose figures cannot be computed is in the report's failures, and the other
    plugins are published all the same.
    """
    from hub import approvals

    session = get_session()
    node = store.Node.of(app)
    own_descriptor(app, session, node)
    found = approvals.current_figures(app, session)
    figures = {(f.plugin, str(f.period)): f.metrics for f in found.figures}
    # A plugin that failed publishes nothing new; what it published before stands.
    report = store.PublishReport(failures=found.failures)
    if approvals.required(app):
        # Only figures exactly as a coordinator approved them; the rest wait (a correction
        # of an approved period too: what was published stands until it is approved).
        figures, report.awaiting = approvals.approved_only(session, figures)
    store.store_own(
        session, node, ((p, period, m) for (p, period), m in sorted(figures.items())), report
    )
    session.commit()
    return report


# --- status ------------------------------------------------------------------------------------


def status(app: Flask) -> dict[str, Any]:
    """Each peer's state, and what this instance holds."""
    session = get_session()
    node_id = app.config["BASE_URL"]
    now = utcnow()
    trusted = [
        {"id": row.origin, "name": row.name, "relation": row.relation, "role": row.role}
        for row in session.scalars(
            select(Origin).where(Origin.relation.in_(store.DIRECT)).order_by(Origin.origin)
        )
    ]
    roles = {row["id"]: row["role"] for row in trusted}
    peers = []
    for peer in session.scalars(select(Peer).order_by(Peer.direction, Peer.url)):
        row = {
            "url": peer.url,
            "name": peer.name,
            "direction": peer.direction,
            "role": roles.get(peer.url, "unpinned"),
            "last_success": _iso(peer.last_success_at),
            "last_error": peer.last_error,
            "last_error_at": _iso(peer.last_error_at),
            "failures": peer.failures,
            "next_attempt": _iso(peer.next_attempt_at),
            "lag_seconds": int((now - peer.last_success_at).total_seconds())
            if peer.last_success_at
            else None,
            "received": peer.received,
            "accepted": peer.accepted,
            "refused": peer.refused,
            "sent": peer.sent,
        }
        if peer.direction == "push":
            row["unsent"] = _count_unsent(session, peer.pushed_seq)
        peers.append(row)
    return {
        "id": node_id,
        "origins": session.scalar(select(func.count()).select_from(Origin)) or 0,
        "summaries": session.scalar(select(func.count()).select_from(Summary)) or 0,
        "own_summaries": session.scalar(
            select(func.count()).select_from(Summary).where(Summary.origin == node_id)
        )
        or 0,
        "refusals": session.scalar(select(func.count()).select_from(Refusal)) or 0,
        "recent_refusals": [
            {
                "at": _iso(refusal.at),
                "source": refusal.source,
                "origin": refusal.origin,
                "plugin": refusal.plugin,
                "period": refusal.period,
                "revision": refusal.revision,
                "reason": refusal.reason,
            }
            for refusal in session.scalars(
                select(Refusal).order_by(Refusal.id.desc()).limit(RECENT_REFUSALS)
            )
        ],
        "peers": peers,
        "trusted": trusted,
        "blocks": [
            {"kind": b.kind, "value": b.value, "reason": b.reason, "at": _iso(b.created_at)}
            for b in session.scalars(select(Block).order_by(Block.id))
        ],
    }


def _count_unsent(session: Session, after: int) -> int:
    summaries = select(func.count()).select_from(Summary).where(Summary.seq > after)
    statements = (
        select(func.count())
        .select_from(Origin)
        .where(Origin.seq > after, Origin.statement.is_not(None))
    )
    return (session.scalar(summaries) or 0) + (session.scalar(statements) or 0)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
