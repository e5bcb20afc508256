"""Lending through the API: the rules at the counter, holds, reservations, renewals,
maintenance, and one loan per item whatever races or retries."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
import uuid


def test_a_loan_is_due_on_an_opening_day_and_comes_back(library, clock):
    drill = library.item(kit_parts=["battery", "charger"], deposit_pence=1000)
    ann = library.member()
    loan = library.lend(drill, ann)
    # Seven days from Wednesday 12 March is Wednesday 19 March, an opening day.
    assert loan["due_on"] == "2025-03-19"
    assert loan["deposit_pence"] == 1000
    assert library.ok("GET", f"/items/{drill['id']}")["availability"] == "on_loan"

    clock.set(dt.date(2025, 3, 15))
    back = library.give_back(loan, condition="fair")
    assert back["returned_on"] == "2025-03-15" and back["condition_in"] == "fair"
    assert back["deposit_returned"] is True and back["fine_pence"] == 0
    item = library.ok("GET", f"/items/{drill['id']}")
    assert item["availability"] == "available" and item["condition"] == "fair"


def test_a_due_date_on_a_closed_day_moves_to_the_next_opening_day(library, clock):
    ann = library.member()
    longer = library.ok(
        "POST", "/membership-types", {"name": "Ten days", "loan_days": 10, "borrowing_limit": 3}
    )
    bob = library.member("Bob Evans", type_id=longer["id"])
    # Wednesday 12 March + 10 days is Saturday 22 March (open); + 7 from Thursday is a
    # Thursday (closed): Saturday.
    assert library.lend(library.item("Jigsaw", "saws_power"), bob)["due_on"] == "2025-03-22"
    clock.set(dt.date(2025, 3, 13))
    assert library.lend(library.item("Sander", "sanders"), ann)["due_on"] == "2025-03-22"


def test_what_the_counter_refuses(library, accounts):
    drill = library.item()
    ann, bob = library.member(), library.member("Bob Evans")
    pending = library.member("Cat Price", approve=False)
    library.lend(drill, ann)

    taken = library.check_out(drill, bob)
    assert taken.status_code == 409
    assert f"on loan to member {ann['code']}" in taken.json["error"]

    waiting = library.check_out(library.item("Saw", "hand_saws"), pending)
    assert waiting.status_code == 409 and "cannot borrow" in waiting.json["error"]

    unknown = library.check_out({"number": "NOPE1"}, ann)
    assert unknown.status_code == 422 and "item_number" in unknown.json["details"]

    # The limit of a Standard membership is two items out at once.
    library.lend(library.item("Ladder", "ladders"), ann)
    third = library.check_out(library.item("Level", "measuring"), ann)
    assert third.status_code == 409 and "limit" in third.json["error"]

    # Restricted items go out only with a coordinator.
    tower = library.item("Scaffold tower", "ladders", restricted=True)
    assert library.check_out(tower, bob).status_code == 409
    assert library.check_out(tower, bob, role="coordinator").status_code == 201

    # Backdating is for staff.
    earlier = {"out_on": "2025-03-10"}
    saw = library.item("Tenon saw", "hand_saws")
    volunteer = library.check_out(saw, library.member("Dai Owen"), **earlier)
    assert volunteer.status_code == 422 and "out_on" in volunteer.json["details"]
    backdated = library.check_out(saw, library.member("Eve Hughes"), role="coordinator", **earlier)
    assert backdated.status_code == 201, backdated.json
    assert backdated.json["backdated"] is True and backdated.json["due_on"] == "2025-03-19"

    viewer = library.check_out(library.item("Clamp", "spanners"), bob, role="viewer")
    assert viewer.status_code == 403


def test_bad_input_is_a_clear_422(library):
    cases = [
        ("/items", {"name": "Drill", "category": "nonsense"}, "category"),
        ("/items", {"name": "x" * 10_000, "category": "drills"}, "name"),
        ("/items", {"name": "Drill", "category": "drills", "deposit_pence": 12.5}, "deposit_pence"),
        ("/items", {"name": "Drill", "category": "drills", "deposit_pence": "12"}, "deposit_pence"),
        ("/items", {"name": "Drill", "category": "drills", "kit_parts": ["a", "a"]}, "kit_parts"),
        ("/loans", {"item_number": "T" * 10_000, "member_code": "M1"}, "item_number"),
        (
            "/members",
            {"membership_type_id": 1, "name": "Ann", "agreement_accepted": False},
            "agreement_accepted",
        ),
        (
            "/members",
            {"membership_type_id": 99, "name": "Ann", "agreement_accepted": True},
            "membership_type_id",
        ),
        ("/membership-types", {"name": "Free", "loan_days": 0}, "loan_days"),
    ]
    for path, body, field in cases:
        response = library.call("POST", path, body)
        assert response.status_code == 422, (path, body, response.json)
        assert field in response.json["details"], (path, body, response.json)
    assert library.call("GET", "/items?page=99999999999999999999").status_code == 422
    assert library.call("GET", "/items/99999999999999999999").status_code == 404


def test_a_retried_check_out_makes_one_loan(library):
    drill, ann = library.item(), library.member()
    body = {"item_number": drill["number"], "member_code": ann["code"]}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = library.call("POST", "/loans", body, "volunteer", **key)
    again = library.call("POST", "/loans", body, "volunteer", **key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json["id"] == again.json["id"]
    bob = library.member("Bob Evans")
    other = {"item_number": drill["number"], "member_code": bob["code"]}
    assert library.call("POST", "/loans", other, "volunteer", **key).status_code == 409
    assert library.ok("GET", f"/loans?item_id={drill['id']}")["total"] == 1


def test_two_volunteers_lending_one_item_at_once_make_one_loan(library, live_server):
    """Eight counters lend the same drill to eight members at the same moment, each with
    its own key: the partial unique index on open loans lets exactly one through."""
    drill = library.item()
    members = [library.member(f"Member {n}") for n in range(8)]
    start = threading.Barrier(len(members))
    statuses: list[int] = []

    def lend(member: dict) -> None:
        body = json.dumps({"item_number": drill["number"], "member_code": member["code"]})
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/toollibrary/loans",
            data=body.encode(),
            method="POST",
            headers={
                **library.accounts["volunteer"].headers,
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=lend, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert library.ok("GET", f"/loans?item_id={drill['id']}")["total"] == 1


def test_missing_parts_open_a_ticket_and_the_item_leaves_circulation(library, clock):
    drill = library.item(kit_parts=["battery", "charger", "bit set"])
    ann, bob = library.member(), library.member("Bob Evans")
    loan = library.lend(drill, ann)
    wrong = library.call(
        "POST", f"/loans/{loan['id']}/return", {"condition": "good", "missing_parts": ["hat"]}
    )
    assert wrong.status_code == 422 and "missing_parts" in wrong.json["details"]
    back = library.give_back(loan, missing_parts=["charger"], note="Case cracked")
    assert back["missing_parts"] == ["charger"]
    (ticket,) = library.ok("GET", f"/tickets?item_id={drill['id']}&open=true")["items"]
    assert "charger" in ticket["problem"] and "Case cracked" in ticket["problem"]
    assert library.ok("GET", f"/items/{drill['id']}")["availability"] == "in_repair"
    refused = library.check_out(drill, bob)
    assert refused.status_code == 409 and "maintenance" in refused.json["error"]

    library.ok(
        "PATCH", f"/tickets/{ticket['id']}", {"status": "closed", "resolution": "New charger"}
    )
    assert library.ok("GET", f"/items/{drill['id']}")["availability"] == "available"
    library.lend(drill, bob)
    history = library.ok("GET", f"/tickets?item_id={drill['id']}")["items"]
    assert [t["status"] for t in history] == ["closed"]


def test_the_holds_queue(library, clock, runner):
    drill = library.item()
    ann, bob, cat = library.member(), library.member("Bob Evans"), library.member("Cat Price")
    loan = library.lend(drill, ann)
    first = library.ok("POST", "/holds", {"item_id": drill["id"], "member_id": bob["id"]})
    clock.advance(days=1)
    second = library.ok("POST", "/holds", {"item_id": drill["id"], "member_id": cat["id"]})
    assert first["status"] == second["status"] == "waiting"
    twice = library.call("POST", "/holds", {"item_id": drill["id"], "member_id": bob["id"]})
    assert twice.status_code == 409

    # Renewing is a request while someone waits.
    assert library.ok("POST", f"/loans/{loan['id']}/renew")["status"] == "requested"

    clock.set(dt.date(2025, 3, 15))
    library.give_back(loan)
    holds = library.ok("GET", f"/holds?item_id={drill['id']}")["items"]
    assert [(h["member_id"], h["status"]) for h in holds] == [
        (bob["id"], "ready"),
        (cat["id"], "waiting"),
    ]
    assert holds[0]["expires_on"] == "2025-03-22"  # hold_days: 7
    # Put aside for Bob: Cat cannot have it, Bob can.
    assert library.check_out(drill, cat).status_code == 409

    # Bob never comes: the hold expires and passes to Cat.
    clock.set(dt.date(2025, 3, 23))
    expired = runner.invoke("toollibrary", "expire-holds")
    assert expired.exit_code == 0 and "1 hold expired" in expired.output
    holds = library.ok("GET", f"/holds?item_id={drill['id']}")["items"]
    assert [(h["member_id"], h["status"]) for h in holds] == [
        (bob["id"], "expired"),
        (cat["id"], "ready"),
    ]
    loan = library.lend(drill, cat)
    assert library.ok("GET", f"/holds?item_id={drill['id']}&status=collected")["total"] == 1


def test_renewals_within_the_limit_and_requests_beyond_it(library, clock):
    drill, ann = library.item(), library.member()
    loan = library.lend(drill, ann)
    renewed = library.ok("POST", f"/loans/{loan['id']}/renew", role="volunteer")
    assert renewed["status"] == "approved" and renewed["new_due_on"] == "2025-03-26"
    # The limit of a Standard membership is one renewal: the next is a request.
    request = library.ok("POST", f"/loans/{loan['id']}/renew", role="volunteer")
    assert request["status"] == "requested"
    assert library.call("POST", f"/loans/{loan['id']}/renew").status_code == 409
    decision = f"/renewals/{request['id']}/decision"
    assert library.call("POST", decision, {"approve": True}, role="volunteer").status_code == 403
    approved = library.ok("POST", decision, {"approve": True})
    assert approved["status"] == "approved" and approved["new_due_on"] == "2025-04-02"
    assert library.ok("GET", f"/loans/{loan['id']}")["due_on"] == "2025-04-02"
    assert library.call("POST", decision, {"approve": False}).status_code == 409


def test_reservations_keep_their_buffer_days(library):
    gazebo, ann, bob = library.item("Gazebo", "gazebos"), library.member(), library.member("Bob")
    booking = {"item_id": gazebo["id"], "member_id": ann["id"]}
    saturday = library.ok(
        "POST", "/reservations", {**booking, "starts_on": "2025-03-22", "ends_on": "2025-03-23"}
    )
    assert saturday["status"] == "booked"
    for starts_on, ends_on in [
        ("2025-03-23", "2025-03-25"),
        ("2025-03-24", "2025-03-24"),
        ("2025-03-20", "2025-03-21"),
    ]:
        clash = library.call(
            "POST",
            "/reservations",
            {
                "item_id": gazebo["id"],
                "member_id": bob["id"],
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
        assert clash.status_code == 409, (starts_on, ends_on)
    # One buffer day between bookings: the 25th is free.
    library.ok(
        "POST",
        "/reservations",
        {
            "item_id": gazebo["id"],
            "member_id": bob["id"],
            "starts_on": "2025-03-25",
            "ends_on": "2025-03-26",
        },
    )
    past = library.call(
        "POST", "/reservations", {**booking, "starts_on": "2025-03-01", "ends_on": "2025-03-02"}
    )
    assert past.status_code == 422 and "starts_on" in past.json["details"]

    # Lent today to someone else, the gazebo is due back before Ann's booking and its buffer.
    loan = library.lend(gazebo, library.member("Cat Price"))
    assert loan["due_on"] == "2025-03-19"
    library.ok("POST", f"/reservations/{saturday['id']}/cancel")
    assert library.call("POST", f"/reservations/{saturday['id']}/cancel").status_code == 409


def test_a_booking_brings_a_loans_due_date_forward(library):
    gazebo, ann, bob = library.item("Gazebo", "gazebos"), library.member(), library.member("Bob")
    library.ok(
        "POST",
        "/reservations",
        {
            "item_id": gazebo["id"],
            "member_id": ann["id"],
            "starts_on": "2025-03-16",
            "ends_on": "2025-03-17",
        },
    )
    # Due by the 14th: the 15th is the buffer day before Ann's booking.
    assert library.lend(gazebo, bob)["due_on"] == "2025-03-14"


def test_fines_for_late_returns_when_the_library_charges_them(make_app, make_library, clock):
    library = make_library(make_app(toollibrary={"fine_pence_per_day": 50}))
    drill = library.item(replacement_value_pence=200)
    loan = library.lend(drill, library.member())
    clock.set(dt.date(2025, 3, 22))  # three days late
    assert library.give_back(loan)["fine_pence"] == 150
    loan = library.lend(drill, library.member("Bob Evans"))
    clock.set(dt.date(2025, 4, 26))  # far too late: the fine stops at the item's value
    assert library.give_back(loan)["fine_pence"] == 200
