"""Network totals from the subtotals kept at ingest: always what adding up every held
summary gives, whatever was stored, revised, moved or forgotten, and served cheaply
(a page of towns at a time, conditional requests on the open data).

Members are pinned and their signed summaries received through the storage functions
every path ends in (:func:`store.pin`, :func:`store.ingest`, :func:`store.forget`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from hub.db import get_session
from hub.federation import aggregates, identity, store
from hub.federation.documents import Signed
from hub.federation.models import Holding, Origin, Refusal, Subtotal, Summary
from hub.metrics import Metric
from hub.testing import create_account, login

PLUGIN = "testplug"
PERIODS = ["2025-01", "2025-02", "2025-W05"]
REGIONS = ["", "Wales", "Kernow"]  # "": a member that names no region
ASKED = [None, "Wales", "Kernow"]  # the whole network, and each region by name
MAX = 2**53 - 1
DASH = "\N{EN DASH}"  # as the pager writes a range
METRICS = [
    Metric("items", "items", "Items counted", counts="events"),
    Metric("visitors", "people", "Visitors", counts="people"),
]


class Member:
    """A member instance: its key, its descriptor, and the summaries it signs."""

    def __init__(self, number: int, region: str, threshold: int) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.url = f"https://member{number}.example"
        self.number = number
        self.place(region, threshold)

    def place(self, region: str, threshold: int) -> None:
        self.descriptor = {
            "id": self.url,
            "name": f"Group {self.number}",
            "locality": {"town": f"Town {self.number:03d}", "region": region, "country": "GB"},
            "software": {"name": "community-hub", "version": "0.1.0"},
            "protocol": "hub-federation/1",
            "public_key": identity.encode_public_key(self.key.public_key()),
            "disclosure": {"threshold": threshold, "rounding": 5},
            "plugins": [
                {"name": PLUGIN, "version": "1.0", "metrics": [m.describe() for m in METRICS]}
            ],
        }

    def summary(self, period: str, revision: int, items: int, visitors: int | None) -> Any:
        document = {
            "origin": self.url,
            "plugin": PLUGIN,
            "period": period,
            "metrics": {"items": items, "visitors": visitors},
            "revision": revision,
            "generated_at": "2025-03-01T09:00:00Z",
        }
        return Signed.make(document, self.key).as_json()


def expected(session: Any) -> list[dict[str, Any]]:
    """The totals by the rule itself (``aggregates.combine``), from every held summary of
    every pinned origin: what the subtotals must always give."""
    pinned = {row.origin: row for row in session.scalars(select(Origin))}
    answers = []
    keys = session.execute(select(Summary.plugin, Summary.period).distinct()).all()
    for region in ASKED:
        for plugin, period in sorted(keys):
            held = [
                aggregates.Cell(
                    row.origin,
                    row.metrics,
                    aggregates.disclosure_threshold(pinned[row.origin].descriptor),
                )
                for row in session.scalars(
                    select(Summary).where(Summary.plugin == plugin, Summary.period == period)
                )
                if row.origin in pinned and region in (None, pinned[row.origin].region)
            ]
            combined = aggregates.combine(held)
            answer = {
                "plugin": plugin,
                "period": period,
                "origins": len(held),
                "metrics": {name: total.value for name, total in combined.items()},
                "suppressed": {n: t.suppressed for n, t in combined.items() if t.suppressed},
                "out_of_range": [n for n, t in combined.items() if t.out_of_range],
            }
            if region is not None:
                answer["region"] = region
            answers.append(answer)
    return answers


def listed(session: Any) -> list[list[str]]:
    """The towns pages list (from the holdings kept at ingest), for each region asked."""
    return [
        [row.origin for row in session.scalars(aggregates.towns(PLUGIN, region))]
        for region in ASKED
    ]


def listed_by_summaries(session: Any) -> list[list[str]]:
    """The same by probing every origin's summaries, as the listing was made before."""
    label = func.coalesce(func.nullif(Origin.town, ""), func.nullif(Origin.name, ""), Origin.origin)
    holds = select(Summary.id).where(Summary.origin == Origin.origin, Summary.plugin == PLUGIN)
    query = select(Origin.origin).where(holds.exists()).order_by(label, Origin.origin)
    return [
        list(session.scalars(query.where(Origin.region == region) if region else query))
        for region in ASKED
    ]


def computed(session: Any) -> list[dict[str, Any]]:
    keys = session.execute(select(Summary.plugin, Summary.period).distinct()).all()
    return [
        aggregates.totals(session, plugin, period, region)
        for region in ASKED
        for plugin, period in sorted(keys)
    ]


@pytest.fixture
def aggregator(make_app: Any) -> Iterator[Flask]:
    app = make_app(plugins=[])
    with app.app_context():
        yield app


def receive(app: Flask, items: list[Any]) -> store.Outcome:
    session = get_session()
    outcome = store.ingest(session, store.Node.of(app), items, source="https://relay.example")
    session.commit()
    return outcome


def pin(app: Flask, member: Member) -> None:
    session = get_session()
    store.pin(session, store.Node.of(app), member.descriptor, relation="member")
    session.commit()


figures = st.tuples(
    st.one_of(st.integers(0, 500), st.just(MAX)),  # items; MAX twice leaves 2^53 [R9.1]
    st.one_of(st.none(), st.integers(0, 100).map(lambda n: n * 5)),  # visitors
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("store"), st.integers(0, 4), st.sampled_from(PERIODS), figures),
        st.tuples(st.just("move"), st.integers(0, 4), st.sampled_from(REGIONS), st.just(None)),
        st.tuples(st.just("threshold"), st.integers(0, 4), st.sampled_from([3, 10]), st.just(None)),
        st.tuples(st.just("forget"), st.integers(0, 4), st.just(None), st.just(None)),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps, regions=st.lists(st.sampled_from(REGIONS), min_size=5, max_size=5))
def test_the_subtotals_always_give_the_totals_of_every_held_summary(aggregator, steps, regions):
    """[R9.1] Summaries stored and revised, members moved to another region or threshold
    and forgotten: after each step every total (network and each region) is exactly what
    adding up the held summaries by the rule gives, and the towns listed are those
    holding summaries."""
    session = get_session()
    for origin in session.scalars(select(Origin.origin).where(Origin.relation != "self")).all():
        store.forget(session, origin)  # what an earlier example left
    session.commit()
    members = [Member(n, region, 5) for n, region in enumerate(regions)]
    for member in members:
        pin(aggregator, member)
    revisions: dict[tuple[int, str], int] = {}
    pinned = set(range(len(members)))
    for action, number, value, extra in steps:
        member = members[number]
        if action == "store":
            revisions[(number, value)] = revision = revisions.get((number, value), 0) + 1
            outcome = receive(aggregator, [member.summary(value, revision, *extra)])
            assert outcome.accepted == (number in pinned), outcome.refused
        elif action == "forget":
            store.forget(session, member.url)
            session.commit()
            pinned.discard(number)
            revisions = {key: n for key, n in revisions.items() if key[0] != number}
        else:
            locality, disclosure = member.descriptor["locality"], member.descriptor["disclosure"]
            member.place(
                value if action == "move" else locality["region"],
                value if action == "threshold" else disclosure["threshold"],
            )
            pin(aggregator, member)
            pinned.add(number)
        assert computed(session) == expected(session)
        assert listed(session) == listed_by_summaries(session)
    all_totals = aggregates.all_totals(session)
    assert all_totals == [total for total in expected(session) if "region" not in total]
    # Forgetting every member leaves nothing counted anywhere.
    for member in members:
        store.forget(session, member.url)
    session.execute(delete(Refusal))
    session.commit()
    assert session.scalars(select(Subtotal)).all() == []
    assert session.scalars(select(Holding)).all() == []


def network_of(app: Flask, towns: int) -> list[Member]:
    members = [Member(n, REGIONS[n % 3], 5) for n in range(towns)]
    for member in members:
        pin(app, member)
    receive(
        app,
        [m.summary(period, 1, 10 + m.number, 15) for m in members for period in PERIODS],
    )
    return members


def test_totals_api_answers_from_the_subtotals(aggregator):
    network_of(aggregator, 6)
    viewer = create_account(aggregator, "viewer")
    client = aggregator.test_client()
    answer = client.get(
        f"/api/v1/network/totals?plugin={PLUGIN}&period=2025-02&region=Wales",
        headers=viewer.headers,
    ).json
    # Members 1 and 4 are in Wales: items 11 + 14, visitors 15 + 15.
    assert answer == {
        "plugin": PLUGIN,
        "period": "2025-02",
        "region": "Wales",
        "origins": 2,
        "metrics": {"items": 25, "visitors": 30},
        "suppressed": {},
        "out_of_range": [],
    }
    nothing = client.get(
        f"/api/v1/network/totals?plugin={PLUGIN}&period=2024-02", headers=viewer.headers
    ).json
    assert nothing["origins"] == 0 and nothing["metrics"] == {}


def test_the_network_page_lists_a_page_of_towns_and_totals_them_all(aggregator):
    network_of(aggregator, 53)  # more than a page of 50
    client = aggregator.test_client()
    login(client, create_account(aggregator, "viewer"))
    address = f"/network?plugin={PLUGIN}&metric=items&kind=month"
    first = client.get(address).get_data(as_text=True)
    assert "Town 000" in first and "Town 049" in first and "Town 050" not in first
    assert f"Showing 1{DASH}50 of 53" in first
    # Every town is in the total, whichever page is shown: 10 + 11 + ... + 62.
    total = f"{sum(range(10, 63)):,}"
    assert f"<strong>{total}</strong>" in first
    second = client.get(address + "&page=2").get_data(as_text=True)
    assert "Town 050" in second and "Town 052" in second and "Town 049" not in second
    assert f"Showing 51{DASH}53 of 53" in second and f"<strong>{total}</strong>" in second
    # A region's page lists and totals that region's towns only.
    wales = client.get(address + "&region=Wales").get_data(as_text=True)
    assert "Town 001" in wales and "Town 000" not in wales and f"Showing 1{DASH}18 of 18" in wales


@pytest.mark.parametrize("path", ["/public/network.json", "/public/network.csv"])
def test_open_data_answers_conditional_requests(aggregator, path):
    members = network_of(aggregator, 3)
    client = aggregator.test_client()
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    # New figures: the old tag no longer matches, and the new body comes whole.
    receive(aggregator, [members[0].summary("2025-01", 2, 999, 15)])
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert b"1022" in changed.data  # 999 + 11 + 12 for January
