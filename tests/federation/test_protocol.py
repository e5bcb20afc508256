"""The protocol endpoints, the API and pages, through HTTP on one instance (no servers)."""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from hub import create_app
from hub.db import database, get_session
from hub.federation import aggregates, identity
from hub.federation.documents import Signed, b64encode
from hub.federation.grammar import b64url
from hub.federation.models import Invite
from hub.federation.protocol import hash_invite
from hub.testing import create_account, login

DAYS = [
    {"date": "2025-05-03", "repairs": 12, "fixed": 7, "waste_prevented_g": 8_400, "visitors": 19},
    {"date": "2025-05-17", "repairs": 9, "fixed": 6, "waste_prevented_g": 5_100, "visitors": 3},
    {"date": "2025-06-07", "repairs": 15, "fixed": 11, "waste_prevented_g": 10_250, "visitors": 24},
]


@pytest.fixture
def town(network: Any) -> Any:
    made = network.hub("town")
    made.days(DAYS)
    made.cli("federation", "publish", "--offline")
    return made


@pytest.fixture
def web(town: Any) -> Any:
    app = create_app(instance_path=town.path)
    yield app
    database(app).engine.dispose()


def test_descriptor_names_the_instance_its_key_and_metrics(web):
    descriptor = web.test_client().get("/.well-known/hub").json
    assert descriptor["protocol"] == "hub-federation/1"
    assert descriptor["id"] == web.config["BASE_URL"]
    key = identity.load_private_key(Path(web.instance_path)).public_key()
    assert descriptor["public_key"] == identity.encode_public_key(key)
    assert descriptor["disclosure"] == {"threshold": 5, "rounding": 5}
    (plugin,) = descriptor["plugins"]
    assert plugin["name"] == "testmetrics" and plugin["version"] == "0.1"
    visitors = next(m for m in plugin["metrics"] if m["name"] == "visitors")
    assert visitors["counts_people"] is True


def test_feed_pages_with_an_opaque_cursor_and_refuses_bad_parameters(web):
    client = web.test_client()
    first = client.get("/federation/v1/summaries?limit=2").json
    assert len(first["items"]) == 2 and first["more"] is True
    # The instance's statement about itself, then 3 weeks and 2 months.
    assert first["items"][0]["payload"].startswith('{"aggregator":')
    rest = client.get(f"/federation/v1/summaries?since={first['next']}").json
    assert len(rest["items"]) == 4 and rest["more"] is False
    done = client.get(f"/federation/v1/summaries?since={rest['next']}").json
    assert done["items"] == [] and done["next"] == rest["next"]
    # A cursor from another epoch (a restored or reset feed) starts again, never skips.
    epoch, _, seq = rest["next"].partition("-")
    other = "0" if epoch != "0" else "1"
    assert len(client.get(f"/federation/v1/summaries?since={other}-{seq}").json["items"]) == 6
    for query, field in (
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("since=nonsense", "since"),
    ):
        answer = client.get(f"/federation/v1/summaries?{query}")
        assert answer.status_code == 400 and field in answer.json["details"]
    assert client.get("/federation/v1/summaries?colour=red").json["details"] == {
        "colour": ["unknown"]
    }


def join(client: FlaskClient, someone: Any, token: str, descriptor: Any = None) -> Any:
    return client.post(
        "/federation/v1/join", data=someone.join_body(token, descriptor), headers=someone.JSON
    )


def push(client: FlaskClient, someone: Any, items: Any, key: Any = None) -> Any:
    body, headers = someone.push_request(items, key)
    return client.post("/federation/v1/inbox", data=body, headers=headers)


def make_invite(app: Any, *, days: int = 14, role: str = "instance") -> str:
    from hub.federation import sync

    with app.app_context():
        session = get_session()
        token = sync.invite(session, "test", days, role)
        session.commit()
    return token


def test_join_takes_a_one_time_token_and_proof_of_the_key(web, member):
    client = web.test_client()
    tregaron = member("https://tregaron.example")
    token = make_invite(web)
    assert join(client, tregaron, "hubinv_wrong").status_code == 403
    impostor = member("https://tregaron.example")
    forged = {"token": token, "descriptor": impostor.sign(tregaron.descriptor)}
    refused = client.post("/federation/v1/join", json=forged)
    assert refused.status_code == 400 and "descriptor" in refused.json["details"]
    # A small-order key (here the identity point) would let anyone "sign" for that
    # member with R = identity, S = 0; it is never pinned, whatever signed it.
    identity_point = bytes([1]) + bytes(31)
    weak = json.dumps(
        {
            **tregaron.descriptor,
            "id": "https://weak.example",
            "public_key": "ed25519:" + b64encode(identity_point),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    anyone = {"payload": weak, "signature": b64encode(identity_point + bytes(32))}
    refused = client.post("/federation/v1/join", json={"token": token, "descriptor": anyone})
    assert refused.status_code == 400 and "prime order" in refused.json["details"]["descriptor"][0]
    joined = join(client, tregaron, token)
    assert joined.status_code == 201
    assert json.loads(joined.json["aggregator"]["payload"])["id"] == web.config["BASE_URL"]
    assert join(client, tregaron, token).status_code == 403
    # An id already pinned with another key cannot be taken over with a new invite.
    taken = join(client, impostor, make_invite(web))
    assert taken.status_code == 409 and "another key" in taken.json["details"]["descriptor"][0]
    with web.app_context():
        session = get_session()
        session.add(
            Invite(
                token_hash=hash_invite("hubinv_" + "o" * 32),
                expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            )
        )
        session.commit()
    assert (
        join(client, member("https://elsewhere.example"), "hubinv_" + "o" * 32).status_code == 403
    )


def test_inbox_takes_signed_pushes_from_members_only(web, member):
    client = web.test_client()
    tregaron = member("https://tregaron.example")
    item = tregaron.sign(tregaron.summary())
    assert client.post("/federation/v1/inbox", json={"items": [item]}).status_code == 401
    assert push(client, tregaron, [item]).status_code == 403  # not a member yet
    join(client, tregaron, make_invite(web))
    assert push(client, tregaron, [item], Ed25519PrivateKey.generate()).status_code == 401
    accepted = push(client, tregaron, [item])
    assert accepted.status_code == 200 and accepted.json == {
        "accepted": 1,
        "unchanged": 0,
        "refused": [],
    }
    assert push(client, tregaron, [item]).json["unchanged"] == 1  # idempotent
    assert push(client, tregaron, [{"payload": 1}]).json["refused"]
    too_many = push(client, tregaron, [item] * 1001)
    assert too_many.status_code == 413
    nested = b"[" * 100_000  # deeper than any JSON parser's recursion limit
    pushed = push(client, tregaron, nested)
    assert pushed.status_code == 400 and pushed.json["error"] == "invalid JSON"
    joined = client.post("/federation/v1/join", data=nested, content_type="application/json")
    assert joined.status_code == 400 and joined.json["error"] == "invalid body"


def test_documents_held_byte_for_byte_are_not_verified_again(web, member):
    from hub.federation import store
    from hub.federation.checking import check_summaries

    cardigan = member("https://cardigan.example")
    join(web.test_client(), cardigan, make_invite(web))
    items = [
        cardigan.sign(cardigan.summary(f"2025-0{month}", repairs=10 + month)) for month in (1, 2, 3)
    ]
    hostile = [
        {"payload": "[" * 50_000, "signature": "AAAA"},
        {"payload": '{"origin":["x"],"period":{},"plugin":1}', "signature": "AAAA"},
    ]
    verified: list[str] = []

    def counting(pairs: Any, rules: Any) -> list[Any]:
        verified.extend(payload for payload, _ in pairs)
        return check_summaries(pairs, rules)

    with web.app_context():
        session = get_session()
        node = store.Node.of(web)
        first = store.ingest(session, node, items + hostile, source=cardigan.url, check=counting)
        session.commit()
        assert (first.accepted, len(first.refused), len(verified)) == (3, 2, 5)
        verified.clear()
        again = store.ingest(session, node, items + hostile, source=cardigan.url, check=counting)
        session.commit()
    assert again.unchanged == 3 and len(again.refused) == 2
    assert verified == [each["payload"] for each in hostile]  # only what is not held
    assert "nested too deeply" in again.refused[0]


def test_totals_api_validates_and_needs_a_token(web):
    client = web.test_client()
    viewer = create_account(web, "viewer")
    answer = client.get(
        "/api/v1/network/totals?plugin=testmetrics&period=2025-05", headers=viewer.headers
    )
    assert answer.status_code == 200
    assert answer.json == {
        "plugin": "testmetrics",
        "period": "2025-05",
        "origins": 1,
        # 19 + 3 visitors published rounded (20); the instance's own figure is never suppressed here
        "metrics": {"fixed": 13, "repairs": 21, "visitors": 20, "waste_prevented_g": 13_500},
        "suppressed": {},
        "out_of_range": [],
    }
    assert client.get("/api/v1/network/totals?plugin=testmetrics&period=2025-05").status_code == 401
    bad = client.get("/api/v1/network/totals?plugin=testmetrics&period=May", headers=viewer.headers)
    assert bad.status_code == 422 and "period" in bad.json["details"]
    missing = client.get("/api/v1/network/totals?period=2025-05", headers=viewer.headers)
    assert missing.status_code == 422 and "plugin" in missing.json["details"]
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/network/totals" in spec["paths"]


def test_public_page_and_open_data_need_no_sign_in(web):
    client = web.test_client()
    page = client.get("/public").get_data(as_text=True)
    # The plugin declares no labels (written before them): its descriptions read instead.
    assert "Testmetrics" in page and "<svg" in page and "Jun 2025" in page
    assert "Weight of the items fixed (kg)" in page and "<td>10.2</td>" in page
    rows = list(
        csv.DictReader(io.StringIO(client.get("/public/summaries.csv").get_data(as_text=True)))
    )
    may_visitors = next(r for r in rows if r["period"] == "2025-W20" and r["metric"] == "visitors")
    assert may_visitors == {
        "plugin": "testmetrics",
        "period": "2025-W20",
        "revision": "1",
        "metric": "visitors",
        "value": "",
        "suppressed": "true",
    }
    data = client.get("/public/summaries.json").json
    key = identity.load_private_key(Path(web.instance_path)).public_key()
    for summary in data["summaries"]:
        signed = summary["signed"]
        key.verify(b64url(signed["signature"], 64, "signature"), signed["payload"].encode())


def test_network_dashboard_shows_towns_side_by_side(web):
    client = web.test_client()
    assert client.get("/network").status_code == 302
    login(client, create_account(web, "viewer"))
    page = client.get("/network?plugin=testmetrics&metric=repairs&kind=month").get_data(
        as_text=True
    )
    assert "Towns side by side" in page and "Testtown" in page
    assert page.count("<svg") == 2 and "Network total" in page


def test_peers_on_internal_addresses_are_refused_unless_allowed(network):
    closed = network.hub("closed", FEDERATION_ALLOW_PRIVATE=False)
    for url in ("http://127.0.0.1:9", "http://localhost:9", "http://10.1.2.3", "http://[::1]:9"):
        refused = closed.cli("federation", "follow", url, ok=False)
        assert refused.exit_code == 1 and "internal address" in refused.output, refused.output
    joined = closed.cli("federation", "join", "http://192.168.1.20", "hubinv_x", ok=False)
    assert "internal address" in joined.output
    opened = network.hub("open")  # tests allow loopback: this one gets as far as connecting
    refused = opened.cli("federation", "follow", "http://127.0.0.1:9", "--retries", "0", ok=False)
    assert "unreachable" in refused.output


def test_a_run_that_finds_another_running_leaves_at_once(town):
    with (town.path / "federation.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = town.cli("federation", "sync")
    assert "Another federation run is in progress" in result.output


def test_suppressed_cells_are_never_guessed():
    def cells(*values: int | None) -> list[aggregates.Cell]:
        return [
            aggregates.Cell(f"https://{n}.example", {"people": v}) for n, v in enumerate(values)
        ]

    assert aggregates.combine(cells(20, 35, 0))["people"] == aggregates.Total(55, 3, 0)
    # One suppressed cell hides at most 4 (threshold 5): 4 x 10 <= 60, so 60 is published.
    assert aggregates.combine(cells(25, 35, None))["people"] == aggregates.Total(60, 3, 1)
    # Two suppressed cells could add 8 to 15: too much, the total is suppressed as well.
    assert aggregates.combine(cells(15, None, None))["people"] == aggregates.Total(None, 3, 2)
    higher = [aggregates.Cell("https://x.example", {"people": None}, threshold=10)]
    assert aggregates.combine(higher + cells(60))["people"].value is None  # 9 x 10 > 60


def test_checking_on_several_cores_gives_the_same_answers():
    from hub.federation.checking import Checked, ParallelChecker, Rules, check_summaries

    key = Ed25519PrivateKey.generate()
    origin = "https://llandeilo.example"
    figures = {"testmetrics": {"repairs": False}}
    keys = {
        origin: Rules(
            identity.raw_public_key(identity.encode_public_key(key.public_key())), figures
        )
    }

    def summary(week: int, repairs: int) -> tuple[str, str]:
        document = {
            "origin": origin,
            "plugin": "testmetrics",
            "period": f"2025-W{week:02d}",
            "metrics": {"repairs": repairs},
            "revision": 1,
            "generated_at": "2025-06-01T09:00:00Z",
        }
        signed = Signed.make(document, key)
        return signed.payload, signed.signature

    batch = [summary(week, week * 3) for week in range(1, 21)]
    batch[7] = (batch[7][0].replace('"repairs":24', '"repairs":25'), batch[7][1])  # tampered
    following = [summary(week, week) for week in range(21, 41)]
    checker = ParallelChecker(workers=2, threshold=1)
    try:
        first = checker(batch, keys)
        checker.prefetch(following, keys)
        second = checker(following, keys)
    finally:
        checker.close()
    assert first == check_summaries(batch, keys) and second == check_summaries(following, keys)
    assert [isinstance(result, Checked) for result in first].count(False) == 1
    assert "bad signature" in first[7][0]
