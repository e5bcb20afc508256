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
from sqlalchemy import func, select
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


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


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
    get_session().add(
        LoginAttempt(email=email.lower(), remote_addr=remote_addr, succeeded=succeeded)
    )


# --- API tokens ------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """Create an API token for ``user``; the token is returned once and stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.tokens.append(ApiToken(name=name, token_hash=hash_token(token), prefix=token[:12]))
    return token


def _user_from_bearer(header: str) -> User:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "invalid authorization header", {"Authorization": ["use: Bearer TOKEN"]}
        )
    db = get_session()
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if row is None or row.revoked_at is not None or not row.user.active:
        raise ApiError(401, "invalid or revoked token", None)
    now = utcnow()
    # Touch at most once a minute, so busy scripts do not write on every request.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        row.last_used_at = now
        db.commit()
    return row.user


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
                return redirect(url_for("shell.login", next=request.full_path.rstrip("?")))
            if not can(user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
