"""Upgrades proven: a database made by each earlier release, with its data, upgrades to
this code's head and keeps every row and value it had, on SQLite and PostgreSQL.

Each folder in ``releases/`` was made by that release's own code (see
``build_release.py``): a year of every plugin's records, the third-party
``testvisits`` plugin's, published summaries, the audit log, a token, an erasure.
"""

from __future__ import annotations

import importlib
import json
import lzma
import shutil
import sqlite3
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url

from hub import create_app, metrics, migrate
from hub.cli import cli, write_config
from hub.db import database, get_session
from hub.federation import aggregates
from hub.federation.models import Summary
from hub.testing import Account, Databases, login

ROOT = Path(__file__).resolve().parents[2]
RELEASES = sorted(path for path in (Path(__file__).parent / "releases").iterdir() if path.is_dir())
SCHEMA_IN_DUMP = "hub_release"
DEMO_ADMIN = ("admin@example.org", "demo-password")
# Columns a migration removed on purpose, and why. Every other value must come through.
DROPPED = {("user", "session_version"): "core_0004: a session is a row on the server now"}


def load(release: Path, url: str) -> None:
    """Put the release's database into the empty database at ``url``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        script = lzma.decompress((release / "sqlite.sql.xz").read_bytes()).decode()
        connection = sqlite3.connect(parsed.database)
        try:
            connection.executescript(script)
        finally:
            connection.close()
        return
    schema = str(parsed.query["options"]).split("=", 1)[1]
    script = lzma.decompress((release / "postgresql.sql.xz").read_bytes()).decode()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            # One script, no parameters: psycopg sends it whole.
            connection.exec_driver_sql(script.replace(SCHEMA_IN_DUMP, schema))
    finally:
        engine.dispose()


def instance_of(release: Path, folder: Path, url: str) -> Path:
    """The release's instance folder (its hub.toml and key) on the loaded database."""
    folder.mkdir()
    with (release / "hub.toml").open("rb") as handle:
        settings = tomllib.load(handle)
    described = json.loads((release / "release.json").read_text())
    settings.update(DATABASE_URL=url, PLUGINS=described["plugins"], TESTING=True)
    write_config(folder, settings)
    shutil.copy2(release / "signing_key.pem", folder / "signing_key.pem")
    return folder


def every_value(app: Flask) -> dict[str, dict[tuple, dict]]:
    """Every row of every table, as the database holds it, by primary key."""
    engine = database(app).engine
    tables = MetaData()
    tables.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            keys = [column.name for column in table.primary_key.columns]
            found[table.name] = {
                tuple(row[key] for key in keys): dict(row)
                for row in connection.execute(select(table)).mappings()
            }
    return found


@pytest.mark.parametrize("release", RELEASES, ids=lambda path: path.name)
def test_a_database_of_an_earlier_release_upgrades_with_its_data_intact(
    release, tmp_path, hub_databases: Databases, monkeypatch
):
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "core" / "testvisits"))
    importlib.invalidate_caches()
    url = hub_databases.new(release.name)
    load(release, url)
    instance = instance_of(release, tmp_path / "instance", url)
    env = {"HUB_INSTANCE_PATH": str(instance)}
    app = create_app(instance_path=instance)
    before = every_value(app)
    assert len(before["foodbank_parcel"]) > 1000 and before["testvisits_visit"]

    upgraded = CliRunner().invoke(cli, ["db", "upgrade"], env=env)

    assert upgraded.exit_code == 0, upgraded.output
    assert migrate.pending(app) == []
    after = every_value(app)
    versions = {component.version_table for component in migrate.components(app)}
    for table, rows in before.items():
        if table in versions:
            continue
        assert table in after, f"{table} is gone"
        assert after[table].keys() == rows.keys(), f"{table}: rows gone or added"
        for key, row in rows.items():
            now = after[table][key]
            gone = {column for column in row if column not in now}
            assert gone <= {column for name, column in DROPPED if name == table}, (table, gone)
            assert {column: now[column] for column in row if column in now} == {
                column: value for column, value in row.items() if column not in gone
            }, f"{table} {key} changed"
    # core_0009 built the subtotals from the summaries held: the same totals as adding
    # those summaries up one by one, by the rule.
    assert before["federation_summary"]
    with app.app_context():
        session = get_session()
        for total in aggregates.all_totals(session):
            cells = [
                aggregates.Cell(row["origin"], row["metrics"])
                for row in before["federation_summary"].values()
                if (row["plugin"], row["period"]) == (total["plugin"], total["period"])
            ]
            combined = aggregates.combine(cells)
            assert total["origins"] == len(cells)
            assert total["metrics"] == {name: t.value for name, t in combined.items()}
        assert len(aggregates.all_totals(session)) == len(
            {(row["plugin"], row["period"]) for row in before["federation_summary"].values()}
        )
    with database(app).engine.connect() as connection:
        assert migrate.schema_differences(app, connection) == {
            name: [] for name in ("core", "foodbank", "repaircafe", "testvisits")
        }
    # The same figures, so nothing new; a summary is revised only where a later release
    # publishes a count of people or households with more care (e.g. for months only).
    published = CliRunner().invoke(cli, ["federation", "publish", "--offline"], env=env)
    assert "Published: 0 new," in published.output, published.output
    assert_only_counts_of_people_changed(app, before["federation_summary"])
    client = app.test_client()
    email, password = DEMO_ADMIN
    [admin] = [row for row in before["user"].values() if row["email"] == email]
    login(client, Account(admin["id"], email, "admin", password, token=""))
    assert "Riverside" in client.get("/").text
    created = CliRunner().invoke(
        cli,
        ["user", "create", "new@example.org", "--role", "viewer", "--password-stdin"],
        input="a long enough password\n",
        env=env,
    )
    assert created.exit_code == 0, created.output
    database(app).engine.dispose()


def assert_only_counts_of_people_changed(app: Flask, old_summaries: dict[tuple, dict]) -> None:
    """Only counts of people changed, and figures new in this release were added."""
    with app.app_context():
        declared = metrics.definitions(app.extensions["hub.plugins"]).items()
        people = {
            (plugin, name)
            for plugin, metric in declared
            if metric.counts_people
            for name in metric.names()
        }
        own = app.config["BASE_URL"]
        for row in get_session().scalars(select(Summary).where(Summary.origin == own)):
            [old] = [
                summary
                for summary in old_summaries.values()
                if (summary["origin"], summary["plugin"], summary["period"])
                == (own, row.plugin, row.period)
            ]
            changed = {
                name
                for name in old["metrics"].keys() | row.metrics.keys()
                if old["metrics"].get(name) != row.metrics.get(name)
            }
            # A figure a later release adds (the food bank's needs) revises the summary too.
            added = row.metrics.keys() - old["metrics"].keys()
            assert changed - added <= {name for plugin, name in people if plugin == row.plugin}, (
                row.plugin,
                row.period,
                changed,
            )
            assert (row.revision > old["revision"]) == bool(changed)
