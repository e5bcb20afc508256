"""Faults: peers down, slow, answering garbage or too much; forged, tampered and replayed
documents; an aggregator killed in the middle of a sync."""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from hub.federation import identity
from hub.federation.documents import canonical

pytestmark = pytest.mark.multiprocess

FAST = ("--timeout", "0.5", "--retries", "1")


def weekly_sessions(start: str, weeks: int, base: int = 8) -> list[dict[str, Any]]:
    first = dt.date.fromisoformat(start)
    return [
        {
            "date": (first + dt.timedelta(weeks=n)).isoformat(),
            "repairs": base + n % 5,
            "fixed": base // 2 + n % 3,
            "waste_prevented_g": 1_000 * (base + n % 7),
            "visitors": 10 + n % 9,
        }
        for n in range(weeks)
    ]


def status_of(hub: Any) -> dict[str, dict[str, Any]]:
    return {peer["url"]: peer for peer in hub.json("federation", "status", "--json")["peers"]}


def test_misbehaving_peers_never_block_the_others(network, fake_peer):
    town = network.hub("town")
    town.days(weekly_sessions("2025-03-03", 6))
    town.cli("federation", "publish")
    network.serve(town)
    hub = network.hub("aggregator")
    garbage, nested, huge, slow, down = (
        fake_peer(name) for name in ("garbage", "nested", "huge", "slow", "down")
    )
    for peer in (garbage, nested, huge, slow, down):
        hub.cli("federation", "follow", peer.url)
    hub.cli("federation", "follow", town.url)
    garbage.feed_body = b"<html><body>It works!</body></html>"
    nested.feed_body = b"[" * 100_000  # deeper than any JSON parser's recursion limit
    huge.feed_body = b" " * (17 * 1024 * 1024)
    slow.delay = 1.5
    down.stop()

    started = time.monotonic()
    result = hub.cli("federation", "sync", *FAST, ok=False)
    assert result.exit_code == 1
    assert time.monotonic() - started < 20
    peers = status_of(hub)
    assert peers[town.url]["last_error"] is None and peers[town.url]["accepted"] == 8
    assert "not JSON" in peers[garbage.url]["last_error"]
    assert "not JSON" in peers[nested.url]["last_error"]
    assert "over the 16777216-byte limit" in peers[huge.url]["last_error"]
    assert "timed out" in peers[slow.url]["last_error"]
    assert "unreachable" in peers[down.url]["last_error"]

    # Failed peers back off across runs, so cron does not hammer them; --force tries now.
    again = hub.cli("federation", "sync", *FAST).stdout
    assert again.count("skipped, backing off after 1 failures") == 5
    garbage.serve_items([])
    forced = hub.cli(
        "federation", "sync", "--force", "--timeout", "0.5", "--retries", "0", ok=False
    ).stdout
    assert f"{garbage.url}: 0 new, 0 unchanged, 0 refused" in forced
    recovered = status_of(hub)[garbage.url]
    assert recovered["failures"] == 0 and recovered["last_success"] >= recovered["last_error_at"]


def town_key(town: Any) -> Any:
    return identity.load_private_key(Path(town.path))


def summaries_of(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return [item for item in items if not item["payload"].startswith('{"aggregator"')]


def test_forged_tampered_and_replayed_documents_are_refused(network, fake_peer, member):
    """[R2.3] [R3.1] [R7.2] [R2.6]"""
    town = network.hub("town")
    town.days(weekly_sessions("2025-03-03", 2))
    town.cli("federation", "publish")
    network.serve(town)
    first = summaries_of(town.get("/federation/v1/summaries").json()["items"])
    town.days(weekly_sessions("2025-03-03", 2, base=20))
    assert "3 revised" in town.cli("federation", "publish").stdout
    hub = network.hub("aggregator")
    hub.cli("federation", "follow", town.url)
    hub.cli("federation", "sync")
    held = {
        json.loads(i["payload"])["period"]: i
        for i in summaries_of(town.get("/federation/v1/summaries").json()["items"])
    }
    current = json.loads(held["2025-03"]["payload"])
    assert current["revision"] == 2

    relay = fake_peer("relay")
    hub.cli("federation", "follow", relay.url, "--aggregator")
    tampered = dict(current, metrics=dict(current["metrics"], repairs=9_999))
    own = {
        "origin": relay.url,
        "plugin": "testmetrics",
        "period": "2025-03",
        "metrics": {"repairs": 4, "fixed": 2, "waste_prevented_g": 800, "visitors": None},
        "revision": 1,
        "generated_at": "2025-04-01T08:00:00Z",
    }
    newtown = member("https://newtown.example", "Newtown")
    newcomer, newcomer_key = newtown.descriptor, newtown.key
    vouch = {"aggregator": relay.url, "descriptor": newcomer, "issued_at": "2025-04-01T08:00:00Z"}
    items = [
        next(i for i in first if json.loads(i["payload"])["period"] == "2025-03"),  # replayed rev 1
        {"payload": canonical(tampered).decode(), "signature": held["2025-03"]["signature"]},
        relay.sign(dict(current, revision=3)),  # forged: the town's origin, the relay's key
        relay.sign(dict(current, metrics=dict(current["metrics"], repairs=1)), town_key(town)),
        relay.sign(dict(own, origin="https://nowhere.example")),
        {
            "payload": canonical(own).decode().replace('"fixed":2', '"fixed":2.5'),
            "signature": "AAAA",
        },
        relay.sign(dict(own, note="extra")),
        {
            "payload": canonical(own).decode().replace('"fixed":2', '"fixed":NaN'),
            "signature": "AAAA",
        },
        relay.sign_text(json.dumps(own)),  # not in canonical form
        relay.sign_text("[" * 30_000 + "]" * 30_000),  # nested deeper than parsers recurse
        relay.sign_text(canonical(own).decode().replace('"repairs":4', f'"repairs":{2**60}')),
        relay.sign({**vouch, "descriptor": {**newcomer, "id": town.url}}),  # another key for town
        relay.sign(vouch),
        relay.sign(dict(own, origin=newcomer["id"]), newcomer_key),
        relay.sign(own),
    ]
    relay.serve_items(items)
    report = hub.cli("federation", "sync").stdout
    assert f"{relay.url}: 3 new, 0 unchanged, 12 refused" in report
    status = hub.json("federation", "status", "--json")
    assert status["refusals"] == 12
    reasons = "\n".join(refusal["reason"] for refusal in status["recent_refusals"])
    for expected in (
        "revision 1 is older than revision 2 held",
        "bad signature",
        "revision 2 is already held with different content",
        "unknown origin 'https://nowhere.example'",
        "non-integer number 2.5",
        "NaN is not allowed",
        "unknown fields ['note']",
        "not in RFC 8785 canonical form",
        "nested too deeply",
        "is outside ±(2^53-1)",
        "is pinned with another key",
    ):
        assert expected in reasons
    assert reasons.count("bad signature") == 2  # tampered figures, and a forged origin
    log = hub.cli("federation", "status").stdout
    assert "12 documents refused" in log
    headers = hub.token()
    network.serve(hub)
    totals = hub.get(
        "/api/v1/network/totals",
        params={"plugin": "testmetrics", "period": "2025-03"},
        headers=headers,
    ).json()
    # The town's own current figures, the relay's and the vouched newcomer's: nothing forged.
    assert totals["origins"] == 3
    assert totals["metrics"]["repairs"] == current["metrics"]["repairs"] + 4 + 4


def test_an_aggregator_killed_mid_sync_resumes_without_duplicates_or_gaps(network):
    town = network.hub("town")
    town.days(weekly_sessions("2024-01-01", 30))
    town.cli("federation", "publish")
    region = network.hub("region")
    network.serve(town, region)
    region.cli("federation", "follow", town.url)
    region.cli("federation", "sync")
    nation = network.hub("nation")
    nation.cli("federation", "follow", region.url, "--aggregator")

    running = nation.spawn("federation", "sync", "--limit", "1")
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and nation.json("federation", "status", "--json")["summaries"] < 5
    ):
        time.sleep(0.02)
    running.send_signal(signal.SIGKILL)
    running.wait()
    part = nation.json("federation", "status", "--json")["summaries"]
    expected = region.get("/federation/v1/summaries", params={"limit": 1000}).json()["items"]
    assert 5 <= part < len(expected)

    nation.cli("federation", "sync", "--limit", "7")
    held = nation.feed()
    summaries = [item for item in expected if not item["payload"].startswith('{"aggregator"')]
    assert sorted(
        i["payload"] for i in held if not i["payload"].startswith('{"aggregator"')
    ) == sorted(i["payload"] for i in summaries)
    peer = status_of(nation)[region.url]
    # Every item once: nothing twice, nothing missed. All are new but the region's
    # statement about itself, which says what following it had already pinned.
    assert peer["received"] == len(expected) and peer["accepted"] == len(expected) - 1
