"""Signed documents: canonical bytes (RFC 8785), Ed25519 signatures, strict reading.

A signed document travels as ``{"payload": TEXT, "signature": SIG}``: ``TEXT``
is the RFC 8785 canonical JSON of the document and ``SIG`` the origin's
Ed25519 signature over its UTF-8 bytes, base64url without padding. A receiver
verifies those exact bytes and then reads only them, refusing anything that is
not canonical, so a document means the same thing at every level it is relayed.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from hub.periods import Period, PeriodError

SUMMARY_FIELDS = frozenset({"origin", "plugin", "period", "metrics", "revision", "generated_at"})
STATEMENT_FIELDS = frozenset({"aggregator", "descriptor", "issued_at"})
DESCRIPTOR_FIELDS = frozenset(
    {"id", "name", "locality", "software", "protocol", "public_key", "plugins", "disclosure"}
)
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_SAFE_INTEGER = 2**53 - 1  # as hub.metrics; not imported, to keep verifying processes light
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")
METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}(\.[A-Za-z0-9_-]{1,64})?$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SIGNATURE_TEXT = re.compile(r"[A-Za-z0-9_-]{1,200}")


class Refused(ValueError):
    """A document that must not be stored; ``str()`` is the reason, for the log."""


def canonical(document: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical JSON bytes of ``document``."""
    return rfc8785.dumps(document)


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64decode(text: str) -> bytes:
    if not isinstance(text, str) or not SIGNATURE_TEXT.fullmatch(text):
        raise Refused("signature is not base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def timestamp(moment: dt.datetime) -> str:
    """UTC time to the second, as documents carry it: ``2025-02-17T10:00:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Signed:
    """A document as it travels: its canonical text and the signature over it."""

    payload: str
    signature: str

    @classmethod
    def make(cls, document: Mapping[str, Any], key: Ed25519PrivateKey) -> Signed:
        raw = canonical(document)
        return cls(raw.decode(), b64encode(key.sign(raw)))

    def as_json(self) -> dict[str, str]:
        return {"payload": self.payload, "signature": self.signature}


def envelope(item: Any) -> Signed:
    """Read ``{"payload", "signature"}`` from a request or feed, refusing anything else."""
    if not isinstance(item, dict) or set(item) != {"payload", "signature"}:
        raise Refused('an item is {"payload": TEXT, "signature": SIG} and nothing else')
    payload, signature = item["payload"], item["signature"]
    if not isinstance(payload, str) or not isinstance(signature, str):
        raise Refused("payload and signature must be strings")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Refused(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    return Signed(payload, signature)


def _refuse_constant(name: str) -> Any:
    raise Refused(f"{name} is not allowed in documents")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise Refused("duplicate keys")
    return result


def _plain_canonical(document: dict[str, Any], payload: str) -> bool:
    """A cheap proof of canonical form for the common case.

    For ASCII text holding only strings, integers, booleans and null (the parser
    has already refused floats, NaN and duplicate keys), RFC 8785 and Python's
    sorted, compact ``json.dumps`` write the same bytes: keys sort the same in
    UTF-16 and code points, and strings escape the same. The one difference,
    integers beyond ±(2^53-1), is refused by the field checks that follow.
    Anything else goes through the full RFC 8785 serialiser.
    """
    return payload.isascii() and payload == json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def read_payload(signed: Signed, *, integers_checked: bool = False) -> dict[str, Any]:
    """Parse a payload strictly: JSON, no floats, NaN or duplicate keys, canonical form.

    ``integers_checked``: the caller range-checks every integer afterwards
    (summaries do), which allows the cheap proof of canonical form.
    """
    try:
        document = json.loads(
            signed.payload,
            parse_float=lambda text: _refuse_constant(f"the non-integer number {text}"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise Refused(f"payload is not JSON: {exc.msg}") from None
    except RecursionError:
        raise Refused("payload is nested too deeply to read") from None
    if not isinstance(document, dict):
        raise Refused("payload is not a JSON object")
    if integers_checked and _plain_canonical(document, signed.payload):
        return document
    try:
        canonical_form = canonical(document)
    except (rfc8785.CanonicalizationError, ValueError) as exc:
        raise Refused(f"payload cannot be canonicalised: {exc}") from None
    if canonical_form != signed.payload.encode():
        raise Refused("payload is not in RFC 8785 canonical form")
    return document


def verify_bytes(data: bytes, signature: str, public_key: VerifyKey) -> None:
    """Refuse unless ``signature`` (base64url) is ``public_key``'s signature over ``data``."""
    try:
        public_key.verify(data, b64decode(signature))
    except CryptoError:  # a bad signature, or one of the wrong length
        raise Refused("bad signature: it does not match the origin's key") from None


def verify(signed: Signed, public_key: VerifyKey) -> None:
    verify_bytes(signed.payload.encode(), signed.signature, public_key)


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{what} must be an integer")
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise Refused(f"{what} is outside ±(2^53-1)")
    return value


def _text(value: Any, what: str, limit: int = 300) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Refused(f"{what} must be text of 1 to {limit} characters")
    return value


@functools.lru_cache(maxsize=4096)
def _period_problem(text: str) -> str | None:
    """Why ``text`` is not a period, or None. Cached: a batch names few periods
    (a year of weekly summaries names 52), and parsing one is most of a check."""
    try:
        Period.parse(text)
    except PeriodError as exc:
        return str(exc)
    return None


def check_summary(document: dict[str, Any]) -> dict[str, Any]:
    """Check a parsed summary's fields and values; return it unchanged."""
    if document.keys() != SUMMARY_FIELDS:
        unknown = set(document) - SUMMARY_FIELDS
        if unknown:
            raise Refused(f"unknown fields {sorted(unknown)}")
        raise Refused(f"missing fields {sorted(SUMMARY_FIELDS - set(document))}")
    _text(document["origin"], "origin")
    if not isinstance(document["plugin"], str) or not PLUGIN_NAME.match(document["plugin"]):
        raise Refused("plugin must be a plugin name")
    problem = _period_problem(_text(document["period"], "period", 10))
    if problem is not None:
        raise Refused(problem)
    if _integer(document["revision"], "revision") < 1:
        raise Refused("revision must be at least 1")
    if not isinstance(document["generated_at"], str) or not TIMESTAMP.match(
        document["generated_at"]
    ):
        raise Refused("generated_at must be a UTC time like 2025-02-17T10:00:00Z")
    metrics = document["metrics"]
    if not isinstance(metrics, dict) or len(metrics) > 2000:
        raise Refused("metrics must be an object of at most 2000 names")
    for name, value in metrics.items():
        if not METRIC_NAME.match(name):
            raise Refused(f"metric name {name!r} is not allowed")
        if value is not None:
            _integer(value, f"metric {name!r}")
    return document


def check_statement(document: dict[str, Any]) -> dict[str, Any]:
    """Check an aggregator's statement vouching for a member's descriptor."""
    if set(document) != STATEMENT_FIELDS:
        raise Refused(f"a statement has exactly the fields {sorted(STATEMENT_FIELDS)}")
    _text(document["aggregator"], "aggregator")
    if not isinstance(document["issued_at"], str) or not TIMESTAMP.match(document["issued_at"]):
        raise Refused("issued_at must be a UTC time like 2025-02-17T10:00:00Z")
    check_descriptor(document["descriptor"])
    return document


def check_descriptor(descriptor: Any) -> dict[str, Any]:
    """Check the parts of a descriptor that federation relies on."""
    if not isinstance(descriptor, dict):
        raise Refused("descriptor must be an object")
    unknown = set(descriptor) - DESCRIPTOR_FIELDS
    if unknown:
        raise Refused(f"descriptor has unknown fields {sorted(unknown)}")
    _text(descriptor.get("id"), "descriptor id")
    _text(descriptor.get("public_key"), "descriptor public_key", 100)
    locality = descriptor.get("locality", {})
    if not isinstance(locality, dict) or any(
        not isinstance(v, str) or len(v) > 120 for v in locality.values()
    ):
        raise Refused("descriptor locality must map town, region, country to text")
    if "name" in descriptor and not isinstance(descriptor["name"], str):
        raise Refused("descriptor name must be text")
    return descriptor
