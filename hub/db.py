"""The database: one engine per application, one session per application context.

Models subclass :class:`Model`. The same code and migrations run on SQLite (the
embedded default, with WAL and foreign keys on) and on PostgreSQL via psycopg 3.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapper, RelationshipProperty, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from hub import clock, search
from hub.errors import ApiError
from hub.fields import MAX_DB_INTEGER

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on both databases (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Model(DeclarativeBase):
    """Base class of every table, the core's and the plugins'."""

    # Every model here is declared with its columns, so it is mapped to a Table.
    __table__: ClassVar[Table]
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


M = TypeVar("M", bound=Model)


@event.listens_for(Mapper, "before_configured")
def _names_resolve_in_their_own_module() -> None:
    # Every plugin's models share one registry, where SQLAlchemy looks up a relationship's
    # target by class name alone ("Member" from ``Mapped[Member]``): two plugins that
    # each have a Member would make both ambiguous. A name is read as Python reads it,
    # in the module of the class that wrote it, when that module maps a class so named.
    for mapper in Model.registry.mappers:
        module = sys.modules.get(mapper.class_.__module__)
        for prop in mapper._props.values():
            target = getattr(prop, "argument", None)
            if not isinstance(prop, RelationshipProperty) or not isinstance(target, str):
                continue
            named = getattr(module, target, None)
            if isinstance(named, type) and issubclass(named, Model):
                prop.argument = f"{named.__module__}.{target}"


def utcnow() -> dt.datetime:
    """Now, in UTC, by the hub's clock (the default of every timestamp column)."""
    return clock.now()


@dataclass
class Database:
    engine: Engine
    sessionmaker: sessionmaker[Session]


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each database needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        if parsed.database and parsed.database != ":memory:":
            event.listen(engine, "connect", functools.partial(_private_file, Path(parsed.database)))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _private_file(path: Path, _dbapi_connection: Any, _record: Any) -> None:
    """Make the database file readable by its owner only, as soon as SQLite has
    opened (and perhaps created) it and before WAL mode makes the -wal and -shm
    files, which SQLite gives the same mode."""
    if path.exists() and path.stat().st_mode & 0o077:
        path.chmod(0o600)


def first_line(exc: DBAPIError) -> str:
    """The database's own message for ``exc``, in one line."""
    lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
    return lines[0]


def describe_error(exc: DBAPIError) -> str:
    """One line for a database that cannot be reached, or was never upgraded."""
    reason = first_line(exc)
    if "no such table" in reason or "does not exist" in reason:
        reason += " (run: hub db upgrade)"
    return reason


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted and overwritten content is zeroed, not left in free pages for anyone
    # who copies the file: erasure must reach the bytes, not only the rows.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
    dbapi_connection.create_function(
        search.SQLITE_LOWER, 1, search.sqlite_lower, deterministic=True
    )


# PostgreSQL's codes for "not now": a lock not granted in time, a deadlock or
# serialisation conflict the client should retry, no connection slot free.
POSTGRES_BUSY = {"55P03", "40001", "40P01", "53300", "57P03"}
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: DBAPIError) -> bool:
    """Whether ``exc`` says the database is busy (worth retrying) rather than broken."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in POSTGRES_BUSY
    return str(exc.orig).startswith(SQLITE_BUSY)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["hub.db"] = Database(engine, sessionmaker(engine, expire_on_commit=False))
    app.teardown_appcontext(_close_session)


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["hub.db"]


def bound_engine(session: Session) -> Engine:
    """The engine ``session`` works on (a session is bound to its app's engine)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def get_session() -> Session:
    """The session of the current application context (one per request or command)."""
    if "hub_session" not in g:
        g.hub_session = database().sessionmaker()
    return g.hub_session


def get_or_404(model: type[M], ident: Any, what: str | None = None) -> M:
    """The ``model`` row with primary key ``ident``, or a 404: JSON ``{"error": "<what> not
    found"}`` on the API, the error page on pages. ``what`` defaults to the model's name
    in words (``RepairEvent``: "repair event")."""
    found = None
    if not isinstance(ident, int) or abs(ident) <= _largest_key(model):
        found = get_session().get(model, ident)
    if found is None:
        name = what or re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
        raise ApiError(404, f"{name} not found", {"id": ident})
    return found


@functools.cache
def _largest_key(model: type[Model]) -> int:
    """The largest primary key ``model``'s table can hold: PostgreSQL refuses to look up
    a bigger one in a 32-bit column, which is what ``Integer`` makes there."""
    columns = list(model.__table__.primary_key.columns)
    small = [
        c for c in columns if isinstance(c.type, Integer) and not isinstance(c.type, BigInteger)
    ]
    return 2**31 - 1 if len(columns) == 1 and small else MAX_DB_INTEGER


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("hub_session", None)
    if session is not None:
        session.close()
