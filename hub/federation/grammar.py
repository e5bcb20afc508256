"""The exact spelling of every value that crosses the network (docs/federation.md §2).

Each rule here is a whole-string grammar over ASCII (``[0-9]``, never ``\\d``,
which takes any script's digits; ``fullmatch``, never ``$``, which lets a final
newline through), with limits counted in UTF-8 bytes. A value that does not
match is refused with :class:`Refused`, whose text is the reason for the log:
every check in the federation code raises that and nothing else, so no
malformed input can surface as a server error.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import ipaddress
import re
from typing import Any

PROTOCOL = "hub-federation/1"
MAX_SAFE_INTEGER = 2**53 - 1  # as hub.metrics; not imported, to keep verifying processes light
YEARS = range(1900, 3000)  # as hub.periods

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_INSTANCE_ID = re.compile(
    rf"(https?)://({_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]{{2,45}}\])(?::([1-9][0-9]{{0,4}}))?"
)
MAX_ID_BYTES = 255
PLUGIN_NAME = re.compile(r"[a-z][a-z0-9]{1,30}")
METRIC_BASE = re.compile(r"[a-z][a-z0-9_]{0,62}")
CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
METRIC_NAME = re.compile(r"([a-z][a-z0-9_]{0,62})(?:\.[A-Za-z0-9_-]{1,64})?")
WORD = re.compile(r"[a-z][a-z0-9_]{0,39}")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Text shown to people must not hide or reorder what is around it: no control
# characters (C0, DEL, C1), line or paragraph separators, bidirectional
# overrides or isolates, nor lone surrogates (which are not UTF-8 at all).
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class Refused(ValueError):
    """A document or field that must not be stored; ``str()`` is the reason, for the log."""


def shown(value: Any, limit: int = 80) -> str:
    """``value`` as it may go into a log line, a refusal or a database column:
    printable (anything else escaped) and bounded."""
    text = value if isinstance(value, str) else repr(value)
    if not text.isprintable():
        text = ascii(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def integer(value: Any, what: str, low: int = -MAX_SAFE_INTEGER) -> int:
    """An integer (never a boolean) from ``low`` to 2^53-1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{what} must be an integer")
    if abs(value) > MAX_SAFE_INTEGER:
        raise Refused(f"{what} is outside ±(2^53-1)")
    if value < low:
        raise Refused(f"{what} must be at least {low}")
    return value


def text(value: Any, what: str, max_bytes: int, *, empty: bool = False) -> str:
    """Text for people to read: at most ``max_bytes`` in UTF-8, nothing hidden in it."""
    if not isinstance(value, str) or (not value and not empty):
        raise Refused(f"{what} must be {'' if empty else 'non-empty '}text")
    if _NOT_TEXT.search(value):
        raise Refused(f"{what} holds a control or formatting character")
    if len(value) > max_bytes or (not value.isascii() and len(value.encode()) > max_bytes):
        raise Refused(f"{what} is longer than {max_bytes} bytes")
    return value


def matching(value: Any, grammar: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not grammar.fullmatch(value):
        raise Refused(f"{what} {shown(value)!r} is not allowed")
    return value


def instance_id(value: Any, what: str = "id") -> str:
    """An instance's id: its base URL ``http(s)://host[:port]``, lower case, no path."""
    if not isinstance(value, str) or len(value) > MAX_ID_BYTES:
        raise Refused(f"{what} must be an instance's base URL of at most {MAX_ID_BYTES} bytes")
    match = _INSTANCE_ID.fullmatch(value)
    if match is None:
        raise Refused(f"{what} {shown(value)!r} is not an instance's base URL")
    host, port = match[2], match[3]
    if host.startswith("["):
        try:
            canonical = str(ipaddress.IPv6Address(host[1:-1]))
        except ValueError:
            canonical = ""
        if canonical != host[1:-1]:
            raise Refused(f"{what} {shown(value)!r} is not an IPv6 address in its shortest form")
    if port is not None and (
        int(port) > 65535 or int(port) == (443 if match[1] == "https" else 80)
    ):
        raise Refused(f"{what} {shown(value)!r} has a port out of range or the scheme's default")
    return value


def b64url(value: Any, size: int, what: str) -> bytes:
    """Exactly ``size`` bytes written in base64url without padding, in the one
    canonical spelling (the unused bits of the last character are zero)."""
    length = -(-size * 4 // 3)
    if not isinstance(value, str) or len(value) != length or not _BASE64URL.fullmatch(value):
        raise Refused(f"{what} must be {length} base64url characters ({size} bytes)")
    # The last character carries the final bits and some unused ones, which must be zero.
    if _B64_DIGITS.index(value[-1]) % (1 << (length * 6 - size * 8)):
        raise Refused(f"{what} is not in canonical base64url (its last character has stray bits)")
    return base64.urlsafe_b64decode(value + "=" * (-length % 4))


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@functools.lru_cache(maxsize=4096)
def _timestamp_problem(value: str) -> str | None:
    """Why ``value`` is not a time as documents write it, or None. Cached: a batch
    names few times (one publish run signs every summary at the same second)."""
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return "must be a UTC time like 2025-02-17T10:00:00Z"
    year, month, day, hour, minute, second = map(int, match.groups())
    if year not in YEARS:
        return f"must be in the years {YEARS[0]} to {YEARS[-1]}"
    try:
        dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return "is not a time on the calendar"
    return None


def timestamp(value: Any, what: str) -> str:
    problem = _timestamp_problem(value) if isinstance(value, str) else "must be text"
    if problem is not None:
        raise Refused(f"{what} {shown(value)!r} {problem}")
    return value


def exact_fields(
    document: Any, required: frozenset[str], what: str, optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """An object with all of ``required``, perhaps some of ``optional``, and nothing else."""
    if not isinstance(document, dict):
        raise Refused(f"{what} must be an object")
    unknown = document.keys() - required - optional
    if unknown:
        raise Refused(f"{what} has unknown fields {sorted(map(shown, unknown))}")
    missing = required - document.keys()
    if missing:
        raise Refused(f"{what} is missing fields {sorted(missing)}")
    return document
