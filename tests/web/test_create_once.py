"""The core's create forms (people, locations, users) make one record however often they
are sent: a double tap, a retry after a lost reply, back and send again. Each repeat
goes to the record the first sending made and says so."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from hub.db import get_session
from hub.models import FormSubmission, Location, Person, User
from hub.testing import HubRunner, create_account, hidden_inputs, login, open_form

KEEP_UNTIL = (dt.date.today() + dt.timedelta(days=400)).isoformat()

FORMS = {
    "person": (
        "/people/new",
        {"name": "Nia Rees", "retention_until": KEEP_UNTIL},
        Person,
        "/people/{id}",
        "person {id}",
    ),
    "location": (
        "/locations/new",
        {"name": "Canton Library", "address": "Library Street", "active": "y"},
        Location,
        "/locations/{id}/edit",
        "Canton Library",
    ),
    "user": (
        "/admin/users/new",
        {"email": "gwen@example.org", "role": "volunteer", "password": "gwen's first password"},
        User,
        "/admin/users/{id}",
        "user {id}",
    ),
}


def _newest(app, model) -> tuple[int, int]:
    """(how many rows, the newest row's id)."""
    with app.app_context():
        session = get_session()
        count = session.scalar(select(func.count()).select_from(model))
        return count, session.scalar(select(func.max(model.id)))


@pytest.mark.parametrize("what", FORMS)
def test_a_create_form_sent_again_makes_nothing_and_shows_the_first(as_role, app, what):
    url, data, model, shown_at, summary = FORMS[what]
    admin = as_role("admin")
    before, _ = _newest(app, model)
    address, hidden = open_form(admin.client, url)
    assert "once=" in address and hidden["once"]
    sent = {**hidden, **data}

    first = admin.client.post(address, data=sent)
    assert first.status_code == 302, first.get_data(as_text=True)
    count, made = _newest(app, model)
    assert count == before + 1
    first_page = shown_at.format(id=made)

    # A retry after a lost reply, or a second tap: no second record, and the first one.
    again = admin.client.post(address, data=sent)
    assert again.status_code == 302 and again.headers["Location"] == first_page
    assert _newest(app, model) == (count, made)
    shown = admin.get(first_page).get_data(as_text=True)
    assert f"Already saved: {summary.format(id=made)}." in shown

    # Back to the form, then send it again: the page says it was sent; sending makes nothing.
    back = admin.get(address).get_data(as_text=True)
    assert 'id="already"' in back and "Start a new one" in back
    assert admin.client.post(address, data=sent).headers["Location"] == first_page
    assert _newest(app, model) == (count, made)


def test_a_create_form_without_its_token_is_refused(as_role, app):
    """A form sent with no token (a stale page from before, a hand-made post) makes
    nothing and asks for it to be sent again, from the page that now carries one."""
    coordinator = as_role("coordinator")
    before = _newest(app, Person)
    refused = coordinator.post("/people/new", {"name": "Nia Rees", "retention_until": KEEP_UNTIL})
    assert refused.status_code == 422 and "one-time token" in refused.get_data(as_text=True)
    assert _newest(app, Person) == before
    retry = {"name": "Nia Rees", "retention_until": KEEP_UNTIL}
    resent = coordinator.client.post(
        "/people/new", data={**hidden_inputs(refused.get_data(as_text=True)), **retry}
    )
    assert resent.status_code == 302 and _newest(app, Person)[0] == before[0] + 1


def _claims(app) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(FormSubmission)) or 0


def test_hub_retention_forgets_tokens_a_day_old_and_their_pages_are_refused(make_app, clock):
    """Claims are kept a day; after that ``hub retention`` deletes them, and a form
    opened before then is refused (it could otherwise make a second record). Sessions
    here last three days, so that a day-old page is still signed in."""
    app = make_app(name="long-sessions", plugins=[], SESSION_HOURS=72)
    runner = HubRunner(app)
    coordinator = app.test_client()
    login(coordinator, create_account(app, "coordinator"))
    data = {"name": "Nia Rees", "retention_until": KEEP_UNTIL}
    address, hidden = open_form(coordinator, "/people/new")
    assert coordinator.post(address, data={**hidden, **data}).status_code == 302
    count, made = _newest(app, Person)
    late_address, late_hidden = open_form(coordinator, "/people/new")

    clock.advance(hours=23)
    kept = runner.invoke("retention")
    assert kept.exit_code == 0, kept.output
    assert "Deleted: form tokens 0" in kept.output and _claims(app) == 1

    clock.advance(hours=2)
    forgotten = runner.invoke("retention")
    assert forgotten.exit_code == 0, forgotten.output
    assert "Deleted: form tokens 1" in forgotten.output and _claims(app) == 0

    # The first form sent again, its claim gone: refused, not a second person.
    again = coordinator.post(address, data={**hidden, **data})
    assert again.status_code == 422
    assert "opened more than a day ago" in again.get_data(as_text=True)
    # So is a form opened a day ago and never sent; sent again from the page it
    # gets back (with a fresh token), it makes the one person.
    stale = coordinator.post(late_address, data={**late_hidden, **data})
    assert stale.status_code == 422 and _newest(app, Person) == (count, made)
    fresh = hidden_inputs(stale.get_data(as_text=True))
    assert fresh["once"] != late_hidden["once"]
    assert coordinator.post(late_address, data={**fresh, **data}).status_code == 302
    assert _newest(app, Person)[0] == count + 1
