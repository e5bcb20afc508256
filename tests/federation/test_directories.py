"""An aggregator serves its members' service directories together: `hub federation
sync` fetches each member's /public/directory.json, reads it strictly and keeps it; one
member that cannot be reached or that lies about whose services it lists changes
nothing of the others'; a level above reads the towns' services through their region."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from hub.directory import page

pytestmark = pytest.mark.multiprocess

HSDS = Path(__file__).parent.parent / "data" / "hsds"
SERVICE = Draft202012Validator(
    json.loads((HSDS / "service.json").read_text()), format_checker=FormatChecker()
)


def hall(name: str, postcode: str, weekday: int) -> dict[str, object]:
    return {
        "name": name,
        "address": "1 High Street",
        "postcode": postcode,
        "notes": "Caretaker: Dai Evans, 07700 900456",
        "opening_times": [{"weekday": weekday, "opens": "10:00", "closes": "12:00"}],
    }


def services_of(hub) -> dict[str, dict[str, object]]:
    """The services an instance's directory lists, by organisation; each valid, once."""
    document = hub.get("/public/directory.json").json()
    assert not [e.message for s in document["contents"] for e in SERVICE.iter_errors(s)]
    ids = [service["id"] for service in document["contents"]]
    assert document["total_items"] == len(ids) == len(set(ids))
    return {service["organization"]["name"]: service for service in document["contents"]}


def test_an_aggregator_serves_its_members_directories_together(network, fake_peer):
    aggregator = network.hub("network", plugins=())
    aberdare = network.hub("aberdare", LOCALITY={"town": "Aberdare", "region": "Wales"})
    bangor = network.hub("bangor", LOCALITY={"town": "Bangor", "region": "Wales"})
    network.serve(aggregator, aberdare, bangor)
    for town, place in (
        (aberdare, hall("Vestry", "CF44 7AA", 1)),
        (bangor, hall("Neuadd", "LL57 1AA", 3)),
    ):
        created = httpx_post(town, "/api/v1/locations", place)
        assert created.status_code == 201, created.text
        token = aggregator.cli("federation", "invite", "--note", town.name).stdout.strip()
        town.cli("federation", "join", aggregator.url, token)

    # Before any sync the aggregator lists nothing of theirs.
    assert aggregator.get("/public/directory.json").json()["contents"] == []
    out = aggregator.cli("federation", "sync").stdout
    assert "directories: 2 fetched, 0 not" in out

    listed = services_of(aggregator)
    assert set(listed) == {"Aberdare", "Bangor"}
    assert [s["location"]["name"] for s in listed["Bangor"]["service_at_locations"]] == ["Neuadd"]
    assert [(s["byday"], s["opens_at"]) for s in listed["Bangor"]["schedules"]] == [("TH", "10:00")]
    assert listed["Aberdare"] == aberdare.get("/public/directory.json").json()["contents"][0]
    assert "Dai Evans" not in aggregator.get("/public/directory.json").text

    # Bangor goes offline: the aggregator keeps the directory it last read, and says so.
    bangor.stop()
    out = aggregator.cli("federation", "sync", ok=False).output
    assert "directories: 1 fetched, 1 not" in out and bangor.url in out
    assert set(services_of(aggregator)) == {"Aberdare", "Bangor"}

    # A followed instance that lists Aberdare's service as its own is refused whole.
    liar = fake_peer("Liar")
    aggregator.cli("federation", "follow", liar.url)
    stolen = copy.deepcopy(listed["Aberdare"])
    stolen["organization"]["name"] = "Liar"
    liar.feed_body = json.dumps({"items": [], "next": "", "more": False, **page([stolen])}).encode()
    out = aggregator.cli("federation", "sync", ok=False).output
    assert f"{liar.url}: service {stolen['id']} is not one of {liar.url}'s plugins" in out
    assert set(services_of(aggregator)) == {"Aberdare", "Bangor"}

    # And one whose directory is too big for its limit is refused before it is read.
    liar.feed_body = json.dumps(
        {"items": [], "next": "", "more": False, "padding": "x" * (3 * 1024 * 1024)}
    ).encode()
    out = aggregator.cli("federation", "sync", ok=False).output
    assert "over the 2097152-byte limit" in out
    assert set(services_of(aggregator)) == {"Aberdare", "Bangor"}


def test_directories_travel_up_a_network_of_networks(network, fake_peer):
    """A nation follows a region, which follows a town: the nation lists the town's
    services, read in the region's directory and checked against the town's own
    descriptor, which the region's signed statement vouched for. An aggregator that
    vouches for nobody cannot pass a town's service off through its directory."""
    town = network.hub("cardigan", LOCALITY={"town": "Cardigan", "region": "Ceredigion"})
    region = network.hub("ceredigion", plugins=())
    nation = network.hub("wales", plugins=())
    network.serve(town, region, nation)
    assert httpx_post(town, "/api/v1/locations", hall("Mwldan", "SA43 1JY", 5)).status_code == 201
    town.cli("federation", "publish")
    region.cli("federation", "follow", town.url)
    assert "directories: 1 fetched, 0 not" in region.cli("federation", "sync").stdout
    nation.cli("federation", "follow", region.url, "--aggregator")

    assert "directories: 1 fetched, 0 not" in nation.cli("federation", "sync").stdout
    from_town = town.get("/public/directory.json").json()["contents"]
    assert list(services_of(nation)) == ["Cardigan"]
    assert nation.get("/public/directory.json").json()["contents"] == from_town

    pretender = fake_peer("Pretender")
    nation.cli("federation", "follow", pretender.url, "--aggregator")
    pretender.feed_body = json.dumps(
        {"items": [], "next": "", "more": False, **page(from_town)}
    ).encode()
    out = nation.cli("federation", "sync", ok=False).output
    service = from_town[0]["id"]
    assert (
        f"{pretender.url}: service {service} is not one of {pretender.url}'s plugins"
        " or an instance it vouches for"
    ) in out
    assert nation.get("/public/directory.json").json()["contents"] == from_town


def httpx_post(hub, path, body):
    return httpx.post(hub.url + path, json=body, headers=hub.token(), timeout=10)
