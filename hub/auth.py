"""Who is asking, and may they: passwords, sessions, API tokens, roles and permissions.

Roles are fixed (admin, coordinator, volunteer, viewer). Permissions are named
``<area>.<action>``; the core defines its own and each plugin adds more through
``hub_permissions``. Admins hold every permission; a viewer holds no write one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import validate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import CursorResult, Select, bindparam, delete, func, or_, select, update
from werkzeug.wrappers import Response as BaseResponse
from wtforms import ValidationError as CSRFInvalid
from zxcvbn import zxcvbn

from hub import audit
from hub.db import get_session, utcnow
from hub.errors import ApiError, ServiceBusy
from hub.models import ROLES, ApiToken, LoginAttempt, User, UserSession
from hub.plugin_manager import CORE, PluginError

F = TypeVar("F", bound=Callable[..., Any])

TOKEN_PREFIX = "hub_"
MAX_TOKEN_DAYS = 366
MIN_PASSWORD_LENGTH = 10
# argon2 hashes anything, but a megabyte-long "password" is an attack on the CPU.
MAX_PASSWORD_LENGTH = 1024
ZXCVBN_MAX_LENGTH = 72
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class Permission:
    """A named right, held by default by ``roles`` (admins hold every permission)."""

    name: str
    description: str
    roles: tuple[str, ...] = ("coordinator",)


CORE_PERMISSIONS = (
    Permission(
        "people.view",
        "Look up a person by their whole name, email or phone, and see them",
        ("coordinator", "volunteer"),
    ),
    Permission(
        "people.list",
        "Browse and search the whole people registry, notes included",
        ("coordinator",),
    ),
    Permission("people.edit", "Add and change people in the registry", ("coordinator",)),
    Permission("people.export", "Export everything held about a person", ()),
    Permission("people.erase", "Erase a person everywhere", ()),
    Permission("locations.view", "See locations and opening times", ROLES),
    Permission("locations.edit", "Add and change locations", ("coordinator",)),
    Permission("users.manage", "Add users, change their roles, disable them", ()),
    Permission("audit.view", "Read the audit log", ()),
    Permission("plugins.view", "See each plugin's state, errors and metrics", ()),
    Permission("health.view", "See what hub doctor finds needs doing on the instance", ()),
    Permission("exports.download", "Download whole-service exports (ORDS, calendars...)", ()),
    Permission("imports.run", "Import records from files (spreadsheets, ORDS CSV)", ()),
    Permission("metrics.view", "See the figures this instance publishes", ROLES),
    Permission("metrics.approve", "Approve a period's figures for publication", ("coordinator",)),
)


def init_app(app: Flask, contributed: Iterable[tuple[str, Permission]]) -> None:
    """``contributed``: each permission with its plugin (the core's own come from
    its default plugin, ``core``, and are named after their area instead)."""
    registry = {}
    for plugin, permission in contributed:
        if plugin != CORE and not permission.name.startswith(f"{plugin}."):
            raise PluginError(
                f"plugin {plugin!r}: permission {permission.name!r} must start with {plugin}."
            )
        registry[permission.name] = permission
    app.extensions["hub.permissions"] = registry
    app.before_request(_load_session_user)


def permissions() -> dict[str, Permission]:
    return current_app.extensions["hub.permissions"]


def can(user: User | None, permission: str | None) -> bool:
    """Whether ``user`` holds ``permission`` (``None``: any signed-in user)."""
    if user is None or not user.active:
        return False
    if permission is None or user.role == "admin":
        return True
    granted = permissions().get(permission)
    return granted is not None and user.role in granted.roles


# --- passwords -------------------------------------------------------------

# argon2id takes 64 MiB for each hash it computes. A worker's threads take turns,
# so memory stays flat however many people sign in at once (one hash at a time
# per process: on a 1 GB VPS with its two workers, 128 MiB at most).
HASHING_AT_ONCE = 1
HASHING_WAIT_SECONDS = 10
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)


@contextmanager
def _hashing_turn() -> Iterator[None]:
    if not _hashing.acquire(timeout=HASHING_WAIT_SECONDS):
        raise ServiceBusy("too many sign-ins at once")
    try:
        yield
    finally:
        _hashing.release()


def hash_password(password: str) -> str:
    with _hashing_turn():
        return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s. Without a user it still spends the
    time a real check takes, so response times do not reveal which emails exist."""
    if user is None:
        _verify_against(_dummy_hash(), password)
        return False
    if not _verify_against(user.password_hash, password):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _verify_against(password_hash: str, password: str) -> bool:
    with _hashing_turn():
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def validate_password(password: str, context: Iterable[str] = ()) -> str | None:
    """A reason the password is unacceptable, or ``None``.

    Beyond its length, zxcvbn estimates how many guesses it would take, knowing
    the passwords most often found in breaches, words, names, keyboard runs,
    repeats, dates and ``context`` (the user's email and name, this instance's
    name): at least 10^8 guesses (zxcvbn's score 3) is asked for.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    # zxcvbn reads at most 72 characters; a longer one is judged by its start.
    words = [part for text in context for part in (text, *re.split(r"[\W_]+", text)) if part]
    estimate = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    if estimate["score"] < 3:
        return "is too easy to guess (a common password, a word or a pattern); add more words"
    return None


# --- the current user and their session -------------------------------------


def current_user() -> User | None:
    return g.get("user")


def _set_user(user: User | None, via: str) -> None:
    g.user = user
    g.signed_in_via = via
    if user is not None:
        audit.set_actor(user.id, f"{user.email} ({via})")


def signed_in_via() -> str | None:
    """How this request's user was identified: ``"web"`` (a session) or ``"api"`` (a token)."""
    return g.get("signed_in_via")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@functools.cache
def _session_lookup() -> Select[User, int, dt.datetime]:
    return (
        select(User, UserSession.id, UserSession.expires_at)
        .select_from(UserSession)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == bindparam("key_hash"))
    )


def _load_session_user() -> None:
    g.user = None
    g.pop("signed_in_via", None)
    g.pop("session_id", None)
    # A worker thread serves many requests: never let one inherit the last one's actor.
    audit.set_actor(None, "system")
    key = session.get("key")
    if not isinstance(key, str):
        if "user_id" in session:  # a cookie from before sessions were kept on the server
            session.clear()
        return
    found = get_session().execute(_session_lookup(), {"key_hash": _key_hash(key)}).first()
    if found is None or found.expires_at <= utcnow() or not found.User.active:
        session.clear()
        return
    g.session_id = found.id
    _set_user(found.User, "web")


def current_session_id() -> int | None:
    """The server-side session of this request's browser, if it is signed in."""
    return g.get("session_id")


def login(user: User) -> None:
    """Start a fresh session for ``user`` (a new session defeats fixation)."""
    db = get_session()
    now = utcnow()
    db.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    session.clear()
    key = secrets.token_urlsafe(32)
    hours = current_app.config["SESSION_HOURS"]
    row = UserSession(
        user_id=user.id, key_hash=_key_hash(key), expires_at=now + dt.timedelta(hours=hours)
    )
    db.add(row)
    db.flush()
    session["key"] = key
    session.permanent = True
    user.last_login_at = now
    g.session_id = row.id
    _set_user(user, "web")


def logout() -> None:
    """End this browser's session on the server: the cookie, even copied, is dead."""
    session_id = current_session_id()
    if session_id is not None:
        get_session().execute(delete(UserSession).where(UserSession.id == session_id))
    session.clear()
    g.user = None
    g.session_id = None


def end_sessions(user: User, *, keep_current: bool) -> None:
    """Sign ``user`` out everywhere; with ``keep_current``, this browser gets a
    fresh session of its own."""
    get_session().execute(delete(UserSession).where(UserSession.user_id == user.id))
    if keep_current:
        login(user)


def set_password(user: User, password: str, *, keep_current: bool) -> None:
    """Change ``user``'s password, end their other sessions and revoke their API tokens:
    whoever knew the old password may have made either."""
    user.password_hash = hash_password(password)
    end_sessions(user, keep_current=keep_current)
    revoke_tokens(user)


# --- sign-in limits (stored in the database, so they hold across workers) ---------


DEVICE_COOKIE = "hub_device"
DEVICE_DAYS = 180


class SignInCounter:
    """Which counter an attempt is counted on, and its limit.

    A browser this account signed in from before carries a device cookie and has
    a counter of its own: guesses made elsewhere never lock the account's owner
    out of their own device (the "device cookie" defence OWASP describes). Other
    browsers share a counter per account and one per network address.
    """

    def __init__(self, email: str, remote_addr: str, device: str = "") -> None:
        self.email = email.lower()
        self.remote_addr = remote_addr[:64]
        self.device = device

    def _failures(self, window_start: dt.datetime) -> list[tuple[Any, int]]:
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        failures = select(func.count()).where(
            LoginAttempt.succeeded.is_(False), LoginAttempt.at >= window_start
        )
        if self.device:
            return [(failures.where(LoginAttempt.device == self.device), limit)]
        untrusted = failures.where(LoginAttempt.device == "")
        return [
            (untrusted.where(LoginAttempt.email == self.email), limit),
            (untrusted.where(LoginAttempt.remote_addr == self.remote_addr), limit * 4),
        ]

    def begin(self) -> LoginAttempt | None:
        """Count an attempt before its password is checked; ``None`` if over a limit.

        The attempt is committed first and the counts read after: of attempts
        made at the same moment, each sees at least the ones committed before
        it, so no more than the limit ever get a password check.
        """
        db = get_session()
        now = utcnow()
        # Attempts older than a day count for nothing; keep the table small.
        db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - dt.timedelta(days=1)))
        attempt = LoginAttempt(
            email=self.email,
            remote_addr=self.remote_addr,
            device=self.device,
            succeeded=False,
            at=now,
        )
        db.add(attempt)
        db.commit()
        window_start = now - dt.timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
        if all((db.scalar(count) or 0) <= limit for count, limit in self._failures(window_start)):
            return attempt
        # Refused before any check: it is not a guess, so it does not prolong the lock.
        db.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
        db.commit()
        return None


def locked_out() -> set[str]:
    """The accounts that browsers unknown to them cannot sign in to for now
    (their owners' known devices still can; an admin may unlock them)."""
    window_start = utcnow() - dt.timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    emails = (
        select(LoginAttempt.email)
        .where(
            LoginAttempt.device == "",
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= window_start,
        )
        .group_by(LoginAttempt.email)
        .having(func.count() >= current_app.config["LOGIN_MAX_FAILURES"])
    )
    return set(get_session().scalars(emails))


def unlock(email: str) -> int:
    """Forget the account's failed sign-ins (an admin's unlock); returns how many."""
    result = get_session().execute(
        delete(LoginAttempt).where(
            LoginAttempt.email == email.lower(), LoginAttempt.succeeded.is_(False)
        )
    )
    return cast(CursorResult[Any], result).rowcount or 0


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hub-device")


def known_device(email: str) -> str:
    """This browser's device key for ``email`` from its device cookie, or ``""``."""
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    if not cookie:
        return ""
    try:
        value = _device_signer().loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return ""
    if not isinstance(value, dict) or value.get("email") != email.lower():
        return ""
    device = value.get("device")
    return device if isinstance(device, str) and len(device) <= 64 else ""


def remember_device(response: BaseResponse, email: str) -> None:
    """Give this browser a device cookie for ``email`` (after a successful sign-in)."""
    value = _device_signer().dumps({"email": email.lower(), "device": secrets.token_hex(16)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 86400,
        path=url_for("signin.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


# --- API tokens ------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "", days: int | None = None) -> str:
    """Create an API token for ``user`` lasting ``days`` (default ``TOKEN_DAYS``);
    the token is returned once and stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    lifetime = dt.timedelta(days=days or current_app.config["TOKEN_DAYS"])
    user.tokens.append(
        ApiToken(
            name=name,
            token_hash=hash_token(token),
            prefix=token[:12],
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def revoke_tokens(user: User) -> None:
    get_session().execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@functools.cache
def _token_lookup() -> Select[User, int, dt.datetime | None, dt.datetime, dt.datetime | None]:
    """The user and the token's few columns that matter, in one query built once:
    building it on every API request, and loading the token as an object with its
    user joined in, cost more than running it."""
    return (
        select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at)
        .select_from(ApiToken)
        .join(ApiToken.user)
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


def _user_from_bearer(header: str) -> User:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "invalid authorization header", {"Authorization": ["use: Bearer TOKEN"]}
        )
    db = get_session()
    found = db.execute(_token_lookup(), {"token_hash": hash_token(token.strip())}).first()
    if found is None or found.revoked_at is not None or not found.User.active:
        raise ApiError(401, "invalid or revoked token", None)
    user, token_id, _, expires_at, last_used_at = found
    now = utcnow()
    if expires_at <= now:
        raise ApiError(401, "token expired", {"Authorization": ["make a new token"]})
    stale = now - dt.timedelta(minutes=1)
    # Touch at most once a minute, so busy scripts do not write on every request. The
    # condition is repeated in the UPDATE: when many requests with one token arrive
    # together, the first one writes and the rest find nothing to do, instead of
    # queueing behind each other's row lock and commit.
    if last_used_at is None or last_used_at < stale:
        db.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.commit()
    return user


def authenticate_api_request(permission: str | None) -> User:
    """Identify the caller of an API operation and check ``permission``.

    A bearer token is the way for scripts and apps; a signed-in browser session
    also works, and then writes need the CSRF token in ``X-CSRFToken``.
    """
    header = request.headers.get("Authorization")
    if header:
        user = _user_from_bearer(header)
        _set_user(user, "api")
    else:
        signed_in = current_user()
        if signed_in is None:
            raise ApiError(401, "authentication required", {"Authorization": ["use: Bearer TOKEN"]})
        user = signed_in
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except CSRFInvalid as exc:
                raise ApiError(
                    400, "missing or invalid CSRF token", {"X-CSRFToken": [str(exc)]}
                ) from None
    if not can(user, permission):
        raise ApiError(403, "permission denied", {"permission": [permission or "signed in"]})
    return user


def require_permission(permission: str | None = None) -> Callable[[F], F]:
    """Guard a page: sign-in first, then ``permission`` (403 without it)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
            if not can(user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
