"""Spreadsheets in and out: the parcel log food banks keep today, as CSV.

``hub import foodbank-parcels FILE`` reads one parcel per row. Columns are found
by name; a group whose sheet says "Date Given" maps it with
``--option map.date="Date Given"``. Dates may be 2025-03-14, 14/03/2025 or
14/03/25. A household code not seen before registers the household (children
of unknown age are recorded as 5-11 until someone updates it). Importing a
file twice adds nothing: the n-th row for a household, date and parcel type is
taken only if the database holds fewer than n such parcels. With ``--dry-run``
every row is checked and nothing is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from marshmallow import ValidationError
from sqlalchemy import func, select
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
    today,
    void,
)
from hub_foodbank import codes, service, settings
from hub_foodbank.models import (
    Agency,
    Donation,
    Household,
    Parcel,
    Voucher,
)
from hub_foodbank.schemas import outward_code

FIELDS = (
    "date",
    "household",
    "type",
    "adults",
    "children",
    "weight_kg",
    "weight_grams",
    "location",
    "method",
    "voucher",
    "agency",
    "agency_type",
    "reasons",
    "signposting",
    "postcode",
    "void",
    "void_reason",
)
REQUIRED = ("date", "household")
# The export is a sheet the import reads back: its fields, weights in grams only, and
# no postcodes (the export leaves the instance; households' details stay here).
EXPORTED_FIELDS = tuple(field for field in FIELDS if field not in ("weight_kg", "postcode"))
LIST_SEPARATORS = re.compile(r"[;|]")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y")


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def column_map(headers: list[str], options: dict[str, Any]) -> dict[str, str]:
    """Field -> the header holding it: ``map.<field>`` options first, then same-named columns."""
    unknown = [key for key in options if key.startswith("map.") and key[4:] not in FIELDS]
    if unknown:
        raise FieldError(
            "options", f"unknown field in {unknown[0]}; fields are: {', '.join(FIELDS)}"
        )
    by_squashed = {_squash(h): h for h in headers}
    found = {}
    for field in FIELDS:
        wanted = options.get(f"map.{field}")
        if wanted is not None:
            if wanted not in headers:
                raise FieldError(field, f"no column {wanted!r} (columns: {', '.join(headers)})")
            found[field] = wanted
        elif _squash(field) in by_squashed:
            found[field] = by_squashed[_squash(field)]
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise FieldError(
            missing[0],
            f"no column for {missing[0]!r}: choose which of the file's columns holds it",
        )
    return found


def parse_date(text: str) -> dt.date:
    text = text.strip()
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise FieldError("date", f"{text!r} is not a date (use 2025-03-14 or 14/03/2025)")


def _count(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 30:
        raise FieldError(field, f"{text!r} is not a number of people (0 to 30)")
    return int(text)


def _grams(row: dict[str, str]) -> int | None:
    if grams := row.get("weight_grams", "").strip():
        if not grams.isdigit():
            raise FieldError("weight_grams", f"{grams!r} is not a whole number of grams")
        return int(grams)
    if kg := row.get("weight_kg", "").strip().lower().removesuffix("kg").strip():
        try:
            value = Decimal(kg.replace(",", "."))
        except InvalidOperation:
            raise FieldError("weight_kg", f"{kg!r} is not a weight in kg") from None
        if not 0 <= value <= 200:
            raise FieldError("weight_kg", f"{kg} kg is not a parcel's weight (0 to 200 kg)")
        return int((value * 1000).to_integral_value())
    return None


def _code_from(text: str, codelist: dict[str, str], field: str, default: str | None = None) -> str:
    text = text.strip()
    if not text:
        if default is None:
            raise FieldError(field, "is empty")
        return default
    wanted = _squash(text)
    for code, label in codelist.items():
        if wanted in (_squash(code), _squash(label)):
            return code
    raise FieldError(field, f"{text!r} is not one of: {', '.join(codelist)}")


def _list(text: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]


@dataclass
class Context:
    session: Session
    config: settings.Settings
    today: dt.date
    locations: dict[str, Location]
    default_location: Location | None
    seen: Counter[tuple[str, dt.date, str]]


def _location(ctx: Context, row: dict[str, str]) -> Location:
    name = row.get("location", "").strip()
    if not name:
        if ctx.default_location is None:
            raise FieldError(
                "location",
                "is empty: add a location column, or set the option location=NAME for rows "
                "that name none",
            )
        return ctx.default_location
    location = ctx.locations.get(name.lower())
    if location is None:
        raise FieldError("location", f"no location called {name!r}")
    return location


def _existing_household(ctx: Context, code: str) -> Household | None:
    household = ctx.session.scalar(select(Household).where(Household.code == code))
    if household is not None and household.anonymised_at is not None:
        raise FieldError("household", f"household {code} has been anonymised")
    return household


def _district(row: dict[str, str]) -> str:
    postcode = row.get("postcode", "")
    try:
        return outward_code(postcode)
    except ValidationError:
        raise FieldError("postcode", f"{postcode!r} is not the first part of a postcode") from None


def _reasons(ctx: Context, row: dict[str, str]) -> list[str]:
    reasons = []
    for text in _list(row.get("reasons", "")):
        reason = ctx.config.reason_code_for(text)
        if reason is None:
            known = ", ".join(ctx.config.reasons)
            raise FieldError("reasons", f"{text!r} is not a referral reason ({known})")
        reasons.append(reason)
    return reasons


def _existing_voucher(ctx: Context, code: str, household: Household | None) -> Voucher | None:
    voucher = ctx.session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is None:
        return None
    if household is None or voucher.household_id != household.id:
        raise FieldError("voucher", f"voucher {code} is for another household")
    if voucher.redeemed_on is not None:
        raise FieldError("voucher", f"voucher {code} was already redeemed on {voucher.redeemed_on}")
    return voucher


def _agency(ctx: Context, row: dict[str, str]) -> Agency:
    name = row.get("agency", "").strip()
    if not 2 <= len(name) <= 200:
        raise FieldError(
            "agency", "a new voucher needs the agency that issued it (2 to 200 characters)"
        )
    agency = ctx.session.scalar(select(Agency).where(func.lower(Agency.name) == name.lower()))
    if agency is not None:
        return agency
    agency_type = _code_from(row.get("agency_type", ""), codes.AGENCY_TYPES, "agency_type", "other")
    return Agency(name=name, agency_type=agency_type)


@dataclass
class VoucherPlan:
    """A voucher to redeem (``existing``) or to create (code, agency, reasons)."""

    existing: Voucher | None = None
    code: str = ""
    agency: Agency | None = None
    reasons: tuple[str, ...] = ()

    def voucher(self, ctx: Context, household: Household, given_on: dt.date) -> Voucher | None:
        if self.existing is not None or self.agency is None:
            return self.existing
        voucher = Voucher(
            code=self.code or service.new_code(ctx.session, Voucher, "V"),
            agency=self.agency,
            household=household,
            issued_on=given_on,
            valid_until=given_on + dt.timedelta(days=int(ctx.config.voucher_valid_days)),
        )
        service.set_reasons(voucher, self.reasons)
        ctx.session.add(voucher)
        return voucher


def _voucher_plan(ctx: Context, row: dict[str, str], household: Household | None) -> VoucherPlan:
    code = service.normalise_code(row.get("voucher", ""))
    if code and not 3 <= len(code) <= 24:
        raise FieldError("voucher", f"{code!r} is not a voucher code (3 to 24 letters or digits)")
    reasons = _reasons(ctx, row)
    if code and (existing := _existing_voucher(ctx, code, household)) is not None:
        return VoucherPlan(existing=existing)
    if not code and not reasons:
        return VoucherPlan()
    if not reasons:
        raise FieldError("reasons", "is empty: a new voucher needs at least one referral reason")
    return VoucherPlan(code=code, agency=_agency(ctx, row), reasons=tuple(reasons))


def _already_held(ctx: Context, code: str, given_on: dt.date, parcel_type: str) -> bool:
    key = (code, given_on, parcel_type)
    ctx.seen[key] += 1
    held = ctx.session.scalar(
        select(func.count())
        .select_from(Parcel)
        .join(Household)
        .where(
            Household.code == code, Parcel.given_on == given_on, Parcel.parcel_type == parcel_type
        )
    )
    return ctx.seen[key] <= (held or 0)


def _import_row(ctx: Context, row: dict[str, str]) -> bool:
    """Take one row; True if it added a parcel, False if the parcel was already there.

    Everything is checked before anything is added, so a row with a problem
    leaves nothing behind.
    """
    given_on = parse_date(row.get("date", ""))
    if given_on > ctx.today:
        raise FieldError("date", f"{given_on.isoformat()} is in the future")
    parcel_type = _code_from(row.get("type", ""), codes.PARCEL_TYPES, "type", "emergency")
    code = service.normalise_code(row.get("household", ""))
    if not 3 <= len(code) <= 16:
        raise FieldError(
            "household", f"{code!r} is not a household code (3 to 16 letters or digits)"
        )
    if _already_held(ctx, code, given_on, parcel_type):
        return False
    adults = _count(row.get("adults", ""), "adults")
    children = _count(row.get("children", ""), "children")
    grams = _grams(row)
    location = _location(ctx, row)
    method_text = row.get("method", "").replace("delivery", "delivered")
    method = _code_from(method_text, codes.DELIVERY_METHODS, "method", "collected")
    signposting = tuple(
        _code_from(text, codes.SIGNPOSTING, "signposting")
        for text in _list(row.get("signposting", ""))
    )
    household = _existing_household(ctx, code)
    # A parcel the sheet marks void (the export of one voided here) comes in voided, with
    # its reason, and redeems no voucher: as the void left it.
    voided = _is_void(row.get("void", ""))
    plan = VoucherPlan() if voided else _voucher_plan(ctx, row, household)
    if household is None:
        household = Household(
            code=code,
            adults=max(1, adults or 1),
            children_0_4=0,
            children_5_11=children or 0,
            children_12_17=0,
            postcode_district=_district(row),
        )
        ctx.session.add(household)
    usual = service.prefill(ctx.config, household, parcel_type)
    wanted = service.ParcelRequest(
        household=household,
        location=location,
        given_on=given_on,
        parcel_type=parcel_type,
        adults=usual["adults"] if adults is None else adults,
        children=usual["children"] if children is None else children,
        weight_grams=usual["weight_grams"] if grams is None else grams,
        method=method,
        signposting=signposting,
        voucher=plan.voucher(ctx, household, given_on),
    )
    parcel = service.build_parcel(wanted)
    ctx.session.add(parcel)
    ctx.session.flush()
    if voided:
        void(ctx.session, parcel, row.get("void_reason", "").strip() or VOIDED_IN_THE_SHEET)
    return True


VOIDED_IN_THE_SHEET = "voided in the imported sheet"
VOID_WORDS = {"yes": True, "y": True, "void": True, "true": True, "1": True}
VOID_WORDS |= {"": False, "no": False, "n": False, "false": False, "0": False}


def _is_void(text: str) -> bool:
    word = text.strip().lower()
    if word not in VOID_WORDS:
        raise FieldError("void", f"{text!r} is neither yes nor no (leave it empty for no)")
    return VOID_WORDS[word]


def _void_cells(record: Any) -> list[str]:
    """The ``void`` and ``void_reason`` cells of an exported row."""
    return ["yes", record.void_reason] if record.voided else ["", ""]


def read_parcels(
    session: Session, stream: TextIO, options: dict[str, Any], progress: Progress
) -> ImportReport:
    report = ImportReport(dry_run=bool(options.get("dry_run")))
    reader = csv.DictReader(stream)
    headers = [h.strip() for h in (reader.fieldnames or [])]
    try:
        columns = column_map(headers, options)
    except FieldError as exc:
        report.problem(0, str(exc), exc.field)
        return report
    rows = list(reader)
    locations = {loc.name.lower(): loc for loc in session.scalars(select(Location))}
    default_name = options.get("location")
    if default_name is not None and default_name.lower() not in locations:
        report.problem(0, f"no location called {default_name!r}", "location")
        return report
    default_location = (
        locations[default_name.lower()]
        if default_name
        else next(iter(locations.values()))
        if len(locations) == 1
        else None
    )
    ctx = Context(session, settings.current(), today(), locations, default_location, Counter())
    for number, raw in enumerate(rows, start=1):
        row = {field: csv_text(raw.get(header) or "") for field, header in columns.items()}
        try:
            if _import_row(ctx, row):
                report.created += 1
            else:
                report.unchanged += 1
        except FieldError as exc:
            report.problem(number, str(exc), exc.field)
        progress(number, len(rows))
    if report.dry_run:
        session.rollback()
    return report


# --- exports ---------------------------------------------------------------------


def _date_option(options: dict[str, Any], key: str) -> dt.date | None:
    value = options.get(key)
    return parse_date(value) if value else None


def _between(statement: Any, column: Any, options: dict[str, Any]) -> Any:
    if start := _date_option(options, "from"):
        statement = statement.where(column >= start)
    if end := _date_option(options, "to"):
        statement = statement.where(column <= end)
    return statement


def write_parcels(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    writer = csv_writer(stream)
    writer.writerow(EXPORTED_FIELDS)
    # Voided parcels are in, marked: the sheet is the whole record, and reads back voided.
    statement = _between(select(Parcel), Parcel.given_on, options).order_by(
        Parcel.given_on, Parcel.id
    )
    written = 0
    for parcel in session.scalars(statement.execution_options(yield_per=500)):
        voucher = parcel.voucher
        writer.writerow(
            [
                parcel.given_on,
                parcel.household.code,
                parcel.parcel_type,
                parcel.adults,
                parcel.children,
                parcel.weight_grams,
                parcel.location.name,
                parcel.method,
                voucher.code if voucher else "",
                voucher.agency.name if voucher else "",
                voucher.agency.agency_type if voucher else "",
                ";".join(voucher.reasons) if voucher else "",
                ";".join(parcel.signposting),
                *_void_cells(parcel),
            ]
        )
        written += 1
    return written


def write_donations(session: Session, stream: TextIO, options: dict[str, Any]) -> int:
    writer = csv_writer(stream)
    writer.writerow(
        ["date", "donor_type", "source", "category", "grams", "best_before", "void", "void_reason"]
    )
    statement = _between(select(Donation), Donation.received_on, options).order_by(
        Donation.received_on, Donation.id
    )
    written = 0
    for donation in session.scalars(statement):
        for line in donation.lines:
            writer.writerow(
                [
                    donation.received_on,
                    donation.donor_type,
                    donation.source,
                    line.category,
                    line.grams,
                    line.best_before,
                    *_void_cells(donation),
                ]
            )
            written += 1
    return written


EXPORTERS: tuple[Exporter, ...] = (
    Exporter(
        "foodbank-parcels",
        "Food bank parcels as CSV, one row per parcel (options: from, to)",
        "text/csv",
        write_parcels,
    ),
    Exporter(
        "foodbank-donations",
        "Food bank donations as CSV, one row per category weighed (options: from, to)",
        "text/csv",
        write_donations,
    ),
)

IMPORTERS: tuple[Importer, ...] = (
    Importer(
        "foodbank-parcels",
        "A food bank's parcel spreadsheet as CSV, one parcel a row "
        "(options: map.FIELD=HEADER, location=NAME for rows that name none)",
        read_parcels,
        fields=FIELDS,
    ),
)
