"""The hooks of the test plugin: models, an API, a page, metrics and personal data."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import click
from flask import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from hub import plugin_api as api
from hub_testvisits.models import Visit

api_bp = api.ApiBlueprint(
    "testvisits_api", __name__, url_prefix="/api/v1/testvisits", tag="testvisits"
)
pages = Blueprint("testvisits", __name__, url_prefix="/testvisits")
TRANSLATIONS = api.Translations(Path(__file__).parent / "translations", "testvisits")
_ = TRANSLATIONS.gettext


class VisitSchema(Schema):
    id = fields.Integer(dump_only=True)
    person_id = fields.Integer(required=True, allow_none=True)
    day = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=500))


@api_bp.operation(
    "/visits",
    method="POST",
    summary="Log a visit",
    permission="testvisits.log",
    body=VisitSchema,
    response=VisitSchema,
    status=201,
)
def log_visit(body: dict[str, Any]) -> Visit:
    # Deliberately no check that the person exists: the core answers 409 when
    # the database refuses the foreign key, which the tests rely on.
    visit = Visit(
        visitor=_visitor_key(body["person_id"]), logged_by_id=api.current_user().id, **body
    )
    session = api.get_session()
    session.add(visit)
    session.commit()
    return visit


@api_bp.operation(
    "/visits",
    summary="Visits, newest first",
    permission="testvisits.log",
    response=VisitSchema,
    paginate=True,
)
def list_visits(query: dict[str, Any]) -> Any:
    return select(Visit).order_by(Visit.day.desc(), Visit.id.desc())


@pages.get("/")
@api.require_permission("testvisits.log")
def visits_page() -> str:
    count = api.get_session().scalar(select(func.count()).select_from(Visit))
    return TRANSLATIONS.ngettext("%(num)s visit", "%(num)s visits", count)


def _visitor_key(person_id: int | None) -> str:
    return hashlib.sha256(f"visitor-{person_id}".encode()).hexdigest()[:32]


@api.hookimpl
def hub_service_label() -> str:
    return "Test visits"


@api.hookimpl
def hub_service_locations(session: Any, today: dt.date) -> list[int]:
    """Visits are taken at the first location by name (the directory lists it there)."""
    first = session.scalars(select(api.Location.id).order_by(api.Location.name).limit(1))
    return list(first)


@api.hookimpl
def hub_models() -> api.PluginModels:
    return api.PluginModels((Visit,), Path(__file__).parent / "migrations" / "versions")


@api.hookimpl
def hub_blueprints() -> list[Blueprint]:
    return [api_bp, pages]


@api.hookimpl
def hub_permissions() -> list[api.Permission]:
    return [api.Permission("testvisits.log", "Log visits", ("coordinator", "volunteer"))]


@api.hookimpl
def hub_nav_items() -> list[api.NavItem]:
    return [api.NavItem(_("Visits"), "testvisits.visits_page", "testvisits.log")]


@api.hookimpl
def hub_translations() -> api.Translations:
    return TRANSLATIONS


@api.hookimpl
def hub_metrics() -> list[api.Metric]:
    return [
        api.Metric("visits", "visits", "Visits logged", counts="events"),
        api.Metric("visitors", "people", "Different people who visited", counts="people"),
    ]


@api.hookimpl
def hub_compute_metrics_for_periods(
    session: Any, periods: Sequence[api.Period]
) -> dict[api.Period, dict[str, int]]:
    """One query per metric and kind of period, grouped by period."""
    figures = api.PeriodFigures(periods, hub_metrics())
    for kind in figures.kinds():
        start = api.period_start(Visit.day, kind)
        since, until = figures.span(kind)
        in_span = (Visit.day >= since) & (Visit.day < until)
        visits = select(start, func.count()).where(in_span).group_by(start)
        figures.add("visits", kind, session.execute(visits))
        visitors = select(start, func.count(func.distinct(Visit.visitor)))
        figures.add("visitors", kind, session.execute(visitors.where(in_span).group_by(start)))
    return figures


@api.hookimpl
def hub_metric_periods(session: Any) -> list[dt.date]:
    return list(session.scalars(select(Visit.day).distinct()))


@api.hookimpl
def hub_person_data(session: Any, person: api.Person) -> dict[str, Any] | None:
    visits = session.scalars(select(Visit).where(Visit.person_id == person.id)).all()
    if not visits:
        return None
    return {"visits": [{"day": v.day.isoformat(), "note": v.note} for v in visits]}


class SettingsSchema(Schema):
    note_days = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=365)


@api.hookimpl
def hub_settings() -> type[Schema]:
    return SettingsSchema


@api.hookimpl
def hub_apply_retention(session: Any, today: dt.date) -> int:
    """Notes are kept for ``note_days``; the visits themselves stay for the figures."""
    cutoff = today - dt.timedelta(days=api.plugin_settings("testvisits")["note_days"])
    old = session.scalars(select(Visit).where(Visit.day < cutoff, Visit.note != "")).all()
    for visit in old:
        visit.note = ""
    return len(old)


@api.hookimpl
def hub_erase_person(session: Any, person: api.Person) -> int:
    visits = session.scalars(select(Visit).where(Visit.person_id == person.id)).all()
    for visit in visits:
        visit.person_id = None
        visit.note = ""
    return len(visits)


@api.hookimpl
def hub_user_data(session: Any, user: api.User) -> dict[str, Any] | None:
    days = session.scalars(select(Visit.day).where(Visit.logged_by_id == user.id)).all()
    return {"visits_logged": [day.isoformat() for day in days]} if days else None


@api.hookimpl
def hub_erase_user(session: Any, user: api.User) -> int:
    """The visits stay (they are counted); who logged them is forgotten."""
    logged = session.scalars(select(Visit).where(Visit.logged_by_id == user.id)).all()
    for visit in logged:
        visit.logged_by_id = None
    return len(logged)


def _write_csv(session: Any, stream: TextIO, options: dict[str, Any]) -> int:
    """Visits by day and opaque visitor key: nothing that names anyone."""
    writer = csv.writer(stream)
    writer.writerow(["day", "visitor"])
    rows = session.execute(select(Visit.day, Visit.visitor).order_by(Visit.day, Visit.id)).all()
    writer.writerows((day.isoformat(), visitor) for day, visitor in rows)
    return len(rows)


def _read_csv(
    session: Any, stream: TextIO, options: dict[str, Any], progress: Any
) -> api.ImportReport:
    """Rows of ``day,person_id,note``; a row already stored is left unchanged."""
    report = api.ImportReport(dry_run=bool(options.get("dry_run")))
    rows = list(csv.DictReader(stream))
    for number, row in enumerate(rows, start=1):
        progress(number, len(rows))
        try:
            day = dt.date.fromisoformat(row.get("day") or "")
        except ValueError:
            report.problem(number, f"{row.get('day')!r} is not a date (YYYY-MM-DD)", "day")
            continue
        raw_person = (row.get("person_id") or "").strip()
        if raw_person and not raw_person.isdigit():
            report.problem(number, f"{raw_person!r} is not a person id", "person_id")
            continue
        person_id = int(raw_person) if raw_person else None
        if person_id is not None and session.get(api.Person, person_id) is None:
            report.problem(number, f"no person with id {person_id}", "person_id")
            continue
        note = row.get("note") or ""
        same = select(Visit.id).where(
            Visit.day == day,
            Visit.person_id.is_(None) if person_id is None else Visit.person_id == person_id,
            Visit.note == note,
        )
        if session.scalar(same) is not None:
            report.unchanged += 1
            continue
        session.add(Visit(person_id=person_id, visitor=_visitor_key(person_id), day=day, note=note))
        session.flush()
        report.created += 1
    return report


@api.hookimpl
def hub_exporters() -> list[api.Exporter]:
    return [api.Exporter("testvisits-csv", "Visits by day", "text/csv", _write_csv)]


@api.hookimpl
def hub_importers() -> list[api.Importer]:
    return [api.Importer("testvisits-csv", "Visits: day, person_id, note", _read_csv)]


@click.command("count")
def count_command() -> None:
    """How many visits are logged."""
    total = api.get_session().scalar(select(func.count()).select_from(Visit))
    click.echo(f"{total} visits")


@api.hookimpl
def hub_cli_commands() -> list[click.Command]:
    return [count_command]


@api.hookimpl
def hub_demo_data(session: Any, today: dt.date) -> None:
    rng = random.Random(7)
    people = session.scalars(select(api.Person.id)).all()
    for back in range(60):
        for person_id in rng.sample(people, k=min(3, len(people))):
            day = today - dt.timedelta(days=back)
            session.add(Visit(person_id=person_id, visitor=_visitor_key(person_id), day=day))
