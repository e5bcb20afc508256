"""The hooks of the test plugin: models, an API, a page, metrics and personal data."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from hub import plugin_api as api
from hub_testvisits.models import Visit

api_bp = api.ApiBlueprint(
    "testvisits_api", __name__, url_prefix="/api/v1/testvisits", tag="testvisits"
)
pages = Blueprint("testvisits", __name__, url_prefix="/testvisits")


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
    visit = Visit(visitor=_visitor_key(body["person_id"]), **body)
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
    return f"{count} visits"


def _visitor_key(person_id: int | None) -> str:
    return hashlib.sha256(f"visitor-{person_id}".encode()).hexdigest()[:32]


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
    return [api.NavItem("Visits", "testvisits.visits_page", "testvisits.log")]


@api.hookimpl
def hub_metrics() -> list[api.Metric]:
    return [
        api.Metric("visits", "visits", "Visits logged", counts="events"),
        api.Metric("visitors", "people", "Different people who visited", counts="people"),
    ]


@api.hookimpl
def hub_compute_metrics(session: Any, period: api.Period) -> dict[str, int]:
    in_period = (Visit.day >= period.start) & (Visit.day < period.end)
    visits = session.scalar(select(func.count()).where(in_period)) or 0
    visitors = session.scalar(select(func.count(func.distinct(Visit.visitor))).where(in_period))
    return {"visits": visits, "visitors": visitors or 0}


@api.hookimpl
def hub_metric_periods(session: Any) -> list[dt.date]:
    return list(session.scalars(select(Visit.day).distinct()))


@api.hookimpl
def hub_person_data(session: Any, person: api.Person) -> dict[str, Any] | None:
    visits = session.scalars(select(Visit).where(Visit.person_id == person.id)).all()
    if not visits:
        return None
    return {"visits": [{"day": v.day.isoformat(), "note": v.note} for v in visits]}


@api.hookimpl
def hub_erase_person(session: Any, person: api.Person) -> int:
    visits = session.scalars(select(Visit).where(Visit.person_id == person.id)).all()
    for visit in visits:
        visit.person_id = None
        visit.note = ""
    return len(visits)
