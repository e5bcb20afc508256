"""Open Repair Data Standard v0.3 CSV: import and export.

Import reads the whole file, checks every row (a bad row is reported with its
reason and skipped, never stops the import), then writes with a few bulk
statements: one insert for new events, one for new records and one for
changed records. Records are matched by their ORDS id, so importing a file
twice adds nothing and importing this instance's own export changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

import click
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_repaircafe.codes import (
    BARRIER_BY_LABEL,
    BARRIERS,
    STATUS_BY_LABEL,
    STATUSES,
    categories,
)
from hub_repaircafe.models import RepairEvent, RepairRecord

FIELDS = (
    "id",
    "data_provider",
    "country",
    "partner_product_category",
    "product_category",
    "product_category_id",
    "brand",
    "year_of_manufacture",
    "product_age",
    "repair_status",
    "repair_barrier_if_end_of_life",
    "group_identifier",
    "event_date",
    "problem",
)
REQUIRED = ("id", "product_category_id", "repair_status", "event_date")
ORDS_ID = re.compile(r"^([A-Za-z]+)[-_]?([0-9]+)$")
EXPORT_ID = re.compile(r"^[a-z]+-[0-9]+$")
COUNTRY = re.compile(r"^[A-Z]{3}$")
CATEGORY_IDS = {str(ident): ident for ident in categories()}
YEAR = re.compile(r"^[0-9]{4}$")
UNKNOWN_BRAND = "Unknown"  # the ORDS schema's missing value for brand
PROGRESS_EVERY = 2000
LIMITS = {"partner_product_category": 200, "brand": 120, "group_identifier": 200}
# The record fields an import compares to decide whether a known record changed.
COMPARED = (
    "event_id",
    "data_provider",
    "country",
    "product_category_id",
    "partner_category",
    "brand",
    "year_of_manufacture",
    "product_age",
    "problem",
    "status",
    "barrier",
)


@dataclass(frozen=True)
class OrdsSettings:
    """Who this instance is in ORDS terms (from the plugin's settings)."""

    data_provider: str
    group_identifier: str
    country: str
    id_prefix: str


def ords_settings() -> OrdsSettings:
    """The instance's ORDS identity; empty settings fall back to the instance name."""
    settings = api.plugin_settings("repaircafe")
    name = api.instance_info()["name"]
    provider = str(settings["data_provider"]).strip() or name
    country = str(settings["country"]).strip().upper()
    if not COUNTRY.match(country):
        raise click.ClickException(
            f"repaircafe setting country {country!r} must be a 3-letter ISO code such as GBR"
        )
    prefix = _letters(str(settings["id_prefix"])) or _letters(provider) or "hub"
    return OrdsSettings(
        data_provider=provider,
        group_identifier=str(settings["group_identifier"]).strip() or name,
        country=country,
        id_prefix=prefix,
    )


def _letters(text: str) -> str:
    """Lowercase ASCII letters only ("Caffi Trwsio" -> "caffitrwsio", "é" -> "e")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def normalise_id(raw: str) -> str | None:
    """ORDS ids are letters-digits; files in the wild also use ``rcwales_12``."""
    match = ORDS_ID.match(raw.strip())
    return f"{match[1].lower()}-{match[2]}" if match else None


class RowError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Columns:
    """Where each ORDS column sits in this file's rows; a missing optional column
    points at the empty cell appended to every row."""

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        for name in FIELDS:
            setattr(self, name, header.index(name) if name in header else self.width)


def _parse_row(cells: list[str], at: Any, me: OrdsSettings) -> dict[str, Any]:
    """One CSV row as record values (plus ``_group`` and ``_date``), or a RowError."""
    raw_id = cells[at.id]
    ords_id = normalise_id(raw_id)
    if ords_id is None:
        raise RowError("id", f"{raw_id!r} is not an ORDS id (letters-digits)")
    raw_category = cells[at.product_category_id].strip()
    category = CATEGORY_IDS.get(raw_category)
    if category is None:
        raise RowError(
            "product_category_id", f"{raw_category!r} is not an ORDS product category id (1-40)"
        )
    raw_status = cells[at.repair_status]
    status = STATUS_BY_LABEL.get(raw_status.strip().lower())
    if status is None:
        raise RowError(
            "repair_status", f"{raw_status!r} is not one of {', '.join(STATUSES.values())}"
        )
    barrier = _barrier(cells[at.repair_barrier_if_end_of_life], status)
    date = _date(cells[at.event_date])
    country = cells[at.country].strip()
    if country and not COUNTRY.match(country):
        raise RowError("country", f"{country!r} is not a 3-letter ISO country code")
    partner = cells[at.partner_product_category].strip()
    brand = cells[at.brand].strip()
    group = cells[at.group_identifier].strip()
    for field, value in (
        ("partner_product_category", partner),
        ("brand", brand),
        ("group_identifier", group),
    ):
        if len(value) > LIMITS[field]:
            raise RowError(field, f"longer than {LIMITS[field]} characters")
    provider = cells[at.data_provider].strip()
    return {
        "ords_id": ords_id,
        "data_provider": "" if provider == me.data_provider else provider,
        "country": "" if country == me.country else country,
        "product_category_id": category,
        "partner_category": partner,
        "brand": "" if brand == UNKNOWN_BRAND else brand,
        "year_of_manufacture": _year(cells[at.year_of_manufacture]),
        "product_age": _age(cells[at.product_age]),
        "problem": cells[at.problem].strip(),
        "status": status,
        "barrier": barrier,
        "_group": "" if group == me.group_identifier else group,
        "_date": date,
    }


def _date(raw: str) -> dt.date:
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RowError("event_date", f"{text!r} is not a date (yyyy-mm-dd)") from None


def _barrier(raw: str, status: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    code = BARRIER_BY_LABEL.get(text.lower())
    if code is None:
        raise RowError(
            "repair_barrier_if_end_of_life",
            f"{text!r} is not one of {', '.join(BARRIERS.values())}",
        )
    if status != "end_of_life":
        raise RowError(
            "repair_barrier_if_end_of_life",
            "a barrier is given only when the status is End of life",
        )
    return code


def _year(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not YEAR.match(text):
        raise RowError("year_of_manufacture", f"{text!r} is not a 4-digit year")
    return int(text)


def _age(raw: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    try:
        age = float(text)
    except ValueError:
        raise RowError("product_age", f"{text!r} is not a number") from None
    if not 0 <= age < 1000:
        raise RowError("product_age", f"{text!r} is not an age in years")
    return age


def read(
    session: Session, stream: TextIO, options: dict[str, Any], progress: api.Progress
) -> api.ImportReport:
    """Import an ORDS v0.3 CSV (the ``hub import ords FILE`` command)."""
    report = api.ImportReport(dry_run=bool(options.get("dry_run")))
    reader = csv.reader(stream)
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.problem(0, f"the header lacks ORDS columns: {', '.join(missing)}", "header")
        return report
    rows = list(reader)
    me = ords_settings()
    parsed = _parse_all(rows, header, report, progress, me)
    known = _known_records(session, me)
    events = _event_ids(session)
    new_events = sorted({key for key in ((r["_group"], r["_date"]) for r in parsed)} - set(events))
    now = api.utcnow()
    if new_events and not report.dry_run:
        session.execute(
            insert(RepairEvent.__table__),
            [_imported_event(group, date, now) for group, date in new_events],
        )
        events = _event_ids(session)
    inserts, updates = [], []
    for row in parsed:
        row["event_id"] = events.get((row.pop("_group"), row.pop("_date")))
        existing = known.get(row["ords_id"])
        if existing is None:
            inserts.append(_new_record(row, now))
        elif existing[1] != tuple(row[name] for name in COMPARED):
            updates.append({"b_id": existing[0], **{name: row[name] for name in COMPARED}})
        else:
            report.unchanged += 1
    report.created, report.updated = len(inserts), len(updates)
    if not report.dry_run:
        _write(session, inserts, updates, now)
        api.record_audit(
            session,
            "import",
            RepairRecord.__tablename__,
            "",
            format="ords",
            rows=len(rows),
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            events_created=len(new_events),
            problems=len(report.problems),
        )
    progress(len(rows), len(rows))
    return report


def _parse_all(
    rows: list[list[str]],
    header: list[str],
    report: api.ImportReport,
    progress: api.Progress,
    me: OrdsSettings,
) -> list[dict[str, Any]]:
    at = Columns(header)
    parsed: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    total = len(rows)
    for number, cells in enumerate(rows, start=1):
        if number % PROGRESS_EVERY == 0:
            progress(number, total)
        if len(cells) != at.width:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines at the end of spreadsheet exports
            report.problem(number, f"has {len(cells)} columns, the header has {at.width}")
            continue
        cells.append("")
        try:
            row = _parse_row(cells, at, me)
        except RowError as exc:
            report.problem(number, str(exc), exc.field)
            continue
        earlier = first_seen.setdefault(row["ords_id"], number)
        if earlier != number:
            report.problem(number, f"id {row['ords_id']} is also on row {earlier}", "id")
            continue
        parsed.append(row)
    return parsed


def _known_records(session: Session, me: OrdsSettings) -> dict[str, tuple[int, tuple[Any, ...]]]:
    """Every record by the ORDS id it is exported with, with its compared fields."""
    table = RepairRecord.__table__
    columns = [table.c[name] for name in COMPARED]
    known = {}
    for record_id, ords_id, *values in session.execute(
        select(table.c.id, table.c.ords_id, *columns)
    ):
        known[ords_id or f"{me.id_prefix}-{record_id}"] = (record_id, tuple(values))
    return known


def _event_ids(session: Session) -> dict[tuple[str, dt.date], int]:
    """The first event of each group on each date, where imported records go."""
    table = RepairEvent.__table__
    return {
        (group, date): event_id
        for group, date, event_id in session.execute(
            select(table.c.group_identifier, table.c.date, func.min(table.c.id)).group_by(
                table.c.group_identifier, table.c.date
            )
        )
    }


def _imported_event(group: str, date: dt.date, now: dt.datetime) -> dict[str, Any]:
    return {
        "title": f"{group} repair café" if group else "Repair Café",
        "date": date,
        "starts_at": None,
        "ends_at": None,
        "location_id": None,
        "fixers_present": None,
        "visitors": None,
        "group_identifier": group,
        "public": False,  # past events from a file: nothing to announce
        "notes": "",
        "created_at": now,
        "updated_at": now,
    }


def _new_record(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {
        **row,
        "fixer_id": None,
        "parts_needed": "",
        "advice": "",
        "weight_g": None,
        "created_at": now,
        "updated_at": now,
    }


def _write(
    session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]], now: dt.datetime
) -> None:
    table = RepairRecord.__table__
    if inserts:
        bulk_insert(session, table, inserts)
    if updates:
        values = {name: bindparam(name) for name in COMPARED}
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(updated_at=now, **values),
            updates,
        )


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) with one driver ``executemany``.

    At tens of thousands of rows SQLAlchemy's per-row parameter processing costs
    more than the database's own work, so the statement is compiled once, each
    column's bind processing is applied once per distinct value (timestamps are
    shared by the whole import), and the rows go straight to the driver.
    """
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    for key in keys:
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue
        done: dict[Any, Any] = {}
        for row in rows:
            value = row[key]
            if value not in done:
                done[value] = process(value)
            row[key] = done[value]
    if compiled.positional:
        order = compiled.positiontup or []
        connection.exec_driver_sql(compiled.string, [tuple(row[k] for k in order) for row in rows])
    else:
        connection.exec_driver_sql(compiled.string, rows)


# --- export -------------------------------------------------------------------


def export_rows(session: Session, me: OrdsSettings) -> Iterable[list[str]]:
    """Every record as an ORDS v0.3 row, in event date then id order."""
    record, event = RepairRecord.__table__, RepairEvent.__table__
    labels = {category.id: category.label for category in categories().values()}
    statement = (
        select(
            record.c.id,
            record.c.ords_id,
            record.c.data_provider,
            record.c.country,
            record.c.partner_category,
            record.c.product_category_id,
            record.c.brand,
            record.c.year_of_manufacture,
            record.c.product_age,
            record.c.status,
            record.c.barrier,
            event.c.group_identifier,
            event.c.date,
            record.c.problem,
        )
        .join(event, event.c.id == record.c.event_id)
        .order_by(event.c.date, record.c.id)
    )
    for row in session.execute(statement):
        yield [
            row.ords_id or f"{me.id_prefix}-{row.id}",
            row.data_provider or me.data_provider,
            row.country or me.country,
            row.partner_category,
            labels[row.product_category_id],
            str(row.product_category_id),
            row.brand or UNKNOWN_BRAND,
            "" if row.year_of_manufacture is None else str(row.year_of_manufacture),
            "" if row.product_age is None else f"{row.product_age:g}",
            STATUSES[row.status],
            BARRIERS[row.barrier] if row.barrier else "",
            row.group_identifier or me.group_identifier,
            row.date.isoformat(),
            row.problem,
        ]


def write(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    """Write every record as ORDS v0.3 CSV (the ``hub export ords`` command)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for row in export_rows(session, ords_settings()):
        writer.writerow(row)
        count += 1
    return count
