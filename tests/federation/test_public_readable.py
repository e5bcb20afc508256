"""``/public`` of a plugin declared before labels existed (the test plugin): a month is
compared with the same month a year before, the month under way is marked partial and
never compared, a suppressed count says "fewer than N" with its reason, and a count of
people still settling says when it is published."""

from __future__ import annotations

import datetime as dt
import re

from hub import create_app
from hub.db import database


def day(date: str, repairs: int, visitors: int) -> dict[str, object]:
    return {
        "date": date,
        "repairs": repairs,
        "fixed": 1,
        "waste_prevented_g": 2_500,
        "visitors": visitors,
    }


def test_same_month_last_year_partial_month_and_suppressed_cells(network, clock):
    clock.set(dt.date(2025, 12, 9))  # November has settled (a week after it ended)
    town = network.hub("town")
    town.days(
        [
            day("2024-11-09", 20, 12),
            day("2025-11-08", 25, 3),  # three visitors: published as suppressed
            day("2025-12-01", 2, 6),  # December has only begun
        ]
    )
    town.cli("federation", "publish", "--offline")
    app = create_app(instance_path=town.path)
    try:
        html = app.test_client().get("/public").get_data(as_text=True)
    finally:
        database(app).engine.dispose()
    table = html[html.index('class="figures-table"') :]
    repairs = re.search(r"Items brought for repair.*?</tr>", table, re.S).group(0)
    assert re.findall(r"<td>(.*?)</td>", repairs) == ["25", "20", "up 25%"]
    visitors = re.search(r"Visitors <span class=\"unit\">\(people\).*?</tr>", table, re.S).group(0)
    assert re.findall(r"<td>(.*?)</td>", visitors) == ["fewer than 5", "10", "no comparison"]
    assert "Fewer than 5: counts of people or households below 5 are not published" in html
    assert "Dec 2025 (so far, to 9 Dec)" in html and "December 2025 is not over" in html
    assert "the table compares November 2025" in html
    every_month = html[html.index("Every month") :]
    assert "Jan 2025" in every_month and "Dec 2024" not in every_month  # twelve months
    assert every_month.count("no figures") == 10 * 4  # January to October: nothing held
    december = re.search(r"Visitors.*?</tr>", every_month, re.S).group(0)
    assert re.findall(r"<td[^>]*>(.*?)</td>", december)[-1] == "published 8 Jan"
