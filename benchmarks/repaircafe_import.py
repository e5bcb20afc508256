"""Benchmark: import the Repair Cafe Wales ORDS file and compute every month's metrics.

    python -m benchmarks.repaircafe_import [--runs N]

Beside a baseline measured in the same run, on the same machine:

- import baseline: the same CSV rows read with ``csv`` and inserted with one
  ``executemany`` into a bare SQLite table (no checks, no indexes);
- metrics baseline: one SQL ``GROUP BY`` over that bare table counting the same
  breakdown the metrics need (month x status x category x barrier). The
  simplest possible count (month x status) is printed too, for reference.

Targets (issue 4): the import within 5x of its baseline and under 3 seconds;
all months' metrics within 3x of the bare GROUP BY. Each figure is the best
of ``--runs`` runs, so a busy shared machine disturbs the ratios less.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub_repaircafe.codes import WALES_FILE

from hub import create_app, migrate
from hub.cli import initialise
from hub.db import database, get_session

IMPORT_TARGET_RATIO, IMPORT_TARGET_SECONDS, METRICS_TARGET_RATIO = 5.0, 3.0, 3.0


def best_of(runs: int, work: Callable[[], float]) -> float:
    return min(work() for _ in range(runs))


def baseline_import(folder: Path) -> tuple[float, sqlite3.Connection]:
    path = folder / f"bare-{time.perf_counter_ns()}.sqlite3"
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    with WALES_FILE.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        rows = list(reader)
    connection.execute(f"CREATE TABLE bare ({', '.join(header)})")
    marks = ", ".join("?" * len(header))
    connection.executemany(f"INSERT INTO bare VALUES ({marks})", rows)
    connection.commit()
    return time.perf_counter() - start, connection


def timed_query(connection: sqlite3.Connection, sql: str) -> float:
    start = time.perf_counter()
    connection.execute(sql).fetchall()
    return time.perf_counter() - start


LIKE_FOR_LIKE = (
    "SELECT substr(event_date, 1, 7) AS month, repair_status, product_category_id, "
    "repair_barrier_if_end_of_life, COUNT(*) FROM bare GROUP BY 1, 2, 3, 4"
)
SIMPLEST = (
    "SELECT substr(event_date, 1, 7) AS month, repair_status, COUNT(*) FROM bare GROUP BY 1, 2"
)


def new_instance(folder: Path) -> Any:
    instance = folder / f"instance-{time.perf_counter_ns()}"
    initialise(
        instance,
        name="Benchmark Repair Café",
        base_url="http://127.0.0.1:5000",
        locality={"town": "", "region": "Wales", "country": "GB"},
    )
    app = create_app(instance_path=instance)
    migrate.upgrade(app)
    return app


def hub_import(app: Any) -> float:
    """The ``hub import ords`` path: the plugin's importer found through the hook, then commit."""
    plugins = app.extensions["hub.plugins"]
    [importer] = [i for _, i in plugins.contributions("hub_importers") if i.format == "ords"]
    with app.app_context():
        session = get_session()
        start = time.perf_counter()
        with WALES_FILE.open(newline="", encoding="utf-8-sig") as stream:
            report = importer.read(session, stream, {}, lambda _done, _total: None)
        session.commit()
        elapsed = time.perf_counter() - start
    assert report.created == 20190 and not report.problems, report.as_json()
    return elapsed


def hub_metrics(app: Any) -> tuple[float, int]:
    """Every month's figures through the plugin hooks, in a fresh session, as ``hub metrics`` does."""
    plugins = app.extensions["hub.plugins"]
    with app.app_context():
        session = get_session()
        start = time.perf_counter()
        months = [p for p in plugins.activity_periods("repaircafe", session) if p.kind == "month"]
        for month in months:
            plugins.call("repaircafe", "hub_compute_metrics", session=session, period=month)
        elapsed = time.perf_counter() - start
        session.close()
    return elapsed, len(months)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        connections: list[sqlite3.Connection] = []

        def one_baseline() -> float:
            elapsed, connection = baseline_import(folder)
            connections.append(connection)
            return elapsed

        base_import = best_of(args.runs, one_baseline)
        bare = connections[-1]
        like_for_like = best_of(args.runs, lambda: timed_query(bare, LIKE_FOR_LIKE))
        simplest = best_of(args.runs, lambda: timed_query(bare, SIMPLEST))
        for connection in connections:
            connection.close()

        apps = [new_instance(folder) for _ in range(args.runs)]
        ours_import = min(hub_import(app) for app in apps)
        metric_runs = [hub_metrics(apps[-1]) for _ in range(args.runs)]
        ours_metrics = min(elapsed for elapsed, _ in metric_runs)
        months = metric_runs[0][1]
        for app in apps:
            database(app).engine.dispose()

    import_ratio = ours_import / base_import
    metrics_ratio = ours_metrics / like_for_like
    print(f"Repair Cafe Wales ORDS file: 20,190 rows, {months} months (best of {args.runs} runs)")
    print()
    print(f"  baseline import (csv + one executemany, bare table)  {base_import:8.3f} s")
    print(f"  hub import ords (checks, events, records, audit)      {ours_import:8.3f} s")
    print(
        f"  ratio {import_ratio:5.2f}x   target <= {IMPORT_TARGET_RATIO:.0f}x and < {IMPORT_TARGET_SECONDS:.0f} s: "
        f"{'met' if import_ratio <= IMPORT_TARGET_RATIO and ours_import < IMPORT_TARGET_SECONDS else 'MISSED'}"
    )
    print()
    print(f"  baseline GROUP BY month, status, category, barrier   {like_for_like * 1000:8.1f} ms")
    print(f"  (simplest GROUP BY month, status, for reference)     {simplest * 1000:8.1f} ms")
    print(
        f"  hub metrics, every month ({months} hook calls)          {ours_metrics * 1000:8.1f} ms"
    )
    print(
        f"  ratio {metrics_ratio:5.2f}x   target <= {METRICS_TARGET_RATIO:.0f}x: "
        f"{'met' if metrics_ratio <= METRICS_TARGET_RATIO else 'MISSED'}"
        f"   (vs simplest: {ours_metrics / simplest:.2f}x)"
    )
    print(f"  per month: {ours_metrics / months * 1000:.2f} ms")


if __name__ == "__main__":
    main()
