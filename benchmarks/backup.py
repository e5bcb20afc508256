"""Benchmark: `hub backup` of a SQLite instance, against copying the file.

    python -m benchmarks.backup [--rows N] [--runs N]

Builds an instance whose database holds ``--rows`` locations and their audit
entries (about 40 MB at the default 100,000), then times, best of ``--runs``:

- for reference, ``shutil.copyfile`` of the database file: the floor for
  moving the bytes, but not a safe backup of a database in use;
- baseline: ``VACUUM INTO``, SQLite's other way of making a consistent copy
  of a live database in one statement;
- the consistent copy `hub backup` makes (SQLite's online backup API in one
  step, a snapshot that writers are not held up by, then SQLite's integrity
  check);
- the whole `hub backup`: consistent copy, manifest with SHA-256s, gzip archive.

Targets: the consistent copy within 2x of ``VACUUM INTO``, and the whole
backup of such a database (years of a busy group) under 30 seconds.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from hub import backup, create_app, migrate
from hub.cli import initialise
from hub.db import database
from hub.models import AuditEntry, Location

COPY_TARGET_RATIO, WHOLE_TARGET_SECONDS = 2.0, 30.0


def best_of(runs: int, work: Callable[[], None]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def build_instance(folder: Path, rows: int):
    instance = folder / "instance"
    initialise(instance, name="Benchmark", base_url="http://127.0.0.1:5000", locality={})
    app = create_app(instance_path=instance)
    migrate.upgrade(app)
    engine = database(app).engine
    note = "Opening times change in school holidays; ring ahead. " * 3
    with engine.begin() as connection:
        for start in range(0, rows, 10_000):
            batch = range(start, min(rows, start + 10_000))
            connection.execute(
                insert(Location),
                [
                    {"name": f"Hall {i}", "address": f"{i} High Street", "notes": note}
                    for i in batch
                ],
            )
            connection.execute(
                insert(AuditEntry),
                [
                    {
                        "actor": "benchmark",
                        "action": "create",
                        "entity": "location",
                        "entity_id": str(i),
                        "changes": {"name": f"Hall {i}"},
                    }
                    for i in batch
                ],
            )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"building an instance with {args.rows:,} locations and audit entries...")
        app = build_instance(folder, args.rows)
        source = Path(make_url(app.config["DATABASE_URL"]).database)
        size_mb = source.stat().st_size / 1e6
        counter = iter(range(1_000_000))

        def file_copy() -> None:
            shutil.copyfile(source, folder / f"copy-{next(counter)}.sqlite3")

        def vacuum_into() -> None:
            with sqlite3.connect(source) as connection:
                connection.execute(
                    "VACUUM INTO ?", (str(folder / f"vacuum-{next(counter)}.sqlite3"),)
                )
            connection.close()

        def consistent_copy() -> None:
            target = folder / f"consistent-{next(counter)}"
            target.mkdir()
            backup.dump_database(app.config["DATABASE_URL"], target, lambda _msg: None)

        def whole_backup() -> None:
            backup.create(app, folder / f"out-{next(counter)}")

        floor = best_of(args.runs, file_copy)
        baseline = best_of(args.runs, vacuum_into)
        copy = best_of(args.runs, consistent_copy)
        whole = best_of(args.runs, whole_backup)
        archive_mb = next(folder.glob("out-*/hub-backup-*.tar.gz")).stat().st_size / 1e6
        database(app).engine.dispose()

    print(f"database: {size_mb:.1f} MB; archive: {archive_mb:.1f} MB")
    print(f"file copy (not consistent)   {floor:7.3f} s")
    print(f"baseline: VACUUM INTO        {baseline:7.3f} s")
    print(
        f"consistent copy (backup API) {copy:7.3f} s   {copy / baseline:5.1f}x baseline"
        f"   (target <= {COPY_TARGET_RATIO:.0f}x)"
    )
    print(
        f"whole hub backup (gzip)      {whole:7.3f} s   {whole / baseline:5.1f}x baseline"
        f"   (target < {WHOLE_TARGET_SECONDS:.0f} s)"
    )
    met = copy / baseline <= COPY_TARGET_RATIO and whole < WHOLE_TARGET_SECONDS
    print("targets met" if met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
