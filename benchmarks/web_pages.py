"""Web shell benchmark: how long the core's pages take with a few years of records.

    python -m benchmarks.web_pages [--people 5000] [--audit 50000] [--rounds 30]
                                  [--database-url URL]

Builds an instance (SQLite in a temporary folder, or the empty database at
``--database-url``) holding ``--people`` people, twenty locations and ``--audit``
audit entries, signs in as an admin through the real form, and times each page
through the WSGI app in this process (no network). The baseline, measured in
the same run, is the sign-in page: a template render with no records read.
Each page's median and 95th percentile are printed with their ratio to the
baseline. Target: every page under 150 ms at the median on SQLite.
Sign-in itself is timed apart: argon2id makes it slow on purpose.
The last line is the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._core_instance import build

TARGET_MS = 150.0
PASSWORD = "benchmark password"


def sign_in(client: Any, email: str = "admin@example.org", password: str = PASSWORD) -> float:
    """Sign ``client`` in through the real form; return how long the POST took."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    started = time.perf_counter()
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return elapsed


def timed(fetch: Callable[[], Any], rounds: int) -> list[float]:
    fetch()  # warm caches: templates compiled, connections open
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = fetch()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return times


def report(label: str, times: list[float], baseline: float) -> dict[str, float]:
    """Print one page's figures; return them (``ok``: within the target)."""
    median = statistics.median(times) * 1000
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    ok = median <= TARGET_MS
    print(
        f"{label:<38} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
        f"x{median / baseline:5.1f} baseline   {'ok' if ok else 'SLOW'}"
    )
    return {
        "median_ms": round(median, 2),
        "p95_ms": round(p95, 2),
        "ratio": round(median / baseline, 2),
        "ok": ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--audit", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default=None, help="an empty database to fill")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        app, _token = build(Path(folder), args.database_url, args.people, args.audit, PASSWORD)
        print(
            f"instance: {args.people} people, 20 locations, {args.audit} audit entries "
            f"on {app.config['DATABASE_URL'].split(':')[0]} "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        anonymous = app.test_client()
        baseline_times = timed(lambda: anonymous.get("/login"), args.rounds)
        baseline = statistics.median(baseline_times) * 1000
        client = app.test_client()
        print(f"sign-in POST (argon2id, on purpose)    {sign_in(client) * 1000:7.1f} ms")
        report("baseline: sign-in page", baseline_times, baseline)
        last_page = -(-args.people // 25)
        pages = {
            "dashboard": "/",
            "people, first page": "/people/",
            f"people, page {last_page}": f"/people/?page={last_page}",
            "people, search 'person 0421'": "/people/?q=person+0421",
            "person": "/people/42",
            "locations (20, with hours)": "/locations/",
            "audit log, first page": "/admin/audit/",
            "audit log, by entity and date": (
                f"/admin/audit/?entity=person&since={dt.date.today().isoformat()}"
            ),
            "account": "/account/",
        }
        results = {
            label: report(label, timed(lambda url=url: client.get(url), args.rounds), baseline)
            for label, url in pages.items()
        }
        app.extensions["hub.db"].engine.dispose()
    every = all(result["ok"] for result in results.values())
    print("all pages within target" if every else "some pages over target")
    print(json.dumps({"baseline_ms": round(baseline, 2), "pages": results, "all_within": every}))


if __name__ == "__main__":
    main()
