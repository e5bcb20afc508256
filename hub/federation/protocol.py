"""The ``/federation/v1`` endpoints: the changes feed, the inbox, and joining.

Errors are JSON ``{"error": ..., "details": ...}`` with a 4xx status, as on the API.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.db import get_session, utcnow
from hub.errors import ApiError
from hub.federation import descriptor as descriptors
from hub.federation import identity, store
from hub.federation.documents import Refused, Signed, envelope, read_payload, verify, verify_bytes
from hub.federation.models import Invite, Origin

bp = Blueprint("federation", __name__, url_prefix="/federation/v1")

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
MAX_INBOX_BYTES = 8 * 1024 * 1024
MAX_INBOX_ITEMS = 1000


def node() -> store.Node:
    found = current_app.extensions.get("hub.federation.node")
    if found is None:
        found = current_app.extensions["hub.federation.node"] = store.Node.of(current_app)
    return found


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, f"invalid {name}", {name: [f"a whole number from {low} to {high}"]})
    return int(raw)


@bp.get("/summaries")
def summaries() -> Response:
    """The changes feed: summaries held (own and relayed) and statements vouching
    for members' keys, in the order they were stored, after an opaque cursor."""
    unknown = set(request.args) - {"since", "limit", "origin"}
    if unknown:
        raise ApiError(400, "unknown parameters", {name: ["unknown"] for name in sorted(unknown)})
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    session = get_session()
    state = store.feed_state(session)
    try:
        since = store.parse_cursor(request.args.get("since", ""), state)
    except ValueError as exc:
        raise ApiError(400, "invalid since", {"since": [str(exc)]}) from None
    items, last, more = store.feed(session, since, limit, request.args.get("origin") or None)
    return jsonify(
        {
            "publisher": node().id,
            "items": items,
            "next": store.cursor_of(state, last),
            "more": more,
        }
    )


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
    member = get_session().scalar(select(Origin).where(Origin.origin == sender))
    if member is None or member.relation != "member":
        store.log.warning("inbox: refused a push from %s, which is not a member", sender)
        raise ApiError(403, "not a member of this aggregator", {"Hub-Origin": [sender]})
    try:
        verify_bytes(body, signature, identity.decode_public_key(member.public_key))
    except (Refused, ValueError):
        store.log.warning("inbox: bad request signature from %s", sender)
        raise ApiError(
            401, "bad signature", {"Hub-Signature": ["does not match the pinned key"]}
        ) from None
    return member


@bp.post("/inbox")
def inbox() -> tuple[Response, int]:
    """Signed summaries (and statements) pushed by a member."""
    if (request.content_length or 0) > MAX_INBOX_BYTES:
        raise ApiError(413, "body too large", {"body": [f"at most {MAX_INBOX_BYTES} bytes"]})
    body = request.get_data(cache=False)
    if len(body) > MAX_INBOX_BYTES:
        raise ApiError(413, "body too large", {"body": [f"at most {MAX_INBOX_BYTES} bytes"]})
    member = _signed_sender(body)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid JSON", {"body": ["the body is not valid JSON"]}) from None
    if not isinstance(data, dict) or set(data) != {"items"} or not isinstance(data["items"], list):
        raise ApiError(400, "invalid body", {"items": ['the body is {"items": [...]}']})
    if len(data["items"]) > MAX_INBOX_ITEMS:
        raise ApiError(413, "too many items", {"items": [f"at most {MAX_INBOX_ITEMS} per request"]})
    session = get_session()
    outcome = store.ingest(session, node(), data["items"], source=member.origin)
    session.commit()
    return jsonify(outcome.as_json()), 200


def hash_invite(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@bp.post("/join")
def join() -> tuple[Response, int]:
    """Join with an invite token: the member's self-signed descriptor is pinned."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict) or set(data) != {"token", "descriptor"}:
        raise ApiError(
            400, "invalid body", {"body": ['{"token": TOKEN, "descriptor": {payload, signature}}']}
        )
    try:
        signed = envelope(data["descriptor"])
        described = read_payload(signed)
        verify(signed, identity.decode_public_key(str(described.get("public_key", ""))))
    except (Refused, ValueError) as exc:
        raise ApiError(400, "invalid descriptor", {"descriptor": [str(exc)]}) from None
    session = get_session()
    token = data["token"] if isinstance(data["token"], str) else ""
    invite = session.scalar(select(Invite).where(Invite.token_hash == hash_invite(token)))
    now = utcnow()
    if invite is None or invite.used_at is not None or invite.expires_at < now:
        store.log.warning("join refused for %s: invalid invite", described.get("id"))
        raise ApiError(403, "invalid, used or expired invite token", {"token": ["not valid"]})
    try:
        store.pin(session, node(), described, relation="member")
    except Refused as exc:
        raise ApiError(409, "cannot pin this member", {"descriptor": [str(exc)]}) from None
    invite.used_at = now
    invite.used_by = described["id"]
    session.commit()
    store.log.info("%s joined with an invite", described["id"])
    own = Signed.make(descriptors.describe(current_app), node().key)
    return jsonify({"aggregator": own.as_json()}), 201
