"""Signed documents: canonical bytes (RFC 8785), Ed25519 signatures, strict reading.

A signed document travels as ``{"payload": TEXT, "signature": SIG}``: ``TEXT``
is the RFC 8785 canonical JSON of the document and ``SIG`` the origin's
Ed25519 signature over its UTF-8 bytes, base64url without padding. A receiver
verifies those exact bytes and then reads only them, refusing anything that is
not canonical, so a document means the same thing at every level it is relayed.

Everything that arrives as JSON (payloads, request bodies, peers' answers) is
read by :func:`parse_json`, one parser with one set of rules; the fields are
then checked against the grammars of :mod:`hub.federation.grammar`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from hub.federation.grammar import (
    CODE,
    MAX_SAFE_INTEGER,
    METRIC_BASE,
    METRIC_NAME,
    PLUGIN_NAME,
    PROTOCOL,
    TIME_FORMAT,
    WORD,
    Refused,
    b64encode,
    b64url,
    exact_fields,
    instance_id,
    integer,
    matching,
    shown,
    text,
)
from hub.federation.grammar import timestamp as check_timestamp
from hub.federation.identity import raw_public_key
from hub.periods import Period, PeriodError

__all__ = ["Refused", "Signed", "b64encode"]

SUMMARY_FIELDS = frozenset({"origin", "plugin", "period", "metrics", "revision", "generated_at"})
STATEMENT_FIELDS = frozenset({"aggregator", "descriptor", "issued_at"})
DESCRIPTOR_REQUIRED = frozenset({"id", "public_key", "protocol"})
DESCRIPTOR_FIELDS = DESCRIPTOR_REQUIRED | {"name", "locality", "software", "plugins", "disclosure"}
LOCALITY_LIMITS = {"town": 120, "region": 120, "country": 10}
METRIC_FIELDS = frozenset(
    {"name", "unit", "description", "counts", "counts_people", "window", "codes"}
)
# Added in hub 0.2 within hub-federation/1: what a person reads (public pages, reports).
METRIC_OPTIONAL = frozenset({"label", "impact"})
PLUGIN_OPTIONAL = frozenset({"label"})
COUNTS_PEOPLE = {"events": False, "quantity": False, "people": True, "households": True}
ROUNDING = 5  # people counts are published rounded to the nearest 5
MAX_THRESHOLD = 1000
MAX_PLUGINS = 100
MAX_METRICS = 2000  # published names per summary, codes included
MAX_PAYLOAD_BYTES = 64 * 1024
SIGNATURE_BYTES = 64
_MAX_INTEGER_DIGITS = len(str(MAX_SAFE_INTEGER))

# What an origin publishes, from its descriptor: plugin -> published name -> counts people?
Figures = Mapping[str, Mapping[str, bool]]


def canonical(document: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical JSON bytes of ``document``."""
    return rfc8785.dumps(document)


def timestamp(moment: dt.datetime) -> str:
    """UTC time to the second, as documents carry it: ``2025-02-17T10:00:00Z``."""
    return moment.astimezone(dt.UTC).strftime(TIME_FORMAT)


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


# --- reading JSON ------------------------------------------------------------------


@dataclass(frozen=True)
class Malformed:
    """Where a container (a request body, a feed page) held something no document
    may: it stands in for that value, so that the one item holding it is refused
    and the items around it are still read."""

    reason: str


def _integer_literal(literal: str) -> int:
    if len(literal.lstrip("-")) > _MAX_INTEGER_DIGITS or abs(int(literal)) > MAX_SAFE_INTEGER:
        raise Refused(f"the integer {shown(literal, 24)} is outside ±(2^53-1)")
    return int(literal)


def _refuse_fraction(literal: str) -> Any:
    raise Refused(f"the non-integer number {shown(literal, 24)} is not allowed in documents")


def _refuse_constant(name: str) -> Any:
    raise Refused(f"{name} is not allowed in documents")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise Refused("duplicate keys")
    return result


def _marking(check: Any) -> Any:
    def marked(*args: Any) -> Any:
        try:
            return check(*args)
        except Refused as exc:
            return Malformed(str(exc))

    return marked


_STRICT: dict[str, Any] = {
    "parse_float": _refuse_fraction,
    "parse_constant": _refuse_constant,
    "object_pairs_hook": _no_duplicates,
}
# Decoders made once: json.loads with hooks builds a new one for every call.
_STRICT_DECODER = json.JSONDecoder(**_STRICT)
# In a container an integer out of range marks its own item, and its length is
# checked before Python converts it (it refuses to past 4,300 digits).
_MARKING_DECODER = json.JSONDecoder(
    **{name: _marking(check) for name, check in _STRICT.items()},
    parse_int=_marking(_integer_literal),
)


def parse_json(data: str | bytes, what: str = "payload", *, container: bool = False) -> Any:
    """Parse JSON by the protocol's rules: UTF-8, no duplicate keys, no fractions,
    exponents, NaN or Infinity. (Integers are range-checked by the grammar of the
    field that holds them: every integer a document may hold is in one.)

    With ``container``, a breach of those rules inside the text becomes a
    :class:`Malformed` value in its place rather than a refusal of the whole.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode()
        except UnicodeDecodeError:
            raise Refused(f"{what} is not UTF-8") from None
    try:
        return (_MARKING_DECODER if container else _STRICT_DECODER).decode(data)
    except Refused:
        raise
    except json.JSONDecodeError as exc:
        raise Refused(f"{what} is not JSON: {exc.msg}") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise Refused(f"{what} holds an integer outside ±(2^53-1)") from None
    except RecursionError:
        raise Refused(f"{what} is nested too deeply to read") from None


def envelope(item: Any) -> Signed:
    """Read ``{"payload", "signature"}`` from a request or feed, refusing anything else."""
    if isinstance(item, Malformed):
        raise Refused(f"the item is malformed: {item.reason}")
    if not isinstance(item, dict) or item.keys() != {"payload", "signature"}:
        raise Refused('an item is {"payload": TEXT, "signature": SIG} and nothing else')
    payload, signature = item["payload"], item["signature"]
    if not isinstance(payload, str) or not isinstance(signature, str):
        marked = [value.reason for value in (payload, signature) if isinstance(value, Malformed)]
        raise Refused(
            f"the item is malformed: {marked[0]}"
            if marked
            else "payload and signature must be strings"
        )
    size = len(payload)
    if not payload.isascii():
        try:
            size = len(payload.encode())
        except UnicodeEncodeError:  # a lone surrogate: not text at all
            raise Refused("payload is not UTF-8 text") from None
    if size > MAX_PAYLOAD_BYTES:
        raise Refused(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    return Signed(payload, signature)


def _plain_canonical(document: dict[str, Any], payload: str) -> bool:
    """A cheap proof of canonical form for the common case.

    For ASCII text holding only strings, integers, booleans and null (the parser
    has already refused fractions, NaN, duplicate keys and integers beyond
    ±(2^53-1)), RFC 8785 and Python's sorted, compact ``json.dumps`` write the
    same bytes: keys sort the same in UTF-16 and code points, and strings
    escape the same. Anything else goes through the full RFC 8785 serialiser.
    """
    return payload.isascii() and payload == json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def read_payload(signed: Signed) -> dict[str, Any]:
    """Parse a payload strictly (:func:`parse_json`) and refuse it unless it is an
    object in RFC 8785 canonical form."""
    document = parse_json(signed.payload)
    if not isinstance(document, dict):
        raise Refused("payload is not a JSON object")
    try:
        if _plain_canonical(document, signed.payload):
            return document
        canonical_form = canonical(document)
    except (rfc8785.CanonicalizationError, ValueError, RecursionError) as exc:
        raise Refused(f"payload cannot be canonicalised: {shown(str(exc))}") from None
    if canonical_form != signed.payload.encode():
        raise Refused("payload is not in RFC 8785 canonical form")
    return document


def verify_bytes(data: bytes, signature: str, public_key: VerifyKey) -> None:
    """Refuse unless ``signature`` (base64url) is ``public_key``'s signature over ``data``."""
    try:
        public_key.verify(data, b64url(signature, SIGNATURE_BYTES, "the signature"))
    except CryptoError:
        raise Refused("bad signature: it does not match the origin's key") from None


def verify(signed: Signed, public_key: VerifyKey) -> None:
    verify_bytes(signed.payload.encode(), signed.signature, public_key)


# --- summaries --------------------------------------------------------------------------


def check_period(value: Any) -> str:
    """An ISO week or a month (:meth:`Period.parse`)."""
    if not isinstance(value, str) or len(value) > 8:
        raise Refused("period must be an ISO week (2025-W07) or a month (2025-02)")
    problem = _period_problem(value)
    if problem is not None:
        raise Refused(problem)
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


def check_summary(document: dict[str, Any], figures: Figures | None) -> dict[str, Any]:
    """Check a parsed summary's fields, and its figures against what its origin's
    descriptor declares (``figures``; None only for taking back this instance's own)."""
    exact_fields(document, SUMMARY_FIELDS, "a summary")
    instance_id(document["origin"], "origin")
    plugin = matching(document["plugin"], PLUGIN_NAME, "plugin")
    check_period(document["period"])
    integer(document["revision"], "revision", low=1)
    check_timestamp(document["generated_at"], "generated_at")
    metrics = document["metrics"]
    if not isinstance(metrics, dict) or len(metrics) > MAX_METRICS:
        raise Refused(f"metrics must be an object of at most {MAX_METRICS} names")
    for name, value in metrics.items():
        matching(name, METRIC_NAME, "metric name")
        if value is not None:
            integer(value, f"metric {name!r}", low=0)
    if figures is not None:
        _check_figures(plugin, metrics, figures)
    return document


def _check_figures(plugin: str, metrics: dict[str, int | None], figures: Figures) -> None:
    declared = figures.get(plugin)
    if declared is None:
        raise Refused(f"plugin {plugin!r} is not in the descriptor pinned for this origin")
    if metrics.keys() != declared.keys():
        extra, missing = metrics.keys() - declared.keys(), declared.keys() - metrics.keys()
        if extra:
            raise Refused(f"metrics {sorted(extra)[:5]} are not declared by plugin {plugin!r}")
        raise Refused(f"metrics {sorted(missing)[:5]} are missing: a revision is whole")
    for name, value in metrics.items():
        people = declared[name]
        if value is None and not people:
            raise Refused(f"metric {name!r} is not a people count, so it cannot be suppressed")
        if people and value is not None and value % ROUNDING:
            raise Refused(f"metric {name!r} counts people and is not rounded to {ROUNDING}")


# --- statements and descriptors -------------------------------------------------------------


def check_statement(document: dict[str, Any]) -> dict[str, Any]:
    """Check an aggregator's statement vouching for a member's descriptor."""
    exact_fields(document, STATEMENT_FIELDS, "a statement")
    instance_id(document["aggregator"], "aggregator")
    check_timestamp(document["issued_at"], "issued_at")
    check_descriptor(document["descriptor"])
    return document


def check_descriptor(descriptor: Any) -> dict[str, Any]:
    """Check every field of a descriptor (§1): what a receiver pins and relays."""
    exact_fields(descriptor, DESCRIPTOR_REQUIRED, "the descriptor", DESCRIPTOR_FIELDS)
    instance_id(descriptor["id"], "the descriptor's id")
    raw_public_key(descriptor["public_key"])
    if descriptor["protocol"] != PROTOCOL:
        raise Refused(f"the descriptor's protocol must be {PROTOCOL}")
    if "name" in descriptor:
        text(descriptor["name"], "the descriptor's name", 200, empty=True)
    if "locality" in descriptor:
        locality = exact_fields(
            descriptor["locality"], frozenset(), "locality", frozenset(LOCALITY_LIMITS)
        )
        for part, value in locality.items():
            text(value, f"locality {part}", LOCALITY_LIMITS[part], empty=True)
    if "software" in descriptor:
        software = exact_fields(descriptor["software"], frozenset({"name", "version"}), "software")
        text(software["name"], "software name", 100)
        text(software["version"], "software version", 40)
    if "disclosure" in descriptor:
        disclosure = exact_fields(
            descriptor["disclosure"], frozenset({"threshold", "rounding"}), "disclosure"
        )
        threshold = integer(disclosure["threshold"], "disclosure threshold", low=3)
        if threshold > MAX_THRESHOLD:
            raise Refused(f"disclosure threshold must be at most {MAX_THRESHOLD}")
        if disclosure["rounding"] != ROUNDING:
            raise Refused(f"disclosure rounding must be {ROUNDING}")
    if "plugins" in descriptor:
        _check_plugins(descriptor["plugins"])
    return descriptor


def _check_plugins(plugins: Any) -> None:
    if not isinstance(plugins, list) or len(plugins) > MAX_PLUGINS:
        raise Refused(f"plugins must be a list of at most {MAX_PLUGINS}")
    names = set()
    for plugin in plugins:
        exact_fields(plugin, frozenset({"name", "version", "metrics"}), "a plugin", PLUGIN_OPTIONAL)
        name = matching(plugin["name"], PLUGIN_NAME, "plugin name")
        if "label" in plugin:
            text(plugin["label"], f"plugin {name!r} label", 80)
        if name in names:
            raise Refused(f"plugin {name!r} is listed twice")
        names.add(name)
        text(plugin["version"], f"plugin {name!r} version", 40)
        metrics = plugin["metrics"]
        if not isinstance(metrics, list):
            raise Refused(f"plugin {name!r} metrics must be a list")
        published = sum(_check_metric(metric, name) for metric in metrics)
        if published > MAX_METRICS or len({m["name"] for m in metrics}) != len(metrics):
            raise Refused(f"plugin {name!r} declares metrics twice or more than {MAX_METRICS}")


def _check_metric(metric: Any, plugin: str) -> int:
    """Check one metric definition; return how many names it publishes."""
    exact_fields(metric, METRIC_FIELDS, f"a metric of plugin {plugin!r}", METRIC_OPTIONAL)
    name = matching(metric["name"], METRIC_BASE, "metric name")
    if "label" in metric:
        text(metric["label"], f"metric {name!r} label", 120)
    if (
        "impact" in metric
    ):  # a code of the impact codelist; one a receiver does not know is shown by no one
        matching(metric["impact"], WORD, f"metric {name!r} impact")
    text(metric["unit"], f"metric {name!r} unit", 40)
    text(metric["description"], f"metric {name!r} description", 300, empty=True)
    matching(metric["window"], WORD, f"metric {name!r} window")
    counts = metric["counts"]
    if counts not in COUNTS_PEOPLE or metric["counts_people"] is not COUNTS_PEOPLE[counts]:
        raise Refused(
            f"metric {name!r}: counts must be {sorted(COUNTS_PEOPLE)}, agreeing with counts_people"
        )
    codes = metric["codes"]
    if codes is None:
        return 1
    if not isinstance(codes, dict) or not 1 <= len(codes) <= MAX_METRICS:
        raise Refused(f"metric {name!r} codes must be null or an object of 1 to {MAX_METRICS}")
    for code, label in codes.items():
        matching(code, CODE, f"metric {name!r} code")
        text(label, f"metric {name!r} code label", 200)
    return len(codes)


def declared_figures(descriptor: Mapping[str, Any]) -> dict[str, dict[str, bool]]:
    """What a checked descriptor says its origin publishes: plugin -> name -> counts people."""
    figures: dict[str, dict[str, bool]] = {}
    for plugin in descriptor.get("plugins", ()):
        names = figures[plugin["name"]] = {}
        for metric in plugin["metrics"]:
            people = COUNTS_PEOPLE[metric["counts"]]
            codes = metric["codes"]
            if codes is None:
                names[metric["name"]] = people
            else:
                names.update((f"{metric['name']}.{code}", people) for code in codes)
    return figures
