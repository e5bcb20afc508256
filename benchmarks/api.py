"""Core API benchmark: how long the core's JSON operations take with years of records.

    python -m benchmarks.api [--people 5000] [--audit 50000] [--rounds 40]
                             [--database-url URL]

Builds an instance (SQLite in a temporary folder, or the empty database at
``--database-url``) holding ``--people`` people, twenty locations with opening
times and ``--audit`` audit entries, then times each operation through the WSGI
app in this process (no network) with a bearer token, as a script would call
it. The instance runs the four services' plugins (``--plugins``), as a real
one does: ``/api/v1/plugins`` describes each. The baseline, measured in the
same run, is ``GET /api/v1/me``: token check and one row, no listing. Each
operation's median and 95th percentile are printed with their ratio to the
baseline. Targets: every operation under 100 ms at the median on SQLite, and
``/api/v1/plugins`` within 3x the baseline (issue 18). The last line is the
figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._core_instance import build

TARGET_MS = 100.0
PLUGINS_TARGET_RATIO = 3.0
SERVICES = "foodbank,repaircafe,toollibrary,skillshare"

OPERATIONS = [
    ("people: first page", "/api/v1/people"),
    ("people: search by name", "/api/v1/people?q=smith"),
    ("people: search, no match", "/api/v1/people?q=zzzz"),
    ("people: consent and retention", "/api/v1/people?consent=true&retention_before=2026-01-01"),
    ("people: last page", "/api/v1/people?page=50&per_page=100"),
    ("one person", "/api/v1/people/{middle}"),
    ("locations", "/api/v1/locations"),
    ("audit: newest", "/api/v1/audit"),
    ("audit: one person's entries", "/api/v1/audit?entity=person&entity_id={middle}"),
    ("audit: a week", "/api/v1/audit?since=2025-06-01T00:00:00&until=2025-06-08T00:00:00"),
    ("users", "/api/v1/users"),
    ("plugins", "/api/v1/plugins"),
]


def timed(client: Any, path: str, headers: dict[str, str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.get_data(as_text=True)}")
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--audit", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--plugins", default=SERVICES, help="Comma-separated; '' for none.")
    args = parser.parse_args()
    plugins = [name for name in args.plugins.split(",") if name]
    from hub.db import database

    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        app, token = build(
            Path(folder), args.database_url, args.people, args.audit, "x" * 12, plugins
        )
        print(
            f"built: {args.people} people, {args.audit} audit entries, plugins "
            f"{', '.join(plugins) or 'none'} in {time.perf_counter() - began:.1f} s"
        )
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        middle = str(args.people // 2 or 1)
        timed(client, "/api/v1/me", headers, 5)  # warm caches and the pool
        base_median, base_p95 = summary(timed(client, "/api/v1/me", headers, args.rounds))
        print(f"{'operation':<34} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
        print(f"{'baseline: GET /api/v1/me':<34} {base_median:>10.1f} {base_p95:>8.1f} {1:>11.1f}")
        slow = []
        figures: dict[str, Any] = {"baseline": {"median_ms": base_median, "p95_ms": base_p95}}
        for label, path in OPERATIONS:
            median, p95 = summary(timed(client, path.format(middle=middle), headers, args.rounds))
            print(f"{label:<34} {median:>10.1f} {p95:>8.1f} {median / base_median:>11.1f}")
            figures[label] = {"median_ms": median, "p95_ms": p95, "ratio": median / base_median}
            if median > TARGET_MS:
                slow.append(label)
        verdict = "missed by " + ", ".join(slow) if slow else "met"
        print(f"target: every median under {TARGET_MS:.0f} ms: {verdict}")
        ratio = figures["plugins"]["ratio"]
        print(
            f"target: /api/v1/plugins within {PLUGINS_TARGET_RATIO:.0f}x the baseline: "
            f"{'met' if ratio <= PLUGINS_TARGET_RATIO else 'NOT met'} ({ratio:.1f}x)"
        )
        database(app).engine.dispose()
    print(json.dumps({name: _rounded(values) for name, values in figures.items()}))


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 2) for key, value in values.items()}


if __name__ == "__main__":
    main()
