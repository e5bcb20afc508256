"""Pages: the public events page and feed, the fixer's quick log, coordinators' lists.
Each form is read into the API's schema and handed to the service, as the API does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from hub import plugin_api as api
from hub_repaircafe import ical, schemas
from hub_repaircafe.codes import BARRIERS, STATUSES, categories
from hub_repaircafe.i18n import _
from hub_repaircafe.impact import impact_rows, impact_table, set_impact
from hub_repaircafe.metrics import impact_shown, tally_of
from hub_repaircafe.models import RepairEvent, RepairRecord
from hub_repaircafe.service import (
    add_record,
    apply_event,
    correct_record,
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
# An edit page shows every box: one left empty clears what it held.
CLEARED_EVENT = {"starts_at": None, "ends_at": None, "location_id": None, "notes": ""}
CLEARED_EVENT |= {"fixers_present": None, "visitors": None}
CLEARED_RECORD = {"partner_category": "", "brand": "", "year_of_manufacture": None}
CLEARED_RECORD |= {"product_age": None, "problem": "", "barrier": None, "parts_needed": ""}
CLEARED_RECORD |= {"advice": "", "weight_g": None}


def _event_or_404(event_id: int) -> RepairEvent:
    return api.get_or_404(RepairEvent, event_id, "event")


def _locations() -> list[tuple[int, str]]:
    rows = api.get_session().execute(
        select(api.Location.id, api.Location.name)
        .where(api.Location.active.is_(True))
        .order_by(api.Location.name)
    )
    return [(location_id, name) for location_id, name in rows]


# --- public: events page and iCalendar feed ----------------------------------------------


@bp.get("/public/events")
def public_events() -> str:
    today = api.today()
    return render_template(
        "repaircafe/public_events.html",
        events=ical.upcoming_public(api.get_session(), today),
        info=api.instance_info(),
    )


@bp.get("/events.ics")
def events_feed() -> Response:
    today = api.today()
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
    today = api.today()
    session = api.get_session()
    upcoming = session.scalars(events_query({"upcoming": True, "own": True}, today)).all()
    past = api.requested_page(
        events_query({"own": True, "date_to": today - dt.timedelta(days=1)}, today)
    )
    return render_template("repaircafe/events.html", upcoming=upcoming, past=past, today=today)


@bp.route("/events/new", methods=["GET", "POST"])
@api.require_permission("repaircafe.manage")
def event_new() -> Any:
    return _save_event(RepairEvent(date=api.today(), public=True, title="Repair Café"))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@api.require_permission("repaircafe.manage")
def event_edit(event_id: int) -> Any:
    return _save_event(_event_or_404(event_id))


def _save_event(event: RepairEvent) -> Any:
    new = event.id is None
    form = api.Form(schemas.EventIn, event, once="repaircafe.event" if new else None)
    session = api.get_session()
    saved = form.submit(
        lambda data: apply_event(session, event, {**CLEARED_EVENT, **data}),
        made=lambda saved: (
            f"{saved.title} on {saved.date:%-d %B %Y}",
            url_for("repaircafe.event_detail", event_id=saved.id),
        ),
    )
    if saved is not None:
        session.commit()
        flash(f"Saved {event.title} on {event.date:%-d %B %Y}.", "success")
        return redirect(url_for("repaircafe.event_detail", event_id=event.id))
    if form.repeated and form.earlier and form.earlier.url:
        return redirect(form.earlier.url)
    page = render_template(
        "repaircafe/event_form.html", event=event, form=form, locations=_locations()
    )
    return page, form.status


@bp.get("/events/<int:event_id>")
@api.require_permission("repaircafe.view")
def event_detail(event_id: int) -> str:
    event = _event_or_404(event_id)
    records = api.get_session().scalars(records_query({"event_id": event_id})).all()
    counted = [record for record in records if not record.voided]
    outcomes = {code: sum(1 for r in counted if r.status == code) for code in STATUSES}
    impact = impact_shown(tally_of(records), impact_table(api.get_session()))
    return render_template(
        "repaircafe/event_detail.html",
        event=event,
        records=records,
        counted=len(counted),
        outcomes=outcomes,
        impact=impact,
        labels=_labels(),
    )


# --- the quick log ----------------------------------------------------------------------------


@bp.get("/log")
@api.require_permission("repaircafe.log")
def log_start() -> Any:
    """Straight to today's event; otherwise pick one of the nearest."""
    today = api.today()
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
    return render_template(
        "repaircafe/log_start.html", events=nearby, has_today=bool(todays), locations=_locations()
    )


@bp.post("/log/today")
@api.require_permission("repaircafe.log")
def start_today() -> Any:
    """A session with no event planned: a fixer starts today's, in one tap, instead of
    a dead end. A second tap (or a second fixer) joins the one already started."""
    session = api.get_session()
    today = api.today()
    found = session.scalars(
        events_query({"own": True, "date_from": today, "date_to": today}, today)
    ).first()
    if found is None:
        location_id = request.form.get("location_id", type=int)
        values = {"location_id": location_id} if location_id else {}
        found = apply_event(
            session, RepairEvent(title=_("Repair Café"), date=today, public=False), values
        )
        session.commit()
        flash(_("Started today's session (%(title)s).", title=found.title), "success")
    return redirect(url_for("repaircafe.quick_log", event_id=found.id))


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
    form = api.Form(schemas.RecordIn, once="repaircafe.record", logged=True)
    session = api.get_session()
    volunteer = api.current_user()
    assert volunteer is not None  # the page needs a permission
    fixers = _fixers()
    chosen = request.form.get("fixer_id", type=int)
    # The fixer is whoever is chosen among the volunteers (the signed-in one by default).
    fixer = {"fixer_id": chosen if chosen in dict(fixers) else volunteer.id}
    record = form.submit(
        lambda data: add_record(session, {**data, **fixer}),
        _record_form(event_id),
        made=_record_made,
    )
    if record is not None:
        flash(
            _("Saved: %(record)s. Ready for the next item.", record=_record_summary(record)),
            "success",
        )
    if record is not None or form.repeated:
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
            statuses={code: _(label) for code, label in STATUSES.items()},
            barriers={code: _(label) for code, label in BARRIERS.items()},
            recent=recent,
            labels=_labels(),
            form=form,
            fixers=fixers,
            fixer_id=fixer["fixer_id"],
        ),
        form.status,
    )


def _fixers() -> list[tuple[int, str]]:
    """Who can be credited with a repair: the active users who log repairs."""
    users = api.get_session().scalars(
        select(api.User).where(api.User.active.is_(True)).order_by(api.User.name, api.User.email)
    )
    return [(user.id, user.name or user.email) for user in users if api.can(user, "repaircafe.log")]


def _record_summary(record: RepairRecord) -> str:
    category = _(categories()[record.product_category_id].label)
    return f"{category}, {_(STATUSES[record.status])}"


def _record_made(record: RepairRecord) -> tuple[str, str]:
    where = url_for("repaircafe.event_detail", event_id=record.event_id)
    return _record_summary(record), f"{where}#record-{record.id}"


# --- records: search, filter, edit ----------------------------------------------------------


def _labels() -> dict[str, Any]:
    return {
        "categories": {c.id: _(c.label) for c in categories().values()},
        "statuses": {code: _(label) for code, label in STATUSES.items()},
        "barriers": {code: _(label) for code, label in BARRIERS.items()},
    }


@bp.get("/records")
@api.require_permission("repaircafe.view")
def records() -> Any:
    form = api.Form(schemas.RecordQuery)
    found = api.requested_page(records_query(form.data)) if form.read(request.args) else None
    return render_template(
        "repaircafe/records.html",
        form=form,
        result=found,
        labels=_labels(),
        events=_events_to_filter_by(),
    ), form.status


def _events_to_filter_by() -> list[tuple[int, str]]:
    """Every event of this group, as choices for the records filter (newest first)."""
    rows = api.get_session().execute(
        select(RepairEvent.id, RepairEvent.date, RepairEvent.title)
        .where(RepairEvent.group_identifier == "")
        .order_by(RepairEvent.date.desc(), RepairEvent.id.desc())
    )
    return [(event_id, f"{day.isoformat()} {title}") for event_id, day, title in rows]


@bp.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@api.require_permission("repaircafe.manage")
def record_edit(record_id: int) -> Any:
    session = api.get_session()
    record = api.get_or_404(RepairRecord, record_id, "repair record")
    form = api.Form(schemas.RecordCorrection, record)
    if form.submit(lambda data: _correct(session, record, data), _record_form(record.event_id)):
        session.commit()
        flash("Repair record corrected.", "success")
        return redirect(url_for("repaircafe.event_detail", event_id=record.event_id))
    page = render_template(
        "repaircafe/record_form.html",
        record=record,
        form=form,
        voiding=api.Form(api.VoidIn),
        categories=sorted(categories().values(), key=lambda c: c.label),
        labels=_labels(),
    )
    return page, form.status


def _record_form(event_id: int) -> MultiDict[str, str]:
    """The posted record form, for ``event_id``; the barrier counts only at end of life
    (the quick log keeps its choices on the page, hidden, whatever the outcome)."""
    form = MultiDict(request.form)
    form["event_id"] = str(event_id)
    if form.get("status") != "end_of_life":
        form.pop("barrier", None)
    return form


def _correct(session: Any, record: RepairRecord, data: dict[str, Any]) -> RepairRecord:
    """The page's correction: the record's fields, and the reason in the audit log."""
    values = {**CLEARED_RECORD, **data}
    reason = values.pop("reason")
    correct_record(session, record, values, reason)
    return record


@bp.post("/records/<int:record_id>/void")
@api.require_permission("repaircafe.manage")
def record_void(record_id: int) -> Any:
    """A record logged in error is voided with a reason, never deleted: it stays on the
    event's list, marked, and leaves every figure."""
    session = api.get_session()
    record = api.get_or_404(RepairRecord, record_id, "repair record")
    form = api.Form(api.VoidIn)
    if form.submit(lambda data: api.void(session, record, data["reason"])):
        session.commit()
        flash("Repair record voided: it no longer counts in any figure.", "success")
    else:
        flash("Not voided: " + " ".join(message for _, message in form.error_list()), "error")
    return redirect(url_for("repaircafe.event_detail", event_id=record.event_id))


# --- impact factors (admins) --------------------------------------------------------------------


@bp.route("/impact", methods=["GET", "POST"])
@api.require_permission("repaircafe.view")
def impact() -> Any:
    session = api.get_session()
    form = api.Form(schemas.ImpactIn)
    if request.method == "POST":
        if not api.can(api.current_user(), "repaircafe.impact"):
            abort(403)
        category_id = request.form.get("category_id", type=int)
        if category_id not in categories():
            abort(404)
        if form.validate_on_submit():
            values = form.data
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
            form=form,
        ),
        form.status,
    )
