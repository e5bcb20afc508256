"""Imports and exports in formats that plugins contribute (ORDS CSV, iCalendar...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy.orm import Session

Progress = Callable[[int, int], None]


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
    """An import format: ``read(session, stream, options, progress)`` returns a report."""

    format: str
    description: str
    read: Callable[[Session, TextIO, dict[str, Any], Progress], ImportReport]
