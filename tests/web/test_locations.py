"""Locations and opening times: everyone sees them, coordinators change them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hub.db import get_session
from hub.models import AuditEntry, Location


def hours_rows(*rows, blanks=1):
    """Form fields for opening-time rows: (weekday, opens, closes) each."""
    data = {}
    for number, (weekday, opens, closes) in enumerate([*rows, *[("", "", "")] * blanks]):
        data[f"hours-{number}-weekday"] = weekday
        data[f"hours-{number}-opens"] = opens
        data[f"hours-{number}-closes"] = closes
    return data


def location_form(*rows, **fields):
    data = {"name": "Riverside Community Centre", "address": "Market Road", "active": "y"}
    data.update(fields)
    data.update(hours_rows(*rows))
    return data


def hours_of(app, location_id):
    with app.app_context():
        location = get_session().get(Location, location_id)
        return [(t.weekday, t.opens, t.closes) for t in location.opening_times]


def test_every_role_sees_locations_with_opening_times(as_role, records):
    for role in ("viewer", "volunteer", "coordinator", "admin"):
        html = as_role(role).get("/locations/").text
        assert "St Mary&#39;s Church Hall" in html
        assert '<th scope="row">Tuesday</th><td>10:00\u201313:00</td>' in html
        assert ("Add a location" in html) == (role in ("coordinator", "admin"))


def test_adding_a_location_with_opening_times(as_role, app):
    form = location_form(("0", "09:30", "12:00"), ("4", "17:00", "19:30"), postcode="cf11 7bb")
    response = as_role("coordinator").submit("/locations/new", form)
    assert response.status_code == 302
    with app.app_context():
        location = get_session().scalar(select(Location))
        assert location.postcode == "CF11 7BB"
        location_id = location.id
    assert hours_of(app, location_id) == [
        (0, dt.time(9, 30), dt.time(12)),
        (4, dt.time(17), dt.time(19, 30)),
    ]


def test_editing_changes_keeps_and_removes_opening_times(as_role, app, records):
    browser = as_role("coordinator")
    page = browser.get(f"/locations/{records.location_id}/edit").text
    assert 'name="hours-0-opens" type="time" value="10:00"' in page
    assert 'name="hours-2-weekday"' in page  # two blank rows to add more

    form = location_form(
        ("1", "10:00", "14:00"),  # Tuesday now closes later
        ("5", "09:00", "11:00"),  # a new Saturday morning
        name="St Mary's Church Hall",
    )
    assert browser.post(f"/locations/{records.location_id}/edit", form).status_code == 302
    assert hours_of(app, records.location_id) == [
        (1, dt.time(10), dt.time(14)),
        (5, dt.time(9), dt.time(11)),
    ]
    with app.app_context():
        changes = (
            get_session()
            .scalars(
                select(AuditEntry.changes).where(
                    AuditEntry.entity == "opening_time", AuditEntry.action == "update"
                )
            )
            .all()
        )
    assert changes == [{"closes": "14:00:00"}]

    # Setting the day to "not open" removes a row.
    form = location_form(("", "10:00", ""), ("5", "09:00", "11:00"), name="Hall")
    form["hours-0-opens"] = ""
    assert browser.post(f"/locations/{records.location_id}/edit", form).status_code == 302
    assert hours_of(app, records.location_id) == [(5, dt.time(9), dt.time(11))]


def test_location_form_explains_each_mistake(as_role, app, records, audit_entries):
    browser = as_role("admin")
    before = audit_entries()
    cases = [
        (location_form(name=""), "Enter a name."),
        (location_form(postcode="12345"), "Enter a UK postcode"),
        (location_form(("2", "18:00", "17:00")), "The closing time must be after the opening time"),
        (location_form(("2", "", "17:00")), "Enter the opening time."),
        (location_form(("", "09:00", "17:00")), "Choose the day, or clear the times."),
        (location_form(("2", "9 o'clock", "17:00")), "Enter a real time, like 09:30."),
        (location_form(("9", "09:00", "17:00")), "must be 0 (Monday) to 6 (Sunday)"),
        (
            location_form(("3", "09:00", "12:00"), ("3", "09:00", "13:00")),
            "This day already has a time opening then.",
        ),
    ]
    for form, message in cases:
        response = browser.post(f"/locations/{records.location_id}/edit", form)
        assert response.status_code == 422, form
        assert message in response.text, form
    assert audit_entries() == before
    assert hours_of(app, records.location_id) == [(1, dt.time(10), dt.time(13))]


def test_retired_locations_are_listed_apart_for_editors(as_role, records):
    browser = as_role("coordinator")
    form = location_form(("1", "10:00", "13:00"), name="St Mary's Church Hall")
    del form["active"]
    browser.post(f"/locations/{records.location_id}/edit", form)
    html = browser.get("/locations/").text
    assert html.index("No longer in use") < html.index(f'id="location-{records.location_id}"')
    assert "Church Hall" not in as_role("viewer").get("/locations/").text


def test_unknown_location_is_404(as_role):
    assert as_role("admin").get("/locations/424242/edit").status_code == 404
