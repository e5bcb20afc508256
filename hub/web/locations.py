"""Locations and their opening times: seen by every role, changed by coordinators."""

from __future__ import annotations

import calendar
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub import auth, locations
from hub.db import get_or_404, get_session
from hub.forms import Form
from hub.locations import LocationSchema
from hub.models import Location

bp = Blueprint("locations", __name__, url_prefix="/locations")

WEEKDAYS = list(calendar.day_name)  # Monday first, as date.weekday()
BLANK_ROWS = 2


@bp.get("/")
@auth.require_permission("locations.view")
def index() -> str:
    statement = (
        select(Location).options(selectinload(Location.opening_times)).order_by(Location.name)
    )
    rows = get_session().scalars(statement).all()
    return render_template(
        "hub/locations/index.html",
        active=[row for row in rows if row.active],
        inactive=[row for row in rows if not row.active],
        weekdays=WEEKDAYS,
    )


@bp.route("/new", methods=["GET", "POST"])
@auth.require_permission("locations.edit")
def create() -> Any:
    return _edit(Location(active=True), new=True)


@bp.route("/<int:location_id>/edit", methods=["GET", "POST"])
@auth.require_permission("locations.edit")
def edit(location_id: int) -> Any:
    return _edit(get_or_404(Location, location_id), new=False)


def _edit(location: Location, *, new: bool) -> Any:
    # The form shows the opening times as rows of inputs named hours-<row>-<field>.
    form = Form(
        LocationSchema,
        location,
        inputs={"opening_times": "hours"},
        once="hub.location" if new else None,
    )
    rows = len(location.opening_times) + BLANK_ROWS
    session = get_session()
    saved = form.submit(
        lambda data: _save(session, location, data, new=new),
        made=lambda saved: (saved.name, url_for("locations.edit", location_id=saved.id)),
    )
    if saved is not None:
        session.commit()
        flash(f"{location.name} is saved.", "success")
        return redirect(url_for("locations.index"))
    if form.repeated and form.earlier and form.earlier.url:
        return redirect(form.earlier.url)
    if form.errors:
        rows = max(rows, *(int(key.split("-")[1]) + 1 for key in form.sent if _row(key)))
    page = render_template(
        "hub/locations/form.html",
        form=form,
        location=location,
        new=new,
        rows=rows,
        weekdays=list(enumerate(WEEKDAYS)),
    )
    return page, form.status


def _save(session: Session, location: Location, data: dict[str, Any], *, new: bool) -> Location:
    locations.apply(session, location, {"opening_times": [], **data})
    if new:
        session.add(location)
    return location


def _row(key: str) -> bool:
    return key.startswith("hours-") and key.split("-")[1].isdigit()
