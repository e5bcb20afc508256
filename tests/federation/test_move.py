"""A town that moves its database from SQLite to PostgreSQL is, to its aggregator,
the same town: the same key, the same signed summaries at the same feed positions,
no revision reissued, and later revisions carrying on from where it was. hub doctor
finds nothing wrong before or after, and notices when the aggregator goes away."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.multiprocess

DAYS = [
    {"date": "2025-09-06", "repairs": 10, "fixed": 6, "waste_prevented_g": 7_000, "visitors": 15},
    {"date": "2025-10-04", "repairs": 12, "fixed": 9, "waste_prevented_g": 9_500, "visitors": 18},
]
CORRECTION = {"date": "2025-10-04", "repairs": 13, "fixed": 9, "waste_prevented_g": 9_500}


def held_for(region, town) -> list[dict[str, str]]:
    """What the aggregator holds and relays of the town: signed documents, in feed order."""
    feed = region.get("/federation/v1/summaries", params={"origin": town.url, "limit": 1000})
    assert feed.status_code == 200
    return feed.json()["items"]


def healthy(town) -> bool:
    result = town.cli("doctor", "--min-free-mb", "1", ok=False)
    assert result.exit_code in (0, 1), result.output
    return (result.exit_code, result.output) == (0, "")


def test_a_town_moving_to_postgresql_is_the_same_town_to_its_aggregator(
    network, postgres_databases, tmp_path
):
    region = network.hub("region")
    network.serve(region)
    town = network.hub(
        "town",
        plugins=("testmetrics", "foodbank", "repaircafe"),
        db_url=f"sqlite:///{tmp_path / 'town.sqlite3'}",
    )
    town.days(DAYS)
    town.cli("demo", "--no-serve", "--port", str(town.port))
    town.cli("federation", "join", region.url, region.cli("federation", "invite").stdout.strip())
    town.cli("federation", "publish")
    assert ", 0 refused" in town.cli("federation", "push").stdout
    town.cli("backup")
    town.cli("retention")
    assert healthy(town)
    relayed = held_for(region, town)
    assert len(relayed) > 50  # every plugin's demo figures, week by week and month by month
    feed, figures = town.feed(), town.json("metrics", "--json")

    network.serve(town)
    key = town.get("/.well-known/hub").json()["public_key"]
    target = postgres_databases.new("town")
    refused = town.cli("db", "move", "--to", target, ok=False)
    assert refused.exit_code == 1
    assert "stop it first (systemctl stop hub), or pass --stop" in refused.output

    moved = town.cli("db", "move", "--to", target, "--stop")
    town.stop()
    assert "Moved " in moved.stdout and "each table's rows and checksum checked" in moved.stdout

    assert town.feed() == feed
    assert town.json("metrics", "--json") == figures
    assert ", 0 revised," in town.cli("federation", "publish").stdout
    assert "sent 0, 0 new there, 0 refused" in town.cli("federation", "push").stdout
    assert held_for(region, town) == relayed
    assert healthy(town)
    network.serve(town)
    assert town.get("/.well-known/hub").json()["public_key"] == key

    # A late correction after the move (its week and its month) is the next revision.
    town.days([DAYS[0], {**DAYS[1], **CORRECTION}])
    assert "Published: 0 new, 2 revised," in town.cli("federation", "publish").stdout
    assert "sent 2, 2 new there, 0 refused" in town.cli("federation", "push").stdout
    [october] = [
        item
        for item in held_for(region, town)
        if '"period":"2025-10"' in item["payload"] and '"plugin":"testmetrics"' in item["payload"]
    ]
    assert '"revision":2' in october["payload"]

    region.stop()
    town.days(DAYS)  # the correction withdrawn: something to push, which now fails
    town.cli("federation", "publish", "--offline")
    town.cli("federation", "push", "--retries", "0", "--timeout", "2", ok=False)
    result = town.cli("doctor", "--min-free-mb", "1", "--timeout", "2", ok=False)
    assert result.exit_code == 1
    assert f"federation: the aggregator {region.url} has failed once" in result.output
    assert f"clock: could not ask {region.url} the time" in result.output
