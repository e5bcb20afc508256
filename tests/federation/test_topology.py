"""Towns push to a region, the region is relayed to a nation, a town is pulled directly
too: every level's totals equal the sum of the towns' own published figures."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.multiprocess

MONTHS = ["2025-01", "2025-02"]


def sessions(*rows: tuple[str, int, int, int, int]) -> list[dict[str, Any]]:
    return [
        {
            "date": day,
            "repairs": repairs,
            "fixed": fixed,
            "waste_prevented_g": grams,
            "visitors": people,
        }
        for day, repairs, fixed, grams, people in rows
    ]


TOWN_DAYS = {
    "aberdare": sessions(
        ("2025-01-11", 14, 9, 12_300, 21),
        ("2025-01-25", 11, 7, 8_150, 17),
        ("2025-02-08", 16, 12, 15_020, 22),
        ("2025-02-22", 9, 5, 4_400, 18),
    ),
    "bangor": sessions(
        ("2025-01-18", 7, 4, 3_200, 9),
        ("2025-02-15", 3, 2, 1_100, 3),  # three visitors: suppressed
    ),
    "cardigan": sessions(
        ("2025-01-04", 12, 8, 9_900, 16),
        ("2025-02-01", 10, 6, 7_250, 14),
        ("2025-02-28", 8, 8, 6_000, 12),
    ),
}


WEEKS_AND_MONTHS = {"aberdare": 4 + 2, "bangor": 2 + 2, "cardigan": 3 + 2}


def published(hub: Any) -> dict[str, dict[str, int | None]]:
    """A town's own figures for each month, as ``hub metrics --json`` reports them."""
    return {
        row["period"]: row["metrics"]
        for row in hub.json("metrics", "--json")
        if row["period"] in MONTHS
    }


def expected_total(cells: list[int | None], threshold: int = 5) -> int | None:
    """The documented rule: published cells are added; suppressed cells are never guessed,
    and the total is suppressed if they could add more than a tenth to it."""
    known = sum(value for value in cells if value is not None)
    hidden = sum(threshold - 1 for value in cells if value is None)
    return None if hidden * 10 > known else known


def test_towns_region_nation_totals_equal_the_towns_figures(network):
    region = network.hub("region", LOCALITY={"town": "", "region": "Wales", "country": "GB"})
    nation = network.hub("nation", LOCALITY={"town": "", "region": "", "country": "GB"})
    towns = {
        name: network.hub(name, LOCALITY={"town": name.title(), "region": "Wales", "country": "GB"})
        for name in TOWN_DAYS
    }
    for name, hub in towns.items():
        hub.days(TOWN_DAYS[name])
    cardigan = towns["cardigan"]
    network.serve(region, nation, cardigan)

    # Aberdare and Bangor sit behind home routers: they join the region and push.
    for name in ("aberdare", "bangor"):
        token = region.cli("federation", "invite", "--note", name).stdout.strip()
        towns[name].cli("federation", "join", region.url, token)
        refused = towns[name].cli("federation", "join", region.url, token, ok=False)
        assert refused.exit_code == 1 and "invalid, used or expired invite token" in refused.output
    for name, hub in towns.items():
        count = WEEKS_AND_MONTHS[name]
        assert f"Published: {count} new" in hub.cli("federation", "publish").stdout
    for name in ("aberdare", "bangor"):
        pushed = towns[name].cli("federation", "push").stdout
        assert "refused" in pushed and ", 0 refused" in pushed

    # Cardigan is reachable: the region pulls it, and the nation pulls it directly too.
    region.cli("federation", "follow", cardigan.url)
    region.cli("federation", "sync")
    nation.cli("federation", "follow", region.url, "--aggregator")
    nation.cli("federation", "follow", cardigan.url)
    first = nation.cli("federation", "sync").stdout
    assert "0 refused" in first

    figures = {name: published(hub) for name, hub in towns.items()}
    headers = nation.token()
    for month in MONTHS:
        expected = {
            metric: expected_total([figures[town][month][metric] for town in towns])
            for metric in ("repairs", "fixed", "waste_prevented_g", "visitors")
        }
        for level in (region, nation):
            answer = level.get(
                "/api/v1/network/totals",
                params={"plugin": "testmetrics", "period": month},
                headers=headers if level is nation else region.token(),
            ).json()
            assert answer["origins"] == 3
            assert answer["metrics"] == expected, (level.name, month)
    # February: Bangor's 3 visitors are suppressed; the others' 40 + 25 = 65 make the total safe.
    assert figures["bangor"]["2025-02"]["visitors"] is None
    february = nation.get(
        "/api/v1/network/totals",
        params={"plugin": "testmetrics", "period": "2025-02", "region": "Wales"},
        headers=headers,
    ).json()
    assert february["metrics"]["visitors"] == 65 and february["suppressed"] == {"visitors": 1}
    assert february["metrics"]["repairs"] == 16 + 9 + 3 + 10 + 8

    # A late correction to January in Aberdare: a new revision, relayed through the region.
    days = TOWN_DAYS["aberdare"] + sessions(("2025-01-30", 5, 5, 2_000, 6))
    towns["aberdare"].days(days)
    assert "1 revised" in towns["aberdare"].cli("federation", "publish").stdout
    towns["aberdare"].cli("federation", "push")
    region.cli("federation", "sync")
    nation.cli("federation", "sync")
    january = nation.get(
        "/api/v1/network/totals",
        params={"plugin": "testmetrics", "period": "2025-01"},
        headers=headers,
    ).json()
    assert january["metrics"]["repairs"] == 14 + 11 + 5 + 7 + 12

    # Nothing changed since: one small request per followed peer, nothing new.
    again = nation.json("federation", "status", "--json")
    quiet = nation.cli("federation", "sync").stdout
    assert quiet.count("0 new, 0 unchanged, 0 refused") == 2
    after = nation.json("federation", "status", "--json")
    # The correction also made a new week (2025-W05) in Aberdare.
    assert after["summaries"] == again["summaries"] == sum(WEEKS_AND_MONTHS.values()) + 1
    assert all(peer["last_error"] is None for peer in after["peers"])
