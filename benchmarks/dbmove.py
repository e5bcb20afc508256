"""Benchmark: `hub db move` from SQLite to PostgreSQL, against a plain copy, at two sizes.

    python -m benchmarks.dbmove [--rows N] [--postgres URL]

Builds two SQLite instances, with ``--rows`` and with ten times as many locations
and audit entries (benchmarks.backup's builder), and moves each to a new
PostgreSQL schema. The baseline, measured in the same run on the same data, is a
plain copy of the same tables into a schema made by the same migrations: the
same batches, but no snapshot lock, no checks of the values, no checksums, no
reading back and no sequences.

Targets: the move within 3x of the plain copy (it reads every row a second time
to verify it), and its time per row at 10x the data within 1.5x of its time per
row at 1x (it grows with the data, no faster). Ends with one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.backup import build_instance
from hub import dbmove, migrate
from hub.db import database, make_engine
from hub.testing import LOCAL_POSTGRES, schema_url

MOVE_TARGET_RATIO, GROWTH_TARGET_RATIO = 3.0, 1.5


def plain_copy(app, target_url: str) -> None:
    """The baseline: the tables copied in the same batches, and nothing else."""
    target = make_engine(target_url)
    tables = dbmove.tables_to_move(app)
    with database(app).engine.connect() as reading, target.begin() as writing:
        migrate.upgrade(app, connection=writing)
        for table in reversed(tables):
            writing.execute(table.delete())
        for table in tables:
            for rows in dbmove._rows(reading, table):
                dbmove._insert(writing, table, rows)
    target.dispose()


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default=LOCAL_POSTGRES)
    args = parser.parse_args()
    server = create_engine(args.postgres)
    schemas: list[str] = []

    def new_schema() -> str:
        schemas.append(f"bench_move_{uuid.uuid4().hex[:8]}")
        with server.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schemas[-1]}"'))
        return schema_url(args.postgres, schemas[-1])

    figures = {}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for scale in (1, 10):
                rows = args.rows * scale
                print(f"building an instance with {rows:,} locations and audit entries...")
                app = build_instance(Path(scratch) / f"x{scale}", rows)
                baseline = timed(lambda app=app: plain_copy(app, new_schema()))
                report = dbmove.move(app, new_schema())
                database(app).engine.dispose()
                figures[scale] = {
                    "rows": report.rows,
                    "move_seconds": round(report.seconds, 3),
                    "baseline_seconds": round(baseline, 3),
                }
    finally:
        with server.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        server.dispose()

    for scale, each in figures.items():
        ratio = each["move_seconds"] / each["baseline_seconds"]
        print(
            f"{scale:>3}x  {each['rows']:>9,} rows  move {each['move_seconds']:7.2f} s "
            f"({each['rows'] / each['move_seconds']:,.0f} rows/s)  plain copy "
            f"{each['baseline_seconds']:7.2f} s  {ratio:4.1f}x baseline"
            f"   (target <= {MOVE_TARGET_RATIO:.0f}x)"
        )
    per_row = {scale: each["move_seconds"] / each["rows"] for scale, each in figures.items()}
    growth = per_row[10] / per_row[1]
    print(
        f"time per row at 10x the data: {growth:4.2f}x that at 1x"
        f"   (target <= {GROWTH_TARGET_RATIO}x)"
    )
    met = growth <= GROWTH_TARGET_RATIO and all(
        each["move_seconds"] / each["baseline_seconds"] <= MOVE_TARGET_RATIO
        for each in figures.values()
    )
    print("targets met" if met else "TARGETS MISSED")
    print(json.dumps({"benchmark": "dbmove", "sizes": figures, "growth": round(growth, 3)}))


if __name__ == "__main__":
    main()
