"""Benchmark: import the Repair Cafe Wales ORDS file and compute every month's metrics.

    python -m benchmarks.repaircafe_import [--runs N]

Beside a baseline measured in the same run, on the same machine:

- import baseline: the same CSV rows read with ``csv`` and inserted with one
  ``executemany`` into a bare SQLite table (no checks, no indexes), with the
  journal the hub's database uses (WAL, synchronous NORMAL);
- metrics baseline: one SQL ``GROUP BY`` over that bare table counting the same
  breakdown the metrics need (month x status x category x barrier). The
  simplest possible count (month x status) is printed too, for reference.

Targets (issue 4): the import within 5x of its baseline and under 3 seconds;
all months' metrics within 3x of the bare GROUP BY. Baseline and ours run
alternately; times are the best run and ratios the median of the paired runs,
so a busy shared machine disturbs the ratios less. The last line is the figures
as one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub_repaircafe.codes import WALES_FILE

from hub import create_app, migrate
from hub.cli import initialise
from hub.db import database, get_session
from hub.periods import periods_for_dates

IMPORT_TARGET_RATIO, IMPORT_TARGET_SECONDS, METRICS_TARGET_RATIO = 5.0, 3.0, 3.0


def baseline_import(folder: Path) -> tuple[float, sqlite3.Connection]:
    path = folder / f"bare-{time.perf_counter_ns()}.sqlite3"
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    # The journal the hub's own database uses (hub/db.py), so that only the work differs.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
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
    [importer] = [i for _, i in plugins.call("hub_importers").items() if i.format == "ords"]
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
    """Every month's figures through the plugin hooks, in a fresh session, as ``hub metrics``
    does: the plugin's activity dates, then one batch call for all the months."""
    plugins = app.extensions["hub.plugins"]
    with app.app_context():
        session = get_session()
        start = time.perf_counter()
        dates = plugins.call("hub_metric_periods", plugin="repaircafe", session=session)
        months = periods_for_dates(dates.by_plugin()["repaircafe"], kinds=("month",))
        computed = plugins.call(
            "hub_compute_metrics_for_periods", plugin="repaircafe", session=session, periods=months
        )
        assert not computed.failures, computed.failures
        elapsed = time.perf_counter() - start
        session.close()
    return elapsed, len(months)


def paired(runs: int, baseline: Callable[[], float], ours: Callable[[], float]) -> dict[str, float]:
    """Run baseline and ours alternately, so load from other work on the machine
    falls on both alike; the ratio is the median of the paired ratios."""
    pairs = [(baseline(), ours()) for _ in range(runs)]
    return {
        "baseline": min(b for b, _ in pairs),
        "ours": min(o for _, o in pairs),
        "ratio": statistics.median(o / b for b, o in pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="imports of each kind (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare: list[sqlite3.Connection] = []
        apps: list[Any] = []

        def one_baseline() -> float:
            elapsed, connection = baseline_import(folder)
            bare.append(connection)
            return elapsed

        def one_import() -> float:
            apps.append(new_instance(folder))
            return hub_import(apps[-1])

        imports = paired(args.runs, one_baseline, one_import)
        query_runs = args.runs * 5
        metrics = paired(
            query_runs,
            lambda: timed_query(bare[-1], LIKE_FOR_LIKE),
            lambda: hub_metrics(apps[-1])[0],
        )
        simplest = paired(
            query_runs, lambda: timed_query(bare[-1], SIMPLEST), lambda: hub_metrics(apps[-1])[0]
        )
        months = hub_metrics(apps[-1])[1]
        for connection in bare:
            connection.close()
        for app in apps:
            database(app).engine.dispose()
    report(imports, metrics, simplest, months, args.runs)


def report(
    imports: dict[str, float],
    metrics: dict[str, float],
    simplest: dict[str, float],
    months: int,
    runs: int,
) -> None:
    import_met = imports["ratio"] <= IMPORT_TARGET_RATIO and imports["ours"] < IMPORT_TARGET_SECONDS
    metrics_met = metrics["ratio"] <= METRICS_TARGET_RATIO
    print(f"Repair Cafe Wales ORDS file: 20,190 rows, {months} months")
    print(f"(times: best run; ratios: median of {runs} and {runs * 5} paired runs)")
    print()
    print(f"  baseline import (csv + one executemany, bare table)  {imports['baseline']:8.3f} s")
    print(f"  hub import ords (checks, events, records, audit)      {imports['ours']:8.3f} s")
    print(
        f"  ratio {imports['ratio']:5.2f}x   target <= {IMPORT_TARGET_RATIO:.0f}x and "
        f"< {IMPORT_TARGET_SECONDS:.0f} s: {'met' if import_met else 'MISSED'}"
    )
    print()
    print(
        f"  baseline GROUP BY month, status, category, barrier   {metrics['baseline'] * 1000:8.1f} ms"
    )
    print(
        f"  hub metrics, every month (one batch hook call)         {metrics['ours'] * 1000:8.1f} ms"
    )
    print(
        f"  ratio {metrics['ratio']:5.2f}x   target <= {METRICS_TARGET_RATIO:.0f}x: "
        f"{'met' if metrics_met else 'MISSED'}"
    )
    print(
        f"  for reference, the simplest GROUP BY month, status:  {simplest['baseline'] * 1000:8.1f} ms"
        f"  (ratio {simplest['ratio']:.2f}x)"
    )
    print(
        json.dumps(
            {
                "import": imports,
                "metrics": metrics,
                "simplest": simplest,
                "months": months,
                "targets_met": import_met and metrics_met,
            }
        )
    )


if __name__ == "__main__":
    main()
