"""One impact summary per place: every service of a town added up, and on an aggregator
per town, per region and for the whole network, over the last twelve full months."""

from __future__ import annotations

import re

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
