"""Personal data duties: subject access, erasure, retention.

The core registry of people is the one place personal data about a person is
indexed; each plugin reports and erases what it links to a person through the
``hub_person_data`` and ``hub_erase_person`` hooks, and what it links to a
volunteer's account (a ``User``) through ``hub_user_data`` and ``hub_erase_user``. Erasure blanks personal
fields and keeps the anonymous records, so published figures do not change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub import audit
from hub.db import utcnow
from hub.models import AuditEntry, Person, User
from hub.plugin_manager import PluginManager

ERASED_NAME = "(erased)"


def export(session: Session, plugins: PluginManager, person: Person) -> dict[str, Any]:
    """Everything this instance holds about ``person``, ready for JSON."""
    core = {
        column.key: _jsonable(getattr(person, column.key))
        for column in Person.__table__.columns  # type: ignore[attr-defined]
    }
    held = {
        name: data
        for name, data in plugins.call("hub_person_data", session=session, person=person).values
        if data
    }
    audit.record(session, "export", "person", person.id)
    return {
        "exported_at": utcnow().isoformat(),
        "person": core,
        "plugins": held,
    }


def erase(session: Session, plugins: PluginManager, person: Person) -> dict[str, int]:
    """Erase ``person`` everywhere: every plugin first, then the core record."""
    touched = {
        name: count
        for name, count in plugins.call("hub_erase_person", session=session, person=person).values
    }
    person.name = ERASED_NAME
    person.email = None
    person.phone = None
    person.notes = ""
    person.consent_given = False
    person.consent_purpose = ""
    person.anonymised_at = utcnow()
    audit.record(session, "erase", "person", person.id, plugins=touched)
    return touched


def apply_retention(session: Session, plugins: PluginManager, today: dt.date) -> dict[str, int]:
    """Erase people whose retention date has passed; then each plugin's own data."""
    due = session.scalars(
        select(Person).where(Person.retention_until < today, Person.anonymised_at.is_(None))
    ).all()
    for person in due:
        erase(session, plugins, person)
    counts = {"people": len(due)}
    for name, count in plugins.call("hub_apply_retention", session=session, today=today).values:
        counts[name] = count
    return counts


def default_retention(today: dt.date, days: int) -> dt.date:
    return today + dt.timedelta(days=days)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


# --- volunteers: the users who sign in are data subjects too -----------------------


class AccountError(ValueError):
    """An account that cannot be erased (already erased, or the last active admin)."""


def export_user(session: Session, plugins: PluginManager, user: User) -> dict[str, Any]:
    """Everything this instance holds about ``user``: the account, its API tokens,
    what the audit log says they did, and what each plugin links to them."""
    account = {
        key: _jsonable(getattr(user, key))
        for key in ("id", "email", "name", "role", "active", "created_at", "last_login_at")
    }
    tokens = [
        {key: _jsonable(getattr(token, key)) for key in TOKEN_FIELDS} for token in user.tokens
    ]
    done = session.execute(
        select(AuditEntry.at, AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id)
        .where(AuditEntry.user_id == user.id)
        .order_by(AuditEntry.id)
    )
    held = plugins.call("hub_user_data", session=session, user=user).values
    audit.record(session, "export", "user", user.id)
    return {
        "exported_at": utcnow().isoformat(),
        "user": account,
        "tokens": tokens,
        "activity": [
            {"at": at.isoformat(), "action": action, "entity": entity, "entity_id": entity_id}
            for at, action, entity, entity_id in done
        ],
        "plugins": {name: data for name, data in held if data},
    }


TOKEN_FIELDS = ("name", "prefix", "created_at", "last_used_at", "revoked_at")


def erase_user(session: Session, plugins: PluginManager, user: User) -> dict[str, int]:
    """Erase ``user``'s account: every plugin unlinks what it holds, then the
    account is blanked and disabled (its row stays, so kept records and audit
    entries point at "someone"), its sessions end and its tokens are deleted.
    The audit log's entries name them no more."""
    if user.erased_at is not None:
        raise AccountError(f"user {user.id} was already erased")
    if user.role == "admin" and user.active and not other_active_admins(session, user):
        raise AccountError("cannot erase the last active admin; make another admin first")
    touched = dict(plugins.call("hub_erase_user", session=session, user=user).values)
    user.name = ERASED_NAME
    user.email = f"erased-{user.id}@erased.invalid"
    user.password_hash = ""
    user.active = False
    user.session_version += 1
    user.erased_at = utcnow()
    user.tokens.clear()
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.user_id == user.id)
        .values(actor=f"user {user.id} ({ERASED_NAME})")
    )
    about = select(AuditEntry).where(
        AuditEntry.entity == User.__tablename__, AuditEntry.entity_id == str(user.id)
    )
    for entry in session.scalars(about):
        named = {"email", "name"} & set(entry.changes)
        if named:
            entry.changes = {**entry.changes, **dict.fromkeys(named, ERASED_NAME)}
    audit.record(session, "erase", "user", user.id, plugins=touched)
    return touched


def other_active_admins(session: Session, user: User) -> int:
    """How many active admins there are besides ``user`` (the last one must stay)."""
    others = select(func.count()).where(
        User.role == "admin", User.active.is_(True), User.id != user.id
    )
    return session.scalar(others) or 0
