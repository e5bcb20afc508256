"""Tool library benchmark: check-outs at the counter under load, and catalogue search.

    python -m benchmarks.toollibrary_checkout [--clients 32] [--requests 3000] [--seconds 60]

1. Check-out: ``POST /api/v1/toollibrary/loans`` (token auth, validation, the item by its
   number and the member by their code, every lending rule, the one-open-loan index, an
   idempotency key, the audit log) under gunicorn on PostgreSQL, driven by 32 concurrent
   keep-alive clients from a second process on loopback, each lending a different item.
   Beside it, in the same run under the same gunicorn settings, a bare Flask endpoint
   doing one INSERT. Target: at least half the bare throughput.
2. The catalogue at 500 and at 5,000 items (10x): the API's search, the catalogue page
   with a search, and the catalogue page unfiltered, p95 of 50 requests each. Target:
   p95 under 50 ms at 5,000 items; the baseline is the same request at 500.

Everything runs in a PostgreSQL database of its own (created, then dropped) named from
``HUB_BENCH_DATABASE_URL`` (default: the local server's ``postgres`` database as the
maintenance connection). The last line is the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from benchmarks.foodbank_parcels import (
    DEFAULT_BASE,
    HOST,
    free_port,
    say,
    scratch_database,
    server_options,
    summarise,
    wait_until_ready,
)

BASE_URL_ENV = "HUB_BENCH_DATABASE_URL"
THROUGHPUT_TARGET = 0.5
SEARCH_P95_TARGET_MS = 50.0
ROUNDS = 3
MEMBERS = 400
SEARCH_REQUESTS = 50
PASSWORD = "benchmark-password"


def make_instance(root: Path, database_url: str) -> Path:
    from hub.cli import write_config
    from hub.federation import identity

    root.mkdir(parents=True, exist_ok=True)
    write_config(
        root,
        {
            "INSTANCE_NAME": "Benchmark Tool Library",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": database_url,
            "PLUGINS": ["toollibrary"],
        },
    )
    identity.ensure_keypair(root)
    return root


def build_app(instance: Path) -> Any:
    from hub import create_app

    return create_app(instance_path=instance)


# --- servers ------------------------------------------------------------------------------


def bare_app(database_url: str) -> Any:
    """The baseline: Flask, JSON in and out, one INSERT on the same engine settings."""
    from flask import Flask, jsonify, request

    from hub.db import make_engine

    engine = make_engine(database_url)
    app = Flask("bare")
    statement = text(
        "INSERT INTO bench_bare (item_number, member_code, out_on) "
        "VALUES (:item_number, :member_code, current_date) RETURNING id"
    )

    @app.post("/bare")
    def bare() -> Any:
        body = request.get_json()
        with engine.begin() as connection:
            new_id = connection.execute(
                statement, {"item_number": body["item_number"], "member_code": body["member_code"]}
            ).scalar_one()
        return jsonify({"id": new_id}), 201

    @app.get("/ready")
    def ready() -> str:
        return "ok"

    app.extensions["bench.engine"] = engine
    return app


def serve(kind: str, instance: Path, database_url: str, port: int, workers: int | None) -> None:
    from hub.server import HubServer

    if kind == "hub":
        app = build_app(instance)
        app.extensions["hub.db"].engine.dispose()
    else:
        app = bare_app(database_url)
        app.extensions["bench.engine"].dispose()
    HubServer(app, server_options(port, workers)).run()


@contextmanager
def running_server(
    kind: str, instance: Path, database_url: str, port: int, workers: int | None, ready: str
) -> Iterator[None]:
    command = [
        sys.executable, "-m", "benchmarks.toollibrary_checkout", "serve", kind,
        "--instance", str(instance), "--database-url", database_url, "--port", str(port),
        *(["--workers", str(workers)] if workers else []),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        wait_until_ready(port, ready, process)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the load generator (run in its own process) -------------------------------------------


def generate_load(
    port: int,
    path: str,
    token: str,
    items: list[str],
    members: list[str],
    clients: int,
    seconds: float,
    idempotent: bool,
    method: str = "POST",
) -> dict[str, Any]:
    """Each request lends the next item of ``items`` (so none is lent twice) to a member
    in turn; stops when the items or the time run out. A GET sends no body."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    tickets = itertools.count()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        bad: list[int] = []
        barrier.wait()
        while (ticket := next(tickets)) < len(items) and time.monotonic() < deadline:
            body = None
            if method == "POST":
                body = json.dumps(
                    {"item_number": items[ticket], "member_code": members[ticket % len(members)]}
                )
            sent = {**headers, "Idempotency-Key": uuid.uuid4().hex} if idempotent else headers
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - started)
            if status != (201 if method == "POST" else 200):
                bad.append(status)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "latencies": latencies,
        "failed": len(failures),
        "statuses": sorted(set(failures)),
        "seconds": time.perf_counter() - started,
    }


def load_from_second_process(spec: dict[str, Any], seconds: float) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.toollibrary_checkout", "load"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    return json.loads(result.stdout)


# --- set-up ---------------------------------------------------------------------------------


def prepare(app: Any) -> tuple[str, list[str]]:
    """A coordinator with a token, a membership type without a practical limit and
    ``MEMBERS`` approved members; returns the token and the members' codes."""
    from hub_toollibrary.models import Member, MembershipType

    from hub import auth, migrate
    from hub.db import get_session
    from hub.models import Location, OpeningTime, Person, User

    migrate.upgrade(app)
    with app.app_context():
        session = get_session()
        user = User(
            email="bench@example.org",
            name="Bench",
            role="coordinator",
            password_hash=auth.hash_password(PASSWORD),
        )
        session.add(user)
        session.flush()
        token = auth.create_token(user, "benchmark")
        location = Location(name="Tool Shed")
        location.opening_times = [
            OpeningTime(weekday=day, opens=dt.time(10), closes=dt.time(13)) for day in (2, 5)
        ]
        kind = MembershipType(name="Benchmark", borrowing_limit=100, loan_days=7)
        session.add_all([location, kind])
        today = dt.date.today()
        codes = [f"M{n:05d}" for n in range(MEMBERS)]
        for code in codes:
            person = Person(name=f"Member {code}", email=f"{code.lower()}@example.org")
            session.add(
                Member(
                    code=code,
                    person=person,
                    membership_type=kind,
                    status="approved",
                    applied_on=today,
                    approved_on=today,
                    agreement_accepted_on=today,
                    expires_on=today + dt.timedelta(days=365),
                )
            )
        session.commit()
        return token, codes


def add_items(app: Any, start: int, count: int) -> list[str]:
    """Items ``start`` to ``start + count`` from the demo's catalogue of names, in bulk."""
    from hub_toollibrary.demo import CATALOGUE
    from hub_toollibrary.models import Item

    from hub.db import get_session
    from hub.models import Location

    with app.app_context():
        session = get_session()
        location_id = session.scalar(text("SELECT min(id) FROM location"))
        assert session.get(Location, location_id) is not None
        rows = []
        for n in range(start, start + count):
            name, category, value, deposit, parts, _copies = CATALOGUE[n % len(CATALOGUE)]
            rows.append(
                {
                    "number": f"T{n:05d}",
                    "name": f"{name} ({n // len(CATALOGUE) + 1})",
                    "category": category,
                    "condition": "good",
                    "location_id": location_id,
                    "kit_parts": list(parts),
                    "replacement_value_pence": value * 100,
                    "deposit_pence": deposit * 100,
                    "restricted": False,
                    "notes": "",
                    "added_on": dt.date.today() - dt.timedelta(days=n % 700),
                    "created_at": dt.datetime.now(dt.UTC),
                }
            )
        session.execute(insert(Item.__table__), rows)
        session.execute(text("ANALYZE"))
        session.commit()
        return [row["number"] for row in rows]


def p95(action: Callable[[], Any], repeat: int = SEARCH_REQUESTS) -> float:
    action()  # warm-up
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(1000 * (time.perf_counter() - started))
    runs.sort()
    return runs[min(len(runs) - 1, int(len(runs) * 0.95))]


def search_timings(app: Any, token: str) -> dict[str, float]:
    from sqlalchemy import select

    from hub.db import get_session
    from hub.models import User
    from hub.testing import Account, login

    client = app.test_client()
    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == "bench@example.org"))
        assert user is not None
        account = Account(user.id, user.email, user.role, PASSWORD, token)
    login(client, account)  # through the real sign-in form: the pages' session
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, **kwargs: Any) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(path, **kwargs)
            assert response.status_code == 200, (path, response.status_code)

        return fetch

    return {
        "API search ?q=drill": p95(get("/api/v1/toollibrary/items?q=drill", headers=headers)),
        "API search, available power tools": p95(
            get(
                "/api/v1/toollibrary/items?network_category=power_tools&availability=available",
                headers=headers,
            )
        ),
        "catalogue page ?q=ladder": p95(get("/toollibrary/?q=ladder")),
        "catalogue page": p95(get("/toollibrary/")),
    }


# --- the run --------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    base = os.environ.get(BASE_URL_ENV, DEFAULT_BASE)
    figures: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-toollibrary-") as tmp,
        scratch_database(base) as url,
    ):
        instance = make_instance(Path(tmp) / "instance", url)
        app = build_app(instance)
        token, members = prepare(app)

        say("Catalogue search, p95 of 50 requests each (in process, PostgreSQL)")
        add_items(app, 0, 500)
        small = search_timings(app, token)
        add_items(app, 500, 4500)
        large = search_timings(app, token)
        for label, ms in large.items():
            verdict = "met" if ms < SEARCH_P95_TARGET_MS else "NOT met"
            say(
                f"  {label:<36} 500 items {small[label]:6.1f} ms   5,000 items {ms:6.1f} ms"
                f"  ({ms / small[label]:4.1f}x for 10x the items; target < 50 ms: {verdict})"
            )
        figures["search_p95_ms"] = {label: round(ms, 1) for label, ms in large.items()}
        figures["search_p95_ms_500"] = {label: round(ms, 1) for label, ms in small.items()}

        # Enough items that no check-out lends an item twice: fresh ones for the load.
        per_round = max(1, args.requests // ROUNDS)
        warm = min(300, per_round)
        wanted = warm + ROUNDS * per_round
        pool = iter(add_items(app, 5000, wanted))
        with app.app_context():
            from hub.db import get_session

            get_session().execute(
                text(
                    "CREATE TABLE bench_bare (id serial PRIMARY KEY, item_number text, "
                    "member_code text, out_on date)"
                )
            )
            get_session().commit()
        app.extensions["hub.db"].engine.dispose()

        say(
            f"\nCheck-out: {args.clients} clients, {args.requests} requests per server in "
            f"{ROUNDS} alternating rounds (each at most {args.seconds:.0f} s), gunicorn "
            f"({args.workers or 'default'} workers, gthread), PostgreSQL"
        )
        servers = {
            "bare": ("/bare", "/ready", False),
            "hub": ("/api/v1/toollibrary/loans", "/api/v1/openapi.json", True),
        }
        ports = {kind: free_port() for kind in servers}
        # Where the hub's own time goes: on the same server, a GET that signs the token in
        # and answers a fixed list, with no query of the plugin's.
        floor_path = "/api/v1/toollibrary/categories"
        kinds = ("bare", "hub", "floor")
        rounds: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        bare_items = [f"B{n:06d}" for n in range(wanted)]
        bare_pool = iter(bare_items)

        def measure(kind: str, total: int) -> dict[str, Any]:
            if kind == "floor":
                path, port, idempotent, method = floor_path, ports["hub"], False, "GET"
                items = ["-"] * total
            else:
                path, _, idempotent = servers[kind]
                port, method = ports[kind], "POST"
                source = pool if kind == "hub" else bare_pool
                items = [next(source) for _ in range(total)]
            spec = {
                "port": port,
                "path": path,
                "token": token,
                "items": items,
                "members": members,
                "clients": args.clients,
                "seconds": args.seconds,
                "idempotent": idempotent,
                "method": method,
            }
            return load_from_second_process(spec, args.seconds)

        with contextlib.ExitStack() as stack:
            for kind, (_, ready, _) in servers.items():
                stack.enter_context(
                    running_server(kind, instance, url, ports[kind], args.workers, ready)
                )
            for kind in servers:
                measure(kind, warm)  # warm-up, not counted
            # Alternating rounds: a busy moment on a shared machine falls on both.
            for _ in range(ROUNDS):
                for kind in kinds:
                    rounds[kind].append(measure(kind, per_round))
        results = {kind: summarise(each) for kind, each in rounds.items()}
        for kind, label in (
            ("bare", "bare Flask, one INSERT"),
            ("hub", "POST /api/v1/toollibrary/loans"),
        ):
            r = results[kind]
            say(
                f"  {label:<32} {r['rps']:8.1f} req/s   mean {r['mean_ms']:6.1f} ms   p50 {r['p50_ms']:6.1f}"
                f"   p90 {r['p90_ms']:6.1f}   p99 {r['p99_ms']:6.1f} ms"
                f"   ({r['requests']} requests, {r['failed']} failed{' ' + str(r['statuses']) if r['failed'] else ''})"
            )
        ratio = results["hub"]["rps"] / results["bare"]["rps"] if results["bare"]["rps"] else 0.0
        verdict = "met" if ratio >= THROUGHPUT_TARGET else "NOT met"
        say(f"  throughput ratio hub/bare: {ratio:.2f} (target >= {THROUGHPUT_TARGET}: {verdict})")
        floor = results["hub"]["rps"] / results["floor"]["rps"] if results["floor"]["rps"] else 0.0
        say(f"  check-out against the hub's own floor (a signed-in GET): {floor:.2f}")
        figures["ratio_to_hub_floor"] = round(floor, 3)
        figures["checkout"] = {
            kind: {
                key: round(value, 1) if isinstance(value, float) else value
                for key, value in r.items()
            }
            for kind, r in results.items()
        }
        figures["throughput_ratio"] = round(ratio, 3)
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.toollibrary_checkout", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=3000, help="Per server (bounded).")
    parser.add_argument("--seconds", type=float, default=60.0, help="Time limit per round.")
    parser.add_argument("--workers", type=int, default=None, help="Default: the hub's own default.")
    serve_parser = sub.add_parser("serve")
    serve_parser.add_argument("kind", choices=("hub", "bare"))
    serve_parser.add_argument("--instance", type=Path, required=True)
    serve_parser.add_argument("--database-url", required=True)
    serve_parser.add_argument("--port", type=int, required=True)
    serve_parser.add_argument("--workers", type=int, default=None)
    sub.add_parser("load")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.kind, args.instance, args.database_url, args.port, args.workers)
    elif args.command == "load":
        print(json.dumps(generate_load(**json.loads(sys.stdin.read()))))
    else:
        run(args)


if __name__ == "__main__":
    main()
