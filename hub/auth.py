"""Who is asking, and may they: passwords, sessions, API tokens, roles and permissions.

Roles are fixed (admin, coordinator, volunteer, viewer). Permissions are named
``<area>.<action>``; the core defines its own and each plugin adds more through
``hub_permissions``. Admins hold every permission; a viewer holds no write one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import validate_csrf
from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from wtforms import ValidationError as CSRFInvalid

from hub import audit
from hub.db import get_session, utcnow
from hub.errors import ApiError
from hub.models import ROLES, ApiToken, LoginAttempt, User
from hub.plugin_manager import PluginError

F = TypeVar("F", bound=Callable[..., Any])

TOKEN_PREFIX = "hub_"
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class Permission:
    """A named right, held by default by ``roles`` (admins hold every permission)."""

    name: str
    description: str
    roles: tuple[str, ...] = ("coordinator",)


CORE_PERMISSIONS = (
    Permission("people.view", "See people in the registry", ("coordinator", "volunteer")),
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
)


def init_app(app: Flask, plugin_permissions: Iterable[tuple[str, Permission]]) -> None:
    registry = {p.name: p for p in CORE_PERMISSIONS}
    for plugin, permission in plugin_permissions:
        if not permission.name.startswith(f"{plugin}."):
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


def hash_password(password: str) -> str:
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
        user.password_hash = _hasher.hash(password)
    return True


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify_against(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validate_password(password: str) -> str | None:
    """A reason the password is unacceptable, or ``None``."""
    if len(password) < 10:
        return "must be at least 10 characters"
    return None


# --- the current user ------------------------------------------------------


def current_user() -> User | None:
    return g.get("user")


def _set_user(user: User | None, via: str) -> None:
    g.user = user
    if user is not None:
        audit.set_actor(user.id, f"{user.email} ({via})")


def _load_session_user() -> None:
    g.user = None
    # A worker thread serves many requests: never let one inherit the last one's actor.
    audit.set_actor(None, "system")
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = get_session().get(User, user_id)
    if user is None or not user.active or session.get("v") != user.session_version:
        session.clear()
        return
    _set_user(user, "web")


def login(user: User) -> None:
    """Start a fresh session for ``user`` (a new session defeats fixation)."""
    session.clear()
    session["user_id"] = user.id
    session["v"] = user.session_version
    session.permanent = True
    user.last_login_at = utcnow()
    _set_user(user, "web")


def logout() -> None:
    session.clear()
    g.user = None


def end_sessions(user: User, *, keep_current: bool) -> None:
    """Sign ``user`` out everywhere (their sessions carry the old version);
    with ``keep_current``, this browser gets a fresh session on the new one."""
    user.session_version += 1
    if keep_current:
        login(user)


def set_password(user: User, password: str, *, keep_current: bool) -> None:
    """Change ``user``'s password and end their other sessions."""
    user.password_hash = hash_password(password)
    end_sessions(user, keep_current=keep_current)


# --- sign-in rate limiting (stored in the database, so it holds across workers) ---


def login_allowed(email: str, remote_addr: str) -> bool:
    """False while an address or an account has too many recent failures."""
    window_start = utcnow() - dt.timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    failures = select(func.count()).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= window_start
    )
    db = get_session()
    by_account = db.scalar(failures.where(LoginAttempt.email == email.lower())) or 0
    by_address = db.scalar(failures.where(LoginAttempt.remote_addr == remote_addr)) or 0
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    return by_account < limit and by_address < limit * 4


def record_login_attempt(email: str, remote_addr: str, succeeded: bool) -> None:
    db = get_session()
    db.add(LoginAttempt(email=email.lower(), remote_addr=remote_addr, succeeded=succeeded))
    # Attempts older than a day count for nothing; keep the table small.
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - dt.timedelta(days=1)))


# --- API tokens ------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """Create an API token for ``user``; the token is returned once and stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.tokens.append(ApiToken(name=name, token_hash=hash_token(token), prefix=token[:12]))
    return token


@functools.cache
def _token_lookup() -> Select[tuple[User, int, dt.datetime | None, dt.datetime | None]]:
    """The user and the token's few columns that matter, in one query built once:
    building it on every API request, and loading the token as an object with its
    user joined in, cost more than running it."""
    return (
        select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at)
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
    user, token_id, _, last_used_at = found
    now = utcnow()
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
        user = current_user()
        if user is None:
            raise ApiError(401, "authentication required", {"Authorization": ["use: Bearer TOKEN"]})
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
