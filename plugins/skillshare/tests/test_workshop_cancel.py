"""Cancelling a whole workshop, through the API and its page, with mail through a real
SMTP server on loopback: places and the waitlist released, members told by email or
listed to phone, the host's credit reversed, and the workshop counted nowhere."""

from __future__ import annotations

import datetime as dt

import pytest

from hub import plugin_api as api
from hub.testing import csrf_token, login
from hub_skillshare import metrics

API = "/api/v1/skillshare"
WORKSHOPS = f"{API}/workshops"


@pytest.fixture
def app(make_app, smtp_server):
    """The plugin's usual app, sending mail through the loopback server."""
    return make_app(**smtp_server.settings("Northside Time Bank <hub@example.org>"))


def contact(client, accounts, member, email=None, phone=None):
    patched = client.patch(
        f"{API}/members/{member.id}",
        json={"email": email, "phone": phone},
        headers=accounts["coordinator"].headers,
    )
    assert patched.status_code == 200, patched.json


def offer(client, host, date, places=2, minutes=120):
    body = {
        "title": "Bike maintenance for beginners",
        "category": "learning",
        "date": date.isoformat(),
        "starts_at": "18:30",
        "minutes": minutes,
        "place": "Northside library, room 2",
        "places": places,
    }
    made = client.post(WORKSHOPS, json=body, headers=host.headers)
    assert made.status_code == 201, made.json
    return made.json["id"]


def test_a_cancelled_workshop_releases_everyone_and_tells_them(
    client, make_member, accounts, smtp_server
):
    host, ana, ben, dee = (make_member(n) for n in ("Hal", "Ana Jones", "Ben Evans", "Dee Owen"))
    cai = make_member("Cai Price", offline=True)
    contact(client, accounts, ana, email="ana.jones@example.org")
    contact(client, accounts, ben, email="ben.evans@example.org")
    contact(client, accounts, cai, phone="07700 900123")
    contact(client, accounts, dee, email="dee.owen@example.org")
    smtp_server.refuse.add("dee.owen@example.org")
    day = api.today() + dt.timedelta(days=7)
    workshop_id = offer(client, host, day)
    for member in (ana, ben, dee):  # two places: Dee waits
        client.post(f"{WORKSHOPS}/{workshop_id}/signups", json={}, headers=member.headers)
    client.post(
        f"{WORKSHOPS}/{workshop_id}/signups",
        json={"member": cai.id},
        headers=accounts["coordinator"].headers,
    )
    cancel = f"{WORKSHOPS}/{workshop_id}/cancel"
    reason = {"reason": "The library is closed for repairs that week"}
    not_host = client.post(cancel, json=reason, headers=ana.headers)
    assert not_host.status_code == 409 and not smtp_server.messages
    no_reason = client.post(cancel, json={"reason": ""}, headers=host.headers)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["details"]
    essay = client.post(cancel, json={"reason": "x" * 10_000}, headers=host.headers)
    assert essay.status_code == 422 and "reason" in essay.json["details"]

    done = client.post(cancel, json=reason, headers=host.headers)
    assert done.status_code == 200, done.json
    answer = done.json
    assert answer["workshop"]["state"] == "cancelled" and answer["reversal"] is None
    assert (answer["workshop"]["booked"], answer["workshop"]["waiting"]) == (0, 0)
    assert answer["emailed"] == [ana.id, ben.id]
    # The host is no broker: the names to phone, not other members' numbers.
    assert answer["to_phone"] == [
        {"member": dee.id, "name": "Dee Owen", "phone": None},
        {"member": cai.id, "name": "Cai Price", "phone": None},
    ]
    assert answer["not_sent"] == ["the mail server refused the address dee.owen@example.org"]
    sent = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [m["To"] for m in sent] == ["ana.jones@example.org", "ben.evans@example.org"]
    assert sent[0]["Subject"] == f"Cancelled: Bike maintenance for beginners, {day:%A %d %B}"
    assert sent[0]["From"] == "Northside Time Bank <hub@example.org>"
    body = sent[0].get_content()
    assert body.startswith("Hello Ana,") and reason["reason"] in body
    assert "Northside library, room 2" in body and "18:30" in body

    listed = client.get(f"{WORKSHOPS}/{workshop_id}/signups", headers=host.headers).json["items"]
    assert {s["state"] for s in listed} == {"released"}
    again = client.post(cancel, json=reason, headers=host.headers)
    assert again.status_code == 409 and len(smtp_server.messages) == 2  # nobody told twice
    late = client.post(f"{WORKSHOPS}/{workshop_id}/signups", json={}, headers=ben.headers)
    assert late.status_code == 409
    coming = client.get(WORKSHOPS, headers=ana.headers).json["items"]
    assert workshop_id not in [w["id"] for w in coming]
    asked = client.get(f"{WORKSHOPS}?state=cancelled", headers=ana.headers).json["items"]
    assert [w["id"] for w in asked] == [workshop_id]
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/skillshare/workshops/{workshop_id}/cancel"]["post"]
    assert {"200", "409", "422"} <= set(operation["responses"])


def test_cancelling_a_held_workshop_reverses_the_hosts_credit(
    app, client, make_member, accounts, runner, smtp_server
):
    host, ana, ben = make_member("Hal"), make_member("Ana"), make_member("Ben")
    contact(client, accounts, ana, phone="07700 900456")
    workshop_id = offer(client, host, api.today(), minutes=90)
    for member in (ana, ben):
        client.post(f"{WORKSHOPS}/{workshop_id}/signups", json={}, headers=member.headers)
    attendance = f"{WORKSHOPS}/{workshop_id}/attendance"
    taken = client.post(attendance, json={"present": [ana.id, ben.id]}, headers=host.headers)
    credit = taken.json["exchange"]
    month = api.Period.month_of(api.today())
    with app.app_context():
        (held,) = metrics.compute(api.get_session(), [month]).values()
    assert (held["workshops_held"], held["minutes_exchanged.learning"]) == (1, 90)

    done = client.post(
        f"{WORKSHOPS}/{workshop_id}/cancel",
        json={"reason": "It was rained off: nobody could get there"},
        headers=accounts["coordinator"].headers,
    )
    assert done.status_code == 200, done.json
    reversal = client.get(f"{API}/exchanges/{done.json['reversal']}", headers=host.headers).json
    assert reversal["reverses"] == credit and reversal["minutes"] == 90
    assert reversal["description"].startswith("Workshop cancelled: It was rained off")
    hal = client.get(f"{API}/accounts/{host.account}", headers=host.headers).json
    bank = client.get(f"{API}/accounts/bank", headers=host.headers).json
    assert (hal["balance"], bank["balance"]) == (0, 0)
    assert runner.invoke("skillshare", "check").exit_code == 0
    assert done.json["emailed"] == [] and not smtp_server.messages  # nobody has an address
    assert done.json["to_phone"] == [  # a coordinator sees the numbers
        {"member": ana.id, "name": "Ana", "phone": "07700 900456"},
        {"member": ben.id, "name": "Ben", "phone": None},
    ]
    retaken = client.post(attendance, json={"present": [ana.id]}, headers=host.headers)
    assert retaken.status_code == 409  # cancelled: no attendance, so no new credit

    with app.app_context():
        (after,) = metrics.compute(api.get_session(), [month]).values()
    counted = {k: v for k, v in after.items() if v}
    assert counted == {"new_members": 3}  # the workshop and its credit count nowhere


def test_the_workshop_page_cancels_with_a_reason_and_lists_who_to_phone(
    app, make_member, smtp_server, client, accounts
):
    host, ana, cai = make_member("Hal"), make_member("Ana"), make_member("Cai", offline=True)
    contact(client, accounts, ana, email="ana@example.org")
    contact(client, accounts, cai, phone="07700 900123")
    workshop_id = offer(client, host, api.today() + dt.timedelta(days=3))
    client.post(f"{WORKSHOPS}/{workshop_id}/signups", json={}, headers=ana.headers)
    client.post(
        f"{WORKSHOPS}/{workshop_id}/signups",
        json={"member": cai.id},
        headers=accounts["coordinator"].headers,
    )
    page = f"/skillshare/workshops/{workshop_id}"
    member = app.test_client()
    login(member, ana)
    assert "Cancel this workshop" not in member.get(page).get_data(as_text=True)
    browser = app.test_client()
    login(browser, host)
    shown = browser.get(page).get_data(as_text=True)
    assert "Cancel this workshop" in shown
    token = csrf_token(shown)
    short = browser.post(
        f"{page}/cancel", data={"csrf_token": token, "reason": ""}, follow_redirects=True
    )
    assert "This workshop was cancelled" not in short.get_data(as_text=True)
    done = browser.post(
        f"{page}/cancel",
        data={"csrf_token": token, "reason": "I am ill, sorry"},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "Cancelled. 1 told by email." in text
    assert "To phone: Cai. A coordinator has their numbers." in text
    assert "This workshop was cancelled" in text and "Cancel this workshop" not in text
    assert "07700 900123" not in text  # another member's number is not the host's to see
    assert [m["To"] for m in smtp_server.messages] == ["ana@example.org"]
    office = app.test_client()
    login(office, accounts["coordinator"])
    assert "to phone: 07700 900123" in office.get(page).get_data(as_text=True)  # stays listed
