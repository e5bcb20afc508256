"""The catalogue in and out as CSV: the spreadsheet a library keeps today, and exports.

``hub import toollibrary-items FILE`` (or the admin's Imports page) reads one item per
row. Columns are found by name; a sheet whose column says "Asset ID" maps it with
``--option map.number="Asset ID"``. Only ``number`` and ``name`` are required; a category
is a code or a label of the codelist (``drills`` or "Drills and drivers"); money is in
pounds (``£90``, ``90.00``); kit parts are separated by ``;``; ``restricted`` is
yes/no. A row whose number is already catalogued updates that item (or changes nothing
when it says the same), so importing a file twice adds nothing. ``--dry-run`` checks
every row and stores nothing. The export writes the same columns, so an export imports
back as it was.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.plugin_api import (
    Exporter,
    FieldError,
    Importer,
    ImportReport,
    Location,
    Progress,
    csv_text,
    csv_writer,
    record_audit,
    today,
)
from hub_toollibrary import codes, service
from hub_toollibrary.models import Item, Loan

FIELDS = (
    "number",
    "name",
    "category",
    "condition",
    "replacement_value",
    "deposit",
    "kit_parts",
    "restricted",
    "location",
    "notes",
)
REQUIRED = ("number", "name")
YES = {"yes", "y", "true", "1", "restricted"}
NO = {"", "no", "n", "false", "0"}
MAX_TEXT = {"name": 200, "notes": 5000, "location": 200}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def column_map(headers: list[str], options: dict[str, Any]) -> dict[str, str]:
    """Field -> the header holding it: ``map.<field>`` options first, then same-named columns."""
    unknown = [key for key in options if key.startswith("map.") and key[4:] not in FIELDS]
    if unknown:
        raise FieldError(
            "options", f"unknown field in {unknown[0]}; fields are: {', '.join(FIELDS)}"
        )
    by_squashed = {_squash(header): header for header in headers}
    found = {}
    for field in FIELDS:
        wanted = options.get(f"map.{field}")
        if wanted:
            if wanted not in headers:
                raise FieldError(field, f"no column {wanted!r} (columns: {', '.join(headers)})")
            found[field] = wanted
        elif _squash(field) in by_squashed:
            found[field] = by_squashed[_squash(field)]
    missing = [field for field in REQUIRED if field not in found]
    if missing:
        raise FieldError(missing[0], f"no column for {missing[0]!r} (map.{missing[0]}=HEADER)")
    return found


_CATEGORY_BY_TEXT = {
    **{_squash(code): code for code in codes.ITEM_CATEGORIES},
    **{_squash(label): code for code, (label, _network) in codes.ITEM_CATEGORIES.items()},
}
_CONDITION_BY_TEXT = {
    **{_squash(code): code for code in codes.CONDITIONS},
    **{_squash(label.split(":")[0]): code for code, label in codes.CONDITIONS.items()},
}


def _pence(text: str, field: str) -> int:
    cleaned = text.strip().replace("£", "").replace(",", "")
    if not cleaned:
        return 0
    try:
        pounds = Decimal(cleaned)
    except InvalidOperation:
        raise FieldError(field, f"{text!r} is not an amount of money (like 45.00)") from None
    if not pounds.is_finite() or pounds < 0 or pounds > 1_000_000 or pounds != round(pounds, 2):
        raise FieldError(field, f"{text!r} is not an amount in pounds and pence")
    return int(pounds * 100)


def _values(row: dict[str, str], locations: dict[str, Location]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, limit in MAX_TEXT.items():
        if len(row.get(field, "")) > limit:
            raise FieldError(field, f"longer than {limit} characters")
    number = service.normalise_code(row["number"])
    if not number or len(row["number"].strip()) > 20:
        raise FieldError("number", "a number of 1 to 20 letters and digits is needed")
    values["number"] = number
    values["name"] = row["name"].strip()
    if not values["name"]:
        raise FieldError("name", "the item has no name")
    if "category" in row:
        category = _CATEGORY_BY_TEXT.get(_squash(row["category"]) or "other")
        if category is None:
            raise FieldError("category", f"{row['category']!r} is not a category of the codelist")
        values["category"] = category
    if row.get("condition", "").strip():
        condition = _CONDITION_BY_TEXT.get(_squash(row["condition"]))
        if condition is None:
            raise FieldError(
                "condition", f"{row['condition']!r}: use {', '.join(codes.CONDITIONS)}"
            )
        values["condition"] = condition
    for field, column in (
        ("replacement_value", "replacement_value_pence"),
        ("deposit", "deposit_pence"),
    ):
        if field in row:
            values[column] = _pence(row[field], field)
    if "kit_parts" in row:
        parts = [part.strip() for part in row["kit_parts"].split(";") if part.strip()]
        if len(parts) > 50 or any(len(part) > 100 for part in parts):
            raise FieldError("kit_parts", "at most 50 parts of up to 100 characters")
        values["kit_parts"] = sorted(set(parts), key=parts.index)
    if "restricted" in row:
        flag = row["restricted"].strip().lower()
        if flag not in YES | NO:
            raise FieldError("restricted", f"{row['restricted']!r}: use yes or no")
        values["restricted"] = flag in YES
    if row.get("location", "").strip():
        location = locations.get(row["location"].strip().lower())
        if location is None:
            raise FieldError("location", f"no location called {row['location']!r}")
        values["location_id"] = location.id
    if "notes" in row:
        values["notes"] = row["notes"].strip()
    return values


def read_items(
    session: Session, stream: TextIO, options: dict[str, Any], progress: Progress
) -> ImportReport:
    report = ImportReport(dry_run=bool(options.get("dry_run")))
    reader = csv.DictReader(stream)
    headers = [header.strip() for header in (reader.fieldnames or [])]
    reader.fieldnames = headers
    try:
        columns = column_map(headers, options)
    except FieldError as exc:
        report.problem(0, str(exc), exc.field)
        return report
    rows = list(reader)
    locations = {location.name.lower(): location for location in session.scalars(select(Location))}
    seen: set[str] = set()
    for position, raw in enumerate(rows, start=1):
        row = {field: csv_text(raw.get(header) or "") for field, header in columns.items()}
        try:
            values = _values(row, locations)
            if values["number"] in seen:
                raise FieldError("number", f"{values['number']} is in the file twice")
            seen.add(values["number"])
            _take(session, values, report)
        except FieldError as exc:
            report.problem(position, str(exc), exc.field)
        progress(position, len(rows))
    if report.created or report.updated:
        record_audit(
            session,
            "import",
            "toollibrary_item",
            format="toollibrary-items",
            created=report.created,
            updated=report.updated,
        )
    return report


def _take(session: Session, values: dict[str, Any], report: ImportReport) -> None:
    item = session.scalar(select(Item).where(Item.number == values["number"]))
    if item is None:
        session.add(
            Item(
                **{"category": "other", "kit_parts": [], **values},
                added_on=today(),
            )
        )
        session.flush()
        report.created += 1
        return
    changed = {key: value for key, value in values.items() if getattr(item, key) != value}
    for key, value in changed.items():
        setattr(item, key, value)
    if changed:
        session.flush()
        report.updated += 1
    else:
        report.unchanged += 1


def _money(pence: int) -> str:
    return f"{pence / 100:.2f}"


def write_items(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    writer = csv_writer(stream)
    writer.writerow([*FIELDS, "network_category", "added_on", "retired_on", "availability"])
    count = 0
    for item in session.scalars(select(Item).order_by(Item.number)):
        writer.writerow(
            [
                item.number,
                item.name,
                item.category,
                item.condition,
                _money(item.replacement_value_pence),
                _money(item.deposit_pence),
                "; ".join(item.kit_parts),
                "yes" if item.restricted else "no",
                item.location.name if item.location else "",
                item.notes,
                codes.network_category(item.category),
                item.added_on,
                item.retired_on,
                item.availability,
            ]
        )
        count += 1
    return count


def write_loans(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    """Every loan, by member code (no names): for a library's own analysis."""
    writer = csv_writer(stream)
    writer.writerow(
        [
            "item_number",
            "item",
            "category",
            "member_code",
            "out_on",
            "due_on",
            "returned_on",
            "renewals",
            "deposit",
            "fine",
            "missing_parts",
        ]
    )
    count = 0
    for loan in session.scalars(select(Loan).order_by(Loan.out_on, Loan.id)):
        writer.writerow(
            [
                loan.item.number,
                loan.item.name,
                loan.item.category,
                loan.member.code,
                loan.out_on,
                loan.due_on,
                loan.returned_on,
                loan.renewal_count,
                _money(loan.deposit_pence),
                _money(loan.fine_pence),
                "; ".join(loan.missing_parts),
            ]
        )
        count += 1
    return count


IMPORTERS = (
    Importer(
        "toollibrary-items",
        "Tool library catalogue CSV, an item a row (options: map.FIELD=HEADER)",
        read_items,
        fields=FIELDS,
    ),
)
EXPORTERS = (
    Exporter("toollibrary-items", "The tool library's catalogue as CSV", "text/csv", write_items),
    Exporter(
        "toollibrary-loans", "Every loan as CSV, by member code (no names)", "text/csv", write_loans
    ),
)
