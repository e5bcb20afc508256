"""`hub restore` of an old backup in a network: a town that a region joined and
another aggregator follows is restored, publishes again, and neither aggregator
holds a revision that conflicts, or misses one: the restored feed starts a new
epoch, so the follower reads it again from its start."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.multiprocess


def day(date: str, repairs: int, visitors: int) -> dict[str, object]:
    return {
        "date": date,
        "repairs": repairs,
        "fixed": repairs // 2,
        "waste_prevented_g": repairs * 700,
        "visitors": visitors,
    }


BEFORE_BACKUP = [day("2025-09-06", 10, 15), day("2025-10-04", 12, 18)]
# Published after the backup and pulled by the follower, but never pushed to the
# region (it was unreachable that night): the region has nothing newer to give back.
AFTER_BACKUP = [*BEFORE_BACKUP, day("2025-11-01", 9, 11)]
# What the restored town records next: sessions in other weeks, enough of them that
# its feed counter runs past where the follower's cursor stood before the restore.
AFTER_RESTORE = [
    *BEFORE_BACKUP,
    *(day(f"2025-12-{d:02d}", d, 10 + d) for d in (1, 8, 15, 22)),
    *(day(f"2026-01-{d:02d}", d, 20 + d) for d in (5, 12, 19, 26)),
]


def held(hub, origin: str) -> dict[tuple[str, str], tuple[int, str]]:
    """(plugin, period) -> (revision, signed payload) of ``origin``'s summaries."""
    found = {}
    for item in hub.feed():
        document = json.loads(item["payload"])
        if document.get("origin") == origin and "revision" in document:
            key = (document["plugin"], document["period"])
            found[key] = (document["revision"], item["payload"])
    return found


def test_restoring_an_old_backup_then_publishing_conflicts_with_no_aggregator(network, tmp_path):
    region = network.hub("region")
    follower = network.hub("follower")
    town = network.hub("town")
    town.days(BEFORE_BACKUP)
    network.serve(region, town)
    town.cli("federation", "join", region.url, region.cli("federation", "invite").stdout.strip())
    follower.cli("federation", "follow", town.url)
    town.cli("federation", "publish")
    town.cli("federation", "push")
    follower.cli("federation", "sync")

    town.cli("backup", "--output", str(tmp_path / "backups"))
    (archive,) = (tmp_path / "backups").glob("hub-backup-*.tar.gz")

    town.days(AFTER_BACKUP)
    town.cli("federation", "publish")
    follower.cli("federation", "sync")
    assert held(follower, town.url) == held(town, town.url) != held(region, town.url)

    restored = town.cli("restore", str(archive), "--yes", "--stop")
    assert "Restored the backup" in restored.stdout
    town.stop()
    town.days(AFTER_RESTORE)
    assert "Took back" not in town.cli("federation", "publish").stdout
    network.serve(town)
    town.cli("federation", "push")
    follower.cli("federation", "sync")

    own = held(town, town.url)
    assert held(region, town.url) == own
    # The follower still holds November, which the restored town never published
    # again; it misses nothing the town holds now.
    following = held(follower, town.url)
    assert {key: following.get(key) for key in own} == own
    assert {period for _plugin, period in set(following) - set(own)} == {"2025-11", "2025-W44"}
    for hub in (region, follower):
        status = hub.json("federation", "status", "--json")
        assert status["refusals"] == 0, status["recent_refusals"]


def test_a_period_only_a_follower_held_is_revised_above_it_after_a_restore(network, tmp_path):
    """November was published after the backup and pulled by the follower alone. The
    restored town records November again, with other figures: its revision must be
    above the follower's, never revision 1 again with other content."""
    follower = network.hub("follower")
    town = network.hub("town")
    town.days(BEFORE_BACKUP)
    network.serve(town)
    follower.cli("federation", "follow", town.url)
    town.cli("federation", "publish")
    town.cli("backup", "--output", str(tmp_path / "backups"))
    (archive,) = (tmp_path / "backups").glob("hub-backup-*.tar.gz")
    town.days(AFTER_BACKUP)
    town.cli("federation", "publish")
    follower.cli("federation", "sync")
    before = held(follower, town.url)
    assert before[("testmetrics", "2025-11")][0] == 1

    town.cli("restore", str(archive), "--yes", "--stop")
    town.stop()
    town.days([*BEFORE_BACKUP, day("2025-11-01", 4, 6)])
    town.cli("federation", "publish")
    network.serve(town)
    follower.cli("federation", "sync")

    status = follower.json("federation", "status", "--json")
    assert status["refusals"] == 0, status["recent_refusals"]
    own = held(town, town.url)
    following = held(follower, town.url)
    november = own[("testmetrics", "2025-11")]
    assert november[0] > before[("testmetrics", "2025-11")][0]
    assert following[("testmetrics", "2025-11")] == november
    assert (
        json.loads(november[1])["metrics"]
        != json.loads(before[("testmetrics", "2025-11")][1])["metrics"]
    )
    # Periods the restore did not touch keep their revisions: nothing is reissued.
    assert {key: own[key] for key in before if key[1] == "2025-09"} == {
        key: before[key] for key in before if key[1] == "2025-09"
    }
