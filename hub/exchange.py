"""Imports and exports in formats that plugins contribute (ORDS CSV, iCalendar...), and
the one CSV writer every export uses."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hub.db import bound_engine, make_engine

Progress = Callable[[int, int], None]
# Long enough that commits cost little, short enough that a volunteer logging a
# parcel meanwhile waits for the write lock about as long as for a page.
COMMIT_EVERY_SECONDS = 0.5
# SQLite's busy handler polls a waiting writer every 100 ms: a lock released for
# an instant between two transactions is taken straight back by the import, and
# the volunteer's request waits on. After each commit on SQLite the import leaves
# the lock free for one whole polling interval.
SQLITE_YIELD_SECONDS = 0.11
# The longest cell an import reads (the csv module's own default): 128 KiB.
CSV_FIELD_LIMIT = 131_072
# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection").
FORMULA_START = frozenset("=+-@\t\r")


class CsvWriter:
    """Writes rows that a spreadsheet opens as data, never as formulas.

    A text cell starting with ``= + - @``, a tab or a carriage return (after any
    spaces) gets a leading ``'``, so ``=HYPERLINK(...)`` typed into a form arrives
    in the sheet as the text it was. Numbers stay numbers (``-5`` as an integer is
    written as it is), dates are written as ISO dates, ``None`` as an empty cell and
    booleans as ``true``/``false``. Lines end as RFC 4180 says (CRLF).
    """

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: TextIO) -> CsvWriter:
    """The CSV writer for every export: ``csv_writer(stream).writerow([...])``."""
    return CsvWriter(stream)


def csv_text(cell: str) -> str:
    """A cell's text as it was before :class:`CsvWriter` kept it from reading as a formula
    (``'=A1`` is ``=A1``), so an import of an export reads back what was exported."""
    if cell[:1] == "'" and cell[1:].lstrip(" ")[:1] in FORMULA_START:
        return cell[1:]
    return cell


def cell(value: Any) -> Any:
    """One value as a safe CSV cell."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, int | float | decimal.Decimal):
        return value
    text = str(value)
    if text.lstrip(" ")[:1] in FORMULA_START:
        return "'" + text
    return text


@dataclass
class RowProblem:
    """A row an import could not take, and why (row 1 is the first data row)."""

    row: int
    message: str
    field: str | None = None


@dataclass
class ImportReport:
    """What an import did: counts, and every row it could not take."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False

    def problem(self, row: int, message: str, field: str | None = None) -> None:
        self.problems.append(RowProblem(row, message, field))

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "problems": [vars(p) for p in self.problems],
        }


@dataclass(frozen=True)
class Exporter:
    """An export format: ``write(session, stream, options)`` returns the records written."""

    format: str
    description: str
    media_type: str
    write: Callable[[Session, TextIO, dict[str, Any]], int]
    extension: str = "csv"


@dataclass(frozen=True)
class Importer:
    """An import format: ``read(session, stream, options, progress)`` returns a report.

    ``read`` calls ``progress(done, total)`` after each row it has finished with,
    taken or refused. That is where the core may commit what was taken so far, so
    that a long import never holds the database's write lock for long (on SQLite,
    one writer at a time: volunteers logging during an import must not wait): an
    importer keeps nothing half-written across that call. A file imported again
    adds nothing, so an import stopped halfway is finished by importing it again.
    With ``options["dry_run"]`` it checks every row and the core throws away what it wrote.

    ``fields`` names what a file's columns can be mapped onto with ``map.FIELD``
    options (a sheet's "Date Given" onto ``date``), so the import page can offer
    a column for each; empty for a format whose columns are fixed (ORDS).
    """

    format: str
    description: str
    read: Callable[[Session, TextIO, dict[str, Any], Progress], ImportReport]
    fields: tuple[str, ...] = ()


def parse_options(lines: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` options (``--option`` on the command line, a line each on the
    import page); raises ValueError naming the first that is not one."""
    parsed = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{line!r}: use KEY=VALUE")
        parsed[key.strip()] = value.strip()
    return parsed


class ImportFileError(ValueError):
    """The file could not be read at all (its encoding): nothing was imported."""


def _no_progress(_done: int, _total: int) -> None:
    pass


def run_import(
    session: Session,
    importer: Importer,
    path: Path,
    options: Mapping[str, Any],
    *,
    dry_run: bool,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Read ``path`` with ``importer``, committing in short transactions; a dry run
    keeps nothing, and on SQLite it works on a private copy of the database, so
    that it holds no lock others wait for either."""
    pause = SQLITE_YIELD_SECONDS if session.get_bind().dialect.name == "sqlite" else 0
    with _working_session(session, dry_run) as working:
        last_commit = time.monotonic()

        def commit_now_and_then(done: int, total: int) -> None:
            nonlocal last_commit
            if not dry_run and time.monotonic() - last_commit >= COMMIT_EVERY_SECONDS:
                working.commit()
                time.sleep(pause)
                last_commit = time.monotonic()
            progress(done, total)

        # The csv module's field limit is one for the whole process, and libraries raise it
        # (frictionless does, reading a CSV): an unclosed quote must still end
        # as a clear error here, whatever ran before.
        csv.field_size_limit(CSV_FIELD_LIMIT)
        try:
            # utf-8-sig: spreadsheet programs start their "CSV UTF-8" files with a BOM.
            with path.open(newline="", encoding="utf-8-sig") as stream:
                report = importer.read(
                    working, stream, {**options, "dry_run": dry_run}, commit_now_and_then
                )
        except UnicodeDecodeError:
            working.rollback()
            raise ImportFileError(
                'the file is not UTF-8 text (in a spreadsheet, save it as "CSV UTF-8")'
            ) from None
        except csv.Error as exc:  # e.g. a quote never closed, swallowing the rest of the file
            working.rollback()
            raise ImportFileError(f"the file is not readable as CSV ({exc})") from None
        if dry_run:
            working.rollback()
        else:
            working.commit()
    return report


@contextmanager
def _working_session(session: Session, dry_run: bool) -> Iterator[Session]:
    """``session``, or for a dry run on SQLite a session on a scratch copy of the
    database beside it (SQLite's online backup: a consistent snapshot), deleted after."""
    engine = bound_engine(session)
    if not dry_run or engine.dialect.name != "sqlite" or not engine.url.database:
        yield session
        return
    source = Path(engine.url.database)
    with tempfile.TemporaryDirectory(dir=source.parent, prefix=".hub-dry-run-") as scratch:
        copy = Path(scratch) / "copy.sqlite3"
        with (
            closing(sqlite3.connect(source, timeout=30)) as live,
            closing(sqlite3.connect(copy)) as target,
        ):
            live.backup(target)
        scratch_engine = make_engine(f"sqlite:///{copy}")
        try:
            with Session(scratch_engine, expire_on_commit=False) as scratch_session:
                yield scratch_session
        finally:
            scratch_engine.dispose()
