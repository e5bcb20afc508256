"""Workshops through the API: offered, signed up for, the waitlist promoted in order,
attendance taken after the day and the host credited once through the ledger."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub import plugin_api as api
from hub_skillshare import metrics

API = "/api/v1/skillshare"
WORKSHOPS = f"{API}/workshops"


def workshop(places=2, minutes=120, date=None, **extra):
    return {
        "title": "Bike maintenance for beginners",
        "category": "learning",
        "date": (date or api.today()).isoformat(),
        "starts_at": "18:30",
        "minutes": minutes,
        "place": "Northside library, room 2",
        "places": places,
        **extra,
    }


def offer(client, host, **extra):
    made = client.post(WORKSHOPS, json=workshop(**extra), headers=host.headers)
    assert made.status_code == 201, made.json
    return made.json


def sign_up(client, workshop_id, signer, headers=None, **body):
    return client.post(
        f"{WORKSHOPS}/{workshop_id}/signups", json=body, headers=headers or signer.headers
    )


def balance(client, member):
    return client.get(f"{API}/accounts/{member.account}", headers=member.headers).json["balance"]


def test_the_waitlist_is_promoted_in_the_order_of_signing_up(client, make_member):
    host, ana, ben, cai, dee = (make_member(n) for n in ("Hal", "Ana", "Ben", "Cai", "Dee"))
    shown = offer(client, host, places=2)
    assert shown["host"] == host.id and shown["booked"] == 0 and shown["state"] == "scheduled"
    states = {m.id: sign_up(client, shown["id"], m).json for m in (ana, ben, cai, dee)}
    assert [states[m.id]["state"] for m in (ana, ben, cai, dee)] == [
        "booked",
        "booked",
        "waiting",
        "waiting",
    ]
    again = sign_up(client, shown["id"], cai)
    assert again.status_code == 201 and again.json["id"] == states[cai.id]["id"]
    assert again.json["state"] == "waiting"  # a double tap does not jump the queue
    cancelled = client.post(
        f"{WORKSHOPS}/{shown['id']}/signups/{states[ben.id]['id']}/cancel", headers=ben.headers
    )
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    listed = client.get(f"{WORKSHOPS}/{shown['id']}/signups", headers=host.headers).json["items"]
    assert {s["member"]: s["state"] for s in listed} == {
        ana.id: "booked",
        ben.id: "cancelled",
        cai.id: "booked",  # first in line
        dee.id: "waiting",
    }
    back = sign_up(client, shown["id"], ben).json
    assert back["state"] == "waiting" and back["position"] > states[dee.id]["position"]
    counts = client.get(f"{WORKSHOPS}/{shown['id']}", headers=ana.headers).json
    assert (counts["booked"], counts["waiting"]) == (2, 2)
    # A member sees only their own sign-ups; another member's is not theirs to cancel.
    own = client.get(f"{WORKSHOPS}/{shown['id']}/signups", headers=dee.headers).json["items"]
    assert [s["member"] for s in own] == [dee.id]
    refused = client.post(
        f"{WORKSHOPS}/{shown['id']}/signups/{states[ana.id]['id']}/cancel", headers=dee.headers
    )
    assert refused.status_code == 409


def test_attendance_credits_the_host_once_through_the_ledger(
    client, make_member, accounts, runner, clock
):
    host, ana, ben = make_member("Hal"), make_member("Ana"), make_member("Ben")
    tomorrow = api.today() + dt.timedelta(days=1)
    shown = offer(client, host, places=5, minutes=90, date=tomorrow)
    for member in (ana, ben):
        assert sign_up(client, shown["id"], member).status_code == 201
    attendance = f"{WORKSHOPS}/{shown['id']}/attendance"
    early = client.post(attendance, json={"present": [ana.id]}, headers=host.headers)
    assert early.status_code == 409 and "day" in early.json["error"]
    clock.advance(days=1)
    by_member = client.post(attendance, json={"present": [ana.id]}, headers=ana.headers)
    assert by_member.status_code == 409  # only the host or a coordinator
    stranger = client.post(attendance, json={"present": [host.id]}, headers=host.headers)
    assert stranger.status_code == 422 and "present" in stranger.json["details"]
    taken = client.post(attendance, json={"present": [ana.id]}, headers=host.headers)
    assert taken.status_code == 200, taken.json
    assert taken.json["state"] == "held" and taken.json["attended"] == 1
    assert balance(client, host) == 90
    credit = client.get(f"{API}/exchanges/{taken.json['exchange']}", headers=host.headers).json
    assert credit["state"] == "confirmed" and credit["minutes"] == 90
    assert credit["occurred_on"] == tomorrow.isoformat() and not credit["brokered"]
    bank = client.get(f"{API}/accounts/bank", headers=host.headers).json
    assert credit["transfers"] == [
        {"from_account": bank["id"], "to_account": host.account, "minutes": 90}
    ]
    # Correcting who came (Ben came too) changes attendance, never the credit.
    corrected = client.post(
        attendance, json={"present": [ana.id, ben.id]}, headers=accounts["coordinator"].headers
    )
    assert corrected.json["attended"] == 2 and corrected.json["exchange"] == credit["id"]
    assert balance(client, host) == 90
    assert runner.invoke("skillshare", "check").exit_code == 0
    # A mistaken credit is reversed as any exchange is: the host's balance goes back.
    reversed_ = client.post(
        f"{API}/exchanges/{credit['id']}/reverse",
        json={"reason": "The session was cancelled on the night"},
        headers=accounts["coordinator"].headers,
    )
    assert reversed_.status_code == 201 and balance(client, host) == 0
    assert runner.invoke("skillshare", "check").exit_code == 0
    closed = sign_up(client, shown["id"], make_member("Eve"))
    assert closed.status_code == 409  # held: no more sign-ups


def test_a_reversed_credit_is_made_once_more_and_never_twice(
    app, client, make_member, accounts, runner
):
    """A reversal is a correction: attendance taken again credits the host once more,
    and taking it again after that changes nothing while the new credit stands."""
    coordinator = accounts["coordinator"].headers
    host, ana = make_member("Hal"), make_member("Ana")
    shown = offer(client, host, minutes=90)
    sign_up(client, shown["id"], ana)
    attendance = f"{WORKSHOPS}/{shown['id']}/attendance"
    first = client.post(attendance, json={"present": [ana.id]}, headers=host.headers).json
    reversed_ = client.post(
        f"{API}/exchanges/{first['exchange']}/reverse",
        json={"reason": "Credited to the wrong host's account by mistake"},
        headers=coordinator,
    )
    assert reversed_.status_code == 201 and balance(client, host) == 0
    again = client.post(attendance, json={"present": [ana.id]}, headers=host.headers)
    assert again.status_code == 200, again.json
    second = again.json["exchange"]
    assert second not in (None, first["exchange"], reversed_.json["id"])
    assert balance(client, host) == 90
    for _ in range(2):  # a double tap, then a correction of who came: still one credit
        retaken = client.post(attendance, json={"present": [ana.id]}, headers=coordinator)
        assert retaken.json["exchange"] == second
    assert balance(client, host) == 90
    bank = client.get(f"{API}/accounts/bank", headers=host.headers).json
    assert bank["balance"] == -90 and balance(client, ana) == 0  # the ledger sums to zero
    twice = client.post(
        f"{API}/exchanges/{first['exchange']}/reverse",
        json={"reason": "again"},
        headers=coordinator,
    )
    assert twice.status_code == 409
    assert runner.invoke("skillshare", "check").exit_code == 0
    with app.app_context():
        figures = metrics.compute(api.get_session(), [api.Period.month_of(api.today())])
    (month,) = figures.values()
    assert (month["minutes_exchanged.learning"], month["exchanges"]) == (90, 1)


def test_nobody_came_credits_nothing(client, make_member):
    host, ana = make_member("Hal"), make_member("Ana")
    shown = offer(client, host)
    sign_up(client, shown["id"], ana)
    taken = client.post(
        f"{WORKSHOPS}/{shown['id']}/attendance", json={"present": []}, headers=host.headers
    )
    assert taken.json["state"] == "held" and taken.json["exchange"] is None
    assert balance(client, host) == 0


def test_the_hosts_credit_limit_is_kept(client, make_member):
    host, ana = make_member("Hal", credit=60), make_member("Ana")
    shown = offer(client, host, minutes=90)
    sign_up(client, shown["id"], ana)
    refused = client.post(
        f"{WORKSHOPS}/{shown['id']}/attendance", json={"present": [ana.id]}, headers=host.headers
    )
    assert refused.status_code == 409 and "limit" in refused.json["error"]
    unchanged = client.get(f"{WORKSHOPS}/{shown['id']}", headers=host.headers).json
    assert unchanged["state"] == "scheduled" and unchanged["attended"] == 0


def test_brokers_sign_up_offline_members_and_coordinators_name_hosts(client, make_member, accounts):
    coordinator = accounts["coordinator"].headers
    host, cai, ana = make_member("Hal"), make_member("Cai", offline=True), make_member("Ana")
    by_coordinator = client.post(WORKSHOPS, json=workshop(host=host.id), headers=coordinator)
    assert by_coordinator.status_code == 201 and by_coordinator.json["host"] == host.id
    for_another = client.post(WORKSHOPS, json=workshop(host=host.id), headers=ana.headers)
    assert for_another.status_code == 422 and "host" in for_another.json["details"]
    workshop_id = by_coordinator.json["id"]
    brokered = sign_up(client, workshop_id, cai, headers=coordinator, member=cai.id)
    assert brokered.status_code == 201 and brokered.json["member"] == cai.id
    assert brokered.json["signed_up_by"] == accounts["coordinator"].id  # the record says so
    online = sign_up(client, workshop_id, ana, headers=host.headers, member=ana.id)
    assert online.status_code == 422  # a member signs up an online member only as themself
    own = sign_up(client, workshop_id, host)
    assert own.status_code == 409  # the host does not take a place at their own workshop
    cancelled = client.post(
        f"{WORKSHOPS}/{workshop_id}/signups/{brokered.json['id']}/cancel", headers=coordinator
    )
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"


def test_bad_workshops_are_refused_with_reasons(client, make_member, accounts):
    host = make_member("Hal")
    yesterday = api.today() - dt.timedelta(days=1)
    past = client.post(WORKSHOPS, json=workshop(date=yesterday), headers=host.headers)
    assert past.status_code == 422 and "date" in past.json["details"]
    empty = client.post(WORKSHOPS, json=workshop(places=0), headers=host.headers)
    assert empty.status_code == 422 and "places" in empty.json["details"]
    no_member = client.post(WORKSHOPS, json=workshop(), headers=accounts["volunteer"].headers)
    assert no_member.status_code == 409  # signed in, but not a member of the time bank
    viewer = client.post(WORKSHOPS, json=workshop(), headers=accounts["viewer"].headers)
    assert viewer.status_code == 403
    missing = client.post(f"{WORKSHOPS}/999/signups", json={}, headers=host.headers)
    assert missing.status_code == 404


MEMBERS = 8
actions = st.tuples(st.sampled_from(["sign_up", "cancel"]), st.integers(0, MEMBERS - 1))


def test_places_are_never_oversold_however_requests_race(app, make_member, at_once):
    """Random bursts of simultaneous sign-ups and cancellations (the same member twice
    in one burst too) against a workshop of one to three places: after each burst no
    more are booked than there are places, and the places are held by the first in
    line (by position) of everyone still signed up; the waitlist has the rest."""
    host = make_member("Hal")
    members = [make_member(f"Member {n}") for n in range(MEMBERS)]
    client = app.test_client()

    @given(
        places=st.integers(1, 3),
        bursts=st.lists(st.lists(actions, min_size=1, max_size=8), min_size=1, max_size=4),
    )
    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def race(places, bursts):
        workshop_id = offer(client, host, places=places)["id"]
        signup_of: dict[int, int] = {}
        for burst in bursts:
            calls = []
            for action, index in burst:
                member = members[index]
                if action == "sign_up":
                    calls.append(lambda m=member: sign_up(app.test_client(), workshop_id, m))
                elif index in signup_of:
                    url = f"{WORKSHOPS}/{workshop_id}/signups/{signup_of[index]}/cancel"
                    calls.append(
                        lambda u=url, m=member: app.test_client().post(u, headers=m.headers)
                    )
            for answer in at_once(calls):
                assert answer.status_code in (200, 201), answer.json
                index = next(i for i, m in enumerate(members) if m.id == answer.json["member"])
                signup_of[index] = answer.json["id"]
            listed = client.get(f"{WORKSHOPS}/{workshop_id}/signups", headers=host.headers).json[
                "items"
            ]
            active = sorted((s for s in listed if s["state"] != "cancelled"), key=_position)
            held = [s["id"] for s in active if s["state"] == "booked"]
            assert len(held) <= places
            assert held == [s["id"] for s in active[:places]]
            assert all(s["state"] == "waiting" for s in active[places:])
            assert len({s["member"] for s in listed}) == len(listed)  # one sign-up each

    race()


def _position(signup):
    return signup["position"]


def test_a_hosts_export_and_erasure_keep_the_figures(app, client, make_member, runner, accounts):
    host, ana = make_member("Hal"), make_member("Ana")
    shown = offer(client, host, description="Bring your own bike, Hal on 07700 900123")
    sign_up(client, shown["id"], ana)
    client.post(
        f"{WORKSHOPS}/{shown['id']}/attendance", json={"present": [ana.id]}, headers=host.headers
    )
    person = client.get(f"{API}/members/{host.id}", headers=accounts["coordinator"].headers).json[
        "person"
    ]
    exported = json.loads(runner.invoke("person", "export", str(person)).output)
    (hosted,) = exported["plugins"]["skillshare"]["workshops_hosted"]
    assert hosted["description"].startswith("Bring your own bike") and hosted["state"] == "held"
    month = api.Period.month_of(api.today())
    with app.app_context():
        before = metrics.compute(api.get_session(), [month])
    assert runner.invoke("person", "erase", str(person), "--yes").exit_code == 0
    after = client.get(f"{WORKSHOPS}/{shown['id']}", headers=ana.headers).json
    assert (after["title"], after["description"], after["attended"]) == ("", "", 1)
    with app.app_context():
        assert metrics.compute(api.get_session(), [month]) == before
    assert runner.invoke("skillshare", "check").exit_code == 0


def test_without_a_mail_server_a_cancellation_lists_everyone_to_phone(
    client, make_member, accounts
):
    host, ana = make_member("Hal"), make_member("Ana")
    coordinator = accounts["coordinator"].headers
    client.patch(f"{API}/members/{ana.id}", json={"email": "ana@example.org"}, headers=coordinator)
    shown = offer(client, host)
    sign_up(client, shown["id"], ana)
    done = client.post(
        f"{WORKSHOPS}/{shown['id']}/cancel",
        json={"reason": "The hall flooded"},
        headers=coordinator,
    )
    assert done.status_code == 200, done.json
    assert done.json["emailed"] == [] and [p["member"] for p in done.json["to_phone"]] == [ana.id]
    assert "mail is not configured" in done.json["not_sent"][0]
    assert done.json["workshop"]["state"] == "cancelled"  # made all the same
