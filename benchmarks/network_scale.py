"""Network benchmark: how an aggregator's pages grow with the number of members.

    python -m benchmarks.network_scale [--sizes 50,500,5000] [--rounds 15]
                                       [--database-url URL]

Builds one aggregator (SQLite in a temporary folder, or the empty database at
``--database-url``) and grows it to each size in turn: every member is pinned
with its own key through :func:`hub.federation.store.pin` and holds 52 weeks and
12 months of signed summaries of 12 metrics, stored through
:func:`hub.federation.store.write_rows`, the storage function ingest ends in
(the signatures are real; verifying them is the ingest benchmark's business).
A tenth of the people counts are suppressed; members are spread over ten regions.

At each size a fresh worker process (as gunicorn would run one) serves, through
the WSGI app, ``/network`` (signed in), ``/public``, ``/public/network.json``,
a chart widget and the totals API for one period, and reports each one's median
and 95th percentile, its RSS once built and signed in, and its peak RSS while
serving the pages (Linux's VmHWM, reset after the sign-in). It then times the
metric catalogue every public page starts from (``Catalogue.build``): as a
request finds it (the descriptors unchanged since the worker read them), and as
the first request after a descriptor changed finds it (read again from every
pinned descriptor). The baseline, measured by the same worker in the same run,
is the sign-in page (a template, no records read). The growth ratio is each
figure's median at this size over its median at the smallest size (by default
50, 500 and 5,000 members: 1x, 10x and 100x).

Targets (issue 18): at 5,000 members every page ≤ 200 ms, the totals API
≤ 20 ms, a worker ≤ 150 MB; growth flat or logarithmic (from 100 to 5,000
members, 50x the data, a page should take well under 50x as long: the
benchmark prints the ratio and the log2 of the size ratio beside it).
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

PAGE_TARGET_MS = 200.0
TOTALS_TARGET_MS = 20.0
RSS_TARGET_MB = 150.0
PASSWORD = "benchmark password"
EMAIL = "admin@example.org"
PLUGIN = "foodbank"
BATCH = 1000  # summaries stored in one transaction, as one page of a pull is
YEAR = 2025
REGIONS = [
    "Wales",
    "Scotland",
    "North East",
    "North West",
    "Yorkshire",
    "Midlands",
    "East",
    "London",
    "South East",
    "South West",
]
# Twelve figures, three of them people counts (suppressed below the threshold).
METRICS = [
    ("parcels", "events"),
    ("adults_fed", "events"),
    ("children_fed", "events"),
    ("households_served", "households"),
    ("households_new", "households"),
    ("volunteers", "people"),
    ("grams_distributed", "quantity"),
    ("grams_donated", "quantity"),
    ("vouchers", "events"),
    ("referrals", "events"),
    ("signposted", "events"),
    ("sessions", "events"),
]
PAGES = {
    "/network": "/network?plugin=foodbank&metric=parcels&kind=month",
    "/public": "/public",
    "/public/network.json": "/public/network.json",
    "chart widget": f"/embed/chart/{PLUGIN}/parcels",
    "totals API": f"/api/v1/network/totals?plugin={PLUGIN}&period={YEAR}-06",
}
CATALOGUE = ("catalogue, unchanged", "catalogue, after a change")


def periods() -> list[str]:
    return [f"{YEAR}-W{week:02d}" for week in range(1, 53)] + [
        f"{YEAR}-{month:02d}" for month in range(1, 13)
    ]


def descriptor(origin: str, number: int, public_key: str) -> dict[str, Any]:
    from hub.metrics import Metric

    metrics = [
        Metric(name, "count", f"benchmark figure {name}", counts=counts).describe()  # type: ignore[arg-type]
        for name, counts in METRICS
    ]
    return {
        "id": origin,
        "name": f"Food bank {number:05d}",
        "locality": {
            "town": f"Town {number:05d}",
            "region": REGIONS[number % len(REGIONS)],
            "country": "GB",
        },
        "software": {"name": "community-hub", "version": "0.1.0"},
        "protocol": "hub-federation/1",
        "public_key": public_key,
        "disclosure": {"threshold": 5, "rounding": 5},
        "plugins": [{"name": PLUGIN, "version": "0.1.0", "metrics": metrics}],
    }


def figures(rng: random.Random) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for name, counts in METRICS:
        value = rng.randrange(0, 400)
        if counts in ("people", "households"):
            found[name] = None if rng.random() < 0.1 else value // 5 * 5
        else:
            found[name] = value * (1000 if counts == "quantity" else 1)
    return found


def add_members(app: Any, first: int, last: int, seed: int) -> None:
    """Pin members ``first`` to ``last - 1`` and store their summaries."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from hub.db import get_session
    from hub.federation import identity, store
    from hub.federation.documents import Signed

    rng = random.Random(seed + first)
    with app.app_context():
        session = get_session()
        node = store.Node.of(app)
        batch: list[dict[str, Any]] = []
        for number in range(first, last):
            origin = f"https://foodbank{number:05d}.example.org"
            key = Ed25519PrivateKey.generate()
            public = identity.encode_public_key(key.public_key())
            store.pin(session, node, descriptor(origin, number, public), relation="member")
            rows = []
            for period in periods():
                document = {
                    "origin": origin,
                    "plugin": PLUGIN,
                    "period": period,
                    "metrics": figures(rng),
                    "revision": 1,
                    "generated_at": f"{YEAR + 1}-01-05T09:00:00Z",
                }
                signed = Signed.make(document, key)
                rows.append(
                    {
                        "id": None,
                        **{name: document[name] for name in ("origin", "plugin", "period")},
                        "revision": 1,
                        "metrics": document["metrics"],
                        "payload": signed.payload,
                        "signature": signed.signature,
                        "generated_at": document["generated_at"],
                        "received_from": origin,
                    }
                )
            batch.extend(rows)
            if len(batch) >= BATCH:  # as a sync stores a page of a feed
                store.write_rows(session, store.lock_feed(session), batch)
                session.commit()
                batch = []
        store.write_rows(session, store.lock_feed(session), batch)
        session.commit()


def build(root: Path, database_url: str | None) -> Any:
    from hub import auth, create_app, migrate
    from hub.cli import write_config
    from hub.db import get_session
    from hub.federation import identity, store
    from hub.models import User

    write_config(
        root,
        {
            "INSTANCE_NAME": "Benchmark Network",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": database_url or f"sqlite:///{root / 'hub.sqlite3'}",
            "BASE_URL": "https://network.example.org",
            "PLUGINS": [],
        },
    )
    identity.ensure_keypair(root)
    app = create_app(instance_path=root)
    migrate.upgrade(app)
    with app.app_context():
        session = get_session()
        node = store.Node.of(app)
        own = descriptor(node.id, 0, node.public_key)
        own["plugins"] = []
        store.pin_self(session, node, own)
        admin = User(email=EMAIL, role="admin", password_hash=auth.hash_password(PASSWORD))
        session.add(admin)
        session.flush()
        token = auth.create_token(admin, "benchmark")
        session.commit()
    (root / "token").write_text(token)
    return app


def settle(app: Any) -> None:
    """What autovacuum does for a running aggregator between bursts: building thousands
    of members in minutes rewrites each subtotal row thousands of times, faster than
    autovacuum clears the dead rows and refreshes the planner's statistics."""
    from hub.db import database

    engine = database(app).engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


# --- the worker -----------------------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (``VmHWM``: its peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> None:
    """Start the peak (VmHWM) again from now: signing in hashes a password with
    argon2id, whose 64 MiB is given back at once and is not what pages cost."""
    Path("/proc/self/clear_refs").write_text("5")


def serve(root: Path, rounds: int) -> None:
    """Time every page in this (fresh) process; print one JSON object."""
    from benchmarks.web_pages import sign_in
    from hub import create_app

    app = create_app(instance_path=root)
    token = (root / "token").read_text()
    browser = app.test_client()
    sign_in(browser)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    anonymous = app.test_client()
    started_mb = rss_mb()
    reset_peak_rss()

    def fetch(label: str, path: str) -> Any:
        if label == "totals API":
            return api.get(path, headers=bearer)
        client = browser if label == "/network" else anonymous
        return client.get(path)

    results: dict[str, Any] = {}
    for label, path in {"baseline: sign-in page": "/login", **PAGES}.items():
        samples = []
        for _ in range(rounds + 1):  # the first warms caches and is not counted
            began = time.perf_counter()
            response = fetch(label, path)
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        results[label] = timings(samples[1:], len(response.get_data()))
    results.update(catalogue_timings(app, rounds))
    measured = {
        "pages": results,
        "rss_start_mb": round(started_mb, 1),  # the app built, signed in
        "rss_peak_mb": round(rss_mb("VmHWM"), 1),  # while serving the pages
        "rss_end_mb": round(rss_mb(), 1),
    }
    print(json.dumps(measured))


def catalogue_timings(app: Any, rounds: int) -> dict[str, Any]:
    """``Catalogue.build`` as a request finds it, and right after a descriptor changed
    (as a pin or an unpin marks it, in another transaction, as another worker would)."""
    from hub.db import get_session
    from hub.federation import store
    from hub.web.public_figures import Catalogue

    samples: dict[str, list[float]] = {label: [] for label in CATALOGUE}
    with app.app_context():
        session = get_session()
        for _ in range(rounds + 1):
            store.described_anew(store.lock_feed(session))
            session.commit()
            for label in reversed(CATALOGUE):  # the change first, then unchanged
                began = time.perf_counter()
                Catalogue.build(app, session)
                samples[label].append((time.perf_counter() - began) * 1000)
                session.commit()  # each request in a transaction of its own
    return {label: timings(values[1:]) for label, values in samples.items()}


def timings(samples: list[float], size: int = 0) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)], 2),
        "bytes": size,
    }


def measure(root: Path, rounds: int) -> dict[str, Any]:
    worker = [sys.executable, "-m", "benchmarks.network_scale", "--serve", str(root)]
    done = subprocess.run(
        [*worker, "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="50,500,5000", help="members, comma-separated")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--database-url", default=None, help="an empty database to fill")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)  # the worker
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve), args.rounds)
        return
    sizes = sorted({int(size) for size in args.sizes.split(",")})

    from hub.db import database

    figures_out: dict[str, Any] = {"sizes": {}, "targets": {}}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        app = build(root, args.database_url)
        engine = app.config["DATABASE_URL"].split(":")[0]
        print(f"aggregator on {engine}; {len(periods())} periods x {len(METRICS)} metrics each")
        held = 0
        first: dict[str, float] = {}
        for size in sizes:
            began = time.perf_counter()
            add_members(app, held + 1, size + 1, args.seed)
            held = size
            settle(app)
            built = time.perf_counter() - began
            measured = measure(root, args.rounds)
            pages = measured["pages"]
            baseline = pages["baseline: sign-in page"]["median_ms"]
            print(
                f"\n{size:,} members ({size * len(periods()):,} summaries; "
                f"added in {built:.1f} s); worker RSS {measured['rss_start_mb']:.0f} MB "
                f"at start, {measured['rss_peak_mb']:.0f} MB peak"
            )
            print(f"{'page':<24} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11} {'growth':>8}")
            for label, figure in pages.items():
                first.setdefault(label, figure["median_ms"])
                figure["growth"] = round(figure["median_ms"] / max(first[label], 1e-6), 2)
                print(
                    f"{label:<24} {figure['median_ms']:>10.1f} {figure['p95_ms']:>8.1f} "
                    f"{figure['median_ms'] / baseline:>11.1f} {figure['growth']:>8.2f}"
                )
            figures_out["sizes"][str(size)] = measured
        database(app).engine.dispose()
    largest = figures_out["sizes"][str(sizes[-1])]
    size_ratio = sizes[-1] / sizes[0]
    pages_ok = all(
        largest["pages"][label]["median_ms"] <= PAGE_TARGET_MS
        for label in PAGES
        if label != "totals API"
    )
    # What every public page pays for its labels: well under a page's budget.
    catalogue_ms = largest["pages"][CATALOGUE[0]]["median_ms"]
    totals_ok = largest["pages"]["totals API"]["median_ms"] <= TOTALS_TARGET_MS
    rss_ok = largest["rss_peak_mb"] <= RSS_TARGET_MB
    worst_growth = max(largest["pages"][label]["growth"] for label in [*PAGES, CATALOGUE[0]])
    print(
        f"\ntargets at {sizes[-1]:,} members: pages <= {PAGE_TARGET_MS:.0f} ms: "
        f"{'met' if pages_ok else 'MISSED'}; totals API <= {TOTALS_TARGET_MS:.0f} ms: "
        f"{'met' if totals_ok else 'MISSED'}; worker <= {RSS_TARGET_MB:.0f} MB: "
        f"{'met' if rss_ok else 'MISSED'}"
    )
    print(
        f"the catalogue as a request finds it: {catalogue_ms:.1f} ms at {sizes[-1]:,} members; "
        f"read again after a descriptor changed: "
        f"{largest['pages'][CATALOGUE[1]]['median_ms']:.1f} ms (once per change per worker)"
    )
    print(
        f"growth from {sizes[0]:,} to {sizes[-1]:,} members ({size_ratio:.0f}x the data, "
        f"log2 {math.log2(size_ratio):.1f}): worst page x{worst_growth:.2f}"
    )
    figures_out["targets"] = {
        "pages_ms": PAGE_TARGET_MS,
        "totals_ms": TOTALS_TARGET_MS,
        "rss_mb": RSS_TARGET_MB,
        "pages_met": pages_ok,
        "totals_met": totals_ok,
        "rss_met": rss_ok,
        "worst_growth": worst_growth,
        "catalogue_ms": catalogue_ms,
        "size_ratio": size_ratio,
    }
    figures_out["database"] = engine
    print(json.dumps(figures_out))


if __name__ == "__main__":
    main()
