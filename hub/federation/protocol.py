"""The ``/federation/v1`` endpoints: the changes feed, the inbox, and joining.

Errors are JSON ``{"error": ..., "details": ...}`` with a 4xx status, as on the API.
Every parameter, header and body is read through the protocol's grammars
(:mod:`hub.federation.grammar`) and its one JSON parser, so nothing a client
sends can reach the database unchecked or end in a server error.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from hub.db import get_session, utcnow
from hub.errors import ApiError
from hub.federation import descriptor as descriptors
from hub.federation import identity, store
from hub.federation.documents import (
    Malformed,
    Refused,
    Signed,
    check_descriptor,
    envelope,
    parse_json,
    read_payload,
    verify,
    verify_bytes,
)
from hub.federation.grammar import instance_id, shown
from hub.federation.models import Invite, Origin

bp = Blueprint("federation", __name__, url_prefix="/federation/v1")

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
MAX_INBOX_BYTES = 8 * 1024 * 1024
MAX_INBOX_ITEMS = 1000
MAX_JOIN_BYTES = 128 * 1024
INVITE_TOKEN = re.compile(r"hubinv_[A-Za-z0-9_-]{32}")
_NUMBER = re.compile(r"[0-9]{1,7}")


def node() -> store.Node:
    found = current_app.extensions.get("hub.federation.node")
    if found is None:
        found = current_app.extensions["hub.federation.node"] = store.Node.of(current_app)
    return found


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"invalid {name}", {name: [f"a whole number from {low} to {high}"]})
    return int(raw)


@bp.get("/summaries")
def summaries() -> Response:
    """The changes feed: summaries held (own and relayed) and statements vouching
    for members' keys, in the order they were stored, after an opaque cursor."""
    unknown = set(request.args) - {"since", "limit", "origin"}
    if unknown:
        raise ApiError(
            400, "unknown parameters", {shown(name): ["unknown"] for name in sorted(unknown)}
        )
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    origin = request.args.get("origin") or None
    if origin is not None:
        try:
            instance_id(origin, "origin")
        except Refused as exc:
            raise ApiError(400, "invalid origin", {"origin": [str(exc)]}) from None
    session = get_session()
    state = store.feed_state(session)
    try:
        since = store.parse_cursor(request.args.get("since", ""), state)
    except ValueError as exc:
        raise ApiError(400, "invalid since", {"since": [str(exc)]}) from None
    items, last, more = store.feed(session, since, limit, origin)
    return jsonify(
        {
            "publisher": node().id,
            "items": items,
            "next": store.cursor_of(state, last),
            "more": more,
        }
    )


def _json_body(limit: int) -> bytes:
    """The request body, if it is declared JSON (UTF-8) and at most ``limit`` bytes."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.mimetype != "application/json" or charset != "utf-8":
        raise ApiError(
            415, "unsupported media type", {"Content-Type": ["application/json (UTF-8)"]}
        )
    request.max_content_length = limit  # also bounds a body sent without a length
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise ApiError(413, "body too large", {"body": [f"at most {limit} bytes"]}) from None


def _signed_sender(body: bytes) -> Origin:
    """The member that sent and signed this request body (headers Hub-Origin, Hub-Signature)."""
    sender = request.headers.get("Hub-Origin", "")
    signature = request.headers.get("Hub-Signature", "")
    if not sender or not signature:
        raise ApiError(
            401,
            "unsigned request",
            {"Hub-Origin": ["required"], "Hub-Signature": ["signature over the body"]},
        )
    try:
        instance_id(sender, "Hub-Origin")
    except Refused as exc:
        raise ApiError(401, "unsigned request", {"Hub-Origin": [str(exc)]}) from None
    session = get_session()
    member = session.scalar(select(Origin).where(Origin.origin == sender))
    if member is None or member.relation != "member":
        block = store.blocked(session, sender)
        why = block.refusal() if block else "not a member"
        store.log.warning("inbox: refused a push from %s: %s", sender, why)
        raise ApiError(403, "not a member of this aggregator", {"Hub-Origin": [sender]})
    try:
        verify_bytes(body, signature, identity.decode_public_key(member.public_key))
    except Refused as exc:
        store.log.warning("inbox: bad request signature from %s: %s", sender, exc)
        raise ApiError(
            401, "bad signature", {"Hub-Signature": ["does not match the pinned key"]}
        ) from None
    return member


@bp.post("/inbox")
def inbox() -> tuple[Response, int]:
    """Signed summaries (and statements) pushed by a member."""
    body = _json_body(MAX_INBOX_BYTES)
    member = _signed_sender(body)
    try:
        data = parse_json(body, "the body", container=True)
    except Refused as exc:
        raise ApiError(400, "invalid JSON", {"body": [str(exc)]}) from None
    if (
        not isinstance(data, dict)
        or data.keys() != {"items"}
        or not isinstance(data["items"], list)
    ):
        why = data.reason if isinstance(data, Malformed) else 'the body is {"items": [...]}'
        raise ApiError(400, "invalid body", {"items": [why]})
    if len(data["items"]) > MAX_INBOX_ITEMS:
        raise ApiError(413, "too many items", {"items": [f"at most {MAX_INBOX_ITEMS} per request"]})
    session = get_session()
    outcome = store.ingest(session, node(), data["items"], source=member.origin)
    session.commit()
    return jsonify(outcome.as_json()), 200


def hash_invite(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _joining_descriptor(data: Any) -> dict[str, Any]:
    """The member's descriptor from a join, signed by the key it declares."""
    signed = envelope(data["descriptor"])
    described = read_payload(signed)
    verify(signed, identity.decode_public_key(described.get("public_key")))
    return check_descriptor(described)


@bp.post("/join")
def join() -> tuple[Response, int]:
    """Join with an invite token: the member's self-signed descriptor is pinned."""
    try:
        data = parse_json(_json_body(MAX_JOIN_BYTES), "the body")
    except Refused as exc:
        raise ApiError(400, "invalid body", {"body": [str(exc)]}) from None
    if not isinstance(data, dict) or data.keys() != {"token", "descriptor"}:
        raise ApiError(
            400, "invalid body", {"body": ['{"token": TOKEN, "descriptor": {payload, signature}}']}
        )
    try:
        described = _joining_descriptor(data)
    except Refused as exc:
        raise ApiError(400, "invalid descriptor", {"descriptor": [str(exc)]}) from None
    session = get_session()
    token = data["token"] if isinstance(data["token"], str) else ""
    invite = None
    if INVITE_TOKEN.fullmatch(token):
        invite = session.scalar(select(Invite).where(Invite.token_hash == hash_invite(token)))
    now = utcnow()
    if invite is None or invite.used_at is not None or invite.expires_at < now:
        store.log.warning("join refused for %s: invalid invite", described["id"])
        raise ApiError(403, "invalid, used or expired invite token", {"token": ["not valid"]})
    try:
        store.pin(session, node(), described, relation="member", role=invite.role)
    except Refused as exc:
        store.log.warning("join refused for %s: %s", described["id"], exc)
        raise ApiError(409, "cannot pin this member", {"descriptor": [str(exc)]}) from None
    invite.used_at = now
    invite.used_by = described["id"]
    session.commit()
    store.log.info("%s joined with an invite, as %s", described["id"], invite.role)
    own = Signed.make(descriptors.describe(current_app), node().key)
    return jsonify({"aggregator": own.as_json()}), 201
