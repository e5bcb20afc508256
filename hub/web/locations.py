"""Locations and their opening times: seen by every role, changed by coordinators."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, Length, ValidationError

from hub import auth
from hub.db import get_session
from hub.models import Location, OpeningTime
from hub.web.common import Form, Time, get_or_404, strip

bp = Blueprint("locations", __name__, url_prefix="/locations")

WEEKDAYS = list(calendar.day_name)  # Monday first, as date.weekday()
BLANK_ROWS = 2
# Loose on purpose: it catches typing slips, not every odd but real postcode.
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$")


def postcode(_form: Any, field: Any) -> None:
    if field.data and not POSTCODE.match(field.data):
        raise ValidationError("Enter a UK postcode, like CF11 6AA.")


class OpeningTimeForm(SubForm):
    weekday = SelectField(
        "Day",
        choices=[SelectChoice("", "— not open —")]
        + [SelectChoice(str(i), day) for i, day in enumerate(WEEKDAYS)],
    )
    opens = Time("Opens")
    closes = Time("Closes")

    @property
    def is_blank(self) -> bool:
        return not self.weekday.data and self.opens.data is None and self.closes.data is None

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators) or self.is_blank:
            return not self.errors
        if not self.weekday.data:
            self.weekday.errors.append("Choose the day, or clear the times.")
        if self.opens.data is None:
            self.opens.errors.append("Enter the opening time.")
        if self.closes.data is None:
            self.closes.errors.append("Enter the closing time.")
        elif self.opens.data is not None and self.closes.data <= self.opens.data:
            self.closes.errors.append("The closing time must be after the opening time.")
        return not self.errors


class LocationForm(Form):
    name = StringField("Name", [DataRequired("Enter a name."), Length(max=200)], filters=[strip])
    address = TextAreaField("Address", [Length(max=1000)], filters=[strip])
    postcode = StringField(
        "Postcode",
        [Length(max=10), postcode],
        filters=[lambda value: strip(value).upper() if value else ""],
    )
    notes = TextAreaField(
        "Notes",
        [Length(max=2000)],
        filters=[strip],
        description="Access, parking, what to bring: shown to everyone who signs in.",
    )
    active = BooleanField("In use", default=True)
    hours = FieldList(FormField(OpeningTimeForm), label="Opening times")

    def validate_hours(self, field: Any) -> None:
        seen: set[tuple[int, dt.time]] = set()
        for row in field:
            if row.is_blank or row.errors:
                continue
            key = (int(row.weekday.data), row.opens.data)
            if key in seen:
                row.opens.errors.append("This day already has a time opening then.")
                raise ValidationError("Two opening times are the same.")
            seen.add(key)

    def opening_times(self) -> dict[tuple[int, dt.time], dt.time]:
        return {
            (int(row.weekday.data), row.opens.data): row.closes.data
            for row in self.hours
            if not row.is_blank
        }


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
    form = LocationForm(obj=location)
    if request.method == "GET":
        _show_rows(form, location)
    elif form.validate():
        _save(location, form)
        session = get_session()
        if new:
            session.add(location)
        session.commit()
        flash(f"{location.name} is saved.", "success")
        return redirect(url_for("locations.index"))
    page = render_template("hub/locations/form.html", form=form, location=location, new=new)
    return page, 400 if form.errors else 200


def _show_rows(form: LocationForm, location: Location) -> None:
    while form.hours.entries:
        form.hours.pop_entry()
    for time in location.opening_times:
        form.hours.append_entry(
            {"weekday": str(time.weekday), "opens": time.opens, "closes": time.closes}
        )
    for _ in range(BLANK_ROWS):
        form.hours.append_entry()


def _save(location: Location, form: LocationForm) -> None:
    location.name = form.name.data
    location.address = form.address.data or ""
    location.postcode = form.postcode.data or ""
    location.notes = form.notes.data or ""
    location.active = bool(form.active.data)
    # Keep rows whose day and opening time stay, so the audit log shows real changes
    # and the unique (location, day, opens) constraint never sees a clash mid-flush.
    wanted = form.opening_times()
    for time in list(location.opening_times):
        key = (time.weekday, time.opens)
        if key in wanted:
            time.closes = wanted.pop(key)
        else:
            location.opening_times.remove(time)
    for (weekday, opens), closes in sorted(wanted.items()):
        location.opening_times.append(OpeningTime(weekday=weekday, opens=opens, closes=closes))
