"""Pages: the public events page and feed, the fixer's quick log, coordinators' lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from hub import plugin_api as api
from hub_repaircafe import ical, schemas
from hub_repaircafe.codes import BARRIERS, STATUSES, categories
from hub_repaircafe.impact import impact_rows, set_impact
from hub_repaircafe.models import RepairEvent, RepairRecord
from hub_repaircafe.service import (
    FieldError,
    apply_event,
    apply_record,
    events_query,
    records_query,
)

bp = Blueprint(
    "repaircafe",
    __name__,
    url_prefix="/repaircafe",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
PER_PAGE = 50


def _today() -> dt.date:
    return dt.date.today()


CHECKBOXES = ("public",)


def _form_values(schema: type[Schema], form: MultiDict[str, str]) -> dict[str, Any]:
    """Load a submitted form with an API schema: empty inputs mean "not given" or none."""
    data: dict[str, Any] = {}
    for name, field in schema().fields.items():
        if name not in form:
            if name in CHECKBOXES:
                data[name] = False  # an unticked checkbox is not sent at all
            continue
        value = form.get(name, "").strip()
        if value == "":
            if field.allow_none:
                data[name] = None
            elif not field.required:
                data[name] = ""
            continue
        data[name] = value
    return schema().load(data)


def _errors(exc: ValidationError | FieldError) -> dict[str, list[str]]:
    if isinstance(exc, FieldError):
        return {exc.field: [str(exc)]}
    messages = exc.messages
    return {
        key: list(value) if isinstance(value, list) else [str(value)]
        for key, value in messages.items()
    }  # type: ignore[union-attr]


def _page(statement: Any) -> dict[str, Any]:
    session = api.get_session()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total = (
        session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    )
    rows = session.scalars(statement.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return {"rows": rows, "page": page, "pages": max(1, -(-total // PER_PAGE)), "total": total}


def _event_or_404(event_id: int) -> RepairEvent:
    event = api.get_session().get(RepairEvent, event_id)
    if event is None:
        abort(404)
    return event


def _locations() -> list[Any]:
    return list(
        api.get_session().scalars(
            select(api.Location).where(api.Location.active.is_(True)).order_by(api.Location.name)
        )
    )


# --- public: events page and iCalendar feed ----------------------------------------------


@bp.get("/public/events")
def public_events() -> str:
    today = _today()
    return render_template(
        "repaircafe/public_events.html",
        events=ical.upcoming_public(api.get_session(), today),
        info=api.instance_info(),
    )


@bp.get("/events.ics")
def events_feed() -> Response:
    today = _today()
    body = ical.calendar(ical.upcoming_public(api.get_session(), today), today)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="repair-cafe.ics"'},
    )


# --- events ---------------------------------------------------------------------------------


@bp.get("/")
@api.require_permission("repaircafe.view")
def events() -> str:
    today = _today()
    session = api.get_session()
    upcoming = session.scalars(events_query({"upcoming": True, "own": True}, today)).all()
    past = _page(events_query({"own": True, "date_to": today - dt.timedelta(days=1)}, today))
    return render_template("repaircafe/events.html", upcoming=upcoming, past=past, today=today)


def _event_form(event: RepairEvent, template_status: int = 200, errors: Any = None) -> Any:
    return (
        render_template(
            "repaircafe/event_form.html",
            event=event,
            locations=_locations(),
            errors=errors or {},
        ),
        template_status,
    )


@bp.route("/events/new", methods=["GET", "POST"])
@api.require_permission("repaircafe.manage")
def event_new() -> Any:
    return _save_event(RepairEvent(date=_today(), public=True, title="Repair Café"))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@api.require_permission("repaircafe.manage")
def event_edit(event_id: int) -> Any:
    return _save_event(_event_or_404(event_id))


def _save_event(event: RepairEvent) -> Any:
    if request.method == "GET":
        return _event_form(event)
    session = api.get_session()
    try:
        values = _form_values(schemas.EventIn, request.form)
        apply_event(session, event, values)
    except (ValidationError, FieldError) as exc:
        session.rollback()
        return _event_form(event, 400, _errors(exc))
    session.commit()
    flash(f"Saved {event.title} on {event.date:%-d %B %Y}.", "success")
    return redirect(url_for("repaircafe.event_detail", event_id=event.id))


@bp.get("/events/<int:event_id>")
@api.require_permission("repaircafe.view")
def event_detail(event_id: int) -> str:
    event = _event_or_404(event_id)
    records = api.get_session().scalars(records_query({"event_id": event_id})).all()
    outcomes = {code: sum(1 for r in records if r.status == code) for code in STATUSES}
    return render_template(
        "repaircafe/event_detail.html",
        event=event,
        records=records,
        outcomes=outcomes,
        labels=_labels(),
    )


# --- the quick log ----------------------------------------------------------------------------


@bp.get("/log")
@api.require_permission("repaircafe.log")
def log_start() -> Any:
    """Straight to today's event; otherwise pick one of the nearest."""
    today = _today()
    session = api.get_session()
    nearby = session.scalars(
        events_query(
            {
                "own": True,
                "date_from": today - dt.timedelta(days=14),
                "date_to": today + dt.timedelta(days=1),
            },
            today,
        )
    ).all()
    todays = [event for event in nearby if event.date == today]
    if len(todays) == 1:
        return redirect(url_for("repaircafe.quick_log", event_id=todays[0].id))
    return render_template("repaircafe/log_start.html", events=nearby)


def _categories_most_used_first() -> list[Any]:
    counts = dict(
        api.get_session()
        .execute(
            select(RepairRecord.product_category_id, func.count()).group_by(
                RepairRecord.product_category_id
            )
        )
        .all()
    )
    return sorted(categories().values(), key=lambda c: (-counts.get(c.id, 0), c.label))


@bp.route("/events/<int:event_id>/log", methods=["GET", "POST"])
@api.require_permission("repaircafe.log")
def quick_log(event_id: int) -> Any:
    event = _event_or_404(event_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        session = api.get_session()
        form = request.form.copy()
        if form.get("status") != "end_of_life":
            form.pop("barrier", None)  # the barrier is asked for only at end of life
        form["event_id"] = str(event_id)
        try:
            values = _form_values(schemas.RecordIn, form)
            values.setdefault("fixer_id", api.current_user().id)
            values["fixer_id"] = values["fixer_id"] or api.current_user().id
            record = apply_record(session, RepairRecord(), values)
        except (ValidationError, FieldError) as exc:
            session.rollback()
            errors, status = _errors(exc), 400
        else:
            session.commit()
            label = categories()[record.product_category_id].label
            flash(f"Saved: {label}, {STATUSES[record.status]}. Ready for the next item.", "success")
            return redirect(url_for("repaircafe.quick_log", event_id=event_id))
    recent = (
        api.get_session()
        .scalars(
            select(RepairRecord)
            .where(RepairRecord.event_id == event_id)
            .order_by(RepairRecord.id.desc())
            .limit(5)
        )
        .all()
    )
    return (
        render_template(
            "repaircafe/quick_log.html",
            event=event,
            categories=_categories_most_used_first(),
            statuses=STATUSES,
            barriers=BARRIERS,
            recent=recent,
            labels=_labels(),
            errors=errors,
            form=request.form,
        ),
        status,
    )


# --- records: search, filter, edit ----------------------------------------------------------


def _labels() -> dict[str, Any]:
    return {
        "categories": {c.id: c.label for c in categories().values()},
        "statuses": STATUSES,
        "barriers": BARRIERS,
    }


@bp.get("/records")
@api.require_permission("repaircafe.view")
def records() -> Any:
    filters: dict[str, Any] = {}
    raw = {key: value for key, value in request.args.items() if value.strip() and key != "page"}
    try:
        filters = schemas.RecordQuery().load(raw)
    except ValidationError as exc:
        return render_template(
            "repaircafe/records.html",
            errors=_errors(exc),
            result=None,
            args=raw,
            labels=_labels(),
            events=_recent_events(),
        ), 400
    return render_template(
        "repaircafe/records.html",
        errors={},
        result=_page(records_query(filters)),
        args=raw,
        labels=_labels(),
        events=_recent_events(),
    )


def _recent_events() -> list[RepairEvent]:
    return list(api.get_session().scalars(events_query({"own": True}, _today()).limit(100)))


@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@api.require_permission("repaircafe.manage")
def record_edit(record_id: int) -> Any:
    session = api.get_session()
    record = session.get(RepairRecord, record_id)
    if record is None:
        abort(404)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form.copy()
        if form.get("status") != "end_of_life":
            form["barrier"] = ""
        form["event_id"] = str(record.event_id)
        try:
            apply_record(session, record, _form_values(schemas.RecordIn, form))
        except (ValidationError, FieldError) as exc:
            session.rollback()
            errors = _errors(exc)
        else:
            session.commit()
            flash("Repair record saved.", "success")
            return redirect(url_for("repaircafe.event_detail", event_id=record.event_id))
    return (
        render_template(
            "repaircafe/record_form.html",
            record=record,
            categories=sorted(categories().values(), key=lambda c: c.label),
            labels=_labels(),
            errors=errors,
        ),
        400 if errors else 200,
    )


@bp.post("/records/<int:record_id>/delete")
@api.require_permission("repaircafe.manage")
def record_delete(record_id: int) -> Any:
    session = api.get_session()
    record = session.get(RepairRecord, record_id)
    if record is None:
        abort(404)
    event_id = record.event_id
    session.delete(record)
    session.commit()
    flash("Repair record deleted.", "success")
    return redirect(url_for("repaircafe.event_detail", event_id=event_id))


# --- impact factors (admins) --------------------------------------------------------------------


@bp.route("/impact", methods=["GET", "POST"])
@api.require_permission("repaircafe.view")
def impact() -> Any:
    session = api.get_session()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not api.can(api.current_user(), "repaircafe.impact"):
            abort(403)
        category_id = request.form.get("category_id", type=int)
        if category_id not in categories():
            abort(404)
        try:
            values = _form_values(schemas.ImpactIn, request.form)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            set_impact(
                session, category_id, values["weight_g"], values["co2e_g_per_kg"], values["source"]
            )
            session.commit()
            flash(f"Saved the factors for {categories()[category_id].label}.", "success")
            return redirect(url_for("repaircafe.impact"))
    return (
        render_template(
            "repaircafe/impact.html",
            rows=impact_rows(session),
            editable=api.can(api.current_user(), "repaircafe.impact"),
            errors=errors,
        ),
        400 if errors else 200,
    )
