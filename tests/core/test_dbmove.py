"""`hub db move`: an instance moves from SQLite to PostgreSQL (and back) with every
row, id, timestamp, signed summary and figure it had, or refuses with nothing changed.

The demo instance here has every installed plugin and the third-party test plugin
``testvisits``, whose tables the move finds through the plugin API alone."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from hub import create_app, dbmove, migrate, server
from hub.cli import cli
from hub.db import database, get_session
from hub.federation.cli import run_lock
from hub.models import Location, OpeningTime, Person
from hub.testing import make_instance

PASSWORD = "correct horse battery staple"


def hub(instance: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(
        cli, list(args), input=input, env={"HUB_INSTANCE_PATH": str(instance)}
    )


def open_app(instance: Path) -> Flask:
    return create_app(instance_path=instance)


def every_row(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table the instance has, as the models read them, in key order."""
    found = {}
    with database(app).engine.connect() as connection:
        for table in dbmove.tables_to_move(app):
            keys = list(table.primary_key.columns)
            found[table.name] = [
                tuple(row) for row in connection.execute(select(table).order_by(*keys))
            ]
    return found


def what_others_see(instance: Path) -> dict:
    """The instance from outside: its figures, its descriptor and its signed feed."""
    metrics = hub(instance, "metrics", "--json")
    assert metrics.exit_code == 0, metrics.output
    app = open_app(instance)
    try:
        client = app.test_client()
        seen = {
            "metrics": json.loads(metrics.stdout),
            "descriptor": client.get("/.well-known/hub").json,
            "feed": client.get("/federation/v1/summaries?limit=1000").json,
            "totals": client.get("/public/network.json").json,  # the subtotals, moved
        }
    finally:
        database(app).engine.dispose()
    return seen


def sqlite_dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def database_url(instance: Path) -> str:
    with (instance / "hub.toml").open("rb") as handle:
        return tomllib.load(handle)["DATABASE_URL"]


@pytest.fixture
def demo(testvisits_installed: None, tmp_path: Path) -> Path:
    """`hub demo`'s instance, as `make demo` leaves it: SQLite in the instance folder."""
    instance = tmp_path / "demo"
    made = hub(instance, "demo", "--no-serve")
    assert made.exit_code == 0, made.output
    return instance


def assert_new_rows_take_new_ids(instance: Path) -> None:
    """Each PostgreSQL sequence hands out an id past every copied one."""
    app = open_app(instance)
    try:
        with database(app).engine.begin() as connection:
            for table in dbmove.tables_to_move(app):
                column = table.autoincrement_column
                if column is None:
                    continue
                sequence = func.pg_get_serial_sequence(f'"{table.name}"', column.name)
                following = connection.scalar(select(func.nextval(sequence)))
                highest = connection.scalar(select(func.max(column))) or 0
                assert following > highest, table.name
    finally:
        database(app).engine.dispose()
    created = hub(
        instance,
        "user",
        "create",
        "new@example.org",
        "--role",
        "viewer",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output


def test_the_demo_instance_moves_to_postgresql_as_the_same_instance(demo, postgres_databases):
    app = open_app(demo)
    before_rows = every_row(app)
    database(app).engine.dispose()
    assert {"testvisits_visit", "foodbank_parcel", "repaircafe_record"} <= set(before_rows)
    assert all(
        before_rows[name]
        for name in ("testvisits_visit", "audit_entry", "federation_summary", "federation_subtotal")
    )
    before = what_others_see(demo)
    source = demo / "hub.sqlite3"
    source_dump = sqlite_dump(source)
    target = postgres_databases.new("moved")

    moved = hub(demo, "db", "move", "--to", target)

    assert moved.exit_code == 0, moved.output
    total = sum(len(rows) for rows in before_rows.values())
    assert f"Moved {total} rows in {len(before_rows)} tables" in moved.output
    assert database_url(demo) == target
    assert "hub db move" in (demo / "hub.toml").read_text()
    app = open_app(demo)
    try:
        assert database(app).engine.dialect.name == "postgresql"
        assert every_row(app) == before_rows
        with database(app).engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == set(before_rows)
    finally:
        database(app).engine.dispose()
    assert what_others_see(demo) == before  # publishing after a move: tests/federation
    assert_new_rows_take_new_ids(demo)
    # The old database is as it was, so the move can be undone.
    assert sqlite_dump(source) == source_dump


@pytest.fixture
def small(testvisits_installed: None, tmp_path: Path) -> Path:
    """A small instance on SQLite with the core and testvisits, and a few rows."""
    instance = make_instance(
        tmp_path / "small", f"sqlite:///{tmp_path / 'small.sqlite3'}", plugins=["testvisits"]
    )
    app = open_app(instance)
    migrate.upgrade(app)
    with app.app_context():
        session = get_session()
        session.add_all(Person(name=f"Person {i}") for i in range(3))
        opening = OpeningTime(weekday=1, opens=dt.time(10), closes=dt.time(12))
        session.add(Location(name="Hall", opening_times=[opening]))
        session.commit()
    database(app).engine.dispose()
    return instance


def sqlite_file(instance: Path) -> Path:
    return Path(make_url(database_url(instance)).database)


def raw_sqlite(instance: Path, *statements: str) -> None:
    """Change the SQLite file behind the hub's back, as an old tool or a bug could."""
    connection = sqlite3.connect(sqlite_file(instance))
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def target_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def refused(instance: Path, target: str, *extra: str) -> str:
    config_before = (instance / "hub.toml").read_text()
    result = hub(instance, "db", "move", "--to", target, *extra)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (instance / "hub.toml").read_text() == config_before
    return result.output


def test_a_target_that_is_not_empty_is_refused(small, postgres_databases):
    target = postgres_databases.new("busy")
    engine = create_engine(target)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE precious (id integer)"))
    engine.dispose()
    assert "the target database is not empty (it has 1 tables, such as precious)" in refused(
        small, target
    )
    assert target_tables(target) == ["precious"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("mysql://hub@127.0.0.1/hub", "'mysql' is not supported"),
        ("not a url", "is not a database URL"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/test", "cannot reach the target database"),
        ("postgresql+pg8000://postgres@127.0.0.1/test", "write postgresql+psycopg://"),
    ],
)
def test_a_target_that_cannot_be_used_is_one_clear_line(small, target, message):
    assert message in refused(small, target)


def test_moving_onto_itself_is_refused(small):
    assert "the target is the database this instance uses already" in refused(
        small, database_url(small)
    )


def test_a_setting_in_the_environment_is_refused(small, postgres_databases, monkeypatch):
    monkeypatch.setenv("HUB_DATABASE_URL", database_url(small))
    result = hub(small, "db", "move", "--to", postgres_databases.new("env"))
    assert result.exit_code == 1
    assert "DATABASE_URL comes from the environment (HUB_DATABASE_URL)" in result.output


def test_a_running_server_or_federation_run_is_refused(small, postgres_databases):
    target = postgres_databases.new("running")
    with server.instance_lock(small):
        output = refused(small, target)
    assert f"the server is running (process {os.getpid()}): stop it first" in output
    assert "or pass --stop" in output
    app = open_app(small)
    with run_lock(app) as taken:
        assert taken
        assert "a hub federation command is running" in refused(small, target)
    database(app).engine.dispose()
    assert target_tables(target) == []


def test_while_moving_no_server_can_start(small, postgres_databases, monkeypatch):
    """The server takes the same lock, so it refuses to start on the old database."""
    started = []

    def serve_during_move(app, connection=None, progress=None):
        started.append(hub(small, "serve", "--port", "1"))
        return original(app, connection=connection)

    original = migrate.upgrade
    monkeypatch.setattr(migrate, "upgrade", serve_during_move)
    assert hub(small, "db", "move", "--to", postgres_databases.new("serving")).exit_code == 0
    [serve] = started
    assert serve.exit_code == 1
    assert f"is running (process {os.getpid()})" in serve.output


def test_a_database_behind_its_migrations_is_refused(small, postgres_databases):
    raw_sqlite(small, "DELETE FROM alembic_version_testvisits")
    output = refused(small, postgres_databases.new("behind"))
    assert "the database needs upgrading first: hub db upgrade (testvisits)" in output


def test_tables_of_a_disabled_plugin_are_not_left_behind_unless_asked(small, postgres_databases):
    text_ = (small / "hub.toml").read_text().replace('PLUGINS = ["testvisits"]', "PLUGINS = []")
    (small / "hub.toml").write_text(text_)
    target = postgres_databases.new("disabled")
    output = refused(small, target)
    assert "would be left behind" in output
    assert "alembic_version_testvisits" in output and "testvisits_visit" in output
    moved = hub(small, "db", "move", "--to", target, "--leave-behind")
    assert moved.exit_code == 0, moved.output
    assert "testvisits_visit" not in target_tables(target)
    assert "person" in target_tables(target)


def test_values_postgresql_would_refuse_are_all_named_before_anything_is_copied(
    small, postgres_databases
):
    raw_sqlite(
        small,
        f"UPDATE person SET name = '{'x' * 10_000}' WHERE id = 1",
        "UPDATE person SET notes = 'before' || char(0) || 'after' WHERE id = 2",
        "INSERT INTO testvisits_visit (id, person_id, visitor, day, note)"
        " VALUES (7, 9999, 'v', '2025-01-01', '')",
    )
    target = postgres_databases.new("refused")
    output = refused(small, target)
    assert "3 values would be refused by the target" in output
    assert "person.name (id=1) is 10000 characters long; the column holds 200" in output
    assert "person.notes (id=2) holds a NUL character" in output
    assert "testvisits_visit row 7 refers to a row of person that does not exist" in output
    assert target_tables(target) == []


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "UPDATE opening_time SET weekday = 'Monday'",
            "could not copy table opening_time (rows 1 to 1)",
        ),
        (
            "UPDATE person SET created_at = 'last Tuesday' WHERE id = 2",
            "could not read table person",
        ),
    ],
)
def test_a_failure_halfway_leaves_the_target_empty(small, postgres_databases, statement, message):
    raw_sqlite(small, statement)
    target = postgres_databases.new("halfway")
    output = refused(small, target)
    assert message in output and "nothing was changed" in output
    assert target_tables(target) == []


def test_an_instance_on_postgresql_moves_down_to_sqlite(
    testvisits_installed, tmp_path, postgres_databases
):
    instance = make_instance(
        tmp_path / "big", postgres_databases.new("big"), plugins=["testvisits"]
    )
    app = open_app(instance)
    migrate.upgrade(app)
    with app.app_context():
        session = get_session()
        session.add_all(Person(name=f"Person {i}", notes="ø" * i) for i in range(2500))
        session.commit()
    before = every_row(app)
    database(app).engine.dispose()
    target = f"sqlite:///{tmp_path / 'small.sqlite3'}"
    moved = hub(instance, "db", "move", "--to", target)
    assert moved.exit_code == 0, moved.output
    assert database_url(instance) == target
    app = open_app(instance)
    assert every_row(app) == before
    database(app).engine.dispose()
    assert (tmp_path / "small.sqlite3").stat().st_mode & 0o077 == 0


def test_the_config_keeps_everything_but_the_database_url(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text(
        '# my notes\nINSTANCE_NAME = "Riverside"\ndatabase_url = "sqlite:///old.sqlite3"\n'
        '\n[foodbank]\nDATABASE_URL = "a plugin\'s own setting"\n'
    )
    new = dbmove.configured_for(config, "postgresql+psycopg://hub:pw@db/hub", "sqlite:///old")
    assert new.startswith("# my notes\n")
    parsed = tomllib.loads(new)
    assert parsed["DATABASE_URL"] == "postgresql+psycopg://hub:pw@db/hub"
    assert "database_url" not in parsed
    assert parsed["foodbank"] == {"DATABASE_URL": "a plugin's own setting"}
    config.write_text('INSTANCE_NAME = "unterminated\n')
    with pytest.raises(dbmove.MoveError, match="is not valid TOML"):
        dbmove.configured_for(config, "sqlite:///x", "sqlite:///y")
