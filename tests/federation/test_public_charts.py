"""The charts on ``/public`` as a phone lays them out: with the large figures a busy
network publishes and the month under way drawn last, no label is cut off at the edge
of its chart (axis figures, month names, "so far")."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.testing import CLIPPED_CHART_LABELS

pytestmark = [pytest.mark.multiprocess, pytest.mark.browser]


def months_back(today: dt.date, count: int) -> list[dt.date]:
    first = today.replace(day=1)
    found = [first]
    while len(found) < count:
        found.append((found[-1] - dt.timedelta(days=1)).replace(day=1))
    return found[::-1]


def test_chart_labels_stay_inside_their_charts_on_a_phone(network, browser):
    town = network.hub("town")
    today = dt.date.today()
    town.days(
        [
            {
                "date": month.isoformat(),
                "repairs": 1_200_000 + 90_000 * n,
                "fixed": 600_000,
                "waste_prevented_g": 2_400_000_000,
                "visitors": 1_000,
            }
            for n, month in enumerate(months_back(today, 12))
        ]
    )
    town.cli("federation", "publish", "--offline")
    network.serve(town)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{town.url}/public")
        assert page.locator("svg.chart").count() > 0
        assert "so far" in page.locator("svg.chart").first.inner_html()
        assert page.evaluate(CLIPPED_CHART_LABELS) == []
    finally:
        context.close()
