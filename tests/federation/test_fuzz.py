"""Property test: documents generated from the grammar of docs/federation.md, and the
same documents mutated (tests/federation/corpus.py), pushed to a real aggregator on
loopback. No answer is a server error, nothing mutated is accepted, nothing refused
changes the aggregator's feed or totals by a byte, and everything it stores reads
back through the strict reader."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.federation.documents import (
    check_statement,
    check_summary,
    declared_figures,
    envelope,
    read_payload,
)
from hub.periods import Period

pytestmark = pytest.mark.multiprocess

SAFE = 2**53 - 1
weeks = st.dates(dt.date(1900, 1, 8), dt.date(2999, 12, 20)).map(lambda d: str(Period.week_of(d)))
months = st.tuples(st.integers(1900, 2999), st.integers(1, 12)).map(
    lambda ym: f"{ym[0]}-{ym[1]:02d}"
)
times = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2999, 12, 31)).map(
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
)
figures = st.fixed_dictionaries(
    {
        "repairs": st.integers(0, SAFE),
        "fixed": st.integers(0, SAFE),
        "waste_prevented_g": st.integers(0, SAFE),
        "visitors": st.none() | st.integers(0, SAFE // 5).map(lambda n: 5 * n),
    }
)
noise = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def test_generated_and_mutated_documents_never_break_an_aggregator(network, member, corpus):
    """[R2.6] [R7.3] [R2.1]"""
    aggregator = network.hub("aggregator")
    network.serve(aggregator)
    attacker = member("https://attacker.example")
    invite = aggregator.cli("federation", "invite").stdout.strip()
    joined = httpx.post(
        aggregator.url + "/federation/v1/join",
        content=attacker.join_body(invite),
        headers=attacker.JSON,
    )
    assert joined.status_code == 201
    scene = corpus.Scene(aggregator.url, attacker, attacker.descriptor, honest=[])

    def push(items: list[Any]) -> httpx.Response:
        body = json.dumps({"items": items}).encode()
        _, headers = attacker.push_request(body)
        return httpx.post(
            aggregator.url + "/federation/v1/inbox", content=body, headers=headers, timeout=30
        )

    def snapshot() -> tuple[bytes, bytes]:
        feed = aggregator.get("/federation/v1/summaries", params={"limit": 1000})
        return feed.content, aggregator.get("/public/network.json").content

    @settings(max_examples=40, deadline=None, database=None)
    @given(
        period=weeks | months,
        metrics=figures,
        revision=st.integers(1, SAFE),
        generated_at=times,
        mutation=st.sampled_from(sorted(corpus.MUTATIONS)),
        seed=st.integers(0, 2**32),
        junk=noise,
    )
    def one_round(period, metrics, revision, generated_at, mutation, seed, junk):
        valid = {
            "origin": attacker.url,
            "plugin": "testmetrics",
            "period": period,
            "metrics": metrics,
            "revision": revision,
            "generated_at": generated_at,
        }
        before = snapshot()
        hostile = corpus.MUTATIONS[mutation](scene, valid, random.Random(seed))
        answer = push([hostile, junk])
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 0 and len(answer.json()["refused"]) == 2, (
            mutation,
            answer.json(),
        )
        assert snapshot() == before
        kept = push([attacker.sign(valid)])
        assert kept.status_code == 200
        for reason in kept.json()["refused"]:  # only a period drawn twice, at a lower revision
            assert "revision" in reason, reason

    one_round()
    described = {d["id"]: d for d in [attacker.descriptor]}
    for item in aggregator.get("/federation/v1/summaries", params={"limit": 1000}).json()["items"]:
        document = read_payload(envelope(item))
        if "aggregator" in document:
            check_statement(document)
        else:
            check_summary(document, declared_figures(described[document["origin"]]))
