"""The audit log: every change to a record, with who made it and when.

Changes are collected from the ORM session before each flush, so no view can
forget to log. Columns holding personal data are recorded as changed, never
with their values; what else identifies someone (a household's code) is blanked
from the log by :func:`scrub` when they are erased.
Bulk imports that bypass the ORM record one entry with :func:`record`; a busy
write path that inserts with Core statements logs each row it wrote with
:func:`record_created`, in the same shape the ORM path would.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask
from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db import Model, database
from hub.models import AuditEntry

PERSONAL = "(personal data)"

_actor: ContextVar[tuple[int | None, str]] = ContextVar("hub_actor", default=(None, "system"))


def set_actor(user_id: int | None, label: str) -> None:
    """Attribute the following changes in this context (a request, a command)."""
    _actor.set((user_id, label))


def record(session: Session, action: str, entity: str, entity_id: Any = "", **changes: Any) -> None:
    """Log an action that does not go through the ORM (an import, an erasure)."""
    user_id, label = _actor.get()
    session.add(
        AuditEntry(
            user_id=user_id,
            actor=label,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            changes=_jsonable(changes),
        )
    )


def record_created(
    session: Session, rows: Mapping[type[Model], Sequence[Mapping[str, Any]]]
) -> None:
    """Log rows inserted with Core statements as created, all in one INSERT.

    ``rows`` maps each model to the full rows written (primary key included),
    e.g. ``{Parcel: [parcel_row], ParcelSignpost: signpost_rows}``. Personal
    columns are logged as changed, never with their values, as for the ORM.
    """
    user_id, label = _actor.get()
    entries = [
        {
            "user_id": user_id,
            "actor": label,
            "action": "create",
            "entity": model.__tablename__,
            "entity_id": "/".join(str(row[key]) for key in _primary_key(model)),
            "changes": {
                key: PERSONAL if personal else _jsonable(row.get(key))
                for key, personal in _audited_columns(model)
            },
        }
        for model, written in rows.items()
        for row in written
    ]
    if entries:
        session.connection().execute(insert(AuditEntry.__table__), entries)


def init_app(app: Flask) -> None:
    init_sessionmaker(database(app).sessionmaker)
    # A worker thread serves request after request: without this, a request
    # that signs nobody in would inherit the previous request's user.
    app.teardown_appcontext(_forget_actor)


def _forget_actor(_exc: BaseException | None) -> None:
    _actor.set((None, "system"))


def init_sessionmaker(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _collect_changes)
    event.listen(factory, "after_flush_postexec", _store_ids)


def _audited(obj: object) -> bool:
    return isinstance(obj, Model) and getattr(obj, "__audited__", True)


def _collect_changes(session: Session, _context: Any, _instances: Any) -> None:
    # New rows are described after the flush, when defaults and keys are filled in.
    pending: list[tuple[str, Model, dict[str, Any] | None]] = session.info.setdefault("audit", [])
    for obj in session.new:
        if _audited(obj):
            pending.append(("create", obj, None))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _values(obj, changed_only=True)
            if changes:
                pending.append(("update", obj, changes))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, {}))


def _store_ids(session: Session, _context: Any) -> None:
    # Primary keys of new rows exist only after the flush, so entries are written here.
    pending = session.info.pop("audit", [])
    if not pending:
        return
    user_id, label = _actor.get()
    entries = [
        {
            "user_id": user_id,
            "actor": label,
            "action": action,
            "entity": obj.__tablename__,
            "entity_id": "/".join(str(part) for part in inspect(obj).identity or ()),
            "changes": _values(obj, changed_only=False) if changes is None else changes,
        }
        for action, obj, changes in pending
    ]
    # One INSERT on the flush's own connection (same transaction). Adding AuditEntry
    # objects to the session instead made every commit run a second whole ORM flush
    # just for them, a large share of a small write request's time.
    session.connection().execute(insert(AuditEntry.__table__), entries)
    captured = session.info.get("audit_capture")
    if captured is not None:
        captured.extend(entries)


@contextmanager
def capture(session: Session) -> Iterator[list[dict[str, Any]]]:
    """Collect the entries the ORM logs in ``session`` meanwhile (autoflushes included)."""
    entries: list[dict[str, Any]] = []
    session.info["audit_capture"] = entries
    try:
        yield entries
    finally:
        session.info.pop("audit_capture", None)


ERASED = "(erased)"


def scrub(session: Session, entries: Sequence[Mapping[str, Any]], before_id: int) -> int:
    """Blank what earlier entries (``id <= before_id``) say about the records an
    erasure changed in ``entries``: every value it changed (a household's code,
    the link to its person) and every personal field. Returns the entries changed."""
    fields: dict[tuple[str, str], set[str]] = {}
    models: set[type[Model]] = {mapper.class_ for mapper in Model.registry.mappers}
    personal_by_table = {
        model.__tablename__: {key for key, personal in _audited_columns(model) if personal}
        for model in models
        if hasattr(model, "__tablename__")
    }
    for entry in entries:
        key = (entry["entity"], entry["entity_id"])
        blanked = fields.setdefault(key, set(personal_by_table.get(entry["entity"], ())))
        blanked.update(entry["changes"] or {})
    scrubbed = 0
    for (entity, entity_id), blanked in fields.items():
        earlier = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == entity,
                AuditEntry.entity_id == entity_id,
                AuditEntry.id <= before_id,
            )
        )
        for old in earlier:
            changes = dict(old.changes or {})
            for name in blanked & set(changes):
                if changes[name] not in (None, "", PERSONAL, ERASED):
                    changes[name] = ERASED
            if changes != old.changes:
                old.changes = changes
                scrubbed += 1
    return scrubbed


def last_id(session: Session) -> int:
    return session.scalar(select(func.max(AuditEntry.id))) or 0


@functools.cache
def _audited_columns(model: type[Model]) -> tuple[tuple[str, bool], ...]:
    """``(attribute, holds personal data)`` for each column the log covers, worked out
    once per model rather than on every change."""
    excluded = set(getattr(model, "__audit_exclude__", ()))
    return tuple(
        (attr.key, bool(attr.columns[0].info.get("personal")))
        for attr in inspect(model).column_attrs
        if attr.key not in excluded
    )


@functools.cache
def _primary_key(model: type[Model]) -> tuple[str, ...]:
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


def _values(obj: Model, *, changed_only: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not changed_only:
        # After a flush the new row's values are its committed state: no history to consult.
        for key, personal in _audited_columns(type(obj)):
            values[key] = PERSONAL if personal else _jsonable(getattr(obj, key))
        return values
    attrs = inspect(obj).attrs
    for key, personal in _audited_columns(type(obj)):
        history = attrs[key].history
        if not history.has_changes():
            continue
        if personal:
            values[key] = PERSONAL
        else:
            value = history.added[0] if history.added else getattr(obj, key)
            values[key] = _jsonable(value)
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value
