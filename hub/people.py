"""Personal data duties: subject access, erasure, retention.

The core registry of people is the one place personal data about a person is
indexed; each plugin reports and erases what it links to a person through the
``hub_person_data`` and ``hub_erase_person`` hooks, and what it links to a
volunteer's account (a ``User``) through ``hub_user_data`` and ``hub_erase_user``. Erasure blanks personal
fields and keeps the anonymous records, so published figures do not change.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, false, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hub import audit, auth
from hub.db import Model, bound_engine, is_busy, utcnow
from hub.models import AuditEntry, Person, User
from hub.plugin_manager import PluginManager
from hub.search import text_search

log = logging.getLogger(__name__)

ERASED_NAME = "(erased)"
CHECKPOINT_TRIES = 25
VACUUM_LOCK_WAIT = "3s"
VACUUM_TRIES = 3


def export(session: Session, plugins: PluginManager, person: Person) -> dict[str, Any]:
    """Everything this instance holds about ``person``, ready for JSON."""
    core = {
        column.key: _jsonable(getattr(person, column.key)) for column in Person.__table__.columns
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
    """Erase ``person`` everywhere, commit, and clear what the database keeps of the
    old values beyond the rows (see :func:`remove_remnants`)."""
    touched = _erase(session, plugins, person)
    session.commit()
    remove_remnants(session)
    return touched


def _erase(session: Session, plugins: PluginManager, person: Person) -> dict[str, int]:
    """Every plugin first, then the core record; then the audit log forgets what the
    erased records said before (names, codes, links) in its earlier entries."""
    with _forgetting(session):
        touched = dict(plugins.call("hub_erase_person", session=session, person=person).values)
        person.name = ERASED_NAME
        person.email = None
        person.phone = None
        person.notes = ""
        person.consent_given = False
        person.consent_purpose = ""
        person.anonymised_at = utcnow()
    audit.record(session, "erase", "person", person.id, plugins=touched)
    return touched


@contextmanager
def _forgetting(session: Session) -> Iterator[None]:
    """Around an erasure's changes: earlier audit entries about the records it
    changed are scrubbed of the values it changed and of personal fields."""
    before = audit.last_id(session)
    with audit.capture(session) as changed:
        yield
        session.flush()
    audit.scrub(session, [entry for entry in changed if entry["action"] == "update"], before)


@contextmanager
def erasure(session: Session, entity: str, entity_id: Any) -> Iterator[dict[str, Any]]:
    """Erase a record a plugin holds about someone who is not (or not only) a person
    in the registry, such as a food bank household, as the core erases a person::

        with api.erasure(session, "foodbank_household", household.id) as details:
            details["vouchers"] = blank_the_household(household)

    The changes made inside are audited; earlier audit entries about the records
    changed forget the values changed and every personal field; an ``erase`` entry
    (with ``details``) is recorded; then it commits and clears the database's old
    copies of the values (:func:`remove_remnants`). A block that raises changes nothing.
    """
    details: dict[str, Any] = {}
    with _forgetting(session):
        yield details
    audit.record(session, "erase", entity, entity_id, **details)
    session.commit()
    remove_remnants(session)


def apply_retention(session: Session, plugins: PluginManager, today: dt.date) -> dict[str, int]:
    """Erase people whose retention date has passed; then each plugin's own data."""
    due = session.scalars(
        select(Person).where(Person.retention_until < today, Person.anonymised_at.is_(None))
    ).all()
    for person in due:
        _erase(session, plugins, person)
    counts = {"people": len(due)}
    for name, count in plugins.call("hub_apply_retention", session=session, today=today).values:
        counts[name] = count
    session.commit()
    remove_remnants(session)
    return counts


def remove_remnants(session: Session) -> None:
    """Clear old copies of erased values that the database keeps beyond its rows.

    SQLite (with ``secure_delete``, on for every connection) zeroes what was
    overwritten, but the -wal file holds earlier page images until a checkpoint:
    it is checkpointed and truncated. PostgreSQL keeps old row versions until a
    VACUUM, and a plain VACUUM leaves their bytes in the page's free space: each
    table holding personal data, and the audit log, is rewritten with VACUUM FULL.
    VACUUM FULL locks the table while it runs (seconds for a large audit log), so
    it waits for its lock at most a few seconds; a table it cannot lock in time gets
    a plain VACUUM, and the warning says so.
    """
    engine = bound_engine(session)
    if engine.dialect.name == "sqlite":
        _checkpoint_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _vacuum_postgres(engine)


def _checkpoint_sqlite(engine: Engine) -> None:
    with engine.connect() as connection:
        for _ in range(CHECKPOINT_TRIES):
            busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return
            time.sleep(0.2)
    log.warning(
        "erasure: SQLite's -wal file could not be checkpointed (a reader kept it busy); "
        "old copies of erased values stay in it until the next checkpoint"
    )


def _personal_tables(engine: Engine) -> list[str]:
    present = set(sa_inspect(engine).get_table_names())
    holding = {
        model.__table__.name
        for model in (mapper.class_ for mapper in Model.registry.mappers)
        if any(column.info.get("personal") for column in model.__table__.columns)
    }
    return sorted((holding | {AuditEntry.__tablename__}) & present)


def _vacuum_postgres(engine: Engine) -> None:
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"SET lock_timeout = '{VACUUM_LOCK_WAIT}'")
        for table in _personal_tables(engine):
            if _vacuum_full(connection, quote(table)):
                continue
            connection.exec_driver_sql(f"VACUUM {quote(table)}")
            log.warning(
                "erasure: %s was busy, so it got a plain VACUUM: the bytes of old "
                "row versions stay in its free space until reused or the next erasure",
                table,
            )


def _vacuum_full(connection: Connection, table: str) -> bool:
    """VACUUM FULL ``table``, trying again if its lock was busy (autovacuum gives way
    to it, but on a loaded server not always within one wait); False if never taken."""
    for _ in range(VACUUM_TRIES):
        try:
            connection.exec_driver_sql(f"VACUUM FULL {table}")
            return True
        except OperationalError as exc:
            if not is_busy(exc):
                raise
    return False


def matching(text: str, user: User | None) -> ColumnElement[bool]:
    """The people a search finds for ``user``. With ``people.list``, anyone with every
    word anywhere in their name, email or phone; without it (a volunteer at the door),
    an exact lookup: the whole name, email or phone, in any case, and no one for an
    empty search, so the registry cannot be read out a page at a time."""
    if auth.can(user, "people.list"):
        return text_search(text, Person.name, Person.email, Person.phone)
    wanted = text.strip().lower()
    if not wanted:
        return false()
    return or_(
        func.lower(Person.name) == wanted,
        func.lower(Person.email) == wanted,
        func.replace(Person.phone, " ", "") == wanted.replace(" ", ""),
    )


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
    """Erase ``user``'s account, commit, and clear the database's old copies: every
    plugin unlinks what it holds, then the account is blanked and disabled (its row
    stays, so kept records and audit entries point at "someone"), its sessions end,
    its tokens are deleted, and the audit log names them no more."""
    if user.erased_at is not None:
        raise AccountError(f"user {user.id} was already erased")
    if user.role == "admin" and user.active and not other_active_admins(session, user):
        raise AccountError("cannot erase the last active admin; make another admin first")
    with _forgetting(session):
        touched = dict(plugins.call("hub_erase_user", session=session, user=user).values)
        user.name = ERASED_NAME
        user.email = f"erased-{user.id}@erased.invalid"
        user.password_hash = ""
        user.active = False
        user.erased_at = utcnow()
        user.tokens.clear()
        auth.end_sessions(user, keep_current=False)
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.user_id == user.id)
        .values(actor=f"user {user.id} ({ERASED_NAME})")
    )
    audit.record(session, "erase", "user", user.id, plugins=touched)
    session.commit()
    remove_remnants(session)
    return touched


def other_active_admins(session: Session, user: User) -> int:
    """How many active admins there are besides ``user`` (the last one must stay)."""
    others = select(func.count()).where(
        User.role == "admin", User.active.is_(True), User.id != user.id
    )
    return session.scalar(others) or 0
