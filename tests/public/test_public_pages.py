"""``/public`` on a town and on an aggregator reads as figures a person understands:
labels and units from the plugins' declarations, kg not grams, what each figure counts,
the window, the current month marked partial, no raw metric key anywhere."""

from __future__ import annotations

import csv
import io
import re

import pytest

from hub.testing import PHONE

RAW_WORDS = re.compile(r"\bgrams?\b", re.IGNORECASE)


def published_names(place) -> set[str]:
    """Every key the open data carries that is not also a word: plugin names, metric
    names with ``_`` and ``name.code`` (``parcels`` alone is English, and may be read)."""
    rows = csv.DictReader(io.StringIO(place.app.test_client().get("/public/summaries.csv").text))
    names = set()
    for row in rows:
        metric = row["metric"]
        names.update({metric, metric.split(".")[0], row["plugin"]})
    return {
        name for name in names if "_" in name or "." in name or name in ("foodbank", "repaircafe")
    }


def assert_readable(text: str, raw: set[str], grams: list[int]) -> None:
    for name in raw:
        assert not re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text), name
    assert not RAW_WORDS.search(text)
    for value in grams:
        assert f"{value:,}" not in text and str(value) not in text, value


def visible_text(html: str) -> str:
    return re.sub(
        r"\s+",
        " ",
        re.sub(r"<[^>]+>", " ", re.sub(r"<(svg|title)\b.*?</\1>", " ", html, flags=re.S)),
    )


def gram_figures(place) -> list[int]:
    """Every weight the town published (in grams) of more than a kilogram."""
    data = place.app.test_client().get("/public/summaries.json").json
    return [
        value
        for summary in data["summaries"]
        for name, value in summary["metrics"].items()
        if (name.startswith("grams_") or name.endswith("_g")) and value and value > 1000
    ]


@pytest.fixture
def aberdare(places):
    town = places("aberdare", town="Aberdare", region="Wales")
    town.cli("federation", "publish", "--offline")
    return town


def test_a_towns_page_reads_in_kg_with_labels_and_the_month_under_way_marked(aberdare):
    page = aberdare.app.test_client().get("/public")
    assert page.status_code == 200
    html = page.text
    summaries = aberdare.app.test_client().get("/public/summaries.json").json["summaries"]
    november = next(s for s in summaries if s["plugin"] == "foodbank" and s["period"] == "2025-11")[
        "metrics"
    ]
    # Food given out, in kg, to the kilogram; where the page says so.
    kg = f"{round(november['grams_distributed'] / 1000):,}"
    table = html[html.index('class="figures-table"') :]
    row = re.search(r"Food given out.*?</tr>", table, re.S).group(0)
    assert "(kg)" in row and f"<td>{kg}</td>" in row and "Total weight in the month" in row
    assert "Households helped" in html and "Different households in the month" in html
    assert "Food bank" in html and "Repair café" in html
    assert "the latest full month" in html and "November 2025" in html
    assert "Dec 2025 (so far, to 10 Dec)" in html
    assert "class='partial'" in html  # the chart draws December as an outline, not a drop
    assert "No recourse to public funds" in html and "Benefit delays" in html
    assert_readable(visible_text(html), published_names(aberdare), gram_figures(aberdare))


def test_an_aggregator_reads_its_members_figures_by_their_declarations(places):
    network = places("network", plugins=[], demo=False, serve=True)
    town = places("aberdare", town="Aberdare", region="Wales")
    town.join(network)
    town.publish_and_push()
    html = network.app.test_client().get("/public").text
    # The aggregator runs neither plugin: labels come from the town's descriptor.
    assert "The network" in html and "Food bank" in html and "(1 group)" in html
    assert "Food given out" in html and "Reasons for referral" in html
    assert_readable(visible_text(html), published_names(town), gram_figures(town))


@pytest.mark.browser
def test_no_public_page_shows_a_raw_key_or_grams_in_a_browser(places, browser):
    network = places("network", plugins=[], demo=False, serve=True)
    town = places("aberdare", town="Aberdare", region="Wales", serve=True)
    town.join(network)
    town.publish_and_push()
    raw, grams = published_names(town), gram_figures(town)
    for place in (town, network):
        context = browser.new_context(viewport=PHONE, base_url=place.url)
        page = context.new_page()
        page.goto("/public")
        for details in page.locator("details").all():
            details.locator("summary").click()  # every breakdown open, as a reader would
        text = page.locator("body").inner_text()
        assert "Food given out" in text
        assert_readable(text, raw, grams)
        context.close()
