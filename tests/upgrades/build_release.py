"""Build the upgrade fixture of an earlier release: its databases, made by its own code.

    .venv/bin/python tests/upgrades/build_release.py COMMIT NAME

checks out COMMIT (a tagged release) into a temporary folder and runs *that*
release's ``hub`` (its core, its plugins and the third-party test plugin
``testvisits``, ahead of the installed ones on the path) to make an instance with
realistic data: ``hub demo``'s year of every plugin's records and published
summaries, an API token, a person erased and a retention run. It does so once on
SQLite and once on PostgreSQL (LOCAL_POSTGRES, schema ``hub_release``), with the
same instance folder, and writes into ``tests/upgrades/releases/NAME/``:

- ``sqlite.sql.xz``: the SQLite database as SQL (``iterdump``);
- ``postgresql.sql.xz``: ``pg_dump --inserts`` of the schema, its name left as
  ``hub_release`` for the test to replace with its own;
- ``hub.toml`` and ``signing_key.pem`` of the instance (test secrets, made here);
- ``release.json``: the commit, when it was built, and each component's revision.

Run it again for the same commit and NAME to rebuild; the test plugin is the
release's own copy, so what it stored is what that release stored.
"""

from __future__ import annotations

import datetime as dt
import json
import lzma
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from sqlalchemy import create_engine, text

from hub.testing import LOCAL_POSTGRES, schema_url

ROOT = Path(__file__).resolve().parents[2]
RELEASES = Path(__file__).parent / "releases"
SCHEMA = "hub_release"
PLUGINS = ["foodbank", "repaircafe", "testvisits"]
HUB = "import sys; from hub.cli import main; sys.argv[0] = 'hub'; main()"


def old_hub(source: Path, instance: Path, database_url: str, *args: str) -> str:
    """Run the release's ``hub ARGS`` on ``instance``; return what it printed."""
    paths = [source, source / "plugins" / "foodbank", source / "plugins" / "repaircafe"]
    paths.append(source / "tests" / "core" / "testvisits")
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update(
        HUB_INSTANCE_PATH=str(instance),
        HUB_DATABASE_URL=database_url,
        HUB_PLUGINS=",".join(PLUGINS),
        PYTHONPATH=os.pathsep.join(map(str, paths)),
    )
    # Run from the release's own folder: the current directory comes first on the path.
    done = subprocess.run(
        [sys.executable, "-c", HUB, *args],
        env=env,
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"hub {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def fill(source: Path, instance: Path, database_url: str) -> None:
    old_hub(source, instance, database_url, "demo", "--no-serve")
    old_hub(source, instance, database_url, "token", "create", "admin@example.org")
    old_hub(source, instance, database_url, "person", "erase", "3", "--yes")
    old_hub(source, instance, database_url, "retention")


def revisions(database: Path) -> dict[str, list[str]]:
    connection = sqlite3.connect(database)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE name LIKE 'alembic_version%' ORDER BY name"
            )
        ]
        return {
            table.removeprefix("alembic_version").lstrip("_") or "core": [
                revision for (revision,) in connection.execute(f'SELECT version_num FROM "{table}"')
            ]
            for table in tables
        }
    finally:
        connection.close()


def dump_sqlite(database: Path, into: Path) -> None:
    connection = sqlite3.connect(database)
    try:
        script = "\n".join(connection.iterdump()) + "\n"
    finally:
        connection.close()
    into.write_bytes(lzma.compress(script.encode()))


def dump_postgres(into: Path) -> None:
    done = subprocess.run(
        [
            "pg_dump",
            "--format=plain",
            "--inserts",
            "--rows-per-insert=500",
            "--no-owner",
            "--no-privileges",
            f"--schema={SCHEMA}",
            f"--dbname={LOCAL_POSTGRES.replace('+psycopg', '')}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    # psql's own commands (\restrict) and the schema itself: the test makes its own.
    lines = [
        line
        for line in done.stdout.splitlines()
        if not line.startswith("\\") and not line.startswith(f"CREATE SCHEMA {SCHEMA}")
    ]
    into.write_bytes(lzma.compress(("\n".join(lines) + "\n").encode()))


def main(commit: str, name: str) -> None:
    target = RELEASES / name
    target.mkdir(parents=True, exist_ok=True)
    postgres = create_engine(LOCAL_POSTGRES)
    with tempfile.TemporaryDirectory() as scratch:
        source, instance = Path(scratch) / "source", Path(scratch) / "instance"
        source.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
        database = instance / "hub.sqlite3"
        fill(source, instance, f"sqlite:///{database}")
        with postgres.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        try:
            fill(source, instance, schema_url(LOCAL_POSTGRES, SCHEMA))
            dump_postgres(target / "postgresql.sql.xz")
        finally:
            with postgres.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            postgres.dispose()
        dump_sqlite(database, target / "sqlite.sql.xz")
        with (instance / "hub.toml").open("rb") as handle:
            assert "DATABASE_URL" not in tomllib.load(handle)
        shutil.copy2(instance / "hub.toml", target / "hub.toml")
        shutil.copy2(instance / "signing_key.pem", target / "signing_key.pem")
        described = {
            "commit": subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", commit],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip(),
            "built": dt.date.today().isoformat(),
            "plugins": PLUGINS,
            "revisions": revisions(database),
        }
        (target / "release.json").write_text(json.dumps(described, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
