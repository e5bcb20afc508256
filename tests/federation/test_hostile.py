"""Hostile members and peers against a real aggregator: every finding of issue 11, each
test naming the rule of docs/federation.md it holds the aggregator to ([R...]).

The aggregator answers through its WSGI app in this process (its own database, its
own instance folder, made by ``hub init``); pulls go over HTTP to fake peers on
loopback. Servers on loopback are in test_takeover.py and test_fuzz.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hub import create_app
from hub.db import database, get_session
from hub.federation import store
from hub.federation.documents import canonical
from hub.federation.grammar import b64encode
from hub.federation.models import Origin

FEED = "/federation/v1/summaries?limit=1000"


class Aggregator:
    """An aggregator (``hub init`` and its CLI), answering HTTP through its app."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.url = hub.url
        self.app = create_app(instance_path=hub.path)
        self.client = self.app.test_client()

    def invite(self, *options: str) -> str:
        return self.hub.cli("federation", "invite", *options).stdout.strip()

    def join(self, someone: Any, token: str | None = None, descriptor: Any = None) -> Any:
        body = someone.join_body(token or self.invite(), descriptor)
        return self.client.post("/federation/v1/join", data=body, headers=someone.JSON)

    def push(self, someone: Any, items: Any, key: Any = None, **headers: str) -> Any:
        body, signed = someone.push_request(items, key)
        return self.client.post("/federation/v1/inbox", data=body, headers={**signed, **headers})

    def snapshot(self) -> tuple[bytes, bytes]:
        """The feed and the network's totals, byte for byte."""
        return self.client.get(FEED).data, self.client.get("/public/network.json").data

    def status(self) -> dict[str, Any]:
        return self.hub.json("federation", "status", "--json")

    def reasons(self) -> str:
        return "\n".join(r["reason"] for r in self.status()["recent_refusals"])


@pytest.fixture
def aggregator(network: Any) -> Iterator[Aggregator]:
    made = Aggregator(network.hub("aggregator"))
    yield made
    database(made.app).engine.dispose()


def joined_town(aggregator: Aggregator, member: Any) -> Any:
    """A member that joined the aggregator, with one summary held there."""
    joined = member("https://tregaron.example")
    assert aggregator.join(joined).status_code == 201
    assert aggregator.push(joined, [joined.sign(joined.summary())]).json["accepted"] == 1
    return joined


@pytest.fixture
def town(aggregator: Aggregator, member: Any) -> Any:
    return joined_town(aggregator, member)


@pytest.fixture(scope="module")
def refusing(module_network: Any, member: Any) -> Iterator[tuple[Aggregator, Any]]:
    """An aggregator and a member shared by the tests that only see documents refused."""
    made = Aggregator(module_network.hub("aggregator"))
    yield made, joined_town(made, member)
    database(made.app).engine.dispose()


def refused_alone(aggregator: Aggregator, someone: Any, items: list[Any]) -> list[str]:
    """Push ``items``; each must be refused on its own (200), the aggregator unchanged."""
    before = aggregator.snapshot()
    answer = aggregator.push(someone, items)
    assert answer.status_code == 200, answer.json
    assert answer.json["accepted"] == 0 and len(answer.json["refused"]) == len(items), answer.json
    assert aggregator.snapshot() == before
    return answer.json["refused"]


# --- finding 1: the aggregator's own id ---------------------------------------------------------


def test_nobody_joins_or_vouches_or_publishes_in_the_aggregators_own_name(aggregator, member):
    """[R6.2] [R4.4] [R5.7]"""
    impostor = member(aggregator.url)
    before = aggregator.snapshot()
    joined = aggregator.join(impostor)
    assert joined.status_code == 409 and "own id" in joined.json["details"]["descriptor"][0]
    pushed = aggregator.push(impostor, [impostor.sign(impostor.summary())])
    assert pushed.status_code == 403  # the id is the aggregator's own, not a member's
    assert aggregator.snapshot() == before
    # A member trusted as an aggregator cannot vouch for the receiver's id either.
    region = member("https://region.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    statement = {
        "aggregator": region.url,
        "descriptor": impostor.descriptor,
        "issued_at": "2025-06-01T09:00:00Z",
    }
    (reason,) = refused_alone(aggregator, region, [region.sign(statement)])
    assert "about this instance itself" in reason
    assert "about this instance itself" in aggregator.reasons()  # kept, as it was logged


def test_a_key_pinned_for_its_own_id_before_ids_were_checked_is_unpinned(aggregator, member):
    """[R6.2] An aggregator poisoned before this release repairs itself on its next run."""
    impostor = member(aggregator.url)
    with aggregator.app.app_context():
        session = get_session()
        own = session.scalar(select(Origin).where(Origin.origin == aggregator.url))
        own.relation, own.public_key = "member", impostor.descriptor["public_key"]
        session.commit()
    aggregator.hub.cli("federation", "sync")
    trusted = {t["id"]: t for t in aggregator.status()["trusted"]}
    assert aggregator.url not in trusted  # its own row is "self" again, with its own key
    with aggregator.app.app_context():
        row = get_session().scalar(select(Origin).where(Origin.origin == aggregator.url))
        assert row.relation == "self" and row.public_key == store.Node.of(aggregator.app).public_key


# --- finding 2: keys are checked before they are pinned --------------------------------------------

IDENTITY_POINT = "ed25519:" + b64encode(bytes([1]) + bytes(31))
BAD_KEYS = [
    "ed25519:short",
    "ed25519:" + "A" * 44,
    "rsa:" + "A" * 43,
    "ed25519:" + "_" * 43,  # 43 characters with stray bits in the last one
    "ed25519:" + b64encode(b"\xff" * 32),  # not a point on the curve
    IDENTITY_POINT,  # small order
    42,
]


def test_a_malformed_key_is_never_pinned_and_never_breaks_what_follows(aggregator, town, member):
    """[R1.2] Vouched keys, joining keys and followed keys alike."""
    region = member("https://region.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    for key in BAD_KEYS:
        stranger = member("https://stranger.example")
        described = {**stranger.descriptor, "public_key": key}
        statement = {
            "aggregator": region.url,
            "descriptor": described,
            "issued_at": "2025-06-01T09:00:00Z",
        }
        (reason,) = refused_alone(aggregator, region, [region.sign(statement)])
        assert "key" in reason, reason
        answer = aggregator.client.post(
            "/federation/v1/join",
            data=json.dumps({"token": aggregator.invite(), "descriptor": stranger.sign(described)}),
            headers=stranger.JSON,
        )
        assert answer.status_code == 400, (key, answer.json)
    # Everything still works: another summary, a sync, and nothing bad in the feed.
    again = aggregator.push(town, [town.sign(town.summary("2025-06"))])
    assert again.status_code == 200 and again.json["accepted"] == 1
    aggregator.hub.cli("federation", "sync")
    assert all(
        key not in aggregator.client.get(FEED).get_data(as_text=True) for key in BAD_KEYS[:-1]
    )


def test_following_a_peer_with_a_malformed_key_is_refused(aggregator, fake_peer):
    """[R1.2] [R1.4]"""
    peer = fake_peer("odd")
    peer.descriptor = {**peer.descriptor, "public_key": IDENTITY_POINT, "future": "ignored"}
    refused = aggregator.hub.cli("federation", "follow", peer.url, ok=False)
    assert refused.exit_code == 1 and "prime order" in refused.output


# --- finding 3: only aggregators vouch ----------------------------------------------------------------


def vouch(signer: Any, described: dict[str, Any], at: str = "2025-06-01T09:00:00Z") -> Any:
    return signer.sign({"aggregator": signer.url, "descriptor": described, "issued_at": at})


def test_a_member_that_is_not_an_aggregator_cannot_vouch_for_other_ids(aggregator, town, member):
    """[R4.2] [R6.1] A town cannot create Sybil towns nor re-home a vouched one."""
    sybil = member("https://sybil.example")
    items = [vouch(town, sybil.descriptor), sybil.sign(sybil.summary())]
    reasons = refused_alone(aggregator, town, items)
    assert "not trusted here as an aggregator" in reasons[0]
    assert "unknown origin" in reasons[1]
    # Made an aggregator by the operator, the same member's statement is read.
    aggregator.hub.cli("federation", "role", town.url, "aggregator")
    assert aggregator.push(town, items).json["accepted"] == 2
    roles = {t["id"]: t["role"] for t in aggregator.status()["trusted"]}
    assert roles[town.url] == "aggregator"
    assert f"as aggregators: {town.url}" in aggregator.hub.cli("federation", "status").stdout
    # Another member, an instance, cannot move the vouched id to another region.
    other = member("https://other.example")
    assert aggregator.join(other).status_code == 201
    moved = {
        **sybil.descriptor,
        "locality": {"town": "Sybil", "region": "Elsewhere", "country": "GB"},
    }
    (reason,) = refused_alone(aggregator, other, [vouch(other, moved, "2025-07-01T09:00:00Z")])
    assert "not trusted here as an aggregator" in reason


def test_a_statement_about_its_signer_updates_it_only_from_the_signer(aggregator, town, member):
    """[R4.3] [R3.7] A member enabling a plugin tells the aggregator, then publishes it."""
    plugin = {
        "name": "extra",
        "version": "1",
        "metrics": [town.descriptor["plugins"][0]["metrics"][0]],
    }
    extended = {**town.descriptor, "plugins": [*town.descriptor["plugins"], plugin]}
    summary = {**town.summary(), "plugin": "extra", "metrics": {"repairs": 4}}
    (reason,) = refused_alone(aggregator, town, [town.sign(summary)])
    assert "plugin 'extra' is not in the descriptor" in reason
    answer = aggregator.push(town, [vouch(town, extended), town.sign(summary)])
    assert answer.json == {"accepted": 2, "unchanged": 0, "refused": []}
    # An older statement about it never takes the plugin away again...
    (reason,) = refused_alone(
        aggregator, town, [vouch(town, town.descriptor, "2025-05-01T09:00:00Z")]
    )
    assert "not newer" in reason
    # ...and nobody relays the town's statement about itself for it.
    region = member("https://region.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    (reason,) = refused_alone(
        aggregator, region, [vouch(town, town.descriptor, "2025-08-01T09:00:00Z")]
    )
    assert "taken only from" in reason


def test_statements_are_ordered_by_time_and_never_replayed(aggregator, member):
    """[R4.5] [R4.6]"""
    region = member("https://region.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    stranger = member("https://stranger.example")
    first = vouch(region, stranger.descriptor, "2025-06-01T09:00:00Z")
    assert aggregator.push(region, [first]).json["accepted"] == 1
    assert aggregator.push(region, [first]).json == {"accepted": 0, "unchanged": 1, "refused": []}
    renamed = {**stranger.descriptor, "name": "Renamed"}
    later = vouch(region, renamed, "2025-06-02T09:00:00Z")
    assert aggregator.push(region, [later]).json["accepted"] == 1
    for replay in (
        first,
        vouch(region, {**stranger.descriptor, "name": "Same time"}, "2025-06-02T09:00:00Z"),
    ):
        (reason,) = refused_alone(aggregator, region, [replay])
        assert "not newer" in reason
    rekeyed = {
        **stranger.descriptor,
        "public_key": member("https://x.example").descriptor["public_key"],
    }
    (reason,) = refused_alone(aggregator, region, [vouch(region, rekeyed, "2025-06-03T09:00:00Z")])
    assert "pinned with another key" in reason


# --- finding 4: what used to be a server error ----------------------------------------------------------

HUGE = "9" * 4301  # past Python's limit on converting an integer's digits


def test_what_used_to_raise_is_refused_item_by_item(refusing):
    """[R2.2] [R2.5] [R3.3] [R2.6]"""
    aggregator, town = refusing
    good = town.summary("2025-07")
    payload = canonical(good).decode()
    signature = town.sign(good)["signature"]
    items = [
        town.sign_text(payload.replace('"repairs":30', f'"repairs":{HUGE}')),
        {"payload": payload, "signature": signature[:85]},  # 85 characters: 1 mod 4
        {"payload": payload, "signature": signature[:1]},
        town.sign({**good, "period": "0000-01"}),
        town.sign({**good, "period": "0000-W01"}),
        town.sign({**good, "period": "9999-12"}),
        town.sign_text(compact({**good, "revision": 2**53})),
    ]
    reasons = refused_alone(aggregator, town, items)
    assert "outside ±(2^53-1)" in reasons[0] and "outside ±(2^53-1)" in reasons[-1]
    assert all("86 base64url characters" in r for r in reasons[1:3])
    assert all("the year must be from 1900 to 2999" in r for r in reasons[3:6])
    # A statement holding the same integer, and a request signature of a bad length.
    region_like = {
        "aggregator": town.url,
        "descriptor": town.descriptor,
        "issued_at": "2025-06-01T09:00:00Z",
    }
    text = canonical(region_like).decode().replace('"threshold":5', f'"threshold":{HUGE}')
    assert "outside ±(2^53-1)" in refused_alone(aggregator, town, [town.sign_text(text)])[0]
    body, headers = town.push_request([])
    short = aggregator.client.post(
        "/federation/v1/inbox", data=body, headers={**headers, "Hub-Signature": "A" * 85}
    )
    assert short.status_code == 401


def test_a_pulled_page_with_bad_items_never_stalls_the_peer(aggregator, fake_peer, member):
    """[R2.6] [R7.3] The good items of the page are stored, the bad ones refused, the cursor moves."""
    peer = fake_peer("relay")
    aggregator.hub.cli("federation", "follow", peer.url)
    own = member(peer.url)
    own.key = peer.key
    good = own.sign(own.summary("2025-03"))
    bad = [
        own.sign_text(good["payload"].replace('"repairs":30', f'"repairs":{HUGE}')),
        {"payload": good["payload"], "signature": good["signature"][:85]},
        own.sign({**own.summary("2025-04"), "period": "0000-01"}),
        {"payload": good["payload"], "signature": [good["signature"]]},
    ]
    # A duplicated member and a float inside one item leave the items around it readable.
    items = json.dumps([*bad, good])[1:-1]
    items += (
        ', {"payload": "x", "payload": "y", "signature": "z"}, {"payload": 1.5, "signature": "s"}'
    )
    peer.feed_body = f'{{"items": [{items}], "next": "x-1", "more": false}}'.encode()
    report = aggregator.hub.cli("federation", "sync").stdout
    assert f"{peer.url}: 1 new, 0 unchanged, 6 refused" in report
    reasons = aggregator.reasons()
    assert "duplicate keys" in reasons and "non-integer number 1.5" in reasons


# --- finding 5: malformed but signed by the member itself ----------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("plugin", "testmetrics\n", "not allowed"),
        ("plugin", "testmetrics\u0661", "not allowed"),
        ("period", "2025-05\n", "not a period"),
        ("period", "٢٠٢٥-05", "not a period"),
        ("period", "2025-W53", "has no ISO week 53"),
        ("period", "2025-13", "month must be 01 to 12"),
        ("generated_at", "2025-06-01T09:00:00Z\n", "UTC time"),
        ("generated_at", "2025-06-01T09:00:0\u0661Z", "UTC time"),
        ("generated_at", "2025-02-30T09:00:00Z", "not a time on the calendar"),
        ("generated_at", "2025-06-01T09:00:60Z", "not a time on the calendar"),
        ("generated_at", "2025-06-01T24:00:00Z", "not a time on the calendar"),
        ("generated_at", "0000-06-01T09:00:00Z", "years 1900 to 2999"),
        ("origin", "https://tregaron.example\n", "unknown origin"),
        ("revision", 0, "at least 1"),
        ("revision", True, "must be an integer"),
    ],
)
def test_every_field_is_a_whole_ascii_grammar(refusing, field, value, reason):
    """[R3.2] [R3.3] [R2.7] [R1.1] [R3.6]"""
    aggregator, town = refusing
    (refused,) = refused_alone(
        aggregator, town, [town.sign({**town.summary("2025-08"), field: value})]
    )
    assert reason in refused


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ({"repairs\n": 1}, "metric name"),
        ({"r\u0661": 1}, "metric name"),
        ({"repairs": -1}, "at least 0"),
        ({"repairs": 1.0}, "non-integer number"),
        ({"unheard_of": 1}, "not declared by plugin"),
        ({"repairs": None}, "cannot be suppressed"),
        ({"visitors": 23}, "not rounded to 5"),
    ],
)
def test_figures_are_what_the_descriptor_declares(refusing, metrics, reason):
    """[R3.4] [R3.5] [R3.7] [R2.1]"""
    aggregator, town = refusing
    summary = town.summary("2025-08")
    summary["metrics"].update(metrics)
    (refused,) = refused_alone(aggregator, town, [town.sign_text(compact(summary))])
    assert reason in refused


def compact(document: dict[str, Any]) -> str:
    """Sorted and compact, as RFC 8785 writes what it can write (not floats or huge integers)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_a_revision_is_whole(refusing):
    """[R3.7] A metric left out would stay stale wherever an older revision is held."""
    aggregator, town = refusing
    summary = town.summary("2025-08")
    del summary["metrics"]["visitors"]
    (refused,) = refused_alone(aggregator, town, [town.sign(summary)])
    assert "missing" in refused


def test_protocol_is_exactly_hub_federation_1(aggregator, member):
    """[R1.3] [R4.1] On joins and in statements."""
    stranger = member("https://stranger.example")
    for protocol in ("hub-federation/2", "hub-federation/1\n", None):
        described = {**stranger.descriptor, "protocol": protocol}
        if protocol is None:
            del described["protocol"]
        joined = aggregator.join(stranger, descriptor=described)
        assert joined.status_code == 400, joined.json
    region = member("https://region.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    wrong = {**stranger.descriptor, "protocol": "hub-federation/0"}
    assert "protocol" in refused_alone(aggregator, region, [vouch(region, wrong)])[0]


def test_an_envelope_is_exactly_two_strings_once_each(refusing):
    """[R2.1] [R2.4] [R5.6] The last of two signature members does not win."""
    aggregator, town = refusing
    good = town.sign(town.summary("2025-09"))
    payload = json.dumps(good["payload"])
    doubled = (
        f'{{"items": [{{"payload": {payload}, "signature": "{"A" * 86}", '
        f'"signature": "{good["signature"]}"}}]}}'
    ).encode()
    before = aggregator.snapshot()
    answer = aggregator.push(town, doubled)
    assert answer.status_code == 200 and "duplicate keys" in answer.json["refused"][0]
    for item in ({**good, "extra": 1}, {"payload": good["payload"]}, [good], good["payload"]):
        assert len(aggregator.push(town, [item]).json["refused"]) == 1
    top = b'{"items": [], "items": []}'
    assert aggregator.push(town, top).status_code == 400
    assert aggregator.snapshot() == before


def test_limits_are_counted_in_bytes(refusing):
    """[R2.4] [R1.5] 40,000 two-byte characters are 80,000 bytes: over the 64 KiB limit."""
    aggregator, town = refusing
    big_name = {**town.descriptor, "name": "é" * 101}  # 202 bytes, over the name's 200
    region_statement = {
        "aggregator": town.url,
        "descriptor": big_name,
        "issued_at": "2025-06-02T09:00:00Z",
    }
    assert (
        "longer than 200 bytes" in refused_alone(aggregator, town, [town.sign(region_statement)])[0]
    )
    payload = canonical({**town.summary(), "padding": "é" * 40_000}).decode()
    assert (
        "larger than 65536 bytes" in refused_alone(aggregator, town, [town.sign_text(payload)])[0]
    )
    lone = {"payload": '{"origin":"\ud800"}', "signature": "A" * 86}
    assert "not UTF-8" in refused_alone(aggregator, town, [lone])[0]


@pytest.mark.parametrize("hidden", ["\x00", "\x1b[31m", "\u202e", "\u2028", "\x85"])
def test_text_hides_nothing(refusing, hidden):
    """[R1.5] Control and bidirectional characters in a name a dashboard shows."""
    aggregator, town = refusing
    named = {**town.descriptor, "name": f"Tregaron{hidden}"}
    statement = {"aggregator": town.url, "descriptor": named, "issued_at": "2025-06-02T09:00:00Z"}
    assert "control or formatting" in refused_alone(aggregator, town, [town.sign(statement)])[0]


def test_canonical_base64_only(refusing):
    """[R2.5] Signatures whose last character has stray bits are refused, not read as the same."""
    aggregator, town = refusing
    good = town.sign(town.summary("2025-10"))
    digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = digits.index(good["signature"][-1])
    stray = {**good, "signature": good["signature"][:-1] + digits[last + 1]}
    assert "stray bits" in refused_alone(aggregator, town, [stray])[0]


def test_network_totals_stay_in_range(aggregator, town, member):
    """[R9.1] Two members each near 2^53: the total is null and says why."""
    other = member("https://other.example")
    assert aggregator.join(other).status_code == 201
    near = 2**53 - 1
    for someone in (town, other):
        assert (
            aggregator.push(
                someone, [someone.sign(someone.summary("2025-11", waste_prevented_g=near))]
            ).json["accepted"]
            == 1
        )
    (total,) = [
        t
        for t in aggregator.client.get("/public/network.json").json["totals"]
        if t["period"] == "2025-11"
    ]
    assert total["metrics"]["waste_prevented_g"] is None and total["out_of_range"] == [
        "waste_prevented_g"
    ]
    assert total["metrics"]["repairs"] == 60


# --- finding 6: requests, statements about oneself, endless pages ---------------------------------------


def test_posts_must_say_they_are_json(aggregator, town):
    """[R5.4] [R5.5]"""
    body, headers = town.push_request([town.sign(town.summary("2025-12"))])
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ):
        answer = aggregator.client.post(
            "/federation/v1/inbox", data=body, headers={**headers, "Content-Type": content_type}
        )
        assert answer.status_code == 415, content_type
        joined = aggregator.client.post(
            "/federation/v1/join", data=town.join_body("x"), headers={"Content-Type": content_type}
        )
        assert joined.status_code == 415
    too_big = aggregator.client.post(
        "/federation/v1/join", data=b" " * (128 * 1024 + 1), headers=town.JSON
    )
    assert too_big.status_code == 413
    assert (
        aggregator.push(town, [], **{"Content-Type": "application/json; charset=UTF-8"}).status_code
        == 200
    )


def test_feed_parameters_are_grammars(refusing):
    """[R5.1] No parameter reaches the database unchecked."""
    aggregator, _town = refusing
    for query in (
        "limit=%D9%A3",
        "limit=%C2%B2",
        "limit=1%0A",
        "origin=%00",
        "origin=x",
        "since=1-%00",
    ):
        answer = aggregator.client.get(f"/federation/v1/summaries?{query}")
        assert answer.status_code == 400, query


def test_a_feed_that_always_says_more_is_stopped(aggregator, fake_peer):
    """[R5.3] [R5.2]"""
    endless = fake_peer("endless")
    aggregator.hub.cli("federation", "follow", endless.url)
    endless.feed_body = b'{"items": [], "next": "x-1", "more": true}'
    result = aggregator.hub.cli("federation", "sync", "--retries", "0", ok=False)
    assert result.exit_code == 1 and "did not move on" in result.stdout
    assert len(endless.requests) <= 3  # the descriptor and one page, not 10,000
    endless.feed_body = b'{"items": [], "next": "\\u0000", "more": false}'
    again = aggregator.hub.cli("federation", "sync", "--force", "--retries", "0", ok=False)
    assert "printable ASCII" in again.stdout


def test_a_feed_published_in_another_name_is_not_read(aggregator, fake_peer):
    """[R5.8]"""
    peer = fake_peer("peer")
    aggregator.hub.cli("federation", "follow", peer.url)
    peer.feed_body = (
        b'{"publisher": "https://else.example", "items": [], "next": "", "more": false}'
    )
    result = aggregator.hub.cli("federation", "sync", "--retries", "0", ok=False)
    assert result.exit_code == 1 and "publishes as 'https://else.example'" in result.stdout
    # What a failing peer says of itself is kept only as printable text.
    peer.feed_status, peer.feed_body = 400, b'{"error": "\\u0000\\u202e gone"}'
    aggregator.hub.cli("federation", "sync", "--force", "--retries", "0", ok=False)
    (row,) = aggregator.status()["peers"]
    assert row["last_error"].endswith("answered 400: \\x00\\u202e gone")


# --- operators act -------------------------------------------------------------------------------------


def test_an_operator_removes_a_member_and_what_it_published(aggregator, town):
    """[R6.3] Removed, it is out of the totals and may join again with a new invite."""
    removed = aggregator.hub.cli("federation", "remove", town.url).stdout
    assert "1 pinned origin forgotten" in removed
    assert aggregator.client.get("/public/network.json").json["totals"] == []
    assert aggregator.push(town, [town.sign(town.summary("2025-06"))]).status_code == 403
    assert aggregator.join(town).status_code == 201
    own = aggregator.hub.cli("federation", "remove", aggregator.url, ok=False)
    assert own.exit_code == 1 and "this instance itself" in own.output


def test_an_operator_blocks_an_id_or_a_key_with_a_reason(aggregator, town, member, caplog):
    """[R6.3] The reason is kept, shown in status and logged with each refusal it causes."""
    reason = "sent forged figures in March"
    aggregator.hub.cli("federation", "block", town.url, "--reason", reason)
    status = aggregator.status()
    assert status["blocks"][0]["value"] == town.url and status["blocks"][0]["reason"] == reason
    assert f"Blocked {town.url}" in aggregator.hub.cli("federation", "status").stdout
    assert aggregator.client.get("/public/network.json").json["totals"] == []
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hub.federation"):
        rejoined = aggregator.join(town)
        assert rejoined.status_code == 409 and reason in rejoined.json["details"]["descriptor"][0]
        assert aggregator.push(town, []).status_code == 403
    assert sum(reason in record.getMessage() for record in caplog.records) == 2
    # A region relaying the blocked town's summaries gets them refused with the reason.
    region = member("https://region.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    items = [vouch(region, town.descriptor), town.sign(town.summary("2025-05"))]
    reasons = refused_alone(aggregator, region, items)
    assert all(reason in r for r in reasons)
    # A key block catches the same key under any id.
    renamed = member("https://renamed.example")
    renamed.key = town.key
    renamed.descriptor = {**town.descriptor, "id": renamed.url}
    aggregator.hub.cli(
        "federation", "block", town.descriptor["public_key"], "--reason", "same people"
    )
    assert aggregator.join(renamed).status_code == 409
    aggregator.hub.cli("federation", "unblock", town.url)
    aggregator.hub.cli("federation", "unblock", town.descriptor["public_key"])
    assert aggregator.join(town).status_code == 201
    assert (
        aggregator.hub.cli("federation", "block", "not a url", "--reason", "x", ok=False).exit_code
        == 1
    )
    assert (
        aggregator.hub.cli("federation", "block", town.url, "--reason", "\x00", ok=False).exit_code
        == 1
    )


def test_an_operator_unfollows_a_peer_and_what_it_alone_vouched_for(aggregator, fake_peer, member):
    """[R6.3] [R6.1]"""
    region = fake_peer("region")
    aggregator.hub.cli("federation", "follow", region.url, "--aggregator")
    relayer = member(region.url)
    relayer.key = region.key
    stranger = member("https://stranger.example")
    region.serve_items([vouch(relayer, stranger.descriptor), stranger.sign(stranger.summary())])
    assert f"{region.url}: 2 new" in aggregator.hub.cli("federation", "sync").stdout
    peers = {p["url"]: p for p in aggregator.status()["peers"]}
    assert peers[region.url]["role"] == "aggregator"
    gone = aggregator.hub.cli("federation", "unfollow", region.url).stdout
    assert "2 pinned origins forgotten" in gone
    status = aggregator.status()
    assert status["peers"] == [] and status["summaries"] == 0
    again = aggregator.hub.cli("federation", "unfollow", region.url, ok=False)
    assert again.exit_code == 1 and "does not follow" in again.output
    vouched = aggregator.hub.cli("federation", "role", stranger.url, "aggregator", ok=False)
    assert vouched.exit_code == 1 and "not pinned" in vouched.output


def test_roles_are_recorded_when_joined_and_followed(aggregator, fake_peer, member):
    """[R6.1]"""
    region = member("https://region.example")
    town = member("https://town.example")
    assert aggregator.join(region, aggregator.invite("--aggregator")).status_code == 201
    assert aggregator.join(town).status_code == 201
    peer = fake_peer("peer")
    aggregator.hub.cli("federation", "follow", peer.url)
    roles = {t["id"]: (t["relation"], t["role"]) for t in aggregator.status()["trusted"]}
    assert roles == {
        region.url: ("member", "aggregator"),
        town.url: ("member", "instance"),
        peer.url: ("followed", "instance"),
    }
    aggregator.hub.cli("federation", "follow", peer.url, "--aggregator")
    roles = {t["id"]: t["role"] for t in aggregator.status()["trusted"]}
    assert roles[peer.url] == "aggregator"
    assert (
        "Trusted directly: 2 members, 1 followed, 0 joined"
        in aggregator.hub.cli("federation", "status").stdout
    )


def test_a_fresh_key_would_verify_but_nothing_pins_it(refusing):
    """[R2.6] A summary signed by a key nobody pinned is refused as its origin's, never trusted."""
    aggregator, town = refusing
    stranger = Ed25519PrivateKey.generate()
    (reason,) = refused_alone(aggregator, town, [town.sign(town.summary("2025-06"), stranger)])
    assert "bad signature" in reason


def test_the_largest_figures_and_revisions_the_spec_allows_are_stored(aggregator, town):
    """[R3.5] [R3.6] Up to 2^53-1, on PostgreSQL too (whose integer stops at 2^31-1)."""
    largest = 2**53 - 1
    summary = town.summary("2025-06", revision=largest, repairs=largest, visitors=largest - 1)
    answer = aggregator.push(
        town, [town.sign(summary), town.sign(town.summary("2025-07", revision=2**31))]
    )
    assert answer.json == {"accepted": 2, "unchanged": 0, "refused": []}
    held = [json.loads(i["payload"]) for i in aggregator.client.get(FEED).json["items"]]
    assert {(d.get("period"), d.get("revision")) for d in held} >= {
        ("2025-06", largest),
        ("2025-07", 2**31),
    }
