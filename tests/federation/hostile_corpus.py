"""The hostile corpus, outside the suite: every class of tests/federation/corpus.py sent
at push and at pull to a town and two aggregators on loopback.

    .venv/bin/python tests/federation/hostile_corpus.py [--seed N] [--rounds N]

(``HUB_TEST_DATABASE_URL=postgresql+psycopg://...`` runs the instances on PostgreSQL.)

The network: a town pushes to a region, a nation follows the region as an
aggregator. The attacker is a member of the region and of the nation (trusted as
an instance), and a peer that the nation and the town follow. Each class is sent

- at push: in one inbox request to the region, the nation and the town (where the
  attacker is no member), plus the class's request-level attacks (bodies,
  headers, joins with a valid invite);
- at pull: as one page of the hostile peer's feed, pulled by the nation and the town.

For every class and receiver it prints how many items were accepted (the target
is 0), unchanged (byte-for-byte what the receiver already holds), refused and
answered with a server error (the target is 0), and whether the receiver's feed
and network totals were byte-identical before and after. It ends with one JSON
line of the figures, and exits 1 if anything was accepted, any server error
occurred, or anything changed.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from hub.testing import Databases  # noqa: E402

sys.path.insert(0, str(HERE))
import conftest as fixtures  # noqa: E402

corpus = fixtures.load_corpus()


class ServerErrors(logging.Handler):
    """Counts what the federation code logs as an unexpected error (a crash, caught)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def snapshot(hub: Any) -> tuple[bytes, bytes]:
    """A receiver's whole feed and its network totals, byte for byte."""
    pages, since = [], ""
    while True:
        answer = hub.get("/federation/v1/summaries", params={"since": since, "limit": 1000})
        pages.append(answer.content)
        page = answer.json()
        if not page["more"]:
            return b"".join(pages), hub.get("/public/network.json").content
        since = page["next"]


def push(hub: Any, attacker: Any, items: Any, **headers: str) -> httpx.Response:
    body, signed = attacker.push_request(items)
    return httpx.post(
        hub.url + "/federation/v1/inbox", content=body, headers={**signed, **headers}, timeout=60
    )


def tally(counts: Counter[str], answer: httpx.Response, sent: int) -> None:
    """Add one request's outcome: per item from a 200, or every item by the status."""
    if answer.status_code >= 500:
        counts["5xx"] += sent
    elif answer.status_code == 200 and "accepted" in answer.json():
        outcome = answer.json()
        counts["accepted"] += outcome["accepted"]
        counts["unchanged"] += outcome["unchanged"]
        counts["refused"] += len(outcome["refused"])
    elif answer.status_code in (200, 201):
        counts["accepted"] += sent
    else:
        counts["refused"] += sent


def requests_of(
    name: str, hub: Any, attacker: Any, scene: Any, rng: random.Random
) -> list[httpx.Response]:
    """The request-level attacks of a class, on one receiver."""
    good = [attacker.sign(scene.summary(rng))]
    body, headers = attacker.push_request(good)
    inbox = hub.url + "/federation/v1/inbox"
    join = hub.url + "/federation/v1/join"

    def joined(descriptor: dict[str, Any]) -> httpx.Response:
        token = hub.cli("federation", "invite").stdout.strip()
        content = json.dumps(
            {"token": token, "descriptor": attacker.sign_text(corpus.compact(descriptor))}
        )
        return httpx.post(join, content=content, headers=attacker.JSON)

    if name == "envelope shape":
        shapes = [
            b"[]",
            b'{"items": {}}',
            b'{"items": [], "more": 1}',
            b'{"items": [], "items": []}',
            b"",
            b"\xff",
        ]
        return [push(hub, attacker, shape) for shape in shapes] + [
            httpx.post(inbox, content=body, headers={**headers, "Content-Type": kind})
            for kind in ("text/plain", "application/json; charset=latin-1", "multipart/form-data")
        ]
    if name == "oversize":
        return [
            push(hub, attacker, b'{"items": ["' + b"x" * (8 * 1024 * 1024) + b'"]}'),
            push(hub, attacker, good * 1001),
            httpx.post(join, content=b" " * (128 * 1024 + 1), headers=attacker.JSON),
        ]
    if name == "bit flips":
        return [
            httpx.post(
                inbox,
                content=body,
                headers={
                    **headers,
                    "Hub-Signature": corpus._flip_signature(
                        {"signature": headers["Hub-Signature"]}, rng
                    )["signature"],
                },
            ),
            httpx.post(inbox, content=body + b" ", headers=headers),
        ]
    if name == "unicode":
        return [
            httpx.post(inbox, content=body, headers={**headers, "Hub-Origin": value})
            for value in (
                attacker.url.upper(),
                attacker.url + "/",
                "http://xn--e1afmkfd.example",
                "x" * 5000,
            )
        ]
    if name == "protocol":
        return [
            joined({**attacker.descriptor, "protocol": p})
            for p in ("hub-federation/2", "hub-federation/1\n")
        ]
    if name == "pin poisoning":
        return [
            joined({**attacker.descriptor, "id": f"https://new{n}.example", "public_key": key})
            for n, key in enumerate(corpus.BAD_KEYS)
        ]
    if name == "self-join":
        return [
            joined({**attacker.descriptor, "id": hub.url}),
            httpx.post(inbox, content=body, headers={**headers, "Hub-Origin": hub.url}),
        ]
    return []


def pull(hub: Any, peer: Any, items: list[Any], cursor: str, errors: ServerErrors) -> Counter[str]:
    """The hostile peer serves ``items`` as one page; ``hub`` pulls it."""
    peer.feed_body = json.dumps({"items": items, "next": cursor, "more": False}).encode()
    crashed = errors.count
    result = hub.cli("federation", "sync", "--force", "--retries", "0", ok=False)
    counts: Counter[str] = Counter()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        counts["5xx"] += len(items)
        return counts
    line = next(
        (line for line in result.stdout.splitlines() if line.startswith(peer.url + ":")), ""
    )
    if "failed" in line or not line:
        counts["refused"] += len(items)  # the whole page was refused: the peer failed this run
    else:
        parts = line[len(peer.url) + 1 :].split(",")  # " 1 new, 0 unchanged, 3 refused"
        new, unchanged, refused = (int(part.split()[0]) for part in parts)
        counts.update(accepted=new, unchanged=unchanged, refused=refused)
    counts["5xx"] += errors.count - crashed
    return counts


def build(root: Path) -> dict[str, Any]:
    """The town, region and nation, the attacker and the hostile peer, wired up."""
    (root / "databases").mkdir()
    databases = Databases(root / "databases")
    network = fixtures.Network(root, databases, fixtures.write_distribution(root / "site"))
    sys.path.insert(0, str(root / "site"))
    region, nation, town = (network.hub(name) for name in ("region", "nation", "town"))
    network.serve(region, nation, town)
    town.days(
        [
            {
                "date": "2025-05-03",
                "repairs": 12,
                "fixed": 7,
                "waste_prevented_g": 8400,
                "visitors": 19,
            }
        ]
    )
    town.cli("federation", "join", region.url, region.cli("federation", "invite").stdout.strip())
    town.cli("federation", "publish")
    older = [i for i in town.feed() if '"generated_at"' in i["payload"][:16]]
    town.days(
        [
            {
                "date": "2025-05-03",
                "repairs": 14,
                "fixed": 9,
                "waste_prevented_g": 9100,
                "visitors": 23,
            }
        ]
    )
    town.cli("federation", "publish")
    town.cli("federation", "push")
    nation.cli("federation", "follow", region.url, "--aggregator")
    nation.cli("federation", "sync")
    attacker = fixtures.Member("https://attacker.example", "Attacker")
    for hub in (region, nation):
        invite = hub.cli("federation", "invite").stdout.strip()
        answer = httpx.post(
            hub.url + "/federation/v1/join",
            content=attacker.join_body(invite),
            headers=attacker.JSON,
        )
        assert answer.status_code == 201, answer.text
    peer = fixtures.FakePeer("hostile")
    for hub in (nation, town):
        hub.cli("federation", "follow", peer.url)
    return {
        "network": network,
        "databases": databases,
        "region": region,
        "nation": nation,
        "town": town,
        "attacker": attacker,
        "peer": peer,
        "older": older,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--rounds", type=int, default=1, help="Each class this many times, with new draws."
    )
    args = parser.parse_args()
    errors = ServerErrors()
    logging.getLogger("hub").addHandler(errors)
    logging.getLogger("hub").setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        made = build(Path(folder))
        peer, attacker = made["peer"], made["attacker"]
        pusher = corpus.Signer(peer.url, peer.key)
        try:
            scenes = {}
            for name in ("region", "nation", "town"):
                hub = made[name]
                honest = hub.get("/federation/v1/summaries", params={"limit": 1000}).json()["items"]
                scenes[("push", name)] = corpus.Scene(
                    hub.url, attacker, attacker.descriptor, honest, made["older"]
                )
                scenes[("pull", name)] = corpus.Scene(
                    hub.url, pusher, peer.descriptor, honest, made["older"]
                )
            targets = [
                ("push", "region"),
                ("push", "nation"),
                ("push", "town"),
                ("pull", "nation"),
                ("pull", "town"),
            ]
            for (
                channel,
                name,
            ) in targets:  # the attacker's own summary first, for the revision tricks
                scene, hub = scenes[(channel, name)], made[name]
                held = scene.attacker.sign(scene.held())
                if channel == "push" and name != "town":
                    assert push(hub, attacker, [held]).json()["accepted"] == 1
                elif channel == "pull":
                    pull(hub, peer, [held], "setup-0", errors)
            turn = 0
            for _ in range(args.rounds):
                for class_name, make in corpus.CLASSES.items():
                    for channel, name in targets:
                        hub, scene = made[name], scenes[(channel, name)]
                        counts: Counter[str] = Counter()
                        before = snapshot(hub)
                        items = make(scene, rng)
                        if channel == "push":
                            tally(counts, push(hub, attacker, items), len(items))
                            for answer in requests_of(class_name, hub, attacker, scene, rng):
                                tally(counts, answer, 1)
                        else:
                            turn += 1
                            counts += pull(hub, peer, items, f"round-{turn}", errors)
                        row = results.setdefault(f"{class_name} | {channel} {name}", Counter())
                        row.update(counts)
                        row["changed"] += snapshot(hub) != before
        finally:
            peer.stop()
            made["network"].close()
            made["databases"].drop_all()
    return report(results)


def report(results: dict[str, Counter[str]]) -> int:
    print(
        f"{'class | channel receiver':<44} {'accepted':>8} {'unchanged':>9} {'refused':>8} {'5xx':>5}  identical"
    )
    totals: Counter[str] = Counter()
    for key, row in results.items():
        totals.update(row)
        identical = "yes" if not row["changed"] else f"NO ({row['changed']})"
        print(
            f"{key:<44} {row['accepted']:>8} {row['unchanged']:>9} {row['refused']:>8} {row['5xx']:>5}  {identical}"
        )
    sent = totals["accepted"] + totals["unchanged"] + totals["refused"] + totals["5xx"]
    print(
        f"\n{sent:,} hostile items and requests in {len(corpus.CLASSES)} classes: "
        f"{totals['accepted']} accepted, {totals['unchanged']} unchanged, {totals['refused']:,} refused, "
        f"{totals['5xx']} server errors; feed and totals changed in {totals['changed']} cases"
    )
    figures = {
        "sent": sent,
        **{k: totals[k] for k in ("accepted", "unchanged", "refused", "5xx", "changed")},
    }
    print(json.dumps(figures))
    return 1 if totals["accepted"] or totals["5xx"] or totals["changed"] else 0


if __name__ == "__main__":
    sys.exit(main())
