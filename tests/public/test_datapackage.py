"""/public/datapackage.json describes the open-data downloads as a Frictionless data
package, and the downloads, fetched from a served hub, validate against it."""

from __future__ import annotations

import csv
import io

from frictionless import Package, validate


def test_a_towns_data_package_validates_with_its_downloads(places):
    town = places("aberdare", town="Aberdare", region="Wales", plugins=["foodbank"], serve=True)
    town.cli("federation", "publish", "--offline")
    report = validate(f"{town.url}/public/datapackage.json")
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "message"])
    package = Package(f"{town.url}/public/datapackage.json")
    assert [r.name for r in package.resources] == ["summaries", "summaries-signed", "definitions"]
    rows = package.get_resource("summaries").read_rows()
    assert rows and all(isinstance(row["value"], int) or row["suppressed"] for row in rows)
    # The dictionary names every figure the CSV carries, with its label and unit.
    definitions = {
        row["metric"]: row
        for row in csv.DictReader(
            io.StringIO(town.app.test_client().get("/public/definitions.csv").text)
        )
    }
    assert {row["metric"] for row in rows} <= set(definitions)
    food = definitions["grams_distributed"]
    assert (food["label"], food["unit"], food["shown_unit"], food["shown_divisor"]) == (
        "Food given out",
        "grams",
        "kg",
        "1000",
    )
    assert definitions["referrals.nrpf"]["code_label"] == "No recourse to public funds"


def test_an_aggregators_data_package_adds_the_network_totals(three_towns):
    aggregator = three_towns.network
    report = validate(f"{aggregator.url}/public/datapackage.json")
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "message"])
    names = [
        r["name"]
        for r in aggregator.app.test_client().get("/public/datapackage.json").json["resources"]
    ]
    assert names == ["summaries", "summaries-signed", "definitions", "network", "network-totals"]
    # The network's widgets chart its totals.
    chart = aggregator.app.test_client().get("/embed/chart/foodbank/grams_distributed")
    assert chart.status_code == 200 and "Food bank: Food given out (kg)" in chart.text
    assert aggregator.app.test_client().get("/embed/chart/foodbank/nothing").status_code == 404
