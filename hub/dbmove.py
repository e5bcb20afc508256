"""Moving an instance to another database: ``hub db move --to DATABASE_URL``.

A group starts on SQLite and grows into PostgreSQL. The move makes the target
with the migrations, exactly as ``hub db upgrade`` would, then copies every row
of the core's and each enabled plugin's tables, and their Alembic version
tables, in dependency order and in batches, all in one transaction on the
target. Before committing it reads every table back and compares its row count
and checksum with what it read from the source; only then does it point
``DATABASE_URL`` in ``hub.toml`` at the target. A move that fails leaves the
target as empty as it found it.

The source is only read, in one snapshot, while writers are held off (a write
during the move would otherwise be lost), so the move is undone by putting the
old ``DATABASE_URL`` back. Tables are found through what the core and the
plugins declare (the models' metadata and :func:`hub.migrate.components`),
never by name, so a plugin the hub has never seen moves like the built-in ones.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
import re
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    func,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, StatementError
from sqlalchemy.types import TypeDecorator

from hub import config, migrate
from hub.db import Model, database, describe_error, first_line, make_engine

BATCH = 1000
CHECKSUM_MODULUS = 2**256
ENVIRONMENT_KEY = f"{config.ENV_PREFIX}DATABASE_URL"
SHOWN_PROBLEMS = 10

Say = Callable[[str], None]
Progress = Callable[[int, int], None]  # (rows copied, rows in all)


class MoveError(Exception):
    """The move cannot go on; nothing was changed, unless the message says so. ``str()``
    says why and what to do, ``details`` lists the rows or tables concerned, one each."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


@dataclass
class Tally:
    """A table's rows and a checksum of them that does not depend on their order
    (each database sorts text its own way): the sum of each row's SHA-256."""

    table: str
    rows: int = 0
    digest: int = 0

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            text = json.dumps(list(row), default=_plain, separators=(",", ":"), sort_keys=True)
            digest = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
            self.digest = (self.digest + digest) % CHECKSUM_MODULUS
        self.rows += len(rows)

    @property
    def checksum(self) -> str:
        return f"{self.digest:064x}"


def _plain(value: Any) -> Any:
    """A value as the same JSON whichever database it was read from."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    # Anything else as Python shows it: the same value reads the same from either database.
    return repr(value)


@dataclass
class MoveReport:
    source: str
    target: str
    config_file: Path
    tables: list[Tally] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(tally.rows for tally in self.tables)


def tables_to_move(app: Flask) -> list[Table]:
    """The tables of the core and of every enabled plugin, parents before the rows
    that refer to them, then each component's Alembic version table."""
    parts = migrate.components(app)
    owned = set().union(*(part.tables for part in parts))
    data = [table for table in Model.metadata.sorted_tables if table.name in owned]
    versions = MetaData()
    return data + [
        Table(part.version_table, versions, Column("version_num", String(32), primary_key=True))
        for part in parts
    ]


def move(
    app: Flask,
    target_url: str,
    *,
    leave_behind: bool = False,
    say: Say = lambda _msg: None,
    progress: Progress = lambda _done, _total: None,
) -> MoveReport:
    """Copy ``app``'s database to the empty database at ``target_url``, verify it and
    switch ``hub.toml`` to it. Raises :class:`MoveError` with nothing changed.

    Call it holding the instance, as ``hub db move`` does (:func:`hub.cli.instance_alone`):
    a server or a federation run writing meanwhile would write to the old database."""
    started = time.monotonic()
    instance = Path(app.instance_path)
    source_url = app.config["DATABASE_URL"]
    if os.environ.get(ENVIRONMENT_KEY):
        raise MoveError(
            f"DATABASE_URL comes from the environment ({ENVIRONMENT_KEY}), which hub db move "
            f"cannot change: put it in {config.CONFIG_FILE} instead, then move"
        )
    target = _target_engine(source_url, target_url)
    report = MoveReport(_shown(source_url), _shown(target_url), instance / config.CONFIG_FILE)
    new_config = configured_for(report.config_file, target_url, report.source)
    try:
        tables = tables_to_move(app)
        say("checking the source database")
        _check_source(app, tables, leave_behind)
        say("checking the target database")
        _check_target_empty(target)
        with _snapshot(database(app).engine, tables) as reading:
            _check_values(reading, tables, target.dialect.name)
            report.tables = _copy_all(app, reading, target, tables, say, progress)
        try:
            _write_private(report.config_file, new_config)
        except OSError as exc:
            raise MoveError(
                f"the database was copied to {report.target} and checked, but "
                f"{report.config_file} could not be written ({exc.strerror}): set "
                "DATABASE_URL there by hand"
            ) from None
    finally:
        target.dispose()
    report.seconds = time.monotonic() - started
    return report


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _target_engine(source_url: str, target_url: str) -> Engine:
    problems = config.check_database_url(target_url)
    if problems:
        raise MoveError(problems[0])
    if make_url(target_url) == make_url(source_url):
        raise MoveError("the target is the database this instance uses already")
    try:
        return make_engine(target_url)
    except (ArgumentError, ImportError) as exc:
        raise MoveError(
            f"cannot use {_shown(target_url)}: {exc} "
            "(for PostgreSQL, write postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME)"
        ) from None


# --- before anything is written ------------------------------------------------------------


def _check_source(app: Flask, tables: list[Table], leave_behind: bool) -> None:
    behind = migrate.pending(app)
    if behind:
        raise MoveError(f"the database needs upgrading first: hub db upgrade ({', '.join(behind)})")
    moved = {table.name for table in tables}
    with database(app).engine.connect() as connection:
        others = sorted(set(inspect(connection).get_table_names()) - moved)
        drift = _column_drift(migrate.schema_differences(app, connection))
    if drift:
        raise MoveError(
            "the database's tables do not match the models, so not every value would move "
            "(is a plugin's migration missing?)",
            drift,
        )
    if others and not leave_behind:
        raise MoveError(
            "these tables belong to no enabled plugin and would be left behind: enable their "
            "plugin and run hub db upgrade first, or move without them with --leave-behind",
            others,
        )


def _column_drift(differences: dict[str, list[Any]]) -> list[str]:
    """Tables and columns the models and the database do not share (what would not
    be copied, or could not be); indexes and types do not stop a move."""
    found = []
    for component, changes in differences.items():
        for change in changes:
            if not isinstance(change, tuple):
                continue
            kind, *rest = change
            if kind in ("add_table", "remove_table"):
                found.append(f"{component}: table {rest[0].name} is only in the {_side(kind)}")
            elif kind in ("add_column", "remove_column"):
                table, column = rest[1], rest[2]
                found.append(
                    f"{component}: column {table}.{column.name} is only in the {_side(kind)}"
                )
    return found


def _side(kind: str) -> str:
    return "models" if kind.startswith("add_") else "database"


def _check_target_empty(target: Engine) -> None:
    try:
        with target.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
    except DBAPIError as exc:
        raise MoveError(f"cannot reach the target database: {first_line(exc)}") from None
    if names:
        raise MoveError(
            f"the target database is not empty (it has {len(names)} tables, such as "
            f"{', '.join(names[:3])}): give an empty one (createdb --owner hub hub)"
        )


@contextmanager
def _snapshot(engine: Engine, tables: list[Table]) -> Iterator[Connection]:
    """A connection reading one consistent state of the source; other writers wait
    (or fail after their time-out) until the move ends."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            finally:
                connection.exec_driver_sql("ROLLBACK")
            return
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            quote = connection.dialect.identifier_preparer.format_table
            names = ", ".join(quote(table) for table in tables)
            connection.exec_driver_sql(f"LOCK TABLE {names} IN SHARE MODE")
            yield connection


def _check_values(reading: Connection, tables: list[Table], target_dialect: str) -> None:
    """What SQLite lets a file hold that the target would refuse halfway through:
    rows whose parent is gone, and (for PostgreSQL) text longer than its column or
    holding a NUL character."""
    if reading.dialect.name != "sqlite":
        return
    names = {table.name for table in tables}
    problems = [
        f"{child} row {rowid} refers to a row of {parent} that does not exist"
        for child, rowid, parent, _key in reading.exec_driver_sql("PRAGMA foreign_key_check")
        if child in names
    ]
    if target_dialect == "postgresql":
        for table in tables:
            problems += _text_postgresql_refuses(reading, table)
    if problems:
        raise MoveError(
            f"{len(problems)} values would be refused by the target; correct them first "
            "(nothing was copied)",
            problems[:SHOWN_PROBLEMS],
        )


def _text_postgresql_refuses(reading: Connection, table: Table) -> list[str]:
    text_columns = [column for column in table.columns if isinstance(_stored_type(column), String)]
    if not text_columns:
        return []
    checks = []
    for column in text_columns:
        length = _stored_type(column).length
        checks.append(func.instr(column, func.char(0)) > 0)
        if length:
            checks.append(func.length(column) > length)
    keys = list(table.primary_key.columns)
    query = select(*keys, *text_columns).where(or_(*checks)).limit(SHOWN_PROBLEMS)
    problems = []
    for row in reading.execute(query):
        where = ", ".join(f"{key.name}={value}" for key, value in zip(keys, row, strict=False))
        for column, value in zip(text_columns, row[len(keys) :], strict=True):
            length = _stored_type(column).length
            if value is None:
                continue
            if "\x00" in value:
                problems.append(f"{table.name}.{column.name} ({where}) holds a NUL character")
            elif length and len(value) > length:
                problems.append(
                    f"{table.name}.{column.name} ({where}) is {len(value)} characters long; "
                    f"the column holds {length}"
                )
    return problems


def _stored_type(column: Column[Any]) -> Any:
    return column.type.impl if isinstance(column.type, TypeDecorator) else column.type


# --- the copy, in one transaction on the target -----------------------------------------


def _copy_all(
    app: Flask,
    reading: Connection,
    target: Engine,
    tables: list[Table],
    say: Say,
    progress: Progress,
) -> list[Tally]:
    total = sum(reading.scalar(select(func.count()).select_from(table)) or 0 for table in tables)
    with target.begin() as writing:
        say("creating the tables on the target")
        try:
            migrate.upgrade(app, connection=writing)
        except DBAPIError as exc:
            raise MoveError(
                f"could not create the tables on the target: {first_line(exc)}"
            ) from None
        # Anything the migrations put in (the version rows) makes way for the source's rows.
        for table in reversed(tables):
            writing.execute(table.delete())
        say(f"copying {total} rows in {len(tables)} tables")
        copied: list[Tally] = []
        for table in tables:
            copied.append(_copy_table(reading, writing, table, copied, total, progress))
        _set_sequences(writing, tables)
        say("reading every table back to compare")
        for table, expected in zip(tables, copied, strict=True):
            found = _read(writing, table)
            if (found.rows, found.digest) != (expected.rows, expected.digest):
                raise MoveError(
                    f"table {table.name} differs after copying ({expected.rows} rows read, "
                    f"{found.rows} found): nothing was changed; please report this"
                )
    return copied


def _rows(connection: Connection, table: Table) -> Iterator[Sequence[Sequence[Any]]]:
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=BATCH).execute(query)
    yield from result.partitions()


def _copy_table(
    reading: Connection,
    writing: Connection,
    table: Table,
    before: list[Tally],
    total: int,
    progress: Progress,
) -> Tally:
    tally = Tally(table.name)
    done = sum(each.rows for each in before)
    try:
        for rows in _rows(reading, table):
            _insert(writing, table, rows)
            tally.add(rows)
            progress(done + tally.rows, total)
    except (ValueError, TypeError) as exc:  # a stored value its own column type cannot read
        raise MoveError(
            f"could not read table {table.name}: {exc}; correct it first (nothing was changed)"
        ) from None
    return tally


def _insert(writing: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    keys = [column.key for column in table.columns]
    try:
        writing.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in rows])
    except (DBAPIError, StatementError) as exc:
        reason = first_line(exc) if isinstance(exc, DBAPIError) else str(exc.orig)
        raise MoveError(
            f"could not copy table {table.name} (rows {_key(table, rows[0])} to "
            f"{_key(table, rows[-1])}): {reason}; nothing was changed"
        ) from None


def _key(table: Table, row: Sequence[Any]) -> str:
    values = dict(zip([column.key for column in table.columns], row, strict=True))
    return "/".join(str(values[column.key]) for column in table.primary_key.columns)


def _read(connection: Connection, table: Table) -> Tally:
    tally = Tally(table.name)
    for rows in _rows(connection, table):
        tally.add(rows)
    return tally


def _set_sequences(writing: Connection, tables: list[Table]) -> None:
    """PostgreSQL hands out ids from a sequence, which copied rows did not use:
    set each past the highest id copied, so the next row does not collide."""
    if writing.dialect.name != "postgresql":
        return
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(
            writing.dialect.identifier_preparer.format_table(table), column.name
        )
        highest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
        writing.execute(select(func.setval(sequence, highest + 1, False)))


# --- switching over ----------------------------------------------------------------------


def configured_for(path: Path, url: str, moved_from: str) -> str:
    """``hub.toml``'s text with ``DATABASE_URL`` set to ``url`` and a note of where the
    instance was before; everything else (comments, plugin tables) kept as it was."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    # Top-level keys come before the first [table]; a line after one would belong to it.
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    found = [i for i in range(end) if re.match(r"\s*DATABASE_URL\s*=", lines[i], re.IGNORECASE)]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    setting = [
        f"# Moved here by hub db move on {when}; the database before was {moved_from}",
        f"DATABASE_URL = {json.dumps(url)}",
    ]
    if found:
        lines[found[0] : found[0] + 1] = setting
    else:
        lines[end:end] = setting
    new = "\n".join(lines) + "\n"
    try:
        before, after = _top_level(text), _top_level(new)
    except tomllib.TOMLDecodeError as exc:
        raise MoveError(f"{path} is not valid TOML: {exc}") from None
    before["DATABASE_URL"] = url
    if after != before:
        raise MoveError(f"cannot change DATABASE_URL in {path} safely: set it there by hand")
    return new


def _top_level(text: str) -> dict[str, Any]:
    return {key.upper(): value for key, value in tomllib.loads(text).items()}


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` whole (it holds the secret key): never half-written."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


# --- the command -------------------------------------------------------------------------


@click.command("move")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="DATABASE_URL",
    help="An empty database, e.g. postgresql+psycopg://hub:PASSWORD@127.0.0.1:5432/hub",
)
@click.option(
    "--leave-behind",
    is_flag=True,
    help="Move even if tables of plugins that are not enabled stay in the old database.",
)
@click.option("--stop", "stop_server", is_flag=True, help="Stop the running server first.")
def move_command(target_url: str, leave_behind: bool, stop_server: bool) -> None:
    """Copy this instance's database to an empty one (e.g. PostgreSQL), check it and
    switch to it. The old database is left as it was. Refused while the server runs
    (stop it, or pass --stop)."""
    from hub.cli import app_context, instance_alone, progress_printer

    progress, close = progress_printer("Copying")
    with app_context() as app, instance_alone(app, stop_server):
        try:
            report = move(
                app,
                target_url,
                leave_behind=leave_behind,
                say=lambda message: click.echo(message),
                progress=progress,
            )
        except MoveError as exc:
            raise click.ClickException("\n  ".join([str(exc), *exc.details])) from None
        except DBAPIError as exc:
            raise click.ClickException(f"database: {describe_error(exc)}") from None
        finally:
            close()
    width = max(len(tally.table) for tally in report.tables)
    for tally in report.tables:
        click.echo(
            f"  {tally.table:<{width}}  {tally.rows:>8} rows  checksum {tally.checksum[:12]}"
        )
    click.echo(
        f"Moved {report.rows} rows in {len(report.tables)} tables in {report.seconds:.1f} s, "
        "each table's rows and checksum checked."
    )
    click.echo(f"DATABASE_URL in {report.config_file} is now {report.target}.")
    click.echo(
        f"The database before is unchanged ({report.source}): to go back, stop the hub and "
        f"put its DATABASE_URL back in {report.config_file.name}."
    )
