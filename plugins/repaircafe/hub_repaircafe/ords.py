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
# The complete export's two columns after the standard's: a voided record, and why.
VOID_FIELDS = ("void", "void_reason")
ORDS_ID = re.compile(r"^([A-Za-z]+)[-_]?([0-9]+)$")
EXPORT_ID = re.compile(r"^[a-z]+-[0-9]+$")
COUNTRY = re.compile(r"^[A-Z]{3}$")
CATEGORY_IDS = {str(ident): ident for ident in categories()}
STATUS_EXACT = {label: code for code, label in STATUSES.items()}
YEAR = re.compile(r"^[0-9]{4}$")
UNKNOWN_BRAND = "Unknown"  # the ORDS schema's missing value for brand
PROGRESS_EVERY = 2000
LIMITS = {"partner_product_category": 200, "brand": 120, "group_identifier": 200}
# What a row gives a record, in the order rows are parsed into (ords_id first).
ROW_FIELDS = (
    "ords_id",
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
# What an import compares to decide whether a known record changed.
COMPARED = ("event_id", *ROW_FIELDS[1:])
# Record columns a new record gets besides the row's, with their values.
NEW_RECORD_DEFAULTS = {"fixer_id": None, "parts_needed": "", "advice": "", "weight_g": None}
NEW_RECORD_DEFAULTS |= {"voided_at": None, "void_reason": ""}
# Events made for imported rows: past events from a file, nothing to announce.
IMPORTED_EVENT = {
    "starts_at": None,
    "ends_at": None,
    "location_id": None,
    "fixers_present": None,
    "visitors": None,
    "public": False,
    "notes": "",
}

Parsed = tuple[tuple[Any, ...], str, dt.date]  # (ROW_FIELDS values, group, event date)


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


class Columns:
    """Where each ORDS column sits in this file's rows; a missing optional column
    points at the empty cell appended to every row."""

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        self.dates: dict[str, dt.date] = {}  # a file has far fewer dates than rows
        for name in FIELDS:
            setattr(self, name, header.index(name) if name in header else self.width)
        # The complete export's mark of a voided record (not an ORDS column).
        self.void = header.index("void") if "void" in header else self.width


def _parse_row(cells: list[str], at: Any, me: OrdsSettings) -> Parsed:
    """One CSV row as (record values in ROW_FIELDS order, group, date), or a api.FieldError."""
    raw_id = cells[at.id]
    ords_id = normalise_id(raw_id)
    if ords_id is None:
        raise api.FieldError("id", f"{raw_id!r} is not an ORDS id (letters-digits)")
    # The exact spellings are looked up first: most rows of a file repeat them.
    raw_category = cells[at.product_category_id]
    category = CATEGORY_IDS.get(raw_category) or CATEGORY_IDS.get(raw_category.strip())
    if category is None:
        raise api.FieldError(
            "product_category_id", f"{raw_category!r} is not an ORDS product category id (1-40)"
        )
    raw_status = cells[at.repair_status]
    status = STATUS_EXACT.get(raw_status) or STATUS_BY_LABEL.get(raw_status.strip().lower())
    if status is None:
        raise api.FieldError(
            "repair_status", f"{raw_status!r} is not one of {', '.join(STATUSES.values())}"
        )
    raw_barrier = cells[at.repair_barrier_if_end_of_life]
    barrier = _barrier(raw_barrier, status) if raw_barrier else None
    raw_date = cells[at.event_date]
    date = at.dates.get(raw_date) or at.dates.setdefault(raw_date, _date(raw_date))
    country = cells[at.country].strip()
    if country and not COUNTRY.match(country):
        raise api.FieldError("country", f"{country!r} is not a 3-letter ISO country code")
    # Free text comes back as exported: the export keeps it from reading as a formula.
    partner = api.csv_text(cells[at.partner_product_category].strip())
    brand = api.csv_text(cells[at.brand].strip())
    group = api.csv_text(cells[at.group_identifier].strip())
    if (
        len(partner) > LIMITS["partner_product_category"]
        or len(brand) > LIMITS["brand"]
        or len(group) > LIMITS["group_identifier"]
    ):
        _too_long(partner=partner, brand=brand, group=group)
    provider = api.csv_text(cells[at.data_provider].strip())
    raw_year, raw_age = cells[at.year_of_manufacture], cells[at.product_age]
    values = (
        ords_id,
        "" if provider == me.data_provider else provider,
        "" if country == me.country else country,
        category,
        partner,
        "" if brand == UNKNOWN_BRAND else brand,
        _year(raw_year) if raw_year else None,
        _age(raw_age) if raw_age else None,
        api.csv_text(cells[at.problem].strip()),
        status,
        barrier,
    )
    return values, ("" if group == me.group_identifier else group), date


def _too_long(**values: str) -> None:
    names = {
        "partner": "partner_product_category",
        "brand": "brand",
        "group": "group_identifier",
    }
    for key, value in values.items():
        field = names[key]
        if len(value) > LIMITS[field]:
            raise api.FieldError(field, f"longer than {LIMITS[field]} characters")


def _date(raw: str) -> dt.date:
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise api.FieldError("event_date", f"{text!r} is not a date (yyyy-mm-dd)") from None


def _barrier(raw: str, status: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    code = BARRIER_BY_LABEL.get(text.lower())
    if code is None:
        raise api.FieldError(
            "repair_barrier_if_end_of_life",
            f"{text!r} is not one of {', '.join(BARRIERS.values())}",
        )
    if status != "end_of_life":
        raise api.FieldError(
            "repair_barrier_if_end_of_life",
            "a barrier is given only when the status is End of life",
        )
    return code


def _year(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not YEAR.match(text):
        raise api.FieldError("year_of_manufacture", f"{text!r} is not a 4-digit year")
    return int(text)


def _age(raw: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    try:
        age = float(text)
    except ValueError:
        raise api.FieldError("product_age", f"{text!r} is not a number") from None
    if not 0 <= age < 1000:
        raise api.FieldError("product_age", f"{text!r} is not an age in years")
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
    new_events = sorted({(group, date) for _, group, date in parsed} - set(events))
    now = api.now()
    if new_events and not report.dry_run:
        bulk_insert(
            session,
            RepairEvent.__table__,
            ("title", "date", "group_identifier"),
            [(_imported_title(group), date, group) for group, date in new_events],
            {**IMPORTED_EVENT, "created_at": now, "updated_at": now},
        )
        events = _event_ids(session)
    inserts, updates = _new_and_changed(parsed, known, events, report)
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


def _new_and_changed(
    parsed: list[Parsed],
    known: dict[str, tuple[int, tuple[Any, ...]]],
    events: dict[tuple[str, dt.date], int],
    report: api.ImportReport,
) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    """Rows for records to insert, and changes to records already held."""
    inserts: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    for values, group, date in parsed:
        event_id = events.get((group, date))
        existing = known.get(values[0])
        if existing is None:
            inserts.append((event_id, *values))
        elif existing[1] != (event_id, *values[1:]):
            changed = dict(zip(COMPARED, (event_id, *values[1:]), strict=True))
            updates.append({"b_id": existing[0], **changed})
        else:
            report.unchanged += 1
    return inserts, updates


def _parse_all(
    rows: list[list[str]],
    header: list[str],
    report: api.ImportReport,
    progress: api.Progress,
    me: OrdsSettings,
) -> list[Parsed]:
    at = Columns(header)
    parsed: list[Parsed] = []
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
        if cells[at.void].strip().lower() == "yes":
            # Taken in, it would count: a voided record stays where it was voided.
            report.problem(number, "is a voided record (void: yes), not imported", "void")
            continue
        try:
            row = _parse_row(cells, at, me)
        except api.FieldError as exc:
            report.problem(number, str(exc), exc.field)
            continue
        ords_id = row[0][0]
        earlier = first_seen.setdefault(ords_id, number)
        if earlier != number:
            report.problem(number, f"id {ords_id} is also on row {earlier}", "id")
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


def _imported_title(group: str) -> str:
    return f"{group} repair café" if group else "Repair Café"


def _write(
    session: Session,
    inserts: list[tuple[Any, ...]],
    updates: list[dict[str, Any]],
    now: dt.datetime,
) -> None:
    table = RepairRecord.__table__
    if inserts:
        constants = {**NEW_RECORD_DEFAULTS, "created_at": now, "updated_at": now}
        bulk_insert(session, table, ("event_id", *ROW_FIELDS), inserts, constants)
    if updates:
        values: dict[str, Any] = {name: bindparam(name) for name in COMPARED}
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(updated_at=now, **values),
            updates,
        )


def bulk_insert(
    session: Session,
    table: Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    constants: dict[str, Any],
) -> None:
    """Insert ``rows`` (values for ``columns``, plus the same ``constants`` for
    every row) with one driver ``executemany``.

    At tens of thousands of rows SQLAlchemy's per-row parameter processing costs
    more than the database's own work, so the statement is compiled once and the
    rows go straight to the driver. Each column's own bind processing (dates
    and timestamps become text on SQLite, say) is applied to the values that
    need it, and only once to the constants (an import's timestamp).
    """
    connection = session.connection()
    dialect = connection.dialect

    def processor(name: str) -> Any:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    fixed = []
    for key, value in constants.items():
        process = processor(key)
        fixed.append(value if process is None else process(value))
    converting = [(i, p) for i, name in enumerate(columns) if (p := processor(name))]
    if converting:
        rows = [_converted(row, converting) for row in rows]
    keys = (*columns, *constants)
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    tail = tuple(fixed)
    if compiled.positional:
        positions = [keys.index(name) for name in compiled.positiontup or ()]
        in_order = positions == list(range(len(keys)))
        params: list[Any] = [
            row + tail if in_order else tuple((row + tail)[i] for i in positions) for row in rows
        ]
    else:
        params = [dict(zip(keys, row + tail, strict=True)) for row in rows]
    connection.exec_driver_sql(compiled.string, params)


def _converted(row: tuple[Any, ...], converting: list[tuple[int, Any]]) -> tuple[Any, ...]:
    if all(row[i] is None for i, _ in converting):
        return row
    values = list(row)
    for i, process in converting:
        if values[i] is not None:
            values[i] = process(values[i])
    return tuple(values)


# --- export -------------------------------------------------------------------


def export_rows(
    session: Session, me: OrdsSettings, *, with_voided: bool = False
) -> Iterable[list[str]]:
    """Every counted record as an ORDS v0.3 row, in event date then id order; with
    ``with_voided``, the voided ones too, each row ending with its ``VOID_FIELDS``."""
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
            record.c.voided_at,
            record.c.void_reason,
        )
        .join(event, event.c.id == record.c.event_id)
        .order_by(event.c.date, record.c.id)
    )
    if not with_voided:
        statement = statement.where(record.c.voided_at.is_(None))
    for row in session.execute(statement):
        voided = ["yes", row.void_reason] if row.voided_at is not None else ["", ""]
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
            *(voided if with_voided else ()),
        ]


def write(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    """Write every counted record as ORDS v0.3 CSV (``hub export ords``): the file to
    share, which voided records stay out of, as they do of every figure."""
    return _write_csv(session, stream, with_voided=False)


def write_complete(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    """Every record, voided ones marked in ``void`` and ``void_reason`` after the ORDS
    columns (``hub export ords-complete``): the group's whole record, to keep."""
    return _write_csv(session, stream, with_voided=True)


def _write_csv(session: Session, stream: TextIO, *, with_voided: bool) -> int:
    writer = api.csv_writer(stream)
    writer.writerow((*FIELDS, *VOID_FIELDS) if with_voided else FIELDS)
    count = 0
    for row in export_rows(session, ords_settings(), with_voided=with_voided):
        writer.writerow(row)
        count += 1
    return count
