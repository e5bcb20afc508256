"""Time bank benchmark: exchanges recorded and confirmed under load, and statements of
long-standing members.

    python -m benchmarks.skillshare_exchanges [--clients 32] [--requests 3000] [--seconds 60]

1. Exchanges: each client is a pair of members; one records an exchange
   (``POST /api/v1/skillshare/exchanges``: token auth, validation, the limits, the audit
   log) and the other confirms it (``POST .../confirm``: the exchange's lock, the
   accounts' row locks, two movements, two balances), under gunicorn on PostgreSQL with
   32 concurrent keep-alive clients from a second process. Beside it, in the same run and
   under the same gunicorn settings, the food bank benchmark's bare Flask endpoint doing
   one INSERT. Target: at least half the bare endpoint's requests per second.
2. A member's balance, statement (first page, the page and the whole CSV) with 1,000,
   10,000 and 100,000 movements on their account. Target: under 50 ms at 10,000; the
   baseline is the same requests on an account with 10 movements.

Everything runs in a PostgreSQL database of its own (created, then dropped), from
``HUB_BENCH_DATABASE_URL`` as the food bank benchmark does. The last line is the
figures as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update

from benchmarks.foodbank_parcels import (
    BASE_URL_ENV,
    DEFAULT_BASE,
    HOST,
    ROUNDS,
    free_port,
    running_server,
    say,
    scratch_database,
    summarise,
    timed,
)

THROUGHPUT_TARGET = 0.5
STATEMENT_TARGET_MS = 50.0
SIZES = (1_000, 10_000, 100_000)
API = "/api/v1/skillshare"


def make_instance(root: Path, database_url: str) -> Path:
    from hub.cli import write_config
    from hub.federation import identity

    root.mkdir(parents=True, exist_ok=True)
    write_config(
        root,
        {
            "INSTANCE_NAME": "Benchmark Time Bank",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": database_url,
            "PLUGINS": ["skillshare"],
            # Generous limits: the load measures recording and posting, not refusals.
            "skillshare": {"debit_limit_minutes": 1_000_000, "credit_limit_minutes": 1_000_000},
        },
    )
    identity.ensure_keypair(root)
    return root


def prepare(app: Any, pairs: int) -> list[dict[str, Any]]:
    """``pairs`` pairs of members, each with a user and a token; the bare table."""
    from hub_skillshare import ledger
    from hub_skillshare.models import Member

    from hub import auth, migrate
    from hub.db import get_session
    from hub.models import Person, User

    migrate.upgrade(app)
    made = []
    with app.app_context():
        session = get_session()
        password = auth.hash_password("benchmark-password")
        for number in range(2 * pairs):
            user = User(
                email=f"member{number}@example.org",
                name="",
                role="volunteer",
                password_hash=password,
            )
            member = Member(person=Person(name=f"Member {number}"), user=user, status="active")
            session.add(member)
            account = ledger.open_account(session, member)
            session.flush()
            made.append({"token": auth.create_token(user, "benchmark"), "account": account.id})
        session.execute(
            text(
                "CREATE TABLE bench_bare (id serial PRIMARY KEY, household_id int, "
                "location_id int, weight_grams int, created_at timestamptz)"
            )
        )
        session.commit()
    app.extensions["hub.db"].engine.dispose()
    return [{"a": made[2 * n], "b": made[2 * n + 1]} for n in range(pairs)]


# --- the load generator (run in its own process) -------------------------------------------


def generate_load(
    port: int, kind: str, pairs: list[dict[str, Any]], total: int, seconds: float
) -> dict[str, Any]:
    """Each client: record-then-confirm exchanges as its pair of members (the hub), or
    one INSERT per request (bare); ``total`` requests in all, at most ``seconds``."""
    tickets = itertools.count()
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(len(pairs))

    def client(pair: dict[str, Any]) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        bad: list[int] = []

        def send(path: str, body: dict[str, Any], token: str) -> tuple[int, Any]:
            nonlocal connection
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            started = time.perf_counter()
            try:
                connection.request("POST", path, body=json.dumps(body), headers=headers)
                response = connection.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                status, payload = 0, b"{}"
            mine.append(time.perf_counter() - started)
            if status not in (200, 201):
                bad.append(status)
            return status, json.loads(payload or b"{}")

        barrier.wait()
        flip = False
        while next(tickets) < total and time.monotonic() < deadline:
            if kind == "bare":
                send("/bare", {"household_id": 1, "location_id": 1}, "")
                continue
            # Turn about, so that balances swing around zero.
            helper, helped = (pair["a"], pair["b"]) if flip else (pair["b"], pair["a"])
            flip = not flip
            transfer = {
                "from_account": helped["account"],
                "to_account": helper["account"],
                "minutes": 60,
            }
            status, made = send(
                f"{API}/exchanges", {"category": "garden", "transfers": [transfer]}, helper["token"]
            )
            if status == 201 and next(tickets) < total:
                send(f"{API}/exchanges/{made['id']}/confirm", {}, helped["token"])
        connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client, args=(pair,)) for pair in pairs]
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


def load_from_second_process(
    port: int, kind: str, pairs: list[dict[str, Any]], total: int, seconds: float
) -> dict[str, Any]:
    spec = {"port": port, "kind": kind, "pairs": pairs, "total": total, "seconds": seconds}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.skillshare_exchanges", "load"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    return json.loads(result.stdout)


# --- statements of long-standing members ------------------------------------------------


def seed_movements(app: Any, pair: dict[str, Any], movements: int) -> None:
    """``movements`` movements on the pair's first account: exchanges alternating in
    direction, written in bulk (one audit entry), balances set from them."""
    from hub_skillshare.models import Account, Confirmation, Exchange, Movement, Transfer

    from hub import audit
    from hub.db import get_session

    a, b = pair["a"]["account"], pair["b"]["account"]
    with app.app_context():
        session = get_session()
        start = (
            session.scalar(text("SELECT coalesce(max(id), 0) FROM skillshare_exchange")) or 0
        ) + 1
        first_day = dt.date.today() - dt.timedelta(days=movements // 3)
        moment = dt.datetime.now(dt.UTC)
        running = {
            account: session.scalar(select(Account.balance).where(Account.id == account))
            for account in (a, b)
        }
        for chunk in range(0, movements, 5_000):
            ids = range(start + chunk, start + min(chunk + 5_000, movements))
            exchanges, transfers, confirmations, lines = [], [], [], []
            for n in ids:
                payer, payee = (a, b) if n % 2 else (b, a)
                day = first_day + dt.timedelta(days=(n - start) // 3)
                exchanges.append(
                    {"id": n, "state": "confirmed", "category": "garden", "occurred_on": day,
                     "description": "", "brokered": False, "created_at": moment, "decided_at": moment}
                )  # fmt: skip
                transfers.append(
                    {"id": n, "exchange_id": n, "payer_id": payer, "payee_id": payee, "minutes": 60}
                )
                for account in (a, b):
                    confirmations.append(
                        {"exchange_id": n, "account_id": account, "state": "confirmed",
                         "decided_at": moment, "on_behalf": False}
                    )  # fmt: skip
                running[payer] -= 60
                running[payee] += 60
                for account, minutes in ((payer, -60), (payee, 60)):
                    lines.append(
                        {"exchange_id": n, "transfer_id": n, "account_id": account, "minutes": minutes,
                         "balance_after": running[account], "posted_at": moment}
                    )  # fmt: skip
            session.execute(insert(Exchange.__table__), exchanges)
            session.execute(insert(Transfer.__table__), transfers)
            session.execute(insert(Confirmation.__table__), confirmations)
            session.execute(insert(Movement.__table__), lines)
        for table in ("skillshare_exchange", "skillshare_transfer"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
        for account in (a, b):
            total = session.scalar(
                text(
                    "SELECT coalesce(sum(minutes), 0) FROM skillshare_movement WHERE account_id = :a"
                ),
                {"a": account},
            )
            session.execute(update(Account).where(Account.id == account).values(balance=total))
        audit.record(session, "bulk_seed", "skillshare_movement", "", movements=movements)
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()


def statement_timings(app: Any, pair: dict[str, Any]) -> dict[str, float]:
    """Milliseconds for the first member's balance, statement page (API and HTML) and CSV."""
    from hub_skillshare import ledger

    from hub.db import get_session

    client = app.test_client()
    account = pair["a"]["account"]
    headers = {"Authorization": f"Bearer {pair['a']['token']}"}

    def get(path: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)

        return fetch

    def check() -> None:
        with app.app_context():
            assert not ledger.problems(get_session())

    timings = {
        "balance (API)": timed(get(f"{API}/accounts/{account}")),
        "statement, first page (API)": timed(get(f"{API}/accounts/{account}/statement")),
        "statement, page 20 (API)": timed(get(f"{API}/accounts/{account}/statement?page=20")),
        "whole statement as CSV": timed(get(f"{API}/accounts/{account}/statement.csv"), repeat=3),
    }
    check()
    return timings


# --- the run -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    from hub import create_app

    base = os.environ.get(BASE_URL_ENV, DEFAULT_BASE)
    figures: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-skillshare-") as tmp,
        scratch_database(base) as url,
    ):
        instance = make_instance(Path(tmp) / "instance", url)
        pairs = prepare(create_app(instance_path=instance), args.clients + 1)
        load_pairs, statement_pair = pairs[:-1], pairs[-1]
        say(
            f"Exchanges recorded and confirmed: {args.clients} clients, {args.requests} requests per "
            f"server in {ROUNDS} alternating rounds (each at most {args.seconds:.0f} s), gunicorn "
            f"({args.workers or 'default'} workers, gthread), PostgreSQL"
        )
        servers = {"bare": "/ready", "hub": "/api/v1/openapi.json"}
        ports = {kind: free_port() for kind in servers}
        rounds: dict[str, list[dict[str, Any]]] = {kind: [] for kind in servers}
        per_round = max(2, args.requests // ROUNDS)

        def measure(kind: str, total: int) -> dict[str, Any]:
            return load_from_second_process(ports[kind], kind, load_pairs, total, args.seconds)

        with contextlib.ExitStack() as stack:
            for kind, ready in servers.items():
                stack.enter_context(
                    running_server(kind, instance, url, ports[kind], args.workers, ready)
                )
            for kind in servers:
                measure(kind, min(300, per_round))  # warm-up, not counted
            for _ in range(ROUNDS):  # alternating, so a busy moment falls on both
                for kind in servers:
                    rounds[kind].append(measure(kind, per_round))
        results = {kind: summarise(each) for kind, each in rounds.items()}
        for kind, label in (("bare", "bare Flask, one INSERT"), ("hub", "record + confirm")):
            r = results[kind]
            say(
                f"  {label:<24} {r['rps']:8.1f} req/s   mean {r['mean_ms']:6.1f} ms   p50 {r['p50_ms']:6.1f}"
                f"   p90 {r['p90_ms']:6.1f}   p99 {r['p99_ms']:6.1f} ms"
                f"   ({r['requests']} requests, {r['failed']} failed{' ' + str(r['statuses']) if r['failed'] else ''})"
            )
        ratio = results["hub"]["rps"] / results["bare"]["rps"] if results["bare"]["rps"] else 0.0
        say(
            f"  throughput ratio hub/bare: {ratio:.2f} per request, {results['hub']['rps'] / 2:.1f} "
            f"exchanges/s (target >= {THROUGHPUT_TARGET}: {'met' if ratio >= THROUGHPUT_TARGET else 'NOT met'})"
        )
        figures["exchanges"] = {
            "bare_rps": round(results["bare"]["rps"], 1),
            "hub_rps": round(results["hub"]["rps"], 1),
            "ratio": round(ratio, 3),
            "hub_p99_ms": round(results["hub"]["p99_ms"], 1),
            "failed": results["hub"]["failed"],
        }

        app = create_app(instance_path=instance)
        seed_movements(app, statement_pair, 10)
        baseline = statement_timings(app, statement_pair)
        say("\nA member's balance and statement (median of 5 after a warm-up)")
        say(
            "  "
            + "   ".join(f"{label}: {ms:.1f} ms" for label, ms in baseline.items())
            + "  (10 movements: the baseline)"
        )
        figures["statements"] = {"10": baseline}
        seeded = 10
        for size in SIZES:
            seed_movements(app, statement_pair, size - seeded)
            seeded = size
            timings = statement_timings(app, statement_pair)
            figures["statements"][str(size)] = timings
            worst = max(v for k, v in timings.items() if "CSV" not in k)
            verdict = "met" if worst < STATEMENT_TARGET_MS else "NOT met"
            say(f"  {size:>7,} movements:")
            for label, ms in timings.items():
                say(f"    {label:<30} {ms:8.1f} ms  ({ms / baseline[label]:5.1f}x baseline)")
            if size == 10_000:
                say(
                    f"    balance and statement pages under {STATEMENT_TARGET_MS:.0f} ms: {verdict}"
                )
                figures["statement_target_met"] = worst < STATEMENT_TARGET_MS
        app.extensions["hub.db"].engine.dispose()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.skillshare_exchanges", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=3000, help="Per server (bounded).")
    parser.add_argument("--seconds", type=float, default=60.0, help="Time limit per server.")
    parser.add_argument("--workers", type=int, default=None, help="Default: the hub's own default.")
    sub.add_parser("load")
    args = parser.parse_args()
    if args.command == "load":
        spec = json.loads(sys.stdin.read())
        print(json.dumps(generate_load(**spec)))
    else:
        run(args)


if __name__ == "__main__":
    main()
