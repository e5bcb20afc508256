"""Benchmark: an aggregator ingesting a year of weekly summaries from 1,000 members.

    python -m benchmarks.federation_ingest [--members 1000] [--weeks 52] [--database-url URL]

Every summary (4 metrics) is signed by its member and every signature is
verified on arrival, through the same code path the inbox and ``hub
federation sync`` use (strict parsing, canonical-form check, pinned-key
verification, revision rules, one feed position per stored summary).

Printed beside a baseline measured in the same run on the same machine:

- baseline, the raw pipeline: ``json.loads``, the canonical-form check (the
  compact sorted ``json.dumps`` the hub also uses for plain ASCII documents)
  and PyNaCl's Ed25519 verify of the same documents, in as many spawned
  processes as the hub's checker uses, in the same pages and chunks, the parsed
  documents sent back to the parent: no rules, no database. It is the floor any
  implementation on this machine pays;
- ingest: summaries stored per second, checked on the machine's cores as
  ``hub federation sync`` does, and its ratio to the raw pipeline;
- re-ingest of the same batches (everything unchanged: idempotent receiving);
- a follower (a database of its own) pulling the aggregator's whole feed over
  HTTP, then a sync round in which nothing changed: requests and bytes per peer,
  counted on the wire (request and status lines, headers and bodies).

Targets: ingest at least 0.7x the raw pipeline (issue 18) and 5,000 verified
summaries per second on a 2-core machine (issue 6); a no-change round of one
small request per peer. The last line is the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import socket
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from nacl.signing import VerifyKey
from werkzeug.serving import WSGIRequestHandler, make_server

from benchmarks.foodbank_parcels import scratch_database
from hub import create_app, migrate
from hub.cli import write_config
from hub.db import database, get_session
from hub.federation import identity, store, sync
from hub.federation.checking import ParallelChecker
from hub.federation.documents import Signed
from hub.federation.net import Client
from hub.periods import Period

TARGET_PER_SECOND = 5_000
TARGET_OF_RAW = 0.7
# What every member's descriptor declares (receivers check summaries against it).
PLUGIN = {
    "name": "repaircafe",
    "version": "0.1.0",
    "metrics": [
        {
            "name": name,
            "unit": unit,
            "description": name,
            "counts": counts,
            "counts_people": counts == "people",
            "window": "period",
            "codes": None,
        }
        for name, unit, counts in (
            ("items_brought", "items", "events"),
            ("items_fixed", "items", "events"),
            ("waste_prevented_g", "grams", "quantity"),
            ("visitors", "people", "people"),
        )
    ],
}
BATCH = 1000  # the largest page a feed serves


def make_app(folder: Path, name: str, base_url: str, database_url: str) -> Flask:
    instance = folder / name
    instance.mkdir(parents=True)
    write_config(
        instance,
        {
            "INSTANCE_NAME": name.title(),
            "BASE_URL": base_url,
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "DATABASE_URL": database_url or f"sqlite:///{instance / 'hub.sqlite3'}",
            "PLUGINS": [],
            "FEDERATION_ALLOW_PRIVATE": True,
        },
    )
    identity.ensure_keypair(instance)
    app = create_app(instance_path=instance)
    migrate.upgrade(app)
    return app


def members_and_summaries(members: int, weeks: int) -> tuple[list[dict[str, Any]], list[Any]]:
    """Member descriptors, and their signed weekly summaries in arrival order."""
    descriptors, items = [], []
    first = Period.week_of(dt.date(2025, 1, 6))
    periods = [first]
    for _ in range(weeks - 1):
        periods.append(periods[-1].next())
    for n in range(members):
        key = Ed25519PrivateKey.generate()
        origin = f"https://group{n:04d}.example.org"
        descriptors.append(
            {
                "id": origin,
                "name": f"Group {n}",
                "locality": {
                    "town": f"Town {n % 97}",
                    "region": f"Region {n % 9}",
                    "country": "GB",
                },
                "protocol": "hub-federation/1",
                "public_key": identity.encode_public_key(key.public_key()),
                "disclosure": {"threshold": 5, "rounding": 5},
                "plugins": [PLUGIN],
            }
        )
        for week, period in enumerate(periods):
            document = {
                "origin": origin,
                "plugin": "repaircafe",
                "period": str(period),
                "metrics": {
                    "items_brought": 20 + (n + week) % 30,
                    "items_fixed": 10 + (n * week) % 15,
                    "waste_prevented_g": 12_000 + 37 * n + week,
                    "visitors": None if (n + week) % 11 == 0 else 15 + 5 * (week % 4),
                },
                "revision": 1,
                "generated_at": "2026-01-05T09:00:00Z",
            }
            items.append(Signed.make(document, key).as_json())
    return descriptors, items


def _raw_chunk(job: tuple[list[tuple[str, str]], dict[str, bytes]]) -> list[dict[str, Any]]:
    """The raw pipeline over one chunk: parse, check canonical form, verify."""
    pairs, keys = job
    documents = []
    for payload, signature in pairs:
        document = json.loads(payload)
        if json.dumps(document, sort_keys=True, separators=(",", ":")) != payload:
            raise ValueError("not canonical")
        key = VerifyKey(keys[document["origin"]])
        key.verify(payload.encode(), base64.urlsafe_b64decode(signature + "=="))
        documents.append(document)
    return documents


def raw_pipeline(items: list[Any], keys: dict[str, bytes], workers: int) -> float:
    """Seconds for the raw pipeline over every item, in the checker's pages and chunks."""
    size = -(-BATCH // (workers * 2))  # as ParallelChecker splits a page
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        warm = [(item["payload"], item["signature"]) for item in items[:size]]
        list(pool.map(_raw_chunk, [(warm, keys)] * workers))  # started, as a sync's are
        start = time.perf_counter()
        futures = []
        for first in range(0, len(items), BATCH):
            page = [(item["payload"], item["signature"]) for item in items[first : first + BATCH]]
            origins = {json.loads(payload)["origin"] for payload, _ in page}
            page_keys = {origin: keys[origin] for origin in origins}
            futures += [
                pool.submit(_raw_chunk, (page[i : i + size], page_keys))
                for i in range(0, len(page), size)
            ]
        checked = sum(len(future.result()) for future in futures)
        seconds = time.perf_counter() - start
    assert checked == len(items)
    return seconds


def ingest_all(app: Flask, items: list[Any]) -> tuple[float, store.Outcome]:
    checker = ParallelChecker()
    outcome = store.Outcome()
    node = store.Node.of(app)
    try:
        # Start the workers outside the timing, as a long sync has them running already.
        checker(items[: checker.threshold], {})
        start = time.perf_counter()
        with app.app_context(), store.receiving_in_bulk():
            session = get_session()
            for first in range(0, len(items), BATCH):
                # As a sync does: the next page is checked while this one is stored.
                following = store.summary_pairs(items[first + BATCH : first + 2 * BATCH])

                def check_next(pairs: list[tuple[str, str]] = following) -> None:
                    checker.prefetch(pairs, store.rules_for(session, store.claimed_origins(pairs)))

                outcome.add(
                    store.ingest(
                        session,
                        node,
                        items[first : first + BATCH],
                        source="https://bench.example",
                        check=checker,
                        after_check=check_next,
                    )
                )
                session.commit()
        return time.perf_counter() - start, outcome
    finally:
        checker.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Quiet(WSGIRequestHandler):
    def log_request(self, *_args: Any) -> None:
        pass


class Served:
    def __init__(self, app: Flask, port: int) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True, request_handler=Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--database-url", default="", help="Default: SQLite in a temporary folder.")
    args = parser.parse_args()

    print(f"cores: {os.cpu_count()}; preparing {args.members} members x {args.weeks} weeks ...")
    descriptors, items = members_and_summaries(args.members, args.weeks)
    count = len(items)
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        # The follower stores what it pulls in a database of its own, as a real one does.
        follower_url = (
            stack.enter_context(scratch_database(args.database_url)) if args.database_url else ""
        )
        url = f"http://127.0.0.1:{free_port()}"
        aggregator = make_app(root, "aggregator", url, args.database_url)
        with aggregator.app_context():
            session = get_session()
            node = store.Node.of(aggregator)
            for described in descriptors:
                store.pin(session, node, described, relation="member")
            session.commit()
        keys = {d["id"]: identity.raw_public_key(d["public_key"]) for d in descriptors}

        workers = ParallelChecker().workers
        raw = raw_pipeline(items, keys, workers)
        seconds, outcome = ingest_all(aggregator, items)
        assert outcome.accepted == count and not outcome.refused, outcome.refused[:3]
        again, repeat = ingest_all(aggregator, items)
        assert repeat.unchanged == count

        of_raw = raw / seconds
        print(f"\nsummaries: {count:,} (4 metrics each), every signature verified")
        print(f"  baseline, raw pipeline ({workers} processes):  {count / raw:>9,.0f} /s")
        print(
            f"  ingest (checked on {workers} processes, stored): {count / seconds:>9,.0f} /s"
            f"   {of_raw:.2f}x the raw pipeline; target >= {TARGET_OF_RAW}x: "
            f"{'met' if of_raw >= TARGET_OF_RAW else 'NOT met'}; "
            f">= {TARGET_PER_SECOND:,}/s: "
            f"{'met' if count / seconds >= TARGET_PER_SECOND else 'NOT met'}"
        )
        print(f"  re-ingest, all unchanged:                  {count / again:>9,.0f} /s")

        # A follower pulls the aggregator's feed over HTTP, then syncs again with nothing new.
        served = Served(aggregator, int(url.rsplit(":", 1)[1]))
        follower = make_app(root, "follower", "http://127.0.0.1:2", follower_url)
        try:
            with follower.app_context(), Client(allow_private=True) as client:
                sync.follow(follower, get_session(), client, url, None, "aggregator")
                get_session().commit()
                start = time.perf_counter()
                sync.sync(follower, client, limit=1000)
                pulled = time.perf_counter() - start
                held = sync.status(follower)["summaries"]
            with follower.app_context(), Client(allow_private=True) as client:
                reports = sync.sync(follower, client, limit=1000)
                traffic = client.traffic
        finally:
            served.stop()
        peers = len(reports)
        print(f"\npull over HTTP: {held:,} summaries (and {args.members:,} key statements)")
        print(f"  full sync from the aggregator:             {held / pulled:>9,.0f} /s")
        print(
            f"  no-change round: {traffic.requests / peers:.0f} request(s) per peer, "
            f"{traffic.bytes_sent / peers:.0f} bytes sent and "
            f"{traffic.bytes_received / peers:.0f} bytes received per peer (on the wire)"
        )
        for app in (aggregator, follower):
            database(app).engine.dispose()
    figures = {
        "summaries": count,
        "raw_per_second": round(count / raw),
        "ingest_per_second": round(count / seconds),
        "ingest_of_raw": round(of_raw, 3),
        "reingest_per_second": round(count / again),
        "pull_per_second": round(held / pulled),
        "no_change_requests_per_peer": traffic.requests / peers,
        "no_change_bytes_sent_per_peer": round(traffic.bytes_sent / peers),
        "no_change_bytes_received_per_peer": round(traffic.bytes_received / peers),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
