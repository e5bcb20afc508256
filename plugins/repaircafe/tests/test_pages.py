"""Pages: quick log, coordinators' pages, impact factors, public events and the iCalendar feed."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from hub_repaircafe.models import RepairEvent, RepairRecord

from hub.plugin_api import Location, get_session
from hub.testing import csrf_token, login, open_form, submit_form


@pytest.fixture
def event_today(app) -> int:
    with app.app_context():
        session = get_session()
        hall = Location(
            name="Riverside Community Centre", address="Market Road", postcode="CF11 7BB"
        )
        event = RepairEvent(
            title="Riverside Repair Café",
            date=dt.date.today(),
            starts_at=dt.time(10, 0),
            ends_at=dt.time(13, 0),
            location=hall,
            notes="Bring your broken lamps",
        )
        session.add(event)
        session.commit()
        return event.id


def records(app) -> list[RepairRecord]:
    with app.app_context():
        return list(get_session().query(RepairRecord).order_by(RepairRecord.id))


def post_form(client, url, data):
    return submit_form(client, url, data)


def test_quick_log_saves_an_item_and_drops_a_stray_barrier(app, client, accounts, event_today):
    login(client, accounts["volunteer"])
    start = client.get("/repaircafe/log")
    assert start.status_code == 302 and start.location.endswith(
        f"/repaircafe/events/{event_today}/log"
    )

    url = f"/repaircafe/events/{event_today}/log"
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert 'id="category-search"' in page and 'name="barrier"' in page
    saved = post_form(
        client,
        url,
        {
            "product_category_id": "15",
            "status": "fixed",
            "barrier": "lack-of-equipment",
            "brand": "Anglepoise",
        },
    )
    assert saved.status_code == 302
    followed = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Saved: Lamp, Fixed" in followed
    eol = post_form(
        client,
        url,
        {"product_category_id": "34", "status": "end_of_life", "barrier": "too-worn-out"},
    )
    assert eol.status_code == 302
    [lamp, vacuum] = records(app)
    assert (lamp.status, lamp.barrier, lamp.brand) == ("fixed", None, "Anglepoise")
    assert lamp.fixer_id == accounts["volunteer"].id
    assert (vacuum.status, vacuum.barrier) == ("end_of_life", "too-worn-out")


def test_a_repair_sent_twice_is_logged_once(app, client, accounts, event_today):
    """A double tap, a retry after a lost reply, back and send again: one record, and
    each repeat names it."""
    login(client, accounts["volunteer"])
    address, hidden = open_form(client, f"/repaircafe/events/{event_today}/log")
    data = {**hidden, "product_category_id": "15", "status": "fixed"}
    first = client.post(address, data=data, follow_redirects=True)
    again = client.post(address, data=data, follow_redirects=True)
    assert first.history[0].status_code == again.history[0].status_code == 302
    (record,) = records(app)
    repeat = again.get_data(as_text=True)
    assert "Already logged: Lamp, Fixed." in repeat and "Saved:" not in repeat
    assert f"/repaircafe/events/{event_today}#record-{record.id}" in repeat

    back = client.get(address).get_data(as_text=True)  # the back button: the same token
    assert 'id="already"' in back and "Start a new one" in back
    fresh_address, fresh = open_form(client, f"/repaircafe/events/{event_today}/log")
    assert fresh["once"] != hidden["once"]
    client.post(fresh_address, data={**fresh, "product_category_id": "15", "status": "fixed"})
    assert len(records(app)) == 2

    unsigned = {key: value for key, value in data.items() if key != "once"}
    refused = client.post(address, data=unsigned)
    assert refused.status_code == 422 and "one-time token" in refused.get_data(as_text=True)
    assert len(records(app)) == 2


def test_quick_log_shows_what_is_missing(client, accounts, event_today):
    login(client, accounts["volunteer"])
    response = post_form(client, f"/repaircafe/events/{event_today}/log", {"status": "fixed"})
    assert response.status_code == 422
    assert 'id="product_category_id-error"' in response.get_data(as_text=True)


def test_viewer_cannot_log(client, accounts, event_today):
    login(client, accounts["viewer"])
    assert client.get(f"/repaircafe/events/{event_today}/log").status_code == 403
    assert client.get("/repaircafe/").status_code == 200


def test_coordinator_plans_an_event_and_edits_a_record(app, client, accounts, event_today):
    login(client, accounts["coordinator"])
    created = post_form(
        client,
        "/repaircafe/events/new",
        {
            "title": "Summer Repair Café",
            "date": "2031-07-12",
            "starts_at": "10:00",
            "ends_at": "13:00",
            "fixers_present": "",
            "visitors": "",
            "public": "true",
        },
    )
    assert created.status_code == 302
    bad = post_form(
        client,
        "/repaircafe/events/new",
        {"title": "x", "date": "2031-07-12", "starts_at": "14:00", "ends_at": "13:00"},
    )
    assert bad.status_code == 422 and "must be after starts_at" in bad.get_data(as_text=True)

    post_form(
        client,
        f"/repaircafe/events/{event_today}/log",
        {"product_category_id": "14", "status": "repairable"},
    )
    [kettle] = records(app)
    edited = post_form(
        client,
        f"/repaircafe/records/{kettle.id}/edit",
        {
            "product_category_id": "14",
            "status": "end_of_life",
            "barrier": "spare-parts-too-expensive",
            "brand": "Russell Hobbs",
            "weight_g": "1100",
            "reason": "outcome ticked wrong",
        },
    )
    assert edited.status_code == 302
    [kettle] = records(app)
    assert (kettle.status, kettle.barrier, kettle.brand, kettle.weight_g) == (
        "end_of_life",
        "spare-parts-too-expensive",
        "Russell Hobbs",
        1100,
    )

    listing = client.get(
        "/repaircafe/records", query_string={"brand": "russell hobbs", "status": "end_of_life"}
    )
    assert listing.status_code == 200 and "1 record" in listing.get_data(as_text=True)
    nothing = client.get("/repaircafe/records", query_string={"category": "31"})
    assert "0 records" in nothing.get_data(as_text=True)
    assert client.get("/repaircafe/records", query_string={"status": "mended"}).status_code == 422

    token = csrf_token(client.get(f"/repaircafe/events/{event_today}").get_data(as_text=True))
    voided = client.post(
        f"/repaircafe/records/{kettle.id}/void", data={"csrf_token": token, "reason": "a test"}
    )
    assert voided.status_code == 302 and records(app)[0].void_reason == "a test"


def test_only_admins_change_impact_factors(client, accounts):
    login(client, accounts["coordinator"])
    page = client.get("/repaircafe/impact").get_data(as_text=True)
    assert "Kettle" in page and 'name="weight_g"' not in page
    token = csrf_token(page)
    refused = client.post(
        "/repaircafe/impact",
        data={
            "csrf_token": token,
            "category_id": "14",
            "weight_g": "900",
            "co2e_g_per_kg": "6000",
            "source": "x",
        },
    )
    assert refused.status_code == 403

    admin = client.application.test_client()
    login(admin, accounts["admin"])
    saved = post_form(
        admin,
        "/repaircafe/impact",
        {
            "category_id": "14",
            "weight_g": "900",
            "co2e_g_per_kg": "6500",
            "source": "Weighed at our café, 2025",
        },
    )
    assert saved.status_code == 302
    categories = admin.get("/api/v1/repaircafe/categories").json
    kettle = next(c for c in categories if c["id"] == 14)
    assert (kettle["weight_g"], kettle["co2e_g_per_kg"], kettle["overridden"]) == (900, 6500, True)


def test_public_events_page_and_calendar_feed(client, app, event_today):
    with app.app_context():
        session = get_session()
        session.add(
            RepairEvent(title="Private planning meeting", date=dt.date.today(), public=False)
        )
        session.add(
            RepairEvent(title="Last year's café", date=dt.date.today() - dt.timedelta(days=365))
        )
        session.commit()
    page = client.get("/repaircafe/public/events")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Riverside Repair Café" in text and "Private planning meeting" not in text

    feed = client.get("/repaircafe/events.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(feed.data)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["summary"]) == "Riverside Repair Café"
    assert entry.decoded("dtstart").date() == dt.date.today()
    assert entry.decoded("dtstart").hour == 10
    assert "Riverside Community Centre" in str(entry["location"])


def test_dashboard_panels_and_nav(client, accounts, event_today):
    login(client, accounts["volunteer"])
    post_form(
        client,
        f"/repaircafe/events/{event_today}/log",
        {"product_category_id": "34", "status": "end_of_life", "barrier": "no-way-to-open"},
    )
    page = client.get("/").get_data(as_text=True)
    for title in ("Repairs over the last 12 months", "Repair barriers", "Top categories"):
        assert title in page
    assert "Vacuum" in page and "No way to open product" in page
    assert 'href="/repaircafe/log"' in page


def test_calendar_export_command(runner, event_today):
    result = runner.invoke("export", "repaircafe-ical")
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical(result.output.encode())
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == ["Riverside Repair Café"]


def test_quick_log_marks_every_box_it_refuses(app, client, accounts, event_today):
    login(client, accounts["volunteer"])
    url = f"/repaircafe/events/{event_today}/log"
    base = {"product_category_id": "15", "status": "fixed"}
    cases = [
        ({"brand": "x" * 10_000}, "brand", "Longer than maximum length 120."),
        ({"problem": "x" * 10_000}, "problem", "Longer than maximum length 5000."),
        ({"weight_g": "9" * 10_000}, "weight_g", "is out of range"),
        ({"weight_g": "1.5"}, "weight_g", "Enter a whole number"),
        ({"product_age": "abc"}, "product_age", "Enter a number"),
        ({"status": "end_of_life"}, "barrier", "say what stopped the repair"),
        ({"product_category_id": "99"}, "product_category_id", "not an ORDS product category"),
    ]
    for changes, field, message in cases:
        response = post_form(client, url, {**base, **changes})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, changes
        assert f'id="{field}-error"' in page and message in page, changes
        assert f'<a href="#{field}">' in page, changes  # the summary names the box
    assert records(app) == []


def test_record_search_takes_wildcards_literally(app, client, accounts, event_today):
    login(client, accounts["volunteer"])
    url = f"/repaircafe/events/{event_today}/log"
    for problem in ("Fuse 100% blown", "Fuse 1000 blown", "snake_case", "snakeXcase"):
        post_form(client, url, {"product_category_id": "15", "status": "fixed", "problem": problem})

    def found(words: str) -> int:
        page = client.get("/repaircafe/records", query_string={"q": words}).get_data(as_text=True)
        return int(re.search(r"<p>(\d+) records?</p>", page)[1])

    assert found("100%") == 1 and found("%") == 1 and found("_") == 1
    assert found("FUSE blown") == 2
    pasted = client.get("/repaircafe/records", query_string={"q": "x" * 1_000})
    assert pasted.status_code == 422 and 'id="q-error"' in pasted.get_data(as_text=True)


def test_a_fixer_starts_todays_session_and_credits_another_fixer(app, client, accounts):
    login(client, accounts["volunteer"])
    page = client.get("/repaircafe/log").get_data(as_text=True)
    assert 'id="start-today"' in page  # no dead end when nothing was planned
    started = client.post("/repaircafe/log/today", data={"csrf_token": csrf_token(page)})
    again = client.post("/repaircafe/log/today", data={"csrf_token": csrf_token(page)})
    assert started.location == again.location  # one session, however many taps
    with app.app_context():
        (event,) = get_session().query(RepairEvent).all()
        assert (event.date, event.public) == (dt.date.today(), False)
    url = f"/repaircafe/events/{event.id}/log"
    form = client.get(url, follow_redirects=True).get_data(as_text=True)
    coordinator = accounts["coordinator"]
    assert f'<option value="{coordinator.id}"' in form  # coordinators log repairs too
    post_form(
        client, url, {"product_category_id": "15", "status": "fixed", "fixer_id": coordinator.id}
    )
    post_form(client, url, {"product_category_id": "15", "status": "fixed", "fixer_id": "99999"})
    assert [r.fixer_id for r in records(app)] == [coordinator.id, accounts["volunteer"].id]
