"""/public/directory.json: the instance's services, locations and opening times as Open
Referral UK (HSDS) JSON, validated against the profile's own schema (copied into
tests/data/hsds, with its licence), and carrying nothing personal."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from hub import clock
from hub.testing import create_account

HSDS = Path(__file__).parent.parent / "data" / "hsds"
SERVICE = Draft202012Validator(
    json.loads((HSDS / "service.json").read_text()), format_checker=FormatChecker()
)
LISTED = Draft202012Validator(
    json.loads((HSDS / "service_list.json").read_text()), format_checker=FormatChecker()
)
PAGE = Draft202012Validator(
    json.loads((HSDS / "openapi.json").read_text())["components"]["schemas"]["Page"]
)
HALL = {
    "name": "Capel Bethel & Vestry",
    "address": "12 Bridge Street\nRiverside",
    "postcode": "cf10 1aa",
    "notes": "Key from Mrs Jenkins, 07700 900123",
    "opening_times": [
        {"weekday": 1, "opens": "10:00", "closes": "12:30"},
        {"weekday": 4, "opens": "17:00", "closes": "19:00"},
    ],
}


def assert_valid_hsds(document: dict[str, Any]) -> None:
    """The page is HSDS's Page, and every service in it validates as a full service and
    as an item of HSDS's list of services."""
    problems = [error.message for error in PAGE.iter_errors(document)]
    assert set(document) == {*PAGE.schema["properties"], "contents"}, document.keys()
    for service in document["contents"]:
        for schema in (SERVICE, LISTED):
            problems += [
                f"{list(e.absolute_path)}: {e.message}" for e in schema.iter_errors(service)
            ]
    assert not problems, problems
    assert document["total_items"] == document["size"] == len(document["contents"])


def strings_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(strings_in(each) for each in value.values()))
    if isinstance(value, list):
        return set().union(*(strings_in(each) for each in value))
    return {value} if isinstance(value, str) else set()


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def test_a_towns_directory_lists_its_services_at_its_locations(places):
    town = places(
        "aberdare", town="Aberdare", region="Wales", plugins=["foodbank", "repaircafe"], demo=False
    )
    client = town.app.test_client()
    coordinator = create_account(town.app, "coordinator")
    assert client.post("/api/v1/locations", json=HALL, headers=coordinator.headers).status_code
    closed = {**HALL, "name": "The Old Library", "active": False}
    assert client.post("/api/v1/locations", json=closed, headers=coordinator.headers).status_code

    response = client.get("/public/directory.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.json
    assert_valid_hsds(document)

    services = {service["name"]: service for service in document["contents"]}
    assert set(services) == {"Food bank", "Repair café"}
    food = services["Food bank"]
    assert food["organization"]["name"] == "Aberdare"
    assert food["organization"]["description"] == "Community services in Aberdare, Wales"
    places_named = [each["location"]["name"] for each in food["service_at_locations"]]
    assert HALL["name"] in places_named and "The Old Library" not in places_named
    hall = next(
        each for each in food["service_at_locations"] if each["location"]["name"] == HALL["name"]
    )
    assert hall["location"]["addresses"][0] | {"id": None, "location_id": None} == {
        "id": None,
        "location_id": None,
        "address_1": "12 Bridge Street, Riverside",
        "city": "Aberdare",
        "state_province": "Wales",
        "postal_code": "CF10 1AA",
        "country": "GB",
        "address_type": "physical",
    }
    at_hall = [s for s in food["schedules"] if s["service_at_location_id"] == hall["id"]]
    assert [(s["freq"], s["byday"], s["opens_at"], s["closes_at"]) for s in at_hall] == [
        ("WEEKLY", "TU", "10:00", "12:30"),
        ("WEEKLY", "FR", "17:00", "19:00"),
    ]
    assert at_hall[0]["description"] == "Every Tuesday, 10:00 to 12:30"
    # The same things keep their identifiers; the two services' do not collide.
    assert client.get("/public/directory.json").json == document
    ids = [s["id"] for s in document["contents"]]
    ids += [a["id"] for s in document["contents"] for a in s["service_at_locations"]]
    assert len(ids) == len(set(ids))


def test_the_directory_carries_nothing_personal(places):
    """Every text in it is the instance's own published name and place, a location's
    name and address, a service label, an identifier, a link or a time: never a
    location's private notes, a user or anyone a plugin holds."""
    town = places("bangor", town="Bangor", region="Wales", plugins=["foodbank", "toollibrary"])
    coordinator = create_account(town.app, "coordinator", "gwen.jones@example.org")
    client = town.app.test_client()
    client.post("/api/v1/locations", json=HALL, headers=coordinator.headers)
    document = client.get("/public/directory.json").json
    assert_valid_hsds(document)
    text = json.dumps(document)
    assert "Jenkins" not in text and "07700" not in text and "gwen" not in text.lower()

    with town.app.app_context():
        from hub.db import get_session
        from hub.models import Location

        published = set()
        for location in get_session().query(Location):
            published |= {location.name, location.postcode}
            published.add(", ".join(line.strip() for line in location.address.splitlines()))
    published |= {each["label"] for each in client.get("/.well-known/hub").json["plugins"]}
    published |= {"Bangor", "Wales", "GB", "Community services in Bangor, Wales"}
    published |= {"active", "physical", "WEEKLY"}
    times = re.compile(r"(MO|TU|WE|TH|FR|SA|SU|\d\d:\d\d|Every \w+day, \d\d:\d\d to \d\d:\d\d)")
    for text in strings_in(document) - published:
        assert is_uuid(text) or text == f"{town.url}/public" or times.fullmatch(text), text


def test_an_instance_with_no_location_lists_its_services_without_places(places):
    town = places("carlisle", town="", plugins=["repaircafe"], demo=False)
    document = town.app.test_client().get("/public/directory.json").json
    assert_valid_hsds(document)
    [service] = document["contents"]
    assert service["service_at_locations"] == [] and service["schedules"] == []
    assert service["organization"]["description"] == "Community services"


def test_a_hub_running_no_service_has_an_empty_directory(places):
    network = places("network", plugins=[], demo=False)
    document = network.app.test_client().get("/public/directory.json").json
    assert_valid_hsds(document)
    assert document["empty"] is True and document["contents"] == []


ODD_TEXT = st.text(
    st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=60
).filter(str.strip)
TIMES = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 22 * 60), st.integers(1, 120)).map(
        lambda t: (t[0], dt.time(t[1] // 60, t[1] % 60), t[2])
    ),
    max_size=6,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=ODD_TEXT, address=st.text(max_size=120), times=TIMES)
def test_any_location_a_coordinator_can_save_gives_a_valid_directory(
    app, accounts, name, address, times
):
    client = app.test_client()
    opening_times = []
    for weekday, opens, minutes in times:
        closes = (dt.datetime.combine(dt.date.min, opens) + dt.timedelta(minutes=minutes)).time()
        opening_times.append(
            {"weekday": weekday, "opens": opens.isoformat(), "closes": closes.isoformat()}
        )
    body = {"name": name, "address": address, "opening_times": opening_times}
    created = client.post("/api/v1/locations", json=body, headers=accounts["coordinator"].headers)
    if created.status_code != 201:  # the API's own rules refused it (a clear 4xx)
        assert created.status_code == 422, created.json
        return
    document = client.get("/public/directory.json").json
    assert_valid_hsds(document)
    for service in document["contents"]:
        mine = [
            each
            for each in service["service_at_locations"]
            if each["location"]["name"] == created.json["name"]
        ]
        assert mine
        schedules = {
            (s["byday"], s["opens_at"], s["closes_at"])
            for s in service["schedules"]
            if s["service_at_location_id"] in {each["id"] for each in mine}
        }
        assert {
            (
                "MOTUWETHFRSASU"[2 * t["weekday"] : 2 * t["weekday"] + 2],
                t["opens"][:5],
                t["closes"][:5],
            )
            for t in created.json["opening_times"]
        } <= schedules


def located(document: dict[str, Any]) -> dict[str, set[str]]:
    """Each service's name, with the names of the places the directory lists it at."""
    return {
        service["name"]: {each["location"]["name"] for each in service["service_at_locations"]}
        for service in document["contents"]
    }


def test_each_service_is_listed_where_it_runs(places):
    """A food bank is found where it gives parcels, a repair café where it meets (planned
    meetings too), a tool library where its things are kept; a plugin that does not say
    (the time bank) is listed everywhere; a place a service left over a year ago is not
    listed for it."""
    town = places(
        "cardigan",
        town="Cardigan",
        plugins=["foodbank", "repaircafe", "toollibrary", "skillshare"],
        demo=False,
    )
    client = town.app.test_client()
    coordinator = create_account(town.app, "coordinator").headers
    volunteer = create_account(town.app, "volunteer").headers
    place = {}
    for name in ("Capel Bethel", "The Guildhall", "Mwldan Shed", "Old Police Station"):
        created = client.post("/api/v1/locations", json={"name": name}, headers=coordinator)
        place[name] = created.json["id"]
    household = client.post(
        "/api/v1/foodbank/households", json={"code": "TEIFI1", "adults": 2}, headers=volunteer
    ).json["id"]
    today = clock.today()
    long_ago = today - dt.timedelta(days=400)
    for location, given_on in (("Capel Bethel", today), ("Old Police Station", long_ago)):
        parcel = {"household_id": household, "location_id": place[location]}
        given = client.post(
            "/api/v1/foodbank/parcels",
            json=parcel | {"given_on": given_on.isoformat()},
            headers=coordinator,
        )
        assert given.status_code == 201, given.json
    planned = {"date": (today + dt.timedelta(days=12)).isoformat()}
    event = client.post(
        "/api/v1/repaircafe/events",
        json=planned | {"location_id": place["The Guildhall"]},
        headers=coordinator,
    )
    assert event.status_code == 201, event.json
    drill = {"name": "Cordless drill", "category": "drills", "location_id": place["Mwldan Shed"]}
    item = client.post("/api/v1/toollibrary/items", json=drill, headers=coordinator)
    assert item.status_code == 201, item.json

    document = client.get("/public/directory.json").json
    assert_valid_hsds(document)
    assert located(document) == {
        "Food bank": {"Capel Bethel"},
        "Repair café": {"The Guildhall"},
        "Tool library": {"Mwldan Shed"},
        "Skill-share and time bank": set(place),
    }


def test_a_service_that_has_run_nowhere_yet_is_listed_at_every_place(places):
    """A new food bank, and a tool library whose only shelf is at a place now closed,
    are listed at every open place rather than nowhere."""
    town = places("ebbw", town="Ebbw Vale", plugins=["foodbank", "toollibrary"], demo=False)
    client = town.app.test_client()
    coordinator = create_account(town.app, "coordinator").headers
    for name, active in (("Hope Chapel", True), ("The Institute", True), ("Old Co-op", False)):
        body = {"name": name, "active": active}
        assert client.post("/api/v1/locations", json=body, headers=coordinator).status_code == 201
    closed = next(
        each["id"]
        for each in client.get("/api/v1/locations", headers=coordinator).json["items"]
        if each["name"] == "Old Co-op"
    )
    stored = {"name": "Gazebo", "category": "party", "location_id": closed}
    assert (
        client.post("/api/v1/toollibrary/items", json=stored, headers=coordinator).status_code
        == 201
    )

    assert located(client.get("/public/directory.json").json) == {
        "Food bank": {"Hope Chapel", "The Institute"},
        "Tool library": {"Hope Chapel", "The Institute"},
    }
