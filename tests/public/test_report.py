"""The evidence report of a three-town network: the PDF's headline figures equal the
network's totals of the towns' own summaries, and every summary behind them verifies."""

from __future__ import annotations

import io
import json
import re

from click.testing import CliRunner
from pypdf import PdfReader

from hub.cli import cli

RANGE = "from=2024-12&to=2025-11"
MONTHS = ["2024-12", *(f"2025-{m:02d}" for m in range(1, 12))]


def total(places, plugin: str, names: list[str]) -> int:
    return sum(
        value
        for place in places
        for summary in place.summaries()
        if summary["plugin"] == plugin and summary["period"] in MONTHS
        for name, value in summary["metrics"].items()
        if name.split(".")[0] in names
    )


def pdf_text(client, query: str) -> str:
    response = client.get(f"/public/report.pdf?{query}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def headline(text: str, label: str, unit: str) -> str:
    found = re.search(rf"([\d,]+) {re.escape(unit)} · {re.escape(label)}", text)
    assert found, (label, text[:2000])
    return found.group(1)


def test_the_pdf_of_a_three_town_network_adds_up_to_the_network_totals(three_towns, tmp_path):
    client = three_towns.network.app.test_client()
    towns = list(three_towns.towns.values())
    text = pdf_text(client, RANGE)
    assert "The whole network: evidence, Dec 2024 to Nov 2025" in text
    kg = round(total(towns, "foodbank", ["grams_distributed"]) / 1000)
    assert headline(text, "Food given out", "kg") == f"{kg:,}"
    assert (
        headline(text, "Food parcels given", "parcels")
        == f"{total(towns, 'foodbank', ['parcels']):,}"
    )
    assert (
        headline(text, "Items repaired", "items")
        == f"{total(towns, 'repaircafe', ['items_fixed']):,}"
    )
    for heading in (
        "Trends, service by service",
        "Reasons for referral",
        "Method",
        "Disclosure control",
        "The services behind these figures",
    ):
        assert heading in text, heading
    assert "hub federation verify evidence.json" in text
    assert "Aberdare" in text and "Bangor" in text and "Carlisle" in text

    # Wales alone: Aberdare and Bangor, not Carlisle.
    wales = pdf_text(client, RANGE + "&area=region:Wales")
    welsh = [three_towns.towns["aberdare"], three_towns.towns["bangor"]]
    assert (
        headline(wales, "Food given out", "kg")
        == f"{round(total(welsh, 'foodbank', ['grams_distributed']) / 1000):,}"
    )
    assert (
        headline(wales, "Items repaired", "items")
        == f"{total(welsh, 'repaircafe', ['items_fixed']):,}"
    )

    # The appendix's summaries are every town summary of those months, and verify.
    evidence = client.get(f"/public/report/evidence.json?{RANGE}").json
    counted = [s for s in evidence["summaries"] if not s["comparison"]]
    expected = sum(1 for town in towns for s in town.summaries() if s["period"] in MONTHS)
    assert len(counted) == expected
    html = client.get(f"/public/report?{RANGE}").text
    assert all(s["digest"] in html for s in evidence["summaries"])
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(evidence))
    verified = CliRunner().invoke(cli, ["federation", "verify", str(path)])
    assert verified.exit_code == 0, verified.output
    assert (
        f"{len(evidence['summaries'])} of {len(evidence['summaries'])} summaries verified"
        in verified.output
    )

    # One figure changed after signing: the command says which, and fails.
    forged = evidence["summaries"][0]
    forged["signed"]["payload"] = forged["signed"]["payload"].replace(
        '"revision":1', '"revision":2'
    )
    path.write_text(json.dumps(evidence))
    refused = CliRunner().invoke(cli, ["federation", "verify", str(path)])
    assert refused.exit_code == 1 and "NOT VERIFIED" in refused.output


def test_a_bad_range_or_area_is_a_clear_error(places):
    town = places("aberdare", town="Aberdare", region="Wales", demo=False)
    client = town.app.test_client()
    for query, field in (
        ("from=May", "from"),
        ("from=2025-W07", "from"),
        ("from=2025-06&to=2025-01", "to"),
        ("from=2020-01&to=2025-01", "to"),
        ("area=town:Nowhere", "area"),
    ):
        for path in ("/public/report.pdf", "/public/report/evidence.json"):
            answer = client.get(f"{path}?{query}")
            assert answer.status_code == 400 and field in answer.json["details"], (path, query)
        page = client.get(f"/public/report?{query}")
        assert page.status_code == 400 and f"{field}: " in page.text
    empty = client.get("/public/report").text
    assert "No signed figures for this area and these months." in empty
