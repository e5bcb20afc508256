"""Migrations: one branch and version table per component, idempotent upgrades,
pending work reported, and a migrated schema identical to the models."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text

from hub import migrate
from hub.cli import cli
from hub.db import database
from hub.testing import make_instance


def versions(app):
    with database(app).engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT version_num FROM {table}")).scalars().all()
            for table in ("alembic_version", "alembic_version_testvisits")
        }


def test_upgrade_is_idempotent_with_a_version_table_per_component(visits_app, visits_runner):
    first = versions(visits_app)
    [core_head] = first["alembic_version"]
    assert core_head.startswith("core_")
    assert first["alembic_version_testvisits"] == ["testvisits_0001"]
    for _ in range(2):
        result = visits_runner.invoke("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            "upgrading core",
            "upgrading testvisits",
            "Database is up to date.",
        ]
    assert versions(visits_app) == first
    status = visits_runner.invoke("db", "status")
    assert (status.exit_code, status.output) == (0, "Database is up to date.\n")


def test_status_reports_pending_components_and_serve_refuses(
    testvisits_installed, tmp_path, hub_databases
):
    instance = make_instance(tmp_path / "fresh", hub_databases.new("fresh"), plugins=["testvisits"])
    runner = CliRunner()
    env = {"HUB_INSTANCE_PATH": str(instance)}
    status = runner.invoke(cli, ["db", "status"], env=env)
    assert status.exit_code == 1
    assert status.output == "Error: needs upgrade: core, testvisits (run: hub db upgrade)\n"
    serve = runner.invoke(cli, ["serve"], env=env)
    assert serve.exit_code == 1
    assert "the database needs upgrading first: hub db upgrade (core, testvisits)" in serve.output
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(cli, ["db", "status"], env=env).exit_code == 0


def schema_differences(app):
    with database(app).engine.connect() as connection:
        return migrate.schema_differences(app, connection)


def test_migrated_core_schema_matches_the_models(visits_app):
    assert schema_differences(visits_app) == {"core": [], "testvisits": []}
    core = next(c for c in migrate.components(visits_app) if c.name == "core")
    assert "testvisits_visit" not in core.tables
    assert {"person", "user", "audit_entry", "location"} <= core.tables


def test_every_installed_plugin_schema_matches_its_models(full_app):
    out_of_step = {name: diff for name, diff in schema_differences(full_app).items() if diff}
    # Spelled out in full, so a plugin author sees which column to migrate.
    assert not out_of_step, "\n".join(f"{name}: {diff!r}" for name, diff in out_of_step.items())
