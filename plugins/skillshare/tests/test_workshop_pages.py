"""The workshop pages, as members, a broker and a host use them without JavaScript: a
workshop offered once however often its form is sent, signing up and the waitlist,
cancelling, attendance and the host's credit."""

from __future__ import annotations

import datetime as dt
import re

from hub import plugin_api as api
from hub.testing import csrf_token, login, open_form

API = "/api/v1/skillshare"


def signed_in(app, member):
    browser = app.test_client()
    login(browser, member)
    return browser


def offer_form(**extra):
    return {
        "title": "Sourdough for beginners",
        "category": "food",
        "date": api.today().isoformat(),
        "starts_at": "10:00",
        "minutes": "90",
        "place": "Community centre kitchen",
        "places": "1",
        **extra,
    }


def test_a_workshop_offered_signed_up_for_and_held(app, make_member, accounts):
    hal, ana, ben = make_member("Hal"), make_member("Ana"), make_member("Ben")
    cai = make_member("Cai", offline=True)
    host = signed_in(app, hal)
    address, hidden = open_form(host, "/skillshare/workshops/new")
    sent = {**hidden, **offer_form()}
    first = host.post(address, data=sent)
    assert first.status_code == 302
    page = first.headers["Location"]
    again = host.post(address, data=sent, follow_redirects=True)  # a double tap
    assert "Already saved: Sourdough for beginners." in again.get_data(as_text=True)
    listed = host.get("/skillshare/workshops").get_data(as_text=True)
    assert listed.count("Sourdough for beginners") == 1 and "1 of 1 places left" in listed

    ana_browser, ben_browser = signed_in(app, ana), signed_in(app, ben)
    shown = ana_browser.get(page).get_data(as_text=True)
    signup_url = f"{page}/signup"
    ana_browser.post(signup_url, data={"csrf_token": csrf_token(shown)})
    assert "You have a place" in ana_browser.get(page).get_data(as_text=True)
    shown = ben_browser.get(page).get_data(as_text=True)
    assert "Join the waitlist" in shown
    joined = ben_browser.post(
        signup_url, data={"csrf_token": csrf_token(shown)}, follow_redirects=True
    )
    assert "waitlist" in joined.get_data(as_text=True)
    assert "0 ahead of you" in joined.get_data(as_text=True)

    # A coordinator signs up Cai, who is offline, behind Ben.
    office = app.test_client()
    login(office, accounts["coordinator"])
    shown = office.get(page).get_data(as_text=True)
    assert "Sign up a member" in shown
    office.post(signup_url, data={"csrf_token": csrf_token(shown), "member": str(cai.id)})

    # Ana gives up her place: Ben, first in line, has it now.
    shown = ana_browser.get(page).get_data(as_text=True)
    (cancel,) = re.findall(r'action="([^"]*/cancel)"', shown)
    ana_browser.post(cancel, data={"csrf_token": csrf_token(shown)})
    assert "You have a place" in ben_browser.get(page).get_data(as_text=True)
    signups = host.get(page).get_data(as_text=True)
    assert "Ana" not in signups.split('id="signups"')[1]
    assert "Cai" in signups.split('id="signups"')[1]

    # Attendance: members other than the host cannot take it; the host ticks Ben.
    assert ben_browser.get(f"{page}/attendance").status_code == 403
    form = host.get(f"{page}/attendance").get_data(as_text=True)
    assert "Ben" in form and "Cai" not in form  # only those with a place
    taken = host.post(
        f"{page}/attendance",
        data={"csrf_token": csrf_token(form), "present": [str(ben.id)]},
        follow_redirects=True,
    )
    text = taken.get_data(as_text=True)
    assert "Attendance saved: 1 came. Hal is credited 1 h 30 min." in text
    me = host.get(f"{API}/members/me").json
    assert me["balance"] == 90


def test_a_workshop_form_says_what_is_wrong(app, make_member, accounts):
    hal = make_member("Hal")
    host = signed_in(app, hal)
    address, hidden = open_form(host, "/skillshare/workshops/new")
    yesterday = (api.today() - dt.timedelta(days=1)).isoformat()
    wrong = host.post(address, data={**hidden, **offer_form(date=yesterday, places="0")})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert 'id="places-error"' in text
    late = host.post(address, data={**hidden, **offer_form(date=yesterday)})
    assert late.status_code == 422 and 'id="date-error"' in late.get_data(as_text=True)
    viewer = app.test_client()
    login(viewer, accounts["viewer"])
    assert viewer.get("/skillshare/workshops/new").status_code == 403
    assert viewer.get("/skillshare/workshops").status_code == 200


def test_attendance_opens_on_the_day(app, make_member, clock):
    hal = make_member("Hal")
    host = signed_in(app, hal)
    tomorrow = (api.today() + dt.timedelta(days=1)).isoformat()
    address, hidden = open_form(host, "/skillshare/workshops/new")
    page = host.post(address, data={**hidden, **offer_form(date=tomorrow)}).headers["Location"]
    assert "Take attendance" not in host.get(page).get_data(as_text=True)
    form = host.get(f"{page}/attendance").get_data(as_text=True)
    early = host.post(f"{page}/attendance", data={"csrf_token": csrf_token(form)})
    assert early.status_code == 422 and "day of the workshop" in early.get_data(as_text=True)
    clock.advance(days=1)
    host = signed_in(app, hal)  # a day later: signed in again
    assert "Take attendance" in host.get(page).get_data(as_text=True)


def test_a_credit_past_the_hosts_limit_is_refused_on_the_page(app, client, make_member):
    hal, ana = make_member("Hal", credit=60), make_member("Ana")
    host = signed_in(app, hal)
    address, hidden = open_form(host, "/skillshare/workshops/new")
    page = host.post(address, data={**hidden, **offer_form()}).headers["Location"]
    workshop_id = int(page.rsplit("/", 1)[1])
    client.post(f"{API}/workshops/{workshop_id}/signups", json={}, headers=ana.headers)
    form = host.get(f"{page}/attendance").get_data(as_text=True)
    refused = host.post(
        f"{page}/attendance", data={"csrf_token": csrf_token(form), "present": [str(ana.id)]}
    )
    assert refused.status_code == 422 and "credit limit" in refused.get_data(as_text=True)
    assert "Held" not in host.get(page).get_data(as_text=True)
