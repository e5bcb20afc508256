"""The core's records: users and tokens, the people registry, locations, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Model, utcnow

ROLES = ("admin", "coordinator", "volunteer", "viewer")


def personal(*args: Any, **kwargs: Any) -> Any:
    """A column holding personal data: exported on request, erased on request,
    and never copied into the audit log."""
    return mapped_column(*args, info={"personal": True}, **kwargs)


class User(Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # Set when an admin erased the account (hub user erase): blanked, disabled, kept.
    erased_at: Mapped[dt.datetime | None]
    # The language the user reads pages in (hub.i18n.LANGUAGES); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(10))

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __audit_exclude__ = ("password_hash", "last_login_at")


class UserSession(Model):
    """A signed-in browser. The cookie holds a random key whose SHA-256 is kept
    here: signing out, a password change or an admin deletes the row, and the
    cookie, even copied, no longer signs anyone in."""

    __tablename__ = "user_session"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ApiToken(Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # Only a SHA-256 of the token is stored; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    __audit_exclude__ = ("token_hash", "last_used_at")


class LoginAttempt(Model):
    """Recent sign-in attempts, kept to slow down password guessing across workers.

    An attempt is written (as a failure) before its password is checked, so that
    attempts made at the same moment count each other. ``device`` says which
    counter it belongs to: empty for a browser not known to the account (counted
    per account and per address), else a known device's or a session's own key.
    """

    __tablename__ = "login_attempt"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    device: Mapped[str] = mapped_column(String(64), default="", index=True)
    succeeded: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Person(Model):
    """The one registry of personal data; plugins link their records to it."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = personal(String(200), default="")
    email: Mapped[str | None] = personal(String(254))
    phone: Mapped[str | None] = personal(String(40))
    notes: Mapped[str] = personal(Text, default="")
    consent_given: Mapped[bool] = mapped_column(default=False)
    # Free text, so it may say more about someone than its label suggests.
    consent_purpose: Mapped[str] = personal(String(300), default="")
    consent_at: Mapped[dt.datetime | None]
    retention_until: Mapped[dt.date | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    anonymised_at: Mapped[dt.datetime | None]


class Location(Model):
    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    opening_times: Mapped[list[OpeningTime]] = relationship(
        back_populates="location",
        cascade="all, delete-orphan",
        order_by="(OpeningTime.weekday, OpeningTime.opens)",
    )


class OpeningTime(Model):
    __tablename__ = "opening_time"
    __table_args__ = (UniqueConstraint("location_id", "weekday", "opens"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    weekday: Mapped[int]  # 0 = Monday, as Python's date.weekday()
    opens: Mapped[dt.time]
    closes: Mapped[dt.time]

    location: Mapped[Location] = relationship(back_populates="opening_times")


class AuditEntry(Model):
    """Who changed what, and when. Personal values are never copied here."""

    __tablename__ = "audit_entry"
    __audited__ = False
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PluginFailure(Model):
    """A part of a plugin that failed and was skipped (a navigation entry, its
    metrics, a panel), kept so that ``hub plugins`` and the admin's plugins page
    show it whichever process it happened in. One row per plugin version and
    part; an upgrade of the plugin starts with a clean slate."""

    __tablename__ = "plugin_failure"
    __audited__ = False
    __table_args__ = (UniqueConstraint("plugin", "version", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40), default="")
    part: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(default=1)
    first_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FormSubmission(Model):
    """A create form's one-time token, claimed by the record it made (hub.submissions).
    Claimed in the record's own transaction, so a repeat of the form finds it instead
    of making a second record."""

    __tablename__ = "form_submission"
    __audited__ = False

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    form: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class PluginSetting(Model):
    """A plugin setting a coordinator changed in a page (hub.settings_store): one more
    layer on top of the defaults, ``hub.toml`` and the environment. Audited."""

    __tablename__ = "plugin_setting"

    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
