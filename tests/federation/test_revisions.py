"""Revisions: a late correction makes a new revision, and an instance restored from an
old backup learns what its aggregators hold before it publishes, so it never issues
the same revision twice with different content."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.multiprocess

DAYS = [
    {"date": "2025-09-06", "repairs": 10, "fixed": 6, "waste_prevented_g": 7_000, "visitors": 15},
    {"date": "2025-10-04", "repairs": 12, "fixed": 9, "waste_prevented_g": 9_500, "visitors": 18},
]


def forget_publishing(hub) -> None:
    """What restoring a backup taken before the first publish does to the database."""
    engine = create_engine(hub.db_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM federation_summary"))
        connection.execute(text("UPDATE federation_state SET next_seq = 1"))
    engine.dispose()


def test_a_restored_instance_never_reissues_a_revision_nor_guesses(network):
    region = network.hub("region")
    network.serve(region)
    town = network.hub("town")
    town.days(DAYS)
    town.cli("federation", "join", region.url, region.cli("federation", "invite").stdout.strip())
    assert "Published: 4 new" in town.cli("federation", "publish").stdout
    town.cli("federation", "push")
    unchanged = town.cli("federation", "publish").stdout
    assert "Published: 0 new, 0 revised, 4 unchanged." in unchanged

    forget_publishing(town)
    town.days(
        [
            *DAYS,
            {
                "date": "2025-10-18",
                "repairs": 4,
                "fixed": 4,
                "waste_prevented_g": 900,
                "visitors": 6,
            },
        ]
    )
    republished = town.cli("federation", "publish").stdout
    assert "Took back 4 newer revisions" in republished
    # October changed (a new week too); September did not, so it keeps revision 1.
    assert "Published: 1 new, 1 revised, 3 unchanged." in republished
    pushed = town.cli("federation", "push").stdout
    assert ", 0 refused" in pushed
    held = {
        (doc["period"]): doc["revision"]
        for doc in (json.loads(item["payload"]) for item in region.feed())
        if "revision" in doc
    }
    assert held == {"2025-09": 1, "2025-W36": 1, "2025-10": 2, "2025-W40": 1, "2025-W42": 1}

    # With an aggregator unreachable, publish will not guess which revisions it holds.
    region.stop()
    town.days(DAYS)
    refused = town.cli("federation", "publish", "--retries", "0", ok=False)
    assert refused.exit_code == 1 and "cannot learn the revisions" in refused.output
    offline = town.cli("federation", "publish", "--offline").stdout
    # October goes back to two sessions; week 42 had its only session removed: zeros.
    assert "Published: 0 new, 2 revised, 3 unchanged." in offline
