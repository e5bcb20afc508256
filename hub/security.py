"""Protections every response and form gets: CSRF tokens, security headers, and
the client's real address behind a reverse proxy on the same machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, abort, g, request
from flask_wtf.csrf import CSRFProtect

# Paths whose writes authenticate with tokens or signatures, not cookies; the
# API checks CSRF itself when a browser session is used instead of a token.
NON_FORM_PREFIXES = ("/api/", "/federation/")

# Longer addresses are refused with 414 by the hub itself, in its own JSON on the API:
# under gunicorn's limit on the request line (4,094 bytes), so it never answers first
# in plain text, and well over what any link or filter of the hub makes.
MAX_URL_LENGTH = 2048

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    )
)

# Widgets for groups' own websites (hub.web.embed): the only pages another site may frame.
# Each sets its own policy (frame-ancestors *); everything else, /embed/ itself too, is DENY.
FRAMEABLE_PREFIX = "/embed/"

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the session's life
    csrf.init_app(app)
    app.wsgi_app = LoopbackProxy(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(_refuse_long_urls)
    app.before_request(_protect_forms)
    app.after_request(_set_headers)


class LoopbackProxy:
    """Take the client's address from ``X-Forwarded-For`` only when the request
    comes from this machine (nginx in front of gunicorn, as ``deploy/`` sets up).

    Sign-in rate limiting counts failures per address; without this every
    request behind the proxy would share one address, and anyone could lock
    everyone out. A client connecting directly cannot forge its address.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and _is_loopback(environ.get("REMOTE_ADDR", "")):
            # nginx appends the address it saw; earlier entries are the client's word.
            client = forwarded.split(",")[-1].strip()
            if _is_ip(client):
                environ["hub.proxy_addr"] = environ["REMOTE_ADDR"]
                environ["REMOTE_ADDR"] = client
        return self.wsgi_app(environ, start_response)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_loopback(value: str) -> bool:
    return _is_ip(value) and ipaddress.ip_address(value).is_loopback


def _refuse_long_urls() -> None:
    if len(request.full_path) > MAX_URL_LENGTH:
        abort(414, f"The address is longer than {MAX_URL_LENGTH} characters.")


def _protect_forms() -> None:
    if request.path.startswith(NON_FORM_PREFIXES):
        return
    # No one types a NUL byte; PostgreSQL refuses them in text, so one would
    # otherwise reach the database as a server error instead of a plain 400.
    if any("\x00" in value for value in _submitted_values()):
        abort(400, "The form held a character that is never valid (NUL).")
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    csrf.protect()


def _submitted_values() -> Iterator[str]:
    for multi in (request.args, request.form):
        for key, value in multi.items(multi=True):
            yield key
            yield value


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if not request.path.startswith(FRAMEABLE_PREFIX) or request.path == FRAMEABLE_PREFIX:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    static = (request.endpoint or "").rpartition(".")[2] == "static"
    if g.get("user") is not None and not static:
        # Pages for a signed-in user may hold personal data: never keep them in
        # a shared computer's cache or a proxy's. Stylesheets and scripts may be.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
