"""The catalogue as CSV: exported for the notice board, imported from a group's spreadsheet."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import plugin_api as api
from hub_seedlibrary.models import CROPS, Variety

COLUMNS = ["name", "crop", "packets_in_stock", "saved_locally"]
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


def write_catalogue(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    varieties = session.scalars(select(Variety).order_by(Variety.name)).all()
    for variety in varieties:
        writer.writerow(
            [
                variety.name,
                variety.crop,
                variety.packets_in_stock,
                "yes" if variety.saved_locally else "no",
            ]
        )
    return len(varieties)


def read_catalogue(
    session: Session, stream: TextIO, options: dict[str, Any], progress: api.Progress
) -> api.ImportReport:
    """Add new varieties and set the stock of known ones; importing twice changes nothing."""
    report = api.ImportReport(dry_run=bool(options.get("dry_run")))
    rows = list(csv.DictReader(stream))
    missing = [column for column in COLUMNS if rows and column not in rows[0]]
    if missing:
        report.problem(0, f"missing columns: {', '.join(missing)}")
        return report
    known = {variety.name: variety for variety in session.scalars(select(Variety))}
    for number, row in enumerate(rows, start=1):
        _read_row(session, known, number, row, report)
        progress(number, len(rows))
    if report.created or report.updated:
        api.record_audit(
            session, "import", "seedlibrary_variety", created=report.created, updated=report.updated
        )
    return report


def _read_row(
    session: Session,
    known: dict[str, Variety],
    number: int,
    row: dict[str, str],
    report: api.ImportReport,
) -> None:
    name = (row["name"] or "").strip()
    crop = (row["crop"] or "").strip().lower()
    saved = (row["saved_locally"] or "").strip().lower()
    if not name:
        return report.problem(number, "a name is required", "name")
    if crop not in CROPS:
        return report.problem(number, f"{crop!r} is not a crop code", "crop")
    try:
        stock = int((row["packets_in_stock"] or "").strip())
    except ValueError:
        return report.problem(number, "not a whole number", "packets_in_stock")
    if stock < 0:
        return report.problem(number, "cannot be negative", "packets_in_stock")
    if saved not in YES | NO:
        return report.problem(number, "use yes or no", "saved_locally")
    values = {"crop": crop, "packets_in_stock": stock, "saved_locally": saved in YES}
    variety = known.get(name)
    if variety is None:
        known[name] = Variety(name=name, **values)
        session.add(known[name])
        report.created += 1
    elif any(getattr(variety, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(variety, key, value)
        report.updated += 1
    else:
        report.unchanged += 1
    return None


EXPORTER = api.Exporter(
    format="seedlibrary-catalogue",
    description="The seed library's catalogue: varieties and packets in stock (CSV)",
    media_type="text/csv",
    write=write_catalogue,
)
IMPORTER = api.Importer(
    format="seedlibrary-catalogue",
    description="Varieties and stock from a spreadsheet (CSV: name, crop, packets_in_stock, saved_locally)",
    read=read_catalogue,
)
