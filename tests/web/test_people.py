"""People pages: search, add, change, subject-access export and erasure."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from hub.db import get_session
from hub.models import AuditEntry, Person

# A fixed day, so that no test's dates cross midnight between collection and run.
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _on_a_fixed_day(clock):
    clock.set(TODAY)


def person_form(**changes):
    form = {
        "name": "Nia Rees",
        "email": "nia@example.net",
        "phone": "+44 7700 900123",
        "notes": "Prefers a phone call.",
        "consent_given": "y",
        "consent_purpose": "Contact about appointments",
        "consent_date": "",
        "retention_until": (TODAY + dt.timedelta(days=400)).isoformat(),
    }
    form.update(changes)
    return form


def stored(app, person_id):
    with app.app_context():
        return get_session().get(Person, person_id)


def add_people(app, names):
    with app.app_context():
        session = get_session()
        session.add_all(Person(name=name) for name in names)
        session.commit()


def test_new_person_form_defaults_retention_from_the_setting(as_role, app):
    html = as_role("coordinator").get("/people/new", follow_redirects=True).text
    expected = TODAY + dt.timedelta(days=app.config["RETENTION_DAYS"])
    assert f'value="{expected.isoformat()}"' in html
    assert '<label for="retention_until">Keep their details until</label>' in html


def test_adding_a_person_with_consent(as_role, app):
    response = as_role("coordinator").submit("/people/new", person_form())
    assert response.status_code == 302
    person_id = int(response.headers["Location"].rsplit("/", 1)[1])
    person = stored(app, person_id)
    assert (person.name, person.email, person.phone) == (
        "Nia Rees",
        "nia@example.net",
        "+44 7700 900123",
    )
    assert person.consent_given and person.consent_purpose == "Contact about appointments"
    assert person.consent_at.date() == TODAY
    assert person.retention_until == TODAY + dt.timedelta(days=400)
    with app.app_context():
        entry = get_session().scalar(
            select(AuditEntry).where(AuditEntry.entity == "person", AuditEntry.action == "create")
        )
    assert entry.actor == "coordinator@example.org (web)"
    assert entry.changes["name"] == "(personal data)"


def test_the_person_form_explains_each_mistake(as_role, app, audit_entries):
    browser = as_role("coordinator")
    before = audit_entries()
    cases = [
        ({"name": "  "}, "Enter a name."),
        ({"email": "not an email"}, "Enter an email address like name@example.org."),
        ({"phone": "call me maybe"}, "Enter a phone number using digits"),
        ({"consent_purpose": ""}, "Say what they agreed to."),
        ({"consent_date": "2020-13-45"}, "Enter a real date, like 2026-03-31."),
        ({"consent_date": (TODAY + dt.timedelta(days=3)).isoformat()}, "cannot be in the future"),
        ({"retention_until": ""}, "Enter the date after which their details are erased."),
        ({"retention_until": "2001-01-01"}, "cannot be in the past"),
        ({"name": "x" * 201}, "Length must be between 1 and 200."),
    ]
    for changes, message in cases:
        response = browser.submit("/people/new", person_form(**changes))
        assert response.status_code == 422, changes
        assert message in response.text, changes
        assert "There is a problem" in response.text
    assert audit_entries() == before


def test_consent_can_be_left_out_and_an_earlier_date_recorded(as_role, app):
    browser = as_role("admin")
    response = browser.submit(
        "/people/new", person_form(consent_given="", consent_purpose="should be dropped")
    )
    person = stored(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert not person.consent_given and person.consent_purpose == "" and person.consent_at is None

    response = browser.post(
        f"/people/{person.id}/edit", person_form(consent_date="2025-06-01", email="")
    )
    assert response.status_code == 302
    person = stored(app, person.id)
    assert person.consent_at.date() == dt.date(2025, 6, 1) and person.email is None
    page = browser.get(f"/people/{person.id}").text
    assert "Agreed on 1 Jun 2025: Contact about appointments" in page


def test_editing_shows_the_current_details(as_role, records):
    html = as_role("coordinator").get(f"/people/{records.person_id}/edit").text
    assert 'value="Ceri Jenkins"' in html
    assert 'value="2025-03-01"' in html
    assert 'id="consent_given" name="consent_given" type="checkbox" value="y"' in html
    assert "checked" in html


def test_search_and_pagination(as_role, app):
    add_people(app, [f"Person {number:02d}" for number in range(30)] + ["Ann 100% Jones"])
    browser = as_role("coordinator")  # people.list: browsing and searching the registry
    first = browser.get("/people/").text
    assert "31 people." in first and "Showing 1\u201325 of 31" in first
    assert first.count('<a href="/people/') == 25 + 1  # rows, and "Add" is not shown
    second = browser.get("/people/?page=2").text
    assert "Person 29" in second and "Person 00" not in second
    assert browser.get("/people/?page=99").status_code == 200  # past the end: the last page
    assert browser.get("/people/?page=abc").status_code == 200

    found = browser.get("/people/?q=ann").text
    assert "1 person matching" in found and "Ann 100% Jones" in found
    literal = browser.get("/people/?q=100%25").text
    assert "Ann 100% Jones" in literal and "Person 10" not in literal
    underscore = browser.get("/people/?q=_").text
    assert "0 people matching" in underscore


def test_search_by_email_and_phone(as_role, records):
    browser = as_role("coordinator")
    assert "Ceri Jenkins" in browser.get("/people/?q=CERI@EXAMPLE").text
    assert "Ceri Jenkins" in browser.get("/people/?q=2000").text


def test_volunteers_see_people_but_cannot_change_them(as_role, records):
    browser = as_role("volunteer")
    page = browser.get(f"/people/{records.person_id}").text
    assert "ceri@example.net" in page
    assert "Change details" not in page and "Erase" not in page and "Download" not in page
    assert "Add a person" not in browser.get("/people/").text


def test_subject_access_export_downloads_json(as_role, app, records):
    admin = as_role("admin")
    page = admin.get(f"/people/{records.person_id}").text
    assert "Download everything held (JSON)" in page
    response = admin.post(f"/people/{records.person_id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        rf'attachment; filename="person-{records.person_id}-\d{{4}}-\d\d-\d\d.json"', disposition
    )
    data = json.loads(response.data)
    assert data["person"]["name"] == "Ceri Jenkins"
    assert data["person"]["consent_purpose"] == "food bank appointments"
    with app.app_context():
        entry = get_session().scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.entity_id == str(records.person_id) and entry.actor.startswith("admin@")


def test_erasure_needs_confirmation_and_then_erases(as_role, app, records):
    admin = as_role("admin")
    confirm_page = admin.get(f"/people/{records.person_id}/erase")
    assert "It cannot be undone" in confirm_page.text
    refused = admin.post(f"/people/{records.person_id}/erase", {})
    assert refused.status_code == 400 and "Tick the box to confirm" in refused.text
    assert stored(app, records.person_id).anonymised_at is None

    done = admin.post(f"/people/{records.person_id}/erase", {"confirm": "yes"})
    assert done.status_code == 302
    person = stored(app, records.person_id)
    assert person.name == "(erased)" and person.email is None and person.phone is None
    assert person.anonymised_at is not None
    assert "is erased everywhere" in admin.get("/people/").text

    page = admin.get(f"/people/{records.person_id}").text
    assert "ceri@example.net" not in page and "Change details" not in page
    again = admin.get(f"/people/{records.person_id}/edit")
    assert again.status_code == 302
    assert admin.post(f"/people/{records.person_id}/erase", {"confirm": "yes"}).status_code == 302


def test_unknown_people_are_404(as_role):
    admin = as_role("admin")
    for url in ("/people/999999", "/people/999999/edit", "/people/999999/erase"):
        response = admin.get(url)
        assert response.status_code == 404 and "There is nothing at this address" in response.text
    assert admin.post("/people/999999/export").status_code == 404


def test_views_for_personal_data_duties(as_role, app, records):
    with app.app_context():
        session = get_session()
        session.add_all(
            [
                Person(name="Owain Due", retention_until=TODAY - dt.timedelta(days=1)),
                Person(name="Erin Gone", anonymised_at=dt.datetime.now(dt.UTC)),
            ]
        )
        session.commit()
    admin = as_role("admin")

    def names(show):
        html = admin.get(f"/people/?show={show}").text
        return {name for name in ("Ceri Jenkins", "Owain Due", "Erin Gone") if name in html}

    assert names("") == {"Ceri Jenkins", "Owain Due", "Erin Gone"}
    assert names("no-consent") == {"Owain Due"}
    assert names("retention-due") == {"Owain Due"}
    assert names("erased") == {"Erin Gone"}
    assert names("nonsense") == {"Ceri Jenkins", "Owain Due", "Erin Gone"}
    assert "past retention date" in admin.get("/people/").text
    assert "1 person (past their retention date)." in admin.get("/people/?show=retention-due").text
