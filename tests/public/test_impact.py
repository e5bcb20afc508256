"""One impact summary per place: every service of a town added up, and on an aggregator
per town, per region and for the whole network, over the last twelve full months."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from hub.testing import create_account

LAST_TWELVE = ["2024-12", *(f"2025-{m:02d}" for m in range(1, 12))]


def added_up(places, plugin: str, names: list[str]) -> int:
    return sum(
        value
        for place in places
        for summary in place.summaries()
        if summary["plugin"] == plugin and summary["period"] in LAST_TWELVE
        for name, value in summary["metrics"].items()
        if name in names or name.split(".")[0] in names
    )


def impact_row(html: str, place: str) -> list[str]:
    table = html[html.index('class="impact-table"') :]
    row = re.search(rf"<th scope=\"row\">{place}\b.*?</tr>", table, re.S).group(0)
    return [cell.split("<br>")[0] for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]


def impact_columns(html: str) -> list[str]:
    table = html[html.index('class="impact-table"') :]
    head = table[: table.index("</thead>")]
    return re.findall(r"<th scope=\"col\">(.*?)</th>", head)[1:]


def test_the_network_towns_and_regions_each_get_one_summary(three_towns):
    towns = three_towns.towns
    html = three_towns.network.app.test_client().get("/public").text
    assert "Impact, Dec 2024 to Nov 2025" in html
    columns = impact_columns(html)
    assert columns[:3] == [
        "Food parcels given (parcels)",
        "People fed (each time) (people)",
        "Food given out (kg)",
    ]
    food = columns.index("Food given out (kg)")
    repaired = columns.index("Items repaired (items)")

    def kg(places):
        return f"{round(added_up(places, 'foodbank', ['grams_distributed']) / 1000):,}"

    every = list(towns.values())
    wales = [towns["aberdare"], towns["bangor"]]
    assert impact_row(html, "The whole network")[food] == kg(every)
    assert impact_row(html, "Wales")[food] == kg(wales)
    assert impact_row(html, "Aberdare")[food] == kg([towns["aberdare"]])
    assert impact_row(html, "Cumbria")[food] == "none"  # a repair café only
    fixed = added_up(every, "repaircafe", ["items_fixed"])
    assert impact_row(html, "The whole network")[repaired] == f"{fixed:,}"
    people = added_up(every, "foodbank", ["adults_fed", "children_fed"])
    assert (
        impact_row(html, "The whole network")[columns.index("People fed (each time) (people)")]
        == f"{people:,}"
    )
    assert 'The whole network <span class="muted">(3 groups)' in html
    assert 'Wales <span class="muted">(2 groups)' in html


def test_a_town_sums_its_own_services(places):
    town = places("aberdare", town="Aberdare", region="Wales")
    town.cli("federation", "publish", "--offline")
    html = town.app.test_client().get("/public").text
    columns = impact_columns(html)
    assert "Waste prevented (kg)" in columns and "Food given out (kg)" in columns
    (row,) = re.findall(r"<tr class=\"place-(\w+)\">", html)
    assert row == "instance"
    parcels = added_up([town], "foodbank", ["parcels"])
    assert (
        impact_row(html, "Aberdare")[columns.index("Food parcels given (parcels)")]
        == f"{parcels:,}"
    )


def test_a_tool_librarys_loans_and_purchases_avoided(places, clock):
    """An autumn at a small tool library, entered as its volunteers would: four members,
    four things, nine loans; a member borrowing the same kind of thing again avoids no
    second purchase."""
    town = places("cardiff", town="Cardiff", region="Wales", plugins=["toollibrary"], demo=False)
    accounts = {role: create_account(town.app, role) for role in ("coordinator", "volunteer")}
    client = town.app.test_client()

    def call(path: str, body: dict, role: str = "coordinator") -> dict:
        headers = {**accounts[role].headers, "Idempotency-Key": uuid.uuid4().hex}
        response = client.post(f"/api/v1/toollibrary{path}", json=body, headers=headers)
        assert response.status_code in (200, 201), response.json
        return response.json

    clock.set(dt.date(2025, 9, 3))
    kind = call("/membership-types", {"name": "Standard", "fee_pence": 1000, "loan_days": 7})
    things = {
        name: call("/items", {"name": name, "category": category, "replacement_value_pence": value})
        for name, category, value in (
            ("Cordless drill", "drills", 8900),
            ("Step ladder", "ladders", 6500),
            ("Wallpaper steamer", "wallpaper", 4500),
            ("Gazebo 3x3m", "gazebos", 12000),
        )
    }
    members = {}
    for name in ("Ann Jones", "Bob Evans", "Cat Price", "Dai Morgan"):
        applied = call(
            "/members",
            {"membership_type_id": kind["id"], "name": name, "agreement_accepted": True},
            role="volunteer",
        )
        members[name] = call(f"/members/{applied['id']}/status", {"status": "approved"})
    loans = [  # (day, member, thing): each comes back two days later
        ("2025-09-06", "Ann Jones", "Cordless drill"),
        ("2025-09-13", "Bob Evans", "Step ladder"),
        ("2025-09-20", "Ann Jones", "Cordless drill"),  # again: no second purchase
        ("2025-10-04", "Cat Price", "Wallpaper steamer"),
        ("2025-10-11", "Ann Jones", "Step ladder"),
        ("2025-10-18", "Dai Morgan", "Gazebo 3x3m"),
        ("2025-11-01", "Bob Evans", "Cordless drill"),
        ("2025-11-08", "Cat Price", "Wallpaper steamer"),  # again
        ("2025-11-15", "Dai Morgan", "Cordless drill"),
    ]
    for day, member, thing in loans:
        clock.set(dt.date.fromisoformat(day))
        body = {"item_number": things[thing]["number"], "member_code": members[member]["code"]}
        loan = call("/loans", body, role="volunteer")
        clock.advance(days=2)
        call(f"/loans/{loan['id']}/return", {"condition": "good"}, role="volunteer")

    clock.set(dt.date(2025, 12, 10))
    town.cli("federation", "publish", "--offline")
    html = town.app.test_client().get("/public").text
    columns = impact_columns(html)
    row = impact_row(html, "Cardiff")
    assert row[columns.index("Loans (loans)")] == "9"
    assert row[columns.index("Purchases avoided (purchases)")] == "7"
    assert added_up([town], "toollibrary", ["loans"]) == 9


def test_a_time_banks_minutes_are_shown_as_hours(places):
    """A time bank's demo year: its minutes exchanged, in every category, add up to the
    hours its impact summary shows (minutes published, hours read)."""
    town = places("aberdare", town="Aberdare", region="Wales", plugins=["skillshare"])
    town.cli("federation", "publish", "--offline")
    html = town.app.test_client().get("/public").text
    columns = impact_columns(html)
    assert "Hours exchanged (hours)" in columns
    minutes = added_up([town], "skillshare", ["minutes_exchanged"])
    assert minutes > 100 * 60  # a year of a real time bank: hundreds of hours
    shown = impact_row(html, "Aberdare")[columns.index("Hours exchanged (hours)")]
    assert shown == f"{round(minutes / 60):,}"


def test_a_big_network_lists_the_towns_with_most_groups_and_the_report_every_town(
    three_towns, monkeypatch
):
    """/public lists a few towns (here two of three, the most groups first, then by
    name) and says how many more the report has; the network and region rows still
    count every town, and the report lists them all."""
    monkeypatch.setattr("hub.web.public.TOWNS_SHOWN", 2)
    client = three_towns.network.app.test_client()
    html = client.get("/public").text
    listed = re.findall(r'<tr class="place-town">\s*<th scope="row">(\w+)', html)
    assert listed == ["Aberdare", "Bangor"]
    assert "The 2 towns with the most groups are shown; 1 more is in the evidence report." in html
    assert 'The whole network <span class="muted">(3 groups)' in html
    every = list(three_towns.towns.values())
    fixed = added_up(every, "repaircafe", ["items_fixed"])
    repaired = impact_columns(html).index("Items repaired (items)")
    assert impact_row(html, "The whole network")[repaired] == f"{fixed:,}"
    report = client.get("/public/report").text
    for town in three_towns.towns.values():
        assert f'<th scope="row">{town.app.config["LOCALITY"]["town"]} (town)' in report
