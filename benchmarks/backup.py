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

Then the same consistent copy while another connection commits a row every
50 ms (volunteers logging), against the baseline of copying in 256-page steps,
which SQLite restarts after every such write (capped at 60 seconds).

Targets: the consistent copy within 3x of ``VACUUM INTO`` (it also runs an
integrity check over the copy), the whole backup of such a database (years of
a busy group) under 30 seconds, and the copy under write load within 2x of the
copy without it. How long the stepped baseline takes depends on how often a
write lands between two of its steps: from about 1 s to minutes.
The last line is the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from hub import backup, create_app, migrate
from hub.cli import initialise
from hub.db import database
from hub.models import AuditEntry, Location

COPY_TARGET_RATIO, WHOLE_TARGET_SECONDS, LOAD_TARGET_RATIO = 3.0, 30.0, 2.0
STEPPED_CAP_SECONDS = 60.0


def under_write_load(source: Path, work: Callable[[], None]) -> float:
    """Time ``work`` while another connection commits a row every 50 ms."""
    stop = threading.Event()

    def write() -> None:
        connection = sqlite3.connect(source, timeout=30)
        deadline = time.monotonic() + STEPPED_CAP_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            connection.execute(
                "INSERT INTO location (name, address, postcode, notes, active) VALUES ('w', '', '', '', 1)"
            )
            connection.commit()
            time.sleep(0.05)
        connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        stop.set()
        writer.join()


def stepped_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy, pages=256)
    origin.close()
    copy.close()


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
        loaded = under_write_load(source, consistent_copy)
        stepped = under_write_load(
            source, lambda: stepped_copy(source, folder / f"stepped-{next(counter)}.sqlite3")
        )
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
    print(
        f"under write load: consistent copy {loaded:7.3f} s   {loaded / copy:5.1f}x unloaded"
        f"   (target <= {LOAD_TARGET_RATIO:.0f}x)"
    )
    print(
        f"under write load: baseline 256-page steps {stepped:7.3f} s"
        f"   {stepped / loaded:5.1f}x the consistent copy"
    )
    met = (
        copy / baseline <= COPY_TARGET_RATIO
        and whole < WHOLE_TARGET_SECONDS
        and loaded / copy <= LOAD_TARGET_RATIO
    )
    print("targets met" if met else "TARGETS MISSED")
    seconds = {
        "file_copy": floor,
        "vacuum_into": baseline,
        "consistent_copy": copy,
        "whole_backup": whole,
        "consistent_copy_under_load": loaded,
        "stepped_copy_under_load": stepped,
    }
    print(
        json.dumps(
            {
                "database_mb": round(size_mb, 1),
                "archive_mb": round(archive_mb, 1),
                "seconds": {name: round(value, 3) for name, value in seconds.items()},
                "targets_met": met,
            }
        )
    )


if __name__ == "__main__":
    main()
