"""A new aggregator, served on loopback straight after ``hub init``, cannot be taken over
before its first sync: nobody joins, pushes or vouches in its name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.multiprocess


def test_a_new_aggregator_cannot_be_taken_over_before_its_first_sync(network, member):
    """[R6.2] [R4.4] [R5.7]"""
    aggregator = network.hub("aggregator")
    network.serve(aggregator)
    impostor = member(aggregator.url)
    invite = aggregator.cli("federation", "invite").stdout.strip()
    before = (
        aggregator.get("/public/network.json").content,
        aggregator.get("/federation/v1/summaries").content,
    )

    def attack() -> list[int]:
        joined = httpx.post(
            aggregator.url + "/federation/v1/join",
            content=impostor.join_body(invite),
            headers=impostor.JSON,
        )
        body, headers = impostor.push_request([impostor.sign(impostor.summary())])
        pushed = httpx.post(aggregator.url + "/federation/v1/inbox", content=body, headers=headers)
        return [joined.status_code, pushed.status_code]

    assert attack() == [409, 403]
    assert (
        aggregator.get("/public/network.json").content,
        aggregator.get("/federation/v1/summaries").content,
    ) == before
    # As an aggregator made before hub init pinned its own key would be: still refused.
    engine = create_engine(aggregator.db_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM federation_origin"))
    engine.dispose()
    assert attack() == [409, 403]
    # The invite was not used up, and every command still runs.
    town = network.hub("town")
    town.cli("federation", "join", aggregator.url, invite)
    for command in (("sync",), ("publish", "--offline"), ("status",)):
        aggregator.cli("federation", *command)
    peer = network.hub("peer")
    network.serve(peer)
    aggregator.cli("federation", "follow", peer.url)
    trusted: dict[str, Any] = {
        t["id"]: t for t in aggregator.json("federation", "status", "--json")["trusted"]
    }
    assert set(trusted) == {town.url, peer.url}
