"""An aggregator's /public lists the network's needs: which towns' food banks are short
of what, what their tool libraries ask to be given, and which time banks have requests
nobody has answered, from the ``needed`` figures the towns publish (1 = needed)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from hub.testing import create_account

LOW_AT = {"baby": 1000, "tinned_veg": 1000}  # grams; no other category has a level


def donate(town, lines):
    volunteer = create_account(town.app, "volunteer")
    body = {"received_on": "2025-12-01", "donor_type": "public", "lines": lines}
    response = town.app.test_client().post(
        "/api/v1/foodbank/donations", json=body, headers=volunteer.headers
    )
    assert response.status_code == 201, response.json


def needs_listed(page: str) -> list[str]:
    """The lines of /public's network needs list, as a person reads them."""
    heading = page.index('id="needs-heading"')
    needs = page[heading : page.index("</section>", heading)]
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", needs)]


def test_the_network_needs_list_says_which_towns_need_what(places, clock):
    network = places("network", plugins=[], demo=False, serve=True)
    stock = {
        "aberdare": [{"category": "baby", "grams": 500}, {"category": "tinned_veg", "grams": 5000}],
        "bangor": [{"category": "baby", "grams": 200}, {"category": "tinned_veg", "grams": 100}],
        "carlisle": [
            {"category": "baby", "grams": 9000},
            {"category": "tinned_veg", "grams": 9000},
        ],
    }
    for name, lines in stock.items():
        town = places(
            name,
            town=name.title(),
            region="Cumbria" if name == "carlisle" else "Wales",
            plugins=["foodbank"],
            demo=False,
            foodbank={"low_stock_grams": LOW_AT},
        )
        donate(town, lines)
        town.join(network)
        town.publish_and_push()

    items = needs_listed(network.app.test_client().get("/public").text)
    assert items == [
        "Baby food and nappies: Aberdare (Wales), Bangor (Wales)",
        "Tinned vegetables and beans: Bangor (Wales)",
    ]
    # The network's totals count the food banks that need each kind of food.
    totals = csv.DictReader(io.StringIO(network.app.test_client().get("/public/network.csv").text))
    december = {row["metric"]: row["total"] for row in totals if row["period"] == "2025-12"}
    assert (december["needed.baby"], december["needed.tinned_veg"], december["needed.cereal"]) == (
        "2",
        "1",
        "0",
    )

    # In January, December's needs are still last month's; by February they are stale.
    clock.set(dt.date(2026, 1, 20))
    assert 'id="needs-heading"' in network.app.test_client().get("/public").text
    clock.set(dt.date(2026, 2, 3))
    assert 'id="needs-heading"' not in network.app.test_client().get("/public").text


def test_the_needs_list_shows_what_tool_libraries_want(places):
    network = places("network", plugins=[], demo=False, serve=True)
    wanted = {"cardiff": ["drills", "sewing"], "swansea": ["sewing"]}
    for name, categories in wanted.items():
        town = places(name, town=name.title(), region="Wales", plugins=["toollibrary"], demo=False)
        coordinator = create_account(town.app, "coordinator")
        for category in categories:
            response = town.app.test_client().post(
                "/api/v1/toollibrary/wanted",
                json={"category": category},
                headers=coordinator.headers,
            )
            assert response.status_code == 201, response.json
        town.join(network)
        town.publish_and_push()

    items = needs_listed(network.app.test_client().get("/public").text)
    assert items == [
        "Sewing machines and crafts: Cardiff (Wales), Swansea (Wales)",
        "Drills and drivers: Cardiff (Wales)",
    ]


def ask_for_help(town, skill, on):
    """A member of the town's time bank asks for help with ``skill`` on the day ``on``."""
    coordinator, user = (
        create_account(town.app, "coordinator"),
        create_account(town.app, "volunteer"),
    )
    client = town.app.test_client()
    member = {"name": "Ann Jones", "user": user.id}
    made = client.post("/api/v1/skillshare/members", json=member, headers=coordinator.headers)
    assert made.status_code == 201, made.json
    request = {"kind": "request", "skill": skill, "title": "Help with my garden"}
    asked = client.post("/api/v1/skillshare/listings", json=request, headers=user.headers)
    assert asked.status_code == 201, asked.json


def test_the_network_needs_list_shows_time_banks_requests_nobody_answered(places, clock):
    network = places("network", plugins=[], demo=False, serve=True)
    today = dt.date(2025, 12, 10)
    for name, asked_on in (("aberdare", dt.date(2025, 11, 1)), ("bangor", dt.date(2025, 12, 1))):
        town = places(name, town=name.title(), region="Wales", plugins=["skillshare"], demo=False)
        clock.set(asked_on)
        ask_for_help(town, "gardening", asked_on)
        clock.set(today)
        town.join(network)
        town.publish_and_push()
    items = needs_listed(network.app.test_client().get("/public").text)
    # Aberdare's request has waited 39 days; Bangor's only 9, under the 28 of the default.
    assert items == ["Gardening and outdoors: Aberdare (Wales)"]
