"""Imports and exports in formats that plugins contribute (ORDS CSV, iCalendar...), and
the one CSV writer every export uses."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

Progress = Callable[[int, int], None]
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
    """Read ``path`` with ``importer``; commit what it took, or roll back a dry run."""
    try:
        # utf-8-sig: spreadsheet programs start their "CSV UTF-8" files with a BOM.
        with path.open(newline="", encoding="utf-8-sig") as stream:
            report = importer.read(session, stream, {**options, "dry_run": dry_run}, progress)
    except UnicodeDecodeError:
        session.rollback()
        raise ImportFileError(
            'the file is not UTF-8 text (in a spreadsheet, save it as "CSV UTF-8")'
        ) from None
    except csv.Error as exc:  # e.g. a quote never closed, swallowing the rest of the file
        session.rollback()
        raise ImportFileError(f"the file is not readable as CSV ({exc})") from None
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report
